"""The compliance page's checks against a real installation (SQLite and PostgreSQL).

Each check is driven from one state to another by changing the installation the way it
changes in use — through the services where they exist (settings, users, verification,
policy export), by inserting rows where the capability has not landed yet (releases,
audit reports, purges) — and the status and its reason are read back.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from alpr_desktop.app import Application
from alpr_desktop.core.compliance import REQUIREMENTS, Status
from alpr_desktop.core.roles import Role
from alpr_desktop.errors import PermissionDenied
from alpr_desktop.services.audit import append_record
from alpr_desktop.services.base import Actor
from alpr_desktop.services.compliance import VIEW_ACTION
from alpr_desktop.storage.models import (
    AccessRecord,
    AgencyType,
    AuditCheckpoint,
    AuditReport,
    AuditReportStatus,
    PlateRead,
    PurgeLog,
    ReleaseRequest,
    ReleaseShare,
    ReleaseStatus,
)
from tests.conftest import cosigner, create_active_user

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def commander(app: Application, admin: Actor) -> Actor:
    return create_active_user(app, admin, "cmdr.one", [Role.COMMANDER])


def _status(app: Application, actor: Actor) -> dict[str, tuple[Status, str]]:
    report = app.services.compliance.status(actor)
    assert len(report.items) == len(REQUIREMENTS)
    return {item.requirement.check: (item.status, item.reason) for item in report.items}


def _check(app: Application, actor: Actor, key: str) -> tuple[Status, str]:
    return _status(app, actor)[key]


def _append(app: Application, when: dt.datetime = NOW, **fields: object) -> None:
    fields.setdefault("username", "someone")
    fields.setdefault("category", "admin")
    with app.database.sessions.begin() as session:
        append_record(session, now=when, **fields)  # type: ignore[arg-type]


def test_viewing_is_recorded_and_refused_without_the_permission(
    app: Application, admin: Actor, commander: Actor
) -> None:
    report = app.services.compliance.status(commander)
    assert report.summary.startswith(f"{report.counts()['met']} met, ")
    with app.database.sessions() as session:
        [record] = session.scalars(
            select(AccessRecord).where(AccessRecord.action == VIEW_ACTION)
        ).all()
    assert record.username == commander.username and record.outcome == "ok"
    assert report.summary in record.detail
    investigator = create_active_user(app, admin, "inv.one", [Role.INVESTIGATOR])
    with pytest.raises(PermissionDenied, match="roles do not allow"):
        app.services.compliance.status(investigator)
    with app.database.sessions() as session:
        refused = session.scalars(
            select(AccessRecord.action).where(
                AccessRecord.username == "inv.one", AccessRecord.outcome == "refused"
            )
        ).all()
    assert refused == ["view_compliance"]


def test_designee_named(app: Application, admin: Actor, commander: Actor) -> None:
    assert _check(app, admin, "designee_named")[0] is Status.NOT_MET
    app.services.settings.update(commander, designee_name="Lt. Maria Lopez")
    status, reason = _check(app, admin, "designee_named")
    assert status is Status.ATTENTION and "title" in reason
    assert _check(app, admin, "policy_complete")[0] is Status.ATTENTION
    app.services.settings.update(commander, designee_title="Support Services Commander")
    status, reason = _check(app, admin, "designee_named")
    assert status is Status.MET and reason == "Lt. Maria Lopez, Support Services Commander."
    assert _check(app, admin, "policy_complete")[0] is Status.MET


def test_commander_and_titles(app: Application, admin: Actor) -> None:
    status, reason = _check(app, admin, "commander_assigned")
    assert status is Status.NOT_MET and "Commander" in reason
    create_active_user(app, admin, "cmdr.two", [Role.COMMANDER])
    status, reason = _check(app, admin, "commander_assigned")
    assert status is Status.MET and "cmdr.two" in reason
    status, reason = _check(app, admin, "user_titles")
    assert status is Status.ATTENTION and "cmdr.two" in reason


def test_every_active_user_trained(app: Application, admin: Actor) -> None:
    supervisor = cosigner(app, admin)  # active, holds a role, never trained
    status, reason = _check(app, admin, "training_current")
    assert status is Status.NOT_MET and supervisor.username in reason and "admin" in reason
    # Nobody records their own training: a second administrator records the first's.
    second = create_active_user(app, admin, "adm.two", [Role.ADMINISTRATOR])
    app.services.users.add_training(
        second, admin.user_id, course="ALPR operator", completed_on=dt.date.today()
    )
    status, reason = _check(app, admin, "training_current")
    assert status is Status.NOT_MET and "admin," not in reason and supervisor.username in reason
    # Trained long ago, running out next week.
    app.services.users.add_training(
        admin,
        supervisor.user_id,
        course="ALPR operator",
        completed_on=dt.date.today() - dt.timedelta(days=700),
        expires_on=dt.date.today() + dt.timedelta(days=7),
    )
    assert _check(app, admin, "training_current")[0] is Status.MET
    status, reason = _check(app, admin, "training_expiring")
    assert status is Status.ATTENTION and "1 training record(s) expire" in reason
    assert supervisor.username in reason and "validity" not in reason
    app.services.settings.update(admin, training_validity_days=300)
    status, reason = _check(app, admin, "training_expiring")
    assert "trained longer ago than the 300-day validity" in reason
    app.services.users.add_training(
        admin, supervisor.user_id, course="Refresher", completed_on=dt.date.today()
    )
    assert _check(app, admin, "training_expiring")[0] is Status.MET


def test_data_access_without_training_in_force(app: Application, admin: Actor) -> None:
    def search_by(actor: Actor, case_number: str) -> None:
        _append(
            app,
            username=actor.username,
            user_id=actor.user_id,
            category="data",
            action="search_reads",
            purpose="Criminal investigation",
            case_number=case_number,
            query={"pattern": "7ABC123"},
        )

    search_by(create_active_user(app, admin, "inv.two", [Role.INVESTIGATOR]), "26-1")
    assert _check(app, admin, "untrained_access")[0] is Status.MET
    search_by(cosigner(app, admin), "26-2")  # never trained: as if the gate were bypassed
    status, reason = _check(app, admin, "untrained_access")
    assert status is Status.NOT_MET and reason.startswith("1 access(es)")


def test_search_records_purpose_case_and_authorised_purpose(app: Application, admin: Actor) -> None:
    search = {"category": "data", "action": "search_reads", "query": {"pattern": "7AB*"}}
    # Older than the checks' window (a year): not counted.
    _append(app, NOW - dt.timedelta(days=400), purpose="", case_number="", **search)
    _append(app, purpose="Criminal investigation", case_number="26-3", **search)
    checks = _status(app, admin)
    for key in ("purposes_recorded", "case_numbers", "access_records_complete"):
        assert checks[key][0] is Status.MET, checks[key]
    assert checks["purposes_authorised"][0] is Status.MET
    _append(app, purpose="Curiosity", case_number="", **search)
    checks = _status(app, admin)
    assert checks["case_numbers"][0] is Status.ATTENTION
    assert checks["purposes_authorised"][0] is Status.ATTENTION
    assert "“Curiosity”" in checks["purposes_authorised"][1]
    _append(app, purpose="", case_number="26-4", **search)
    checks = _status(app, admin)
    assert checks["purposes_recorded"] == (
        Status.NOT_MET,
        "1 of 3 searches or exports of the last 365 days name no purpose.",
    )
    assert checks["access_records_complete"][0] is Status.NOT_MET


def test_release_to_a_non_qualifying_agency(app: Application, admin: Actor) -> None:
    assert _check(app, admin, "qualifying_agencies")[0] is Status.MET

    def request(agency_type: AgencyType, status: ReleaseStatus, decided: bool = True) -> int:
        with app.database.sessions.begin() as session:
            row = ReleaseRequest(
                created_by_id=admin.user_id,
                agency_name=f"{agency_type.value} agency",
                agency_type=agency_type,
                agency_state="CA" if agency_type.value.startswith("ca") else "NV",
                requester_name="Det. Reyes",
                requester_contact="reyes@example.org",
                intended_purpose="Stolen vehicle investigation",
                case_number="26-5",
                legal_basis="Civ. Code 1798.90.55(b)",
                data_requested="reads of 7ABC123",
                status=status,
                decided_by_id=admin.user_id if decided else None,
                decided_at=NOW if decided else None,
            )
            session.add(row)
            session.flush()
            return row.id

    local = request(AgencyType.CA_LOCAL, ReleaseStatus.FULFILLED)
    checks = _status(app, admin)
    assert checks["qualifying_agencies"][0] is Status.MET
    assert checks["releases_logged"][0] is Status.ATTENTION  # fulfilled, nothing in the log
    with app.database.sessions.begin() as session:
        session.add(
            ReleaseShare(
                request_id=local,
                shared_by_id=admin.user_id,
                recipient="Det. Reyes",
                read_count=3,
                file_count=4,
                manifest_sha256="0" * 64,
                package_name="release-1.zip",
            )
        )
    assert _check(app, admin, "releases_logged")[0] is Status.MET
    request(AgencyType.OUT_OF_STATE, ReleaseStatus.DENIED)  # denied: nothing went out
    assert _check(app, admin, "qualifying_agencies")[0] is Status.MET
    request(AgencyType.OUT_OF_STATE, ReleaseStatus.APPROVED)
    status, reason = _check(app, admin, "qualifying_agencies")
    assert status is Status.NOT_MET and "out_of_state agency (out_of_state)" in reason
    assert _check(app, admin, "releases_approved")[0] is Status.MET
    request(AgencyType.CA_STATE, ReleaseStatus.APPROVED, decided=False)
    assert _check(app, admin, "releases_approved")[0] is Status.NOT_MET


def test_chain_verified(app: Application, admin: Actor) -> None:
    status, reason = _check(app, admin, "chain_verified")
    assert status is Status.NOT_MET and "never" in reason
    app.services.audit.verify(admin)
    status, reason = _check(app, admin, "chain_verified")
    assert status is Status.MET and "admin" in reason
    _append(app, username="cli:ops", action="audit_verify", outcome="failed", detail="BROKEN at #3")
    assert _check(app, admin, "chain_verified")[0] is Status.NOT_MET
    _append(app, NOW - dt.timedelta(days=20), action="audit_verify", detail="intact")
    status, reason = _check(app, admin, "chain_verified")
    assert status is Status.ATTENTION and "20 days ago" in reason


def test_trail_triggers(sqlite_app: Application) -> None:
    from tests.conftest import create_admin

    admin = create_admin(sqlite_app)
    assert _check(sqlite_app, admin, "access_trail")[0] is Status.MET
    with sqlite_app.database.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER access_records_no_delete"))
    status, reason = _check(sqlite_app, admin, "access_trail")
    assert status is Status.NOT_MET and "access_records_no_delete" in reason


def test_checkpoints_signed_and_exported(app: Application, admin: Actor) -> None:
    assert _check(app, admin, "checkpoints_signed")[0] is Status.NOT_MET
    with app.database.sessions.begin() as session:
        session.add(
            AuditCheckpoint(
                seq=1,
                record_hash="a" * 64,
                signed_at=NOW - dt.timedelta(hours=1),
                key_id="k" * 64,
                signature="c2ln",
                created_by="admin",
            )
        )
    status, reason = _check(app, admin, "checkpoints_signed")
    assert status is Status.ATTENTION and "export" in reason
    _append(app, action="audit_checkpoint_exported", detail="exported")
    assert _check(app, admin, "checkpoints_signed")[0] is Status.MET


def test_audit_signed_off(app: Application, admin: Actor) -> None:
    assert _check(app, admin, "audit_signed_off")[0] is Status.NOT_MET

    def report(signed_days_ago: int | None) -> None:
        with app.database.sessions.begin() as session:
            signed = signed_days_ago is not None
            session.add(
                AuditReport(
                    period_start=NOW - dt.timedelta(days=120),
                    period_end=NOW - dt.timedelta(days=30),
                    created_by="sup.one",
                    seed=7,
                    sample_size=10,
                    status=AuditReportStatus.SIGNED_OFF if signed else AuditReportStatus.DRAFT,
                    signed_off_at=NOW - dt.timedelta(days=signed_days_ago) if signed else None,
                    signed_off_by="sup.one" if signed else "",
                )
            )

    report(None)  # a draft is no audit
    assert _check(app, admin, "audit_signed_off")[0] is Status.NOT_MET
    report(200)
    assert _check(app, admin, "audit_signed_off")[0] is Status.ATTENTION
    report(5)
    status, reason = _check(app, admin, "audit_signed_off")
    assert status is Status.MET and "sup.one" in reason


def test_retention_and_purges(app: Application, admin: Actor, commander: Actor) -> None:
    checks = _status(app, admin)
    assert checks["retention_set"][0] is Status.ATTENTION
    assert checks["purges_running"][0] is Status.ATTENTION  # no purge yet, nothing overdue
    app.services.settings.update(commander, retention_days=400)
    status, reason = _check(app, admin, "retention_set")
    assert status is Status.MET and reason.startswith("Retention set to 400 days by cmdr.one")
    with app.database.sessions.begin() as session:
        session.add(
            PlateRead(
                read_at=NOW - dt.timedelta(days=401),
                plate_text="OLD123",
                plate_normalized="OLD123",
                plate_folded="0LD123",
                confidence=0.9,
            )
        )
    status, reason = _check(app, admin, "purges_running")
    assert status is Status.NOT_MET and "no purge has run yet" in reason
    with app.database.sessions.begin() as session:
        session.query(PlateRead).delete()
        session.add(
            PurgeLog(
                ran_at=NOW - dt.timedelta(hours=3),
                cutoff=NOW - dt.timedelta(days=400),
                reads_purged=1,
                images_purged=0,
                held_reads_kept=0,
            )
        )
    assert _check(app, admin, "purges_running")[0] is Status.MET
    with app.database.sessions.begin() as session:
        session.add(
            PurgeLog(
                ran_at=NOW - dt.timedelta(hours=1),
                cutoff=NOW - dt.timedelta(days=30),
                reads_purged=5,
                images_purged=0,
                held_reads_kept=0,
            )
        )
    status, reason = _check(app, admin, "purges_running")
    assert status is Status.NOT_MET and "cut at less than one year's age" in reason


def test_policy_published(app: Application, admin: Actor, commander: Actor, tmp_path: Path) -> None:
    assert _check(app, admin, "policy_published")[0] is Status.ATTENTION
    out = tmp_path / "policy.html"
    exported = app.services.policy.export(out, actor=admin)
    assert out.read_bytes() and len(exported.sha256) == 64
    status, reason = _check(app, admin, "policy_published")
    assert status is Status.MET and "admin" in reason
    app.services.settings.update(commander, designee_name="Lt. Lee")
    status, reason = _check(app, admin, "policy_published")
    assert status is Status.ATTENTION and "designee_name" in reason
    with app.database.sessions() as session:
        count = session.scalar(
            select(func.count(AccessRecord.id)).where(AccessRecord.action == "policy_export")
        )
    assert count == 1


def test_database_privileges(app: Application, admin: Actor) -> None:
    status, reason = _check(app, admin, "database_privileges")
    if app.database.backend == "sqlite":
        assert status is Status.ATTENTION and "SQLite" in reason
    else:  # the tests connect as the superuser postgres
        assert status is Status.NOT_MET and "superuser" in reason


def test_the_trail_is_counted_once_then_only_what_is_new(app: Application, admin: Actor) -> None:
    service = app.services.compliance
    service.status(admin)
    head = service.tally.upto_seq
    _append(app, category="data", action="search_reads", purpose="", query={"pattern": "X"})
    checks = _status(app, admin)  # counts its predecessor's view record and the search
    assert service.tally.upto_seq == head + 2
    assert checks["purposes_recorded"][0] is Status.NOT_MET
    with app.database.sessions() as session:
        assert service.tally.update(session, app.database.backend) == 1  # the last view
        assert service.tally.update(session, app.database.backend) == 0


def test_a_trail_cut_short_is_counted_again(sqlite_app: Application) -> None:
    from tests.conftest import create_admin

    admin = create_admin(sqlite_app)
    search = {"category": "data", "action": "search_reads", "query": {"pattern": "X"}}
    _append(sqlite_app, purpose="", **search)
    assert _check(sqlite_app, admin, "purposes_recorded")[0] is Status.NOT_MET
    with sqlite_app.database.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER access_records_no_delete"))
        conn.execute(text("DELETE FROM access_records WHERE action = 'search_reads'"))
        conn.execute(text("DELETE FROM access_records WHERE seq > 3"))
    assert _check(sqlite_app, admin, "purposes_recorded")[0] is Status.MET
    assert sqlite_app.services.compliance.tally.upto_seq <= 4


def test_retention_under_a_year_through_the_retention_service(
    app: Application, admin: Actor, commander: Actor
) -> None:
    app.services.retention.purge(admin)  # nothing to purge; logged
    assert _check(app, admin, "purges_running")[0] is Status.MET
    app.services.retention.set_retention(
        commander, 200, confirm_short=True, reason="council resolution 26-14"
    )
    status, reason = _check(app, admin, "retention_set")
    assert status is Status.NOT_MET and "Retention is 200 days (set by cmdr.one" in reason
    app.services.retention.purge(admin)
    status, reason = _check(app, admin, "purges_running")
    assert status is Status.NOT_MET and "1 purge(s) in the last year cut" in reason
