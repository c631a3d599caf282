"""The usage and privacy policy: filled from the settings, the department's own file,
the standalone HTML export (service and ``alpr-desktop policy export``)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from alpr_desktop.app import Application
from alpr_desktop.cli import main
from alpr_desktop.core.roles import Role
from alpr_desktop.errors import StorageError
from alpr_desktop.services.base import Actor
from alpr_desktop.services.policy import POLICY_FILE_NAME, default_template
from alpr_desktop.storage.models import AccessRecord
from tests.conftest import create_active_user


def _name_designee(app: Application, admin: Actor) -> None:
    commander = create_active_user(app, admin, "cmdr.one", [Role.COMMANDER])
    app.services.settings.update(commander, designee_name="Lt. Maria <Lopez>")
    app.services.settings.update(commander, designee_title="Support Services Commander")
    app.services.settings.update(commander, retention_days=400)
    app.services.settings.update(admin, agency_name="Springfield Police Department")


def test_placeholders_filled_and_page_standalone(app: Application, admin: Actor) -> None:
    assert {"{designee_name}", "{designee_title}", "{agency_name}"} <= set(
        re.findall(r"\{\w+\}", default_template())
    )
    before = app.services.policy.document()
    assert "*(not yet named)*" in before.markdown and before.source == "default"
    _name_designee(app, admin)
    document = app.services.policy.document()
    assert not re.search(r"\{\w+\}", document.markdown), "every placeholder is filled"
    page = document.html
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert "Lt. Maria &lt;Lopez&gt;" in page, "a setting is text, never markup"
    assert "Support Services Commander" in page and "Springfield Police Department" in page
    assert "kept for 400 days" in page
    assert "<li>Criminal investigation</li>" in page  # the department's purposes
    assert "http" not in page and "src=" not in page and "<link" not in page
    assert document.title == "Springfield Police Department — ALPR Usage and Privacy Policy"


def test_the_departments_own_file_replaces_the_default(
    app: Application, admin: Actor, tmp_path: Path
) -> None:
    own = app.config.data_dir / POLICY_FILE_NAME
    own.parent.mkdir(parents=True, exist_ok=True)
    own.write_text(
        "# {agency_name} ALPR policy\n\nDesignee: {designee_name}, {designee_title}. "
        "Braces {kept} as they are.\n\n<script>alert(1)</script>\n\n![x](http://e.invalid/x.png)\n",
        encoding="utf-8",
    )
    _name_designee(app, admin)
    document = app.services.policy.document()
    assert document.source == str(own)
    assert "<h1>Springfield Police Department ALPR policy</h1>" in document.html
    assert "Designee: Lt. Maria &lt;Lopez&gt;, Support Services Commander." in document.html
    assert "{kept}" in document.html
    assert "<script>" not in document.html and "<img" not in document.html
    own.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(StorageError, match="not UTF-8"):
        app.services.policy.document()


def test_export_writes_and_records(app: Application, admin: Actor, tmp_path: Path) -> None:
    out = tmp_path / "site" / "alpr-policy.html"
    with pytest.raises(StorageError, match="does not exist"):
        app.services.policy.export(out, actor=admin)
    out.parent.mkdir()
    result = app.services.policy.export(out, actor=admin)
    assert out.read_text(encoding="utf-8") == app.services.policy.document().html
    assert [p.name for p in out.parent.iterdir()] == ["alpr-policy.html"]  # no temp left
    with app.database.sessions() as session:
        record = session.scalars(
            select(AccessRecord).where(AccessRecord.action == "policy_export")
        ).one()
    assert record.username == "admin" and result.sha256 in record.query


def test_cli_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "d"
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-password\n"))
    init = ["--data-dir", str(data), "init", "--username", "chief", "--full-name", "C"]
    assert main([*init, "--password-stdin"]) == 0
    capsys.readouterr()
    out = tmp_path / "policy.html"
    assert main(["--data-dir", str(data), "policy", "export", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"Wrote {out} from the shipped policy; SHA-256 ")
    text = out.read_text(encoding="utf-8")
    assert "Automated License Plate Readers: Usage and Privacy Policy" in text
    assert "http" not in text
    rc = main(["--data-dir", str(data), "policy", "export", "--out", str(tmp_path)])
    assert rc == 2 and "is a folder" in capsys.readouterr().err
