"""``alpr-desktop release …``: release requests without the window (policy 471.7).

``release verify PACKAGE`` needs no database and no sign-in: anyone who receives a
release package checks it against its manifest (exit 0 when whole, 1 with one line per
problem). The others act for ``--user NAME`` (password from ``--password-stdin``,
``ALPR_PASSWORD`` or a prompt) through the same release service as the window, so the
same permissions, the same agency rule and the same access records apply:

* ``release list [--status S …] [--json]`` — the requests, newest first;
* ``release show ID [--json]`` — one request, its decision and sharing log;
* ``release decide ID approve|deny|refer --reason TEXT`` — the commander's decision
  (an approval the agency rule blocks exits 3 with the reason);
* ``release fulfil ID --out PATH [--recipient R] [--delivery HOW]`` — build and log the
  package (``.zip`` or a new folder);
* ``release print ID --out FILE.pdf`` — the printable request record.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alpr_desktop.app import Application
    from alpr_desktop.services.base import Actor
    from alpr_desktop.services.release_records import ReleaseView

#: Exit status of an approval the agency rule refuses (and of a decision already made).
BLOCKED_STATUS = 3
_STATUSES = ("draft", "submitted", "approved", "denied", "referred", "fulfilled")


def add_arguments(
    release: argparse.ArgumentParser,
    command: Callable[..., argparse.ArgumentParser],
    acting: Callable[[Any], None],
) -> None:
    sub: Any = release.add_subparsers(
        dest="release_command", metavar="RELEASE_COMMAND", required=True
    )
    verify = command("verify", "check a release package against its manifest", sub)
    verify.add_argument("path", type=Path, metavar="PACKAGE", help=".zip file or folder")

    listing = command("list", "the release requests, newest first (recorded)", sub)
    acting(listing)
    listing.add_argument("--status", action="append", choices=_STATUSES, default=[])
    listing.add_argument("--json", action="store_true", help="one JSON object per line")

    show = command("show", "one release request with its decision and sharing log", sub)
    acting(show)
    show.add_argument("id", type=int, metavar="ID")
    show.add_argument("--json", action="store_true")

    decide = command("decide", "approve, deny or refer a submitted request (commander)", sub)
    acting(decide)
    decide.add_argument("id", type=int, metavar="ID")
    decide.add_argument("decision", choices=("approve", "deny", "refer"))
    decide.add_argument("--reason", required=True, help="why (the note, for a referral)")

    fulfil = command("fulfil", "build and log the package of an approved request", sub)
    acting(fulfil)
    fulfil.add_argument("id", type=int, metavar="ID")
    fulfil.add_argument("--out", type=Path, required=True, metavar="PATH",
                        help="PATH.zip, or a new folder")  # fmt: skip
    fulfil.add_argument("--recipient", default="", help="default: the requester and agency")
    fulfil.add_argument("--delivery", default="", help="how it is sent (sharing log)")

    pdf = command("print", "write the request record as a PDF", sub)
    acting(pdf)
    pdf.add_argument("id", type=int, metavar="ID")
    pdf.add_argument("--out", type=Path, required=True, metavar="FILE.pdf")


def verify(args: argparse.Namespace) -> int:
    from alpr_desktop.core.packages import iter_problems, verify_package

    report = verify_package(args.path)
    for line in iter_problems(report):
        print(line)
    print(report.summary())
    return 0 if report.ok else 1


def run(app: Application, actor: Actor, args: argparse.Namespace) -> int:
    from alpr_desktop.core.releases import ReleaseStatus
    from alpr_desktop.services.releases import AlreadyDecidedError, ApprovalBlockedError

    releases = app.services.releases
    what = args.release_command
    if what == "list":
        views = releases.list_requests(actor, statuses=[ReleaseStatus(s) for s in args.status])
        for view in views:
            print(json.dumps(_record(view)) if args.json else _line(view))
        if not args.json:
            print(f"{len(views)} request(s).", file=sys.stderr)
        return 0
    if what == "show":
        view = releases.get(actor, args.id)
        print(json.dumps(_record(view), indent=1) if args.json else _details(view))
        return 0
    if what == "decide":
        try:
            if args.decision == "approve":
                view = releases.approve(actor, args.id, reason=args.reason)
            elif args.decision == "deny":
                view = releases.deny(actor, args.id, reason=args.reason)
            else:
                view = releases.refer(actor, args.id, note=args.reason)
        except (ApprovalBlockedError, AlreadyDecidedError) as exc:
            print(f"alpr-desktop: {exc}", file=sys.stderr)
            return BLOCKED_STATUS
        print(f"Request {view.id} {view.status.value} by {view.decided_by}.")
        return 0
    if what == "fulfil":
        done = releases.fulfil(
            actor, args.id, args.out, recipient=args.recipient, delivery=args.delivery
        )
        print(
            f"{done.path}: {done.reads:,} read(s), {done.images:,} image(s), "
            f"{done.size:,} bytes\nPackage SHA-256:  {done.sha256}\n"
            f"Manifest SHA-256: {done.manifest_sha256}"
        )
        return 0
    return _print(app, actor, args)


def _print(app: Application, actor: Actor, args: argparse.Namespace) -> int:
    from alpr_desktop.gui.pdf import PdfDocument, ensure_gui_application, write_pdf
    from alpr_desktop.services.release_record import record_title, release_record_html

    view = app.services.releases.get(actor, args.id)
    ensure_gui_application()
    html = release_record_html(view, time_zone=view.time_zone, department=actor.organisation)
    pages = write_pdf(PdfDocument(record_title(view), html, footer=f"Printed by {actor.username}"),
                      args.out)  # fmt: skip
    print(f"{args.out}: {pages} page(s).")
    return 0


def _line(view: ReleaseView) -> str:
    when = f"{view.submitted_at:%Y-%m-%d}" if view.submitted_at else "—"
    return (
        f"{view.id:>5}  {view.status.value:<9}  {when}  {view.fields.case_number:<16}  "
        f"{view.fields.agency_name}"
    )


def _details(view: ReleaseView) -> str:
    f = view.fields
    lines = [
        f"Request {view.id}: {view.status.value}",
        f"Agency:          {f.agency_name} ({f.agency_type.label}, {f.agency_state})",
        f"Requester:       {f.requester_name}, {f.requester_title} — {f.requester_contact}",
        f"Purpose:         {f.purpose} — {f.intended_purpose}",
        f"Case:            {f.case_number}",
        f"Legal basis:     {f.legal_basis}",
        f"Data asked for:  {f.data_requested}",
        f"Search:          {view.query.to_json() if view.query else '—'}",
    ]
    if view.blocker:
        lines.append(f"Approval blocked: {view.blocker}")
    if view.decided_by:
        lines.append(f"Decided:         {view.status.value} by {view.decided_by} at "
                     f"{view.decided_at:%Y-%m-%d %H:%M} UTC — {view.decision_reason}")  # fmt: skip
    for share in view.shares:
        lines.append(f"Shared:          {share.shared_at:%Y-%m-%d %H:%M} UTC to {share.recipient}, "
                     f"{share.read_count:,} read(s), manifest {share.manifest_sha256}")  # fmt: skip
    return "\n".join(lines)


def _record(view: ReleaseView) -> dict[str, Any]:
    from dataclasses import asdict

    def when(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": view.id,
        "status": view.status.value,
        **{k: (v.value if hasattr(v, "value") else v) for k, v in asdict(view.fields).items()},
        "search": view.query.canonical() if view.query else None,
        "blocked": view.blocker,
        "created_by": view.created_by,
        "submitted_at": when(view.submitted_at),
        "decided_by": view.decided_by,
        "decided_at": when(view.decided_at),
        "decision_reason": view.decision_reason,
        "referred_to": view.referred_to,
        "fulfilled_by": view.fulfilled_by,
        "fulfilled_at": when(view.fulfilled_at),
        "shares": [
            {"recipient": s.recipient, "reads": s.read_count, "manifest_sha256": s.manifest_sha256,
             "package_sha256": s.package_sha256, "shared_at": when(s.shared_at)}
            for s in view.shares
        ],
    }  # fmt: skip
