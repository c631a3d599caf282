"""Exporting search results (issue 14): a verifiable package, recorded first; SQLite and PG."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from alpr_desktop.app import Application
from alpr_desktop.core.packages import PackageCancelled, verify_package
from alpr_desktop.core.roles import Role
from alpr_desktop.errors import PermissionDenied, ValidationError
from alpr_desktop.recognition.reads import VehicleRead
from alpr_desktop.services import search as search_module
from alpr_desktop.services.base import Actor
from alpr_desktop.services.cameras import CameraFields
from alpr_desktop.services.search import ReadFilters, SearchRequest
from alpr_desktop.storage.models import AccessRecord, PlateRead, StoredImage
from tests.conftest import create_active_user
from tests.integration.ingest_helpers import T0, jpeg, placed_read

PURPOSE = "Criminal investigation"
CASE = "26-004711"
SCENE = (38.5800, -121.4900)
FRAME = jpeg(900, 320, 240)  # one frame two reads share


def _read(index: int, plate: str, *, context: Any = None, **kwargs: Any) -> VehicleRead:
    read = placed_read(index, plate, tag="export", **{"at": SCENE, **kwargs})
    return dataclasses.replace(read, context=context)


@pytest.fixture
def detective(app: Application, admin: Actor) -> Actor:
    app.services.cameras.create(
        admin, CameraFields(name="North gate", source="0", latitude=SCENE[0], longitude=SCENE[1])
    )
    app.services.cameras.create(admin, CameraFields(name="=Unit 12", source="1", mobile=True))
    app.services.ingest.store(
        [
            _read(1, "7ABC123", camera="North gate", context=FRAME),
            _read(2, "7A8C123", camera="North gate", minutes=5, alternatives=("7ABC123",)),
            _read(3, "7ABX12", camera="=Unit 12", minutes=90, confidence=0.6, at=None),
            _read(4, "7ABD12", minutes=30, context=FRAME),
            _read(5, "9QQQ999", minutes=120, context=jpeg(901, 320, 240)),
        ]
    )
    return create_active_user(app, admin, "det.one", [Role.INVESTIGATOR])


def _request(pattern: str = "7AB*2*", **kwargs: Any) -> SearchRequest:
    return SearchRequest(
        pattern, kwargs.pop("purpose", PURPOSE), kwargs.pop("case", CASE), **kwargs
    )


def _records(app: Application) -> list[AccessRecord]:
    with app.database.sessions() as session:
        return list(
            session.scalars(
                select(AccessRecord)
                .where(AccessRecord.action == "export_reads")
                .order_by(AccessRecord.seq)
            )
        )


def _stored(app: Application) -> dict[int, tuple[bytes | None, bytes | None]]:
    """Each read's crop and context bytes as the database holds them."""
    with app.database.sessions() as session:
        images = {i.id: i.data for i in session.scalars(select(StoredImage))}
        return {
            r.id: (images.get(r.crop_image_id or 0), images.get(r.context_image_id or 0))
            for r in session.scalars(select(PlateRead))
        }


