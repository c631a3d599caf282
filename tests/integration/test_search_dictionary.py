"""The plate dictionary (migration 0007) on SQLite and PostgreSQL: patterns with no three
fixed characters in a row found exactly through it, kept on insert, pruned after a delete,
and filled by the upgrade from reads stored before it existed."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from alembic import command
from sqlalchemy import delete, select, text

from alpr_desktop.app import Application
from alpr_desktop.core.plates import fold_confusables, normalize_plate
from alpr_desktop.core.roles import Role
from alpr_desktop.core.search import MatchQuality, compile_search, plate_keys
from alpr_desktop.recognition.reads import VehicleRead
from alpr_desktop.services.base import Actor
from alpr_desktop.services.search import SearchRequest
from alpr_desktop.storage import search_index
from alpr_desktop.storage.engine import _alembic_config, current_revision, upgrade_to_head
from alpr_desktop.storage.models import PlateRead, ReadAlternative
from tests.conftest import create_active_user
from tests.integration.ingest_helpers import placed_read

PURPOSE = "Criminal investigation"
CASE = "26-004712"
# Few characters, so that short-run patterns match many plates (and confusables: Z/2, 8/B).
_CHARS = "79Z2B8A"
# Neither has three fixed characters in a row: the trigram index cannot serve them.
PATTERNS = ("9?Z*99", "*77*7", "7*2B", "Z?98*8", "*Z2?7", "?9*99")


def _random_reads(count: int, seed: int = 14) -> list[VehicleRead]:
    rng = random.Random(seed)
    confidences = random.Random(seed + 1)  # its own, so the plates stay as they were

    def plate() -> str:
        return "".join(rng.choices(_CHARS, k=rng.randint(4, 8)))

    return [
        placed_read(
            i,
            plate(),
            tag="dict",
            alternatives=tuple(plate() for _ in range(rng.randint(0, 2))),
            confidence=confidences.choice((0.6, 0.75, 0.9)),
        )
        for i in range(count)
    ]


@pytest.fixture
def detective(app: Application, admin: Actor) -> Actor:
    return create_active_user(app, admin, "det.dict", [Role.INVESTIGATOR])


def _stored(app: Application) -> dict[int, tuple[str, list[str]]]:
    """Every read's plate and other readings, by id."""
    with app.database.sessions() as session:
        reads = {i: (p, []) for i, p in session.execute(select(PlateRead.id, PlateRead.plate_text))}
        for read_id, other in session.execute(
            select(ReadAlternative.read_id, ReadAlternative.plate_text).order_by(
                ReadAlternative.read_id, ReadAlternative.rank
            )
        ):
            reads[read_id][1].append(other)
    return {i: (p, alts) for i, (p, alts) in reads.items()}


def _found(app: Application, actor: Actor, pattern: str, confusable: bool) -> set[int]:
    request = SearchRequest(pattern, PURPOSE, CASE, confusable=confusable, limit=500)
    page = app.services.search.search(actor, request)
    assert page.total < 500 and not page.capped
    return {r.read_id for r in page.results}


def _dictionary(app: Application) -> dict[str, list[str]]:
    """Each string in the dictionary with its keys as the database computes them."""
    with app.database.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            rows = conn.execute(text("SELECT text, plate_search_keys(text) FROM plate_strings"))
            return {t: sorted(keys) for t, keys in rows}
        out: dict[str, list[str]] = {}
        for key, string in conn.execute(text("SELECT key, text FROM plate_keys")):
            out.setdefault(string, []).append(key)
        return {t: sorted(keys) for t, keys in out.items()}


def _strings_of(reads: dict[int, tuple[str, list[str]]]) -> set[str]:
    found: set[str] = set()
    for plate, alternatives in reads.values():
        found |= {normalize_plate(plate), fold_confusables(plate)}
        found |= {normalize_plate(a) for a in alternatives}
    return {s for s in found if len(s) >= 2}


def test_short_run_patterns_are_found_exactly_through_the_dictionary(
    app: Application, detective: Actor
) -> None:
    app.services.ingest.store(_random_reads(240))
    reads = _stored(app)
    hits = 0
    for pattern in PATTERNS:
        for confusable in (False, True):
            search = compile_search(pattern, confusable=confusable)
            assert search.indexed and not any(g.trigram for g in search.globs())
            want = {
                i
                for i, (plate, alternatives) in reads.items()
                if search.classify(plate, [(a, 0.5) for a in alternatives]) is not None
            }
            assert _found(app, detective, pattern, confusable) == want, (pattern, confusable)
            hits += len(want)
    assert hits >= 20  # the patterns do match something (25 with this seed)


def test_every_mode_ranks_as_classify_decides(app: Application, detective: Actor) -> None:
    """The quality the SQL ranks by is the one ``classify`` gives each result: the
    results of every mode come best match first, then most confident, then newest."""
    app.services.ingest.store(_random_reads(240, seed=41))
    reads = _stored(app)
    qualities: set[MatchQuality] = set()
    for pattern in (*PATTERNS[:3], "79Z*", "*B8A*"):
        for confusable, fuzzy in ((False, False), (True, False), (False, True), (True, True)):
            search = compile_search(pattern, confusable=confusable, fuzzy=fuzzy)
            want = {
                i
                for i, (plate, alternatives) in reads.items()
                if search.classify(plate, [(a, 0.5) for a in alternatives]) is not None
            }
            request = SearchRequest(pattern, PURPOSE, CASE, confusable=confusable, fuzzy=fuzzy)
            page = app.services.search.search(detective, replace(request, limit=500))
            assert {r.read_id for r in page.results} == want, (pattern, confusable, fuzzy)
            order = [(r.quality, -r.confidence, -r.read_at.timestamp()) for r in page.results]
            assert order == sorted(order), (pattern, confusable, fuzzy)
            qualities.update(r.quality for r in page.results)
    assert qualities == set(MatchQuality)  # every tier was ranked somewhere


