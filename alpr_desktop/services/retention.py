"""Retention (policy 471.5, requirements §8): the retention setting and the purge.

**Setting.** The commander (``SET_RETENTION``) sets the period; under 365 days
(Gov. Code 34090.6) only with an explicit confirmation and a reason, both recorded in
the trail. :class:`~alpr_desktop.settings.DepartmentSettings` refuses a new period under
365 days from any other path (the general settings form).

**Purge.** :meth:`RetentionService.purge` deletes the reads older than ``now -
retention_days`` with everything that hangs on them — alternatives, alerts, hold links
of released or refused holds, their search-index rows (FTS5 triggers on SQLite, the GIN
indexes on PostgreSQL, and the plate dictionary through
:func:`~alpr_desktop.storage.search_index.prune_dictionary`) and the images no read
refers to any more. A read linked to a hold that is *requested* or *approved* is kept: a
request not yet decided must not lose its reads to the purge that runs meanwhile.

It works in bounded batches, each its own transaction holding one set of reads with all
their dependants and now-unreferenced images, so a power cut or a SIGKILL leaves either
the whole batch or none of it, and the next run simply goes on. The ``purge_log`` row is
written before the first batch and brought up to date inside every batch's transaction:
it is right however the run ends. On PostgreSQL a session-level advisory lock lets one
workstation purge at a time; the others are told and do nothing.

Every run is in the access trail: started, then finished or stopped (a scheduled run
acts as the ``system`` user, as the start-up checks do); a dry run is recorded as a
preview and deletes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, exists, func, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from alpr_desktop.core.roles import Action
from alpr_desktop.errors import AlprError, ValidationError
from alpr_desktop.messages import Changes, Topic
from alpr_desktop.services.audit import AuditService
from alpr_desktop.services.base import Actor, BaseService, ServiceContext, load_department_settings
from alpr_desktop.services.fields import clean_text
from alpr_desktop.settings import MIN_RETENTION_DAYS, DepartmentSettings
from alpr_desktop.storage.models import (
    Alert,
    EvidenceHold,
    EvidenceHoldRead,
    HoldStatus,
    PlateRead,
    PurgeLog,
    ReadAlternative,
    SettingRow,
    StoredImage,
    User,
)
from alpr_desktop.storage.search_index import prune_dictionary

log = logging.getLogger(__name__)

_READS: Table = PlateRead.__table__  # type: ignore[assignment]
_ALTS: Table = ReadAlternative.__table__  # type: ignore[assignment]
_ALERTS: Table = Alert.__table__  # type: ignore[assignment]
_IMAGES: Table = StoredImage.__table__  # type: ignore[assignment]
_HOLDS: Table = EvidenceHold.__table__  # type: ignore[assignment]
_HOLD_READS: Table = EvidenceHoldRead.__table__  # type: ignore[assignment]
_LOG: Table = PurgeLog.__table__  # type: ignore[assignment]

#: Hold states that keep their reads from the purge.
PROTECTING = (HoldStatus.REQUESTED, HoldStatus.APPROVED)
#: The PostgreSQL advisory-lock key of the purge (any constant; "ALPRPURG" in ASCII).
PURGE_LOCK_KEY = 0x414C505250555247
DEFAULT_BATCH = 1000
BUSY_MESSAGE = "Another workstation is purging the database now; nothing was purged here."

#: ``progress(purged_so_far, expected_total)`` after each batch.
Progress = Callable[[int, int], None]
#: ``stop()`` true: finish the current batch and stop (a rerun completes the purge).
Stop = Callable[[], bool]


class PurgeBusyError(AlprError):
    """Another workstation holds the purge lock (PostgreSQL)."""


@dataclass(frozen=True)
class PurgeReport:
    """What a purge deleted (or, for a dry run, would delete)."""

    cutoff: dt.datetime
    dry_run: bool
    reads: int
    images: int
    held_reads_kept: int
    oldest: dt.datetime | None
    newest: dt.datetime | None
    batches: int = 0
    stopped: bool = False
    log_id: int | None = None

    def summary(self) -> str:
        verb = "would purge" if self.dry_run else "purged"
        span = (
            f" read between {self.oldest:%Y-%m-%d %H:%M} and {self.newest:%Y-%m-%d %H:%M} UTC"
            if self.oldest and self.newest
            else ""
        )
        text_ = (
            f"Cutoff {self.cutoff:%Y-%m-%d %H:%M} UTC: {verb} {self.reads:,} read(s){span} "
            f"and {self.images:,} image(s); {self.held_reads_kept:,} expired read(s) kept "
            "under evidence holds."
        )
        if self.stopped:
            text_ += " Stopped before the end: the next purge completes it."
        return text_


@dataclass(frozen=True)
class RetentionOverview:
    retention_days: int
    oldest_read_at: dt.datetime | None
    last_purges: tuple[PurgeLog, ...]
    #: The username of each user id in ``last_purges`` (a scheduled run has none).
    usernames: dict[int, str] = dataclasses.field(default_factory=dict)


def _active_hold(read_id: Any) -> Any:
    """SQL: the read ``read_id`` is on a hold that protects it."""
    return exists(
        select(1)
        .select_from(_HOLD_READS.join(_HOLDS, _HOLDS.c.id == _HOLD_READS.c.hold_id))
        .where(_HOLD_READS.c.read_id == read_id, _HOLDS.c.status.in_(PROTECTING))
    )


def _referenced(image_id: Any, *, among: Any = None) -> Any:
    """SQL: some read (``among``: a condition on it) refers to image ``image_id``."""
    refs = (_READS.c.crop_image_id == image_id) | (_READS.c.context_image_id == image_id)
    return exists(select(1).where(refs if among is None else and_(refs, among)))


class RetentionService(BaseService):
    """The retention setting and the purge of expired reads."""

    def __init__(self, ctx: ServiceContext, audit: AuditService) -> None:
        super().__init__(ctx)
        self.audit = audit

    # ------------------------------------------------------------------ setting
    def overview(self, actor: Actor) -> RetentionOverview:
        """The period, the oldest read's date and the last ten purges (recorded)."""
        with self._work(actor, Action.VIEW_COMPLIANCE) as (session, _me):
            days = load_department_settings(session).retention_days
            oldest = session.scalar(select(func.min(PlateRead.read_at)))
            purges = tuple(session.scalars(select(PurgeLog).order_by(PurgeLog.id.desc()).limit(10)))
            ids = {p.ran_by_id for p in purges if p.ran_by_id is not None}
            names: dict[int, str] = {
                user_id: name
                for user_id, name in session.execute(
                    select(User.id, User.username).where(User.id.in_(ids))
                )
            }
            session.expunge_all()
            self.audit.record_admin(session, actor, "view_retention", target_type="retention")
            return RetentionOverview(days, oldest, purges, names)

    def set_retention(
        self, actor: Actor, days: int, *, confirm_short: bool = False, reason: str = ""
    ) -> DepartmentSettings:
        """Set the retention period (commander); under 365 days needs ``confirm_short``
        and a ``reason`` (policy 471.5), recorded with the change."""
        reason = clean_text(reason, "the reason", 500)
        if days < MIN_RETENTION_DAYS and not (confirm_short and reason):
            raise ValidationError(
                f"A retention period under {MIN_RETENTION_DAYS} days (policy 471.5, Gov. Code "
                "34090.6) needs an explicit confirmation and a reason; nothing was changed."
            )
        changes = Changes.of(Topic.SETTINGS)
        with self._work(actor, Action.SET_RETENTION, changes=changes) as (session, _me):
            before = load_department_settings(session)
            after = before.with_retention(days, confirmed=days < MIN_RETENTION_DAYS)
            value = after.to_rows()["retention_days"]
            row = session.get(SettingRow, "retention_days")
            if row is None:
                session.add(
                    SettingRow(key="retention_days", value=value, updated_by_id=actor.user_id)
                )
            else:
                row.value = value
                row.updated_at = self.ctx.now()
                row.updated_by_id = actor.user_id
            old = before.to_rows()["retention_days"]
            detail = f"Retention set to {days} days."
            if days < MIN_RETENTION_DAYS:
                detail = f"Retention under {MIN_RETENTION_DAYS} days confirmed: {reason}"
            elif reason:
                detail += f" Reason: {reason}"
            # The same record as the settings form's, so compliance finds either.
            self.audit.record_admin(
                session,
                actor,
                "update_settings",
                target_type="settings",
                detail=detail,
                query={"retention_days": {"before": old, "after": value}},
            )
            return after

    # ------------------------------------------------------------------ purge
    def purge(
        self,
        actor: Actor | None,
        *,
        dry_run: bool = False,
        batch: int = DEFAULT_BATCH,
        progress: Progress | None = None,
        stop: Stop | None = None,
    ) -> PurgeReport:
        """Purge the expired reads (see the module docstring); ``actor`` None: scheduled.

        Raises :class:`PurgeBusyError` when another workstation is purging (PostgreSQL).
        """
        if batch < 1:
            raise ValidationError("The purge batch size must be at least 1.")
        if actor is not None and not actor.may(Action.RUN_PURGE):
            with self._work(actor, Action.RUN_PURGE):  # refuses, recorded, before the lock
                pass
        with self._purge_lock(actor):
            preview = self._start(actor, dry_run)
            if dry_run:
                return preview
            return self._run(actor, preview, batch, progress, stop)

    @contextmanager
    def _purge_lock(self, actor: Actor | None) -> Iterator[None]:
        if self.ctx.db.backend != "postgresql":
            yield  # SQLite: one writer at a time anyway; each batch stands alone
            return
        with self.ctx.db.engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": PURGE_LOCK_KEY})
            conn.commit()
            if not got.scalar():
                self._record(actor, "purge", outcome="refused", detail=BUSY_MESSAGE)
                raise PurgeBusyError(BUSY_MESSAGE)
            try:
                yield
            finally:
                try:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PURGE_LOCK_KEY})
                    conn.commit()
                except OperationalError:  # the connection is gone: so is its lock
                    log.warning("could not release the purge lock explicitly")

    def _start(self, actor: Actor | None, dry_run: bool) -> PurgeReport:
        """Authorise, count what is due and record the start (or the preview)."""
        with self._unit(actor) as session:
            days = load_department_settings(session).retention_days
            cutoff = self.ctx.now() - dt.timedelta(days=days)
            conn = session.connection()
            due = and_(_READS.c.read_at < cutoff, ~_active_hold(_READS.c.id))
            reads, oldest, newest = conn.execute(
                select(func.count(), func.min(_READS.c.read_at), func.max(_READS.c.read_at)).where(
                    due
                )
            ).one()
            held = conn.execute(
                select(func.count()).where(_READS.c.read_at < cutoff, _active_hold(_READS.c.id))
            ).scalar_one()
            images = conn.execute(
                select(func.count())
                .select_from(_IMAGES)
                .where(
                    _referenced(_IMAGES.c.id, among=due),
                    ~_referenced(_IMAGES.c.id, among=~due),
                )
            ).scalar_one()
            report = PurgeReport(cutoff, dry_run, reads, images, held, oldest, newest)
            log_id = None
            if not dry_run:
                log_id = conn.execute(
                    _LOG.insert().values(
                        ran_at=self.ctx.now(),
                        ran_by_id=actor.user_id if actor else None,
                        cutoff=cutoff,
                        reads_purged=0,
                        images_purged=0,
                        held_reads_kept=held,
                    )
                ).inserted_primary_key[0]
            self._append_purge(
                session,
                actor,
                "purge_preview" if dry_run else "purge",
                detail=("Dry run: " if dry_run else "Started: ") + report.summary(),
                target_id=log_id or "",
                query={"cutoff": cutoff.isoformat(), "retention_days": days},
            )
            return dataclasses.replace(report, log_id=log_id)

    def _run(
        self,
        actor: Actor | None,
        expected: PurgeReport,
        batch: int,
        progress: Progress | None,
        stop: Stop | None,
    ) -> PurgeReport:
        reads = images = batches = 0
        oldest: dt.datetime | None = None
        newest: dt.datetime | None = None
        stopped = False
        assert expected.log_id is not None
        while True:
            if stop is not None and stop():
                stopped = True
                break
            done = self._batch(expected.cutoff, batch, expected.log_id)
            if done is None:
                break
            batches += 1
            if not done.reads:
                continue  # every read of the batch was put under a hold meanwhile
            reads += done.reads
            images += done.images
            oldest = done.oldest if oldest is None or done.oldest < oldest else oldest
            newest = done.newest if newest is None or done.newest > newest else newest
            if progress is not None:
                progress(reads, max(expected.reads, reads))
        report = PurgeReport(
            expected.cutoff,
            False,
            reads,
            images,
            expected.held_reads_kept,
            oldest,
            newest,
            batches,
            stopped,
            expected.log_id,
        )
        with self.ctx.db.sessions.begin() as session:
            self._append_purge(
                session,
                actor,
                "purge",
                detail=("Stopped: " if stopped else "Finished: ") + report.summary(),
                target_id=expected.log_id,
            )
        if reads:
            self.ctx.changes.publish(Changes.of(Topic.READS, Topic.ALERTS))
        return report

    def _batch(self, cutoff: dt.datetime, size: int, log_id: int) -> _Batch | None:
        """Delete one batch in one transaction; None when nothing is left to purge.

        A batch that collides with a concurrent writer (an image just re-used by a new
        read) is rolled back whole and tried once more.
        """
        for attempt in (1, 2):
            try:
                with self.ctx.db.engine.begin() as conn:
                    return _purge_batch(conn, cutoff, size, log_id)
            except IntegrityError:
                if attempt == 2:
                    raise
                log.info("purge batch collided with a concurrent write; retrying")
        return None  # pragma: no cover - the loop returns or raises

    # ------------------------------------------------------------------ helpers
    @contextmanager
    def _unit(self, actor: Actor | None) -> Iterator[Any]:
        """An authorised unit of work for ``actor``, or a plain one for the scheduler."""
        if actor is not None:
            with self._work(actor, Action.RUN_PURGE) as (session, _me):
                yield session
            return
        with self.ctx.db.sessions.begin() as session:
            yield session

    def _record(self, actor: Actor | None, action: str, **fields: Any) -> None:
        with self.ctx.db.sessions.begin() as session:
            self._append_purge(session, actor, action, **fields)

    def _append_purge(self, session: Any, actor: Actor | None, action: str, **fields: Any) -> None:
        fields.setdefault("target_type", "purge_log")
        self._append(session, actor, category="admin", action=action, **fields)


