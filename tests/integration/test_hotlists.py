"""Hotlists and entries through the service: CRUD, validation, access records, refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Role
from alpr_desktop.errors import PermissionDenied, ValidationError
from alpr_desktop.messages import Changes, Topic
from alpr_desktop.services.base import Actor
from alpr_desktop.services.hotlist_fields import EntryFields, FieldError
from alpr_desktop.storage.models import AccessRecord, HotlistCategory
from tests.conftest import create_active_user


def _actions(app: Application) -> list[tuple[str, str]]:
    with app.database.sessions() as session:
        rows = session.execute(
            select(AccessRecord.action, AccessRecord.outcome).order_by(AccessRecord.seq)
        )
        return [(a, o) for a, o in rows]


def test_list_lifecycle_and_counts(app: Application, admin: Actor) -> None:
    hotlists = app.services.hotlists
    seen: list[Changes] = []
    app.services.ctx.changes.subscribe(seen.append)
    stolen = hotlists.create(admin, "Stolen vehicles", source="NCIC")
    with pytest.raises(ValidationError, match="already exists"):
        hotlists.create(admin, "stolen VEHICLES")
    hotlists.add_entry(admin, stolen.id, EntryFields("7ABC123", "stolen_vehicle", state="ca"))
    hotlists.add_entry(admin, stolen.id, EntryFields("7AB*12", HotlistCategory.AMBER, priority=1))
    renamed = hotlists.rename(admin, stolen.id, "Stolen (NCIC)")
    assert renamed.name == "Stolen (NCIC)" and renamed.entry_count == 2
    assert not hotlists.set_active(admin, stolen.id, False).active
    assert [(v.name, v.entry_count) for v in hotlists.list_hotlists(admin)] == [
        ("Stolen (NCIC)", 2)
    ]
    hotlists.delete(admin, stolen.id)
    assert hotlists.list_hotlists(admin) == []
    assert all(c.touches(Topic.HOTLISTS) for c in seen) and len(seen) >= 6
    actions = [a for a, _ in _actions(app)]
    for expected in (
        "create_hotlist",
        "add_hotlist_entry",
        "rename_hotlist",
        "deactivate_hotlist",
        "delete_hotlist",
    ):
        assert expected in actions


def test_entry_fields_validated_naming_the_field(app: Application, admin: Actor) -> None:
    hotlists = app.services.hotlists
    hotlist = hotlists.create(admin, "BOLO")
    yesterday = dt.date.today() - dt.timedelta(days=2)
    cases = [
        (EntryFields("**", "bolo"), "plate", "wildcards only"),
        (EntryFields("7AB!", "bolo"), "plate", "A–Z"),
        (EntryFields("7ABC123", "stolen car"), "category", "not one of"),
        (EntryFields("7ABC123", "bolo", priority=4), "priority", "1, 2 or 3"),
        (EntryFields("7ABC123", "bolo", state="CALIFORNIA"), "state", "at most 8"),
        (EntryFields("7ABC123", "bolo", expires_at=yesterday), "expires_at", "in the past"),
        (EntryFields("7ABC123", "bolo", case_number="x" * 65), "case_number", "at most 64"),
        (EntryFields("7ABC123", "bolo", notes="a\x00b"), "notes", "control"),
    ]
    for fields, field, message in cases:
        with pytest.raises(FieldError, match=message) as caught:
            hotlists.add_entry(admin, hotlist.id, fields)
        assert caught.value.field == field
    assert hotlists.list_entries(admin, hotlist.id).total == 0


def test_entries_update_remove_page_and_matcher(app: Application, admin: Actor) -> None:
    hotlists = app.services.hotlists
    hotlist = hotlists.create(admin, "Warrants")
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    for i in range(25):
        hotlists.add_entry(admin, hotlist.id, EntryFields(f"W{i:03d}X", "warrant"))
    entry = hotlists.add_entry(
        admin, hotlist.id, EntryFields("8 xyz-?45", "warrant", expires_at=tomorrow)
    )
    assert entry.pattern == "8XYZ?45" and entry.partial and entry.expires_at is not None
    with pytest.raises(ValidationError, match="already has an entry"):
        hotlists.add_entry(admin, hotlist.id, EntryFields("8XYZ?45", "bolo"))
    changed = hotlists.update_entry(
        admin, entry.id, EntryFields("8XYZ?45", "bolo", priority=1, case_number="24-001")
    )
    assert changed.category is HotlistCategory.BOLO and changed.expires_at is None
    page = hotlists.list_entries(admin, hotlist.id, offset=20, limit=10)
    assert page.total == 26 and len(page.entries) == 6
    assert hotlists.list_entries(admin, hotlist.id, plate="w01").total == 10
    active = hotlists.active_entries()
    assert len(active) == 26 and {e.pattern for e in active} >= {"8XYZ?45", "W000X"}
    hotlists.remove_entry(admin, entry.id)
    assert len(hotlists.active_entries()) == 25
    hotlists.set_active(admin, hotlist.id, False)
    assert hotlists.active_entries() == []
    with app.database.sessions() as session:
        record = session.scalars(
            select(AccessRecord).where(AccessRecord.action == "update_hotlist_entry")
        ).one()
    assert "24-001" in str(record.query)


def test_expired_entries_not_given_to_the_matcher(app: Application, admin: Actor) -> None:
    hotlists = app.services.hotlists
    hotlist = hotlists.create(admin, "Short")
    today = dt.date.today()
    hotlists.add_entry(admin, hotlist.id, EntryFields("AB123", "other", expires_at=today))
    later = app.services.ctx.now() + dt.timedelta(days=2)
    app.services.ctx.clock = lambda: later
    assert hotlists.active_entries() == []


def test_refused_for_roles_without_it(app: Application, admin: Actor) -> None:
    dispatcher = create_active_user(app, admin, "sam.dispatch", [Role.DISPATCHER])
    hotlists = app.services.hotlists
    hotlist = hotlists.create(admin, "Stolen")
    calls = [
        lambda: hotlists.list_hotlists(dispatcher),
        lambda: hotlists.create(dispatcher, "Mine"),
        lambda: hotlists.add_entry(dispatcher, hotlist.id, EntryFields("ABC123", "bolo")),
        lambda: hotlists.delete(dispatcher, hotlist.id),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    refused = [a for a, o in _actions(app) if o == "refused"]
    assert refused.count("manage_hotlists") == 4
