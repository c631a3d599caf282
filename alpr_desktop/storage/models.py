"""The whole domain schema, as SQLAlchemy 2.0 typed models.

The schema covers every capability in requirements.md from the start, so later work
adds services and screens rather than reshaping tables. Images live in the database
(:class:`StoredImage`), not as loose files: see ``docs/storage.md`` for why.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from alpr_desktop.core.releases import AgencyType, ReleaseStatus
from alpr_desktop.core.roles import Role
from alpr_desktop.storage.audit_index import COMPOSITE_INDEXES, PAIR_INDEXES
from alpr_desktop.storage.types import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime()}


def _enum(cls: type[enum.Enum], name: str) -> SAEnum:
    # Stored as the value strings with a CHECK constraint, portable across backends.
    return SAEnum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


# --------------------------------------------------------------------------- accounts


class AccountState(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DEACTIVATED = "deactivated"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    badge_number: Mapped[str] = mapped_column(String(32), default="")
    title: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    password_is_temporary: Mapped[bool] = mapped_column(Boolean, default=True)
    password_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    state: Mapped[AccountState] = mapped_column(
        _enum(AccountState, "account_state"), default=AccountState.PENDING
    )
    state_reason: Mapped[str] = mapped_column(String(500), default="")
    state_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    state_changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_login_at: Mapped[dt.datetime | None]
    last_activity_at: Mapped[dt.datetime | None]
    locked_until: Mapped[dt.datetime | None]

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        foreign_keys="UserRole.user_id",
        lazy="selectin",
    )
    training: Mapped[list[TrainingRecord]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        foreign_keys="TrainingRecord.user_id",
        order_by="TrainingRecord.completed_on",
        lazy="selectin",
    )

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(Role(r.role) for r in self.roles)


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), primary_key=True)
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])


class TrainingRecord(Base):
    """Department-approved ALPR training (471.4(d), 471.8); gates access to data."""

    __tablename__ = "training_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course: Mapped[str] = mapped_column(String(200))
    completed_on: Mapped[dt.date]
    expires_on: Mapped[dt.date]
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    notes: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship(back_populates="training", foreign_keys=[user_id])

    __table_args__ = (CheckConstraint("expires_on > completed_on", name="expiry_after_completion"),)


class LoginAttempt(Base):
    """Each login attempt, for lockout windows and the access trail."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    attempted_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    workstation: Mapped[str] = mapped_column(String(120), default="")


class LoginThrottle(Base):
    """The lockout state of one sign-in name, locked row by row to decide atomically.

    ``key`` is what :class:`LoginAttempt` stores for the name (the username of an
    account, a keyed hash otherwise). ``in_flight`` counts attempts admitted to the
    slow password check and not yet settled, so concurrent guesses cannot all pass.
    """

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    in_flight: Mapped[int] = mapped_column(Integer, default=0)
    in_flight_since: Mapped[dt.datetime | None]
    #: Failures before this instant no longer count (last success, lock end or lift).
    counted_since: Mapped[dt.datetime | None]
    locked_until: Mapped[dt.datetime | None]