def test_an_export_holds_the_ranked_results_their_images_and_a_manifest(
    app: Application, detective: Actor, tmp_path: Path
) -> None:
    target = tmp_path / "case.zip"
    seen: list[tuple[int, int]] = []
    done = app.services.search.export(
        detective, _request(), target, progress=lambda d, t: seen.append((d, t))
    )
    page = app.services.search.search(detective, _request(limit=100))
    assert done.reads == len(page.results) == 4 and not done.capped
    assert seen[0] == (0, 4) and seen[-1] == (4, 4) and len(seen) == 5
    assert done.sha256 == hashlib.sha256(target.read_bytes()).hexdigest()
    assert done.size == target.stat().st_size
    assert verify_package(target).ok
    with zipfile.ZipFile(target) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    rows = list(csv.DictReader(io.StringIO(members["reads.csv"].decode("utf-8-sig"))))
    # Rank order, exactly as the search ranks them.
    assert [int(r["read_id"]) for r in rows] == [r.read_id for r in page.results]
    # Same quality and confidence: the newer first.
    assert [r["plate"] for r in rows] == ["7ABD12", "7ABC123", "7ABX12", "7A8C123"]
    first, unit, other = rows[1], rows[2], rows[3]
    assert [r["rank"] for r in rows] == ["1", "2", "3", "4"]
    assert first["match_quality"] == "exact"
    assert first["read_at_utc"] == page.results[1].read_at.isoformat()
    assert first["read_at_utc"].endswith("+00:00")
    assert (first["camera"], first["mobile"], first["latitude"]) == ("North gate", "no", "38.58")
    assert first["confidence"] == "0.9000" and first["reason"] == "fits 7AB*2*"
    assert other["match_quality"] == "alternative" and other["matched_text"] == "7ABC123"
    assert other["alternatives"] == "7ABC123 0.5000"
    assert other["reason"].startswith("second reading 7ABC123")
    assert unit["camera"] == "'=Unit 12" and unit["mobile"] == "yes"  # no formula
    assert unit["latitude"] == unit["longitude"] == ""
    # Every image byte-identical to the stored one; a shared frame once per read.
    stored = _stored(app)
    images = 0
    for row in rows:
        crop, context = stored[int(row["read_id"])]
        assert members[row["crop_file"]] == crop
        assert row["crop_file"] == f"crops/{row['read_id']}.jpg"
        images += 1
        if context is None:
            assert row["context_file"] == ""
        else:
            assert members[row["context_file"]] == context == FRAME.data
            images += 1
    assert done.images == images == 6
    manifest = json.loads(members["manifest.json"])
    assert {f["path"] for f in manifest["files"]} == set(members) - {"manifest.json"}
    for entry in manifest["files"]:
        assert entry["sha256"] == hashlib.sha256(members[entry["path"]]).hexdigest()
        assert entry["size"] == len(members[entry["path"]])
    assert manifest["kind"] == "search-export"
    assert manifest["access_record_id"] == done.record_id
    assert manifest["created_by"]["username"] == "det.one"
    assert manifest["details"]["case_number"] == CASE
    data = json.loads(members["reads.json"])
    assert data["access_record_id"] == done.record_id
    assert [r["plate_text"] for r in data["reads"]] == [r["plate"] for r in rows]
    [record] = _records(app)
    assert record.id == done.record_id
    assert (record.purpose, record.case_number, record.outcome) == (PURPOSE, CASE, "ok")
    query = json.loads(record.query or "")
    assert query["export"] == "case.zip" and query["pattern"] == "7AB*2*"
    assert query["limit"] is None and "since" in query


