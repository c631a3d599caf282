"""Partial-plate search and canvass at scale (issue 14): trigram index vs a plain scan.

For SQLite (a file with the shipped pragmas) and PostgreSQL (a scratch database created
next to ``--postgres-url``), one database at a time, in phases (``--phases``, a comma
list of ``load,overhead,search,scan,canvass``; all by default):

1. **load**: ``--reads`` synthetic reads over 30 days (California-style plates
   ``7ABC123`` / ``ABC1234`` / ``1ABC23``, repeated vehicles with a skewed repetition,
   two alternatives per read — a confusable swap and a one-character misread — fixed
   cameras spread over a city plus mobile units reading anywhere in it). The load
   **bypasses the ingest service**: bulk inserts straight into ``plate_reads`` /
   ``read_alternatives`` through the driver (``executemany`` of tuples on SQLite,
   ``COPY`` on PostgreSQL) with the search index dropped, every read
   pointing at one shared small stored image (``crop_image_id``). The index is then
   built (``search_index.create``: FTS5 ``'rebuild'`` / three ``pg_trgm`` GIN indexes),
   timed, and its size measured (SQLite: ``dbstat`` pages of the FTS5 shadow tables, or
   the file size before/after; PostgreSQL: ``pg_relation_size`` of the GIN indexes).
2. **overhead**: ``--overhead-reads`` reads (default 100,000) through
   ``ingest_store.store_batch`` in batches of 250, once before the index exists and once
   after (on the same loaded table, so both runs see the same b-tree sizes).
3. **search**: 20 patterns with >= 3 fixed characters, each with and without confusable
   mode and with and without a time filter (the last 7 days), first page of 100,
   through ``SearchService.search`` (``alpr_desktop/services/search.py`` as it is; its
   hash is in the figures) as a signed-in, trained investigator (access record
   committed each time, as in production), ``--repeat`` times each after one warm-up;
   p50/p95 per configuration and per pattern.
4. **scan**: the same queries as a **plain scan**, each once, SQL only (ids of the first
   100 by time, the same plate / folded / alternatives union the service asks the index
   for): on SQLite the base tables with the plate columns' b-trees disabled (unary
   ``+``) and no FTS5 table; on PostgreSQL the same ``LIKE`` with ``SET LOCAL
   enable_bitmapscan = off, enable_indexscan = off`` (a regex ``~`` would not do:
   ``pg_trgm`` serves regexes too). ``plain`` and ``confusable`` (no time filter) always
   run; the ``_7d`` configurations only if all four fit in ``--scan-budget-s`` (20
   minutes; a SQLite scan of 10M reads takes tens of seconds a query) — the figures
   say which ran. The scan does no ranking, so the speed-up is, if anything, understated.
5. **canvass**: 500 m radius, 30 days, through ``SearchService.canvass``, around a
   fixed camera (a busy spot) and around a point only mobile units pass (a quiet
   spot). ``--canvass-index COLUMNS`` also tries one extra index (created in the
   benchmark database, measured, dropped again); off by default, as its build on
   10M reads is minutes on these machines.

Every phase records its wall time and ``os.getloadavg()`` at its start and end.

``--keep DIR`` keeps the loaded database: the SQLite file under
``DIR/sqlite_<reads>/``, or the PostgreSQL database ``alpr_bench_search_<reads>``;
``DIR/<kind>_<reads>.json`` records a finished load and index build with their
figures. A rerun with the same ``--keep`` and ``--reads`` reuses that database and
those figures, skipping load, index and overhead (a load that did not finish is
started again). Without ``--keep`` the database is temporary. Commands (10M)::

    .venv/bin/python benchmarks/bench_search.py --reads 10000000 --keep /tmp/bench10m \\
        --phases load,overhead --overhead-reads 100000
    .venv/bin/python benchmarks/bench_search.py --reads 10000000 --keep /tmp/bench10m \\
        --phases search,scan,canvass --repeat 3

(``--databases sqlite`` or ``postgres`` runs one; ``--postgres-url`` names the server's
maintenance database.) The last line printed is one JSON object with every figure
(with ``--keep``, each database's figures are also written to ``DIR/result_*.json``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import random
import shutil
import string
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

from _alert_bench import PG_DEFAULT, percentiles, temp_root  # noqa: E402
from sqlalchemy import Table, create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from alpr_desktop.app import open_application  # noqa: E402
from alpr_desktop.core.plates import fold_confusables, normalize_plate  # noqa: E402
from alpr_desktop.core.roles import Role  # noqa: E402
from alpr_desktop.core.search import compile_search  # noqa: E402
from alpr_desktop.recognition.reads import EncodedImage, VehicleRead  # noqa: E402
from alpr_desktop.recognition.types import Candidate, PlateBox  # noqa: E402
from alpr_desktop.services.cameras import CameraFields  # noqa: E402
from alpr_desktop.services.ingest_store import store_batch  # noqa: E402
from alpr_desktop.services.search import (  # noqa: E402
    CanvassRequest,
    ReadFilters,
    SearchRequest,
)
from alpr_desktop.settings import LocalConfig  # noqa: E402
from alpr_desktop.storage import area_index, search_index  # noqa: E402
from alpr_desktop.storage.engine import (  # noqa: E402
    HEAD_REVISION,
    current_revision,
    open_database,
    sqlite_url,
    upgrade_to_head,
)
from alpr_desktop.storage.models import PlateRead, ReadAlternative, StoredImage  # noqa: E402
from tests.conftest import USER_PASSWORD, create_active_user, create_admin, make_app  # noqa: E402
from tests.plan_helpers import explain, statements_sent  # noqa: E402

PURPOSE = "Criminal investigation"
CASE = "26-014000"
DETECTIVE = "det.bench"
PHASES = ("load", "overhead", "search", "scan", "canvass")
NOW = dt.datetime(2026, 12, 2, 6, 0, tzinfo=dt.UTC)
DAYS = 30
CITY = (38.5800, -121.4900)  # Sacramento-ish centre
CITY_SPAN = 0.10  # degrees either side (~11 km north-south)
FIXED_CAMERAS = 24
MOBILE_UNITS = 3
MOBILE_SHARE = 0.15
LETTERS = string.ascii_uppercase
DIGITS = string.digits
CONFUSE = {"0": "O", "O": "0", "1": "I", "I": "1", "8": "B", "B": "8", "5": "S", "S": "5",
           "2": "Z", "Z": "2", "6": "G", "G": "6", "D": "0", "Q": "0"}  # fmt: skip

# 20 patterns, >= 3 fixed characters: prefixes, infixes, single-character holes;
# some broad (thousands of reads at 10M), some narrow. Chosen to fit the generator.
PATTERNS = (
    "7AB*", "8KL*", "9XY*", "*XYZ4*", "*ABC1*", "*123", "*4567",
    "?ABC12?", "8??1234", "7?B?123", "ABC1*", "*QRS*", "9?Z*99",
    "1AB?23", "*MNP*", "6??789?", "*DEF12", "8JK?5?7", "7ZZ*", "*77*7",
)  # fmt: skip


def _plate(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.70:  # 7ABC123 (current series, 5-9 dominant)
        first = rng.choice("56778899")
        return first + "".join(rng.choices(LETTERS, k=3)) + "".join(rng.choices(DIGITS, k=3))
    if kind < 0.92:  # ABC1234 (older)
        return "".join(rng.choices(LETTERS, k=3)) + "".join(rng.choices(DIGITS, k=4))
    # 1ABC23 (commercial / short)
    return (
        rng.choice(DIGITS[1:])
        + "".join(rng.choices(LETTERS, k=3))
        + "".join(rng.choices(DIGITS, k=2))
    )


def _misreads(rng: random.Random, plate: str) -> tuple[str, str]:
    """A confusable swap (or a random one) and a one-character misread."""
    chars = list(plate)
    spots = [i for i, c in enumerate(chars) if c in CONFUSE]
    i = rng.choice(spots) if spots else rng.randrange(len(chars))
    chars[i] = CONFUSE.get(chars[i], rng.choice(LETTERS + DIGITS))
    first = "".join(chars)
    chars = list(plate)
    j = rng.randrange(len(chars))
    chars[j] = rng.choice(DIGITS if chars[j].isdigit() else LETTERS)
    second = "".join(chars)
    if second == plate:
        second = plate[:-1]
    return first, second


def _fleet(rng: random.Random, vehicles: int) -> list[str]:
    fleet = [_plate(rng) for _ in range(vehicles)]
    # A few planted plates so every pattern has some hits beyond chance.
    planted = ["7ABC123", "7ABX123", "8KLM100", "9XYZ450", "8QR1234", "ABC1234",
                  "1ABC23", "9AZK199", "6QW789K", "8JKX537", "7ZZT111", "8QRS777"]  # fmt: skip
    for k, plate in enumerate(planted):  # mid-frequency vehicles, not the heaviest
        fleet[len(fleet) // 50 + k * 7] = plate
    return fleet


class Generator:
    """Reads over 30 days, vehicles repeating with a skewed (heavy-tailed) frequency."""

    def __init__(self, reads: int, seed: int, camera_ids: list[tuple[int, bool, float, float]]):
        self.rng = random.Random(seed)
        self.fleet = _fleet(self.rng, max(1000, reads // 8))
        self.cameras = camera_ids
        self.fixed = [c for c in camera_ids if not c[1]]
        self.mobile = [c for c in camera_ids if c[1]]
        self.start = NOW - dt.timedelta(days=DAYS)

    def vehicle(self) -> str:
        # Pareto-ish: a small share of vehicles make most of the reads (commuters).
        n = len(self.fleet)
        index = min(n - 1, int(n * self.rng.random() ** 1.5))
        return self.fleet[index]

    def read(self) -> tuple[str, dt.datetime, int, float, float, float]:
        rng = self.rng
        plate = self.vehicle()
        # Day/night rhythm: more reads in the day (hour weights), uniform days.
        day = rng.randrange(DAYS)
        hour = min(23, max(0, int(rng.gauss(14, 4.5))))
        at = self.start + dt.timedelta(days=day, hours=hour, seconds=rng.randrange(3600))
        if self.mobile and rng.random() < MOBILE_SHARE:
            cam = rng.choice(self.mobile)
            lat = CITY[0] + rng.uniform(-CITY_SPAN, CITY_SPAN)
            lon = CITY[1] + rng.uniform(-CITY_SPAN, CITY_SPAN)
        else:
            cam = rng.choice(self.fixed)
            lat, lon = cam[2], cam[3]
        return plate, at, cam[0], lat, lon, round(rng.uniform(0.55, 0.99), 3)


def _setup(url: str, root: Path) -> tuple[Any, Any, Any, list[tuple[int, bool, float, float]]]:
    app = make_app(url, root / "app")
    admin = create_admin(app)
    rng = random.Random(7)
    cams: list[tuple[int, bool, float, float]] = []
    for i in range(FIXED_CAMERAS):
        lat = CITY[0] + rng.uniform(-CITY_SPAN, CITY_SPAN)
        lon = CITY[1] + rng.uniform(-CITY_SPAN, CITY_SPAN)
        view = app.services.cameras.create(
            admin, CameraFields(name=f"Fixed {i:02d}", source=str(i), latitude=lat, longitude=lon)
        )
        cams.append((view.id, False, lat, lon))
    for i in range(MOBILE_UNITS):
        view = app.services.cameras.create(
            admin, CameraFields(name=f"Unit {i:02d}", source=str(40 + i), mobile=True)
        )
        cams.append((view.id, True, 0.0, 0.0))
    detective = create_active_user(app, admin, DETECTIVE, [Role.INVESTIGATOR])
    return app, admin, detective, cams


CROP = EncodedImage(b"\xff\xd8\xff\xe0bench-shared-crop\xff\xd9", "image/jpeg", 96, 32)


def _shared_image(engine: Any) -> int:
    import hashlib

    with engine.begin() as conn:
        conn.execute(
            cast(Table, StoredImage.__table__).insert(),
            {
                "sha256": hashlib.sha256(CROP.data).hexdigest(),
                "media_type": "image/jpeg",
                "width": 96,
                "height": 32,
                "data": CROP.data,
                "created_at": NOW,
            },
        )
        return int(conn.execute(select(func.max(StoredImage.id))).scalar_one())


def _load(engine: Any, gen: Generator, reads: int, image_id: int, chunk: int = 20000) -> float:
    """Bulk-insert ``reads`` reads (explicit ids) and 2 alternatives each; seconds.

    The rows go to the driver as tuples (``executemany`` on SQLite, ``COPY`` on
    PostgreSQL); the timestamps through their column type's whole bind processing, so
    they are stored as the ORM stores them (the other values need none). SQLAlchemy's
    per-row dict handling was most of the time of a 10M load.
    """
    reads_t = cast(Table, PlateRead.__table__)
    alts_t = cast(Table, ReadAlternative.__table__)
    read_cols = (
        "id", "read_uuid", "camera_id", "read_at", "plate_text", "plate_normalized",
        "plate_folded", "region", "confidence", "latitude", "longitude", "bbox_x", "bbox_y",
        "bbox_w", "bbox_h", "frames_voted", "frame_width", "frame_height", "crop_image_id",
        "context_image_id", "stored_at",
    )  # fmt: skip
    alt_cols = ("id", "read_id", "rank", "plate_text", "plate_normalized", "confidence")
    # The cached processor chains UTCDateTime's and the dialect's DATETIME's (SQLite's
    # string form); the public ``bind_processor`` stops at the naive datetime.
    stamp = reads_t.c.read_at.type._cached_bind_processor(engine.dialect)
    assert stamp is not None
    start = time.perf_counter()
    read_id = 0
    alt_id = 0
    done = 0
    while done < reads:
        n = min(chunk, reads - done)
        rows, alts = [], []
        for _ in range(n):
            plate, at, cam, lat, lon, conf = gen.read()
            read_id += 1
            when = stamp(at)
            rows.append(
                (
                    read_id, str(uuid.UUID(int=gen.rng.getrandbits(128), version=4)), cam,
                    when, plate, plate, fold_confusables(plate), "", conf, lat, lon,
                    10, 20, 96, 32, 5, 1920, 1080, image_id, None, when,
                )
            )  # fmt: skip
            for rank, other in enumerate(_misreads(gen.rng, plate), start=1):
                alt_id += 1
                alts.append(
                    (
                        alt_id, read_id, rank, other, normalize_plate(other),
                        round(conf * (0.6 if rank == 1 else 0.3), 3),
                    )
                )  # fmt: skip
        with engine.begin() as conn:
            for table, cols, batch in ((reads_t, read_cols, rows), (alts_t, alt_cols, alts)):
                _bulk(conn, table.name, cols, batch)
        done += n
        if done % 500000 < chunk:
            print(f"  loaded {done:,} reads ({time.perf_counter() - start:.0f} s)", flush=True)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("plate_reads", "read_alternatives"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    return time.perf_counter() - start


def _bulk(conn: Any, table: str, cols: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """``rows`` into ``table`` in the open transaction, straight through the driver."""
    names = ", ".join(cols)
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        with cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(cols))
        conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def _overhead(engine: Any, gen: Generator, count: int, tag: str, batch: int = 250) -> float:
    """Seconds per read for ``count`` reads through ``store_batch`` in ``batch``-read commits."""
    names = {cid: name for cid, name in _camera_names(engine).items()}
    made: list[VehicleRead] = []
    for i in range(count):
        plate, at, cam, lat, lon, conf = gen.read()
        first, second = _misreads(gen.rng, plate)
        made.append(
            VehicleRead(
                camera_name=names[cam],
                read_at=at,
                plate_text=plate,
                confidence=conf,
                alternatives=(Candidate(first, conf * 0.6), Candidate(second, conf * 0.3)),
                box=PlateBox(10, 20, 96, 32, 0.95),
                frames_voted=5,
                crop=CROP,
                latitude=lat,
                longitude=lon,
                read_uuid=f"{tag}-{i}",
                frame_size=(1920, 1080),
            )
        )
    start = time.perf_counter()
    for i in range(0, count, batch):
        with engine.begin() as conn:
            store_batch(conn, made[i : i + batch], stored_at=NOW)
    return (time.perf_counter() - start) / count


def _camera_names(engine: Any) -> dict[int, str]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, name FROM cameras")).all())


def _index_size(engine: Any, path: Path | None) -> dict[str, float]:
    out: dict[str, float] = {}
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            total = 0
            for name, _table, _col in search_index.PG_INDEXES:
                size = conn.execute(text(f"SELECT pg_relation_size('{name}')")).scalar_one()
                out[f"{name}_mib"] = round(size / 2**20, 1)
                total += size
            out["index_total_mib"] = round(total / 2**20, 1)
            if _has_dictionary(conn):
                size = conn.execute(text("SELECT pg_total_relation_size('plate_strings')"))
                out["plate_strings_total_mib"] = round(size.scalar_one() / 2**20, 1)
                size = conn.execute(
                    text(f"SELECT pg_relation_size('{search_index.PG_KEYS_INDEX}')")
                )
                out[f"{search_index.PG_KEYS_INDEX}_mib"] = round(size.scalar_one() / 2**20, 1)
                out["dictionary_strings"] = conn.execute(
                    text("SELECT count(*) FROM plate_strings")
                ).scalar_one()
            for table in ("plate_reads", "read_alternatives"):
                size = conn.execute(text(f"SELECT pg_total_relation_size('{table}')")).scalar_one()
                out[f"{table}_total_mib"] = round(size / 2**20, 1)
            return out
        try:
            rows = conn.execute(
                text(
                    "SELECT name, SUM(pgsize) FROM dbstat WHERE name LIKE 'plate_search%' "
                    "OR name LIKE 'alternative_search%' OR name = 'plate_keys' GROUP BY name"
                )
            ).all()
            total = 0
            for name, size in rows:
                out[f"{name}_mib"] = round(size / 2**20, 1)
                total += size if name != "plate_keys" else 0
            out["index_total_mib"] = round(total / 2**20, 1)
            if _has_dictionary(conn):
                out["dictionary_keys"] = conn.execute(
                    text("SELECT count(*) FROM plate_keys")
                ).scalar_one()
        except Exception as exc:
            out["dbstat"] = str(exc)[:80]  # type: ignore[assignment]
    if path is not None:
        out["file_mib"] = round(path.stat().st_size / 2**20, 1)
    return out


def _upgrade(url: str, figures: dict[str, Any]) -> None:
    """A kept database loaded by an older version brought to head, timed (migration 0011
    builds the area index over the stored reads)."""
    engine = open_database(url, migrate=False, create=False).engine
    try:
        before = current_revision(engine)
        if before != HEAD_REVISION:
            print(f"[upgrade] {before} -> {HEAD_REVISION}", flush=True)
            start = time.perf_counter()
            upgrade_to_head(engine)
            figures[f"upgrade_{before}_to_{HEAD_REVISION}_s"] = round(
                time.perf_counter() - start, 1
            )
    finally:
        engine.dispose()


def _area_index_size(engine: Any) -> float:
    """MiB of the area index (``storage/area_index.py``)."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            size = conn.execute(text(f"SELECT pg_relation_size('{area_index.INDEX}')"))
        else:
            size = conn.execute(
                text("SELECT SUM(pgsize) FROM dbstat WHERE name = :n"), {"n": area_index.INDEX}
            )
        return round(float(size.scalar_one() or 0) / 2**20, 1)


