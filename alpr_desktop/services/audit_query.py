"""The audit viewer's service: filter the access trail, open a record, export what fits.

Behind ``VIEW_AUDIT`` (supervisors and commanders, requirements §9). Looking at the
trail is itself an access to record (policy 471.6): every query is an ``audit_view``
record whose query is the filters as canonical JSON, committed in a transaction of its
own *before* any record is read; opening a record in full is an ``audit_open``, and an
export an ``audit_export`` (the filters and the format). A refusal (no role, a locked
account, an ended session) is recorded as refused by the unit of work, as everywhere.

A *view* is one query as submitted. Its later pages (the viewer's table pages itself
in as it scrolls) continue that view: the caller passes the view's record id back and
no new record is written, since nothing new is asked — the service checks that the
view is this user's ``audit_view`` of exactly these filters. Every page of a view shows
the trail as it stood when the view was recorded (records up to and including the view's
own), so records appended meanwhile do not shift the pages.

Records come newest first (``seq`` descending), served by the indexes of
:mod:`alpr_desktop.storage.audit_index`: a (column, seq) index for each equality filter,
(column, column, seq) for two pairs of them, and a trigram index for the plate inside
the recorded query. A date range is first turned into a range of ``seq`` by two probes
of the (recorded_at, seq) index (:func:`seq_span`), so every filter walks ``seq``
downwards from the range's end rather than sorting the range or walking back to it. The
first page says how many records fit, counted up to :data:`COUNT_CAP` (an exact count
over a million records would cost more than the page itself).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import ColumnElement, Select, and_, func, literal_column, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased

from alpr_desktop.core.packages import PackageCancelled
from alpr_desktop.core.plates import normalize_plate
from alpr_desktop.core.roles import Action
from alpr_desktop.errors import NotFoundError, StorageError, ValidationError
from alpr_desktop.services.audit import HASHED_FIELDS, AuditService, canonical_query
from alpr_desktop.services.base import Actor, BaseService, ServiceContext
from alpr_desktop.services.fields import clean_text, column_length

# The search export's cell rule: a leading ' makes a would-be formula inert.
from alpr_desktop.services.search_export import _cell as formula_safe
from alpr_desktop.storage.audit_index import PAIR_INDEXES
from alpr_desktop.storage.models import AccessRecord, AuditTimeOrder

MAX_PAGE = 500
#: A page is first looked for among this many newest records (see ``_page``).
PROBE_WINDOW = 5000
#: The first page counts the records that fit up to this many ("more than 10,000").
COUNT_CAP = 10_000
#: … in at most this long (a rare combination of filters may need a long walk; the page
#: and its count must come in 200 ms).
COUNT_BUDGET_MS = 50
#: A PDF lists at most this many records (a printout, not an archive: use CSV for all).
MAX_PDF_RECORDS = 5_000
CATEGORIES = ("data", "admin", "session")
OUTCOMES = ("ok", "refused", "failed")
#: Fewest letters and digits a plate filter may have (the trigram index needs three).
MIN_PLATE = 3
MAX_PLATE = 16
_BATCH = 1000
VIEW_ACTION = "audit_view"
OPEN_ACTION = "audit_open"
EXPORT_ACTION = "audit_export"

#: Every stored field (the hashed ones and the hash), so a row can be checked against its
#: hash — except a cell made formula-safe, which gained a leading ' .
CSV_COLUMNS = (*HASHED_FIELDS, "record_hash")


def _utc(value: dt.datetime) -> dt.datetime:
    """A stored time in UTC (SQLite may give it back naive; it is stored as UTC)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC)


