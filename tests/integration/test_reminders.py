"""Home-page reminders on SQLite and PostgreSQL: training expiring or expired (the user's
own; everyone's for whoever records training) and evidence-hold review dates."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select, update

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Role
from alpr_desktop.errors import SessionEndedError
from alpr_desktop.services.base import Actor
from alpr_desktop.services.reminders import Level
from alpr_desktop.storage.models import EvidenceHold
from tests.conftest import create_active_user
from tests.integration.retention_helpers import aged_read, read_ids

TODAY = dt.date.today()


def _texts(app: Application, actor: Actor) -> list[tuple[Level, str]]:
    return [(r.level, r.text) for r in app.services.reminders.for_user(actor)]


def test_training_reminders(app: Application, admin: Actor) -> None:
    soon = create_active_user(app, admin, "soon.one", [Role.DISPATCHER], trained=False)
    app.services.users.add_training(
        admin,
        soon.user_id,
        course="ALPR operator",
        completed_on=TODAY - dt.timedelta(days=340),
        expires_on=TODAY + dt.timedelta(days=12),
    )
    fresh = create_active_user(app, admin, "fresh.one", [Role.DISPATCHER])
    create_active_user(app, admin, "none.one", [Role.DISPATCHER], trained=False)

    own = _texts(app, soon)
    assert own == [
        (
            Level.SOON,
            f"Your ALPR training expires on {TODAY + dt.timedelta(days=12):%Y-%m-%d} (in 12 days).",
        )
    ]
    assert _texts(app, fresh) == [], "a year to go: nothing to say"
    # The administrator records training: everyone's is on their Home page.
    texts = [text for _level, text in _texts(app, admin)]
    assert any(t.startswith("Soon.One (soon.one): ALPR training expires") for t in texts)
    assert any(t.startswith("None.One (none.one): no ALPR training is recorded") for t in texts)
    assert not any("fresh.one" in t for t in texts)
    assert _texts(app, admin)[0][0] is Level.OVERDUE, "the most urgent first"


def test_hold_review_reminders(app: Application, admin: Actor) -> None:
    app.services.ingest.store([aged_read(i, f"7HLD00{i}", days_old=5) for i in range(3)])
    ids = read_ids(app, [f"7HLD00{i}" for i in range(3)])
    detective = create_active_user(app, admin, "det.one", [Role.INVESTIGATOR])
    other = create_active_user(app, admin, "det.two", [Role.INVESTIGATOR])
    sergeant = create_active_user(app, admin, "sgt.one", [Role.SUPERVISOR])
    evidence = app.services.evidence

    def hold(actor: Actor, plate: str, case: str, review_in: int) -> int:
        return evidence.request(
            actor,
            case_number=case,
            reason="Seen near the scene",
            review_on=TODAY + dt.timedelta(days=review_in),
            purpose="Criminal investigation",
            read_ids=[ids[plate]],
        ).id

    due_soon = hold(detective, "7HLD000", "26-000001", 5)
    overdue = hold(detective, "7HLD001", "26-000002", 200)
    awaiting = hold(other, "7HLD002", "26-000003", 100)
    evidence.approve(sergeant, due_soon)
    evidence.approve(sergeant, overdue)
    with app.database.sessions.begin() as session:  # its review date has passed since
        session.execute(
            update(EvidenceHold)
            .where(EvidenceHold.id == overdue)
            .values(review_on=TODAY - dt.timedelta(days=3))
        )

    mine = _texts(app, detective)
    assert mine == [
        (
            Level.OVERDUE,
            f"Evidence hold {overdue} (case 26-000002): review was due on "
            f"{TODAY - dt.timedelta(days=3):%Y-%m-%d}.",
        ),
        (
            Level.SOON,
            f"Evidence hold {due_soon} (case 26-000001): review due on "
            f"{TODAY + dt.timedelta(days=5):%Y-%m-%d} (in 5 days).",
        ),
    ]
    assert _texts(app, other) == [], "det.two's own hold is months from review"
    supervisor = [text for _level, text in _texts(app, sergeant)]
    assert f"Evidence hold {awaiting} (case 26-000003) awaits a decision." in supervisor
    assert len(supervisor) == 3
    evidence.release(detective, overdue, reason="Case closed")
    assert len(_texts(app, detective)) == 1
    with app.database.sessions() as session:
        assert session.scalar(select(EvidenceHold.status).where(EvidenceHold.id == overdue))


def test_a_forged_session_reads_nothing(app: Application, admin: Actor) -> None:
    forged = dataclasses.replace(admin, session_id="0" * 32)
    with pytest.raises(SessionEndedError):
        app.services.reminders.for_user(forged)
