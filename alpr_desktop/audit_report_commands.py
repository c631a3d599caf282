"""``alpr-desktop audit report``: the periodic audit (policy 471.6(c)) without a window.

Same service and rules as the Audit report page: the acting user signs in (``--user``;
password from ``--password-stdin``, ``ALPR_PASSWORD`` or a prompt) and needs
``RUN_AUDIT_REPORT`` (supervisor or commander). ``--since``/``--until`` are local days
of the department's time zone, both included. The report is saved with its random
sample (``--sample N`` searches, drawn with ``--seed S``, or a random seed that is
printed) for review and sign-off on the page; ``--csv`` and ``--pdf`` write it out
(each export recorded), ``--json`` prints it as one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alpr_desktop.errors import ValidationError

if TYPE_CHECKING:
    from alpr_desktop.app import Application
    from alpr_desktop.services.audit_report import ReportView
    from alpr_desktop.services.base import Actor


def add_arguments(report: argparse.ArgumentParser, acting: Callable[[Any], None]) -> None:
    acting(report)
    report.add_argument("--since", type=_date, required=True, metavar="DATE", help="first day")
    report.add_argument("--until", type=_date, required=True, metavar="DATE", help="last day")
    report.add_argument("--sample", type=int, default=25, metavar="N", help="searches to review")
    report.add_argument("--seed", type=int, metavar="S", help="the sample's seed (default random)")
    report.add_argument("--csv", type=Path, metavar="FILE", help="write the report as CSV")
    report.add_argument("--pdf", type=Path, metavar="FILE", help="write the report as PDF")
    report.add_argument("--json", action="store_true", help="print the report as JSON")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def run(app: Application, actor: Actor, args: argparse.Namespace) -> int:
    from alpr_desktop.services.audit_report_document import write_csv

    for option, path in (("--csv", args.csv), ("--pdf", args.pdf)):
        suffix = "." + option[2:]
        if path is not None and path.suffix.lower() != suffix:
            raise ValidationError(f"{option} needs a {suffix} file name, not {path.name!r}.")
    reports = app.services.audit_reports
    view = reports.run(
        actor, since=args.since, until=args.until, sample_size=args.sample, seed=args.seed
    )
    exported: list[str] = []
    if args.csv is not None:
        done = reports.export(actor, view.summary.id, args.csv, write_csv)
        exported.append(f"CSV {done.path} (SHA-256 {done.sha256})")
    if args.pdf is not None:
        from alpr_desktop.gui.audit_report.render import write_report_pdf
        from alpr_desktop.gui.pdf import ensure_gui_application

        ensure_gui_application()
        done = reports.export(actor, view.summary.id, args.pdf, write_report_pdf)
        exported.append(f"PDF {done.path} (SHA-256 {done.sha256})")
    if args.json:
        print(json.dumps(report_json(view), sort_keys=True))
    else:
        print_report(view)
        for line in exported:
            print(f"Wrote {line}.")
    return 0


def report_json(view: ReportView) -> dict[str, Any]:
    s = view.summary
    return {
        "report": s.id,
        "period_start": s.period_start.isoformat(),
        "period_end": s.period_end.isoformat(),
        "seed": s.seed,
        "status": s.status.value,
        "figures": view.figures,
        "sample": [
            {
                "item": i.id,
                "position": i.position,
                "record": i.record_id,
                "recorded_at": i.recorded_at.isoformat() if i.recorded_at else None,
                "user": i.username,
                "action": i.action,
                "purpose": i.purpose,
                "case_number": i.case_number,
                "query": i.query,
                "verdict": i.verdict.value,
            }
            for i in view.items
        ],
    }


def print_report(view: ReportView) -> None:
    from alpr_desktop.services.audit_report_document import (
        heading_lines,
        query_text,
        sign_off_lines,
    )

    for label, value in heading_lines(view):
        print(f"{label + ':':<8} {value}")
    for table in view.tables:
        print(f"\n{table.title}")
        rows = [list(map(str, table.columns)), *([str(c) for c in r] for r in table.rows)]
        if len(rows) == 1:
            rows.append(["(none)"] + [""] * (len(table.columns) - 1))
        widths = [max(len(r[i]) for r in rows) for i in range(len(table.columns))]
        for row in rows:
            print("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    print("\nReview sample (review and sign off on the Audit report page)")
    for item in view.items:
        when = item.recorded_at.isoformat(timespec="seconds") if item.recorded_at else "?"
        print(
            f"  {item.position:>3}  record {item.record_id:<8} {when}  {item.username:<16} "
            f"{item.action:<13} {item.purpose} / {item.case_number or '(no case)'}  "
            f"{query_text(item)}"
        )
    for line in sign_off_lines(view):
        print(line)
