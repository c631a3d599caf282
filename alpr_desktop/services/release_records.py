"""What the release service returns and how its rows become it: the saved search a
request asks for, views of requests, attachments and sharing-log entries, and the
small helpers :mod:`.releases` and :mod:`.release_package` share."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr_desktop.core.releases import (
    EDITABLE,
    ReleaseStatus,
    RequestFields,
    approval_blocker,
)
from alpr_desktop.errors import NotFoundError, ValidationError
from alpr_desktop.services.audit import canonical_query
from alpr_desktop.services.base import load_department_settings
from alpr_desktop.services.search import Area, ReadFilters, SearchRequest
from alpr_desktop.storage.models import ReleaseAttachment, ReleaseRequest, ReleaseShare, User


@dataclass(frozen=True)
class SavedQuery:
    """The data a request asks for, as a search: pattern, modes and filters."""

    pattern: str
    confusable: bool = False
    fuzzy: bool = False
    filters: ReadFilters = field(default_factory=ReadFilters)

    def canonical(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "confusable": self.confusable,
            "fuzzy": self.fuzzy,
            **self.filters.canonical(),
        }

    def to_json(self) -> str:
        return canonical_query(self.canonical())

    @classmethod
    def from_json(cls, text: str) -> SavedQuery:
        """The query stored with a request (:class:`ValidationError` if it is not one)."""
        try:
            data = json.loads(text)
            near = data.get("near")
            filters = ReadFilters(
                since=_time(data.get("since")),
                until=_time(data.get("until")),
                cameras=tuple(str(c) for c in data.get("cameras") or ()),
                area=Area(
                    near=(float(near[0]), float(near[1]), float(near[2])) if near else None,
                    polygon=data.get("polygon"),
                ),
                hotlist_hits_only=bool(data.get("hotlist_hits_only")),
                mobile_only=bool(data.get("mobile_only")),
            )
            return cls(
                str(data["pattern"]), bool(data.get("confusable")), bool(data.get("fuzzy")), filters
            )
        except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            raise ValidationError(f"The request's saved search cannot be read ({exc}).") from None

    def search_request(self, purpose: str, case_number: str) -> SearchRequest:
        return SearchRequest(
            pattern=self.pattern,
            purpose=purpose,
            case_number=case_number,
            confusable=self.confusable,
            fuzzy=self.fuzzy,
            filters=self.filters,
        )


def _time(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class AttachmentView:
    id: int
    request_id: int
    filename: str
    media_type: str
    size: int
    sha256: str
    added_at: dt.datetime
    added_by: str


@dataclass(frozen=True)
class ShareView:
    """One entry of the sharing log."""

    id: int
    request_id: int
    agency_name: str
    case_number: str
    shared_at: dt.datetime
    shared_by: str
    recipient: str
    delivery: str
    read_count: int
    file_count: int
    package_name: str
    package_sha256: str
    manifest_sha256: str
    access_record_id: int | None


@dataclass(frozen=True)
class ReleaseView:
    id: int
    status: ReleaseStatus
    fields: RequestFields
    query: SavedQuery | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime | None
    submitted_at: dt.datetime | None
    decided_by: str
    decided_at: dt.datetime | None
    decision_reason: str
    referred_to: str
    fulfilled_by: str
    fulfilled_at: dt.datetime | None
    attachments: tuple[AttachmentView, ...] = ()
    shares: tuple[ShareView, ...] = ()
    #: The department's local time zone (for printing; filled in for one full request).
    time_zone: str = "UTC"

    @property
    def blocker(self) -> str | None:
        """Why this request cannot be approved (the agency), or None."""
        return approval_blocker(self.fields.agency_type, self.fields.agency_state)

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE


def request_row(session: Session, request_id: int, *, lock: bool = False) -> ReleaseRequest:
    if lock:
        row = session.scalar(
            select(ReleaseRequest).where(ReleaseRequest.id == request_id).with_for_update()
        )
    else:
        row = session.get(ReleaseRequest, request_id)
    if row is None:
        raise NotFoundError(f"There is no release request {request_id}.")
    return row


def assign_fields(row: ReleaseRequest, fields: RequestFields, query: SavedQuery | None) -> None:
    for f in dataclasses.fields(fields):
        setattr(row, f.name, getattr(fields, f.name))
    row.query = query.to_json() if query is not None else ""


def row_fields(row: ReleaseRequest) -> RequestFields:
    return RequestFields(
        **{f.name: getattr(row, f.name) for f in dataclasses.fields(RequestFields)}
    )


def saved_query(row: ReleaseRequest) -> SavedQuery | None:
    return SavedQuery.from_json(row.query) if row.query else None


def username_of(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id is not None else None
    return user.username if user is not None else ""


def attachment_rows(session: Session, request_id: int) -> list[ReleaseAttachment]:
    stmt = select(ReleaseAttachment).where(ReleaseAttachment.request_id == request_id)
    return list(session.scalars(stmt.order_by(ReleaseAttachment.id)))


def attachment_view(session: Session, a: ReleaseAttachment) -> AttachmentView:
    return AttachmentView(
        a.id,
        a.request_id,
        a.filename,
        a.media_type,
        a.size,
        a.sha256,
        a.added_at,
        username_of(session, a.added_by_id),
    )


def share_view(session: Session, s: ReleaseShare) -> ShareView:
    request = session.get(ReleaseRequest, s.request_id)
    return ShareView(
        s.id,
        s.request_id,
        request.agency_name if request else "",
        request.case_number if request else "",
        s.shared_at,
        username_of(session, s.shared_by_id),
        s.recipient,
        s.delivery,
        s.read_count,
        s.file_count,
        s.package_name,
        s.package_sha256,
        s.manifest_sha256,
        s.access_record_id,
    )


def release_view(session: Session, row: ReleaseRequest, *, full: bool = False) -> ReleaseView:
    session.flush()
    attachments: tuple[AttachmentView, ...] = ()
    shares: tuple[ShareView, ...] = ()
    if full:
        attachments = tuple(attachment_view(session, a) for a in attachment_rows(session, row.id))
        stmt = select(ReleaseShare).where(ReleaseShare.request_id == row.id)
        shares = tuple(share_view(session, s) for s in session.scalars(stmt))
    return ReleaseView(
        id=row.id,
        status=row.status,
        fields=row_fields(row),
        query=saved_query(row),
        created_by=username_of(session, row.created_by_id),
        created_at=row.created_at,
        updated_at=row.updated_at,
        submitted_at=row.submitted_at,
        decided_by=username_of(session, row.decided_by_id),
        decided_at=row.decided_at,
        decision_reason=row.decision_reason,
        referred_to=row.referred_to,
        fulfilled_by=username_of(session, row.fulfilled_by_id),
        fulfilled_at=row.fulfilled_at,
        attachments=attachments,
        shares=shares,
        time_zone=load_department_settings(session).local_time_zone if full else "UTC",
    )
