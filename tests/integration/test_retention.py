"""Retention and evidence holds on SQLite and PostgreSQL: the setting, the purge, holds.

Reads are stored through the ingest service (the one way in), so the search index and
the plate dictionary are the ones its triggers keep; the purge must leave them in step.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Role
from alpr_desktop.errors import PermissionDenied, SeparationOfDutiesError, ValidationError
from alpr_desktop.services.base import Actor
from alpr_desktop.services.evidence import PlatePeriod
from alpr_desktop.services.search import SearchRequest
from alpr_desktop.storage.models import (
    AccessRecord,
    Alert,
    HoldStatus,
    PlateRead,
    PurgeLog,
    ReadAlternative,
    SettingRow,
    StoredImage,
)
from alpr_desktop.storage.types import utcnow
from tests.conftest import create_active_user
from tests.integration.ingest_helpers import jpeg
from tests.integration.retention_helpers import (
    add_alert,
    aged_read,
    dictionary_texts,
    inconsistencies,
    read_ids,
)

PURPOSE = "Criminal investigation"
CASE = "26-018001"
REVIEW = dt.date.today() + dt.timedelta(days=90)


@dataclass
class World:
    admin: Actor
    detective: Actor
    sergeant: Actor
    commander: Actor
    ids: dict[str, int]


@pytest.fixture
def world(app: Application, admin: Actor) -> World:
    shared_held, shared_fresh = jpeg(9001), jpeg(9002)
    reads = [
        aged_read(0, "7OLD000", days_old=400, crop=shared_held),  # approved hold
        aged_read(1, "7OLD001", days_old=401),  # approved hold
        aged_read(2, "7OLD002", days_old=402),  # requested hold: kept too
        aged_read(3, "7OLD003", days_old=403, context=jpeg(9003, 160, 90)),  # released hold
        aged_read(4, "7OLD004", days_old=404, crop=shared_held),  # image shared with held
        aged_read(5, "7OLD005", days_old=405, crop=shared_fresh),  # image shared with fresh
        aged_read(6, "7NEW006", days_old=10, crop=shared_fresh),
        aged_read(7, "7NEW007", days_old=364),
    ]
    app.services.ingest.store(reads)
    ids = read_ids(app, [r.plate_text for r in reads])
    for plate in ("7OLD000", "7OLD003", "7OLD005"):
        add_alert(app, ids[plate])
    detective = create_active_user(app, admin, "det.one", [Role.INVESTIGATOR])
    sergeant = create_active_user(app, admin, "sgt.one", [Role.SUPERVISOR])
    commander = create_active_user(app, admin, "cmdr.one", [Role.COMMANDER])
    return World(admin, detective, sergeant, commander, ids)


def _hold(app: Application, w: World, plates: list[str], **kwargs: object) -> int:
    view = app.services.evidence.request(
        w.detective,
        case_number=CASE,
        reason="Vehicle seen at the scene of a burglary",
        review_on=REVIEW,
        purpose=PURPOSE,
        read_ids=[w.ids[p] for p in plates],
        **kwargs,  # type: ignore[arg-type]
    )
    return view.id


def _place_holds(app: Application, w: World) -> None:
    evidence = app.services.evidence
    approved = _hold(app, w, ["7OLD000", "7OLD001"])
    assert evidence.approve(w.sergeant, approved).status is HoldStatus.APPROVED
    _hold(app, w, ["7OLD002"])  # requested, not decided yet
    released = _hold(app, w, ["7OLD003"])
    evidence.approve(w.sergeant, released)
    assert evidence.release(w.detective, released, reason="Case closed").status is (
        HoldStatus.RELEASED
    )


def _found(app: Application, actor: Actor, pattern: str) -> list[str]:
    page = app.services.search.search(actor, SearchRequest(pattern, PURPOSE, CASE))
    return sorted(r.plate_text for r in page.results)


def _count(app: Application, model: type) -> int:
    with app.database.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _purge_records(app: Application) -> list[AccessRecord]:
    with app.database.sessions() as session:
        query = select(AccessRecord).where(AccessRecord.action.like("purge%"))
        return list(session.scalars(query.order_by(AccessRecord.seq)))


def test_purge_keeps_held_reads_and_removes_the_rest_everywhere(
    app: Application, world: World
) -> None:
    w = world
    _place_holds(app, w)
    assert _found(app, w.detective, "7OLD00*") == [f"7OLD00{i}" for i in range(6)]
    images_before = _count(app, StoredImage)
    gone = ["7OLD003", "7OLD004", "7OLD005"]
    kept = ["7OLD000", "7OLD001", "7OLD002", "7NEW006", "7NEW007"]

    report = app.services.retention.purge(w.admin, batch=2)

    assert (report.reads, report.images, report.held_reads_kept) == (3, 2, 3)
    assert not report.stopped and report.batches == 2
    with app.database.sessions() as session:
        left = dict(session.execute(select(PlateRead.plate_text, PlateRead.id)).all())
        assert sorted(left) == sorted(kept)
        alternatives = set(session.scalars(select(ReadAlternative.read_id)))
        assert alternatives == set(left.values())
        alerted = set(session.scalars(select(Alert.read_id)))
        assert alerted == {w.ids["7OLD000"]}
        entry = session.scalars(select(PurgeLog)).one()
    # Read 3's own crop and its context frame; the shared crops stay with their reads.
    assert _count(app, StoredImage) == images_before - 2
    assert inconsistencies(app) == []
    assert (entry.reads_purged, entry.images_purged, entry.held_reads_kept) == (3, 2, 3)
    assert entry.ran_by_id == w.admin.user_id
    assert entry.oldest_purged_at is not None and entry.newest_purged_at is not None
    assert entry.oldest_purged_at < entry.newest_purged_at
    assert report.oldest is not None and report.newest is not None
    assert entry.newest_purged_at.date() == report.newest.date()
    assert (utcnow() - report.newest).days == 403 and (utcnow() - report.oldest).days == 405
    # The search (trigram index, alternatives, dictionary) no longer finds them.
    assert _found(app, w.detective, "7OLD00*") == ["7OLD000", "7OLD001", "7OLD002"]
    assert _found(app, w.detective, "TOLD003") == []  # read 3's alternative
    assert _found(app, w.detective, "TOLD000") == ["7OLD000"]
    texts = dictionary_texts(app)
    assert not texts & set(gone) and set(kept) <= texts
    records = _purge_records(app)
    assert [(r.action, r.username, r.detail.split(":")[0]) for r in records] == [
        ("purge", "admin", "Started"),
        ("purge", "admin", "Finished"),
    ]
    assert "purged 3 read(s)" in records[1].detail

    # Nothing left: a second run purges nothing and says so.
    again = app.services.retention.purge(None)
    assert (again.reads, again.images, again.batches) == (0, 0, 0)
    assert _purge_records(app)[-1].username == "system"


def test_dry_run_reports_and_deletes_nothing(app: Application, world: World) -> None:
    _place_holds(app, world)
    counts = [_count(app, m) for m in (PlateRead, StoredImage, ReadAlternative, Alert)]
    report = app.services.retention.purge(world.admin, dry_run=True)
    assert report.dry_run and (report.reads, report.images, report.held_reads_kept) == (3, 2, 3)
    assert "would purge 3 read(s)" in report.summary()
    assert [_count(app, m) for m in (PlateRead, StoredImage, ReadAlternative, Alert)] == counts
    assert _count(app, PurgeLog) == 0
    assert [r.action for r in _purge_records(app)] == ["purge_preview"]


def test_a_released_or_refused_hold_no_longer_protects(app: Application, world: World) -> None:
    w = world
    refused = _hold(app, w, ["7OLD000"])
    app.services.evidence.refuse(w.sergeant, refused, reason="Not connected to the case")
    report = app.services.retention.purge(w.admin)
    assert report.reads == 6 and report.held_reads_kept == 0
    assert inconsistencies(app) == []


def test_purge_needs_its_permission(app: Application, world: World) -> None:
    with pytest.raises(PermissionDenied):
        app.services.retention.purge(world.detective)
    assert _count(app, PlateRead) == 8
    assert _purge_records(app) == []
    with app.database.sessions() as session:
        refusal = session.scalars(
            select(AccessRecord).where(AccessRecord.action == "run_purge")
        ).one()
    assert (refusal.outcome, refusal.username) == ("refused", "det.one")


def test_retention_under_a_year_needs_confirmation_and_a_reason(
    app: Application, world: World
) -> None:
    retention, cmdr = app.services.retention, world.commander
    with pytest.raises(ValidationError, match="explicit confirmation and a reason"):
        retention.set_retention(cmdr, 200)
    with pytest.raises(ValidationError, match="explicit confirmation and a reason"):
        retention.set_retention(cmdr, 200, confirm_short=True, reason="  ")
    with pytest.raises(ValidationError, match="retention_days"):
        app.services.settings.update(cmdr, retention_days=200)  # the general form
    with pytest.raises(PermissionDenied):
        retention.set_retention(world.admin, 400)
    assert app.services.settings.current().retention_days == 365

    after = retention.set_retention(
        cmdr, 200, confirm_short=True, reason="County records schedule, resolution 26-14"
    )
    assert after.retention_days == 200
    assert app.services.settings.current().retention_days == 200
    # Other settings still change while the confirmed short period stands.
    app.services.settings.update(world.admin, agency_name="Los Alamitos PD")
    assert app.services.settings.current().retention_days == 200
    with app.database.sessions() as session:
        row = session.get(SettingRow, "retention_days")
        assert row is not None and row.updated_by_id == cmdr.user_id
        record = session.scalars(
            select(AccessRecord)
            .where(AccessRecord.action == "update_settings", AccessRecord.username == "cmdr.one")
            .order_by(AccessRecord.seq.desc())
        ).first()
    assert record is not None
    assert "resolution 26-14" in record.detail
    assert '"after":"200"' in record.query
    # 200 days: read 7 (364 days old) is now due as well.
    assert app.services.retention.purge(world.admin, dry_run=True).reads == 7
    overview = retention.overview(world.admin)
    assert overview.retention_days == 200 and overview.oldest_read_at is not None


def test_a_supervisor_cannot_approve_their_own_hold(app: Application, world: World) -> None:
    both = create_active_user(app, world.admin, "sgt.det", [Role.INVESTIGATOR, Role.SUPERVISOR])
    evidence = app.services.evidence
    hold = evidence.request(
        both,
        case_number=CASE,
        reason="Own case",
        review_on=REVIEW,
        purpose=PURPOSE,
        period=PlatePeriod("7old 000", utcnow() - dt.timedelta(days=500), utcnow()),
    )
    assert hold.read_count == 1 and hold.status is HoldStatus.REQUESTED
    with pytest.raises(SeparationOfDutiesError, match="your own evidence hold"):
        evidence.approve(both, hold.id)
    with pytest.raises(SeparationOfDutiesError):
        evidence.refuse(both, hold.id, reason="changed my mind")
    with app.database.sessions() as session:
        refused = session.scalars(
            select(AccessRecord).where(
                AccessRecord.action == "approve_evidence_hold", AccessRecord.outcome == "refused"
            )
        ).all()
    assert len(refused) == 2 and all(r.username == "sgt.det" for r in refused)
    decided = evidence.approve(world.sergeant, hold.id, note="Reviewed")
    assert decided.status is HoldStatus.APPROVED and decided.decided_by == "sgt.one"
    with pytest.raises(ValidationError, match="only a requested hold"):
        evidence.approve(world.sergeant, hold.id)
    # An investigator may not approve at all.
    other = _hold(app, world, ["7OLD001"])
    with pytest.raises(PermissionDenied):
        evidence.approve(world.detective, other)


def test_hold_requests_are_checked_and_recorded(app: Application, world: World) -> None:
    evidence, w = app.services.evidence, world
    base = {"case_number": CASE, "reason": "r", "review_on": REVIEW, "purpose": PURPOSE}
    with pytest.raises(ValidationError, match="Choose the reads"):
        evidence.request(w.detective, **base)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="review date"):
        evidence.request(
            w.detective,
            **{**base, "review_on": dt.date.today()},  # type: ignore[arg-type]
            read_ids=[w.ids["7OLD000"]],
        )
    with pytest.raises(Exception, match="does not exist"):
        evidence.request(w.detective, **base, read_ids=[999_999])  # type: ignore[arg-type]
    with pytest.raises(Exception, match="No read of 9ZZZ999"):
        evidence.request(
            w.detective,
            **base,  # type: ignore[arg-type]
            period=PlatePeriod("9ZZZ999", utcnow() - dt.timedelta(days=9), utcnow()),
        )
    with pytest.raises(PermissionDenied):
        evidence.request(w.sergeant, **base, read_ids=[w.ids["7OLD000"]])  # type: ignore[arg-type]
    assert evidence.list_holds(w.sergeant) == []
    hold = _hold(app, w, ["7OLD000", "7NEW006"])
    with app.database.sessions() as session:
        actions = list(
            session.scalars(
                select(AccessRecord.action)
                .where(AccessRecord.case_number == CASE, AccessRecord.outcome == "ok")
                .order_by(AccessRecord.seq)
            )
        )
    assert actions == ["request_evidence_hold"]
    listed = evidence.list_holds(w.sergeant)
    assert [(h.id, h.read_count, h.requested_by) for h in listed] == [(hold, 2, "det.one")]
    with pytest.raises(ValidationError, match="reason"):
        evidence.release(w.detective, hold, reason=" ")


def test_a_stopped_purge_is_logged_and_the_next_completes_it(
    app: Application, world: World
) -> None:
    seen: list[tuple[int, int]] = []
    report = app.services.retention.purge(
        world.admin,
        batch=2,
        progress=lambda done, total: seen.append((done, total)),
        stop=lambda: bool(seen),
    )
    assert report.stopped and report.reads == 2 and seen == [(2, 6)]
    assert "the next purge completes it" in report.summary()
    assert _purge_records(app)[-1].detail.startswith("Stopped: ")
    rest = app.services.retention.purge(world.admin)
    assert rest.reads == 4 and not rest.stopped
    with app.database.sessions() as session:
        logged = [e.reads_purged for e in session.scalars(select(PurgeLog).order_by(PurgeLog.id))]
    assert logged == [2, 4]
    assert inconsistencies(app) == []
