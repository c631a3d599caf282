"""Release requests on SQLite and PostgreSQL: every transition and refusal, the frozen
decided request (service and database trigger), fulfilment into a verifiable package
with its sharing-log entry, and the access trail of every step."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from alpr_desktop.app import Application
from alpr_desktop.core.packages import verify_package
from alpr_desktop.core.releases import AgencyType, ReleaseStatus, RequestFields, TransitionError
from alpr_desktop.core.roles import Role
from alpr_desktop.errors import NotFoundError, PermissionDenied, ValidationError
from alpr_desktop.services.base import Actor
from alpr_desktop.services.releases import (
    AlreadyDecidedError,
    ApprovalBlockedError,
    SavedQuery,
)
from alpr_desktop.storage.models import (
    AccessRecord,
    ReleaseAttachment,
    ReleaseRequest,
    ReleaseShare,
)
from tests.conftest import create_active_user
from tests.integration.ingest_helpers import jpeg
from tests.integration.release_helpers import (  # noqa: F401 - release_people is a fixture
    PDF,
    PURPOSE,
    SHERIFF,
    People,
    release_people,
    saved_query,
)


def _submitted(app: Application, people: People, fields: RequestFields = SHERIFF) -> int:
    return app.services.releases.create(people.officer, fields, saved_query(), submit=True).id


def _actions(app: Application, target: int) -> list[tuple[str, str]]:
    with app.database.sessions() as session:
        rows = session.scalars(
            select(AccessRecord)
            .where(AccessRecord.target_type == "release_request",
                   AccessRecord.target_id == str(target))
            .order_by(AccessRecord.seq)
        )  # fmt: skip
        return [(r.action, r.username) for r in rows]


def _refusals(app: Application, action: str) -> list[AccessRecord]:
    with app.database.sessions() as session:
        query = select(AccessRecord).where(
            AccessRecord.action == action, AccessRecord.outcome == "refused"
        )
        return list(session.scalars(query))


# --------------------------------------------------------------------------- writing


def test_draft_edit_submit_approve_fulfil_every_step_recorded(
    app: Application, people: People, tmp_path: Path
) -> None:
    releases = app.services.releases
    draft = releases.create(
        people.officer, dataclasses.replace(SHERIFF, legal_basis=""), None
    )  # a draft may be incomplete
    assert draft.status is ReleaseStatus.DRAFT
    with pytest.raises(ValidationError, match="legal basis"):
        releases.submit(people.officer, draft.id)
    edited = releases.update(people.officer, draft.id, SHERIFF, saved_query())
    assert edited.fields.legal_basis == SHERIFF.legal_basis
    releases.add_attachment(people.officer, draft.id, "C:\\scans\\request letter.pdf", PDF)
    submitted = releases.submit(people.officer, draft.id)
    assert submitted.status is ReleaseStatus.SUBMITTED and submitted.submitted_at is not None
    approved = releases.approve(people.commander, draft.id, reason="CA agency, robbery case")
    assert approved.status is ReleaseStatus.APPROVED
    assert approved.decided_by == "cmdr.one" and approved.decided_at is not None

    done = releases.fulfil(
        people.commander, draft.id, tmp_path / "release.zip", delivery="encrypted USB drive"
    )
    assert done.reads == 3 and done.images == 6
    assert verify_package(done.path).ok
    with zipfile.ZipFile(done.path) as archive:
        names = set(archive.namelist())
        record = json.loads(archive.read("request.json"))
        assert archive.read("request/1-request_letter.pdf") == PDF
    assert {"reads.csv", "reads.json", "request.json", "manifest.json"} <= names
    assert record["decision"]["by"] == "cmdr.one"
    assert record["agency"]["name"] == SHERIFF.agency_name
    assert record["attachments"][0]["file"] == "request letter.pdf"

    view = releases.get(people.commander, draft.id)
    assert view.status is ReleaseStatus.FULFILLED and view.fulfilled_by == "cmdr.one"
    (share,) = view.shares
    assert share.read_count == 3 and share.package_sha256 == done.sha256
    assert share.manifest_sha256 == done.manifest_sha256 and share.delivery.startswith("encr")
    assert share.recipient == f"{SHERIFF.requester_name}, {SHERIFF.agency_name}"
    assert releases.sharing_log(people.supervisor)[0].id == share.id

    assert [a for a, _ in _actions(app, draft.id)] == [
        "release_request_created",
        "release_request_edited",
        "release_attachment_added",
        "release_request_submitted",
        "release_request_approved",
        "release_fulfilled",
        "view_release_request",
    ]
    with app.database.sessions() as session:
        access = session.get(AccessRecord, done.record_id)
        assert access is not None
        assert (access.action, access.purpose, access.case_number) == (
            "fulfil_release", PURPOSE, SHERIFF.case_number,
        )  # fmt: skip
        assert json.loads(access.query)["pattern"] == "6TRK512"
        fulfilled = session.scalar(
            select(AccessRecord).where(AccessRecord.action == "release_fulfilled")
        )
        assert fulfilled is not None and fulfilled.seq > access.seq  # recorded first


def test_bad_fields_are_refused_with_the_field_named(app: Application, people: People) -> None:
    releases = app.services.releases
    cases = {
        "two-letter": dataclasses.replace(SHERIFF, agency_state="California"),
        "California agency's state": dataclasses.replace(SHERIFF, agency_state="NV"),
        "e-mail address or a telephone": dataclasses.replace(SHERIFF, requester_contact="ask"),
        "control characters": dataclasses.replace(SHERIFF, agency_name="Bad\x00Name"),
        "agency's name": dataclasses.replace(SHERIFF, agency_name=""),
    }
    for message, fields in cases.items():
        with pytest.raises(ValidationError, match=message):
            releases.create(people.officer, fields, saved_query(), submit=True)
    with pytest.raises(ValidationError, match="as a search"):
        releases.create(people.officer, SHERIFF, None, submit=True)
    with pytest.raises(ValidationError):
        releases.create(people.officer, SHERIFF, SavedQuery("*"), submit=True)
    with app.database.sessions() as session:
        assert session.scalar(select(ReleaseRequest.id)) is None  # nothing half-written


def test_attachments_must_be_a_pdf_or_image(app: Application, people: People) -> None:
    releases = app.services.releases
    draft = releases.create(people.officer, SHERIFF, saved_query())
    with pytest.raises(ValidationError, match="not a PDF"):
        releases.add_attachment(people.officer, draft.id, "letter.docx", b"PK\x03\x04word")
    with pytest.raises(ValidationError, match="empty"):
        releases.add_attachment(people.officer, draft.id, "letter.pdf", b"")
    kept = releases.add_attachment(people.officer, draft.id, "scan.png", jpeg(1).data)
    assert kept.media_type == "image/jpeg"  # what the bytes are, not what the name says
    view, data = releases.attachment(people.commander, kept.id)
    assert data == jpeg(1).data and view.sha256 == kept.sha256


# --------------------------------------------------------------------------- deciding


@pytest.mark.parametrize(
    ("agency_type", "state", "reason"),
    [
        (AgencyType.OUT_OF_STATE, "NV", "Out-of-state agencies"),
        (AgencyType.FEDERAL, "DC", "Federal agencies"),
        (AgencyType.NON_PUBLIC, "CA", "only with public agencies"),
    ],
)
def test_approval_blocked_unless_california_public_agency_then_referred(
    app: Application, people: People, agency_type: AgencyType, state: str, reason: str
) -> None:
    releases = app.services.releases
    fields = dataclasses.replace(SHERIFF, agency_type=agency_type, agency_state=state,
                                 agency_name="Some other body")  # fmt: skip
    request_id = _submitted(app, people, fields)
    assert releases.get(people.commander, request_id).blocker is not None
    with pytest.raises(ApprovalBlockedError, match=reason):
        releases.approve(people.commander, request_id, reason="looks fine")
    assert releases.get(people.commander, request_id).status is ReleaseStatus.SUBMITTED
    assert any(reason in r.detail for r in _refusals(app, "decide_release_request"))
    referred = releases.refer(people.commander, request_id, note="Not a CA public agency")
    assert referred.status is ReleaseStatus.REFERRED
    assert referred.referred_to.startswith("Records release")
    assert referred.decision_reason == "Not a CA public agency"


def test_only_a_commander_decides_and_fulfils(app: Application, people: People) -> None:
    releases = app.services.releases
    request_id = _submitted(app, people)
    for who in (people.officer, people.supervisor, people.dispatcher):
        with pytest.raises(PermissionDenied):
            releases.approve(who, request_id, reason="ok")
    with pytest.raises(PermissionDenied):
        releases.create(people.dispatcher, SHERIFF, saved_query())
    assert len(_refusals(app, "decide_release_request")) == 3
    with pytest.raises(ValidationError, match="reason"):
        releases.deny(people.commander, request_id, reason="  ")
    denied = releases.deny(people.commander, request_id, reason="No case link shown")
    assert denied.status is ReleaseStatus.DENIED


def test_decided_requests_cannot_be_edited_decided_again_or_fulfilled(
    app: Application, people: People, tmp_path: Path
) -> None:
    releases = app.services.releases
    request_id = _submitted(app, people)
    with pytest.raises(ValidationError, match="approved request"):
        releases.fulfil(people.commander, request_id, tmp_path / "early.zip")
    assert any("only an approved" in r.detail for r in _refusals(app, "fulfil_release"))
    releases.deny(people.commander, request_id, reason="Insufficient basis")
    with pytest.raises(TransitionError, match="cannot be edited"):
        releases.update(people.officer, request_id, SHERIFF, saved_query())
    with pytest.raises(TransitionError):
        releases.add_attachment(people.officer, request_id, "late.pdf", PDF)
    with pytest.raises(AlreadyDecidedError, match="already denied by cmdr.one") as caught:
        releases.approve(people.second_commander, request_id, reason="overrule")
    assert caught.value.by == "cmdr.one"
    with pytest.raises(ValidationError, match="approved request"):
        releases.fulfil(people.commander, request_id, tmp_path / "denied.zip")
    assert not (tmp_path / "denied.zip").exists()
    with pytest.raises(ValidationError, match="stays on file"):
        releases.delete_draft(people.officer, request_id)
    submitted = _submitted(app, people)
    with pytest.raises(ValidationError, match="only a draft"):
        releases.delete_draft(people.officer, submitted)


def test_only_the_author_or_a_commander_edits_and_officers_see_their_own(
    app: Application, people: People, admin: Actor
) -> None:
    releases = app.services.releases
    other = create_active_user(app, admin, "det.other", [Role.INVESTIGATOR])
    mine = releases.create(people.officer, SHERIFF, saved_query())
    with pytest.raises(PermissionDenied, match="wrote"):
        releases.update(other, mine.id, SHERIFF, saved_query())
    with pytest.raises(PermissionDenied, match="wrote"):
        releases.get(other, mine.id)
    assert releases.list_requests(other) == []
    assert [v.id for v in releases.list_requests(people.officer)] == [mine.id]
    assert [v.id for v in releases.list_requests(people.commander)] == [mine.id]
    assert releases.list_requests(people.commander, statuses=[ReleaseStatus.APPROVED]) == []
    releases.delete_draft(people.officer, mine.id)
    with pytest.raises(NotFoundError):
        releases.get(people.commander, mine.id)


# --------------------------------------------------------------------------- the database


def test_trigger_refuses_updating_a_decided_request(app: Application, people: People) -> None:
    releases = app.services.releases
    request_id = _submitted(app, people)
    draft = releases.create(people.officer, SHERIFF, saved_query())
    releases.add_attachment(people.officer, request_id, "letter.pdf", PDF)
    releases.approve(people.commander, request_id, reason="ok")
    statements = [
        ("UPDATE release_requests SET legal_basis = 'rewritten' WHERE id = :id", {}),
        ("UPDATE release_requests SET status = 'denied' WHERE id = :id", {}),
        ("UPDATE release_requests SET status = 'fulfilled' WHERE id = :id", {}),  # who? when?
        ("DELETE FROM release_requests WHERE id = :id", {}),
        ("DELETE FROM release_attachments WHERE request_id = :id", {}),
        ("UPDATE release_attachments SET filename = 'x.pdf' WHERE request_id = :id", {}),
    ]
    for sql, extra in statements:
        with pytest.raises((IntegrityError, DBAPIError)), app.database.engine.begin() as conn:
            conn.execute(text(sql), {"id": request_id, **extra})
    with app.database.sessions() as session:
        row = session.get(ReleaseRequest, request_id)
        assert row is not None and row.legal_basis == SHERIFF.legal_basis
        assert row.status is ReleaseStatus.APPROVED
        assert session.scalar(select(ReleaseAttachment.filename)) == "letter.pdf"
    with app.database.engine.begin() as conn:  # a draft is still the officer's to change
        conn.execute(
            text("UPDATE release_requests SET legal_basis = 'x' WHERE id = :id"), {"id": draft.id}
        )


# --------------------------------------------------------------------------- fulfilment


def test_fulfilment_refused_when_the_search_matches_too_many(
    app: Application, people: People, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alpr_desktop.services import release_package

    monkeypatch.setattr(release_package, "MAX_RELEASE_READS", 2)
    releases = app.services.releases
    request_id = _submitted(app, people)
    releases.approve(people.commander, request_id, reason="ok")
    with pytest.raises(ValidationError, match="must be whole"):
        releases.fulfil(people.commander, request_id, tmp_path / "big.zip")
    assert not (tmp_path / "big.zip").exists()
    assert releases.get(people.commander, request_id).status is ReleaseStatus.APPROVED
    with app.database.sessions() as session:
        assert session.scalar(select(ReleaseShare.id)) is None


def test_a_second_fulfilment_is_refused_and_its_package_removed(
    app: Application, people: People, tmp_path: Path
) -> None:
    releases = app.services.releases
    request_id = _submitted(app, people)
    releases.approve(people.commander, request_id, reason="ok")
    real = releases.request_for_fulfilment
    seen = {}

    def racing(actor: Actor, rid: int):  # type: ignore[no-untyped-def]
        found = real(actor, rid)
        if actor is people.commander:  # another workstation fulfils it meanwhile
            seen["other"] = releases.fulfil(people.second_commander, rid, tmp_path / "first")
        return found

    releases.request_for_fulfilment = racing  # type: ignore[method-assign]
    with pytest.raises(AlreadyDecidedError, match="fulfilled by cmdr.two"):
        releases.fulfil(people.commander, request_id, tmp_path / "second.zip")
    assert not (tmp_path / "second.zip").exists()
    assert verify_package(seen["other"].path).ok
    with app.database.sessions() as session:
        assert len(list(session.scalars(select(ReleaseShare.id)))) == 1


# --------------------------------------------------------------------------- two workstations

REPO_ROOT = Path(__file__).resolve().parents[2]


def _decider(
    url: str, data_dir: Path, who: str, request_id: int, verb: str
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.release_child", url, str(data_dir), who,
         str(request_id), verb],
        cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


def _waiting_on_locks(app: Application) -> int:
    with app.database.engine.connect() as conn:
        return int(conn.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")) or 0)


@pytest.mark.postgres
def test_two_processes_deciding_at_once_yield_one_decision(
    postgres_url: str, tmp_path: Path
) -> None:
    """Both commanders' UPDATEs wait on the row at the same moment; one decides, the
    other is told who did."""
    from tests.conftest import create_admin, make_app

    app = make_app(postgres_url, tmp_path)
    children: list[subprocess.Popen[str]] = []
    try:
        admin = create_admin(app)
        officer = create_active_user(app, admin, "det.writer", [Role.INVESTIGATOR])
        for name in ("cmdr.one", "cmdr.two"):
            create_active_user(app, admin, name, [Role.COMMANDER])
        request_id = app.services.releases.create(officer, SHERIFF, saved_query(), submit=True).id
        url = app.database.engine.url.render_as_string(hide_password=False)
        children = [
            _decider(url, tmp_path / "one", "cmdr.one", request_id, "approve"),
            _decider(url, tmp_path / "two", "cmdr.two", request_id, "deny"),
        ]
        for child in children:
            assert child.stdout is not None and child.stdout.readline().strip() == "READY"
        with app.database.engine.connect() as blocker:
            blocker.execute(
                text("SELECT id FROM release_requests WHERE id = :id FOR UPDATE"),
                {"id": request_id},
            )
            for child in children:
                assert child.stdin is not None
                child.stdin.write("go\n")
                child.stdin.flush()
            deadline = time.monotonic() + 60
            while _waiting_on_locks(app) < 2:  # both UPDATEs queued behind the row lock
                assert time.monotonic() < deadline, "the deciders never reached the row"
                time.sleep(0.05)
            blocker.rollback()
        outputs = []
        for child in children:
            out, _ = child.communicate(timeout=60)
            assert child.returncode == 0
            outputs.append(out.strip())
        decided = [o for o in outputs if o.startswith("DECIDED")]
        told = [o for o in outputs if o.startswith("ALREADY")]
        assert len(decided) == 1 and len(told) == 1, outputs
        view = app.services.releases.get(officer, request_id)
        assert told[0] == f"ALREADY {view.decided_by}"
        assert decided[0] == f"DECIDED {view.status.value}"
        with app.database.sessions() as session:
            decisions = session.scalars(
                select(AccessRecord.action).where(
                    AccessRecord.action.in_(("release_request_approved", "release_request_denied"))
                )
            ).all()
        assert len(decisions) == 1
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait(timeout=30)
        app.close()