class UserSession(Base):
    """A signed-in session on one workstation; every service call checks it is live."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random, unguessable
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    workstation: Mapped[str] = mapped_column(String(120), default="")
    started_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    #: Seconds without a call after which the session has expired (idle lock + grace).
    idle_limit_seconds: Mapped[int] = mapped_column(Integer)
    ended_at: Mapped[dt.datetime | None]
    end_reason: Mapped[str] = mapped_column(String(32), default="")


# --------------------------------------------------------------------------- cameras


class CameraKind(enum.StrEnum):
    DEVICE = "device"  # USB or built-in camera by index
    RTSP = "rtsp"
    HTTP = "http"  # MJPEG over HTTP
    FILE = "file"  # video file
    FOLDER = "folder"  # watched image folder


class Camera(Base):
    __tablename__ = "cameras"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[CameraKind] = mapped_column(_enum(CameraKind, "camera_kind"))
    source: Mapped[str] = mapped_column(String(1000))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    mobile: Mapped[bool] = mapped_column(Boolean, default=False)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    direction_deg: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude"),
    )


class GpsFix(Base):
    """A position of a mobile unit from an NMEA or GPX track, matched to reads by time."""

    __tablename__ = "gps_fixes"

    id: Mapped[int] = mapped_column(primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    fixed_at: Mapped[dt.datetime]
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    speed_mps: Mapped[float | None] = mapped_column(Float)
    heading_deg: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index("ix_gps_fixes_camera_time", "camera_id", "fixed_at"),)


# --------------------------------------------------------------------------- reads


class StoredImage(Base):
    """An encoded image (JPEG/PNG), content-addressed by SHA-256."""

    __tablename__ = "images"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PlateRead(Base):
    __tablename__ = "plate_reads"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable id given by the recogniser; makes replay of spooled reads idempotent.
    read_uuid: Mapped[str] = mapped_column(
        String(36), unique=True, default=lambda: str(uuid.uuid4())
    )
    camera_id: Mapped[int | None] = mapped_column(
        ForeignKey("cameras.id", ondelete="SET NULL"), index=True
    )
    read_at: Mapped[dt.datetime] = mapped_column(index=True)
    plate_text: Mapped[str] = mapped_column(String(16))
    plate_normalized: Mapped[str] = mapped_column(String(16), index=True)
    plate_folded: Mapped[str] = mapped_column(String(16), index=True)
    region: Mapped[str] = mapped_column(String(8), default="")
    confidence: Mapped[float] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    bbox_x: Mapped[int | None] = mapped_column(Integer)
    bbox_y: Mapped[int | None] = mapped_column(Integer)
    bbox_w: Mapped[int | None] = mapped_column(Integer)
    bbox_h: Mapped[int | None] = mapped_column(Integer)
    frames_voted: Mapped[int] = mapped_column(Integer, default=1)
    #: The camera frame's size the bbox is in (the context image is it downscaled).
    frame_width: Mapped[int | None] = mapped_column(Integer)
    frame_height: Mapped[int | None] = mapped_column(Integer)
    # Indexed: the purge deletes an image once no read refers to it (migration 0008).
    crop_image_id: Mapped[int | None] = mapped_column(ForeignKey("images.id"), index=True)
    context_image_id: Mapped[int | None] = mapped_column(ForeignKey("images.id"), index=True)
    stored_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def box_on(self, image_width: int) -> tuple[float, float, float, float] | None:
        """The plate box scaled onto an image of the frame ``image_width`` wide (the
        downscaled context); None when the read recorded no frame size or no box."""
        if not self.frame_width or not self.bbox_w or not self.bbox_h:
            return None
        if self.bbox_x is None or self.bbox_y is None:
            return None
        scale = image_width / self.frame_width
        return (self.bbox_x * scale, self.bbox_y * scale, self.bbox_w * scale, self.bbox_h * scale)

    alternatives: Mapped[list[ReadAlternative]] = relationship(
        back_populates="read",
        cascade="all, delete-orphan",
        order_by="ReadAlternative.rank",
        lazy="selectin",
    )

    __table_args__ = (
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence"),
        Index("ix_plate_reads_location", "latitude", "longitude"),
    )


class ReadAlternative(Base):
    """A lower-ranked reading of the same plate, with its confidence."""

    __tablename__ = "read_alternatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    read_id: Mapped[int] = mapped_column(ForeignKey("plate_reads.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer)
    plate_text: Mapped[str] = mapped_column(String(16))
    plate_normalized: Mapped[str] = mapped_column(String(16), index=True)
    confidence: Mapped[float] = mapped_column(Float)

    read: Mapped[PlateRead] = relationship(back_populates="alternatives")

    __table_args__ = (UniqueConstraint("read_id", "rank"),)


# --------------------------------------------------------------------------- hotlists


class HotlistCategory(enum.StrEnum):
    STOLEN_VEHICLE = "stolen_vehicle"
    STOLEN_PLATE = "stolen_plate"
    WANTED_PERSON = "wanted_person"
    MISSING_PERSON = "missing_person"
    AMBER = "amber"
    WARRANT = "warrant"
    BOLO = "bolo"
    OTHER = "other"


class Hotlist(Base):
    __tablename__ = "hotlists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    source: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    entries: Mapped[list[HotlistEntry]] = relationship(
        back_populates="hotlist", cascade="all, delete-orphan"
    )


class HotlistEntry(Base):
    __tablename__ = "hotlist_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    hotlist_id: Mapped[int] = mapped_column(
        ForeignKey("hotlists.id", ondelete="CASCADE"), index=True
    )
    plate_pattern: Mapped[str] = mapped_column(String(32))  # as entered, may hold * and ?
    plate_normalized: Mapped[str] = mapped_column(String(32), index=True)
    is_partial: Mapped[bool] = mapped_column(Boolean, default=False)
    region: Mapped[str] = mapped_column(String(8), default="")
    category: Mapped[HotlistCategory] = mapped_column(_enum(HotlistCategory, "hotlist_category"))
    priority: Mapped[int] = mapped_column(Integer, default=2)
    source: Mapped[str] = mapped_column(String(200), default="")
    case_number: Mapped[str] = mapped_column(String(64), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    hotlist: Mapped[Hotlist] = relationship(back_populates="entries")

    __table_args__ = (CheckConstraint("priority BETWEEN 1 AND 5", name="priority"),)


# --------------------------------------------------------------------------- alerts


class MatchKind(enum.StrEnum):
    EXACT = "exact"
    CONFUSABLE = "confusable"
    PARTIAL = "partial"
    ALTERNATIVE = "alternative"


class AlertStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Alert(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    read_id: Mapped[int] = mapped_column(ForeignKey("plate_reads.id", ondelete="CASCADE"))
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("hotlist_entries.id", ondelete="SET NULL")
    )
    match_kind: Mapped[MatchKind] = mapped_column(_enum(MatchKind, "match_kind"))
    explanation: Mapped[str] = mapped_column(Text)
    retroactive: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[AlertStatus] = mapped_column(
        _enum(AlertStatus, "alert_status"), default=AlertStatus.PENDING, index=True
    )
    disposition_reason: Mapped[str] = mapped_column(String(200), default="")
    disposition_notes: Mapped[str] = mapped_column(Text, default="")
    disposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    disposed_at: Mapped[dt.datetime | None]
    # What the entry was when the alert was raised: the entry may change or go later,
    # and the dispatcher and the audit must still see what was hit.
    priority: Mapped[int] = mapped_column(Integer, default=2)
    hotlist_id: Mapped[int | None] = mapped_column(Integer)  # no FK: outlives the list
    hotlist_name: Mapped[str] = mapped_column(String(120), default="")
    entry_pattern: Mapped[str] = mapped_column(String(32), default="")
    matched_text: Mapped[str] = mapped_column(String(16), default="")
    #: Canonical JSON of the entry's other fields (state, category, source, case, notes,
    #: expiry) at the time of the alert.
    entry_snapshot: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        UniqueConstraint("read_id", "entry_id"),
        Index("ix_alerts_queue", "status", "priority", "created_at"),
    )


class HotlistRevision(Base):
    """One row: a counter every hotlist change increments in its own transaction.

    Every ingest batch reads it (``FOR SHARE`` on PostgreSQL) inside the batch's
    transaction and compares it with the revision its matching index was built at; see
    :mod:`alpr_desktop.services.alert_matcher`.
    """

    __tablename__ = "hotlist_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[dt.datetime | None]


# --------------------------------------------------------------------------- access records


class AccessRecord(Base):
    """One entry of the append-only, hash-chained access trail (Civ. Code 1798.90.52).

    ``record_hash`` is SHA-256 over the canonical content of this row (including
    ``seq`` and ``prev_hash``); see :mod:`alpr_desktop.services.audit`.
    """

    __tablename__ = "access_records"
    #: (filter column, seq): the audit viewer's first page, newest first, with no sort
    #: (:mod:`alpr_desktop.storage.audit_index`, which also indexes the query text).
    #: And (column, column, seq) for the pairs of filters an oversight review combines.
    __table_args__ = (
        *(Index(name, column, "seq") for name, column in COMPOSITE_INDEXES),
        *(Index(name, *columns, "seq") for name, columns in PAIR_INDEXES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    recorded_at: Mapped[dt.datetime]
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no FK: outlives users
    username: Mapped[str] = mapped_column(String(64))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    workstation: Mapped[str] = mapped_column(String(120), default="")
    category: Mapped[str] = mapped_column(String(16))  # data | admin | session
    action: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), default="ok")  # ok | refused | failed
    purpose: Mapped[str] = mapped_column(String(200), default="")
    case_number: Mapped[str] = mapped_column(String(64), default="")
    query: Mapped[str] = mapped_column(Text, default="")  # canonical JSON, as entered
    detail: Mapped[str] = mapped_column(Text, default="")
    target_type: Mapped[str] = mapped_column(String(32), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    record_hash: Mapped[str] = mapped_column(String(64))


class AuditTimeOrder(Base):
    """One row: where and how far the access trail ever stepped back in time.

    ``seq`` and ``recorded_at`` rise together, except where a record is stamped before
    the latest time of the records before it (two workstations' appends a moment apart,
    a clock set back): a *step back*. ``last_backstep_seq`` is the newest such record
    (0: none), so every later record is stamped at or after every record before it;
    ``max_backstep_us`` the furthest any stepped back, in microseconds. The audit viewer
    turns a date range into a range of ``seq`` with them
    (:func:`alpr_desktop.services.audit_query.seq_span`). Kept by
    :func:`~alpr_desktop.services.audit.append_record`; set over the records already
    stored by migration 0010. No row: the viewer does not rely on the order at all.
    """

    __tablename__ = "audit_time_order"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    max_backstep_us: Mapped[int] = mapped_column(BigInteger, default=0)
    last_backstep_seq: Mapped[int] = mapped_column(Integer, default=0)


class AuditCheckpoint(Base):
    """A signed statement of the chain head: "record ``seq`` had hash ``record_hash``".

    Signed with Ed25519 by a key the database does not hold (see
    :mod:`alpr_desktop.services.audit_checkpoints`); the same text is exported to a small
    file the department keeps elsewhere, so truncating the newest records or rewriting the
    whole chain consistently no longer goes unnoticed.
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, index=True)
    record_hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[dt.datetime] = mapped_column(index=True)
    #: SHA-256 of the raw public key (hex): which key signed it.
    key_id: Mapped[str] = mapped_column(String(64))
    #: Base64 of the 64-byte Ed25519 signature over the checkpoint's canonical text.
    signature: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(64))
    workstation: Mapped[str] = mapped_column(String(120), default="")


