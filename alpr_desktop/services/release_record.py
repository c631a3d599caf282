"""A release request as a printable record (policy 471.7(c): the approved request is
retained on file): HTML in Qt's rich-text subset, laid out as a PDF by
``alpr_desktop.gui.pdf.write_pdf``. Pure text; nothing here touches Qt or the database.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from alpr_desktop.core.local_time import zone
from alpr_desktop.core.releases import ReleaseStatus
from alpr_desktop.services.release_records import ReleaseView

STATUS_LABELS: dict[ReleaseStatus, str] = {
    ReleaseStatus.DRAFT: "Draft",
    ReleaseStatus.SUBMITTED: "Awaiting the commander's decision",
    ReleaseStatus.APPROVED: "Approved",
    ReleaseStatus.DENIED: "Denied",
    ReleaseStatus.REFERRED: "Referred to records release",
    ReleaseStatus.FULFILLED: "Approved and fulfilled",
}


def record_title(view: ReleaseView) -> str:
    return f"ALPR release request {view.id} — {view.fields.agency_name or 'agency not named'}"


def _when(moment: dt.datetime | None, time_zone: str) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(zone(time_zone)).strftime("%Y-%m-%d %H:%M %Z")


def _rows(pairs: list[tuple[str, str]]) -> str:
    cells = "".join(
        f"<tr><td width='30%' style='color:#444'><b>{escape(label)}</b></td>"
        f"<td>{escape(value or '—').replace(chr(10), '<br/>')}</td></tr>"
        for label, value in pairs
    )
    return f"<table width='100%' cellspacing='0' cellpadding='4' border='1'>{cells}</table>"


def _search_text(view: ReleaseView, time_zone: str) -> str:
    """The saved search in words; its period in the department's time zone."""
    if view.query is None:
        return "—"
    query = view.query
    parts = [f"pattern {query.pattern}"]
    if query.confusable:
        parts.append("confusable characters")
    if query.fuzzy:
        parts.append("one edit")
    if query.filters.since or query.filters.until:
        since = _when(query.filters.since, time_zone) if query.filters.since else "the start"
        until = _when(query.filters.until, time_zone) if query.filters.until else "now"
        parts.append(f"from {since} to {until}")
    for key, value in query.filters.canonical().items():
        if key not in ("since", "until") and value not in (None, [], False):
            parts.append(f"{key.replace('_', ' ')} {value if value is not True else ''}".strip())
    return "; ".join(parts)


def release_record_html(view: ReleaseView, *, time_zone: str, department: str = "") -> str:
    """The whole request on file: the request as written, the decision, its fulfilment."""
    f = view.fields
    blocker = view.blocker
    request = [
        ("Agency", f.agency_name),
        ("Agency type", f.agency_type.label),
        ("Agency state", f.agency_state),
        ("Requester", f.requester_name),
        ("Title", f.requester_title),
        ("Contact", f.requester_contact),
        ("Intended purpose", f.intended_purpose),
        ("Authorised purpose (471.4)", f.purpose),
        ("Case number", f.case_number),
        ("Legal basis", f.legal_basis),
        ("Data asked for", f.data_requested),
        ("As a search", _search_text(view, time_zone)),
        ("Recorded by", f"{view.created_by}, {_when(view.created_at, time_zone)}"),
        ("Submitted", _when(view.submitted_at, time_zone)),
    ]
    decision = [
        ("Status", STATUS_LABELS[view.status]),
        ("Decided by", view.decided_by),
        ("Decided", _when(view.decided_at, time_zone)),
        ("Reason / note", view.decision_reason),
    ]
    if view.referred_to:
        decision.append(("Referred to", view.referred_to))
    if blocker:
        decision.append(("Approval blocked", blocker))
    html = [
        f"<h2>{escape(record_title(view))}</h2>",
        f"<p>{escape(department)} — Civ. Code 1798.90.55; policy 471.7. "
        f"Printed record of request {view.id}.</p>",
        "<h3>The written request</h3>",
        _rows(request),
        "<h3>Decision</h3>",
        _rows(decision),
    ]
    if view.attachments:
        html.append("<h3>Attachments kept with the request</h3>")
        html.append(_rows([(a.filename, f"{a.media_type}, {a.size:,} bytes, SHA-256 {a.sha256}")
                           for a in view.attachments]))  # fmt: skip
    if view.shares:
        html.append("<h3>Sharing log</h3>")
        for share in view.shares:
            html.append(
                _rows(
                    [
                        ("Sent", _when(share.shared_at, time_zone)),
                        ("By", share.shared_by),
                        ("Recipient", share.recipient),
                        ("How", share.delivery),
                        ("Contents", f"{share.read_count:,} read(s), {share.file_count:,} file(s)"),
                        ("Package", share.package_name),
                        ("Package SHA-256", share.package_sha256),
                        ("Manifest SHA-256", share.manifest_sha256),
                    ]
                )
            )
    html.append(
        "<p><br/>Commander (or designee): ______________________________ Date: ______________</p>"
    )
    return "\n".join(html)
