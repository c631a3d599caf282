"""Exporting a search's results: a verifiable package, itself a recorded access.

:meth:`SearchService.export <alpr_desktop.services.search.SearchService.export>` runs
:func:`export_search`: the request is checked like a search, then **one** access record
(``export_reads``: the purpose, the case number, the search's query as canonical JSON
and ``"export": <file name>``) is committed before any read is looked at; a refusal is
recorded as refused and writes nothing. Every ranked match (at most
:data:`~alpr_desktop.services.search.CANDIDATE_LIMIT`) then goes into a package
(:mod:`alpr_desktop.core.packages`)::

    reads.csv               one row per read, in rank order
    reads.json              the same, structured, with the query and the record id
    crops/<read_id>.jpg     each read's plate crop (.png for PNG)
    context/<read_id>.jpg   each read's context frame, where one was kept
    manifest.json           every file's SHA-256 and size; kind, who, when, record id

An image several reads share (one frame, two plates) is written once per read, so each
read's files stand on their own. Writing is atomic; a cancel (checked between reads)
or a failure leaves no file, and the access record stays: the data was looked at.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr_desktop import __version__
from alpr_desktop.core.packages import PackageCancelled, PackageInfo, PackageWriter
from alpr_desktop.core.roles import Action
from alpr_desktop.errors import ValidationError
from alpr_desktop.services import search as search_module
from alpr_desktop.services.base import Actor
from alpr_desktop.storage.models import StoredImage

if TYPE_CHECKING:
    from alpr_desktop.services.search import (
        ReadResult,
        SearchRequest,
        SearchService,
    )

KIND = "search-export"
CSV_COLUMNS = (
    "rank",
    "read_id",
    "read_at_utc",
    "plate",
    "confidence",
    "match_quality",
    "reason",
    "matched_text",
    "camera",
    "mobile",
    "latitude",
    "longitude",
    "alternatives",
    "crop_file",
    "context_file",
)
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}
_IMAGE_CHUNK = 50  # reads whose images are read from the database at a time
#: A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]


@dataclass(frozen=True)
class ExportResult:
    """A written export: where, how many reads and images, its SHA-256, its record."""

    path: Path
    reads: int
    images: int
    #: SHA-256 of the zip file (of ``manifest.json`` for a folder package).
    sha256: str
    size: int
    record_id: int
    #: More reads matched than a search ranks: only the first ones were exported.
    capped: bool


def export_search(
    service: SearchService,
    actor: Actor,
    request: SearchRequest,
    target: Path,
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> ExportResult:
    """Record the export, then write every ranked match of ``request`` to ``target``.

    ``target`` ending in ``.zip`` is a zip file (replaced if it exists); anything else a
    new folder. ``progress(done, total)`` is called as reads are written (from this
    thread); ``cancel()`` is asked between reads.

    Raises:
        ValidationError: a pattern, filter or target that cannot be used (nothing
            recorded), or no purpose or case number (recorded refused).
        PermissionDenied: no ``EXPORT_READS`` or no current training (recorded).
        PackageCancelled: ``cancel()`` turned true; nothing was written.
    """
    target = Path(target)
    pattern = service.compile(request)
    request.filters.check()
    check_target(target)
    # Every ranked match: no page limit, from the first.
    query = search_module.search_query(request, pattern, limit=None, offset=0, export=target.name)
    record_id = service.audit.record_first(
        actor,
        Action.EXPORT_READS,
        request.purpose,
        request.case_number,
        query,
        "exported reads",
    )
    with service.ctx.db.readers() as session:
        ranked = search_module.ranked_reads(session, pattern, request.filters, limit=None)
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
                "purpose": request.purpose,
                "case_number": request.case_number,
                "query": query,
                "reads": len(results),
                "capped": ranked.capped,
            },
        )
        with PackageWriter(target, info) as package:
            package.add_bytes("reads.csv", reads_csv(results, names))
            package.add_bytes(
                "reads.json", reads_json(results, names, query, record_id, capped=ranked.capped)
            )
            images = write_images(session, package, results, names, progress, cancel)
    written = package.written
    assert written is not None
    return ExportResult(
        written.path,
        len(results),
        images,
        written.sha256,
        written.size,
        record_id,
        ranked.capped,
    )


def actor_identity(actor: Actor) -> dict[str, str]:
    """Who made a package, as its manifest and records name them."""
    return {
        "username": actor.username,
        "full_name": actor.full_name,
        "organisation": actor.organisation,
    }


def check_target(target: Path) -> None:
    """What can be said of the target before anything is recorded."""
    if not target.name:
        raise ValidationError("Name the file to export to.")
    if not target.parent.is_dir():
        raise ValidationError(f"The folder {target.parent} does not exist.")
    if target.suffix.lower() == ".zip":
        if target.is_dir():
            raise ValidationError(f"{target} is a folder.")
    elif target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ValidationError(f"{target} already exists: export to a .zip file or a new folder.")


#: (read id, "crop" | "context") → the file name in the package.
Names = dict[tuple[int, str], str]


def image_names(session: Session, results: Sequence[ReadResult]) -> Names:
    """Each read's image files, by the stored images' types (their bytes not yet read).

    Shared with the evidence export (:mod:`alpr_desktop.services.evidence_export`).
    """
    ids = sorted(
        {i for r in results for i in (r.crop_image_id, r.context_image_id) if i is not None}
    )
    types: dict[int, str] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        for found_id, media_type in session.execute(
            select(StoredImage.id, StoredImage.media_type).where(StoredImage.id.in_(chunk))
        ):
            types[found_id] = media_type
    names: Names = {}
    for r in results:
        for folder, image_id in (("crops", r.crop_image_id), ("context", r.context_image_id)):
            if image_id is not None and image_id in types:
                ext = _EXTENSIONS.get(types[image_id], "bin")
                names[(r.read_id, folder)] = f"{folder}/{r.read_id}.{ext}"
    return names


def write_images(
    session: Session,
    package: PackageWriter,
    results: Sequence[ReadResult],
    names: Names,
    progress: Progress | None,
    cancel: Cancel | None,
) -> int:
    total, written = len(results), 0
    if progress is not None:
        progress(0, total)
    for start in range(0, total, _IMAGE_CHUNK):
        chunk = results[start : start + _IMAGE_CHUNK]
        wanted = {i for r in chunk for i in (r.crop_image_id, r.context_image_id) if i is not None}
        rows = session.execute(
            select(StoredImage.id, StoredImage.data).where(StoredImage.id.in_(wanted))
        )
        data: dict[int, bytes] = {image_id: blob for image_id, blob in rows}
        for done, result in enumerate(chunk, start + 1):
            if cancel is not None and cancel():
                raise PackageCancelled(
                    "The export was cancelled; no file was written. It stays in the access "
                    "record: the reads were looked at."
                )
            for folder, image_id in (
                ("crops", result.crop_image_id),
                ("context", result.context_image_id),
            ):
                name = names.get((result.read_id, folder))
                if name is not None and image_id in data:
                    package.add_bytes(name, data[image_id])
                    written += 1
            if progress is not None:
                progress(done, total)
    return written


def _row(rank: int, result: ReadResult, names: Names) -> list[str]:
    return [
        str(rank),
        str(result.read_id),
        _utc(result.read_at).isoformat(),
        result.plate_text,
        f"{result.confidence:.4f}",
        result.quality.name.lower(),
        _cell(result.reason),
        result.matched_text,
        _cell(result.camera_name),
        "yes" if result.mobile else "no",
        "" if result.latitude is None else repr(result.latitude),
        "" if result.longitude is None else repr(result.longitude),
        "; ".join(f"{text} {conf:.4f}" for text, conf in result.alternatives),
        names.get((result.read_id, "crops"), ""),
        names.get((result.read_id, "context"), ""),
    ]


def _utc(value: dt.datetime) -> dt.datetime:
    """A read's time in UTC (SQLite may give it back naive; it is stored as UTC)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC)


