"""Release requests (policy 471.7; Civ. Code 1798.90.55; requirements §7).

An officer (``CREATE_RELEASE_REQUEST``) records a written request from another agency
— who asks, for what, on what legal basis, the data asked for as a saved search, and
the written request itself as an attachment — as a draft, and submits it. The
commander (``DECIDE_RELEASE_REQUEST``) approves, denies or refers it; approval is
refused, with the reason, unless the agency is a California state or local public
agency (:func:`alpr_desktop.core.releases.approval_blocker`), and such a request is
referred to records release instead. A decision is one conditional UPDATE (``WHERE
status = 'submitted'``), so two workstations deciding at once yield one decision and
the other is told who decided. An approved request is fulfilled
(:mod:`.release_package`): the saved search runs under the request's purpose and case
number, the package is written and the sharing log names it.

Every step is in the access trail: writing, editing, submitting, deciding, listing
and opening requests, attachments and the sharing log; the fulfilment is a data access
recorded before a read is looked at. Decided requests are frozen by the service and by
a database trigger (migration 0009).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from alpr_desktop.core.releases import (
    DECIDED,
    AgencyType,
    ReleaseStatus,
    RequestFields,
    Step,
    approval_blocker,
    check_fields,
    next_status,
)
from alpr_desktop.core.roles import Action, Role, is_permitted
from alpr_desktop.errors import NotFoundError, PermissionDenied, ValidationError
from alpr_desktop.messages import Changes, Topic
from alpr_desktop.services.audit import AuditService
from alpr_desktop.services.base import Actor, BaseService, ServiceContext
from alpr_desktop.services.fields import clean_text
from alpr_desktop.services.release_package import fulfil_request
from alpr_desktop.services.release_records import (
    AttachmentView,
    ReleaseView,
    SavedQuery,
    ShareView,
    assign_fields,
    attachment_rows,
    attachment_view,
    release_view,
    request_row,
    row_fields,
    saved_query,
    share_view,
    username_of,
)
from alpr_desktop.services.search import SearchService
from alpr_desktop.storage.models import (
    ReleaseAttachment,
    ReleaseRequest,
    ReleaseShare,
    User,
)

#: The largest attachment kept (a scanned written request, a court order).
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_ATTACHMENTS = 20
#: What an attachment may be, by its first bytes: the written request as a PDF or image.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
_MULTILINE = frozenset({"intended_purpose", "legal_basis", "data_requested", "requester_contact"})
REFERRAL_UNIT = "Records release (Records Maintenance and Release Policy)"


class ApprovalBlockedError(PermissionDenied):
    """The agency may not receive ALPR data; the request can only be denied or referred."""


class AlreadyDecidedError(ValidationError):
    """Another workstation decided (or fulfilled) the request first."""

    def __init__(self, message: str, *, status: ReleaseStatus, by: str) -> None:
        super().__init__(message)
        self.status = status
        self.by = by


class ReleaseService(BaseService):
    """Writing, deciding, fulfilling and listing release requests."""

    def __init__(self, ctx: ServiceContext, audit: AuditService, search: SearchService) -> None:
        super().__init__(ctx)
        self.audit = audit
        self.search = search

    # ------------------------------------------------------------------ writing
    def create(
        self,
        actor: Actor,
        fields: RequestFields,
        query: SavedQuery | None,
        *,
        submit: bool = False,
    ) -> ReleaseView:
        """Record a new request as a draft (or submitted at once, ``submit``)."""
        fields = self._checked(fields, query, complete=submit)
        with self._work(actor, Action.CREATE_RELEASE_REQUEST, changes=_CHANGES) as (session, _me):
            now = self.ctx.now()
            row = ReleaseRequest(
                created_by_id=actor.user_id,
                created_at=now,
                updated_at=now,
                status=ReleaseStatus.DRAFT,
            )
            assign_fields(row, fields, query)
            session.add(row)
            session.flush()
            self._note(
                session,
                actor,
                "release_request_created",
                row,
                f"Draft release request from {fields.agency_name or '(agency not named)'}.",
            )
            if submit:
                self._submit(session, actor, row)
            return release_view(session, row)

    def update(
        self, actor: Actor, request_id: int, fields: RequestFields, query: SavedQuery | None
    ) -> ReleaseView:
        """Change a draft or submitted request (its author, or a commander)."""
        with self.ctx.db.sessions() as session:
            status = request_row(session, request_id).status
        fields = self._checked(fields, query, complete=status is not ReleaseStatus.DRAFT)
        with self._work(actor, Action.CREATE_RELEASE_REQUEST, changes=_CHANGES) as (session, me):
            row = request_row(session, request_id, lock=True)
            self._may_edit(me, row)
            before = row_fields(row)
            assign_fields(row, fields, query)
            row.updated_at = self.ctx.now()
            changed = [
                f.name
                for f in dataclasses.fields(fields)
                if getattr(before, f.name) != getattr(fields, f.name)
            ]
            self._note(
                session,
                actor,
                "release_request_edited",
                row,
                f"Changed: {', '.join(changed) or 'nothing but the saved search'}.",
            )
            return release_view(session, row)

    def submit(self, actor: Actor, request_id: int) -> ReleaseView:
        """Submit a complete draft for the commander's decision."""
        with self.ctx.db.sessions() as session:
            row = request_row(session, request_id)
            self._checked(row_fields(row), saved_query(row), complete=True)
        with self._work(actor, Action.CREATE_RELEASE_REQUEST, changes=_CHANGES) as (session, me):
            row = request_row(session, request_id, lock=True)
            self._may_edit(me, row)
            self._submit(session, actor, row)
            return release_view(session, row)

    def delete_draft(self, actor: Actor, request_id: int) -> None:
        """Discard a draft (a submitted request is kept on file)."""
        with self._work(actor, Action.CREATE_RELEASE_REQUEST, changes=_CHANGES) as (session, me):
            row = request_row(session, request_id, lock=True)
            self._may_edit(me, row)
            if row.status is not ReleaseStatus.DRAFT:
                raise ValidationError(
                    f"Request {request_id} is {row.status.value}; only a draft can be discarded."
                )
            for attachment in session.scalars(
                select(ReleaseAttachment).where(ReleaseAttachment.request_id == request_id)
            ):
                session.delete(attachment)
            self._note(session, actor, "release_request_discarded", row, "Draft discarded.")
            session.delete(row)

    def _submit(self, session: Session, actor: Actor, row: ReleaseRequest) -> None:
        row.status = next_status(row.status, Step.SUBMIT)
        row.submitted_at = row.updated_at = self.ctx.now()
        blocker = approval_blocker(row.agency_type, row.agency_state)
        self._note(
            session,
            actor,
            "release_request_submitted",
            row,
            f"Submitted for the commander's decision (case {row.case_number})."
            + (f" {blocker}" if blocker else ""),
        )

    def _checked(
        self, fields: RequestFields, query: SavedQuery | None, *, complete: bool
    ) -> RequestFields:
        texts: dict[str, Any] = {
            f.name: clean_text(
                getattr(fields, f.name),
                f.name.replace("_", " "),
                None,
                multiline=f.name in _MULTILINE,
            )
            for f in dataclasses.fields(fields)
            if f.name != "agency_type"
        }
        fields = dataclasses.replace(fields, **texts)
        fields = dataclasses.replace(fields, agency_state=fields.agency_state.upper())
        check_fields(fields, complete=complete)
        if query is not None:
            self.search.compile(query.search_request(fields.purpose, fields.case_number))
            query.filters.check()
        elif complete:
            raise ValidationError(
                "Give the data asked for as a search (a plate pattern and its filters), "
                "so the release contains exactly what was approved."
            )
        return fields

    def _may_edit(self, me: User, row: ReleaseRequest) -> None:
        if row.created_by_id != me.id and Role.COMMANDER not in me.role_set:
            raise PermissionDenied(
                "Only the officer who wrote the request, or a commander, may change it."
            )
        next_status(row.status, Step.EDIT)

    # ------------------------------------------------------------------ attachments
    def add_attachment(
        self, actor: Actor, request_id: int, filename: str, data: bytes
    ) -> AttachmentView:
        """Keep ``data`` (a PDF or image of the written request, say) with the request."""
        name = clean_text(
            filename.replace("\\", "/").rsplit("/", 1)[-1], "the file name", 255, required=True
        )
        if not data:
            raise ValidationError(f"{name} is empty; nothing was attached.")
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise ValidationError(
                f"{name} is {len(data) / 2**20:.1f} MiB; attachments are at most "
                f"{MAX_ATTACHMENT_BYTES // 2**20} MiB."
            )
        media = next((kind for magic, kind in _MAGIC if data.startswith(magic)), None)
        if media is None:
            raise ValidationError(
                f"{name} is not a PDF, PNG, JPEG or TIFF file; attach the written request as one."
            )
        with self._work(actor, Action.CREATE_RELEASE_REQUEST, changes=_CHANGES) as (session, me):
            row = request_row(session, request_id, lock=True)
            self._may_edit(me, row)
            count = len(attachment_rows(session, request_id))
            if count >= MAX_ATTACHMENTS:
                raise ValidationError(f"A request keeps at most {MAX_ATTACHMENTS} attachments.")
            digest = hashlib.sha256(data).hexdigest()
            attachment = ReleaseAttachment(
                request_id=request_id,
                filename=name,
                media_type=media,
                size=len(data),
                sha256=digest,
                data=data,
                added_at=self.ctx.now(),
                added_by_id=actor.user_id,
            )
            session.add(attachment)
            row.updated_at = self.ctx.now()
            session.flush()
            self._note(
                session,
                actor,
                "release_attachment_added",
                row,
                f"{name} ({media}, {len(data):,} bytes, SHA-256 {digest}).",
            )
            return attachment_view(session, attachment)

    def remove_attachment(self, actor: Actor, attachment_id: int) -> None:
        with self._work(actor, Action.CREATE_RELEASE_REQUEST, changes=_CHANGES) as (session, me):
            attachment = session.get(ReleaseAttachment, attachment_id)
            if attachment is None:
                raise NotFoundError(f"There is no attachment {attachment_id}.")
            row = request_row(session, attachment.request_id, lock=True)
            self._may_edit(me, row)
            self._note(
                session,
                actor,
                "release_attachment_removed",
                row,
                f"{attachment.filename} (SHA-256 {attachment.sha256}).",
            )
            session.delete(attachment)

    def attachment(self, actor: Actor, attachment_id: int) -> tuple[AttachmentView, bytes]:
        """An attachment and its bytes (opening it is recorded)."""
        with self._work(actor, self._viewing(actor)) as (session, me):
            attachment = session.get(ReleaseAttachment, attachment_id)
            if attachment is None:
                raise NotFoundError(f"There is no attachment {attachment_id}.")
            row = request_row(session, attachment.request_id)
            self._may_see(me, row)
            self._note(session, actor, "release_attachment_opened", row, attachment.filename)
            return attachment_view(session, attachment), bytes(attachment.data)

    # ------------------------------------------------------------------ deciding
    def approve(self, actor: Actor, request_id: int, *, reason: str) -> ReleaseView:
        """Approve a submitted request from a California state or local public agency."""
        return self._decide(actor, request_id, Step.APPROVE, reason)

    def deny(self, actor: Actor, request_id: int, *, reason: str) -> ReleaseView:
        return self._decide(actor, request_id, Step.DENY, reason)

    def refer(
        self, actor: Actor, request_id: int, *, note: str, to: str = REFERRAL_UNIT
    ) -> ReleaseView:
        """Send a request the department may not fulfil to records release, with a note."""
        return self._decide(actor, request_id, Step.REFER, note, referred_to=to)

    def _decide(
        self, actor: Actor, request_id: int, step: Step, reason: str, *, referred_to: str = ""
    ) -> ReleaseView:
        label = "the note" if step is Step.REFER else "the reason for the decision"
        reason = clean_text(reason, label, 2000, required=True, multiline=True)
        referred_to = clean_text(
            referred_to, "where it is referred", 200, required=step is Step.REFER
        )
        blocked: str | None = None
        with self._work(actor, Action.DECIDE_RELEASE_REQUEST, changes=_CHANGES) as (session, _me):
            row = request_row(session, request_id)
            to = next_status(row.status, step) if row.status is ReleaseStatus.SUBMITTED else None
            blocker = approval_blocker(row.agency_type, row.agency_state)
            if to is not None and step is Step.APPROVE and blocker is not None:
                blocked = blocker
            elif to is not None:
                now = self.ctx.now()
                done = session.execute(
                    update(ReleaseRequest)
                    .where(
                        ReleaseRequest.id == request_id,
                        ReleaseRequest.status == ReleaseStatus.SUBMITTED,
                    )
                    .values(
                        status=to,
                        decided_by_id=actor.user_id,
                        decided_at=now,
                        decision_reason=reason,
                        referred_to=referred_to,
                        updated_at=now,
                    )
                    .execution_options(synchronize_session=False)
                )
                if cast(Any, done).rowcount == 1:
                    session.expire(row)
                    self._note(
                        session,
                        actor,
                        f"release_request_{to.value}",
                        row,
                        f"{reason}" + (f" Referred to {referred_to}." if referred_to else ""),
                    )
                    return release_view(session, row)
        if blocked is not None:
            self._record_refusal(
                actor,
                Action.DECIDE_RELEASE_REQUEST,
                f"Request {request_id} not approved: {blocked}",
            )
            raise ApprovalBlockedError(blocked)
        raise self._already(request_id, step)

    def _already(self, request_id: int, step: Step) -> ValidationError:
        with self.ctx.db.sessions() as session:
            row = request_row(session, request_id)
            if row.status not in DECIDED:
                return ValidationError(
                    f"Request {request_id} is a {row.status.value}; submit it before deciding."
                )
            who = username_of(session, row.fulfilled_by_id or row.decided_by_id)
            when = row.fulfilled_at or row.decided_at
            stamp = f" at {when:%Y-%m-%d %H:%M} UTC" if when else ""
            return AlreadyDecidedError(
                f"Request {request_id} was already {row.status.value} "
                f"by {who or 'someone'}{stamp}.",
                status=row.status,
                by=who,
            )

    # ------------------------------------------------------------------ fulfilling
    #: Build and log the package of an approved request: a method, see
    #: :func:`~alpr_desktop.services.release_package.fulfil_request`.
    fulfil = fulfil_request

    def request_for_fulfilment(
        self, actor: Actor, request_id: int
    ) -> tuple[ReleaseView, list[bytes]]:
        """The request as its fulfiller sees it, with its attachments' bytes
        (``FULFIL_RELEASE``; refusals recorded)."""
        with self._work(actor, Action.FULFIL_RELEASE) as (session, _me):
            row = request_row(session, request_id)
            if row.status is not ReleaseStatus.APPROVED:
                reason = (
                    f"Request {request_id} is {row.status.value}; only an approved request is "
                    "fulfilled (policy 471.7(b))."
                )
                failure: ValidationError | None = ValidationError(reason)
            else:
                files = [bytes(a.data) for a in attachment_rows(session, request_id)]
                return release_view(session, row, full=True), files
        assert failure is not None
        self._record_refusal(actor, Action.FULFIL_RELEASE, str(failure))
        raise failure

    def record_fulfilment(
        self,
        actor: Actor,
        request_id: int,
        share: dict[str, Any],
        detail: str,
    ) -> ReleaseView:
        """Mark the request fulfilled and write the sharing log, in one transaction."""
        with self._work(actor, Action.FULFIL_RELEASE, changes=_CHANGES) as (session, _me):
            now = self.ctx.now()
            done = session.execute(
                update(ReleaseRequest)
                .where(
                    ReleaseRequest.id == request_id, ReleaseRequest.status == ReleaseStatus.APPROVED
                )
                .values(
                    status=ReleaseStatus.FULFILLED, fulfilled_by_id=actor.user_id, fulfilled_at=now
                )
                .execution_options(synchronize_session=False)
            )
            if cast(Any, done).rowcount == 1:
                session.add(
                    ReleaseShare(
                        request_id=request_id, shared_at=now, shared_by_id=actor.user_id, **share
                    )
                )
                row = request_row(session, request_id)
                session.refresh(row)
                self._note(session, actor, "release_fulfilled", row, detail, query=share)
                return release_view(session, row)
        raise self._already(request_id, Step.FULFIL)

    # ------------------------------------------------------------------ reading
    def get(self, actor: Actor, request_id: int) -> ReleaseView:
        """One request with its attachments and sharing-log entries (recorded)."""
        with self._work(actor, self._viewing(actor)) as (session, me):
            row = request_row(session, request_id)
            self._may_see(me, row)
            self._note(session, actor, "view_release_request", row, "Opened.")
            return release_view(session, row, full=True)

    def list_requests(
        self, actor: Actor, *, statuses: Iterable[ReleaseStatus] = ()
    ) -> list[ReleaseView]:
        """Requests newest first; those of ``statuses`` only, if given.

        A supervisor or commander (``VIEW_RELEASES``) sees every request; an officer
        who may only write them sees their own.
        """
        wanted = tuple(statuses)
        with self._work(actor, self._viewing(actor)) as (session, me):
            stmt = select(ReleaseRequest).order_by(ReleaseRequest.id.desc())
            if wanted:
                stmt = stmt.where(ReleaseRequest.status.in_(wanted))
            if not actor.may(Action.VIEW_RELEASES):
                stmt = stmt.where(ReleaseRequest.created_by_id == me.id)
            views = [release_view(session, row) for row in session.scalars(stmt)]
            which = ", ".join(s.value for s in wanted) or "all"
            self.audit.record_admin(
                session,
                actor,
                "view_release_requests",
                detail=f"{len(views)} request(s) listed ({which}).",
            )
            return views

    def sharing_log(self, actor: Actor) -> list[ShareView]:
        """Every package sent, newest first (``VIEW_RELEASES``; recorded)."""
        with self._work(actor, Action.VIEW_RELEASES) as (session, _me):
            rows = session.scalars(select(ReleaseShare).order_by(ReleaseShare.id.desc()))
            views = [share_view(session, share) for share in rows]
            self.audit.record_admin(
                session, actor, "view_sharing_log", detail=f"{len(views)} entr(ies) listed."
            )
            return views

    def _viewing(self, actor: Actor) -> Action:
        return (
            Action.VIEW_RELEASES
            if actor.may(Action.VIEW_RELEASES) or not actor.may(Action.CREATE_RELEASE_REQUEST)
            else Action.CREATE_RELEASE_REQUEST
        )

    def _may_see(self, me: User, row: ReleaseRequest) -> None:
        if row.created_by_id != me.id and not is_permitted(me.role_set, Action.VIEW_RELEASES):
            raise PermissionDenied("You may open only the release requests you wrote.")

    def _note(
        self,
        session: Session,
        actor: Actor,
        action: str,
        row: ReleaseRequest,
        detail: str,
        *,
        query: dict[str, Any] | None = None,
    ) -> None:
        self.audit.record_admin(
            session,
            actor,
            action,
            target_type="release_request",
            target_id=row.id,
            detail=detail,
            query=query,
        )


_CHANGES = Changes.of(Topic.RELEASES)


__all__ = [
    "AgencyType",
    "AlreadyDecidedError",
    "ApprovalBlockedError",
    "AttachmentView",
    "ReleaseService",
    "ReleaseStatus",
    "ReleaseView",
    "RequestFields",
    "SavedQuery",
    "ShareView",
]
