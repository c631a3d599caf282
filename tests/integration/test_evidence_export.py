"""Evidence export on SQLite and PostgreSQL: an approved hold's reads, their images, the
hold and the chain of custody in a verifiable package; every refusal writes nothing."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from alpr_desktop.app import Application
from alpr_desktop.core.packages import PackageCancelled, verify_package
from alpr_desktop.core.roles import Role
from alpr_desktop.errors import PermissionDenied, ValidationError
from alpr_desktop.services.base import Actor
from alpr_desktop.services.evidence import PlatePeriod
from alpr_desktop.storage.models import AccessRecord
from alpr_desktop.storage.types import utcnow
from tests.conftest import create_active_user
from tests.integration.ingest_helpers import jpeg
from tests.integration.retention_helpers import aged_read

PURPOSE = "Criminal investigation"
CASE = "26-044710"


@dataclass
class Holds:
    detective: Actor
    sergeant: Actor
    dispatcher: Actor
    approved: int
    requested: int


@pytest.fixture
def holds(app: Application, admin: Actor) -> Holds:
    reads = [
        aged_read(i, "6TRK512", days_old=20 - i, crop=jpeg(500 + i), context=jpeg(600 + i))
        for i in range(3)
    ]
    reads.append(aged_read(3, "6TRK512", days_old=1, crop=jpeg(700)))  # outside the period
    reads.append(aged_read(4, "8OTH123", days_old=10))
    app.services.ingest.store(reads)
    detective = create_active_user(app, admin, "det.one", [Role.INVESTIGATOR])
    sergeant = create_active_user(app, admin, "sgt.one", [Role.SUPERVISOR])
    dispatcher = create_active_user(app, admin, "disp.one", [Role.DISPATCHER])
    now = utcnow()
    period = PlatePeriod("6trk 512", now - dt.timedelta(days=30), now - dt.timedelta(days=5))
    evidence = app.services.evidence

    def request(reason: str) -> int:
        return evidence.request(
            detective,
            case_number=CASE,
            reason=reason,
            review_on=dt.date.today() + dt.timedelta(days=60),
            purpose=PURPOSE,
            period=period,
        ).id

    approved = request("Truck seen leaving the scene")
    evidence.approve(sergeant, approved)
    requested = request("Second look")
    return Holds(detective, sergeant, dispatcher, approved, requested)


def _records(app: Application, action: str) -> list[AccessRecord]:
    with app.database.sessions() as session:
        query = select(AccessRecord).where(AccessRecord.action == action)
        return list(session.scalars(query.order_by(AccessRecord.seq)))


def test_export_holds_reads_images_hold_and_custody(
    app: Application, holds: Holds, tmp_path: Path
) -> None:
    target = tmp_path / "usb" / "case-26-044710.zip"
    target.parent.mkdir()
    seen: list[tuple[int, int]] = []
    result = app.services.evidence.export(
        holds.detective,
        holds.approved,
        target,
        purpose=PURPOSE,
        destination="USB drive SN 4C530001, to the DA's office",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert (result.reads, result.images) == (3, 6) and seen[-1] == (3, 3)
    report = verify_package(target)
    assert report.ok, report.summary()
    assert result.sha256 == hashlib.sha256(target.read_bytes()).hexdigest()
    with zipfile.ZipFile(target) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        custody = json.loads(archive.read("chain_of_custody.json"))
        hold = json.loads(archive.read("hold.json"))
        rows = list(csv.DictReader(io.StringIO(archive.read("reads.csv").decode("utf-8-sig"))))
    assert (
        result.manifest_sha256
        == hashlib.sha256(zipfile.ZipFile(target).read("manifest.json")).hexdigest()
    )
    assert {"reads.csv", "reads.json", "hold.json", "chain_of_custody.json"} <= names
    assert sum(n.startswith("crops/") for n in names) == 3
    assert sum(n.startswith("context/") for n in names) == 3
    assert manifest["kind"] == "evidence-export"
    assert [r["plate"] for r in rows] == ["6TRK512"] * 3
    assert rows[0]["read_at_utc"] < rows[-1]["read_at_utc"], "oldest first"
    assert all("evidence hold" in r["reason"] for r in rows)
    assert hold["status"] == "approved" and hold["approved_by"] == "sgt.one"
    assert custody["exported_by"]["username"] == "det.one"
    assert custody["destination"].startswith("USB drive SN 4C530001")
    assert custody["access_record_id"] == result.record_id
    # The trail: the data access first, then the custody entry naming both sums.
    (access,) = _records(app, "export_evidence")
    (entry,) = _records(app, "evidence_exported")
    assert access.id == result.record_id and access.seq < entry.seq
    assert (access.purpose, access.case_number, access.outcome) == (PURPOSE, CASE, "ok")
    assert result.sha256 in entry.detail and result.manifest_sha256 in entry.detail
    sheet = result.custody_sheet.read_text(encoding="utf-8")
    assert result.custody_sheet == target.with_name("case-26-044710.zip.custody.txt")
    assert result.sha256 in sheet and "Received by" in sheet and "DA's office" in sheet


def test_a_changed_byte_is_caught(app: Application, holds: Holds, tmp_path: Path) -> None:
    target = tmp_path / "evidence-folder"
    result = app.services.evidence.export(holds.sergeant, holds.approved, target, purpose=PURPOSE)
    assert verify_package(result.path).ok
    crop = next((target / "crops").iterdir())
    data = bytearray(crop.read_bytes())
    data[len(data) // 2] ^= 0x01
    crop.write_bytes(bytes(data))
    report = verify_package(target)
    assert not report.ok and any(crop.name in problem for problem in report.problems)


def test_refusals_write_nothing(app: Application, holds: Holds, tmp_path: Path) -> None:
    evidence = app.services.evidence
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "evidence.zip"
    with pytest.raises(ValidationError, match="only an approved hold"):
        evidence.export(holds.detective, holds.requested, target, purpose=PURPOSE)
    with pytest.raises(PermissionDenied):
        evidence.export(holds.dispatcher, holds.approved, target, purpose=PURPOSE)
    with pytest.raises(ValidationError, match="authorised purpose"):
        evidence.export(holds.detective, holds.approved, target, purpose="Curiosity")
    with pytest.raises(PackageCancelled):
        evidence.export(
            holds.detective, holds.approved, target, purpose=PURPOSE, cancel=lambda: True
        )
    assert list((tmp_path / "out").iterdir()) == []
    outcomes = [r.outcome for r in _records(app, "export_evidence")]
    assert outcomes == ["refused", "refused", "ok"]  # no permission, no purpose, cancelled
    assert _records(app, "evidence_exported") == []
