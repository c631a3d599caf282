"""CSV import of hotlists: per-line errors, all or nothing, modes, cancel, the command line."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from alpr_desktop.app import Application
from alpr_desktop.cli import main
from alpr_desktop.services import hotlist_import as hi
from alpr_desktop.services.base import Actor
from alpr_desktop.storage.models import HotlistEntry
from tests.conftest import ADMIN_PASSWORD

HEADER = "plate,state,category,priority,source,case_number,notes,expires_at\n"
FUTURE = (dt.date.today() + dt.timedelta(days=30)).isoformat()
PAST = (dt.date.today() - dt.timedelta(days=3)).isoformat()


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _entries(app: Application) -> int:
    with app.database.sessions() as session:
        return session.scalar(select(func.count(HotlistEntry.id))) or 0


def _import(app: Application, admin: Actor, path: Path, **kwargs: object) -> hi.ImportResult:
    return app.services.hotlists.import_csv(admin, path, "Stolen", create_missing=True, **kwargs)  # type: ignore[arg-type]


def _rejected(app: Application, admin: Actor, path: Path) -> list[hi.LineError]:
    with pytest.raises(hi.ImportRejected) as caught:
        _import(app, admin, path)
    assert _entries(app) == 0 and app.services.hotlists.list_hotlists(admin) == []
    assert hi.validate(path).errors == caught.value.report.errors
    return caught.value.report.errors


def test_good_file_imports_with_preview(app: Application, admin: Actor, tmp_path: Path) -> None:
    text = (
        HEADER
        + f"7ABC123,CA,stolen_vehicle,1,NCIC,24-0001,Grey Civic,{FUTURE}\n"
        + "8XY*45,,amber,,,,Partial from witness — café,\n"
    )
    path = _write(tmp_path / "list.csv", text, "utf-8-sig")
    shown = hi.preview(path)
    assert shown.encoding == "utf-8-sig" and shown.has_header and len(shown.rows) == 2
    result = _import(app, admin, path)
    assert (result.imported, result.created_list, result.encoding) == (2, True, "utf-8-sig")
    page = app.services.hotlists.list_entries(admin, result.hotlist_id)
    assert [(e.pattern, e.partial, e.priority) for e in page.entries] == [
        ("7ABC123", False, 1),
        ("8XY*45", True, 2),
    ]


@pytest.mark.parametrize(
    ("body", "line", "column", "message"),
    [
        ("**,CA,bolo,1,,,,\n", 2, "plate", "wildcards only"),
        (f"ABC123,CA,bolo,1,,,,{PAST}\n", 2, "expires_at", "in the past"),
        ("ABC123,CA,bolo,1,,,,\nabc-123,ca,other,2,,,,\n", 3, "plate", "Duplicate of line 3"),
        ("ABC123,CA,stolen car,1,,,,\n", 2, "category", "not one of"),
        ("ABC123,CA,bolo,9,,,,\n", 2, "priority", "1, 2 or 3"),
        ("ABC123,CA,bolo,1,,,\n", 2, "", "has 7 fields"),
        ("ABC123,CA,bolo,1,,,,2026-13-45\n", 2, "expires_at", "not an ISO date"),
    ],
)
def test_bad_lines_import_nothing(
    app: Application,
    admin: Actor,
    tmp_path: Path,
    body: str,
    line: int,
    column: str,
    message: str,
) -> None:
    path = _write(tmp_path / "bad.csv", HEADER + "GOOD01,CA,bolo,1,,,,\n" + body)
    errors = _rejected(app, admin, path)
    assert len(errors) == 1
    assert (errors[0].line, errors[0].column) == (line + 1, column)
    assert message in errors[0].message


def test_wrong_or_missing_columns(app: Application, admin: Actor, tmp_path: Path) -> None:
    missing = _write(tmp_path / "m.csv", "plate,state,priority\nABC123,CA,1\n")
    errors = _rejected(app, admin, missing)
    assert {e.column for e in errors} >= {"category", "expires_at"}
    wrong = _write(tmp_path / "w.csv", HEADER.replace("notes", "colour") + "ABC123,CA,bolo,1,,,,\n")
    errors = _rejected(app, admin, wrong)
    assert any(e.column == "colour" and "Unknown column" in e.message for e in errors)


def test_bad_encoding(app: Application, admin: Actor, tmp_path: Path) -> None:
    utf16 = _write(tmp_path / "u16.csv", HEADER + "ABC123,CA,bolo,1,,,,\n", "utf-16")
    assert "UTF-16" in _rejected(app, admin, utf16)[0].message
    # 0x81 is undefined in Windows-1252 and invalid UTF-8: none of the three.
    garbage = tmp_path / "g.csv"
    garbage.write_bytes(HEADER.encode() + b"ABC123,CA,bolo,1,,,\x81\x8d,\n")
    assert "not UTF-8" in _rejected(app, admin, garbage)[0].message
    cp1252 = _write(tmp_path / "c.csv", HEADER + "ABC123,CA,bolo,1,,,Café,\n", "cp1252")
    assert _import(app, admin, cp1252).encoding == "cp1252"
    chosen = hi.ColumnMapping(hi.STANDARD.columns, has_header=True, strict=True, encoding="utf-8")
    assert "Line 2 is not valid utf-8" in hi.validate(cp1252, chosen).errors[0].message


def test_ncic_mapping_without_header_by_index(
    app: Application, admin: Actor, tmp_path: Path
) -> None:
    with_header = _write(
        tmp_path / "n.csv", "NIC,LIC,LIS,LIY,ORI,OCA\nV123,7ABC123,CA,2027,CA0190000,24-9\n"
    )
    result = app.services.hotlists.import_csv(
        admin, with_header, "NCIC", mapping=hi.NCIC, create_missing=True
    )
    entry = app.services.hotlists.list_entries(admin, result.hotlist_id).entries[0]
    assert (entry.pattern, entry.state, entry.case_number, entry.category.value) == (
        "7ABC123",
        "CA",
        "24-9",
        "stolen_vehicle",
    )
    by_index = hi.ColumnMapping({"plate": 0, "state": 1}, defaults={"category": "bolo"})
    bare = _write(tmp_path / "b.csv", "XYZ789,NV\nXYZ790,AZ\n")
    assert hi.preview(bare, by_index).has_header is False
    result = app.services.hotlists.import_csv(
        admin, bare, "Bare", mapping=by_index, create_missing=True
    )
    assert result.imported == 2


def test_replace_and_append(app: Application, admin: Actor, tmp_path: Path) -> None:
    first = _write(tmp_path / "1.csv", HEADER + "AAA111,CA,bolo,1,,,,\nBBB222,CA,bolo,1,,,,\n")
    second = _write(tmp_path / "2.csv", HEADER + "CCC333,CA,bolo,1,,,,\n")
    _import(app, admin, first)
    assert _import(app, admin, second).imported == 1 and _entries(app) == 3
    with pytest.raises(hi.ImportRejected) as caught:
        _import(app, admin, second)  # append again: already in the list
    assert "already has" in caught.value.report.errors[0].message and _entries(app) == 3
    result = _import(app, admin, second, replace=True)
    assert (result.imported, result.replaced, _entries(app)) == (1, 3, 1)


def test_cancel_leaves_nothing(app: Application, admin: Actor, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    _big_file(path, 30_000)
    seen: list[int] = []
    with pytest.raises(hi.ImportCancelled):
        _import(
            app,
            admin,
            path,
            progress=lambda lines, _d, _t: seen.append(lines),
            cancelled=lambda: len(seen) >= 3,
        )
    assert _entries(app) == 0 and app.services.hotlists.list_hotlists(admin) == []


def _big_file(path: Path, lines: int, bad_line: int | None = None) -> None:
    """``lines`` distinct entries; data line ``bad_line`` is a wildcard-only plate."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for i in range(1, lines + 1):
            plate = "**" if i == bad_line else f"{i:07d}"
            out.write(f"{plate},CA,stolen_vehicle,2,NCIC,,,\n")