@dataclass(frozen=True)
class AuditFilters:
    """Which access records to show; empty fields do not filter.

    Text fields match exactly (after trimming spaces). ``since`` is inclusive and
    ``until`` exclusive; both must carry their time zone. ``plate`` is normalised as
    plates are everywhere (letters and digits, upper case) and found inside the recorded
    query (a search's pattern as typed and as normalised, and any other plate value).
    """

    user: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    category: str = ""
    action: str = ""
    outcome: str = ""
    plate: str = ""
    purpose: str = ""
    case_number: str = ""
    workstation: str = ""

    def cleaned(self) -> AuditFilters:
        """The filters trimmed and checked, or a :class:`ValidationError` saying why."""
        for value in (self.since, self.until):
            if value is not None and value.tzinfo is None:
                raise ValidationError("Times must carry their time zone.")
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise ValidationError("The start of the date range must be before its end.")
        category = self.category.strip().lower()
        if category and category not in CATEGORIES:
            raise ValidationError(
                f"The category must be one of {', '.join(CATEGORIES)}; not {category!r}."
            )
        outcome = self.outcome.strip().lower()
        if outcome and outcome not in OUTCOMES:
            raise ValidationError(
                f"The outcome must be one of {', '.join(OUTCOMES)}; not {outcome!r}."
            )
        plate = normalize_plate(self.plate)
        if self.plate.strip() and not MIN_PLATE <= len(plate) <= MAX_PLATE:
            raise ValidationError(
                f"A plate to look for needs {MIN_PLATE}–{MAX_PLATE} letters or digits; "
                f"{self.plate.strip()!r} has {len(plate)}."
            )
        return AuditFilters(
            user=clean_text(self.user, "the user", column_length(AccessRecord.username)),
            since=self.since,
            until=self.until,
            category=category,
            action=clean_text(self.action, "the action", column_length(AccessRecord.action)),
            outcome=outcome,
            plate=plate,
            purpose=clean_text(self.purpose, "the purpose", column_length(AccessRecord.purpose)),
            case_number=clean_text(
                self.case_number, "the case number", column_length(AccessRecord.case_number)
            ),
            workstation=clean_text(
                self.workstation, "the workstation", column_length(AccessRecord.workstation)
            ),
        )

    def canonical(self) -> dict[str, Any]:
        """The filters as the viewing record's query (only those set)."""
        values: dict[str, Any] = {
            "user": self.user,
            "since": _utc(self.since).isoformat() if self.since else "",
            "until": _utc(self.until).isoformat() if self.until else "",
            "category": self.category,
            "action": self.action,
            "outcome": self.outcome,
            "plate": self.plate,
            "purpose": self.purpose,
            "case_number": self.case_number,
            "workstation": self.workstation,
        }
        return {key: value for key, value in values.items() if value}

    def describe(self) -> str:
        """One line for a printout: ``user = det.one; plate contains 7ABC123``."""
        parts = []
        for key, value in self.canonical().items():
            label = key.replace("_", " ")
            parts.append(f"{label} contains {value}" if key == "plate" else f"{label} = {value}")
        return "; ".join(parts) or "no filter (every record)"


@dataclass(frozen=True)
class AuditRow:
    """One access record as the viewer's table shows it."""

    id: int
    seq: int
    recorded_at: dt.datetime
    username: str
    workstation: str
    category: str
    action: str
    outcome: str
    purpose: str
    case_number: str
    target_type: str
    target_id: str

    @property
    def target(self) -> str:
        if not self.target_type and not self.target_id:
            return ""
        return f"{self.target_type} {self.target_id}".strip()