@dataclass(frozen=True)
class _Batch:
    reads: int
    images: int
    oldest: dt.datetime
    newest: dt.datetime


def _purge_batch(conn: Connection, cutoff: dt.datetime, size: int, log_id: int) -> _Batch | None:
    """One batch: the oldest ``size`` due reads, their dependants, their orphaned images.

    On PostgreSQL the reads are locked first (``FOR UPDATE``): a hold being placed on one
    of them now waits for this transaction and then finds the read gone, and a hold
    committed before the lock is seen by the hold check that follows it.
    """
    candidates = (
        select(_READS.c.id)
        .where(_READS.c.read_at < cutoff, ~_active_hold(_READS.c.id))
        .order_by(_READS.c.read_at, _READS.c.id)
        .limit(size)
    )
    if conn.dialect.name == "postgresql":
        candidates = candidates.with_for_update(of=_READS)
    locked = [row.id for row in conn.execute(candidates)]
    if not locked:
        return None
    rows = conn.execute(
        select(
            _READS.c.id,
            _READS.c.read_at,
            _READS.c.plate_normalized,
            _READS.c.plate_folded,
            _READS.c.crop_image_id,
            _READS.c.context_image_id,
        ).where(_READS.c.id.in_(locked), ~_active_hold(_READS.c.id))
    ).all()
    if not rows:
        return _Batch(0, 0, cutoff, cutoff)  # all held meanwhile: the next batch goes on
    ids = [r.id for r in rows]
    texts = {t for r in rows for t in (r.plate_normalized, r.plate_folded)}
    texts.update(
        conn.execute(select(_ALTS.c.plate_normalized).where(_ALTS.c.read_id.in_(ids))).scalars()
    )
    image_ids = sorted(
        {i for r in rows for i in (r.crop_image_id, r.context_image_id) if i is not None}
    )
    # Dependants first and explicitly: the search-index triggers fire on these deletes.
    conn.execute(delete(_ALTS).where(_ALTS.c.read_id.in_(ids)))
    conn.execute(delete(_ALERTS).where(_ALERTS.c.read_id.in_(ids)))
    conn.execute(delete(_HOLD_READS).where(_HOLD_READS.c.read_id.in_(ids)))
    conn.execute(delete(_READS).where(_READS.c.id.in_(ids)))
    images = 0
    if image_ids:
        images = int(
            conn.execute(
                delete(_IMAGES).where(_IMAGES.c.id.in_(image_ids), ~_referenced(_IMAGES.c.id))
            ).rowcount
        )
    prune_dictionary(conn, texts)
    oldest = min(r.read_at for r in rows)
    newest = max(r.read_at for r in rows)
    entry = conn.execute(
        select(_LOG.c.oldest_purged_at, _LOG.c.newest_purged_at).where(_LOG.c.id == log_id)
    ).one()
    conn.execute(
        update(_LOG)
        .where(_LOG.c.id == bindparam("log_id"))
        .values(
            reads_purged=_LOG.c.reads_purged + len(ids),
            images_purged=_LOG.c.images_purged + images,
            oldest_purged_at=_earliest(entry.oldest_purged_at, oldest),
            newest_purged_at=_latest(entry.newest_purged_at, newest),
        ),
        {"log_id": log_id},
    )
    return _Batch(len(ids), images, oldest, newest)


def _earliest(a: dt.datetime | None, b: dt.datetime) -> dt.datetime:
    return b if a is None or _naive(b) < _naive(a) else a


def _latest(a: dt.datetime | None, b: dt.datetime) -> dt.datetime:
    return b if a is None or _naive(b) > _naive(a) else a


def _naive(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
