"""CSV import of hotlist entries: preview, per-line validation, all-or-nothing import.

The file is read as a stream (a million lines never sit in memory as rows). The import
is one transaction: each line is checked and, while no line has failed, inserted in
chunks with Core ``insert()`` executemany; the first error stops the inserting, the rest
of the file is still checked so the table lists every error, and the transaction is
rolled back. A cancel rolls back too. Columns, the NCIC-style mapping and encodings
are documented in ``docs/hotlists.md``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from alpr_desktop.errors import ValidationError
from alpr_desktop.services import hotlist_fields as hf
from alpr_desktop.storage.models import HotlistEntry

if TYPE_CHECKING:
    from alpr_desktop.services.base import Actor
    from alpr_desktop.services.hotlists import HotlistService

ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")
CHUNK = 5000
#: Errors kept in the table (all are counted).
MAX_ERRORS = 1000
ProgressCallback = Callable[[int, int, int], None]


@dataclass(frozen=True)
class ColumnMapping:
    """Which file column holds which entry field.

    Attributes:
        columns: field (one of :data:`~.hotlist_fields.FIELDS`) -> header name (case
            ignored) or 0-based column index.
        has_header: whether the first line is a header; None detects it.
        defaults: text for a field that has no column (``{"category": "stolen_vehicle"}``).
        strict: header columns the mapping does not name are errors (the documented format).
        encoding: one of :data:`ENCODINGS`, or None to detect.
    """

    columns: Mapping[str, str | int]
    has_header: bool | None = None
    defaults: Mapping[str, str] = field(default_factory=dict)
    strict: bool = False
    encoding: str | None = None
    delimiter: str = ","


STANDARD = ColumnMapping({f: f for f in hf.FIELDS}, has_header=True, strict=True)
#: An NCIC vehicle-file extract: LIC (plate), LIS (state), OCA (case), ORI (agency).
NCIC = ColumnMapping(
    {"plate": "LIC", "state": "LIS", "case_number": "OCA", "source": "ORI", "notes": "NIC"},
    defaults={"category": "stolen_vehicle", "priority": "1"},
)


@dataclass(frozen=True)
class LineError:
    line: int
    column: str
    value: str
    message: str


@dataclass
class ValidationReport:
    encoding: str
    has_header: bool
    lines: int = 0
    errors: list[LineError] = field(default_factory=list)
    error_count: int = 0
    #: How far into the file the reader is, in bytes (for progress).
    position: Callable[[], int] = field(default=lambda: 0, repr=False)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add(self, line: int, column: str, value: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(LineError(line, column, value[:80], message))


@dataclass(frozen=True)
class Preview:
    encoding: str
    has_header: bool
    header: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class ImportResult:
    hotlist_id: int
    list_name: str
    imported: int
    replaced: int
    created_list: bool
    encoding: str


class ImportRejected(ValidationError):
    """The file has errors; nothing was imported. ``report`` holds the per-line table."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(f"{report.error_count} error(s) in the file; nothing was imported.")
        self.report = report


class ImportCancelled(ValidationError):
    """The import was cancelled; nothing was imported."""