class AuditReportStatus(enum.StrEnum):
    DRAFT = "draft"
    SIGNED_OFF = "signed_off"


class AuditReport(Base):
    """A periodic audit (policy 471.6(c)): its figures, its review sample, its sign-off."""

    __tablename__ = "audit_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[dt.datetime]
    period_end: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    #: The seed of the random review sample (recorded, so the sample can be redrawn).
    seed: Mapped[int] = mapped_column(Integer)
    sample_size: Mapped[int] = mapped_column(Integer)
    #: The report's figures as canonical JSON.
    figures: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[AuditReportStatus] = mapped_column(
        _enum(AuditReportStatus, "audit_report_status"), default=AuditReportStatus.DRAFT
    )
    signed_off_at: Mapped[dt.datetime | None]
    signed_off_by: Mapped[str] = mapped_column(String(64), default="")
    sign_off_note: Mapped[str] = mapped_column(Text, default="")


class ReviewVerdict(enum.StrEnum):
    PENDING = "pending"
    JUSTIFIED = "justified"
    NOT_JUSTIFIED = "not_justified"
    FOLLOW_UP = "follow_up"


class AuditReviewItem(Base):
    """One search of an audit report's random sample and the supervisor's verdict on it."""

    __tablename__ = "audit_review_items"
    __table_args__ = (UniqueConstraint("report_id", "access_record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("audit_reports.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    access_record_id: Mapped[int] = mapped_column(Integer)  # the trail row reviewed
    verdict: Mapped[ReviewVerdict] = mapped_column(
        _enum(ReviewVerdict, "review_verdict"), default=ReviewVerdict.PENDING
    )
    note: Mapped[str] = mapped_column(Text, default="")
    reviewed_by: Mapped[str] = mapped_column(String(64), default="")
    reviewed_at: Mapped[dt.datetime | None]


# --------------------------------------------------------------------------- releases


class ReleaseRequest(Base):
    __tablename__ = "release_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agency_name: Mapped[str] = mapped_column(String(200))
    agency_type: Mapped[AgencyType] = mapped_column(_enum(AgencyType, "agency_type"))
    agency_state: Mapped[str] = mapped_column(String(2))
    requester_name: Mapped[str] = mapped_column(String(200))
    requester_title: Mapped[str] = mapped_column(String(200), default="")
    requester_contact: Mapped[str] = mapped_column(String(300))
    intended_purpose: Mapped[str] = mapped_column(Text)
    case_number: Mapped[str] = mapped_column(String(64))
    legal_basis: Mapped[str] = mapped_column(Text)
    data_requested: Mapped[str] = mapped_column(Text)
    #: The data asked for as a saved search (canonical JSON: pattern, modes, filters).
    query: Mapped[str] = mapped_column(Text, default="")
    #: The department's authorised purpose (471.4) the fulfilment is recorded under.
    purpose: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[ReleaseStatus] = mapped_column(
        _enum(ReleaseStatus, "release_status"), default=ReleaseStatus.DRAFT, index=True
    )
    updated_at: Mapped[dt.datetime | None]
    submitted_at: Mapped[dt.datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    #: Where a referred request went (records release, with the commander's note).
    referred_to: Mapped[str] = mapped_column(String(200), default="")
    fulfilled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    fulfilled_at: Mapped[dt.datetime | None]


class ReleaseAttachment(Base):
    """A file kept with a request: the written request itself (PDF or image), a warrant…"""

    __tablename__ = "release_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("release_requests.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class ReleaseShare(Base):
    """The sharing log: each fulfilled release package."""

    __tablename__ = "release_shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("release_requests.id"))
    shared_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    shared_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recipient: Mapped[str] = mapped_column(String(300))
    read_count: Mapped[int] = mapped_column(Integer)
    file_count: Mapped[int] = mapped_column(Integer)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    package_name: Mapped[str] = mapped_column(String(300))
    #: SHA-256 of the package file (a zip) or of its manifest (a folder).
    package_sha256: Mapped[str] = mapped_column(String(64), default="")
    #: How it was sent ("encrypted USB drive handed to Det. Ruiz", "secure e-mail").
    delivery: Mapped[str] = mapped_column(String(300), default="")
    #: The access record of the fulfilment (the search run for it).
    access_record_id: Mapped[int | None]


# --------------------------------------------------------------------------- retention


class HoldStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    DENIED = "denied"
    RELEASED = "released"


class EvidenceHold(Base):
    __tablename__ = "evidence_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[HoldStatus] = mapped_column(
        _enum(HoldStatus, "hold_status"), default=HoldStatus.REQUESTED
    )
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime | None]
    review_on: Mapped[dt.date]
    released_at: Mapped[dt.datetime | None]
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class EvidenceHoldRead(Base):
    __tablename__ = "evidence_hold_reads"

    hold_id: Mapped[int] = mapped_column(
        ForeignKey("evidence_holds.id", ondelete="CASCADE"), primary_key=True
    )
    read_id: Mapped[int] = mapped_column(
        ForeignKey("plate_reads.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class PurgeLog(Base):
    __tablename__ = "purge_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    ran_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ran_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: scheduled
    cutoff: Mapped[dt.datetime]
    reads_purged: Mapped[int] = mapped_column(Integer)
    images_purged: Mapped[int] = mapped_column(Integer)
    held_reads_kept: Mapped[int] = mapped_column(Integer)
    oldest_purged_at: Mapped[dt.datetime | None]
    newest_purged_at: Mapped[dt.datetime | None]


# --------------------------------------------------------------------------- settings


class SettingRow(Base):
    """Department-wide settings, one JSON value per key (schema in alpr_desktop.settings)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