def _cell(text: str) -> str:
    """Free text a spreadsheet would run as a formula, made inert with a leading '."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def reads_csv(results: Sequence[ReadResult], names: Names) -> bytes:
    """``reads.csv``: one row per read, in the order given (the rank)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_row(rank, r, names) for rank, r in enumerate(results, 1))
    # With a byte-order mark, so a spreadsheet opens non-ASCII camera names as UTF-8.
    return out.getvalue().encode("utf-8-sig")


def reads_json(
    results: Sequence[ReadResult],
    names: Names,
    query: dict[str, Any],
    record_id: int,
    *,
    capped: bool = False,
) -> bytes:
    """``reads.json``: the reads structured, with the query and the access record."""
    reads = []
    for rank, result in enumerate(results, 1):
        fields = asdict(result)
        fields["rank"] = rank
        fields["read_at"] = _utc(result.read_at).isoformat()
        fields["quality"] = result.quality.name.lower()
        fields["alternatives"] = [list(a) for a in result.alternatives]
        fields["crop_file"] = names.get((result.read_id, "crops"))
        fields["context_file"] = names.get((result.read_id, "context"))
        reads.append(fields)
    document = {
        "access_record_id": record_id,
        "query": query,
        "total": len(results),
        "capped": capped,
        "reads": reads,
    }
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
