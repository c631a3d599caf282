"""Evidence holds (policy 471.5, requirements §8): reads kept past retention for a case.

An investigator (``REQUEST_EVIDENCE_HOLD``) requests a hold with the case number, the
reason, a review date and the reads it covers — by read ids (chosen from search or
canvass results) or as "every read of plate X between T1 and T2". From the request on,
the purge keeps those reads (a request not yet decided must not lose them). A
supervisor (``APPROVE_EVIDENCE_HOLD``) approves or refuses it — never their own request
(separation of duties) — and a hold is released, with a reason, by a supervisor or by
the investigator who requested it; a refused or released hold protects nothing.

Every step is recorded in the access trail before it returns: the request as a data
access (it selects reads, under a purpose and the case number), the decisions and the
release as records naming the hold, with the reason given. An approved hold's reads are
exported to portable media with a chain of custody (:mod:`.evidence_export`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from alpr_desktop.core.plates import normalize_plate
from alpr_desktop.core.roles import Action
from alpr_desktop.errors import NotFoundError, SeparationOfDutiesError, ValidationError
from alpr_desktop.messages import Changes, Topic
from alpr_desktop.services.audit import AuditService
from alpr_desktop.services.base import Actor, BaseService, ServiceContext
from alpr_desktop.services.evidence_export import export_hold
from alpr_desktop.services.fields import clean_text, column_length
from alpr_desktop.storage.models import EvidenceHold, EvidenceHoldRead, HoldStatus, PlateRead, User

#: The most reads one hold may name by id (a plate and period covers any number).
MAX_READ_IDS = 100_000


@dataclass(frozen=True)
class HoldView:
    id: int
    case_number: str
    reason: str
    status: HoldStatus
    requested_by: str
    requested_at: dt.datetime
    decided_by: str
    decided_at: dt.datetime | None
    review_on: dt.date
    released_at: dt.datetime | None
    read_count: int


@dataclass(frozen=True)
class PlatePeriod:
    """Every read of ``plate`` (as normalised) read from ``start`` to ``end``."""

    plate: str
    start: dt.datetime
    end: dt.datetime


class EvidenceService(BaseService):
    """Requesting, deciding, releasing and listing evidence holds."""

    def __init__(self, ctx: ServiceContext, audit: AuditService) -> None:
        super().__init__(ctx)
        self.audit = audit

    def request(
        self,
        actor: Actor,
        *,
        case_number: str,
        reason: str,
        review_on: dt.date,
        purpose: str,
        read_ids: Sequence[int] = (),
        period: PlatePeriod | None = None,
    ) -> HoldView:
        """Request a hold on ``read_ids`` and/or the reads of ``period`` (recorded first)."""
        case_number = clean_text(
            case_number, "the case number", column_length(EvidenceHold.case_number), required=True
        )
        reason = clean_text(reason, "the reason", 2000, required=True, multiline=True)
        if review_on <= self.ctx.now().date():
            raise ValidationError("The review date must be in the future; no hold was requested.")
        wanted = sorted(set(read_ids))
        if len(wanted) > MAX_READ_IDS:
            raise ValidationError(f"A hold names at most {MAX_READ_IDS:,} reads by id.")
        plate = ""
        if period is not None:
            plate = normalize_plate(period.plate)
            if not plate:
                raise ValidationError("Give the plate whose reads the hold covers.")
            if period.end < period.start:
                raise ValidationError("The period ends before it starts; no hold was requested.")
        if not wanted and period is None:
            raise ValidationError(
                "Choose the reads the hold covers (by id, or a plate and period)."
            )
        changes = Changes.of(Topic.HOLDS)
        with self._work(actor, Action.REQUEST_EVIDENCE_HOLD, changes=changes) as (session, _me):
            query: dict[str, object] = {"read_ids": len(wanted)}
            if period is not None:
                query |= {
                    "plate": plate,
                    "start": period.start.isoformat(),
                    "end": period.end.isoformat(),
                }
            record = self.audit.record_data_access(
                session,
                actor,
                Action.REQUEST_EVIDENCE_HOLD,
                purpose=purpose,
                case_number=case_number,
                query=query,
                target_type="evidence_hold",
            )
            ids = self._reads_covered(session, wanted, plate, period)
            hold = EvidenceHold(
                case_number=case_number,
                reason=reason,
                requested_by_id=actor.user_id,
                requested_at=self.ctx.now(),
                status=HoldStatus.REQUESTED,
                review_on=review_on,
            )
            session.add(hold)
            session.flush()
            for start in range(0, len(ids), 1000):
                chunk = ids[start : start + 1000]
                session.execute(
                    insert(EvidenceHoldRead), [{"hold_id": hold.id, "read_id": i} for i in chunk]
                )
            self.audit.record_admin(
                session,
                actor,
                "evidence_hold_requested",
                target_type="evidence_hold",
                target_id=hold.id,
                detail=f"{len(ids):,} read(s) held for case {case_number} "
                f"(request record {record.seq}); review on {review_on:%Y-%m-%d}. {reason}",
            )
            return _view(session, hold)

    def _reads_covered(
        self, session: Session, wanted: list[int], plate: str, period: PlatePeriod | None
    ) -> list[int]:
        ids: set[int] = set()
        for start in range(0, len(wanted), 1000):
            chunk = wanted[start : start + 1000]
            found = set(session.scalars(select(PlateRead.id).where(PlateRead.id.in_(chunk))))
            missing = sorted(set(chunk) - found)
            if missing:
                raise NotFoundError(
                    f"Read {missing[0]} does not exist (purged?); no hold was requested."
                )
            ids |= found
        if period is not None:
            ids.update(
                session.scalars(
                    select(PlateRead.id).where(
                        PlateRead.plate_normalized == plate,
                        PlateRead.read_at >= period.start,
                        PlateRead.read_at <= period.end,
                    )
                )
            )
            if not ids:
                raise NotFoundError(f"No read of {plate} in that period; no hold was requested.")
        return sorted(ids)

    def approve(self, actor: Actor, hold_id: int, *, note: str = "") -> HoldView:
        """Approve a requested hold (a supervisor other than the requester)."""
        return self._decide(actor, hold_id, approve=True, reason=note)

    def refuse(self, actor: Actor, hold_id: int, *, reason: str) -> HoldView:
        """Refuse a requested hold, with a reason; its reads are then no longer protected."""
        if not reason.strip():
            raise ValidationError("Give the reason for refusing the hold.")
        return self._decide(actor, hold_id, approve=False, reason=reason)

    def _decide(self, actor: Actor, hold_id: int, *, approve: bool, reason: str) -> HoldView:
        reason = clean_text(reason, "the reason", 2000, multiline=True)
        verb = "approve" if approve else "refuse"
        changes = Changes.of(Topic.HOLDS)
        with self._work(actor, Action.APPROVE_EVIDENCE_HOLD, changes=changes) as (session, _me):
            hold = _hold(session, hold_id)
            if hold.status is not HoldStatus.REQUESTED:
                raise ValidationError(
                    f"Hold {hold_id} is {hold.status.value}; only a requested hold can be {verb}d."
                )
            own = hold.requested_by_id == actor.user_id
            if not own:
                hold.status = HoldStatus.APPROVED if approve else HoldStatus.DENIED
                if approve:
                    hold.approved_by_id = actor.user_id
                    hold.approved_at = self.ctx.now()
                self.audit.record_admin(
                    session,
                    actor,
                    "evidence_hold_approved" if approve else "evidence_hold_refused",
                    target_type="evidence_hold",
                    target_id=hold_id,
                    detail=f"Case {hold.case_number}." + (f" {reason}" if reason else ""),
                )
                return _view(session, hold)
        # Separation of duties: the refusal is recorded in a transaction of its own.
        message = "You cannot decide on your own evidence hold request; another supervisor must."
        self._record_refusal(actor, Action.APPROVE_EVIDENCE_HOLD, message)
        raise SeparationOfDutiesError(message)

    def release(self, actor: Actor, hold_id: int, *, reason: str) -> HoldView:
        """Release an approved or requested hold, with a reason (a supervisor, or the
        investigator who requested it); the purge may then take its reads."""
        reason = clean_text(reason, "the reason", 2000, required=True, multiline=True)
        with self.ctx.db.sessions() as session:
            requester = _hold(session, hold_id).requested_by_id
        action = (
            Action.REQUEST_EVIDENCE_HOLD
            if requester == actor.user_id and actor.may(Action.REQUEST_EVIDENCE_HOLD)
            else Action.APPROVE_EVIDENCE_HOLD
        )
        with self._work(actor, action, changes=Changes.of(Topic.HOLDS)) as (session, _me):
            hold = _hold(session, hold_id)
            if hold.status not in (HoldStatus.REQUESTED, HoldStatus.APPROVED):
                raise ValidationError(f"Hold {hold_id} is {hold.status.value}; nothing to release.")
            hold.status = HoldStatus.RELEASED
            hold.released_at = self.ctx.now()
            hold.released_by_id = actor.user_id
            self.audit.record_admin(
                session,
                actor,
                "evidence_hold_released",
                target_type="evidence_hold",
                target_id=hold_id,
                detail=f"Case {hold.case_number}. {reason}",
            )
            return _view(session, hold)

    # ------------------------------------------------------------------ export
    #: Export an approved hold's reads with a chain of custody: a method, see
    #: :func:`~alpr_desktop.services.evidence_export.export_hold`.
    export = export_hold

    def hold_for_export(self, actor: Actor, hold_id: int) -> HoldView:
        """Hold ``hold_id`` as its exporter sees it (``EXPORT_EVIDENCE``; refusals recorded)."""
        with self._work(actor, Action.EXPORT_EVIDENCE) as (session, _me):
            return _view(session, _hold(session, hold_id))

    def record_export(
        self, actor: Actor, hold_id: int, *, detail: str, query: dict[str, object]
    ) -> None:
        """The custody entry of a written export: where it went and its sums."""
        with self._work(actor, Action.EXPORT_EVIDENCE, changes=Changes.of(Topic.HOLDS)) as (
            session,
            _me,
        ):
            self.audit.record_admin(
                session,
                actor,
                "evidence_exported",
                target_type="evidence_hold",
                target_id=hold_id,
                detail=detail,
                query=query,
            )

    def list_holds(self, actor: Actor, *, include_closed: bool = False) -> list[HoldView]:
        """The holds (newest first); requested and approved only unless ``include_closed``."""
        with self._work(
            actor,
            Action.REQUEST_EVIDENCE_HOLD
            if actor.may(Action.REQUEST_EVIDENCE_HOLD)
            else Action.APPROVE_EVIDENCE_HOLD,
        ) as (session, _me):
            query = select(EvidenceHold).order_by(EvidenceHold.id.desc())
            if not include_closed:
                query = query.where(
                    EvidenceHold.status.in_((HoldStatus.REQUESTED, HoldStatus.APPROVED))
                )
            views = [_view(session, h) for h in session.scalars(query)]
            self.audit.record_admin(
                session, actor, "view_evidence_holds", detail=f"{len(views)} hold(s) listed."
            )
            return views


def _hold(session: Session, hold_id: int) -> EvidenceHold:
    hold = session.get(EvidenceHold, hold_id)
    if hold is None:
        raise NotFoundError(f"There is no evidence hold {hold_id}.")
    return hold


def _view(session: Session, hold: EvidenceHold) -> HoldView:
    session.flush()

    def name(user_id: int | None) -> str:
        user = session.get(User, user_id) if user_id is not None else None
        return user.username if user is not None else ""

    count = session.scalar(
        select(func.count())
        .select_from(EvidenceHoldRead)
        .where(EvidenceHoldRead.hold_id == hold.id)
    )
    decided_at = hold.approved_at if hold.status is HoldStatus.APPROVED else None
    return HoldView(
        id=hold.id,
        case_number=hold.case_number,
        reason=hold.reason,
        status=hold.status,
        requested_by=name(hold.requested_by_id),
        requested_at=hold.requested_at,
        decided_by=name(hold.approved_by_id),
        decided_at=decided_at,
        review_on=hold.review_on,
        released_at=hold.released_at,
        read_count=int(count or 0),
    )
