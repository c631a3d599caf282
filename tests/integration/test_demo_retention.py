"""The demo's retention story: last year's reads past retention, holds in every state,
a purge that keeps the held reads, and the current burglary hold."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Role
from alpr_desktop.storage.models import EvidenceHold, HoldStatus, PlateRead


def test_last_year_is_purged_except_the_held_reads(app: Application) -> None:
    from alpr_desktop.demo import seed_demo
    from alpr_desktop.demo_history import seed_history
    from alpr_desktop.demo_retention import (
        COLD_CASE,
        PENDING_CASE,
        seed_current_holds,
        seed_last_year,
    )

    accounts = seed_demo(app)
    stored = seed_last_year(app, accounts)
    assert stored >= 1_000
    with app.database.sessions() as session:
        holds = {h.case_number: h.status for h in session.scalars(select(EvidenceHold))}
    assert holds[COLD_CASE] is HoldStatus.APPROVED
    assert holds[PENDING_CASE] is HoldStatus.REQUESTED
    assert Counter(holds.values())[HoldStatus.RELEASED] == 1

    preview = app.services.retention.purge(None, dry_run=True)
    assert preview.reads > 900 and preview.held_reads_kept > 0
    report = app.services.retention.purge(None)
    assert report.reads == preview.reads
    with app.database.sessions() as session:
        left = Counter(session.scalars(select(PlateRead.plate_normalized)))
    assert set(left) == {"8KDW417", "5NXP771"}, "only the held (and requested) reads stay"

    seed_history(app, reads=400)
    hold = seed_current_holds(app, accounts)
    supervisor = next(a for a in accounts if a.role is Role.SUPERVISOR)
    actor = app.services.auth.login(supervisor.username, supervisor.password).actor
    texts = [r.text for r in app.services.reminders.for_user(actor)]
    assert any(f"Evidence hold {hold} " in t and "review due" in t for t in texts)
    assert any("awaits a decision" in t for t in texts)
    with app.database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(PlateRead)) > 400
