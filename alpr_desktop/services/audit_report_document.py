"""An audit report as a document: CSV (one section per table) and HTML for the PDF.

Pure text: the PDF is laid out by Qt (``gui/audit_report/pdf.py`` turns this HTML and
its chart images into pages); the CSV is written here, atomically.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import tempfile
from html import escape
from pathlib import Path
from typing import Any

from alpr_desktop.core.local_time import zone
from alpr_desktop.errors import StorageError
from alpr_desktop.services.audit_report import VERDICT_LABELS, ReportView, ReviewItemView

SAMPLE_COLUMNS = (
    "#",
    "Record",
    "Recorded (local)",
    "User",
    "Action",
    "Purpose",
    "Case",
    "Query",
    "Verdict",
    "Note",
    "Reviewed by",
)


def local_text(view: ReportView, moment: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if moment is None:
        return ""
    return moment.astimezone(zone(view.time_zone)).strftime(fmt)


def period_text(view: ReportView) -> str:
    """``2026-11-01 – 2026-11-30`` (the local days the report covers)."""
    first = local_text(view, view.summary.period_start, "%Y-%m-%d")
    last = local_text(view, view.summary.period_end - dt.timedelta(microseconds=1), "%Y-%m-%d")
    return f"{first} – {last}"


def query_text(item: ReviewItemView) -> str:
    """The recorded query pretty enough to read in a cell (key: value, …)."""
    try:
        parsed = json.loads(item.query) if item.query else {}
    except ValueError:
        return item.query
    if not isinstance(parsed, dict):
        return item.query
    # The page's size and the normalised pattern say nothing a reviewer needs.
    hidden = {"limit", "normalised"} | ({"offset"} if parsed.get("offset") == 0 else set())
    shown = {k: v for k, v in parsed.items() if k not in hidden and v not in (None, "", [], False)}
    return ", ".join(f"{k}: {v}" for k, v in shown.items())


def sample_row(view: ReportView, item: ReviewItemView) -> list[Any]:
    return [
        item.position,
        item.record_id,
        local_text(view, item.recorded_at),
        item.username,
        item.action,
        item.purpose,
        item.case_number,
        query_text(item),
        VERDICT_LABELS[item.verdict],
        item.note,
        item.reviewed_by,
    ]


def sign_off_lines(view: ReportView) -> list[str]:
    s = view.summary
    if not s.signed_off:
        return [f"Not signed off ({view.reviewed} of {len(view.items)} sampled searches reviewed)."]
    lines = [
        f"Signed off by {s.signed_off_by} on {local_text(view, s.signed_off_at)} "
        f"({view.time_zone})."
    ]
    if s.sign_off_note:
        lines.append(f"Note: {s.sign_off_note}")
    return lines


def heading_lines(view: ReportView) -> list[tuple[str, str]]:
    s, sample = view.summary, view.sample_info
    return [
        ("Agency", view.agency_name),
        ("Report", f"#{s.id}"),
        ("Period", f"{period_text(view)} ({view.time_zone})"),
        ("Run by", f"{s.created_by} on {local_text(view, s.created_at)}"),
        (
            "Sample",
            f"{sample.get('drawn', 0)} of {sample.get('population', 0)} searches, "
            f"seed {s.seed} (searches up to record {sample.get('population_last_id', 0)})",
        ),
    ]


# --------------------------------------------------------------------------- CSV
def report_csv(view: ReportView) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Audit report (policy 471.6(c))"])
    for label, value in heading_lines(view):
        writer.writerow([label, value])
    for line in sign_off_lines(view):
        writer.writerow(["Sign-off", line])
    for table in view.tables:
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.columns)
        writer.writerows(_safe_row(row) for row in table.rows)
    writer.writerow([])
    writer.writerow(["Searches per day"])
    writer.writerow(["Day", "Searches"])
    writer.writerows(view.per_day)
    writer.writerow([])
    writer.writerow(["Review sample"])
    writer.writerow(SAMPLE_COLUMNS)
    writer.writerows(_safe_row(sample_row(view, item)) for item in view.items)
    return out.getvalue()


def _safe_row(row: Any) -> list[Any]:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe."""
    return [f"'{c}" if isinstance(c, str) and c[:1] in ("=", "+", "-", "@") else c for c in row]