@dataclass(frozen=True)
class AuditEntry:
    """One access record in full: everything stored, the query as recorded, the hashes."""

    row: AuditRow
    user_id: int | None
    organisation: str
    query: str
    detail: str
    prev_hash: str
    record_hash: str

    def pretty_query(self) -> str:
        """The query as indented JSON (as recorded when it is not JSON)."""
        if not self.query:
            return ""
        try:
            parsed = json.loads(self.query)
        except ValueError:
            return self.query
        return json.dumps(parsed, indent=2, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class TrailPage:
    rows: list[AuditRow]
    offset: int
    #: More records fit beyond this page.
    more: bool
    #: The ``audit_view`` record this page belongs to (pass it back for the next page).
    view_id: int
    #: Records that fit, counted on the first page when that is cheap: None on later
    #: pages, and when counting would take more than ``COUNT_BUDGET_MS`` …
    total: int | None
    #: … True when more fit than ``total`` says (more than :data:`COUNT_CAP`, or, with
    #: no count, more than this page).
    total_capped: bool = False


@dataclass(frozen=True)
class AuditExport:
    path: Path
    records: int
    sha256: str
    #: The ``audit_export`` record.
    record_id: int
    #: A PDF lists at most :data:`MAX_PDF_RECORDS`; True when more fitted.
    truncated: bool = False


#: Writes a PDF: ``write(title, html, footer, path)`` -> pages (the GUI's ``write_pdf``;
#: the service itself does not draw, only alpr_desktop.gui may use Qt).
PdfWriter = Callable[[str, str, str, Path], int]
Progress = Callable[[int, int], None]


def _row(record: Any) -> AuditRow:
    return AuditRow(
        id=record.id,
        seq=record.seq,
        recorded_at=_utc(record.recorded_at),
        username=record.username,
        workstation=record.workstation,
        category=record.category,
        action=record.action,
        outcome=record.outcome,
        purpose=record.purpose,
        case_number=record.case_number,
        target_type=record.target_type,
        target_id=record.target_id,
    )


def _entry(record: AccessRecord) -> AuditEntry:
    return AuditEntry(
        row=_row(record),
        user_id=record.user_id,
        organisation=record.organisation,
        query=record.query,
        detail=record.detail,
        prev_hash=record.prev_hash,
        record_hash=record.record_hash,
    )


def _csv_cell(record: AccessRecord, name: str) -> str:
    value = getattr(record, name)
    if isinstance(value, dt.datetime):
        return _utc(value).isoformat()
    if value is None or isinstance(value, int):
        return "" if value is None else str(value)
    return str(formula_safe(value))


#: The equality filters, most selective first as a rule (a case number names a handful of
#: records, a category a third of the trail): on SQLite, which keeps no statistics here,
#: only the first one given leads (its (column, seq) index) — with the second column of a
#: (column, column, seq) index when that is given too; the others are checked on the rows
#: it yields (``column || ''`` is not indexable). PostgreSQL plans by its own statistics.
_EQUALITIES = (
    ("case_number", "case_number"),
    ("user", "username"),
    ("workstation", "workstation"),
    ("purpose", "purpose"),
    ("action", "action"),
    ("outcome", "outcome"),
    ("category", "category"),
)
_PAIRS = frozenset(columns for _name, columns in PAIR_INDEXES)


@dataclass(frozen=True)
class SeqSpan:
    """The ``seq`` range ``low``–``high`` (inclusive) that holds every record of a view.

    ``dated``: the records' times must still be checked against the date range (the
    range was widened for a trail that stepped back in time, so it may hold records
    outside the dates). An empty span has ``low > high``.
    """

    low: int
    high: int
    dated: bool = False

    @property
    def empty(self) -> bool:
        return self.low > self.high


def _probe(session: Session, up_to_seq: int, *, at_or_after: dt.datetime) -> int | None:
    """The seq of the first record (by time, then seq) stamped at or after a time."""
    return session.scalar(
        select(AccessRecord.seq)
        .where(AccessRecord.recorded_at >= at_or_after, AccessRecord.seq <= up_to_seq)
        .order_by(AccessRecord.recorded_at, AccessRecord.seq)
        .limit(1)
    )


def _probe_before(session: Session, up_to_seq: int, before: dt.datetime) -> int | None:
    """The seq of the last record (by time, then seq) stamped before a time."""
    return session.scalar(
        select(AccessRecord.seq)
        .where(AccessRecord.recorded_at < before, AccessRecord.seq <= up_to_seq)
        .order_by(AccessRecord.recorded_at.desc(), AccessRecord.seq.desc())
        .limit(1)
    )


def _shifted(when: dt.datetime, by: dt.timedelta) -> dt.datetime | None:
    try:
        return when + by
    except OverflowError:
        return None


def seq_span(
    session: Session, since: dt.datetime | None, until: dt.datetime | None, up_to_seq: int
) -> SeqSpan:
    """The range of ``seq`` (up to ``up_to_seq``) holding the records from ``since`` to
    ``until`` (exclusive): two probes of the (recorded_at, seq) index.

    Times rise with ``seq`` but for the trail's steps back
    (:class:`~alpr_desktop.storage.models.AuditTimeOrder`): every record after the last
    step back is stamped at or after every record before it. So when the first record
    stamped at or after ``until`` (by time, then seq) is after the last step back, every
    later record is too and every earlier one is before ``until``: the range ends just
    before it, exactly. Likewise the last record before ``since`` starts the range just
    after it. Where the probe lands at or before the last step back the range is widened
    — it ends before the first record after the last step back, or before the first
    record at or after ``until + slack`` (``slack`` the furthest step back: no record
    after that one can be before ``until``), and starts after the last record before
    ``since - slack`` — and its records' times are checked (``dated``).
    """
    if since is None and until is None:
        return SeqSpan(1, up_to_seq)
    order = session.execute(
        select(AuditTimeOrder.max_backstep_us, AuditTimeOrder.last_backstep_seq).where(
            AuditTimeOrder.id == 1
        )
    ).first()
    if order is None:  # the order is not known: every record is checked
        return SeqSpan(1, up_to_seq, dated=True)
    slack = dt.timedelta(microseconds=order[0])
    ordered_from = order[1] + 1  # no record from here on steps back
    low, high, exact = 1, up_to_seq, True
    if until is not None:
        first = _probe(session, up_to_seq, at_or_after=until)
        if first is not None and first >= ordered_from:
            high = min(high, first - 1)
        elif first is not None:
            exact = False
            high = min(high, ordered_from - 1)
            later = _shifted(until, slack)
            beyond = None if later is None else _probe(session, up_to_seq, at_or_after=later)
            if beyond is not None:
                high = min(high, beyond - 1)
    if since is not None:
        last = _probe_before(session, up_to_seq, since)
        if last is not None and last >= ordered_from:
            low = last + 1
        elif last is not None:
            exact = False
            earlier = _shifted(since, -slack)
            before = None if earlier is None else _probe_before(session, up_to_seq, earlier)
            if before is not None:
                low = before + 1
    return SeqSpan(low, high, dated=not exact)


def _conditions(
    session: Session, filters: AuditFilters, span: SeqSpan, entity: Any = AccessRecord
) -> list[ColumnElement[bool]]:
    """SQL conditions for ``filters`` (cleaned) within ``span``, each served by an index.

    ``entity``: ``AccessRecord`` or an alias of a subquery of it (``_page``'s probe).
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    where: list[ColumnElement[bool]] = [entity.seq <= span.high]
    if span.low > 1:
        where.append(entity.seq >= span.low)
    # The plate (the trigram index) leads when given, else the first equality (with the
    # second of a pair index), else the seq range itself.
    lead: str | None = "query" if filters.plate else None
    for name, column_name in _EQUALITIES:
        value = getattr(filters, name)
        if not value:
            continue
        column = getattr(entity, column_name)
        if lead is None:
            lead = column_name
            where.append(column == value)
        elif sqlite and (lead, column_name) not in _PAIRS:
            where.append(column.concat("") == value)
        else:
            where.append(column == value)
    if span.dated:
        times: list[ColumnElement[bool]] = []
        if filters.since is not None:
            times.append(entity.recorded_at >= filters.since)
        if filters.until is not None:
            times.append(entity.recorded_at < filters.until)
        if sqlite and lead is not None:
            # Beside a plate or an equality the dates are checked, not led by.
            times = [func.likelihood(t, literal_column("0.9")) for t in times]
        where.extend(times)
    if filters.plate:
        # Letters and digits only (normalised), so no LIKE wildcard is in it.
        like = f"%{filters.plate}%"
        if not sqlite:
            where.append(entity.query.ilike(like))  # the pg_trgm GIN index
        else:
            # The FTS5 trigram table finds candidates; SQLite re-checks the LIKE on
            # access_records.query (its external content). Constant SQL, bound value.
            found = (
                text("SELECT rowid FROM audit_search WHERE query LIKE :audit_plate")
                .bindparams(audit_plate=like)
                .columns(literal_column("rowid"))
                .subquery("plate_hits")
            )
            where.append(entity.id.in_(select(found.c.rowid)))
    return where


def _ids(session: Session, filters: AuditFilters, span: SeqSpan) -> Select[Any]:
    """The ids of the records that fit (within the view's span), unordered."""
    return select(AccessRecord.id).where(and_(*_conditions(session, filters, span)))


def _selected(session: Session, filters: AuditFilters, span: SeqSpan) -> Select[Any]:
    return select(AccessRecord).where(and_(*_conditions(session, filters, span)))


def _page(
    session: Session, filters: AuditFilters, span: SeqSpan, offset: int, limit: int
) -> tuple[list[AuditRow], bool]:
    """One page of the rows that fit, newest first, and whether more follow.

    First among the newest :data:`PROBE_WINDOW` records of the span only: when they hold
    the whole page and one more, that is exactly the answer (any other record that fits
    is older than all of them), and it took a few thousand row reads whatever the
    filters. Else through the indexes over the whole span.
    """
    if span.empty:
        return [], False
    if offset + limit < PROBE_WINDOW:
        # The newest records themselves (a range of the seq index), filtered as read —
        # the span's low end too, outside the range (as a second bound of the range it
        # made PostgreSQL without statistics bitmap-scan the whole table). Only the
        # columns filters look at (the query text only for PostgreSQL's plate).
        columns = [AccessRecord.id, AccessRecord.seq, AccessRecord.recorded_at]
        columns += [getattr(AccessRecord, name) for _key, name in _EQUALITIES]
        if filters.plate and session.get_bind().dialect.name == "postgresql":
            columns.append(AccessRecord.query)
        newest = aliased(
            AccessRecord,
            select(*columns)
            .where(AccessRecord.seq <= span.high)
            .order_by(AccessRecord.seq.desc())
            .limit(PROBE_WINDOW)
            .subquery("newest"),
        )
        probe = (
            select(newest.id, newest.seq)
            .where(*_conditions(session, filters, span, newest))
            .order_by(newest.seq.desc())
        )
        rows, more = _fetch(session, probe, offset, limit)
        if more:
            return rows, more
    ids = _ids(session, filters, span).add_columns(AccessRecord.seq)
    if span.dated and not _led(filters):
        # Dates to check and nothing else to lead: the (recorded_at, seq) index leads,
        # then a sort of its entries (``seq + 0`` keeps PostgreSQL from walking the seq
        # index back to an old range instead).
        return _fetch(session, ids.order_by((AccessRecord.seq + 0).desc()), offset, limit)
    return _fetch(session, ids.order_by(AccessRecord.seq.desc()), offset, limit)


def _led(filters: AuditFilters) -> bool:
    """Whether a plate or an equality filter is given (its index leads)."""
    return bool(filters.plate) or any(getattr(filters, key) for key, _name in _EQUALITIES)


def _fetch(session: Session, ids: Any, offset: int, limit: int) -> tuple[list[AuditRow], bool]:
    """The page of ``ids`` (id and seq, newest first) read in full, and whether more follow.

    The page's ids are ordered and cut from the index entries alone (seq and id), and
    only then are those rows read: a date range of tens of thousands of records sorts
    their small index entries, not the records with their queries.
    """
    page_ids = ids.offset(offset).limit(limit + 1).subquery("page_ids")
    stmt = (
        select(AccessRecord)
        .join(page_ids, page_ids.c.id == AccessRecord.id)
        .order_by(AccessRecord.seq.desc())
    )
    found = list(session.scalars(stmt))
    return [_row(r) for r in found[:limit]], len(found) > limit


def _capped_count(session: Session, filters: AuditFilters, span: SeqSpan) -> int | None:
    """How many records fit, up to ``COUNT_CAP + 1``; None when that is not cheap.

    Counting stops at the cap, but a rare combination of filters may still mean
    walking much of an index to find that few fit: the count gets
    :data:`COUNT_BUDGET_MS` and is given up beyond it (the page says "more" instead).
    """
    if span.empty:
        return 0
    counted = select(func.count()).select_from(
        _ids(session, filters, span).limit(COUNT_CAP + 1).subquery("capped")
    )
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        try:
            # Through the session, so the savepoint comes first: rolling back to it (a
            # timeout) undoes the SET LOCAL too; a count in time resets it itself.
            with session.begin_nested():
                budget = int(COUNT_BUDGET_MS)  # a constant, not input
                session.execute(text(f"SET LOCAL statement_timeout = {budget}"))
                found = session.scalar(counted)
                session.execute(text("SET LOCAL statement_timeout TO DEFAULT"))
        except OperationalError as exc:
            if "statement timeout" not in str(exc.orig):
                raise
            return None
        return int(found or 0)
    raw = connection.connection.driver_connection
    deadline = time.perf_counter() + COUNT_BUDGET_MS / 1000

    def over_budget() -> int:
        return int(time.perf_counter() > deadline)

    raw.set_progress_handler(over_budget, 1000)  # type: ignore[union-attr]
    try:
        return int(session.scalar(counted) or 0)
    except OperationalError as exc:
        if "interrupted" not in str(exc.orig):
            raise
        return None
    finally:
        raw.set_progress_handler(None, 0)  # type: ignore[union-attr]


class AuditQueryService(BaseService):
    """Filtering, opening and exporting the access trail; see the module."""

    def __init__(self, ctx: ServiceContext, audit: AuditService) -> None:
        super().__init__(ctx)
        self.audit = audit

    # ------------------------------------------------------------------ viewing
    def page(
        self,
        actor: Actor,
        filters: AuditFilters,
        *,
        offset: int = 0,
        limit: int = 100,
        view: int | None = None,
    ) -> TrailPage:
        """One page of the records that fit ``filters``, newest first.

        ``view`` None starts a new view (recorded first, committed before any record is
        read); the id of an earlier page's view continues it (nothing new recorded).

        Raises:
            ValidationError: a filter or page that cannot run (nothing recorded: nothing
                was looked at), or a ``view`` that is not this user's view of these filters.
            PermissionDenied: no ``VIEW_AUDIT`` (recorded as refused).
        """
        filters = filters.cleaned()
        if not 1 <= limit <= MAX_PAGE or offset < 0:
            raise ValidationError(f"A page is 1–{MAX_PAGE} records from an offset of 0 or more.")
        if view is not None:
            # A later page of a recorded view: authorised again, nothing new recorded.
            with self._work(actor, Action.VIEW_AUDIT) as (session, _me):
                view_seq = self._own_view(session, actor, view, filters)
                span = seq_span(session, filters.since, filters.until, view_seq)
                rows, more = _page(session, filters, span, offset, limit)
            return TrailPage(rows, offset, more, view, None)
        # A new view: authorised and recorded, committed, and only then read (as Search).
        view_id, view_seq = self._record_first(
            actor, VIEW_ACTION, filters.canonical(), "viewed the access trail"
        )
        with self.ctx.db.sessions() as session:
            span = seq_span(session, filters.since, filters.until, view_seq)
            rows, more = _page(session, filters, span, offset, limit)
            total = _capped_count(session, filters, span)
        if total is None:  # not cheap to count: at least what is shown, and more
            return TrailPage(rows, offset, more, view_id, None, more)
        return TrailPage(rows, offset, more, view_id, min(total, COUNT_CAP), total > COUNT_CAP)

    def record(self, actor: Actor, record_id: int) -> AuditEntry:
        """One access record in full (recorded first as an ``audit_open``)."""
        self._record_first(
            actor,
            OPEN_ACTION,
            {"record": record_id},
            "opened an access record",
            target_type="access_record",
            target_id=record_id,
        )
        with self.ctx.db.sessions() as session:
            found = session.get(AccessRecord, record_id)
            if found is None:
                raise NotFoundError(f"There is no access record {record_id}.")
            return _entry(found)

    # ------------------------------------------------------------------ exports
    def export_csv(
        self,
        actor: Actor,
        filters: AuditFilters,
        target: Path,
        *,
        progress: Progress | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> AuditExport:
        """Every record that fits ``filters`` as CSV at ``target`` (written atomically).

        Free text a spreadsheet would run as a formula is made inert (a leading ``'``).
        Recorded first as an ``audit_export``; a cancel leaves no file (the record stays).
        """
        filters = filters.cleaned()
        record_id, seq = self._record_export(actor, filters, "csv")
        count = 0
        target = Path(target)
        with _atomic(target) as out:
            writer = csv.writer(out)
            writer.writerow(CSV_COLUMNS)
            for record in self._records(filters, seq, None, progress, cancel):
                writer.writerow([_csv_cell(record, name) for name in CSV_COLUMNS])
                count += 1
        return AuditExport(target, count, _sha256(target), record_id)

    def export_pdf(
        self,
        actor: Actor,
        filters: AuditFilters,
        target: Path,
        write: PdfWriter,
        *,
        progress: Progress | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> AuditExport:
        """The records that fit ``filters`` (at most :data:`MAX_PDF_RECORDS`) as a PDF.

        ``write`` lays the HTML out (``alpr_desktop.gui.pdf.write_pdf``). Recorded first.
        """
        filters = filters.cleaned()
        record_id, seq = self._record_export(actor, filters, "pdf")
        found = self._records(filters, seq, MAX_PDF_RECORDS + 1, progress, cancel)
        entries = [_entry(record) for record in found]
        truncated = len(entries) > MAX_PDF_RECORDS
        entries = entries[:MAX_PDF_RECORDS]
        now = _utc(self.ctx.now())
        footer = f"printed by {actor.username} {now:%Y-%m-%d %H:%M} UTC, record {record_id}"
        title = "Access trail"
        write(title, audit_html(filters, entries, truncated, record_id, now), footer, target)
        return AuditExport(Path(target), len(entries), _sha256(Path(target)), record_id, truncated)

    # ------------------------------------------------------------------ internals
    def _record_export(self, actor: Actor, filters: AuditFilters, fmt: str) -> tuple[int, int]:
        detail = f"exported the access trail as {fmt.upper()}"
        if fmt == "pdf":
            detail += f" (at most {MAX_PDF_RECORDS:,} records)"
        return self._record_first(
            actor, EXPORT_ACTION, {"filters": filters.canonical(), "format": fmt}, detail
        )

    def _record_first(
        self, actor: Actor, action: str, query: dict[str, Any], detail: str, **fields: Any
    ) -> tuple[int, int]:
        """Commit the record of a look at the trail; its (id, seq)."""
        with self._work(actor, Action.VIEW_AUDIT) as (session, _me):
            record = self.audit.record_admin(
                session, actor, action, query=query, detail=detail, **fields
            )
            return record.id, record.seq

    @staticmethod
    def _own_view(session: Session, actor: Actor, view: int, filters: AuditFilters) -> int:
        """The seq of ``view`` when it is ``actor``'s recorded view of ``filters``."""
        found = session.get(AccessRecord, view)
        if (
            found is None
            or found.action != VIEW_ACTION
            or found.user_id != actor.user_id
            or found.outcome != "ok"
            or found.query != canonical_query(filters.canonical())
        ):
            raise ValidationError(
                "That page does not continue a recorded view of these filters by you; "
                "apply the filters again."
            )
        return found.seq

    def _records(
        self,
        filters: AuditFilters,
        up_to_seq: int,
        limit: int | None,
        progress: Progress | None,
        cancel: Callable[[], bool] | None,
    ) -> Iterator[AccessRecord]:
        """The records that fit, newest first, read in batches (after the record)."""
        with self.ctx.db.sessions() as session:
            span = seq_span(session, filters.since, filters.until, up_to_seq)
            total = int(
                session.scalar(
                    select(func.count()).select_from(
                        _selected(session, filters, span).subquery("all")
                    )
                )
                or 0
            )
            if limit is not None:
                total = min(total, limit)
            done, before = 0, span.high
            while limit is None or done < limit:
                if cancel is not None and cancel():
                    raise PackageCancelled("The export was cancelled; no file was written.")
                batch = _BATCH if limit is None else min(_BATCH, limit - done)
                stmt = (
                    _selected(session, filters, replace(span, high=before))
                    .order_by(AccessRecord.seq.desc())
                    .limit(batch)
                )
                found = list(session.scalars(stmt))
                if not found:
                    break
                yield from found
                done += len(found)
                before = found[-1].seq - 1
                session.expunge_all()
                if progress is not None:
                    progress(done, total)


@contextmanager
def _atomic(path: Path) -> Iterator[TextIO]:
    """A text file that becomes ``path`` when the block ends well, and nothing otherwise.

    UTF-8 with a byte-order mark, so a spreadsheet opens non-ASCII text as UTF-8.
    """
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise StorageError(f"Cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(handle, "w", encoding="utf-8-sig", newline="") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise StorageError(f"Cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _readable_query(query: str) -> str:
    """The query with a space after each comma and colon, so a printout can wrap it."""
    try:
        parsed = json.loads(query)
    except ValueError:
        return query
    return json.dumps(parsed, sort_keys=True, separators=(", ", ": "), ensure_ascii=False)


def audit_html(
    filters: AuditFilters,
    entries: list[AuditEntry],
    truncated: bool,
    record_id: int,
    now: dt.datetime,
) -> str:
    """The printable list of ``entries`` (Qt's rich-text HTML subset).

    One row per record and its query on a full-width row beneath it (spaced so it wraps;
    the CSV export has it byte for byte).
    """
    esc = html.escape
    small = 'style="font-size: 7.5pt"'
    labels = ("#", "Time (UTC)", "User", "Workstation", "Action", "Outcome", "Purpose")
    head = "<tr>" + "".join(f"<th {small}>{label}</th>" for label in labels)
    head += f"<th {small}>Case</th><th {small}>Target</th></tr>"
    body = []
    for entry in entries:
        row = entry.row
        cells = (
            str(row.seq),
            f"{row.recorded_at:%Y-%m-%d %H:%M:%S}",
            row.username,
            row.workstation,
            f"{row.action} ({row.category})",
            row.outcome,
            row.purpose,
            row.case_number,
            row.target,
        )
        body.append("<tr>" + "".join(f"<td {small}>{esc(c)}</td>" for c in cells) + "</tr>")
        if entry.query:
            query = esc(_readable_query(entry.query))
            body.append(
                f'<tr><td colspan="{len(cells)}" style="font-size: 7pt; color: #333">'
                f"query: {query}</td></tr>"
            )
    more = (
        f"<p><b>Only the newest {MAX_PDF_RECORDS:,} records are listed;</b> export CSV for all.</p>"
        if truncated
        else ""
    )
    return (
        "<h1>Access trail</h1>"
        f"<p>Filters: {esc(filters.describe())}<br/>"
        f"{len(entries):,} record(s), newest first. Printed {now:%Y-%m-%d %H:%M} UTC; "
        f"this export is access record {record_id}.</p>{more}"
        f'<table width="100%">{head}{"".join(body)}</table>'
    )
