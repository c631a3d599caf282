"""Fulfilling an approved release request: the package and the sharing log (policy
471.7; Civ. Code 1798.90.55; requirements §7).

:meth:`ReleaseService.fulfil <alpr_desktop.services.releases.ReleaseService.fulfil>` runs
:func:`fulfil_request`. Only an **approved** request is fulfilled. The request's saved
search runs through the search service's ranking under the request's authorised purpose
and case number; one data-access record (``fulfil_release``: the request, the search
verbatim with every filter, the package) is committed before a read is looked at. A
release must be whole, so a search matching more than :data:`MAX_RELEASE_READS` reads is
refused (narrow the request) rather than cut short. The package
(:mod:`alpr_desktop.core.packages`, checked by ``alpr-desktop release verify``) holds::

    reads.csv                 one row per read, best match first (the search export's columns)
    reads.json                the same, structured, with the search and the access record
    crops/<read_id>.jpg       each read's plate crop
    context/<read_id>.jpg     each read's context frame, where one was kept
    request.json              the request as approved: agency, requester, purpose, legal
                              basis, the data asked for, the decision, its attachments' sums
    request/<n>-<file>        the written request and any other attachment, as kept
    manifest.json             every other file's SHA-256 and size

Then, in one transaction, the request becomes fulfilled and the sharing log gets its
entry (recipient, how it was sent, reads and files, the package's and the manifest's
SHA-256, who and when, the access record). If another workstation fulfilled it first,
this package is deleted and the caller is told who did.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alpr_desktop import __version__
from alpr_desktop.core.packages import (
    PackageInfo,
    PackageWriter,
    json_bytes,
    manifest_sha256,
    remove_package,
)
from alpr_desktop.core.roles import Action
from alpr_desktop.errors import ValidationError
from alpr_desktop.services import search as search_module
from alpr_desktop.services.fields import clean_text
from alpr_desktop.services.search_export import (
    Cancel,
    Progress,
    actor_identity,
    check_target,
    image_names,
    reads_csv,
    reads_json,
    write_images,
)

if TYPE_CHECKING:
    from alpr_desktop.services.base import Actor
    from alpr_desktop.services.releases import ReleaseService, ReleaseView

KIND = "release"
#: The most reads one release package holds; a larger request is narrowed first.
MAX_RELEASE_READS = 100_000

__all__ = ["MAX_RELEASE_READS", "ReleaseFulfilment", "fulfil_request"]


@dataclass(frozen=True)
class ReleaseFulfilment:
    """A written release package and its sharing-log entry."""

    path: Path
    request_id: int
    reads: int
    images: int
    files: int
    #: SHA-256 of the zip file (of ``manifest.json`` for a folder package).
    sha256: str
    manifest_sha256: str
    size: int
    record_id: int


def fulfil_request(
    service: ReleaseService,
    actor: Actor,
    request_id: int,
    target: Path,
    *,
    recipient: str = "",
    delivery: str = "",
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> ReleaseFulfilment:
    """Record the fulfilment, build request ``request_id``'s package at ``target`` and log it.

    ``target`` ending in ``.zip`` is a zip file, anything else a new folder;
    ``recipient`` (default: the requester and agency) and ``delivery`` ("encrypted USB
    drive handed over", "secure e-mail") go into the sharing log.

    Raises:
        ValidationError: a target that cannot be written, a request that is not
            approved (recorded refused), or a search matching too many reads.
        AlreadyDecidedError: another workstation fulfilled it first (this package is
            removed).
        NotFoundError: no such request.
        PermissionDenied: no ``FULFIL_RELEASE`` or no current training (recorded).
        PackageCancelled: ``cancel()`` turned true; nothing was written or logged.
    """
    target = Path(target)
    check_target(target)
    delivery = clean_text(delivery, "how it is sent", 300)
    view, attached = service.request_for_fulfilment(actor, request_id)
    fields = view.fields
    recipient = (
        clean_text(recipient, "the recipient", 300)
        or (f"{fields.requester_name}, {fields.agency_name}"[:300])
    )
    if view.query is None:
        raise ValidationError(f"Request {request_id} names no search; nothing can be released.")
    request = view.query.search_request(fields.purpose, fields.case_number)
    pattern = service.search.compile(request)
    request.filters.check()
    query = {
        "release_request": request_id,
        **view.query.canonical(),
        "package": target.name,
        "recipient": recipient,
    }
    record_id = service.audit.record_first(
        actor,
        Action.FULFIL_RELEASE,
        fields.purpose,
        fields.case_number,
        query,
        f"fulfilled release request {request_id} for {fields.agency_name}",
    )
    with service.ctx.db.sessions() as session:
        ranked = search_module.ranked_reads(
            session, pattern, request.filters, limit=None, cap=MAX_RELEASE_READS
        )
        if ranked.capped:
            raise ValidationError(
                f"The request's search matches more than {MAX_RELEASE_READS:,} reads; a release "
                "must be whole, so narrow the request (time range, cameras) and have it approved."
            )
        results = ranked.results
        names = image_names(session, results)
        info = PackageInfo(
            kind=KIND,
            created_by=actor_identity(actor),
            access_record_id=record_id,
            app_version=__version__,
            workstation=service.ctx.workstation,
            created_at=service.ctx.now(),
            details={
                "release_request": request_id,
                "agency": fields.agency_name,
                "case_number": fields.case_number,
                "purpose": fields.purpose,
                "recipient": recipient,
                "reads": len(results),
            },
        )
        with PackageWriter(target, info) as package:
            package.add_bytes("reads.csv", reads_csv(results, names))
            package.add_bytes("reads.json", reads_json(results, names, query, record_id))
            package.add_bytes("request.json", json_bytes(_request_record(view)))
            for index, (attachment, data) in enumerate(
                zip(view.attachments, attached, strict=True), 1
            ):
                package.add_bytes(f"request/{index}-{_safe(attachment.filename)}", data)
            images = write_images(session, package, results, names, progress, cancel)
    written = package.written
    assert written is not None
    manifest_sum = manifest_sha256(written.path)
    share: dict[str, Any] = {
        "recipient": recipient,
        "delivery": delivery,
        "read_count": len(results),
        "file_count": len(written.files),
        "manifest_sha256": manifest_sum,
        "package_sha256": written.sha256,
        "package_name": written.path.name[:300],
        "access_record_id": record_id,
    }
    detail = (
        f"Case {fields.case_number}: {len(results):,} read(s) and {images:,} image(s) to "
        f"{recipient}" + (f" by {delivery}" if delivery else "") + f"; package SHA-256 "
        f"{written.sha256}, manifest SHA-256 {manifest_sum} (access record {record_id})."
    )
    try:
        service.record_fulfilment(actor, request_id, share, detail)
    except BaseException:
        remove_package(written.path)  # not logged, so it must not leave
        raise
    return ReleaseFulfilment(
        written.path,
        request_id,
        len(results),
        images,
        len(written.files),
        written.sha256,
        manifest_sum,
        written.size,
        record_id,
    )


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe(filename: str) -> str:
    name = _UNSAFE.sub("_", filename).strip("._") or "attachment"
    return name[:120]


def _request_record(view: ReleaseView) -> dict[str, Any]:
    f = view.fields

    def when(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": view.id,
        "status": view.status.value,
        "agency": {
            "name": f.agency_name,
            "type": f.agency_type.value,
            "type_label": f.agency_type.label,
            "state": f.agency_state,
        },
        "requester": {
            "name": f.requester_name,
            "title": f.requester_title,
            "contact": f.requester_contact,
        },
        "intended_purpose": f.intended_purpose,
        "authorised_purpose": f.purpose,
        "case_number": f.case_number,
        "legal_basis": f.legal_basis,
        "data_requested": f.data_requested,
        "search": view.query.canonical() if view.query else None,
        "recorded_by": view.created_by,
        "recorded_at": when(view.created_at),
        "submitted_at": when(view.submitted_at),
        "decision": {
            "by": view.decided_by,
            "at": when(view.decided_at),
            "reason": view.decision_reason,
        },
        "attachments": [
            {"file": a.filename, "media_type": a.media_type, "size": a.size, "sha256": a.sha256}
            for a in view.attachments
        ],
    }
