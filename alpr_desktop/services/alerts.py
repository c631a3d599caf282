"""Alerts: the dispatcher's queue, an alert's detail, its disposition, retroactive hits.

Alerts are raised by the ingest path (:mod:`.alert_matcher`) and by
:meth:`AlertService.check_past_reads`. Everything a user does with them here is one unit
of work behind :attr:`Action.REVIEW_ALERT` (dispatchers and supervisors with a current
training record), recorded in the access trail *before* data is returned:

* :meth:`~AlertService.open_queue` — the pending alerts when a workstation starts its
  feed ("opened the alert queue");
* :meth:`~AlertService.poll` — alerts that arrived since (one record per delivery that
  brought any, naming the alert ids), and what became of those already shown;
* :meth:`~AlertService.view` — one alert's detail, with the read's images;
* :meth:`~AlertService.dispose` — accept or reject, with a reason from the department's
  list (settings ``disposition_reasons``) and notes. The update is conditional on the
  alert still being pending, so of two dispatchers deciding at once exactly one wins;
  the other gets :class:`AlertAlreadyDecided` naming who decided, and the attempt is
  recorded as refused.

Plates appear in the access trail's target and query where the audit needs them, and
never in the ordinary log.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session, aliased

from alpr_desktop.core.roles import Action
from alpr_desktop.errors import NotFoundError, ValidationError
from alpr_desktop.messages import Changes, Topic
from alpr_desktop.services.alert_matcher import (
    StoredRead,
    announce,
    insert_alerts,
    load_index,
    load_stored_reads,
)
from alpr_desktop.services.audit import AuditService
from alpr_desktop.services.base import (
    Actor,
    BaseService,
    ServiceContext,
    load_department_settings,
)
from alpr_desktop.services.fields import clean_text
from alpr_desktop.storage.models import (
    Alert,
    AlertStatus,
    Camera,
    MatchKind,
    PlateRead,
    ReadAlternative,
    StoredImage,
    User,
)

ALERTS = Changes.of(Topic.ALERTS)

#: Policy 471.4(f), shown with every alert and in the disposition dialog.
CLETS_REMINDER = (
    "Verify this hit through CLETS before taking any enforcement action based on it "
    "(policy 471.4(f)): an ALPR read can be wrong, and a hotlist entry can be out of date."
)
#: Most pending alerts one queue load returns (oldest of the most urgent first).
QUEUE_LIMIT = 500
#: How far below the highest id seen a poll looks again: ids are handed out at insert
#: but become visible at commit, so a later id can be seen before an earlier one.
REORDER_SLACK = 1000
_NOTES_LIMIT = 2000
_RETRO_CHUNK = 5000

_ALERTS_TABLE = cast(Table, Alert.__table__)
_Disposer = aliased(User)


@dataclass(frozen=True)
class AlertView:
    """One alert as the queue shows it."""

    id: int
    read_id: int
    status: AlertStatus
    priority: int
    created_at: dt.datetime
    read_at: dt.datetime
    plate_text: str
    confidence: float
    matched_text: str
    match_kind: MatchKind
    explanation: str
    retroactive: bool
    hotlist_name: str
    entry_pattern: str
    category: str
    camera_name: str
    latitude: float | None
    longitude: float | None
    disposed_by: str = ""
    disposed_at: dt.datetime | None = None
    disposition_reason: str = ""

    @property
    def pending(self) -> bool:
        return self.status is AlertStatus.PENDING

    @property
    def sort_key(self) -> tuple[Any, ...]:
        """Queue order: most urgent priority (1) first, then oldest first."""
        return (self.priority, self.created_at, self.id)


@dataclass(frozen=True)
class AlertImage:
    data: bytes
    media_type: str
    width: int
    height: int


@dataclass(frozen=True)
class AlertDetail:
    """Everything the detail pane shows about one alert."""

    alert: AlertView
    #: The entry's fields when the alert was raised (state, category, source,
    #: case_number, notes, expires_at).
    entry: dict[str, Any]
    crop: AlertImage | None
    context: AlertImage | None
    #: The plate's box on the context image, in its pixels (x, y, w, h); None when the
    #: read has no context image or did not record its frame's size.
    box: tuple[float, float, float, float] | None
    alternatives: tuple[tuple[str, float], ...]
    frames_voted: int
    camera_mobile: bool
    disposition_notes: str
    reminder: str = CLETS_REMINDER


@dataclass(frozen=True)
class AlertBatch:
    """What one queue load or poll returned."""

    #: Alerts not seen before, in queue order.
    new: list[AlertView]
    #: Alerts asked about (``watch``) that are no longer pending.
    decided: list[AlertView]
    #: The highest alert id seen so far (pass it back as ``after_id``).
    last_id: int
    #: The database clock when this was read (pass it back as ``since``).
    polled_at: dt.datetime | None = None


@dataclass(frozen=True)
class RetroactiveResult:
    """What a check of past reads against new entries found."""

    entries: int
    reads_checked: int
    alerts_raised: int
    since: dt.datetime


class AlertAlreadyDecided(ValidationError):
    """Another user disposed of the alert first; ``decision`` says who and how."""

    def __init__(self, decision: AlertView) -> None:
        when = decision.disposed_at.strftime("%H:%M:%S") if decision.disposed_at else ""
        super().__init__(
            f"Alert {decision.id} was already {decision.status.value} by "
            f"{decision.disposed_by or 'another user'}{' at ' + when if when else ''}"
            f"{' (' + decision.disposition_reason + ')' if decision.disposition_reason else ''}."
        )
        self.decision = decision


class AlertService(BaseService):
    def __init__(self, ctx: ServiceContext, audit: AuditService) -> None:
        super().__init__(ctx)
        self.audit = audit

    # ------------------------------------------------------------------ the feed
    def open_queue(self, actor: Actor, *, limit: int = QUEUE_LIMIT) -> AlertBatch:
        """The pending alerts, most urgent first; recorded as opening the queue."""
        with self._work(actor, Action.REVIEW_ALERT) as (session, _me):
            total = session.scalar(
                select(func.count(Alert.id)).where(Alert.status == AlertStatus.PENDING)
            )
            rows = session.execute(
                _view_query()
                .where(Alert.status == AlertStatus.PENDING)
                .order_by(Alert.priority, Alert.created_at, Alert.id)
                .limit(limit)
            )
            views = [_view(row) for row in rows]
            last = session.scalar(select(func.max(Alert.id))) or 0
            self._append(
                session,
                actor,
                category="data",
                action=Action.REVIEW_ALERT.value,
                detail="opened the alert queue",
                query={"pending": total or 0, "shown": len(views)},
            )
            return AlertBatch(views, [], int(last), self.ctx.now())

    def poll(
        self,
        actor: Actor,
        *,
        after_id: int,
        known: Collection[int] = (),
        watch: Collection[int] = (),
        ids: Collection[int] = (),
        since: dt.datetime | None = None,
    ) -> AlertBatch:
        """Alerts raised since ``after_id`` (and ``ids``, announced) not in ``known``,
        plus those of ``watch`` that have been decided meanwhile.

        Ids are handed out at insert and seen at commit, so an alert can become visible
        after one with a higher id: the poll also looks up to :data:`REORDER_SLACK` ids
        back — only at alerts created since ``since`` (the previous poll's
        ``polled_at``, less a margin) when given. A poll that brings new alerts is
        recorded, naming them; an empty one is not.
        """
        floor = max(0, after_id - REORDER_SLACK)
        known_set = set(known)
        with self._work(actor, Action.REVIEW_ALERT) as (session, _me):
            polled_at = self.ctx.now()
            wanted = Alert.id > floor
            if since is not None:
                wanted = (Alert.id > after_id) | (wanted & (Alert.created_at >= since))
            if ids:
                wanted = wanted | Alert.id.in_(sorted(set(ids)))
            rows = session.execute(_view_query().where(wanted).order_by(Alert.id))
            new = [v for v in (_view(r) for r in rows) if v.id not in known_set]
            decided: list[AlertView] = []
            if watch:
                rows = session.execute(
                    _view_query().where(
                        Alert.id.in_(sorted(set(watch))), Alert.status != AlertStatus.PENDING
                    )
                )
                decided = [_view(r) for r in rows]
            last = max([after_id, *(v.id for v in new)])
            if new:
                self._append(
                    session,
                    actor,
                    category="data",
                    action=Action.REVIEW_ALERT.value,
                    detail=f"received {len(new)} alert(s)",
                    target_type="alert",
                    target_id=",".join(str(v.id) for v in new)[:64],
                    query={"alerts": [v.id for v in new]},
                )
            new.sort(key=lambda v: v.sort_key)
            return AlertBatch(new, decided, last, polled_at)

    # ------------------------------------------------------------------ one alert
    def view(self, actor: Actor, alert_id: int) -> AlertDetail:
        """One alert's detail with the read's crop and context image (recorded first)."""
        with self._work(actor, Action.REVIEW_ALERT) as (session, _me):
            row = session.execute(_view_query().where(Alert.id == alert_id)).one_or_none()
            if row is None:
                raise NotFoundError(f"There is no alert {alert_id}.")
            view = _view(row)
            self._append(
                session,
                actor,
                category="data",
                action=Action.REVIEW_ALERT.value,
                detail="viewed an alert",
                target_type="alert",
                target_id=alert_id,
                query={"alert": alert_id, "read": view.read_id, "plate": view.plate_text},
            )
            return _detail(session, view)

    def reasons(self, actor: Actor) -> list[str]:
        """The department's disposition reasons (settings ``disposition_reasons``)."""
        with self._work(actor, Action.REVIEW_ALERT) as (session, _me):
            return list(load_department_settings(session).disposition_reasons)

    def dispose(
        self, actor: Actor, alert_id: int, *, accept: bool, reason: str, notes: str = ""
    ) -> AlertView:
        """Accept or reject a pending alert with one of the department's reasons.

        Raises:
            ValidationError: no reason, or one not on the department's list.
            AlertAlreadyDecided: another user decided first (recorded as refused).
            NotFoundError: no such alert.
        """
        notes = clean_text(notes, "the notes", _NOTES_LIMIT, multiline=True)
        status = AlertStatus.ACCEPTED if accept else AlertStatus.REJECTED
        lost: AlertView | None = None
        with self._work(actor, Action.REVIEW_ALERT, changes=ALERTS) as (session, me):
            reasons = load_department_settings(session).disposition_reasons
            if not reason.strip():
                raise ValidationError("Choose a reason for the decision.")
            if reason not in reasons:
                raise ValidationError(f"{reason!r} is not one of the department's reasons.")
            now = self.ctx.now()
            done = session.execute(
                update(_ALERTS_TABLE)
                .where(
                    _ALERTS_TABLE.c.id == alert_id, _ALERTS_TABLE.c.status == AlertStatus.PENDING
                )
                .values(
                    status=status,
                    disposition_reason=reason,
                    disposition_notes=notes,
                    disposed_by_id=me.id,
                    disposed_at=now,
                )
            )
            row = session.execute(_view_query().where(Alert.id == alert_id)).one_or_none()
            if row is None:
                raise NotFoundError(f"There is no alert {alert_id}.")
            view = _view(row)
            if cast(Any, done).rowcount != 1:
                lost = view
            else:
                self._append(
                    session,
                    actor,
                    category="data",
                    action=Action.REVIEW_ALERT.value,
                    detail=f"{status.value} an alert",
                    target_type="alert",
                    target_id=alert_id,
                    query={
                        "alert": alert_id,
                        "decision": status.value,
                        "reason": reason,
                        "notes": notes,
                    },
                )
                announce(session.connection(), [alert_id])
        if lost is not None:
            self._record_refusal(
                actor,
                Action.REVIEW_ALERT,
                f"alert {alert_id} already {lost.status.value} by {lost.disposed_by}",
            )
            raise AlertAlreadyDecided(lost)
        return view

    # ------------------------------------------------------------------ retroactive
    def check_past_reads(
        self,
        actor: Actor,
        *,
        entry_ids: Sequence[int] | None = None,
        hotlist_id: int | None = None,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> RetroactiveResult:
        """Match the reads of the retention period against new entries (retroactive hits).

        ``entry_ids`` (an added or changed entry) or ``hotlist_id`` (an import) say which
        entries; inactive lists and expired entries never match. Reads are checked in
        chunks of their own transaction each, so a long check holds no lock and a
        cancelled one keeps the alerts already raised (they are real hits).
        ``progress(reads_checked, reads_total)`` is called after each chunk.

        Raises:
            PermissionDenied: no ``MANAGE_HOTLISTS`` (the administrator who changed the
                list starts this; the alerts go to the dispatchers).
        """
        if entry_ids is None and hotlist_id is None:
            raise ValidationError("Say which entries to check: entry ids or a hotlist.")
        with self._work(actor, Action.MANAGE_HOTLISTS) as (session, _me):
            now = self.ctx.now()
            retention = load_department_settings(session).retention_days
            since = now - dt.timedelta(days=retention)
            conn = session.connection()
            index = load_index(conn, now, entry_ids=entry_ids, hotlist_id=hotlist_id)
            bounds = select(func.count(PlateRead.id), func.max(PlateRead.id)).where(
                PlateRead.read_at >= since
            )
            total, top = session.execute(bounds).one()
        total, top = int(total or 0), int(top or 0)
        checked = raised = 0
        after = 0
        while index.size and checked < total and after < top:
            if cancelled is not None and cancelled():
                break
            with self.ctx.db.engine.begin() as conn:
                reads = _past_reads(conn, since, after, top)
                if not reads:
                    break
                after = reads[-1].read_id
                raised += len(insert_alerts(conn, index, reads, now=now, retroactive=True))
            checked += len(reads)
            if progress is not None:
                progress(checked, total)
        with self._work(actor, Action.MANAGE_HOTLISTS) as (session, _me):
            self.audit.record_admin(
                session,
                actor,
                "check_past_reads",
                target_type="hotlist",
                target_id=hotlist_id if hotlist_id is not None else "",
                query={
                    "entries": sorted(entry_ids) if entry_ids is not None else None,
                    "hotlist": hotlist_id,
                    "entries_checked": index.size,
                    "reads_checked": checked,
                    "alerts_raised": raised,
                    "since": since.isoformat(),
                },
            )
        if raised:
            self.ctx.changes.publish(ALERTS)
        return RetroactiveResult(index.size, checked, raised, since)


def _past_reads(conn: Any, since: dt.datetime, after: int, top: int) -> list[StoredRead]:
    ids = (
        conn.execute(
            select(PlateRead.id)
            .where(PlateRead.id > after, PlateRead.id <= top, PlateRead.read_at >= since)
            .order_by(PlateRead.id)
            .limit(_RETRO_CHUNK)
        )
        .scalars()
        .all()
    )
    reads = load_stored_reads(conn, ids) if ids else []
    reads.sort(key=lambda r: r.read_id)
    return reads


def _view_query() -> Any:
    return (
        select(
            Alert.id,
            Alert.read_id,
            Alert.status,
            Alert.priority,
            Alert.created_at,
            Alert.matched_text,
            Alert.match_kind,
            Alert.explanation,
            Alert.retroactive,
            Alert.hotlist_name,
            Alert.entry_pattern,
            Alert.entry_snapshot,
            Alert.disposed_at,
            Alert.disposition_reason,
            PlateRead.read_at,
            PlateRead.plate_text,
            PlateRead.confidence,
            PlateRead.latitude,
            PlateRead.longitude,
            Camera.name.label("camera_name"),
            _Disposer.username.label("disposed_by"),
        )
        .join(PlateRead, PlateRead.id == Alert.read_id)
        .outerjoin(Camera, Camera.id == PlateRead.camera_id)
        .outerjoin(_Disposer, _Disposer.id == Alert.disposed_by_id)
    )


def parse_snapshot(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _view(row: Any) -> AlertView:
    return AlertView(
        id=row.id,
        read_id=row.read_id,
        status=AlertStatus(row.status),
        priority=row.priority,
        created_at=row.created_at,
        read_at=row.read_at,
        plate_text=row.plate_text,
        confidence=row.confidence,
        matched_text=row.matched_text,
        match_kind=MatchKind(row.match_kind),
        explanation=row.explanation,
        retroactive=bool(row.retroactive),
        hotlist_name=row.hotlist_name,
        entry_pattern=row.entry_pattern,
        category=str(parse_snapshot(row.entry_snapshot).get("category", "")),
        camera_name=row.camera_name or "",
        latitude=row.latitude,
        longitude=row.longitude,
        disposed_by=row.disposed_by or "",
        disposed_at=row.disposed_at,
        disposition_reason=row.disposition_reason,
    )


def _detail(session: Session, view: AlertView) -> AlertDetail:
    alert = session.get(Alert, view.id)
    read = session.get(PlateRead, view.read_id)
    assert alert is not None and read is not None
    camera = session.get(Camera, read.camera_id) if read.camera_id is not None else None
    alternatives = tuple(
        (alt.plate_text, alt.confidence)
        for alt in session.scalars(
            select(ReadAlternative)
            .where(ReadAlternative.read_id == read.id)
            .order_by(ReadAlternative.rank)
        )
    )
    crop = _image(session, read.crop_image_id)
    context = _image(session, read.context_image_id)
    box = read.box_on(context.width) if context is not None else None
    return AlertDetail(
        alert=view,
        entry=parse_snapshot(alert.entry_snapshot),
        crop=crop,
        context=context,
        box=box,
        alternatives=alternatives,
        frames_voted=read.frames_voted,
        camera_mobile=bool(camera is not None and camera.mobile),
        disposition_notes=alert.disposition_notes,
    )


def _image(session: Session, image_id: int | None) -> AlertImage | None:
    if image_id is None:
        return None
    image = session.get(StoredImage, image_id)
    if image is None:
        return None
    return AlertImage(image.data, image.media_type, image.width, image.height)
