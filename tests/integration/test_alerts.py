"""Alerts end to end on SQLite and PostgreSQL: raised by ingest, queued, viewed, decided."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Role
from alpr_desktop.errors import NotFoundError, PermissionDenied, ValidationError
from alpr_desktop.recognition.reads import VehicleRead
from alpr_desktop.recognition.types import Candidate
from alpr_desktop.services.alerts import AlertAlreadyDecided
from alpr_desktop.services.base import Actor
from alpr_desktop.services.hotlist_fields import EntryFields
from alpr_desktop.storage.models import AccessRecord, Alert, AlertStatus, MatchKind, PlateRead
from tests.conftest import create_active_user
from tests.integration.ingest_helpers import make_read


def _read(
    index: int, plate: str, *, tag: str = "a", alternatives: tuple[str, ...] = ()
) -> VehicleRead:
    base = make_read(index, tag=tag)
    return replace(
        base,
        plate_text=plate,
        alternatives=tuple(Candidate(text, 0.5) for text in alternatives),
    )


def _store(app: Application, *reads: VehicleRead) -> list[int]:
    return list(app.services.ingest.store(list(reads)).alerts)


def _records(app: Application, detail: str) -> list[AccessRecord]:
    with app.database.sessions() as session:
        return list(session.scalars(select(AccessRecord).where(AccessRecord.detail == detail)))


@pytest.fixture
def dispatcher(app: Application, admin: Actor) -> Actor:
    return create_active_user(app, admin, "disp.one", [Role.DISPATCHER])


def test_ingest_raises_alerts_with_kind_and_explanation(
    app: Application, admin: Actor, dispatcher: Actor
) -> None:
    hotlists = app.services.hotlists
    stolen = hotlists.create(admin, "Stolen")
    hotlists.add_entry(admin, stolen.id, EntryFields("7ABC123", "stolen_vehicle", priority=1))
    hotlists.add_entry(admin, stolen.id, EntryFields("8XYZ*", "bolo", priority=3))
    hotlists.add_entry(admin, stolen.id, EntryFields("4QRS567", "amber", priority=1))
    hotlists.add_entry(admin, stolen.id, EntryFields("5LMN222", "warrant", priority=2))
    ids = _store(
        app,
        _read(1, "7ABC123"),  # exact
        _read(2, "7A8C123"),  # confusable B/8
        _read(3, "8XYZ900"),  # partial
        _read(4, "4QR5567", alternatives=("4QRS567",)),  # the second reading
        _read(5, "9NOT000"),  # nothing
    )
    assert len(ids) == 4
    queue = app.services.alerts.open_queue(dispatcher)
    by_plate = {a.plate_text: a for a in queue.new}
    assert set(by_plate) == {"7ABC123", "7A8C123", "8XYZ900", "4QR5567"}
    assert by_plate["7ABC123"].match_kind is MatchKind.EXACT
    assert by_plate["7A8C123"].match_kind is MatchKind.CONFUSABLE
    assert "8 → B at position 3" in by_plate["7A8C123"].explanation
    assert by_plate["8XYZ900"].match_kind is MatchKind.PARTIAL
    assert by_plate["4QR5567"].match_kind is MatchKind.ALTERNATIVE
    assert by_plate["7ABC123"].hotlist_name == "Stolen"
    assert by_plate["4QR5567"].category == "amber"
    # Priority first (1 before 3), then oldest first.
    assert [a.priority for a in queue.new] == sorted(a.priority for a in queue.new)
    assert queue.new[-1].plate_text == "8XYZ900"
    assert queue.last_id == max(ids)
    assert len(_records(app, "opened the alert queue")) == 1
    # Storing the same reads again raises nothing more.
    assert _store(app, _read(1, "7ABC123")) == []


def test_inactive_lists_expired_entries_and_changes_take_effect(
    app: Application, admin: Actor, dispatcher: Actor
) -> None:
    hotlists = app.services.hotlists
    wanted = hotlists.create(admin, "Wanted")
    entry = hotlists.add_entry(admin, wanted.id, EntryFields("6DEF456", "warrant"))
    assert len(_store(app, _read(1, "6DEF456"))) == 1
    hotlists.set_active(admin, wanted.id, False)
    assert _store(app, _read(2, "6DEF456")) == []
    hotlists.set_active(admin, wanted.id, True)
    assert len(_store(app, _read(3, "6DEF456"))) == 1
    app.services.hotlists.remove_entry(admin, entry.id)
    assert _store(app, _read(4, "6DEF456")) == []
    # The alert outlives its entry, with what the entry was.
    view = app.services.alerts.view(
        dispatcher, app.services.alerts.open_queue(dispatcher).new[0].id
    )
    assert view.alert.entry_pattern == "6DEF456" and view.entry["category"] == "warrant"
    assert view.crop is not None and view.crop.media_type == "image/jpeg"
    assert "CLETS" in view.reminder
    assert len(_records(app, "viewed an alert")) == 1


def test_poll_returns_new_and_decided_and_records_deliveries(
    app: Application, admin: Actor, dispatcher: Actor
) -> None:
    alerts = app.services.alerts
    hotlists = app.services.hotlists
    hotlist = hotlists.create(admin, "Stolen")
    hotlists.add_entry(admin, hotlist.id, EntryFields("7ABC123", "stolen_vehicle"))
    queue = alerts.open_queue(dispatcher)
    assert queue.new == []
    empty = alerts.poll(dispatcher, after_id=queue.last_id)
    assert empty.new == [] and _records(app, "received 1 alert(s)") == []
    first = _store(app, _read(1, "7ABC123"))
    batch = alerts.poll(dispatcher, after_id=queue.last_id)
    assert [a.id for a in batch.new] == first and batch.last_id == first[0]
    again = alerts.poll(dispatcher, after_id=batch.last_id, known=first, watch=first)
    assert again.new == [] and again.decided == []
    reasons = alerts.reasons(dispatcher)
    alerts.dispose(dispatcher, first[0], accept=True, reason=reasons[0], notes="CLETS ok")
    decided = alerts.poll(dispatcher, after_id=batch.last_id, known=first, watch=first)
    assert [a.status for a in decided.decided] == [AlertStatus.ACCEPTED]
    assert decided.decided[0].disposed_by == "disp.one"
    records = _records(app, "received 1 alert(s)")
    assert len(records) == 1 and records[0].target_id == str(first[0])


def test_disposition_needs_a_department_reason(
    app: Application, admin: Actor, dispatcher: Actor
) -> None:
    hotlist = app.services.hotlists.create(admin, "Stolen")
    app.services.hotlists.add_entry(admin, hotlist.id, EntryFields("7ABC123", "stolen_vehicle"))
    [alert_id] = _store(app, _read(1, "7ABC123"))
    alerts = app.services.alerts
    with pytest.raises(ValidationError, match="Choose a reason"):
        alerts.dispose(dispatcher, alert_id, accept=False, reason=" ")
    with pytest.raises(ValidationError, match="not one of the department's reasons"):
        alerts.dispose(dispatcher, alert_id, accept=False, reason="Felt like it")
    with pytest.raises(NotFoundError):
        alerts.dispose(dispatcher, alert_id + 99, accept=False, reason="Misread")
    with app.database.sessions() as session:
        assert session.get(Alert, alert_id).status is AlertStatus.PENDING  # type: ignore[union-attr]
    view = alerts.dispose(dispatcher, alert_id, accept=False, reason="Misread", notes="a van")
    assert view.status is AlertStatus.REJECTED and view.disposition_reason == "Misread"


def test_concurrent_dispositions_one_wins_the_other_is_told_who(
    app: Application, admin: Actor, dispatcher: Actor
) -> None:
    other = create_active_user(app, admin, "disp.two", [Role.DISPATCHER])
    hotlist = app.services.hotlists.create(admin, "Stolen")
    app.services.hotlists.add_entry(admin, hotlist.id, EntryFields("7ABC123", "stolen_vehicle"))
    for round_ in range(5):
        [alert_id] = _store(app, _read(round_, "7ABC123", tag=f"r{round_}"))
        barrier = threading.Barrier(2)
        outcomes: dict[str, object] = {}
        threads = [
            threading.Thread(target=_decide, args=(app, actor, alert_id, accept, barrier, outcomes))
            for actor, accept in ((dispatcher, True), (other, False))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        losers = [v for v in outcomes.values() if isinstance(v, AlertAlreadyDecided)]
        winners = [v for v in outcomes.values() if not isinstance(v, AlertAlreadyDecided)]
        assert len(losers) == 1 and len(winners) == 1, outcomes
        winner = winners[0]
        assert losers[0].decision.disposed_by == winner.disposed_by  # type: ignore[attr-defined]
        assert winner.disposed_by in str(losers[0])  # type: ignore[attr-defined]
    with app.database.sessions() as session:
        refused = session.scalar(
            select(func.count(AccessRecord.id)).where(
                AccessRecord.action == "review_alert", AccessRecord.outcome == "refused"
            )
        )
    assert refused == 5


def _decide(
    app: Application,
    actor: Actor,
    alert_id: int,
    accept: bool,
    barrier: threading.Barrier,
    outcomes: dict[str, object],
) -> None:
    barrier.wait()
    try:
        outcomes[actor.username] = app.services.alerts.dispose(
            actor, alert_id, accept=accept, reason="Misread"
        )
    except AlertAlreadyDecided as lost:
        outcomes[actor.username] = lost


def test_alert_actions_refused_for_roles_without_them(app: Application, admin: Actor) -> None:
    investigator = create_active_user(app, admin, "inv.one", [Role.INVESTIGATOR])
    untrained = create_active_user(app, admin, "disp.new", [Role.DISPATCHER], trained=False)
    hotlist = app.services.hotlists.create(admin, "Stolen")
    app.services.hotlists.add_entry(admin, hotlist.id, EntryFields("7ABC123", "stolen_vehicle"))
    [alert_id] = _store(app, _read(1, "7ABC123"))
    alerts = app.services.alerts
    for actor in (investigator, admin, untrained):
        with pytest.raises(PermissionDenied):
            alerts.open_queue(actor)
        with pytest.raises(PermissionDenied):
            alerts.poll(actor, after_id=0)
        with pytest.raises(PermissionDenied):
            alerts.view(actor, alert_id)
        with pytest.raises(PermissionDenied):
            alerts.dispose(actor, alert_id, accept=True, reason="Misread")
    dispatcher = create_active_user(app, admin, "disp.one", [Role.DISPATCHER])
    with pytest.raises(PermissionDenied):
        alerts.check_past_reads(dispatcher, hotlist_id=hotlist.id)
    with app.database.sessions() as session:
        refused = session.scalar(
            select(func.count(AccessRecord.id)).where(AccessRecord.outcome == "refused")
        )
        assert session.get(Alert, alert_id).status is AlertStatus.PENDING  # type: ignore[union-attr]
    assert refused == 13


def test_retroactive_hits_for_new_entries(
    app: Application, admin: Actor, dispatcher: Actor
) -> None:
    # Past reads first, with no list at all.
    reads = [_read(i, f"9PAST{i:02d}", tag="p") for i in range(40)]
    assert _store(app, *reads) == []
    hotlists = app.services.hotlists
    hotlist = hotlists.create(admin, "Major incident")
    entry = hotlists.add_entry(admin, hotlist.id, EntryFields("9PAST1?", "bolo", priority=1))
    seen: list[tuple[int, int]] = []
    result = app.services.alerts.check_past_reads(
        admin, entry_ids=[entry.id], progress=lambda done, total: seen.append((done, total))
    )
    assert result.reads_checked == 40 and result.alerts_raised == 10
    assert seen[-1] == (40, 40)
    queue = app.services.alerts.open_queue(dispatcher)
    assert len(queue.new) == 10 and all(a.retroactive for a in queue.new)
    assert {a.plate_text for a in queue.new} == {f"9PAST1{i}" for i in range(10)}
    # Checking again raises nothing twice; an inactive list raises nothing.
    again = app.services.alerts.check_past_reads(admin, hotlist_id=hotlist.id)
    assert again.alerts_raised == 0
    hotlists.set_active(admin, hotlist.id, False)
    assert app.services.alerts.check_past_reads(admin, hotlist_id=hotlist.id).entries == 0
    with app.database.sessions() as session:
        record = session.scalars(
            select(AccessRecord).where(AccessRecord.action == "check_past_reads")
        ).first()
    assert record is not None and '"alerts_raised":10' in record.query


def test_a_list_changed_between_index_and_commit_is_matched_again(
    app: Application, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index is at revision R; a change commits after the batch's first look at the
    revision but before its FOR SHARE read: the batch is matched again with the new index."""
    from alpr_desktop.services import ingest

    hotlists = app.services.hotlists
    hotlist = hotlists.create(admin, "Stolen")
    matcher = app.services.matcher
    held = matcher.current()
    hotlists.add_entry(admin, hotlist.id, EntryFields("7ABC123", "stolen_vehicle"))
    monkeypatch.setattr(matcher, "held", lambda: held)
    monkeypatch.setattr(ingest, "read_revision", lambda _conn: held.revision)
    ids = _store(app, _read(1, "7ABC123"))
    assert len(ids) == 1
    assert matcher.loaded is not None and matcher.loaded.revision > held.revision


