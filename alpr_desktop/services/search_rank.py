"""The first page of a broad search read off the rank index, without fetching every match.

A search ranks its matches by match quality (exact, another reading, confusable, one
edit), then confidence, then time (newest first), then id. Ranking fetches every match
(``search.ranked_reads``): right for a pattern that fits some thousands of reads, but a
pattern that fits one read in twenty (``7A*``, ``*77*``: two fixed characters) would
fetch half a million of ten million to show 100.

:func:`rank_page` tries a **walk** first: the first :data:`WALK_LENGTH` reads of the rank
index (``ix_plate_reads_rank``, migration 0012: confidence, time, id — the order within a
match quality), the filters applied as they come, the pattern as written checked on
each. If the page is among them, every read on it is an exact match, and in rank order
(no exact match can rank below a worse one). One count then says whether more than the
cap fit (the index, at most cap + 1 reads): if so, the page stands, with the cap as its
total, as ranking every match would give it. Otherwise — fewer matches in the walk than
the page needs, or not more than the cap in all — the caller ranks every match (the
walk cost a few milliseconds). A search with a map area does not walk (the area index
answers it), nor does a page beyond the cap.
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
    walked = _walk(session, postgres, exact, filters, need)
    if walked is None or _count(session, postgres, exact, filters, cap + 1) <= cap:
        return None
    return walked[offset:need], cap, True


def _count(session: Session, postgres: bool, glob: SearchGlob, filters: Any, most: int) -> int:
    """How many reads' plates fit ``glob`` with the filters, counting to ``most`` at most (the
    index answers it)."""
    params: dict[str, Any] = {}
    expanding: list[str] = []
    sql = search_module.index_match(
        postgres, "plate_reads", "plate_normalized", glob, "c", params, expanding,
        qualify="plate_reads.",
    )  # fmt: skip
    condition = text(sql).bindparams(
        *(bindparam(name, expanding=True) for name in expanding), **params
    )
    dialect = "postgresql" if postgres else "sqlite"
    fitting = (
        search_module._filtered(
            select(PlateRead.id).outerjoin(Camera, Camera.id == PlateRead.camera_id),
            filters,
            dialect,
        )
        .where(condition)
        .limit(most)
        .subquery("fitting")
    )
    return int(session.execute(select(func.count()).select_from(fitting)).scalar_one())


def _walk(
    session: Session, postgres: bool, glob: SearchGlob, filters: Any, need: int
) -> list[Ranked] | None:
    """The first ``need`` reads whose plates fit ``glob`` among the first :data:`WALK_LENGTH` of the
    rank index (the filters applied), or None if fewer fit there."""
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
        )
        .where(fits)
        .order_by(walked.c.confidence.desc(), walked.c.read_at.desc(), walked.c.id)
        .limit(need)
    )
    rows = [Ranked(*row) for row in session.execute(stmt)]
    return rows if len(rows) == need else None


_RANK = (PlateRead.confidence.desc(), PlateRead.read_at.desc(), PlateRead.id)
