"""The first pages of a broad search read off the rank index (``services/search_rank.py``)
on SQLite and PostgreSQL: exactly the page, total and cap that ranking every match
gives — every mode, with and without filters, at several offsets and caps, with many
ties in confidence and time."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest

from alpr_desktop.app import Application
from alpr_desktop.core.search import compile_search
from alpr_desktop.services import search_rank
from alpr_desktop.services.search import Area, ReadFilters, ranked_reads
from alpr_desktop.services.search_rank import rank_page
from tests.integration.ingest_helpers import T0, placed_read

_CHARS = "79Z2B8A"
PATTERNS = ("*7*9*", "*Z*8*", "*A*B*", "*7*9", "7*9", "*Z2*", "*77*7", "9?Z*", "Z*8")
FILTERS = (
    ReadFilters(),
    ReadFilters(since=T0 + dt.timedelta(minutes=100)),
    ReadFilters(cameras=("cam-rank-b",)),
    ReadFilters(until=T0 + dt.timedelta(minutes=300), mobile_only=False),
)


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Walks of 120 reads, so a few hundred reads take every way; yields, for each page
    asked, the way that answered it: ``walk``, ``exact`` or ``all`` (ranking every match)."""
    monkeypatch.setattr(search_rank, "WALK_LENGTH", 120)
    answered: list[str] = []
    ranked, walk = search_rank.rank_page, search_rank._walk
    walked: list[bool] = []

    def counted_walk(*args: Any) -> Any:
        found = walk(*args)
        walked.append(len(found[0]) == args[-1])
        return found

    def counted(*args: Any, **kwargs: Any) -> Any:
        walked.clear()
        page = ranked(*args, **kwargs)
        answered.append("all" if page is None else "walk" if any(walked) else "exact")
        return page

    monkeypatch.setattr(search_rank, "rank_page", counted)
    monkeypatch.setattr(search_rank, "_walk", counted_walk)
    yield answered


def _store(app: Application) -> None:
    rng = random.Random(5)

    def plate() -> str:
        return "".join(rng.choices(_CHARS, k=rng.randint(4, 7)))

    reads = [
        placed_read(
            i,
            plate(),
            tag="rank",
            camera=rng.choice(("cam-rank-a", "cam-rank-b")),
            alternatives=tuple(plate() for _ in range(rng.randint(0, 2))),
            # Few values of each: many reads tie on confidence, and on time as well.
            confidence=rng.choice((0.6, 0.75, 0.9)),
            minutes=rng.randrange(0, 400, 20),
        )
        for i in range(360)
    ]
    app.services.ingest.store(reads)


def test_a_broad_search_pages_exactly_as_ranking_every_match(
    app: Application, small: list[str]
) -> None:
    _store(app)
    compared = 0
    with app.database.readers() as session:
        for text in PATTERNS:
            for confusable, fuzzy in ((False, False), (True, False), (False, True)):
                pattern = compile_search(text, confusable=confusable, fuzzy=fuzzy)
                for filters in FILTERS:
                    every = ranked_reads(session, pattern, filters, limit=None, cap=10**6)
                    ids = [r.read_id for r in every.results]
                    for cap in (15, 40, 1000):
                        for offset, limit in ((0, 10), (10, 5), (30, 10)):
                            if offset + limit > cap:
                                continue
                            page = ranked_reads(
                                session, pattern, filters, offset=offset, limit=limit, cap=cap
                            )
                            where = (text, confusable, fuzzy, filters, cap, offset)
                            got = [r.read_id for r in page.results]
                            assert got == ids[offset : offset + limit], where
                            assert page.total == min(len(ids), cap), where
                            assert page.capped == (len(ids) > cap), where
                            compared += 1
    assert compared > 300
    taken = {way: small.count(way) for way in ("walk", "exact", "all")}
    assert min(taken.values()) >= 20, taken  # every way was taken


def test_the_walk_is_not_taken_for_an_area_or_a_page_beyond_the_cap(
    app: Application, small: list[str]
) -> None:
    _store(app)
    pattern = compile_search("*7*9")
    with app.database.readers() as session:
        near = ReadFilters(area=Area(near=(38.58, -121.49, 500.0)))
        assert rank_page(session, pattern, near, offset=0, limit=10, cap=15) is None
        assert rank_page(session, pattern, ReadFilters(), offset=10, limit=10, cap=15) is None
        assert rank_page(session, pattern, ReadFilters(), offset=0, limit=5, cap=15) is not None
