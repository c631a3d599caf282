"""Reads for the retention tests: expired and fresh reads with images, and consistency checks."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import func, select, text

from alpr_desktop.app import Application
from alpr_desktop.recognition.reads import EncodedImage, VehicleRead
from alpr_desktop.recognition.types import Candidate
from alpr_desktop.storage.models import (
    Alert,
    EvidenceHoldRead,
    MatchKind,
    PlateRead,
    ReadAlternative,
    StoredImage,
)
from alpr_desktop.storage.types import utcnow
from tests.integration.ingest_helpers import jpeg, make_read


def aged_read(
    index: int,
    plate: str,
    *,
    days_old: float,
    tag: str = "ret",
    crop: EncodedImage | None = None,
    context: EncodedImage | None = None,
    alternative: str | None = None,
) -> VehicleRead:
    """Read ``index`` of ``plate``, ``days_old`` days before now, with one alternative."""
    return dataclasses.replace(
        make_read(index, tag=tag, crop=crop, context=context),
        plate_text=plate,
        read_at=utcnow() - dt.timedelta(days=days_old, seconds=index),
        alternatives=(Candidate(alternative or plate.replace("7", "T", 1), 0.4),),
    )


def many_expired(start: int, count: int, *, tag: str = "bulk") -> list[VehicleRead]:
    """``count`` expired reads, each with its own crop and context image."""
    return [
        aged_read(
            i,
            f"5KIL{i:04d}",
            days_old=500,
            tag=tag,
            crop=jpeg(100_000 + i, 32, 16),
            context=jpeg(200_000 + i, 48, 32),
        )
        for i in range(start, start + count)
    ]


def read_ids(app: Application, plates: list[str]) -> dict[str, int]:
    with app.database.sessions() as session:
        rows = session.execute(
            select(PlateRead.plate_text, PlateRead.id).where(PlateRead.plate_text.in_(plates))
        )
        return {plate: read_id for plate, read_id in rows}


def add_alert(app: Application, read_id: int) -> None:
    with app.database.sessions.begin() as session:
        session.add(Alert(read_id=read_id, match_kind=MatchKind.EXACT, explanation="test hit"))


def dictionary_texts(app: Application) -> set[str]:
    """Every string in the plate dictionary (the search index for trigram-less patterns)."""
    with app.database.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            return set(conn.execute(text("SELECT text FROM plate_strings")).scalars())
        return set(conn.execute(text("SELECT DISTINCT text FROM plate_keys")).scalars())


def inconsistencies(app: Application) -> list[str]:
    """What is out of step after a purge: orphans, missing images, stale index rows."""
    problems: list[str] = []
    refs = select(PlateRead.crop_image_id).union(select(PlateRead.context_image_id))
    with app.database.sessions() as session:
        unreferenced = session.scalar(
            select(func.count()).select_from(StoredImage).where(StoredImage.id.not_in(refs))
        )
        if unreferenced:
            problems.append(f"{unreferenced} image(s) no read refers to")
        for column in (PlateRead.crop_image_id, PlateRead.context_image_id):
            missing = session.scalar(
                select(func.count())
                .select_from(PlateRead)
                .where(column.is_not(None), column.not_in(select(StoredImage.id)))
            )
            if missing:
                problems.append(f"{missing} read(s) whose {column.key} image is gone")
        for model in (ReadAlternative, Alert, EvidenceHoldRead):
            orphans = session.scalar(
                select(func.count())
                .select_from(model)
                .where(model.read_id.not_in(select(PlateRead.id)))
            )
            if orphans:
                problems.append(f"{orphans} {model.__tablename__} row(s) without their read")
        stored = (
            set(session.scalars(select(PlateRead.plate_normalized)))
            | set(session.scalars(select(PlateRead.plate_folded)))
            | set(session.scalars(select(ReadAlternative.plate_normalized)))
        )
        conn = session.connection()
        if conn.dialect.name == "sqlite":
            reads = session.scalar(select(func.count()).select_from(PlateRead))
            alts = session.scalar(select(func.count()).select_from(ReadAlternative))
            # External-content FTS5: the index against its content table.
            for table, rows in (("plate_search", reads), ("alternative_search", alts)):
                conn.execute(
                    text(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
                )
                indexed = conn.execute(text(f"SELECT count(*) FROM {table}_docsize")).scalar()
                if indexed != rows:
                    problems.append(f"{table} indexes {indexed} rows, the table has {rows}")
    stale = dictionary_texts(app) - stored
    if stale:
        problems.append(f"{len(stale)} dictionary string(s) no read holds, e.g. {min(stale)}")
    return problems