def test_leading_runs_are_found_exactly(app: Application, detective: Actor) -> None:
    """A glob starting with three or more fixed characters (PostgreSQL: a B-tree range,
    its upper bound carried past Z as in 7BZ → 7C) finds exactly what classify accepts."""
    app.services.ingest.store(_random_reads(240, seed=15))
    reads = _stored(app)
    hits = 0
    for pattern in ("ZZZ*", "7BZ*", "9Z*Z9", "B8A?*", "ZZ9*", "Z7*"):
        for confusable in (False, True):
            search = compile_search(pattern, confusable=confusable)
            want = {
                i
                for i, (plate, alternatives) in reads.items()
                if search.classify(plate, [(a, 0.5) for a in alternatives]) is not None
            }
            assert _found(app, detective, pattern, confusable) == want, (pattern, confusable)
            hits += len(want)
    assert hits >= 20


def test_the_search_goes_through_the_dictionary(app: Application, detective: Actor) -> None:
    """A string taken out of the dictionary is no longer found by a short-run pattern (so
    the search does use it), though the read is still there for a trigram pattern."""
    app.services.ingest.store([placed_read(1, "9AZK199", tag="one")])
    assert len(_found(app, detective, "9?Z*99", False)) == 1
    with app.database.engine.begin() as conn:
        table = "plate_strings" if conn.dialect.name == "postgresql" else "plate_keys"
        conn.execute(text(f"DELETE FROM {table} WHERE text = '9AZK199'"))
    assert _found(app, detective, "9?Z*99", False) == set()
    assert len(_found(app, detective, "9AZ*", False)) == 1


def test_the_dictionary_is_kept_on_insert_and_its_keys_are_the_cores(
    app: Application, detective: Actor
) -> None:
    app.services.ingest.store(_random_reads(60))
    reads = _stored(app)
    dictionary = _dictionary(app)
    assert set(dictionary) == _strings_of(reads)
    for string, keys in dictionary.items():
        assert keys == sorted(set(plate_keys(string))), string


def test_prune_removes_the_strings_of_deleted_reads_only(
    app: Application, detective: Actor
) -> None:
    app.services.ingest.store(
        [
            placed_read(1, "9AZK199", tag="p", alternatives=("9AXK199",)),
            placed_read(2, "9AZK199", tag="p"),  # the same vehicle again
            placed_read(3, "7QRS777", tag="p", alternatives=("7QR5777",)),
        ]
    )
    with app.database.sessions.begin() as session:
        session.execute(delete(PlateRead).where(PlateRead.plate_text == "7QRS777"))
        session.execute(delete(PlateRead).where(PlateRead.id == 1))
    # Deleting leaves the strings behind (harmless: reads are fetched by their columns).
    assert "7QRS777" in _dictionary(app)
    assert _found(app, detective, "*77*7", False) == set()
    with app.database.engine.begin() as conn:
        assert search_index.prune_dictionary(conn, ["7QRS777", "9AZK199", "NOSUCH"]) > 0
    left = set(_dictionary(app))
    assert "7QRS777" not in left
    assert "9AZK199" in left  # read 2 still holds it
    assert "9AXK199" in left and "7QR5777" in left  # not asked about yet
    with app.database.engine.begin() as conn:
        search_index.prune_dictionary(conn)
    assert set(_dictionary(app)) == _strings_of(_stored(app))
    assert "9AXK199" not in set(_dictionary(app))  # read 1's alternative went with it
    with app.database.engine.begin() as conn:
        assert search_index.prune_dictionary(conn, []) == 0


def test_the_upgrade_fills_the_dictionary_from_stored_reads(
    app: Application, detective: Actor
) -> None:
    app.services.ingest.store(_random_reads(80))
    engine = app.database.engine
    command.downgrade(_alembic_config(engine), "0006")
    assert current_revision(engine) == "0006"
    with engine.connect() as conn:
        table = "plate_strings" if conn.dialect.name == "postgresql" else "plate_keys"
        assert not conn.dialect.has_table(conn, table)
    upgrade_to_head(engine)
    reads = _stored(app)
    dictionary = _dictionary(app)
    assert set(dictionary) == _strings_of(reads)
    assert all(keys == sorted(set(plate_keys(s))) for s, keys in dictionary.items())
    search = compile_search("*Z2?7", confusable=True)
    want = {
        i
        for i, (plate, alternatives) in reads.items()
        if search.classify(plate, [(a, 0.5) for a in alternatives]) is not None
    }
    assert _found(app, detective, "*Z2?7", True) == want
    # Reads stored after the upgrade are kept by the triggers made by it.
    app.services.ingest.store([placed_read(900, "ZZ2B7", tag="late")])
    assert "ZZ2B7" in _dictionary(app)