# ---------------------------------------------------------------------- reading


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` (BOM), ``utf-8`` or ``cp1252``; :class:`ValidationError` if none fits."""
    with path.open("rb") as stream:
        head = stream.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise ValidationError(_bad_encoding("it is UTF-16"))
    for encoding in ("utf-8", "cp1252"):
        if _decode_error_line(path, encoding) is None:
            return encoding
    raise ValidationError(_bad_encoding("it is not UTF-8, UTF-8 with a BOM or Windows-1252"))


def _bad_encoding(why: str) -> str:
    return f"The file cannot be read: {why}. Save it as UTF-8 (or Windows-1252) CSV."


def _decode_error_line(path: Path, encoding: str) -> int | None:
    """The line of the first byte that ``encoding`` cannot decode (or a NUL), or None."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return line + chunk.count(b"\n", 0, exc.start)
            if "\x00" in text:
                return line + text.count("\n", 0, text.index("\x00"))
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return line
    return None


def _encoding(path: Path, mapping: ColumnMapping) -> str:
    if mapping.encoding is None:
        return detect_encoding(path)
    if mapping.encoding not in ENCODINGS:
        raise ValidationError(f"The encoding must be one of {', '.join(ENCODINGS)}.")
    bad = _decode_error_line(path, mapping.encoding)
    if bad is not None:
        raise ValidationError(
            f"Line {bad} is not valid {mapping.encoding}; choose another encoding or let it "
            "be detected."
        )
    return mapping.encoding


def _rows(path: Path, encoding: str, delimiter: str) -> Iterator[list[str]]:
    with path.open(encoding=encoding, newline="") as stream:
        try:
            yield from csv.reader(stream, delimiter=delimiter, strict=True)
        except csv.Error:
            return  # a preview shows what it could read; validate reports the line


def _is_header(first: list[str], mapping: ColumnMapping) -> bool:
    if mapping.has_header is not None:
        return mapping.has_header
    names = {str(v).casefold() for v in mapping.columns.values() if isinstance(v, str)}
    names |= {"plate", "lic"}
    return any(cell.strip().casefold() in names for cell in first)


@dataclass(frozen=True)
class _Layout:
    """Field -> column index, worked out from the header or the mapping's indexes."""

    index: dict[str, int]
    width: int | None


def _layout(header: list[str] | None, mapping: ColumnMapping, report: ValidationReport) -> _Layout:
    if header is None:
        index: dict[str, int] = {}
        for name, column in mapping.columns.items():
            if not isinstance(column, int):
                report.add(1, str(column), "", f"No header row names the column {column!r}.")
            else:
                index[name] = column
        return _Layout(index, None)
    positions = {cell.strip().casefold(): i for i, cell in enumerate(header)}
    index = {}
    for name, column in mapping.columns.items():
        where = column if isinstance(column, int) else positions.get(str(column).casefold())
        if where is None:
            report.add(1, str(column), "", f"The header has no column {column!r}.")
        else:
            index[name] = where
    if mapping.strict:
        known = {str(c).casefold() for c in mapping.columns.values()}
        for cell in header:
            if cell.strip().casefold() not in known:
                report.add(
                    1,
                    cell,
                    cell,
                    f"Unknown column {cell!r}; the columns are {','.join(hf.FIELDS)}.",
                )
    return _Layout(index, len(header))


# ---------------------------------------------------------------------- checking


class _Checker:
    """Checks one line after another; remembers plates seen to find duplicate lines."""

    def __init__(self, layout: _Layout, mapping: ColumnMapping, now: dt.datetime) -> None:
        self.layout, self.mapping, self.now = layout, mapping, now
        self.seen: dict[str, int] = {}
        self.existing: set[str] = set()

    def row(self, line: int, cells: list[str], report: ValidationReport) -> dict[str, Any] | None:
        width = self.layout.width
        if width is not None and len(cells) != width:
            report.add(line, "", "", f"The line has {len(cells)} fields; the header has {width}.")
            return None
        values: dict[str, Any] = {}
        failed = False
        for name in hf.FIELDS:
            where = self.layout.index.get(name)
            if where is not None and where >= len(cells):
                report.add(
                    line, name, "", f"The line has no column {where + 1} ({hf.label(name)})."
                )
                return None
            text = cells[where] if where is not None else self.mapping.defaults.get(name, "")
            try:
                _check(name, text, values, self.now)
            except hf.FieldError as exc:
                report.add(line, exc.field, text, str(exc))
                failed = True
        return None if failed else self._unique(line, values, report)

    def _unique(
        self, line: int, values: dict[str, Any], report: ValidationReport
    ) -> dict[str, Any] | None:
        key = f"{values['plate_normalized']}|{values['region']}"
        first = self.seen.setdefault(key, line)
        if first != line:
            report.add(
                line,
                "plate",
                values["plate_pattern"],
                f"Duplicate of line {first} (same plate and state).",
            )
            return None
        if key in self.existing:
            report.add(
                line,
                "plate",
                values["plate_pattern"],
                "The list already has this plate and state (append mode).",
            )
            return None
        return values


def _check(name: str, text: str, values: dict[str, Any], now: dt.datetime) -> None:
    if name == "plate":
        values["plate_pattern"], values["plate_normalized"], values["is_partial"] = hf.check_plate(
            text
        )
    elif name == "state":
        values["region"] = hf.check_region(text)
    elif name == "category":
        values["category"] = hf.check_category(text)
    elif name == "priority":
        values["priority"] = hf.check_priority(text)
    elif name == "expires_at":
        values["expires_at"] = hf.check_expiry(text, now)
    else:
        values[name] = hf.check_text(text, name)


def _lines(
    path: Path,
    mapping: ColumnMapping,
    now: dt.datetime,
    report: ValidationReport,
    existing: set[str] | None = None,
) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """(line number, column values or None for a bad line) for every data line."""
    with path.open(encoding=report.encoding, newline="") as stream:
        reader = csv.reader(stream, delimiter=mapping.delimiter, strict=True)
        report.position = cast(Any, stream.buffer).tell
        try:
            yield from _checked(reader, mapping, now, report, existing or set())
        except csv.Error as exc:
            report.add(reader.line_num, "", "", f"The line is not valid CSV: {exc}.")


def _checked(
    reader: Iterator[list[str]],
    mapping: ColumnMapping,
    now: dt.datetime,
    report: ValidationReport,
    existing: set[str],
) -> Iterator[tuple[int, dict[str, Any] | None]]:
    first = next(reader, None)
    if first is None:
        report.add(1, "", "", "The file is empty.")
        return
    report.has_header = _is_header(first, mapping)
    layout = _layout(first if report.has_header else None, mapping, report)
    if not report.ok:
        return  # the columns are wrong: every line would say so
    checker = _Checker(layout, mapping, now)
    checker.existing = existing
    line = 1
    if not report.has_header:
        report.lines += 1
        yield line, checker.row(line, first, report)
    for cells in reader:
        line += 1
        if not any(c.strip() for c in cells):
            continue  # a blank line
        report.lines += 1
        yield line, checker.row(line, cells, report)


# ---------------------------------------------------------------------- public


def preview(path: Path, mapping: ColumnMapping = STANDARD, *, rows: int = 20) -> Preview:
    """The detected encoding and header and the first ``rows`` data lines as they are."""
    encoding = _encoding(path, mapping)
    reader = _rows(path, encoding, mapping.delimiter)
    first = next(reader, [])
    has_header = bool(first) and _is_header(first, mapping)
    data = [] if has_header or not first else [first]
    for cells in reader:
        if len(data) >= rows:
            break
        data.append(cells)
    return Preview(encoding, has_header, first if has_header else [], data[:rows])


def validate(
    path: Path, mapping: ColumnMapping = STANDARD, *, now: dt.datetime | None = None
) -> ValidationReport:
    """Check every line without touching the database; the report lists each error."""
    report = _report(path, mapping)
    if report.ok:
        for _line, _values in _lines(path, mapping, now or dt.datetime.now(dt.UTC), report):
            pass
    return report


def _report(path: Path, mapping: ColumnMapping) -> ValidationReport:
    try:
        encoding = _encoding(path, mapping)
    except ValidationError as exc:
        report = ValidationReport(encoding=mapping.encoding or "", has_header=False)
        report.add(0, "", "", str(exc))
        return report
    except OSError as exc:
        raise ValidationError(f"The file {path} cannot be read: {exc.strerror}.") from None
    return ValidationReport(encoding=encoding, has_header=False)


def import_file(
    service: HotlistService,
    actor: Actor,
    path: Path,
    list_name: str,
    *,
    mapping: ColumnMapping | None,
    replace: bool,
    create_missing: bool,
    progress: ProgressCallback | None,
    cancelled: Callable[[], bool] | None,
) -> ImportResult:
    """See :meth:`HotlistService.import_csv`; ``progress(lines, bytes_read, bytes_total)``."""
    from alpr_desktop.services.hotlists import clean_list_name, create_list, find_list

    mapping = mapping or STANDARD
    name = clean_list_name(list_name)
    report = _report(path, mapping)
    if not report.ok:
        raise ImportRejected(report)
    now = service.ctx.now()
    with service._change(actor) as (session, me):
        hotlist = find_list(session, name)
        created = hotlist is None
        if hotlist is None:
            if not create_missing:
                raise ValidationError(f"There is no hotlist named {name!r}.")
            hotlist = create_list(session, name, now, me.id)
        replaced = 0
        if replace:
            deleted = session.execute(
                delete(HotlistEntry).where(HotlistEntry.hotlist_id == hotlist.id)
            )
            replaced = cast(Any, deleted).rowcount
        existing: set[str] = set()
        if not replace:
            existing = {
                f"{p}|{r}"
                for p, r in session.execute(
                    select(HotlistEntry.plate_normalized, HotlistEntry.region).where(
                        HotlistEntry.hotlist_id == hotlist.id
                    )
                )
            }

        extra = {"hotlist_id": hotlist.id, "created_at": now, "created_by_id": me.id}
        imported = _insert_lines(
            session, path, mapping, now, report, existing, extra, progress, cancelled
        )
        hotlist.updated_at = now
        query = {
            "list": name,
            "file": path.name,
            "mode": "replace" if replace else "append",
            "imported": imported,
            "replaced": replaced,
            "created_list": created,
            "encoding": report.encoding,
        }
        service._record(session, actor, "import_hotlist", hotlist.id, query)
        if progress is not None:
            progress(report.lines, 0, 0)
        return ImportResult(hotlist.id, hotlist.name, imported, replaced, created, report.encoding)


def _insert_lines(
    session: Session,
    path: Path,
    mapping: ColumnMapping,
    now: dt.datetime,
    report: ValidationReport,
    existing: set[str],
    extra: dict[str, Any],
    progress: ProgressCallback | None,
    cancelled: Callable[[], bool] | None,
) -> int:
    """Insert every good line in chunks while no line has failed; check the rest anyway."""
    table = cast(Table, HotlistEntry.__table__)
    total = path.stat().st_size
    chunk: list[dict[str, Any]] = []
    imported = 0
    for count, (_line, values) in enumerate(_lines(path, mapping, now, report, existing), 1):
        if values is not None and report.ok:
            values.update(extra)
            chunk.append(values)
        if len(chunk) >= CHUNK:
            session.execute(insert(table), chunk)
            imported += len(chunk)
            chunk = []
        if count % CHUNK == 0:
            _step(count, report.position(), total, progress, cancelled)
    if not report.ok:
        raise ImportRejected(report)
    if chunk:
        session.execute(insert(table), chunk)
        imported += len(chunk)
    _step(report.lines, total, total, progress, cancelled)
    return imported


def _step(
    lines: int,
    done: int,
    total: int,
    progress: ProgressCallback | None,
    cancelled: Callable[[], bool] | None,
) -> None:
    if progress is not None:
        progress(lines, done, total)
    if cancelled is not None and cancelled():
        raise ImportCancelled("The import was cancelled; nothing was imported.")
