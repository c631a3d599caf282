"""The access trail: append-only, hash-chained records of every access and admin action.

Each record's ``record_hash`` is SHA-256 over a canonical JSON of its content, its
sequence number and the previous record's hash, so editing, deleting or reordering any
record breaks the chain from that point on; :func:`verify_chain` finds the first break.
Appends are serialised: on PostgreSQL by a transaction-scoped advisory lock, on SQLite by
the write lock every transaction takes (``BEGIN IMMEDIATE``, see ``storage.engine``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import BigInteger, Table, bindparam, case, func, insert, select, text, update
from sqlalchemy.orm import Session

from alpr_desktop.core.roles import Action
from alpr_desktop.errors import ValidationError
from alpr_desktop.messages import Changes, Topic
from alpr_desktop.services.base import Actor, BaseService, load_department_settings
from alpr_desktop.services.fields import clean_text, column_length
from alpr_desktop.storage.models import AccessRecord, AuditTimeOrder, User

if TYPE_CHECKING:
    from alpr_desktop.services.audit_checkpoints import Checkpoint

GENESIS_HASH = "0" * 64
_PG_CHAIN_LOCK = 471_0001  # advisory lock key for the access-record chain

HASHED_FIELDS = (
    "seq",
    "recorded_at",
    "user_id",
    "username",
    "organisation",
    "workstation",
    "category",
    "action",
    "outcome",
    "purpose",
    "case_number",
    "query",
    "detail",
    "target_type",
    "target_id",
    "prev_hash",
)


_STORED_FIELDS = (*HASHED_FIELDS, "record_hash")
_PG_LOCK_STMT = text("SELECT pg_advisory_xact_lock(:key)")
_HEAD_STMT = (
    select(AccessRecord.seq, AccessRecord.record_hash).order_by(AccessRecord.seq.desc()).limit(1)
)
#: The head and the latest time in the trail (an index probe of (recorded_at, seq)).
_APPEND_HEAD_STMT = (
    select(
        AccessRecord.seq,
        AccessRecord.record_hash,
        select(func.max(AccessRecord.recorded_at)).scalar_subquery(),
    )
    .order_by(AccessRecord.seq.desc())
    .limit(1)
)
_STEP = bindparam("step", type_=BigInteger)
_BACKSTEP_STMT = (
    update(AuditTimeOrder)
    .where(AuditTimeOrder.id == 1)
    .values(
        max_backstep_us=case(
            (AuditTimeOrder.max_backstep_us < _STEP, _STEP), else_=AuditTimeOrder.max_backstep_us
        ),
        last_backstep_seq=bindparam("at"),
    )
)
#: session.info key of the chain head this session's current transaction wrote last.
_HEAD_KEY = "alpr_audit_chain_head"
_INSERT_STMT = insert(cast(Table, AccessRecord.__table__))


def canonical_query(query: Mapping[str, Any] | str | None) -> str:
    """The query exactly as entered, as canonical JSON (keys sorted, no whitespace)."""
    if query is None:
        return ""
    if isinstance(query, str):
        return query
    return json.dumps(query, sort_keys=True, separators=(",", ":"), default=str)


def _timestamp(value: dt.datetime) -> str:
    # The same text as strftime("%Y-%m-%dT%H:%M:%S.%fZ") for every year from 1000 on,
    # at a third of its cost (isoformat is C; the walk hashes a million of these).
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def compute_hash(record: AccessRecord) -> str:
    return hash_values({name: getattr(record, name) for name in HASHED_FIELDS})


#: The hashed names in sorted order: the canonical JSON's key order, built directly.
_SORTED_FIELDS = tuple(sorted(HASHED_FIELDS))
#: One encoder for every hash: canonical JSON (sorted keys, no whitespace, UTF-8 as is).
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def hash_values(values: Mapping[Any, Any]) -> str:
    """The record hash of stored values (a mapping with every name of ``HASHED_FIELDS``).

    SHA-256 of the canonical JSON of the hashed fields; ``recorded_at`` (the one
    timestamp) as UTC text with microseconds.
    """
    content = {name: values[name] for name in _SORTED_FIELDS}
    recorded_at = content["recorded_at"]
    if isinstance(recorded_at, dt.datetime):
        content["recorded_at"] = _timestamp(recorded_at)
    return hashlib.sha256(_ENCODER.encode(content).encode("utf-8")).hexdigest()


def append_record(
    session: Session,
    *,
    now: dt.datetime,
    username: str,
    category: str,
    action: str,
    user_id: int | None = None,
    organisation: str = "",
    workstation: str = "",
    outcome: str = "ok",
    purpose: str = "",
    case_number: str = "",
    query: Mapping[str, Any] | str | None = None,
    detail: str = "",
    target_type: str = "",
    target_id: str | int = "",
) -> AccessRecord:
    """Append one record inside the caller's transaction (it commits with the work).

    The row is written with a Core INSERT rather than through the ORM unit of work (about
    half the CPU per append, see ``benchmarks/bench_audit_append.py``); the returned
    :class:`AccessRecord` carries every stored value and its ``id`` but is not attached
    to ``session``.
    """
    # Flush the caller's pending changes first, as the ORM query used to (autoflush), so
    # the record follows the work it describes and their errors surface in the same place.
    session.flush()
    conn = session.connection()
    transaction = conn.get_transaction()
    cached = session.info.get(_HEAD_KEY)
    if cached is not None and cached[0] is transaction:
        # This transaction already holds the chain lock and wrote the head itself.
        seq, prev_hash, latest = cached[1] + 1, cached[2], cached[3]
    else:
        if conn.dialect.name == "postgresql":
            conn.execute(_PG_LOCK_STMT, {"key": _PG_CHAIN_LOCK})
        last = conn.execute(_APPEND_HEAD_STMT).first()
        seq, prev_hash, latest = (1, GENESIS_HASH, None)
        if last is not None:
            seq, prev_hash, latest = last[0] + 1, last[1], last[2]
    # Microsecond precision is what both backends store; hash what is stored.
    recorded_at = now.astimezone(dt.UTC)
    if latest is not None and recorded_at < latest:
        # Stamped before a record already in the trail: the viewer's date ranges must
        # allow for a step back this far (models.AuditTimeOrder).
        step = (latest - recorded_at) // dt.timedelta(microseconds=1)
        conn.execute(_BACKSTEP_STMT, {"step": step, "at": seq})
    else:
        latest = recorded_at
    record = AccessRecord(
        seq=seq,
        recorded_at=recorded_at,
        user_id=user_id,
        username=username,
        organisation=organisation,
        workstation=workstation,
        category=category,
        action=action,
        outcome=outcome,
        purpose=purpose,
        case_number=case_number,
        query=canonical_query(query),
        detail=detail,
        target_type=target_type,
        target_id=str(target_id),
        prev_hash=prev_hash,
    )
    record.record_hash = compute_hash(record)
    values = {name: getattr(record, name) for name in _STORED_FIELDS}
    key = conn.execute(_INSERT_STMT, values).inserted_primary_key
    assert key is not None
    record.id = key[0]
    session.info[_HEAD_KEY] = (transaction, seq, record.record_hash, latest)
    return record


#: ``progress(checked, total)``: records verified so far out of those to verify.
Progress = Callable[[int, int], None]
#: ``cancel()`` true: stop at the next batch (the report says it was cancelled).
Cancel = Callable[[], bool]


@dataclass(frozen=True)
class ChainReport:
    """Result of a chain check: ``ok`` or the first broken link and what is wrong.

    ``checked`` counts the records whose links and hashes were verified in this check;
    an incremental check (``resumed_from``: the seq of the signed checkpoint it trusted)
    verifies only the records after it. ``head_seq``/``head_hash`` name the newest record
    the check reached (what a checkpoint signed after it states).
    """

    checked: int
    first_broken_seq: int | None = None
    first_broken_id: int | None = None
    problem: str = ""
    cancelled: bool = False
    resumed_from: int | None = None
    head_seq: int = 0
    head_hash: str = ""
    #: Signed checkpoints (stored and from a file) checked against the trail.
    checkpoints_checked: int = 0
    #: The break was found through a signed checkpoint (the chain itself may link).
    by_checkpoint: bool = False

    @property
    def ok(self) -> bool:
        return self.first_broken_seq is None and not self.cancelled

    @property
    def records(self) -> int:
        """How many records the trail holds up to the head this check reached."""
        return self.head_seq

    def summary(self) -> str:
        if self.cancelled and self.first_broken_seq is None:
            return (
                f"Verification cancelled after {self.checked} records (nothing broken so "
                "far); the trail is not verified."
            )
        if self.first_broken_seq is None:
            signed = (
                f"; {self.checkpoints_checked} signed checkpoint(s) match"
                if self.checkpoints_checked
                else ""
            )
            if self.resumed_from is not None:
                return (
                    f"Access trail intact: {self.head_seq} records; the {self.checked} after "
                    f"signed checkpoint #{self.resumed_from} verified now{signed}."
                )
            return f"Access trail intact: {self.checked} records, every link verified{signed}."
        if self.by_checkpoint:
            return f"Access trail BROKEN at record #{self.first_broken_seq}: {self.problem}."
        row = f" (row id {self.first_broken_id})" if self.first_broken_id is not None else ""
        before = (
            f"{self.checked} records after checkpoint #{self.resumed_from}"
            if self.resumed_from is not None
            else f"{self.checked} records"
        )
        return (
            f"Access trail BROKEN at record #{self.first_broken_seq}{row}: {self.problem}. "
            f"{before} before it are intact."
        )


_WALK_COLUMNS = tuple(
    cast(Table, AccessRecord.__table__).c[name] for name in ("id", *_STORED_FIELDS)
)


def verify_chain(
    session: Session,
    *,
    batch: int = 5000,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    after: tuple[int, str] | None = None,
    release: bool = False,
) -> ChainReport:
    """Walk the chain in sequence order and report the first broken link.

    Args:
        session: Where to read; see ``release``.
        batch: Records read per query (keyset-paged on ``seq``).
        progress: Called after each batch with (records checked, records to check).
        cancel: Asked before each batch; true stops the walk (``cancelled`` report).
        after: ``(seq, record_hash)`` of a record already trusted (a verified signed
            checkpoint): the walk starts after it, linking to that hash. The caller
            checks that the record still has that hash.
        release: End the session's transaction after each batch (the session must hold
            no other work): on SQLite every transaction takes the write lock, so a long
            walk in one transaction would hold up every append meanwhile.
    """
    head = session.execute(_HEAD_STMT).first()
    head_seq = int(head[0]) if head else 0
    start_seq, prev_hash = after if after is not None else (0, GENESIS_HASH)
    expected_seq, checked, last_hash = start_seq + 1, 0, prev_hash
    total = max(head_seq - start_seq, 0)
    resumed = start_seq if after is not None else None
    table = cast(Table, AccessRecord.__table__)
    # Windows of ``batch`` sequence numbers rather than "the next ``batch`` rows": a range
    # that small is an index range scan on every backend, whatever the planner's
    # statistics say (a freshly loaded table's stale ones made PostgreSQL sort the rest
    # of the table for every batch).
    while expected_seq <= head_seq:
        if cancel is not None and cancel():
            if release:
                session.rollback()
            return ChainReport(
                checked, cancelled=True, resumed_from=resumed, head_seq=expected_seq - 1
            )
        upper = min(expected_seq + batch - 1, head_seq)
        stmt = (
            select(*_WALK_COLUMNS)
            .where(table.c.seq >= expected_seq, table.c.seq <= upper)
            .order_by(table.c.seq)
        )
        rows = session.execute(stmt).all()
        if release:
            session.rollback()
        if not rows:
            return ChainReport(
                checked,
                expected_seq,
                None,
                f"records #{expected_seq} to #{upper} are missing (deleted)",
                resumed_from=resumed,
                head_seq=head_seq,
            )
        for row in rows:
            values = row._mapping
            problem = ""
            if values["seq"] != expected_seq:
                problem = (
                    f"sequence number {values['seq']} where {expected_seq} was expected "
                    "(a record was deleted or reordered)"
                )
            elif values["prev_hash"] != prev_hash:
                problem = "its link to the previous record does not match (deleted or reordered)"
            elif hash_values(values) != values["record_hash"]:
                problem = "its content does not match its hash (the record was edited)"
            if problem:
                return ChainReport(
                    checked,
                    values["seq"],
                    values["id"],
                    problem,
                    resumed_from=resumed,
                    head_seq=head_seq,
                )
            checked += 1
            expected_seq += 1
            prev_hash = last_hash = values["record_hash"]
        if progress is not None:
            progress(checked, total)
    missing = _missing_head(session, _first_recorded_at(session))
    if release:
        session.rollback()
    if missing:
        return ChainReport(0, 1, None, missing, resumed_from=resumed, head_seq=head_seq)
    return ChainReport(checked, resumed_from=resumed, head_seq=head_seq, head_hash=last_hash)


def report_outcome(report: ChainReport) -> str:
    """The outcome an ``audit_verify`` record states."""
    return "cancelled" if report.cancelled else "ok" if report.ok else "failed"


def _first_recorded_at(session: Session) -> dt.datetime | None:
    stmt = select(AccessRecord.recorded_at).order_by(AccessRecord.seq).limit(1)
    return session.scalar(stmt)


def _missing_head(session: Session, first_recorded_at: dt.datetime | None) -> str:
    """Why records are missing from the start of the trail, or "" when none are.

    Every account is created by a recorded action stamped with the same clock, and the
    first of them all by ``create_first_administrator``: accounts beside an empty trail,
    a trail without that record, or an account older than the first record mean the head
    of the trail was removed (and the chain restarted), not that it is intact. (A
    consistent rewrite of the whole trail needs the signed checkpoints of the oversight
    work to be caught.)
    """
    oldest = session.scalar(select(func.min(User.created_at)))
    if oldest is None:
        return ""
    users = session.scalar(select(func.count(User.id))) or 0
    if first_recorded_at is None:
        return (
            f"the trail has no records although the database has {users} user(s) "
            "(records are missing)"
        )
    founded = session.scalar(
        select(func.count(AccessRecord.id)).where(
            AccessRecord.action == "create_first_administrator"
        )
    )
    if not founded:
        return (
            f"the database has {users} user(s) but the trail does not record the first "
            "administrator's creation (records are missing from its start)"
        )
    if first_recorded_at - oldest > dt.timedelta(seconds=1):
        return (
            f"the first record ({first_recorded_at:%Y-%m-%d %H:%M:%S} UTC) is newer than the "
            f"oldest account ({oldest:%Y-%m-%d %H:%M:%S} UTC): the records before it are "
            "missing"
        )
    return ""


class AuditService(BaseService):
    """Recording data accesses and reading back the trail, each behind a permission."""

    def record_first(
        self,
        actor: Actor,
        action: Action,
        purpose: str,
        case_number: str,
        query: dict[str, Any],
        detail: str,
    ) -> int:
        """Commit a data-access record (or the refusal) before anything is looked at; its id.

        A purpose or case number that will not do is recorded as a refusal and raised.
        """
        refused: ValidationError | None = None
        record_id = 0
        with self._work(actor, action) as (session, _me):
            try:
                record = self.record_data_access(
                    session,
                    actor,
                    action,
                    purpose=purpose,
                    case_number=case_number,
                    query=query,
                    detail=detail,
                )
                session.flush()
                record_id = record.id
            except ValidationError as exc:
                refused = exc
        if refused is not None:
            self._record_refusal(actor, action, str(refused))
            raise refused
        return record_id

    def record_data_access(
        self,
        session: Session,
        actor: Actor,
        action: Action,
        *,
        purpose: str,
        case_number: str,
        query: Mapping[str, Any] | str | None,
        detail: str = "",
        target_type: str = "",
        target_id: str | int = "",
        require_case_number: bool = True,
    ) -> AccessRecord:
        """Validate purpose and case number, then append a data-access record.

        Called by data services inside their unit of work, *before* any data is returned.
        """
        purposes = load_department_settings(session).purposes
        if purpose not in purposes:
            raise ValidationError(
                "Choose an authorised purpose (policy 471.4); "
                f"{purpose!r} is not on the department's list."
            )
        case_number = clean_text(
            case_number, "the case number", column_length(AccessRecord.case_number)
        )
        if require_case_number and not case_number:
            raise ValidationError("A case or incident number is required.")
        return self._append(
            session,
            actor,
            category="data",
            action=action.value,
            purpose=purpose,
            case_number=case_number,
            query=query,
            detail=detail,
            target_type=target_type,
            target_id=target_id,
        )

    def record_admin(
        self,
        session: Session,
        actor: Actor,
        action: str,
        *,
        detail: str = "",
        target_type: str = "",
        target_id: str | int = "",
        query: Mapping[str, Any] | None = None,
    ) -> AccessRecord:
        return self._append(
            session,
            actor,
            category="admin",
            action=action,
            query=query,
            detail=detail,
            target_type=target_type,
            target_id=target_id,
        )

    def verify(
        self,
        actor: Actor,
        *,
        full: bool = False,
        checkpoints: Iterable[Checkpoint] = (),
        progress: Progress | None = None,
        cancel: Cancel | None = None,
    ) -> ChainReport:
        """Check the chain and its signed checkpoints; the check itself is recorded.

        Resumes after the newest checkpoint that holds unless ``full``; ``checkpoints``
        (from files) must each be extended by the trail. The walk reads in batches, each
        its own short transaction, so appends go on meanwhile; see
        :func:`alpr_desktop.services.audit_checkpoints.verify_trail`.
        """
        from alpr_desktop.services.audit_checkpoints import verify_trail

        with self._work(actor, Action.VERIFY_AUDIT):
            pass  # authorised before the trail is read
        report = verify_trail(
            self.ctx.db.sessions, full=full, given=checkpoints, progress=progress, cancel=cancel
        )
        with self._work(actor, Action.VERIFY_AUDIT, changes=Changes.of(Topic.AUDIT)) as (
            session,
            _user,
        ):
            self._append(
                session,
                actor,
                category="admin",
                action="audit_verify",
                outcome=report_outcome(report),
                detail=report.summary(),
            )
        return report

    def count(self, actor: Actor) -> int:
        with self._work(actor, Action.VIEW_AUDIT) as (session, _user):
            self.record_admin(session, actor, "audit_count")
            return int(session.scalar(select(func.count(AccessRecord.id))) or 0)
