"""Exporting an evidence hold's reads to portable media, with a chain of custody
(requirements §8; policy 471.5: data held as evidence leaves on a record of who took it).

:meth:`EvidenceService.export <alpr_desktop.services.evidence.EvidenceService.export>`
runs :func:`export_hold`. Only an **approved** hold is exported (a requested one is not
yet evidence, a released one no longer is). One data-access record
(``export_evidence``: the purpose, the hold's case number, the hold and the destination)
is committed before a read is looked at; a refusal is recorded as refused and writes
nothing. The package (:mod:`alpr_desktop.core.packages`, the same format as a search
export and a release, checked by ``alpr-desktop package verify``) holds::

    reads.csv               one row per held read, oldest first (the search export's columns)
    reads.json              the same, structured, with the access record id
    crops/<read_id>.jpg     each read's plate crop
    context/<read_id>.jpg   each read's context frame, where one was kept
    hold.json               the hold: case, reason, who requested and approved it, when
    chain_of_custody.json   who exported, when, from which workstation, to where, under
                            which access record
    manifest.json           every other file's SHA-256 and size

Once the package is in place its SHA-256 and its manifest's are recorded in the trail
(``evidence_exported``, the custody entry an auditor follows), and a printable custody
sheet ``<package>.custody.txt`` is written beside it, outside the package, naming both
sums with lines for each later hand-over. A cancel or failure leaves no package; the
access record stays (the reads were looked at).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from alpr_desktop import __version__
from alpr_desktop.core.packages import PackageInfo, PackageWriter, json_bytes, manifest_sha256
from alpr_desktop.core.roles import Action
from alpr_desktop.errors import ValidationError
from alpr_desktop.services.base import Actor
from alpr_desktop.services.fields import clean_text
from alpr_desktop.services.search import reads_by_id
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
from alpr_desktop.storage.models import EvidenceHoldRead, HoldStatus

if TYPE_CHECKING:
    from alpr_desktop.services.evidence import EvidenceService, HoldView

KIND = "evidence-export"

__all__ = ["Cancel", "EvidenceExport", "Progress", "export_hold"]


@dataclass(frozen=True)
class EvidenceExport:
    """A written evidence package and its custody record."""

    path: Path
    custody_sheet: Path
    hold_id: int
    reads: int
    images: int
    #: SHA-256 of the zip file (of ``manifest.json`` for a folder package).
    sha256: str
    manifest_sha256: str
    size: int
    record_id: int


def export_hold(
    service: EvidenceService,
    actor: Actor,
    hold_id: int,
    target: Path,
    *,
    purpose: str,
    destination: str = "",
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> EvidenceExport:
    """Record the export, then write hold ``hold_id``'s reads to ``target``.

    ``target`` ending in ``.zip`` is a zip file, anything else a new folder (on a
    removable drive, say); ``destination`` says where it goes in words ("USB drive
    SN 4C53…, to the DA's office") for the custody record.

    Raises:
        ValidationError: a target that cannot be written, a hold that is not approved,
            or no purpose (recorded refused).
        NotFoundError: no such hold.
        PermissionDenied: no ``EXPORT_EVIDENCE`` or no current training (recorded).
        PackageCancelled: ``cancel()`` turned true; nothing was written.
    """
    target = Path(target)
    check_target(target)
    destination = clean_text(destination, "the destination", 500)
    hold = service.hold_for_export(actor, hold_id)
    if hold.status is not HoldStatus.APPROVED:
        raise ValidationError(
            f"Hold {hold_id} is {hold.status.value}; only an approved hold is exported as evidence."
        )
    where = destination or str(target)
    query = {"hold": hold_id, "export": target.name, "destination": where}
    record_id = service.audit.record_first(
        actor,
        Action.EXPORT_EVIDENCE,
        purpose,
        hold.case_number,
        query,
        f"exported the reads of evidence hold {hold_id}",
    )
    now = service.ctx.now()
    custody = {
        "hold_id": hold_id,
        "case_number": hold.case_number,
        "exported_by": actor_identity(actor),
        "exported_at": now.isoformat(),
        "workstation": service.ctx.workstation,
        "destination": where,
        "target": str(target),
        "purpose": purpose,
        "access_record_id": record_id,
        "app_version": __version__,
    }
    with service.ctx.db.sessions() as session:
        ids = list(
            session.scalars(
                select(EvidenceHoldRead.read_id).where(EvidenceHoldRead.hold_id == hold_id)
            )
        )
        reason = f"Held under evidence hold {hold_id} (case {hold.case_number})"
        results = reads_by_id(session, ids, reason)
        names = image_names(session, results)
        info = PackageInfo(
            kind=KIND,
            created_by=actor_identity(actor),
            access_record_id=record_id,
            app_version=__version__,
            workstation=service.ctx.workstation,
            created_at=now,
            details={"hold": hold_id, "case_number": hold.case_number, "reads": len(results)},
        )
        with PackageWriter(target, info) as package:
            package.add_bytes("reads.csv", reads_csv(results, names))
            package.add_bytes("reads.json", reads_json(results, names, query, record_id))
            package.add_bytes("hold.json", json_bytes(_hold_record(hold)))
            package.add_bytes("chain_of_custody.json", json_bytes(custody))
            images = write_images(session, package, results, names, progress, cancel)
    written = package.written
    assert written is not None
    manifest_sum = manifest_sha256(written.path)
    sheet = written.path.with_name(written.path.name + ".custody.txt")
    sheet.write_text(
        _custody_sheet(custody, hold, len(results), images, written.sha256, manifest_sum),
        encoding="utf-8",
    )
    service.record_export(
        actor,
        hold_id,
        detail=(
            f"Case {hold.case_number}: {len(results):,} read(s) and {images:,} image(s) to "
            f"{where}; package SHA-256 {written.sha256}, manifest SHA-256 {manifest_sum} "
            f"(access record {record_id})."
        ),
        query={**query, "sha256": written.sha256, "manifest_sha256": manifest_sum},
    )
    return EvidenceExport(
        written.path,
        sheet,
        hold_id,
        len(results),
        images,
        written.sha256,
        manifest_sum,
        written.size,
        record_id,
    )


def _hold_record(view: HoldView) -> dict[str, Any]:
    return {
        "id": view.id,
        "case_number": view.case_number,
        "reason": view.reason,
        "status": view.status.value,
        "requested_by": view.requested_by,
        "requested_at": view.requested_at.isoformat(),
        "approved_by": view.decided_by,
        "approved_at": view.decided_at.isoformat() if view.decided_at else None,
        "review_on": view.review_on.isoformat(),
        "reads": view.read_count,
    }


def _custody_sheet(
    custody: dict[str, Any],
    hold: HoldView,
    reads: int,
    images: int,
    package_sum: str,
    manifest_sum: str,
) -> str:
    who = custody["exported_by"]
    exported = dt.datetime.fromisoformat(custody["exported_at"])
    lines = [
        "CHAIN OF CUSTODY — ALPR EVIDENCE EXPORT",
        "",
        f"Case number:        {hold.case_number}",
        f"Evidence hold:      {hold.id} (approved by {hold.decided_by or '—'})",
        f"Contents:           {reads:,} read(s), {images:,} image(s)",
        f"Package:            {custody['target']}",
        f"Package SHA-256:    {package_sum}",
        f"Manifest SHA-256:   {manifest_sum}",
        f"Exported by:        {who['full_name']} ({who['username']}), {who['organisation']}",
        f"Exported at (UTC):  {exported:%Y-%m-%d %H:%M:%S}",
        f"Workstation:        {custody['workstation']}",
        f"Destination:        {custody['destination']}",
        f"Purpose:            {custody['purpose']}",
        f"Access record:      {custody['access_record_id']}",
        "",
        "Check the package with:  alpr-desktop package verify PACKAGE",
        "(its SHA-256 must equal the one above).",
        "",
        "Transfers:",
    ]
    for _ in range(4):
        lines += [
            "",
            "Released by: ______________________  Received by: ______________________",
            "Date/time:   ______________________  Purpose:     ______________________",
        ]
    return "\n".join(lines) + "\n"
