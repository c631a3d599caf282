"""Where this installation stands against policy 471 and Civ. Code 1798.90.51–.55.

:data:`~alpr_desktop.core.compliance.REQUIREMENTS` lists the requirements; each names a
check, and :data:`EVALUATORS` holds one function per check that looks at this
installation (the settings, the accounts, the access trail, audits, releases, purges) and
returns a :class:`~alpr_desktop.core.compliance.Status` with its reason in one sentence.
Every figure is counted in SQL over indexed columns; nothing walks the trail.

Viewing the page is itself recorded in the trail (``view_compliance``), in the same unit
of work and before anything is returned: the checks read the trail.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import and_, case, exists, func, literal, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from alpr_desktop.core import compliance as table
from alpr_desktop.core.compliance import Requirement, Status
from alpr_desktop.core.roles import Action, Role
from alpr_desktop.errors import AlprError
from alpr_desktop.services.audit import AuditService
from alpr_desktop.services.base import Actor, BaseService, ServiceContext, load_department_settings
from alpr_desktop.services.compliance_tally import (
    TrailFigures,
    TrailTally,
    ok,
)
from alpr_desktop.services.passwords import check_argon2_strength
from alpr_desktop.services.policy import EXPORT_ACTION, PolicyService
from alpr_desktop.settings import DepartmentSettings
from alpr_desktop.storage import safeguards
from alpr_desktop.storage.engine import Database
from alpr_desktop.storage.models import (
    AccessRecord,
    AccountState,
    AgencyType,
    Alert,
    AlertStatus,
    AuditCheckpoint,
    AuditReport,
    AuditReportStatus,
    EvidenceHold,
    EvidenceHoldRead,
    HoldStatus,
    PlateRead,
    PurgeLog,
    ReleaseRequest,
    ReleaseShare,
    ReleaseStatus,
    TrainingRecord,
    User,
    UserRole,
)

VERIFY_ACTION = "audit_verify"
#: The trail action under which a checkpoint's export is recorded (services/audit_checkpoints).
CHECKPOINT_EXPORT_ACTION = "audit_checkpoint_exported"
VIEW_ACTION = "view_compliance"
#: The trail checks look at the last year of records, the case-number check at the last
#: quarter: one indexed range each, not the whole trail.
TRAIL_WINDOW_DAYS = 365
CASE_WINDOW_DAYS = 90
#: Release statuses under which data has gone, or may go, out.
_RELEASED = (ReleaseStatus.APPROVED, ReleaseStatus.FULFILLED)
_QUALIFYING = (AgencyType.CA_STATE, AgencyType.CA_LOCAL)
#: Settings whose change makes an exported policy out of date.
_POLICY_SETTINGS = (
    "agency_name",
    "designee_name",
    "designee_title",
    "retention_days",
    "training_validity_days",
    "purposes",
)
#: Words a usage and privacy policy needs, by what 1798.90.51(b)(2) asks it to state.
_POLICY_ELEMENTS = {
    "(A) authorised purposes": ("purpose",),
    "(B) who may access and their training": ("training",),
    "(C) monitoring": ("monitor", "audit"),
    "(D) sharing": ("shar", "release"),
    "(E) the custodian": ("custodian",),
    "(F) accuracy": ("accura",),
    "(G) retention": ("retain", "retention"),
}

Outcome = tuple[Status, str]


@dataclass(frozen=True)
class RequirementStatus:
    requirement: Requirement
    status: Status
    reason: str


@dataclass(frozen=True)
class ComplianceReport:
    checked_at: dt.datetime
    items: tuple[RequirementStatus, ...]

    @property
    def summary(self) -> str:
        return table.summary(item.status for item in self.items)

    def counts(self) -> dict[str, int]:
        return {s.value: sum(1 for i in self.items if i.status is s) for s in Status}


@dataclass
class Facts:
    """What the checks look at: one session, one clock reading, the settings."""

    session: Session
    now: dt.datetime
    settings: DepartmentSettings
    db: Database
    policy: PolicyService
    #: The trail's running counts (the service keeps one; a fresh one counts everything).
    tally: TrailTally = field(default_factory=TrailTally)
    _trail: TrailFigures | None = field(default=None, repr=False)

    @property
    def today(self) -> dt.date:
        return self.now.date()

    def days_ago(self, days: int) -> dt.datetime:
        return self.now - dt.timedelta(days=days)

    def scalar(self, stmt: object) -> int:
        return int(self.session.scalar(stmt) or 0)  # type: ignore[call-overload]

    def trail(self) -> TrailFigures:
        """The trail's figures over the checks' windows (the tally updated first, once)."""
        if self._trail is None:
            self.tally.update(self.session, self.backend)
            self._trail = self.tally.figures(
                today=self.today,
                purposes=self.settings.purposes,
                window_days=TRAIL_WINDOW_DAYS,
                case_days=CASE_WINDOW_DAYS,
            )
        return self._trail

    @property
    def backend(self) -> str:
        return self.db.backend


def _day(value: dt.datetime) -> str:
    return f"{value:%Y-%m-%d}"


def _names(values: list[str], limit: int = 4) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _last_record(
    facts: Facts, action: str, where: ColumnElement[bool] | None = None
) -> AccessRecord | None:
    """The newest record of ``action`` (walks the (action, seq) index backwards)."""
    stmt = (
        select(AccessRecord)
        .where(AccessRecord.action == action, literal(True) if where is None else where)
        .order_by(AccessRecord.seq.desc())
        .limit(1)
    )
    return facts.session.scalars(stmt).first()


def _active_users() -> ColumnElement[bool]:
    return User.state == AccountState.ACTIVE


def _current_training(day: object) -> ColumnElement[bool]:
    """A training record of ``users.id`` in force on ``day`` (a date or SQL date)."""
    return exists().where(
        TrainingRecord.user_id == User.id,
        TrainingRecord.completed_on <= day,
        TrainingRecord.expires_on > day,
    )


# --------------------------------------------------------------------------- accounts


def _commander_assigned(f: Facts) -> Outcome:
    names = list(
        f.session.scalars(
            select(User.username)
            .join(UserRole, UserRole.user_id == User.id)
            .where(_active_users(), UserRole.role == Role.COMMANDER)
            .order_by(User.username)
        )
    )
    if not names:
        return Status.NOT_MET, (
            "No active account holds the Commander role: nobody can set retention, name the "
            "designee or decide release requests."
        )
    return Status.MET, f"Commander role held by {_names(names)}."


def _user_titles(f: Facts) -> Outcome:
    with_role = exists().where(UserRole.user_id == User.id)
    rows = f.session.execute(
        select(User.username, User.title).where(_active_users(), with_role).order_by(User.username)
    ).all()
    missing = [name for name, title in rows if not title.strip()]
    if missing:
        return Status.ATTENTION, (
            f"{len(missing)} of {len(rows)} active account(s) record no job title: "
            f"{_names(missing)}."
        )
    return Status.MET, f"All {len(rows)} active account(s) record a job title and roles."


def _training_current(f: Facts) -> Outcome:
    stmt = select(User.username).where(_active_users(), ~_current_training(f.today))
    untrained = list(f.session.scalars(stmt.order_by(User.username)))
    total = f.scalar(select(func.count(User.id)).where(_active_users()))
    if untrained:
        return Status.NOT_MET, (
            f"{len(untrained)} of {total} active account(s) have no current ALPR training: "
            f"{_names(untrained)} (refused ALPR data until it is recorded)."
        )
    return Status.MET, f"All {total} active account(s) have current ALPR training."


def _training_expiring(f: Facts) -> Outcome:
    soon = f.today + dt.timedelta(days=table.TRAINING_WARNING_DAYS)
    latest = (
        select(
            TrainingRecord.user_id,
            func.max(TrainingRecord.expires_on).label("expires"),
            func.max(TrainingRecord.completed_on).label("completed"),
        )
        .where(TrainingRecord.completed_on <= f.today, TrainingRecord.expires_on > f.today)
        .group_by(TrainingRecord.user_id)
        .subquery()
    )
    rows = f.session.execute(
        select(User.username, latest.c.expires, latest.c.completed)
        .join(latest, latest.c.user_id == User.id)
        .where(_active_users())
        .order_by(latest.c.expires)
    ).all()
    expiring = [f"{name} ({expires:%Y-%m-%d})" for name, expires, _c in rows if expires <= soon]
    validity = dt.timedelta(days=f.settings.training_validity_days)
    stale = [name for name, _e, completed in rows if f.today - completed > validity]
    problems = []
    if expiring:
        problems.append(
            f"{len(expiring)} training record(s) expire within "
            f"{table.TRAINING_WARNING_DAYS} days: {_names(expiring, 3)}"
        )
    if stale:
        problems.append(
            f"{len(stale)} account(s) trained longer ago than the "
            f"{f.settings.training_validity_days}-day validity now set: {_names(stale, 3)}"
        )
    if problems:
        return Status.ATTENTION, "; ".join(problems) + "."
    return Status.MET, (
        f"No current training expires within {table.TRAINING_WARNING_DAYS} days "
        f"(validity {f.settings.training_validity_days} days)."
    )


def _untrained_access(f: Facts) -> Outcome:
    f.trail()  # brings the tally up to date
    found = f.tally.untrained(f.session, today=f.today, window_days=TRAIL_WINDOW_DAYS)
    if found.count:
        return Status.NOT_MET, (
            f"{found.count} access(es) to ALPR data in the last {TRAIL_WINDOW_DAYS} days by "
            f"accounts without training in force that day (the first on {found.first_day}): "
            "see the Audit viewer."
        )
    return Status.MET, (
        f"Every access to ALPR data in the last {TRAIL_WINDOW_DAYS} days was by an account "
        "with training in force; the system refuses the untrained."
    )


def _refusals(f: Facts) -> Outcome:
    since = f.days_ago(table.REFUSALS_WITHIN_DAYS)
    count, users = f.session.execute(
        select(func.count(AccessRecord.id), func.count(AccessRecord.username.distinct())).where(
            AccessRecord.outcome == "refused", AccessRecord.recorded_at >= since
        )
    ).one()
    if count:
        return Status.ATTENTION, (
            f"{count} refused attempt(s) by {users} account(s) in the last "
            f"{table.REFUSALS_WITHIN_DAYS} days: review them in the Audit viewer."
        )
    return Status.MET, (
        f"Every action is checked against the permission table; no refused attempt in the "
        f"last {table.REFUSALS_WITHIN_DAYS} days."
    )


# --------------------------------------------------------------------------- the trail


def _chain_verified(f: Facts) -> Outcome:
    # A cancelled verification checked nothing to the end.
    last = _last_record(f, VERIFY_ACTION, where=AccessRecord.outcome != "cancelled")
    if last is None:
        return Status.NOT_MET, "The access trail has never been verified."
    when = f"{_day(last.recorded_at)} by {last.username}"
    if last.outcome != "ok" or "BROKEN" in last.detail:
        return Status.NOT_MET, f"The last verification ({when}) found the trail broken."
    age = (f.now - last.recorded_at).days
    if age > table.VERIFY_WITHIN_DAYS:
        return Status.ATTENTION, (
            f"Last verified intact {age} days ago ({when}); verify at least every "
            f"{table.VERIFY_WITHIN_DAYS} days."
        )
    return Status.MET, f"Verified intact on {when}."


def _trigger_problems(f: Facts) -> list[str]:
    conn = f.session.connection()
    if f.backend == "sqlite":
        return safeguards.missing_trail_triggers(conn)
    rows = conn.execute(
        text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass('access_records') "
            "AND NOT tgisinternal AND tgenabled <> 'D'"
        )
    ).scalars()
    return sorted({"access_records_append_only", "access_records_no_truncate"} - set(rows))


def _access_trail(f: Facts) -> Outcome:
    head = f.scalar(select(func.max(AccessRecord.seq)))  # the index's last entry, not a count
    missing = _trigger_problems(f)
    if missing:
        return Status.NOT_MET, (
            f"The trail's append-only trigger(s) {', '.join(missing)} are missing or "
            "disabled: records could be changed or deleted."
        )
    if not head:
        return Status.NOT_MET, "The access trail holds no records."
    return Status.MET, (
        f"{head:,} access records, hash-chained; the database refuses to change or delete them."
    )


def _purposes_recorded(f: Facts) -> Outcome:
    t = f.trail()
    if t.without_purpose:
        return Status.NOT_MET, (
            f"{t.without_purpose} of {t.queries:,} searches or exports of the last "
            f"{TRAIL_WINDOW_DAYS} days name no purpose."
        )
    return Status.MET, (
        f"All {t.queries:,} searches, canvasses and exports of the last {TRAIL_WINDOW_DAYS} "
        "days name an authorised purpose."
        if t.queries
        else "No search yet; each one must name an authorised purpose."
    )


def _case_numbers(f: Facts) -> Outcome:
    missing = f.trail().without_case
    if missing:
        return Status.ATTENTION, (
            f"{missing} search(es) in the last {CASE_WINDOW_DAYS} days carry no case number: "
            "review them in the audit report."
        )
    return Status.MET, (
        f"Every search of the last {CASE_WINDOW_DAYS} days carries a case or incident number."
    )


def _access_records_complete(f: Facts) -> Outcome:
    t = f.trail()
    if t.incomplete:
        return Status.NOT_MET, (
            f"{t.incomplete} of {t.queries:,} data-access records of the last "
            f"{TRAIL_WINDOW_DAYS} days lack the query, the username or the purpose."
        )
    if not t.queries:
        return Status.MET, (
            f"No data query in the last {TRAIL_WINDOW_DAYS} days; each is recorded with date "
            "and time, the query, the username and organisation, and the purpose."
        )
    return Status.MET, (
        f"All {t.queries:,} data-access records of the last {TRAIL_WINDOW_DAYS} days carry "
        "date and time, the query, the username and organisation, and the purpose."
    )


def _purposes_authorised(f: Facts) -> Outcome:
    t = f.trail()
    if t.outside_list:
        named = _names([f"“{p}”" for p in t.outside_names], 3)
        return Status.ATTENTION, (
            f"{t.outside_list} search(es) of the last {TRAIL_WINDOW_DAYS} days name a purpose "
            f"not on the department's list now: {named}."
        )
    return Status.MET, (
        f"Searches use only the {len(f.settings.purposes)} purposes the department authorises."
    )


def _checkpoints_signed(f: Facts) -> Outcome:
    last = f.session.scalars(
        select(AuditCheckpoint).order_by(AuditCheckpoint.signed_at.desc()).limit(1)
    ).first()
    if last is None:
        return Status.NOT_MET, (
            "No signed checkpoint of the access trail exists: a consistent rewrite or the "
            "loss of the newest records would go unnoticed."
        )
    age = (f.now - last.signed_at).days
    signed = f"record #{last.seq} signed {_day(last.signed_at)}"
    if age > table.CHECKPOINT_WITHIN_DAYS:
        return Status.ATTENTION, (
            f"Last checkpoint: {signed}, {age} days ago; sign one at least every "
            f"{table.CHECKPOINT_WITHIN_DAYS} days."
        )
    exported = _last_record(f, CHECKPOINT_EXPORT_ACTION)
    if exported is None or exported.recorded_at < last.signed_at - dt.timedelta(
        days=table.CHECKPOINT_WITHIN_DAYS
    ):
        return Status.ATTENTION, (
            f"Last checkpoint: {signed}; no recent export of a checkpoint file is recorded: "
            "keep one outside the database."
        )
    return Status.MET, f"Last checkpoint: {signed}; exported {_day(exported.recorded_at)}."


def _database_privileges(f: Facts) -> Outcome:
    if f.backend == "sqlite":
        return Status.ATTENTION, (
            "Embedded SQLite: whoever can write the database file can rewrite the trail; only "
            "signed checkpoints kept elsewhere reveal it. A networked PostgreSQL setup with a "
            "least-privilege role closes this."
        )
    warnings = safeguards.privilege_warnings(f.db.engine)
    if warnings:
        return Status.NOT_MET, " ".join(warnings)
    return Status.MET, (
        "The application's database role is no superuser and does not own the trail."
    )


# --------------------------------------------------------------------------- settings


def _designee_named(f: Facts) -> Outcome:
    name, title = f.settings.designee_name.strip(), f.settings.designee_title.strip()
    if name and title:
        return Status.MET, f"{name}, {title}."
    if name or title:
        missing = "title" if name else "name"
        return Status.ATTENTION, f"The designee's {missing} is not recorded ({name or title})."
    return Status.NOT_MET, "No designee is named: a commander names one in Settings."


def _changes_setting(key: str) -> ColumnElement[bool]:
    """An ``update_settings`` record whose query changes ``key``.

    The query is canonical JSON ``{"key":{"after":…,"before":…},…}`` (settings_service);
    ``key`` is one of the settings' own field names, not input.
    """
    return and_(ok(), AccessRecord.query.like(f'%"{key}":{{"after"%'))


def _settings_changed_since(f: Facts, since: dt.datetime, keys: tuple[str, ...]) -> list[str]:
    rows = f.session.scalars(
        select(AccessRecord.query).where(
            AccessRecord.action == "update_settings",
            ok(),
            AccessRecord.recorded_at > since,
        )
    )
    changed: set[str] = set()
    for query in rows:
        try:
            value = json.loads(query) if query else {}
        except ValueError:
            continue
        if isinstance(value, dict):
            changed.update(k for k in keys if k in value)
    return sorted(changed)


def _retention_set(f: Facts) -> Outcome:
    days = f.settings.retention_days
    last = _last_record(f, "update_settings", where=_changes_setting("retention_days"))
    if days < table.MINIMUM_RETENTION_DAYS:
        by = f" (set by {last.username} on {_day(last.recorded_at)})" if last else ""
        return Status.NOT_MET, (
            f"Retention is {days} days{by}, under the one year policy 471.5 and Gov. Code "
            "34090.6 ask for."
        )
    if last is None:
        return Status.ATTENTION, (
            f"Retention is the shipped default of {days} days: the commander has not set it."
        )
    return Status.MET, (
        f"Retention set to {days} days by {last.username} on {_day(last.recorded_at)} "
        "(at least a year)."
    )


def _login_protection(f: Facts) -> Outcome:
    s = f.settings
    problems = []
    if s.lockout_threshold > 10:
        problems.append(f"lockout only after {s.lockout_threshold} failed sign-ins")
    if s.idle_lock_minutes > 30:
        problems.append(f"the screen locks only after {s.idle_lock_minutes} idle minutes")
    try:
        check_argon2_strength(s.argon2)
    except AlprError:
        problems.append("the password hashing cost is below OWASP's minimum")
    if problems:
        return Status.ATTENTION, "Weak settings: " + "; ".join(problems) + "."
    return Status.MET, (
        f"Passwords of {s.password_min_length}+ characters, lockout after "
        f"{s.lockout_threshold} failures, idle lock after {s.idle_lock_minutes} min; every "
        "access recorded by name, date and time."
    )


def _policy_published(f: Facts) -> Outcome:
    last = _last_record(f, EXPORT_ACTION)
    if last is None:
        return Status.ATTENTION, (
            "The policy has never been exported from here: export it (Policy page) and post "
            "it on the department's website."
        )
    changed = _settings_changed_since(f, last.recorded_at, _POLICY_SETTINGS)
    file_changed = f.policy.template_changed_at()
    if file_changed is not None and file_changed > last.recorded_at:
        changed.append("the policy file")
    if changed:
        return Status.ATTENTION, (
            f"Exported {_day(last.recorded_at)}, but {', '.join(changed)} changed since: "
            "export it again and replace the website copy."
        )
    return Status.MET, (
        f"Exported {_day(last.recorded_at)} by {last.username}; make sure that copy is the "
        "one posted on the website."
    )


def _policy_complete(f: Facts) -> Outcome:
    document = f.policy.document(f.settings)
    words = document.markdown.casefold()
    missing = [
        name for name, stems in _POLICY_ELEMENTS.items() if not any(s in words for s in stems)
    ]
    source = "the shipped policy" if document.source == "default" else "the department's file"
    if missing:
        return Status.ATTENTION, f"{source.capitalize()} does not mention {_names(missing, 7)}."
    if not (f.settings.designee_name.strip() and f.settings.designee_title.strip()):
        return Status.ATTENTION, (
            f"{source.capitalize()} covers every element, but it names no designee yet."
        )
    return Status.MET, f"{source.capitalize()} states every element the statute lists."


# --------------------------------------------------------------------------- audits


def _audit_signed_off(f: Facts) -> Outcome:
    last = f.session.scalars(
        select(AuditReport)
        .where(AuditReport.status == AuditReportStatus.SIGNED_OFF)
        .order_by(AuditReport.signed_off_at.desc())
        .limit(1)
    ).first()
    if last is None or last.signed_off_at is None:
        return Status.NOT_MET, "No audit report has been signed off."
    age = (f.now - last.signed_off_at).days
    what = (
        f"the audit of {_day(last.period_start)} – {_day(last.period_end)} was signed off "
        f"{_day(last.signed_off_at)} by {last.signed_off_by}"
    )
    if age <= table.AUDIT_WITHIN_DAYS:
        return Status.MET, f"Last audit: {what}."
    if age <= table.AUDIT_LATEST_DAYS:
        return Status.ATTENTION, f"Last audit {age} days ago: {what}; audit quarterly."
    return Status.NOT_MET, f"No audit signed off for more than a year: {what}."


# --------------------------------------------------------------------------- releases


def _released_requests(f: Facts, *conditions: ColumnElement[bool]) -> list[ReleaseRequest]:
    stmt = select(ReleaseRequest).where(ReleaseRequest.status.in_(_RELEASED), *conditions)
    return list(f.session.scalars(stmt.order_by(ReleaseRequest.id).limit(20)))


def _released_count(f: Facts) -> int:
    return f.scalar(
        select(func.count(ReleaseRequest.id)).where(ReleaseRequest.status.in_(_RELEASED))
    )


def _release_requests_complete(f: Facts) -> Outcome:
    bad = _released_requests(
        f,
        (func.trim(ReleaseRequest.agency_name) == "")
        | (func.trim(ReleaseRequest.requester_name) == "")
        | (func.trim(ReleaseRequest.intended_purpose) == ""),
    )
    if bad:
        return Status.NOT_MET, (
            f"{len(bad)} approved request(s) lack the agency, the requester or the purpose: "
            f"#{', #'.join(str(r.id) for r in bad)}."
        )
    return Status.MET, f"{_released_count(f)} approved request(s), each complete."


def _releases_approved(f: Facts) -> Outcome:
    undecided = _released_requests(
        f, ReleaseRequest.decided_by_id.is_(None) | ReleaseRequest.decided_at.is_(None)
    )
    unapproved = f.scalar(
        select(func.count(ReleaseShare.id))
        .join(ReleaseRequest, ReleaseRequest.id == ReleaseShare.request_id)
        .where(ReleaseRequest.status.not_in(_RELEASED))
    )
    if undecided or unapproved:
        return Status.NOT_MET, (
            f"{len(undecided)} request(s) marked approved without a recorded decision; "
            f"{unapproved} share(s) of requests that were never approved."
        )
    return Status.MET, "Every release was approved, with who decided and when, before it went out."


def _releases_logged(f: Facts) -> Outcome:
    shared = exists().where(ReleaseShare.request_id == ReleaseRequest.id)
    unlogged = f.scalar(
        select(func.count(ReleaseRequest.id)).where(
            ReleaseRequest.status == ReleaseStatus.FULFILLED, ~shared
        )
    )
    if unlogged:
        return Status.ATTENTION, (
            f"{unlogged} fulfilled request(s) have no entry in the sharing log."
        )
    shares = f.scalar(select(func.count(ReleaseShare.id)))
    return Status.MET, f"Requests are kept on file; {shares} share(s) in the sharing log."


def _qualifying_agencies(f: Facts) -> Outcome:
    bad = _released_requests(f, ReleaseRequest.agency_type.not_in(_QUALIFYING))
    if bad:
        named = _names([f"{r.agency_name} ({r.agency_type.value})" for r in bad], 3)
        return Status.NOT_MET, (
            f"{len(bad)} release(s) approved or fulfilled for agencies that are not California "
            f"public agencies: {named}."
        )
    count = _released_count(f)
    return Status.MET, (
        f"All {count} approved release(s) went to California state or local agencies."
        if count
        else "No release approved; only California public agencies qualify."
    )


# --------------------------------------------------------------------------- retention


def _held_read_ids() -> object:
    return (
        select(EvidenceHoldRead.read_id)
        .join(EvidenceHold, EvidenceHold.id == EvidenceHoldRead.hold_id)
        .where(EvidenceHold.status.in_((HoldStatus.REQUESTED, HoldStatus.APPROVED)))
    )


def _purges_running(f: Facts) -> Outcome:
    cutoff = f.days_ago(f.settings.retention_days)
    overdue = f.scalar(
        select(func.count(PlateRead.id)).where(
            PlateRead.read_at < cutoff,
            PlateRead.id.not_in(_held_read_ids()),  # type: ignore[arg-type]
        )
    )
    purges = f.session.execute(
        select(PurgeLog.ran_at, PurgeLog.cutoff, PurgeLog.reads_purged).order_by(
            PurgeLog.ran_at.desc()
        )
    ).all()
    minimum = dt.timedelta(days=table.MINIMUM_RETENTION_DAYS)
    year_ago = f.days_ago(365)
    early = [
        ran
        for ran, cut, _n in purges
        if ran >= year_ago and ran - cut < minimum - dt.timedelta(days=1)
    ]
    if early:
        return Status.NOT_MET, (
            f"{len(early)} purge(s) in the last year cut at less than one year's age (the "
            f"latest {_day(early[0])}): reads younger than policy 471.5 allows were, or would "
            "have been, removed."
        )
    if overdue:
        last = f"the last purge ran {_day(purges[0][0])}" if purges else "no purge has run yet"
        return Status.NOT_MET, (
            f"{overdue:,} read(s) are older than the {f.settings.retention_days}-day retention "
            f"period and not held: {last}."
        )
    if not purges:
        return Status.ATTENTION, (
            "No purge has run yet (alpr-desktop purge, or the scheduled purge); no read is "
            f"older than the {f.settings.retention_days}-day retention period so far."
        )
    latest, _cut, count = purges[0]
    age = (f.now - latest).days
    if age > table.PURGE_WITHIN_DAYS:
        return Status.ATTENTION, (
            f"The last purge ran {age} days ago ({_day(latest)}, {count} reads)."
        )
    return Status.MET, f"Last purge {_day(latest)}: {count:,} read(s) past retention removed."


def _evidence_holds(f: Facts) -> Outcome:
    overdue, pending, active = f.session.execute(
        select(
            func.sum(
                case(
                    (
                        and_(
                            EvidenceHold.status == HoldStatus.APPROVED,
                            EvidenceHold.review_on < f.today,
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
            func.sum(case((EvidenceHold.status == HoldStatus.REQUESTED, 1), else_=0)),
            func.sum(case((EvidenceHold.status == HoldStatus.APPROVED, 1), else_=0)),
        )
    ).one()
    overdue, pending, active = int(overdue or 0), int(pending or 0), int(active or 0)
    if overdue or pending:
        return Status.ATTENTION, (
            f"{overdue} evidence hold(s) past their review date; {pending} awaiting approval."
        )
    return Status.MET, (
        f"{active} evidence hold(s) in force, none past its review date."
        if active
        else "No evidence holds; data needed as evidence is put under one before retention ends."
    )


# --------------------------------------------------------------------------- procedures


def _clets_confirmation(f: Facts) -> Outcome:
    since = f.days_ago(90)
    accepted, confirmed = f.session.execute(
        select(
            func.count(Alert.id),
            func.sum(case((Alert.disposition_reason.ilike("%CLETS%"), 1), else_=0)),
        ).where(Alert.status == AlertStatus.ACCEPTED, Alert.disposed_at >= since)
    ).one()
    return Status.PROCEDURE, (
        f"{accepted} alert(s) accepted in the last 90 days, {int(confirmed or 0)} recorded as "
        "confirmed through CLETS; the CLETS query itself happens outside this application."
    )


def _public_comment(_f: Facts) -> Outcome:
    return Status.PROCEDURE, (
        "Keep the minutes of the governing body's public meeting on the program; this "
        "application cannot see them."
    )


EVALUATORS: dict[str, Callable[[Facts], Outcome]] = {
    "commander_assigned": _commander_assigned,
    "user_titles": _user_titles,
    "training_current": _training_current,
    "training_expiring": _training_expiring,
    "untrained_access": _untrained_access,
    "refusals": _refusals,
    "chain_verified": _chain_verified,
    "access_trail": _access_trail,
    "purposes_recorded": _purposes_recorded,
    "case_numbers": _case_numbers,
    "access_records_complete": _access_records_complete,
    "purposes_authorised": _purposes_authorised,
    "checkpoints_signed": _checkpoints_signed,
    "database_privileges": _database_privileges,
    "designee_named": _designee_named,
    "retention_set": _retention_set,
    "login_protection": _login_protection,
    "policy_published": _policy_published,
    "policy_complete": _policy_complete,
    "audit_signed_off": _audit_signed_off,
    "release_requests_complete": _release_requests_complete,
    "releases_approved": _releases_approved,
    "releases_logged": _releases_logged,
    "qualifying_agencies": _qualifying_agencies,
    "purges_running": _purges_running,
    "evidence_holds": _evidence_holds,
    "clets_confirmation": _clets_confirmation,
    "public_comment": _public_comment,
}


def evaluate(
    facts: Facts, requirements: tuple[Requirement, ...] = table.REQUIREMENTS
) -> tuple[RequirementStatus, ...]:
    """Each requirement's status; a check evaluated once even where rows share it."""
    outcomes: dict[str, Outcome] = {}
    items = []
    for requirement in requirements:
        if requirement.check not in outcomes:
            outcomes[requirement.check] = EVALUATORS[requirement.check](facts)
        status, reason = outcomes[requirement.check]
        items.append(RequirementStatus(requirement, status, reason))
    return tuple(items)


class ComplianceService(BaseService):
    """The compliance page's figures, behind ``VIEW_COMPLIANCE`` (recorded)."""

    def __init__(self, ctx: ServiceContext, audit: AuditService, policy: PolicyService) -> None:
        super().__init__(ctx)
        self.audit = audit
        self.policy = policy
        self.tally = TrailTally()

    def status(self, actor: Actor) -> ComplianceReport:
        """Every requirement's live status; the viewing is recorded before it returns."""
        with self._work(actor, Action.VIEW_COMPLIANCE) as (session, _me):
            now = self.ctx.now()
            settings = load_department_settings(session)
            facts = Facts(session, now, settings, self.ctx.db, self.policy, self.tally)
            items = evaluate(facts)
            report = ComplianceReport(now, items)
            self.audit.record_admin(
                session,
                actor,
                VIEW_ACTION,
                detail=f"viewed the compliance page: {report.summary}",
                query=report.counts(),
            )
            return report
