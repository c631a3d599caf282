"""Hotlists: the department's lists of wanted plates and their entries (requirements §4).

Administrators (:attr:`Action.MANAGE_HOTLISTS`) create, rename, activate, deactivate and
delete lists and add, change and remove entries; every change is an access record and
publishes :attr:`Topic.HOTLISTS`. Plates appear in the access trail (what changed must
be auditable) but never in the ordinary log. The matcher reads the active, unexpired
entries with :func:`load_active_entries`. CSV import lives in :mod:`.hotlist_import`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alpr_desktop.core.roles import Action
from alpr_desktop.errors import NotFoundError, ValidationError
from alpr_desktop.messages import Changes, Topic
from alpr_desktop.services.audit import AuditService
from alpr_desktop.services.base import Actor, BaseService, ServiceContext
from alpr_desktop.services.fields import clean_text, column_length
from alpr_desktop.services.hotlist_fields import EntryFields, check_entry
from alpr_desktop.storage.models import (
    Hotlist,
    HotlistCategory,
    HotlistEntry,
    HotlistRevision,
    User,
)

if TYPE_CHECKING:
    from alpr_desktop.services.hotlist_import import ColumnMapping, ImportResult

HOTLISTS = Changes.of(Topic.HOTLISTS)
MAX_PAGE = 1000


@dataclass(frozen=True)
class HotlistView:
    id: int
    name: str
    active: bool
    source: str
    description: str
    created_at: dt.datetime
    updated_at: dt.datetime
    entry_count: int = 0


@dataclass(frozen=True)
class EntryView:
    id: int
    hotlist_id: int
    plate: str
    pattern: str
    partial: bool
    state: str
    category: HotlistCategory
    priority: int
    source: str
    case_number: str
    notes: str
    expires_at: dt.datetime | None
    created_at: dt.datetime


@dataclass(frozen=True)
class EntryPage:
    total: int
    offset: int
    entries: list[EntryView]


@dataclass(frozen=True)
class MatcherEntry:
    """What the matching index needs of one active, unexpired entry."""

    id: int
    hotlist_id: int
    pattern: str
    partial: bool
    expires_at: dt.datetime | None
    priority: int
    category: HotlistCategory


class HotlistService(BaseService):
    def __init__(self, ctx: ServiceContext, audit: AuditService) -> None:
        super().__init__(ctx)
        self.audit = audit

    @contextmanager
    def _change(self, actor: Actor) -> Iterator[tuple[Session, User]]:
        """A unit of work that changes lists or entries: it increments the hotlist
        revision last, just before the commit, so the revision row is locked only for
        an instant (an ingest batch reads it ``FOR SHARE``; see :mod:`.alert_matcher`)."""
        with self._work(actor, Action.MANAGE_HOTLISTS, changes=HOTLISTS) as (session, me):
            yield session, me
            bump_revision(session, self.ctx.now())

    # ------------------------------------------------------------------ lists
    def list_hotlists(self, actor: Actor) -> list[HotlistView]:
        """Every list with its number of entries, by name."""
        with self._work(actor, Action.MANAGE_HOTLISTS) as (session, _me):
            counts = dict(
                session.execute(
                    select(HotlistEntry.hotlist_id, func.count(HotlistEntry.id)).group_by(
                        HotlistEntry.hotlist_id
                    )
                ).all()
            )
            lists = sorted(session.scalars(select(Hotlist)), key=lambda h: h.name.casefold())
            return [_list_view(h, counts.get(h.id, 0)) for h in lists]

    def create(
        self, actor: Actor, name: str, *, source: str = "", description: str = ""
    ) -> HotlistView:
        """A new, active, empty list; the name must be unused (case does not count)."""
        clean = _name(name)
        values = {
            "source": clean_text(source, "the list's source", column_length(Hotlist.source)),
            "description": clean_text(description, "the description", 2000, multiline=True),
        }
        with self._change(actor) as (session, me):
            hotlist = create_list(session, clean, self.ctx.now(), me.id, **values)
            self._record(session, actor, "create_hotlist", hotlist.id, {"name": clean, **values})
            return _list_view(hotlist, 0)

    def rename(self, actor: Actor, hotlist_id: int, name: str) -> HotlistView:
        clean = _name(name)
        with self._change(actor) as (session, _me):
            hotlist = _get(session, hotlist_id)
            before = hotlist.name
            _refuse_duplicate(session, clean, hotlist.id)
            hotlist.name, hotlist.updated_at = clean, self.ctx.now()
            _flush_unique(session, clean)
            self._record(
                session, actor, "rename_hotlist", hotlist.id, {"before": before, "after": clean}
            )
            return _list_view(hotlist, _count(session, hotlist.id))

    def set_active(self, actor: Actor, hotlist_id: int, active: bool) -> HotlistView:
        """Activate or deactivate a list (an inactive list's entries never match)."""
        with self._change(actor) as (session, _me):
            hotlist = _get(session, hotlist_id)
            hotlist.active, hotlist.updated_at = bool(active), self.ctx.now()
            action = "activate_hotlist" if active else "deactivate_hotlist"
            self._record(session, actor, action, hotlist.id, {"name": hotlist.name})
            return _list_view(hotlist, _count(session, hotlist.id))

    def delete(self, actor: Actor, hotlist_id: int) -> None:
        """Delete a list and all its entries (alerts keep their text; their entry link clears)."""
        with self._change(actor) as (session, _me):
            hotlist = _get(session, hotlist_id)
            count = _count(session, hotlist.id)
            # One statement, not an ORM cascade that would load every entry first.
            session.execute(delete(HotlistEntry).where(HotlistEntry.hotlist_id == hotlist.id))
            session.execute(delete(Hotlist).where(Hotlist.id == hotlist.id))
            query = {"name": hotlist.name, "entries": count}
            self._record(session, actor, "delete_hotlist", hotlist_id, query)

    # ------------------------------------------------------------------ entries
    def list_entries(
        self, actor: Actor, hotlist_id: int, *, offset: int = 0, limit: int = 100, plate: str = ""
    ) -> EntryPage:
        """One page of a list's entries, oldest first; ``plate`` filters by prefix."""
        if not 1 <= limit <= MAX_PAGE or offset < 0:
            raise ValidationError(f"A page is 1–{MAX_PAGE} entries from an offset of 0 or more.")
        with self._work(actor, Action.MANAGE_HOTLISTS) as (session, _me):
            _get(session, hotlist_id)
            where = [HotlistEntry.hotlist_id == hotlist_id]
            if plate.strip():
                prefix = plate.strip().upper().replace("\\", "")
                where.append(HotlistEntry.plate_normalized.startswith(prefix, autoescape=True))
            total = session.scalar(select(func.count(HotlistEntry.id)).where(*where)) or 0
            rows = session.scalars(
                select(HotlistEntry)
                .where(*where)
                .order_by(HotlistEntry.id)
                .offset(offset)
                .limit(limit)
            )
            return EntryPage(total, offset, [_entry_view(e) for e in rows])

    def add_entry(self, actor: Actor, hotlist_id: int, fields: EntryFields) -> EntryView:
        """Add an entry, or raise :class:`~.hotlist_fields.FieldError` naming the wrong field."""
        values = check_entry(fields, self.ctx.now())
        with self._change(actor) as (session, me):
            hotlist = _get(session, hotlist_id)
            _refuse_duplicate_entry(session, hotlist.id, values, None)
            entry = HotlistEntry(
                hotlist_id=hotlist.id, created_at=self.ctx.now(), created_by_id=me.id, **values
            )
            session.add(entry)
            hotlist.updated_at = self.ctx.now()
            session.flush()
            self._record(
                session, actor, "add_hotlist_entry", hotlist.id, _described(entry.id, values)
            )
            return _entry_view(entry)

    def update_entry(self, actor: Actor, entry_id: int, fields: EntryFields) -> EntryView:
        """Replace an entry's fields (validated like :meth:`add_entry`)."""
        values = check_entry(fields, self.ctx.now())
        with self._change(actor) as (session, _me):
            entry = _get_entry(session, entry_id)
            _refuse_duplicate_entry(session, entry.hotlist_id, values, entry.id)
            before = _described(entry.id, {k: getattr(entry, k) for k in values})
            for key, value in values.items():
                setattr(entry, key, value)
            after = _described(entry.id, values)
            changed = {
                k: {"before": before[k], "after": v} for k, v in after.items() if before[k] != v
            }
            self._record(
                session,
                actor,
                "update_hotlist_entry",
                entry.hotlist_id,
                {"entry": entry.id, **changed},
            )
            return _entry_view(entry)

    def remove_entry(self, actor: Actor, entry_id: int) -> None:
        with self._change(actor) as (session, _me):
            entry = _get_entry(session, entry_id)
            query = {"entry": entry.id, "plate": entry.plate_pattern, "state": entry.region}
            session.delete(entry)
            self._record(session, actor, "remove_hotlist_entry", entry.hotlist_id, query)

    # ------------------------------------------------------------------ import
    def import_csv(
        self,
        actor: Actor,
        path: Path,
        list_name: str,
        *,
        mapping: ColumnMapping | None = None,
        replace: bool = False,
        create_missing: bool = False,
        progress: Callable[[int, int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> ImportResult:
        """Import a CSV file into the list called ``list_name``, all or nothing.

        See :func:`.hotlist_import.import_file`; raises
        :class:`~.hotlist_import.ImportRejected` (with the per-line errors) on any error
        and :class:`~.hotlist_import.ImportCancelled` when ``cancelled()`` turned true.
        """
        from alpr_desktop.services import hotlist_import

        return hotlist_import.import_file(
            self,
            actor,
            path,
            list_name,
            mapping=mapping,
            replace=replace,
            create_missing=create_missing,
            progress=progress,
            cancelled=cancelled,
        )

    # ------------------------------------------------------------------ matcher
    def active_entries(self) -> list[MatcherEntry]:
        """The active lists' unexpired entries, for the matching index (not a user action)."""
        with self.ctx.db.sessions() as session:
            return load_active_entries(session, self.ctx.now())

    def _record(
        self, session: Session, actor: Actor, action: str, hotlist_id: int, query: dict[str, Any]
    ) -> None:
        self.audit.record_admin(
            session, actor, action, target_type="hotlist", target_id=hotlist_id, query=query
        )


def active_entries_query(now: dt.datetime) -> Any:
    """The entries of active lists that have not expired at ``now``: what may match."""
    return (
        select(
            HotlistEntry.id,
            HotlistEntry.hotlist_id,
            HotlistEntry.plate_normalized,
            HotlistEntry.is_partial,
            HotlistEntry.expires_at,
            HotlistEntry.priority,
            HotlistEntry.category,
        )
        .join(Hotlist, Hotlist.id == HotlistEntry.hotlist_id)
        .where(
            Hotlist.active.is_(True),
            or_(HotlistEntry.expires_at.is_(None), HotlistEntry.expires_at > now),
        )
    )


def load_active_entries(session: Session, now: dt.datetime) -> list[MatcherEntry]:
    """Every entry of an active list that has not expired at ``now``, as plain tuples."""
    rows = session.execute(active_entries_query(now).execution_options(yield_per=20_000))
    return [MatcherEntry(*row) for row in rows]


def bump_revision(session: Session, now: dt.datetime) -> int:
    """Increment the hotlist revision in ``session``'s transaction; the new value."""
    table = cast(Table, HotlistRevision.__table__)
    done = session.execute(
        update(table)
        .where(table.c.id == 1)
        .values(revision=table.c.revision + 1, changed_at=now)
        .returning(table.c.revision)
    ).scalar()
    if done is None:  # a schema made without the migrations' first row
        session.execute(insert(table).values(id=1, revision=1, changed_at=now))
        return 1
    return int(done)


def create_list(
    session: Session, name: str, now: dt.datetime, user_id: int, **values: str
) -> Hotlist:
    """Insert a list named ``name`` (already cleaned) in ``session``; refuses a taken name."""
    _refuse_duplicate(session, name, None)
    hotlist = Hotlist(name=name, created_at=now, updated_at=now, created_by_id=user_id, **values)
    session.add(hotlist)
    _flush_unique(session, name)
    return hotlist


def find_list(session: Session, name: str) -> Hotlist | None:
    """The list called ``name``, case ignored (compared in Python: SQLite folds ASCII only)."""
    wanted = name.strip().casefold()
    for hotlist in session.scalars(select(Hotlist)):
        if hotlist.name.casefold() == wanted:
            return hotlist
    return None


def clean_list_name(name: str) -> str:
    return _name(name)


def _name(name: str) -> str:
    return clean_text(name, "the list name", column_length(Hotlist.name), required=True)


def _refuse_duplicate(session: Session, name: str, own_id: int | None) -> None:
    other = find_list(session, name)
    if other is not None and other.id != own_id:
        raise ValidationError(
            f"A hotlist named {other.name!r} already exists; choose another name."
        )


def _flush_unique(session: Session, name: str) -> None:
    try:
        session.flush()  # two administrators saving one name at once: the unique index decides
    except IntegrityError:
        raise ValidationError(
            f"A hotlist named {name!r} already exists; choose another name."
        ) from None


def _refuse_duplicate_entry(
    session: Session, hotlist_id: int, values: dict[str, Any], own_id: int | None
) -> None:
    other = session.scalar(
        select(HotlistEntry.id).where(
            HotlistEntry.hotlist_id == hotlist_id,
            HotlistEntry.plate_normalized == values["plate_normalized"],
            HotlistEntry.region == values["region"],
            HotlistEntry.id != (own_id or 0),
        )
    )
    if other is not None:
        raise ValidationError(
            f"The list already has an entry for {values['plate_normalized']} "
            f"{values['region'] or '(any state)'}; change that entry instead."
        )


def _get(session: Session, hotlist_id: int) -> Hotlist:
    hotlist = session.get(Hotlist, hotlist_id)
    if hotlist is None:
        raise NotFoundError(f"There is no hotlist with id {hotlist_id}.")
    return hotlist


def _get_entry(session: Session, entry_id: int) -> HotlistEntry:
    entry = session.get(HotlistEntry, entry_id)
    if entry is None:
        raise NotFoundError(f"There is no hotlist entry with id {entry_id}.")
    return entry


def _count(session: Session, hotlist_id: int) -> int:
    return (
        session.scalar(
            select(func.count(HotlistEntry.id)).where(HotlistEntry.hotlist_id == hotlist_id)
        )
        or 0
    )


def _described(entry_id: int, values: dict[str, Any]) -> dict[str, Any]:
    described: dict[str, Any] = {k: (str(v) if v is not None else None) for k, v in values.items()}
    described["entry"] = entry_id
    return described


def _list_view(hotlist: Hotlist, count: int) -> HotlistView:
    return HotlistView(
        id=hotlist.id,
        name=hotlist.name,
        active=hotlist.active,
        source=hotlist.source,
        description=hotlist.description,
        created_at=hotlist.created_at,
        updated_at=hotlist.updated_at,
        entry_count=count,
    )


def _entry_view(entry: HotlistEntry) -> EntryView:
    return EntryView(
        id=entry.id,
        hotlist_id=entry.hotlist_id,
        plate=entry.plate_pattern,
        pattern=entry.plate_normalized,
        partial=entry.is_partial,
        state=entry.region,
        category=HotlistCategory(entry.category),
        priority=entry.priority,
        source=entry.source,
        case_number=entry.case_number,
        notes=entry.notes,
        expires_at=entry.expires_at,
        created_at=entry.created_at,
    )
