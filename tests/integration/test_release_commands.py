"""``alpr-desktop release …`` on SQLite and PostgreSQL: the same service, refusals as one
line and a non-zero exit, and ``release verify`` catching a changed byte, a missing file
and an added file."""

from __future__ import annotations

import dataclasses
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from alpr_desktop.app import Application
from alpr_desktop.cli import main
from alpr_desktop.core.releases import AgencyType
from alpr_desktop.release_commands import BLOCKED_STATUS
from tests.conftest import USER_PASSWORD
from tests.integration.release_helpers import SHERIFF, People, release_people, saved_query  # noqa: F401


def _url(app: Application) -> str:
    return app.database.engine.url.render_as_string(hide_password=False)


def _run(app: Application, user: str, *args: str) -> int:
    return main(["release", *args[:1], "--database-url", _url(app), "--user", user, *args[1:]])


def test_decide_fulfil_show_list_print_verify(
    app: Application,
    people: People,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ALPR_PASSWORD", USER_PASSWORD)
    releases = app.services.releases
    good = releases.create(people.officer, SHERIFF, saved_query(), submit=True).id
    nevada = dataclasses.replace(SHERIFF, agency_type=AgencyType.OUT_OF_STATE, agency_state="NV")
    blocked = releases.create(people.officer, nevada, saved_query(), submit=True).id

    assert (
        _run(app, "cmdr.one", "decide", str(blocked), "approve", "--reason", "x") == BLOCKED_STATUS
    )
    assert "Out-of-state agencies cannot receive" in capsys.readouterr().err
    assert _run(app, "det.writer", "decide", str(good), "approve", "--reason", "x") == 2
    assert "roles do not allow" in capsys.readouterr().err
    assert _run(app, "cmdr.one", "decide", str(good), "approve", "--reason", "CA, robbery") == 0
    assert f"Request {good} approved by cmdr.one" in capsys.readouterr().out
    assert _run(app, "cmdr.two", "decide", str(good), "deny", "--reason", "late") == BLOCKED_STATUS
    assert "already approved by cmdr.one" in capsys.readouterr().err

    package = tmp_path / "release.zip"
    assert _run(app, "cmdr.one", "fulfil", str(good), "--out", str(package),
                "--delivery", "secure e-mail") == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "3 read(s), 6 image(s)" in out and "Manifest SHA-256:" in out

    assert _run(app, "sgt.one", "show", str(good), "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "fulfilled" and shown["shares"][0]["reads"] == 3
    assert _run(app, "sgt.one", "list", "--status", "submitted") == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 1 and str(blocked) in listed[0]

    pdf = tmp_path / "record.pdf"
    assert _run(app, "cmdr.one", "print", str(good), "--out", str(pdf)) == 0
    assert pdf.read_bytes().startswith(b"%PDF")

    assert main(["release", "verify", str(package)]) == 0
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(package) as archive:
        archive.extractall(folder)
    assert main(["release", "verify", str(folder)]) == 0
    capsys.readouterr()

    changed = tmp_path / "changed"
    shutil.copytree(folder, changed)
    csv = changed / "reads.csv"
    data = bytearray(csv.read_bytes())
    data[-2] ^= 1
    csv.write_bytes(bytes(data))
    assert main(["release", "verify", str(changed)]) == 1
    assert "reads.csv" in capsys.readouterr().out

    missing = tmp_path / "missing"
    shutil.copytree(folder, missing)
    (missing / "request.json").unlink()
    assert main(["release", "verify", str(missing)]) == 1
    assert "request.json" in capsys.readouterr().out

    added = tmp_path / "added"
    shutil.copytree(folder, added)
    (added / "extra.txt").write_text("slipped in")
    assert main(["release", "verify", str(added)]) == 1
    assert "extra.txt" in capsys.readouterr().out