def _has_dictionary(conn: Any) -> bool:
    table = "plate_strings" if conn.dialect.name == "postgresql" else "plate_keys"
    return bool(conn.dialect.has_table(conn, table))


def _drop_indexes(conn: Any) -> None:
    """The trigram index and the plate dictionary, both gone (for a load or a baseline)."""
    search_index.drop(conn)
    search_index.drop_dictionary(conn)


def _scan_sql(
    postgres: bool, pattern: Any, since: dt.datetime | None
) -> tuple[str, dict[str, Any]]:
    """The service's candidate union as a plain scan: first 100 ids by time."""
    params: dict[str, Any] = {}
    parts = []
    plus = "" if postgres else "+"
    for i, wanted in enumerate(pattern.globs()):
        column = "plate_normalized" if wanted.column == "plate" else "plate_folded"
        params[f"g{i}"] = wanted.like if postgres else wanted.glob
        op = "LIKE" if postgres else "GLOB"
        parts.append(f"{plus}r.{column} {op} :g{i}")
    alt = pattern.alternative_glob
    params["alt"] = alt.replace("*", "%").replace("?", "_") if postgres else alt
    op = "LIKE" if postgres else "GLOB"
    parts.append(
        "r.id IN (SELECT a.read_id FROM read_alternatives a "
        f"WHERE {plus}a.plate_normalized {op} :alt)"
    )
    where = "(" + " OR ".join(parts) + ")"
    if since is not None:
        where += " AND r.read_at >= :since"
        params["since"] = since if postgres else since.replace(tzinfo=None).isoformat(" ")
    sql = f"SELECT r.id FROM plate_reads r WHERE {where} ORDER BY r.read_at DESC LIMIT 100"
    return sql, params


