"""The periodic audit of policy 471.6(c): figures, a review sample, a sign-off.

A supervisor or commander (``RUN_AUDIT_REPORT``) runs a report for a period of local
days: its figures (:mod:`.audit_figures`) and a random sample of the period's searches,
drawn with a recorded seed from the searches in id order, so the same seed over the same
trail draws the same sample again (:func:`draw_sample`; the population's size and last
id are kept with the figures). Each sampled search is reviewed — justified, not
justified or needs follow-up, with a note — and the report is then signed off.

Rules, each enforced here and refused with a recorded refusal:

* nobody reviews their own search (another supervisor or commander does);
* "not justified" and "needs follow-up" need a note saying why;
* sign-off needs every sampled search reviewed;
* a signed-off report is final: no review changes, no second sign-off.

Every step is recorded in the trail (running a report reads the trail: it is an access
like any other): ``audit_report_run``, ``audit_report_open``, ``audit_report_review``,
``audit_report_sign_off``, ``audit_report_export``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alpr_desktop.core.local_time import check_zone, local_period
from alpr_desktop.core.roles import Action
from alpr_desktop.errors import NotFoundError, StorageError, ValidationError
from alpr_desktop.messages import Changes, Topic
from alpr_desktop.services.audit import AuditService
from alpr_desktop.services.audit_figures import Period, compute_figures, sample_population
from alpr_desktop.services.base import Actor, BaseService, ServiceContext, load_department_settings
from alpr_desktop.services.fields import clean_text
from alpr_desktop.storage.models import (
    AccessRecord,
    AuditReport,
    AuditReportStatus,
    AuditReviewItem,
    ReviewVerdict,
)

MAX_SAMPLE = 200
MAX_PERIOD_DAYS = 366
MAX_SEED = 2**31 - 1  # the seed column is a 32-bit integer on every backend
_NOTE_LIMIT = 2000
AUDIT_CHANGES = Changes.of(Topic.AUDIT)
VERDICT_LABELS = {
    ReviewVerdict.PENDING: "Not reviewed",
    ReviewVerdict.JUSTIFIED: "Justified",
    ReviewVerdict.NOT_JUSTIFIED: "Not justified",
    ReviewVerdict.FOLLOW_UP: "Needs follow-up",
}


def draw_sample(population: list[int], seed: int, size: int) -> list[int]:
    """``size`` ids of ``population`` (ids in ascending order) drawn with ``seed``."""
    return random.Random(seed).sample(population, min(size, len(population)))


@dataclass(frozen=True)
class ReportSummary:
    id: int
    period_start: dt.datetime
    period_end: dt.datetime
    created_at: dt.datetime
    created_by: str
    seed: int
    sample_size: int
    status: AuditReportStatus
    signed_off_at: dt.datetime | None
    signed_off_by: str
    sign_off_note: str
    #: The department's time zone the period's days are local to.
    time_zone: str

    @property
    def signed_off(self) -> bool:
        return self.status is AuditReportStatus.SIGNED_OFF


@dataclass(frozen=True)
class ReviewItemView:
    """One sampled search (its access record) and its verdict."""

    id: int
    position: int
    record_id: int
    recorded_at: dt.datetime | None
    username: str
    action: str
    purpose: str
    case_number: str
    query: str
    detail: str
    verdict: ReviewVerdict
    note: str
    reviewed_by: str
    reviewed_at: dt.datetime | None

    @property
    def reviewed(self) -> bool:
        return self.verdict is not ReviewVerdict.PENDING


@dataclass(frozen=True)
class ReportTable:
    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class ReportView:
    """A report as the page, the CSV and the PDF show it."""

    summary: ReportSummary
    figures: dict[str, Any]
    items: tuple[ReviewItemView, ...]
    agency_name: str
    time_zone: str

    @property
    def tables(self) -> list[ReportTable]:
        return [
            ReportTable(
                t["key"], t["title"], tuple(t["columns"]), tuple(tuple(r) for r in t["rows"])
            )
            for t in self.figures["tables"]
        ]

    def table(self, key: str) -> ReportTable:
        return next(t for t in self.tables if t.key == key)

    @property
    def per_day(self) -> list[tuple[str, int]]:
        return [(day, int(count)) for day, count in self.figures["per_day"]]

    @property
    def sample_info(self) -> dict[str, Any]:
        return dict(self.figures.get("sample", {}))

    @property
    def reviewed(self) -> int:
        return sum(1 for item in self.items if item.reviewed)

    @property
    def can_sign_off(self) -> bool:
        return not self.summary.signed_off and self.reviewed == len(self.items)


@dataclass(frozen=True)
class ExportedReport:
    path: Path
    sha256: str
    size: int


#: Writes a report to a file (the PDF writer lives in the GUI layer: Qt).
Writer = Callable[[ReportView, Path], None]


class AuditReportService(BaseService):
    def __init__(self, ctx: ServiceContext, audit: AuditService) -> None:
        super().__init__(ctx)
        self.audit = audit

    # ------------------------------------------------------------------ running
    def run(
        self,
        actor: Actor,
        *,
        since: dt.date,
        until: dt.date,
        sample_size: int = 25,
        seed: int | None = None,
    ) -> ReportView:
        """Compute a report for local days ``since``–``until`` (inclusive) and save it."""
        if until < since:
            raise ValidationError("The period ends before it starts.")
        if (until - since).days + 1 > MAX_PERIOD_DAYS:
            raise ValidationError(f"A report covers at most {MAX_PERIOD_DAYS} days.")
        if not 0 <= sample_size <= MAX_SAMPLE:
            raise ValidationError(f"The sample is 0–{MAX_SAMPLE} searches.")
        if seed is None:
            seed = secrets.randbelow(MAX_SEED + 1)
        if not 0 <= seed <= MAX_SEED:
            raise ValidationError(f"The seed is a whole number from 0 to {MAX_SEED}.")
        with self._work(actor, Action.RUN_AUDIT_REPORT, changes=AUDIT_CHANGES) as (session, _me):
            settings = load_department_settings(session)
            tz = check_zone(settings.local_time_zone)
            start, end = local_period(since, until, tz)
            period = Period(start, end, tz, settings, session.get_bind().dialect.name)
            figures = compute_figures(session, period)
            population = sample_population(session, period)
            sample = draw_sample(population, seed, sample_size)
            figures["sample"] = {
                "seed": seed,
                "requested": sample_size,
                "drawn": len(sample),
                "population": len(population),
                "population_last_id": population[-1] if population else 0,
            }
            report = AuditReport(
                period_start=start,
                period_end=end,
                created_at=self.ctx.now(),
                created_by=actor.username,
                seed=seed,
                sample_size=len(sample),
                figures=json.dumps(figures, sort_keys=True, separators=(",", ":")),
            )
            session.add(report)
            session.flush()
            for position, record_id in enumerate(sample, 1):
                session.add(
                    AuditReviewItem(
                        report_id=report.id, position=position, access_record_id=record_id
                    )
                )
            session.flush()
            query = {
                "report": report.id,
                "since": since.isoformat(),
                "until": until.isoformat(),
                "seed": seed,
                "sample": sample_size,
            }
            self._record(
                session, actor, "audit_report_run", report.id, query, "ran an audit report"
            )
            return self._view(session, report)

    # ------------------------------------------------------------------ reading
    def list_reports(self, actor: Actor, *, limit: int = 100) -> list[ReportSummary]:
        """The latest reports (their periods and state; no trail data), newest first."""
        with self._work(actor, Action.RUN_AUDIT_REPORT) as (session, _me):
            rows = session.scalars(
                select(AuditReport).order_by(AuditReport.id.desc()).limit(limit)
            ).all()
            zone_name = load_department_settings(session).local_time_zone
            return [_summary(r, zone_name) for r in rows]

    def open(self, actor: Actor, report_id: int) -> ReportView:
        """A saved report with its sample (the sampled trail records: recorded)."""
        with self._work(actor, Action.RUN_AUDIT_REPORT) as (session, _me):
            report = _report(session, report_id)
            self._record(
                session, actor, "audit_report_open", report.id, None, "opened an audit report"
            )
            return self._view(session, report)

    # ------------------------------------------------------------------ reviewing
    def review(
        self, actor: Actor, report_id: int, item_id: int, verdict: ReviewVerdict, note: str = ""
    ) -> ReviewItemView:
        """Record the verdict on one sampled search (replacing an earlier one)."""
        with self._ruled(actor) as session:
            report = _draft(session, report_id)
            item = session.get(AuditReviewItem, item_id)
            if item is None or item.report_id != report.id:
                raise NotFoundError(f"Report {report_id} has no sampled search {item_id}.")
            verdict = ReviewVerdict(verdict)
            note = clean_text(note, "the note", _NOTE_LIMIT, multiline=True)
            if verdict is ReviewVerdict.PENDING:
                raise ValidationError("Choose justified, not justified or needs follow-up.")
            if verdict is not ReviewVerdict.JUSTIFIED and not note:
                raise ValidationError(f"Say why in a note: {VERDICT_LABELS[verdict].lower()}.")
            record = session.get(AccessRecord, item.access_record_id)
            if record is not None and record.user_id == actor.user_id:
                raise ValidationError(
                    "This is your own search: another supervisor or commander reviews it."
                )
            item.verdict, item.note = verdict, note
            item.reviewed_by, item.reviewed_at = actor.username, self.ctx.now()
            session.flush()
            query = {
                "report": report.id,
                "item": item.id,
                "record": item.access_record_id,
                "verdict": verdict.value,
                "note": note,
            }
            self._record(
                session, actor, "audit_report_review", report.id, query, "reviewed a sampled search"
            )
            return _items(session, report.id, only=item.id)[0]

    def sign_off(self, actor: Actor, report_id: int, note: str = "") -> ReportView:
        """Sign the report off: final from now on."""
        with self._ruled(actor) as session:
            report = _draft(session, report_id)
            note = clean_text(note, "the sign-off note", _NOTE_LIMIT, multiline=True)
            pending = session.scalar(
                select(func.count(AuditReviewItem.id)).where(
                    AuditReviewItem.report_id == report.id,
                    AuditReviewItem.verdict == ReviewVerdict.PENDING,
                )
            )
            if pending:
                raise ValidationError(
                    f"{pending} sampled search(es) not reviewed yet: "
                    "review each before signing off."
                )
            report.status = AuditReportStatus.SIGNED_OFF
            report.signed_off_at, report.signed_off_by = self.ctx.now(), actor.username
            report.sign_off_note = note
            session.flush()
            query = {"report": report.id, "note": note}
            self._record(
                session,
                actor,
                "audit_report_sign_off",
                report.id,
                query,
                "signed off an audit report",
            )
            return self._view(session, report)

    # ------------------------------------------------------------------ exporting
    def export(self, actor: Actor, report_id: int, target: Path, writer: Writer) -> ExportedReport:
        """Record the export, then write the report with ``writer`` (CSV, PDF) to ``target``."""
        kind = target.suffix.lower().lstrip(".") or "file"
        with self._work(actor, Action.RUN_AUDIT_REPORT) as (session, _me):
            report = _report(session, report_id)
            query = {"report": report.id, "format": kind, "file": target.name}
            self._record(
                session, actor, "audit_report_export", report.id, query, "exported an audit report"
            )
            view = self._view(session, report)
        writer(view, target)
        try:
            data = target.read_bytes()
        except OSError as exc:
            raise StorageError(f"Cannot read back {target}: {exc.strerror or exc}") from exc
        return ExportedReport(target, hashlib.sha256(data).hexdigest(), len(data))

    # ------------------------------------------------------------------ helpers
    @contextmanager
    def _ruled(self, actor: Actor) -> Iterator[Session]:
        """A unit of work whose rule violations are refused *and recorded* (nothing applied)."""
        refused: ValidationError | None = None
        try:
            with self._work(actor, Action.RUN_AUDIT_REPORT, changes=AUDIT_CHANGES) as (
                session,
                _me,
            ):
                yield session
        except ValidationError as exc:
            refused = exc
        if refused is not None:
            self._record_refusal(actor, Action.RUN_AUDIT_REPORT, str(refused))
            raise refused

    def _record(
        self,
        session: Session,
        actor: Actor,
        action: str,
        report_id: int,
        query: dict[str, Any] | None,
        detail: str,
    ) -> None:
        self.audit.record_admin(
            session,
            actor,
            action,
            detail=detail,
            target_type="audit_report",
            target_id=report_id,
            query=query,
        )

    def _view(self, session: Session, report: AuditReport) -> ReportView:
        settings = load_department_settings(session)
        return ReportView(
            _summary(report, settings.local_time_zone),
            json.loads(report.figures),
            tuple(_items(session, report.id)),
            settings.agency_name,
            settings.local_time_zone,
        )


def _report(session: Session, report_id: int) -> AuditReport:
    report = session.get(AuditReport, report_id)
    if report is None:
        raise NotFoundError(f"There is no audit report {report_id}.")
    return report


def _draft(session: Session, report_id: int) -> AuditReport:
    report = _report(session, report_id)
    # Lock the row: a review and a sign-off racing on two workstations are serialised.
    session.refresh(report, with_for_update=True)
    if report.status is AuditReportStatus.SIGNED_OFF:
        raise ValidationError(
            f"Report {report_id} was signed off by {report.signed_off_by}: it cannot be changed."
        )
    return report


def _summary(report: AuditReport, time_zone: str) -> ReportSummary:
    return ReportSummary(
        report.id,
        report.period_start,
        report.period_end,
        report.created_at,
        report.created_by,
        report.seed,
        report.sample_size,
        report.status,
        report.signed_off_at,
        report.signed_off_by,
        report.sign_off_note,
        time_zone,
    )


def _items(session: Session, report_id: int, *, only: int | None = None) -> list[ReviewItemView]:
    stmt = (
        select(AuditReviewItem, AccessRecord)
        .outerjoin(AccessRecord, AccessRecord.id == AuditReviewItem.access_record_id)
        .where(AuditReviewItem.report_id == report_id)
        .order_by(AuditReviewItem.position)
    )
    if only is not None:
        stmt = stmt.where(AuditReviewItem.id == only)
    views = []
    for item, record in session.execute(stmt):
        views.append(
            ReviewItemView(
                item.id,
                item.position,
                item.access_record_id,
                record.recorded_at if record else None,
                record.username if record else "(record missing)",
                record.action if record else "",
                record.purpose if record else "",
                record.case_number if record else "",
                record.query if record else "",
                record.detail if record else "",
                item.verdict,
                item.note,
                item.reviewed_by,
                item.reviewed_at,
            )
        )
    return views