def test_million_lines(app: Application, admin: Actor, tmp_path: Path) -> None:
    """1,000,000 lines with one bad line near the end imports nothing; without it, all."""
    path = tmp_path / "million.csv"
    _big_file(path, 1_000_000, bad_line=999_990)
    start = time.perf_counter()
    errors = _rejected(app, admin, path)
    assert [(e.line, e.column) for e in errors] == [(999_991, "plate")]
    _big_file(path, 1_000_000)
    result = _import(app, admin, path)
    assert result.imported == 1_000_000 == _entries(app)
    print(f"million-line reject + import: {time.perf_counter() - start:.1f} s")


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "data"
    monkeypatch.setenv("ALPR_PASSWORD", ADMIN_PASSWORD)
    assert (
        main(
            ["init", "--data-dir", str(directory), "--username", "dana.w", "--full-name", "Dana W"]
        )
        == 0
    )
    return directory


def test_cli_import(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path / "g.csv", HEADER + "AAA111,CA,bolo,1,,,,\n")
    bad = _write(tmp_path / "b.csv", HEADER + "".join("**,CA,bolo,1,,,,\n" for _ in range(30)))
    command = ["hotlist", "import", "--data-dir", str(data), "--user", "dana.w", "--list", "Stolen"]
    capsys.readouterr()
    assert main([*command, str(bad)]) == 1
    out = capsys.readouterr().out
    assert "30 error(s); nothing was imported." in out and "and 10 more" in out
    assert main([*command, str(good)]) == 0
    out = capsys.readouterr().out
    assert "Imported 1 entries into 'Stolen' (new list)" in out
    assert "Checked 0 past read(s) against the list: 0 retroactive alert(s) raised." in out
    assert main([*command, "--replace", str(good)]) == 0
    assert "replacing 1" in capsys.readouterr().out
    assert main([*command, str(tmp_path / "absent.csv")]) == 2


def test_documented_example_file_imports(app: Application, admin: Actor) -> None:
    example = Path(__file__).resolve().parents[2] / "docs/examples/hotlist-example.csv"
    assert hi.validate(example).ok
    assert _import(app, admin, example).imported == 4