def write_csv(view: ReportView, target: Path) -> None:
    """Write :func:`report_csv` to ``target`` atomically (UTF-8 with a BOM for Excel)."""
    write_atomically(target, report_csv(view).encode("utf-8-sig"))


def write_atomically(target: Path, data: bytes) -> None:
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
    except OSError as exc:
        raise StorageError(f"Cannot write {target}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(handle, "wb") as fh:
            fh.write(data)
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise StorageError(f"Cannot write {target}: {exc.strerror or exc}") from exc


# --------------------------------------------------------------------------- HTML
def report_html(view: ReportView, charts: dict[str, str] | None = None) -> str:
    """The report as Qt rich text; ``charts``: title -> image URL (``data:`` PNG)."""
    parts = [f"<h1>Audit report #{view.summary.id} — {escape(view.agency_name)}</h1>"]
    parts.append("<table>")
    parts += [
        f"<tr><th align='left'>{escape(k)}</th><td>{escape(v)}</td></tr>"
        for k, v in heading_lines(view)
    ]
    parts.append("</table>")
    parts.append("<h2>Sign-off</h2>")
    parts += [f"<p>{escape(line)}</p>" for line in sign_off_lines(view)]
    parts.append(
        "<p>Reviewed and signed off: ______________________________ Date: ______________</p>"
    )
    for title, url in (charts or {}).items():
        parts.append(f"<h2>{escape(title)}</h2><p><img src='{url}' width='620'></p>")
    for table in view.tables:
        parts.append(_html_table(table.title, table.columns, table.rows))
    parts.append(_sample_html(view))
    return "\n".join(parts)


def _sample_html(view: ReportView) -> str:
    """The sample, one row per search: when and who, what, the query, the verdict."""
    head = "".join(f"<th>{c}</th>" for c in ("#", "When, who", "Purpose, case", "Query", "Verdict"))
    rows = []
    for item in view.items:
        verdict = f"<b>{escape(VERDICT_LABELS[item.verdict])}</b>"
        if item.note:
            verdict += f"<br>{escape(item.note)}"
        if item.reviewed_by:
            verdict += (
                f"<br><i>{escape(item.reviewed_by)}, {local_text(view, item.reviewed_at)}</i>"
            )
        cells = [
            str(item.position),
            f"{local_text(view, item.recorded_at)}<br>{escape(item.username)}"
            f"<br>record {item.record_id}",
            f"{escape(item.action)}<br>{escape(item.purpose)}"
            f"<br>{escape(item.case_number or '(no case)')}",
            escape(query_text(item)),
            verdict,
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    if not rows:
        rows.append("<tr><td colspan='5'><i>No searches in this period.</i></td></tr>")
    return (
        "<h2>Review sample</h2><table width='100%' style='font-size:8pt'>"
        f"<tr>{head}</tr>{''.join(rows)}</table>"
    )


def _html_table(title: str, columns: tuple[str, ...], rows: tuple[tuple[Any, ...], ...]) -> str:
    head = "".join(f"<th>{escape(str(c))}</th>" for c in columns)
    if not rows:
        body = f"<tr><td colspan='{len(columns)}'><i>None in this period.</i></td></tr>"
    else:
        body = "".join(
            "<tr>"
            + "".join(
                f"<td align='right'>{c}</td>"
                if isinstance(c, int)
                else f"<td>{escape(str(c))}</td>"
                for c in row
            )
            + "</tr>"
            for row in rows
        )
    return f"<h2>{escape(title)}</h2><table width='100%'><tr>{head}</tr>{body}</table>"
