"""Packages (core/packages.py): atomic writing and verification, zip and folder alike."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest

from alpr_desktop.cli import main
from alpr_desktop.core.packages import (
    MANIFEST,
    PackageCancelled,
    PackageInfo,
    PackageWriter,
    check_member_name,
    verify_package,
)
from alpr_desktop.errors import ValidationError

INFO = PackageInfo(
    kind="test",
    created_by={"username": "det.one", "full_name": "Det One", "organisation": "Test PD"},
    access_record_id=42,
    app_version="9.9",
    workstation="ws-1",
    created_at=dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC),
    details={"case_number": "26-1"},
)
CONTENT = {
    "reads.csv": b"rank,plate\r\n1,7ABC123\r\n",
    "crops/1.jpg": bytes(range(256)) * 4,
    "context/1.png": b"\x89PNG" + b"\x00" * 300,
}


def _write(target: Path, tmp_path: Path | None = None) -> Path:
    with PackageWriter(target, INFO) as package:
        for name, data in CONTENT.items():
            if name.endswith(".png") and tmp_path is not None:
                source = tmp_path / "source.png"
                source.write_bytes(data)
                package.add_file(name, source)
            else:
                package.add_bytes(name, data)
    assert package.written is not None
    return package.written.path


@pytest.fixture(params=["zip", "folder"])
def package(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    name = "export.zip" if request.param == "zip" else "export"
    return _write(out / name, tmp_path)


def _members(path: Path) -> dict[str, bytes]:
    if path.is_dir():
        return {
            p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()
        }
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def _rewrite(path: Path, members: dict[str, bytes]) -> None:
    """Put the package back with ``members`` (a careful forger: the zip is well formed)."""
    if path.is_dir():
        for p in sorted(path.rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
        for name, data in members.items():
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            (path / name).write_bytes(data)
        return
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_a_package_holds_its_files_and_a_manifest_of_their_sums(package: Path) -> None:
    members = _members(package)
    assert set(members) == {*CONTENT, MANIFEST}
    for name, data in CONTENT.items():
        assert members[name] == data
    manifest = json.loads(members[MANIFEST])
    assert manifest["kind"] == "test" and manifest["access_record_id"] == 42
    assert manifest["created_by"]["username"] == "det.one"
    assert manifest["app_version"] == "9.9" and manifest["workstation"] == "ws-1"
    assert manifest["created_at"] == "2026-06-01T12:00:00.000000Z"
    assert manifest["details"] == {"case_number": "26-1"}
    assert manifest["files"] == [
        {"path": n, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
        for n, d in CONTENT.items()
    ]
    report = verify_package(package)
    assert report.ok and report.files == 3
    assert "intact, 3 file(s)" in report.summary() and "access record 42" in report.summary()
    assert [p.name for p in package.parent.iterdir()] == [package.name]  # no temporary left


def test_a_changed_byte_is_found(package: Path) -> None:
    members = _members(package)
    data = bytearray(members["crops/1.jpg"])
    data[100] ^= 0x01
    members["crops/1.jpg"] = bytes(data)
    _rewrite(package, members)
    report = verify_package(package)
    assert not report.ok
    assert len(report.problems) == 1 and report.problems[0].startswith("crops/1.jpg: changed")


def test_a_changed_byte_in_the_raw_zip_is_found(tmp_path: Path) -> None:
    path = _write(tmp_path / "export.zip")
    raw = bytearray(path.read_bytes())
    at = raw.index(CONTENT["crops/1.jpg"][:64])  # a stored (uncompressed) member
    raw[at + 10] ^= 0xFF
    path.write_bytes(bytes(raw))
    [problem] = verify_package(path).problems
    assert problem.startswith("crops/1.jpg: ")  # the zip's CRC or the manifest's sum


def test_a_missing_and_an_added_file_are_found(package: Path) -> None:
    members = _members(package)
    del members["context/1.png"]
    members["crops/2.jpg"] = b"planted"
    _rewrite(package, members)
    report = verify_package(package)
    assert sorted(report.problems) == [
        "context/1.png: missing",
        "crops/2.jpg: added (not in the manifest)",
    ]


def test_a_missing_or_foreign_manifest_is_one_problem(package: Path) -> None:
    members = _members(package)
    manifest = members.pop(MANIFEST)
    _rewrite(package, members)
    assert verify_package(package).problems == (f"{MANIFEST} is missing",)
    _rewrite(package, {**members, MANIFEST: manifest.replace(b'"alpr-desktop-package"', b'"x"')})
    [problem] = verify_package(package).problems
    assert problem.startswith(f"{MANIFEST} is unreadable")


def test_an_unsafe_name_in_the_manifest_is_a_problem(package: Path) -> None:
    members = _members(package)
    manifest = json.loads(members[MANIFEST])
    manifest["files"].append({"path": "../etc/passwd", "sha256": "0" * 64, "size": 1})
    members[MANIFEST] = json.dumps(manifest).encode()
    _rewrite(package, members)
    assert verify_package(package).problems == (
        "'../etc/passwd': not a relative path inside the package",
    )


@pytest.mark.parametrize("name", ["", "/abs", "a/../b", "a\\b", "./a", "C:x", "a//b"])
def test_member_names_must_be_plain_relative_paths(name: str) -> None:
    with pytest.raises(ValueError, match="relative path"):
        check_member_name(name)


@pytest.mark.parametrize("name", ["export.zip", "export"])
def test_a_failure_or_cancel_leaves_nothing(tmp_path: Path, name: str) -> None:
    with pytest.raises(PackageCancelled), PackageWriter(tmp_path / name, INFO) as writer:
        writer.add_bytes("reads.csv", b"x")
        raise PackageCancelled("stop")
    with pytest.raises(ValueError, match="already"), PackageWriter(tmp_path / name, INFO) as w:
        w.add_bytes("a", b"x")
        w.add_bytes("a", b"y")
    assert list(tmp_path.iterdir()) == []


def test_a_zip_replaces_an_old_file_atomically_and_a_folder_must_be_new(tmp_path: Path) -> None:
    old = tmp_path / "export.zip"
    old.write_bytes(b"old")
    _write(old)
    assert verify_package(old).ok
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_bytes(b"")
    with pytest.raises(ValidationError, match="not an empty folder"):
        _write(tmp_path / "taken")
    with pytest.raises(ValidationError, match="does not exist"):
        _write(tmp_path / "nowhere" / "export.zip")
    assert os.stat(old).st_mode & 0o077 == 0  # readable by its owner only (reads inside)


def test_the_command_line_verifies(
    package: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["package", "verify", str(package)]) == 0
    assert "intact" in capsys.readouterr().out
    members = _members(package)
    members["reads.csv"] = b"rank,plate\r\n1,7ABC124\r\n"
    del members["crops/1.jpg"]
    _rewrite(package, members)
    assert main(["package", "verify", str(package)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{package}: reads.csv: changed (SHA-256 ")
    assert out[1] == f"{package}: crops/1.jpg: missing"
    assert out[2] == f"{package}: NOT intact, 2 problem(s)."
    assert main(["package", "verify", str(tmp_path / "none.zip")]) == 2
    assert "There is no package" in capsys.readouterr().err
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    assert main(["package", "verify", str(junk)]) == 1
    assert "not a readable zip file" in capsys.readouterr().out
