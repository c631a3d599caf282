"""The first page of a broad search, without ranking every match.

A search ranks its matches by match quality (exact, another reading, confusable, one
edit), then confidence, then time (newest first), then id. Ranking every match
(``search.ranked_reads``: each part the index finds, joined to its read) is right for a
pattern that fits a few thousand reads; one that fits more than the search's cap shows
its first 100 and says it is capped, and for that page only the best quality matters.
:func:`rank_page` tries, in turn:

1. **A walk** of the rank index (``ix_plate_reads_rank``, migration 0012: confidence,
   time, id — the order within a match quality — carrying the plate): its first
   :data:`WALK_LENGTH` entries, the filters applied as they come, the pattern as written
   checked on each (the index alone is read). If the page is among them, every read on
   it is an exact match, in rank order (no exact match can rank below a worse one). A
   count then says whether more than the cap fit (the index, at most cap + 1 reads).
   This answers a pattern that fits one read in 40 or more (``7A*``, ``*7*7``) in a few
   milliseconds, where ranking would read hundreds of thousands of matches.
2. **The exact matches only**: the reads whose plates fit the pattern as written, found
   by the index and ranked in SQL, with their number. If more than the cap fit, the page
   is theirs — the other readings, confusables and near misses are never looked up
   (``*123``: 9,000 plates of 10M reads fit, and 12,000 other readings that ranking
   everything would also fetch).
   Tried only when the walk's share of exact matches says at least half the cap fit
   (the walk is a sample of the reads, the span of their ids says how many there are):
   for a narrow pattern the lookup would be done twice for nothing.
3. Otherwise None: the caller ranks every match.

A search with a map area is left to the caller (the area index answers it, and the exact
shape is checked in Python), as is a page beyond the cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, literal_column, select, text
from sqlalchemy.orm import Session

from alpr_desktop.core.search import MatchQuality, SearchGlob, SearchPattern
from alpr_desktop.services import search as search_module
from alpr_desktop.storage.models import Camera, PlateRead
from alpr_desktop.storage.search_index import RANK_INDEX

#: Reads of the rank index one walk takes: a page of 100 is found there when one read in
#: 40 or more fits.
WALK_LENGTH = 4_096


@dataclass(frozen=True, slots=True)
class Ranked:
    """A read found, with what it is ranked by."""

    id: int
    quality: int
    confidence: float
    read_at: Any


def rank_page(
    session: Session,
    pattern: SearchPattern,
    filters: Any,
    *,
    offset: int,
    limit: int,
    cap: int,
) -> tuple[list[Ranked], int, bool] | None:
    """(the page's reads in rank order, ``cap``, True) when the walk finds the page and
    more than ``cap`` reads fit; else None (rank every match)."""
    need = offset + limit
    if filters.area.bounds() is not None or need > cap:
        return None
    postgres = session.get_bind().dialect.name == "postgresql"
    exact = SearchGlob("plate", pattern.text)
    walked, seen = _walk(session, postgres, exact, filters, need)
    if len(walked) == need:
        if _count(session, postgres, exact, filters, cap + 1) <= cap:
            return None
        return walked[offset:need], cap, True
    # The walk is a sample of the reads: if its share of exact matches says fewer than
    # half the cap fit, do not look them all up only to rank everything after all.
    if seen * _span(session) < WALK_LENGTH * cap // 2:
        return None
    found, fitting = _exact_page(session, postgres, exact, filters, need)
    if fitting <= cap or len(found) < need:
        return None
    return found[offset:need], cap, True


def _exact_page(
    session: Session, postgres: bool, glob: SearchGlob, filters: Any, need: int
) -> tuple[list[Ranked], int]:
    """The first ``need`` reads whose plates fit ``glob``, in rank order, and how many
    fit in all (the filters applied; the index finds them, each read once)."""
    stmt = (
        _fitting(
            select(
                PlateRead.id,
                literal_column(str(int(MatchQuality.EXACT))),
                PlateRead.confidence,
                PlateRead.read_at,
                func.count().over().label("fitting"),
            ),
            postgres,
            glob,
            filters,
        )
        .order_by(*_RANK)
        .limit(need)
    )
    rows = session.execute(stmt).all()
    return [Ranked(*row[:4]) for row in rows], int(rows[0].fitting) if rows else 0


def _count(session: Session, postgres: bool, glob: SearchGlob, filters: Any, most: int) -> int:
    """How many reads' plates fit ``glob`` with the filters, counting to ``most`` at most."""
    fitting = _fitting(select(PlateRead.id), postgres, glob, filters).limit(most).subquery()
    return int(session.execute(select(func.count()).select_from(fitting)).scalar_one())


def _fitting(stmt: Any, postgres: bool, glob: SearchGlob, filters: Any) -> Any:
    """``stmt`` (over ``plate_reads``) for the reads whose plates fit ``glob``, found by
    the index (:func:`~alpr_desktop.services.search.index_match`), with the filters."""
    params: dict[str, Any] = {}
    expanding: list[str] = []
    sql = search_module.index_match(
        postgres, "plate_reads", "plate_normalized", glob, "x", params, expanding,
        qualify="plate_reads.",
    )  # fmt: skip
    condition = text(sql).bindparams(
        *(bindparam(name, expanding=True) for name in expanding), **params
    )
    if filters.cameras or filters.mobile_only:
        stmt = stmt.outerjoin(Camera, Camera.id == PlateRead.camera_id)
    dialect = "postgresql" if postgres else "sqlite"
    return search_module._filtered(stmt, filters, dialect).where(condition)


def _span(session: Session) -> int:
    """How many reads there are at most: the span of their ids (two index probes)."""
    low, high = session.execute(select(func.min(PlateRead.id), func.max(PlateRead.id))).one()
    return 0 if low is None else int(high) - int(low) + 1


def _walk(
    session: Session, postgres: bool, glob: SearchGlob, filters: Any, need: int
) -> tuple[list[Ranked], int]:
    """The first ``need`` reads whose plates fit ``glob`` among the first
    :data:`WALK_LENGTH` of the rank index (the filters applied), and how many fit there."""
    dialect = "postgresql" if postgres else "sqlite"
    # The index's columns only (and the cameras only for a filter on them): the walk
    # reads the index alone.
    walk = select(PlateRead.id, PlateRead.confidence, PlateRead.read_at, PlateRead.plate_normalized)
    if filters.cameras or filters.mobile_only:
        walk = walk.outerjoin(Camera, Camera.id == PlateRead.camera_id)
    walk = search_module._filtered(walk, filters, dialect).order_by(*_RANK)
    if not postgres:
        walk = walk.with_hint(PlateRead, f"INDEXED BY {RANK_INDEX}", "sqlite")
    walked = walk.limit(WALK_LENGTH).subquery("walked")
    plate = walked.c.plate_normalized
    fits = plate.like(glob.like) if postgres else plate.op("GLOB")(glob.glob)
    stmt = (
        select(
            walked.c.id,
            literal_column(str(int(MatchQuality.EXACT))),
            walked.c.confidence,
            walked.c.read_at,
            func.count().over().label("seen"),
        )
        .where(fits)
        .order_by(walked.c.confidence.desc(), walked.c.read_at.desc(), walked.c.id)
        .limit(need)
    )
    rows = session.execute(stmt).all()
    return [Ranked(*row[:4]) for row in rows], int(rows[0].seen) if rows else 0


_RANK = (PlateRead.confidence.desc(), PlateRead.read_at.desc(), PlateRead.id)