def test_a_slow_index_build_never_holds_up_ingest(
    app: Application, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big list takes seconds to index: the batch is stored at once, and its hit is
    raised by the builder once the new index is in hand."""
    import time

    hotlists = app.services.hotlists
    hotlist = hotlists.create(admin, "Stolen")
    matcher = app.services.matcher
    matcher.current()
    hotlists.add_entry(admin, hotlist.id, EntryFields("7ABC123", "stolen_vehicle"))
    build = matcher._build
    release = threading.Event()

    def slow_build() -> object:
        assert release.wait(30)
        return build()

    monkeypatch.setattr(matcher, "_build", slow_build)
    monkeypatch.setattr(matcher, "wait_for_build", 0.05)
    started = time.monotonic()
    assert _store(app, _read(1, "7ABC123"), _read(2, "5OTHER1")) == []
    assert time.monotonic() - started < 2, "the batch waited for the build"
    with app.database.sessions() as session:
        assert session.scalar(select(func.count(PlateRead.id))) == 2  # stored already
        assert session.scalar(select(func.count(Alert.id))) == 0
    release.set()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and matcher.rematched < 2:
        time.sleep(0.05)
    with app.database.sessions() as session:
        alerts = session.scalars(select(Alert)).all()
    assert [a.entry_pattern for a in alerts] == ["7ABC123"]
    assert not alerts[0].retroactive
    # The next batch uses the new index in its own transaction again.
    assert len(_store(app, _read(3, "7ABC123"))) == 1


def test_poll_finds_an_alert_committed_after_a_higher_id(
    app: Application, admin: Actor, dispatcher: Actor
) -> None:
    """Ids are handed out at insert, seen at commit: an alert below the highest id seen
    is still delivered if it was created since the previous poll (less a margin)."""
    hotlist = app.services.hotlists.create(admin, "Stolen")
    app.services.hotlists.add_entry(admin, hotlist.id, EntryFields("7ABC123", "stolen_vehicle"))
    [late] = _store(app, _read(1, "7ABC123"))
    alerts = app.services.alerts
    created = alerts.open_queue(dispatcher).new[0].created_at
    # As if a higher id had been seen first.
    seen_higher = alerts.poll(
        dispatcher, after_id=late + 3, since=created - dt.timedelta(seconds=1)
    )
    assert [a.id for a in seen_higher.new] == [late]
    older = alerts.poll(dispatcher, after_id=late + 3, since=created + dt.timedelta(seconds=1))
    assert older.new == []
    assert older.polled_at is not None