CONFIGS: dict[str, tuple[bool, dt.datetime | None]] = {
    "plain": (False, None),
    "confusable": (True, None),
    "plain_7d": (False, NOW - dt.timedelta(days=7)),
    "confusable_7d": (True, NOW - dt.timedelta(days=7)),
}


def _searches(app: Any, detective: Any, repeat: int) -> dict[str, Any]:
    """Every pattern in every configuration through ``SearchService.search``."""
    search = app.services.search
    out: dict[str, Any] = {}
    hits: dict[str, Any] = {}
    per_pattern: dict[str, float] = {}
    capped_total = 0
    for name, (confusable, since_at) in CONFIGS.items():
        filters = ReadFilters(since=since_at)
        times: list[float] = []
        for pattern in PATTERNS:
            request = SearchRequest(pattern, PURPOSE, CASE, confusable=confusable, filters=filters)
            search.search(detective, request)  # warm
            mine = []
            for _ in range(repeat):
                start = time.perf_counter()
                page = search.search(detective, request)
                mine.append(time.perf_counter() - start)
            times.extend(mine)
            per_pattern[f"{name}:{pattern}"] = round(sorted(mine)[len(mine) // 2] * 1000, 1)
            hits[f"{name}:{pattern}"] = getattr(page, "total", None)
            capped_total += bool(getattr(page, "capped", False))
        out[f"search_{name}"] = percentiles(times)
        print(f"  search {name}: {out[f'search_{name}']}", flush=True)
    out["hits"] = hits
    out["search_p50_ms_per_pattern"] = per_pattern
    slowest = sorted(per_pattern.items(), key=lambda kv: -kv[1])[:5]
    out["search_slowest_5_p50_ms"] = dict(slowest)
    out["capped_searches"] = capped_total
    return out


def _scans(engine: Any, budget_s: float) -> dict[str, Any]:
    """The same queries as a plain scan (SQL only), each once.

    ``plain`` and ``confusable`` (one configuration per mode, no time filter) always
    run; the two ``_7d`` configurations run only when the time already spent says all
    four fit in ``budget_s`` (a scan of 10M reads on SQLite takes tens of seconds).
    """
    postgres = engine.dialect.name == "postgresql"
    out: dict[str, Any] = {}
    per_pattern: dict[str, float] = {}
    started = time.perf_counter()
    ran: list[str] = []
    skipped: list[str] = []
    for name, (confusable, since_at) in CONFIGS.items():
        if name.endswith("_7d"):
            spent = time.perf_counter() - started
            projected = spent + spent / max(1, len(ran)) * (len(CONFIGS) - len(ran))
            if projected > budget_s:
                skipped.append(name)
                continue
        times = []
        for pattern in PATTERNS:
            compiled = compile_search(pattern, confusable=confusable)
            sql, params = _scan_sql(postgres, compiled, since_at)
            with engine.connect() as conn:
                if postgres:
                    conn.execute(text("SET LOCAL enable_bitmapscan = off"))
                    conn.execute(text("SET LOCAL enable_indexscan = off"))
                start = time.perf_counter()
                conn.execute(text(sql), params).all()
                times.append(time.perf_counter() - start)
            per_pattern[f"{name}:{pattern}"] = round(times[-1] * 1000, 1)
        out[f"scan_{name}"] = percentiles(times)
        ran.append(name)
        print(f"  scan {name}: {out[f'scan_{name}']}", flush=True)
    out["scan_ms_per_pattern"] = per_pattern
    out["scan_configurations_run"] = ran
    out["scan_s"] = round(time.perf_counter() - started, 1)
    if skipped:
        out["scan_note"] = (
            f"scan run once per query for the 20 patterns of {', '.join(ran)} only "
            f"(one configuration per mode, no time filter); {', '.join(skipped)} skipped: "
            f"all four projected over the {budget_s:.0f} s budget"
        )
    else:
        out["scan_note"] = "scan run once per query, all four configurations"
    return out


def _speedups(figures: dict[str, Any]) -> None:
    for name in CONFIGS:
        s, i = figures.get(f"scan_{name}"), figures.get(f"search_{name}")
        if not s or not i or not s.get("n") or not i.get("n"):
            continue
        figures[f"speedup_{name}_p50"] = round(s["p50_ms"] / max(i["p50_ms"], 0.01), 1)
        figures[f"speedup_{name}_p95"] = round(s["p95_ms"] / max(i["p95_ms"], 0.01), 1)


def _canvass_spots(cams: list[Any]) -> dict[str, tuple[float, float]]:
    """The busy spot (a fixed camera), the quiet spot (the grid point farthest from every
    fixed camera: only mobile units read there) and 20 scenes anywhere in the city."""
    busy = next(c for c in cams if not c[1])
    fixed = [(c[2], c[3]) for c in cams if not c[1]]
    grid = [
        (CITY[0] + i * CITY_SPAN / 10, CITY[1] + j * CITY_SPAN / 10)
        for i in range(-9, 10)
        for j in range(-9, 10)
    ]
    quiet = max(grid, key=lambda p: min(abs(p[0] - a) + abs(p[1] - b) for a, b in fixed))
    rng = random.Random(471)
    spots = {"busy": (busy[2], busy[3]), "quiet": quiet}
    for k in range(20):
        spots[f"scene{k:02d}"] = (
            CITY[0] + rng.uniform(-CITY_SPAN, CITY_SPAN),
            CITY[1] + rng.uniform(-CITY_SPAN, CITY_SPAN),
        )
    return spots


def _canvass_request(lat: float, lon: float, hours: float = DAYS * 24) -> CanvassRequest:
    until = NOW + dt.timedelta(hours=1)
    return CanvassRequest(lat, lon, 500.0, until - dt.timedelta(hours=hours), until, PURPOSE, CASE)


def _canvass(app: Any, detective: Any, cams: list[Any], repeat: int) -> dict[str, Any]:
    """500 m, 30 days (and the busy spot over one day) through ``SearchService.canvass``:
    p50/p95 per spot, and over the 20 scenes together."""
    out: dict[str, Any] = {}
    scene_times: list[float] = []
    spots = _canvass_spots(cams)
    windows = [(name, spot, DAYS * 24.0) for name, spot in spots.items()]
    windows.append(("busy_1d", spots["busy"], 24.0))
    for name, (lat, lon), hours in windows:
        request = _canvass_request(lat, lon, hours)
        result = app.services.search.canvass(detective, request)  # warm
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            result = app.services.search.canvass(detective, request)
            times.append(time.perf_counter() - start)
        if name.startswith("scene"):
            scene_times += times
        out[name] = {
            **percentiles(times),
            "reads": result.reads,
            "plates": len(result.plates),
            "capped": result.capped,
        }
    out["scenes"] = {
        **percentiles(scene_times),
        "reads": sorted(v["reads"] for k, v in out.items() if k.startswith("scene")),
    }
    return out


def _explain_canvass(app: Any, detective: Any, cams: list[Any]) -> str:
    """The database's plan for the busy spot's canvass, as the service sends it."""
    engine = app.database.engine
    with statements_sent(engine) as sent:
        app.services.search.canvass(detective, _canvass_request(*_canvass_spots(cams)["busy"]))
    statement, parameters = next((st, p) for st, p in sent if "GROUP BY" in st)
    return explain(engine, statement, parameters)[:1500]


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


@contextlib.contextmanager
def _phase(figures: dict[str, Any], kind: str, name: str) -> Iterator[None]:
    """Time a phase and record the load average at its start and end (a shared machine)."""
    entry: dict[str, Any] = {"load_avg_start": _loadavg()}
    print(f"[{kind}] {name} (load average {entry['load_avg_start']})", flush=True)
    start = time.perf_counter()
    yield
    entry["wall_s"] = round(time.perf_counter() - start, 1)
    entry["load_avg_end"] = _loadavg()
    figures.setdefault("phases", {})[name] = entry


def _service_identity() -> dict[str, Any]:
    """Which search code ran: the hash of ``services/search.py`` and
    ``services/search_rank.py`` together, and the commit they sit on."""
    files = [f"alpr_desktop/services/{name}.py" for name in ("search", "search_rank")]
    digest = hashlib.sha256()
    for name in files:
        digest.update((REPO_ROOT / name).read_bytes())
    out: dict[str, Any] = {"files": files, "sha256_16": digest.hexdigest()[:16]}
    try:
        git = ["git", "-C", str(REPO_ROOT)]
        out["git_head"] = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        status = subprocess.run(
            [*git, "status", "--porcelain", "--", *(str(REPO_ROOT / n) for n in files)],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        out["uncommitted_changes"] = bool(status)
    except (OSError, subprocess.SubprocessError):
        pass
    return out


def _pg_url(admin_url: str, name: str) -> str:
    url = make_url(admin_url).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False)


def _pg_admin(admin_url: str, *statements: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        admin.dispose()


def _reopen(url: str, root: Path) -> Any:
    """The application on a kept database (``make_app``'s data folder, no first run)."""
    config = LocalConfig(
        database_url=url, data_dir=root / "app" / "data", workstation_name="test-ws"
    )
    return open_application(config)


def _sign_in(app: Any) -> Any:
    """The investigator, signed in afresh (a new server-side session)."""
    return app.services.auth.login(DETECTIVE, USER_PASSWORD).actor


def _cameras(engine: Any) -> list[tuple[int, bool, float, float]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, mobile, latitude, longitude FROM cameras ORDER BY id")
        ).all()
    return [(int(i), bool(m), float(a or 0.0), float(b or 0.0)) for i, m, a, b in rows]


def _read_state(path: Path | None, args: argparse.Namespace) -> dict[str, Any] | None:
    if path is None or not path.exists():
        return None
    state = json.loads(path.read_text())
    if not state.get("loaded"):
        return None
    if state.get("seed") != args.seed or state.get("reads") != args.reads:
        raise SystemExit(f"{path} was loaded with another --seed or --reads: {state}")
    return cast(dict[str, Any], state)


def _write_state(path: Path | None, kind: str, args: argparse.Namespace, figures: dict) -> None:
    if path is None:
        return
    kept = {k: v for k, v in figures.items() if k != "service"}
    state = {
        "kind": kind,
        "reads": args.reads,
        "seed": args.seed,
        "loaded": True,
        "service_at_load": figures.get("service"),
        "figures": kept,
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1))
    tmp.replace(path)


def _build_index(engine: Any, figures: dict[str, Any], key: str, db_path: Path | None) -> None:
    """The trigram index, then (unless there already) the plate dictionary, each timed."""
    start = time.perf_counter()
    with engine.begin() as conn:
        search_index.create(conn)
    figures[key] = round(time.perf_counter() - start, 1)
    with engine.begin() as conn:
        if not _has_dictionary(conn):
            start = time.perf_counter()
            search_index.create_dictionary(conn)
            figures["dictionary_build_s"] = round(time.perf_counter() - start, 1)
    start = time.perf_counter()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE plate_reads"))
            conn.execute(text("VACUUM ANALYZE read_alternatives"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    figures["analyze_s"] = round(time.perf_counter() - start, 1)
    figures["index_size"] = _index_size(engine, db_path)


def _overhead_phase(
    figures: dict[str, Any], kind: str, engine: Any, gen: Generator, count: int, tag: str
) -> None:
    """``store_batch`` µs per read without the index (tag ``noidx-…``) or with it."""
    with_index = not tag.startswith("noidx")
    name = "with_index" if with_index else "no_index"
    with _phase(figures, kind, f"overhead_{name}"):
        figures[f"store_batch_{name}_us_per_read"] = round(
            _overhead(engine, gen, count, tag) * 1e6, 1
        )
    if with_index:
        _overhead_figure(figures)


def _overhead_figure(figures: dict[str, Any]) -> None:
    figures["index_overhead_us_per_read"] = round(
        figures["store_batch_with_index_us_per_read"] - figures["store_batch_no_index_us_per_read"],
        1,
    )


def _load_phases(
    kind: str, url: str, root: Path, db_path: Path | None, args: argparse.Namespace,
    figures: dict[str, Any], state_path: Path | None,
) -> tuple[Any, Any, list[Any]]:  # fmt: skip
    """Load, (overhead without index), index, (overhead with index) on a new database."""
    token = uuid.uuid4().hex[:8]
    with _phase(figures, kind, "load"):
        app, _admin, detective, cams = _setup(url, root)
        engine = app.database.engine
        image_id = _shared_image(engine)
        gen = Generator(args.reads, args.seed, cams)
        with engine.begin() as conn:
            _drop_indexes(conn)
        print(f"[{kind}] loading {args.reads:,} reads (index dropped)", flush=True)
        figures["load_s"] = round(_load(engine, gen, args.reads, image_id), 1)
        figures["load_reads_per_s"] = round(args.reads / figures["load_s"])
        if db_path is not None:
            figures["file_mib_before_index"] = round(db_path.stat().st_size / 2**20, 1)
    if "overhead" in args.phases:
        _overhead_phase(figures, kind, engine, gen, args.overhead_reads, f"noidx-{token}")
    with _phase(figures, kind, "index_build"):
        _build_index(engine, figures, "index_build_s", db_path)
    print(f"[{kind}] index built in {figures['index_build_s']} s", flush=True)
    _write_state(state_path, kind, args, figures)
    if "overhead" in args.phases:
        _overhead_phase(figures, kind, engine, gen, args.overhead_reads, f"idx-{token}")
        _write_state(state_path, kind, args, figures)
    return app, detective, cams


def _late_overhead(
    kind: str, app: Any, cams: list[Any], db_path: Path | None, args: argparse.Namespace,
    figures: dict[str, Any], state_path: Path | None,
) -> None:  # fmt: skip
    """The overhead on a kept database loaded without it (rebuilds the index once)."""
    engine = app.database.engine
    gen = Generator(args.reads, args.seed + 1, cams)
    token = uuid.uuid4().hex[:8]
    if "store_batch_no_index_us_per_read" not in figures:
        print(f"[{kind}] overhead on a kept database: dropping the index", flush=True)
        with engine.begin() as conn:
            _drop_indexes(conn)
        _overhead_phase(figures, kind, engine, gen, args.overhead_reads, f"noidx-{token}")
        with _phase(figures, kind, "index_rebuild"):
            _build_index(engine, figures, "index_rebuild_s", db_path)
        _write_state(state_path, kind, args, figures)
    _overhead_phase(figures, kind, engine, gen, args.overhead_reads, f"idx-{token}")
    _write_state(state_path, kind, args, figures)


def _adopt_phases(
    kind: str, url: str, root: Path, db_path: Path | None, args: argparse.Namespace,
    figures: dict[str, Any], state_path: Path | None,
) -> tuple[Any, Any, list[Any]]:  # fmt: skip
    """A kept database whose load was stopped (``--adopt``): the reads it holds are a
    uniform sample of the planned ``--reads`` (same fleet, same 30 days, fewer reads).

    Overhead without any index (schema as the load left it: the revision before the
    plate dictionary, trigram index dropped), then the upgrade to head (migration 0007
    builds the dictionary from the stored reads: timed), the trigram index, and the
    overhead with both.
    """
    engine = open_database(url, migrate=False, create=False).engine
    with engine.begin() as conn:
        reads = int(conn.execute(text("SELECT count(*) FROM plate_reads")).scalar_one())
        if engine.dialect.name == "postgresql":
            for table in ("plate_reads", "read_alternatives"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    figures["load_stopped_at_reads"] = reads
    figures["load_note"] = (
        f"load of {args.reads:,} stopped at {reads:,} reads (time); a uniform sample of it"
    )
    print(f"[{kind}] adopting {reads:,} loaded reads", flush=True)
    cams = _cameras(engine)
    gen = Generator(args.reads, args.seed + 2, cams)
    token = uuid.uuid4().hex[:8]
    if "overhead" in args.phases:
        with engine.begin() as conn:
            _drop_indexes(conn)
        _overhead_phase(figures, kind, engine, gen, args.overhead_reads, f"noidx-{token}")
    with _phase(figures, kind, "dictionary_migration"):
        start = time.perf_counter()
        upgrade_to_head(engine)
        figures["dictionary_build_s"] = round(time.perf_counter() - start, 1)
    engine.dispose()
    app = _reopen(url, root)
    engine = app.database.engine
    with _phase(figures, kind, "index_build"):
        _build_index(engine, figures, "index_build_s", db_path)
    _write_state(state_path, kind, args, figures)
    if "overhead" in args.phases:
        _overhead_phase(figures, kind, engine, gen, args.overhead_reads, f"idx-{token}")
        _write_state(state_path, kind, args, figures)
    return app, _sign_in(app), cams


def run(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {"reads": args.reads, "service": _service_identity()}
    keep = Path(args.keep) if args.keep else None
    with temp_root() as tmp:
        if keep is not None:
            root = keep / f"{kind}_{args.reads}"
            state_path: Path | None = keep / f"{kind}_{args.reads}.json"
        else:
            root, state_path = Path(tmp), None
        state = _read_state(state_path, args)
        db_path = root / "db" / "bench.sqlite3" if kind == "sqlite" else None
        if db_path is not None:
            url = sqlite_url(db_path)
            figures["database"] = str(db_path)
        else:
            suffix = str(args.reads) if keep is not None else uuid.uuid4().hex[:10]
            pg_name = f"alpr_bench_search_{suffix}"
            url = _pg_url(args.postgres_url, pg_name)
            figures["database"] = pg_name
        try:
            if state is None and args.adopt:
                app, detective, cams = _adopt_phases(
                    kind, url, root, db_path, args, figures, state_path
                )
            elif state is None:
                if "load" not in args.phases:
                    raise SystemExit(f"[{kind}] no finished load in {keep}: add the load phase")
                # A new database (whatever an unfinished load left in our place goes).
                if db_path is not None and keep is not None and root.exists():
                    shutil.rmtree(root)
                if db_path is None:
                    _pg_admin(
                        args.postgres_url,
                        f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)',
                        f'CREATE DATABASE "{pg_name}"',
                    )
                app, detective, cams = _load_phases(
                    kind, url, root, db_path, args, figures, state_path
                )
            else:
                print(f"[{kind}] reusing the database loaded in {state_path}", flush=True)
                figures.update(state["figures"])
                figures["reused_load"] = str(state_path)
                _upgrade(url, figures)
                app = _reopen(url, root)
                detective = _sign_in(app)
                cams = _cameras(app.database.engine)
                if (
                    "overhead" in args.phases
                    and "store_batch_with_index_us_per_read" not in figures
                ):
                    _late_overhead(kind, app, cams, db_path, args, figures, state_path)
            engine = app.database.engine
            try:
                _measure(kind, app, detective, engine, cams, args, figures)
            finally:
                app.close()
        finally:
            if keep is None and db_path is None:
                _pg_admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    return figures


def _measure(
    kind: str, app: Any, detective: Any, engine: Any, cams: list[Any],
    args: argparse.Namespace, figures: dict[str, Any],
) -> None:  # fmt: skip
    if {"search", "scan", "canvass"} & set(args.phases):
        with engine.connect() as conn:
            figures["reads_in_database"] = conn.execute(
                text("SELECT count(*) FROM plate_reads")
            ).scalar_one()
    # The session locks after idle_lock_minutes (10) without a request, less than a
    # SQLite scan of 10M reads takes: sign in again before each phase that uses it.
    if "search" in args.phases:
        detective = _sign_in(app)
        with _phase(figures, kind, "search"):
            figures.update(_searches(app, detective, args.repeat))
    if "scan" in args.phases:
        with _phase(figures, kind, "scan"):
            figures.update(_scans(engine, args.scan_budget_s))
    _speedups(figures)
    if "canvass" in args.phases:
        detective = _sign_in(app)
        figures["area_index_mib"] = _area_index_size(engine)
        with _phase(figures, kind, "canvass"):
            figures["canvass_plan"] = _explain_canvass(app, detective, cams)
            figures["canvass"] = _canvass(app, detective, cams, args.repeat)
        if args.canvass_index:
            detective = _sign_in(app)
            with _phase(figures, kind, "canvass_index"):
                _canvass_index(app, detective, engine, cams, args, figures)


def _canvass_index(
    app: Any, detective: Any, engine: Any, cams: list[Any], args: argparse.Namespace,
    figures: dict[str, Any],
) -> None:  # fmt: skip
    """One extra index tried, measured, then dropped (a kept database stays as shipped)."""
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX IF EXISTS ix_bench_canvass"))
        start = time.perf_counter()
        conn.execute(text(f"CREATE INDEX ix_bench_canvass ON plate_reads ({args.canvass_index})"))
        figures["canvass_index_build_s"] = round(time.perf_counter() - start, 1)
        conn.execute(text("ANALYZE plate_reads"))
    try:
        figures["canvass_index"] = args.canvass_index
        figures["canvass_plan_with_index"] = _explain_canvass(app, detective, cams)
        figures["canvass_with_index"] = _canvass(app, detective, cams, args.repeat)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX IF EXISTS ix_bench_canvass"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=10_000_000)
    parser.add_argument("--overhead-reads", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--postgres-url", default=PG_DEFAULT)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="keep the loaded database (SQLite file in DIR, PostgreSQL database "
        "alpr_bench_search_<reads>) and reuse it when DIR records a finished load",
    )
    parser.add_argument(
        "--phases", default=",".join(PHASES), help=f"comma list of {', '.join(PHASES)}"
    )
    parser.add_argument(
        "--adopt",
        action="store_true",
        help="with --keep: take a database whose load was stopped as it is (the reads it "
        "holds), build its indexes and go on",
    )
    parser.add_argument(
        "--scan-budget-s",
        type=float,
        default=1200.0,
        help="the _7d scan configurations run only if all four fit in this (seconds)",
    )
    parser.add_argument(
        "--canvass-index",
        default="",
        help="columns of one extra index tried for canvass and dropped afterwards "
        "(for example 'latitude, longitude, read_at'); off by default",
    )
    args = parser.parse_args()
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = set(args.phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {
        "reads": args.reads,
        "phases": args.phases,
        "patterns": list(PATTERNS),
        "cpus": os.cpu_count(),
        "load_avg_start": _loadavg(),
    }
    for kind in args.databases.split(","):
        kind = kind.strip()
        name = "postgresql" if kind.startswith("postgres") else "sqlite"
        kind = "postgres" if name == "postgresql" else "sqlite"
        start = time.perf_counter()
        out[name] = run(kind, args)
        out[name]["wall_s"] = round(time.perf_counter() - start, 1)
        out[name]["load_avg_end"] = _loadavg()
        print(json.dumps({name: out[name]}), flush=True)
        if args.keep:
            stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
            result = Path(args.keep) / f"result_{kind}_{args.reads}_{stamp}.json"
            result.write_text(json.dumps({name: out[name]}, indent=1))
    out["load_avg_end"] = _loadavg()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