def test_the_record_is_committed_before_any_read_is_looked_at(
    app: Application, detective: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    run = search_module.ranked_reads

    def checked(*args: object, **kwargs: object) -> object:
        engine = create_engine(app.database.engine.url)  # a second connection
        try:
            with engine.connect() as conn:
                seen.extend(
                    conn.scalars(
                        select(AccessRecord.query).where(AccessRecord.action == "export_reads")
                    )
                )
        finally:
            engine.dispose()
        return run(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(search_module, "ranked_reads", checked)
    app.services.search.export(detective, _request(confusable=True), tmp_path / "x.zip")
    assert len(seen) == 1
    assert '"export":"x.zip"' in seen[0] and '"confusable":true' in seen[0]


def test_refusals_are_recorded_and_write_nothing(
    app: Application, admin: Actor, detective: Actor, tmp_path: Path
) -> None:
    export = app.services.search.export
    target = tmp_path / "out" / "x.zip"
    target.parent.mkdir()
    with pytest.raises(ValidationError, match="authorised purpose"):
        export(detective, _request(purpose="Curiosity"), target)
    with pytest.raises(ValidationError, match="case or incident number"):
        export(detective, _request(case=" "), target)
    untrained = create_active_user(app, admin, "det.new", [Role.INVESTIGATOR], trained=False)
    with pytest.raises(PermissionDenied, match="training"):
        export(untrained, _request(), target)
    dispatcher = create_active_user(app, admin, "disp.one", [Role.DISPATCHER])
    with pytest.raises(PermissionDenied):
        export(dispatcher, _request(), target)
    assert [r.outcome for r in _records(app)] == ["refused"] * 4
    # What cannot run at all is not recorded: nothing was looked at.
    with pytest.raises(ValidationError, match="wildcards only"):
        export(detective, _request("***"), target)
    with pytest.raises(ValidationError, match="does not exist"):
        export(detective, _request(), tmp_path / "nowhere" / "x.zip")
    with pytest.raises(ValidationError, match="before its end"):
        export(detective, _request(filters=ReadFilters(since=T0, until=T0)), target)
    assert len(_records(app)) == 4
    assert list(target.parent.iterdir()) == []


@pytest.mark.parametrize("name", ["x.zip", "folder"])
def test_a_cancel_leaves_no_file_but_the_record_stays(
    app: Application, detective: Actor, tmp_path: Path, name: str
) -> None:
    progress: list[int] = []
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(PackageCancelled, match="no file was written"):
        app.services.search.export(
            detective,
            _request(),
            out / name,
            progress=lambda done, _total: progress.append(done),
            cancel=lambda: len(progress) > 2,
        )
    assert progress == [0, 1, 2]
    assert list(out.iterdir()) == []
    [record] = _records(app)
    assert record.outcome == "ok"


def test_a_folder_export_verifies_and_catches_tampering(
    app: Application, detective: Actor, tmp_path: Path
) -> None:
    target = tmp_path / "folder"
    done = app.services.search.export(detective, _request("9QQQ999"), target)
    assert done.reads == 1 and done.images == 2
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == [
        f"context/{_only_id(target)}.jpg",
        f"crops/{_only_id(target)}.jpg",
        "manifest.json",
        "reads.csv",
        "reads.json",
    ]
    assert verify_package(target).ok
    csv_file = target / "reads.csv"
    csv_file.write_bytes(csv_file.read_bytes().replace(b"9QQQ999", b"9QQQ998"))
    (target / "crops" / f"{_only_id(target)}.jpg").unlink()
    (target / "context" / "extra.jpg").write_bytes(b"x")
    problems = verify_package(target).problems
    assert len(problems) == 3
    assert problems[0].startswith("reads.csv: changed")
    assert problems[1] == f"crops/{_only_id(target)}.jpg: missing"
    assert problems[2] == "context/extra.jpg: added (not in the manifest)"


def _only_id(target: Path) -> int:
    return int(json.loads((target / "reads.json").read_text())["reads"][0]["read_id"])


def test_the_command_line_exports_and_verifies(
    app: Application,
    detective: Actor,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from alpr_desktop.cli import main
    from tests.conftest import USER_PASSWORD

    monkeypatch.setenv("ALPR_PASSWORD", USER_PASSWORD)
    common = ["--database-url", database_url, "--user", "det.one", "--case", CASE]
    target = tmp_path / "cli.zip"
    capsys.readouterr()
    args = ["search", "7AB*2*", *common, "--purpose", PURPOSE, "--export", str(target)]
    assert main(args) == 0
    [line] = capsys.readouterr().out.splitlines()
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert line.startswith(f"Exported 4 read(s) to {target} (SHA-256 {digest}).")
    assert main(["package", "verify", str(target)]) == 0
    bad = tmp_path / "bad.zip"
    assert main(["search", "7AB*2*", *common, "--purpose", "Curiosity", "--export", str(bad)]) == 2
    assert "authorised purpose" in capsys.readouterr().err
    assert main(["search", "7AB*2*", *common, "--purpose", PURPOSE, "--export", "x.csv"]) == 2
    assert "needs a .zip file" in capsys.readouterr().err
    assert not bad.exists()
    with zipfile.ZipFile(target) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    members["reads.csv"] = members["reads.csv"].replace(b"7ABD12", b"7ABD13")
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    capsys.readouterr()
    assert main(["package", "verify", str(target)]) == 1
    out = capsys.readouterr().out
    assert "reads.csv: changed" in out and "NOT intact, 1 problem(s)" in out
    assert [r.outcome for r in _records(app)] == ["ok", "refused"]
