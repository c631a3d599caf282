"""Partial-plate search and canvass at scale (issue 14): trigram index vs a plain scan.

For SQLite (a temporary file with the shipped pragmas) and PostgreSQL (a scratch
database created next to ``--postgres-url`` and dropped afterwards), one database at a
time:

1. **Load** ``--reads`` synthetic reads over 30 days (California-style plates
   ``7ABC123`` / ``ABC1234`` / ``1ABC23``, repeated vehicles with a skewed repetition,
   two alternatives per read — a confusable swap and a one-character misread — fixed
   cameras spread over a city plus mobile units reading anywhere in it). The load
   **bypasses the ingest service**: bulk Core executemany inserts straight into
   ``plate_reads`` / ``read_alternatives`` with the search index dropped, every read
   pointing at one shared small stored image (``crop_image_id``). The index is then
   built (``search_index.create``: FTS5 ``'rebuild'`` / three ``pg_trgm`` GIN indexes),
   timed, and its size measured (SQLite: ``dbstat`` pages of the FTS5 shadow tables, or
   the file size before/after; PostgreSQL: ``pg_relation_size`` of the GIN indexes).
2. **Insert overhead**: ``--overhead-reads`` reads (default 100,000) through
   ``ingest_store.store_batch`` in batches of 250, once before the index exists and once
   after (on the same loaded table, so both runs see the same b-tree sizes).
3. **Search**: 20 patterns with >= 3 fixed characters, each with and without confusable
   mode and with and without a time filter (the last 7 days), first page of 100,
   through ``SearchService.search`` as a signed-in, trained investigator (access record
   committed each time, as in production), ``--repeat`` times each; p50/p95 per
   configuration. Then the same queries as a **plain scan** in the same run, SQL only
   (ids of the first 100 by time, the same plate / folded / alternatives union the
   service asks the index for): on SQLite the base tables with the plate columns'
   b-trees disabled (unary ``+``) and no FTS5 table; on PostgreSQL the same ``LIKE``
   with ``SET LOCAL enable_bitmapscan = off, enable_indexscan = off`` (a regex ``~``
   would not do: ``pg_trgm`` serves regexes too). The scan does no Python ranking, so
   the speed-up is, if anything, understated.
4. **Canvass**: 500 m radius, 30 days, through ``SearchService.canvass``, around a
   fixed camera (a busy spot) and around a point only mobile units pass (a quiet
   spot); as the schema is, then with one extra index tried in the benchmark database
   only (``--canvass-index``, default ``latitude, longitude, read_at``) and reported.

Command::

    .venv/bin/python benchmarks/bench_search.py --reads 1000000 \\
        --postgres-url postgresql://postgres@127.0.0.1:5432/postgres

(``--reads 10000000`` is the issue's figure; ``--databases sqlite`` or ``postgres`` runs
one.) The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import string
import sys
import time
import uuid
from pathlib import Path
from typing import Any, cast

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

from _alert_bench import PG_DEFAULT, percentiles, scratch_database, temp_root  # noqa: E402
from sqlalchemy import Table, func, select, text  # noqa: E402

from alpr_desktop.core.plates import fold_confusables, normalize_plate  # noqa: E402
from alpr_desktop.core.roles import Role  # noqa: E402
from alpr_desktop.core.search import compile_search  # noqa: E402
from alpr_desktop.recognition.reads import EncodedImage, VehicleRead  # noqa: E402
from alpr_desktop.recognition.types import Candidate, PlateBox  # noqa: E402
from alpr_desktop.services import search as search_module  # noqa: E402
from alpr_desktop.services.cameras import CameraFields  # noqa: E402
from alpr_desktop.services.ingest_store import store_batch  # noqa: E402
from alpr_desktop.services.search import (  # noqa: E402
    CanvassRequest,
    ReadFilters,
    SearchRequest,
)
from alpr_desktop.storage import search_index  # noqa: E402
from alpr_desktop.storage.models import PlateRead, ReadAlternative, StoredImage  # noqa: E402
from tests.conftest import create_active_user, create_admin, make_app  # noqa: E402

PURPOSE = "Criminal investigation"
CASE = "26-014000"
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
    detective = create_active_user(app, admin, "det.bench", [Role.INVESTIGATOR])
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
    """Bulk-insert ``reads`` reads (explicit ids) and 2 alternatives each; seconds."""
    reads_t = cast(Table, PlateRead.__table__)
    alts_t = cast(Table, ReadAlternative.__table__)
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
            rows.append(
                {
                    "id": read_id,
                    "read_uuid": str(uuid.UUID(int=gen.rng.getrandbits(128), version=4)),
                    "camera_id": cam,
                    "read_at": at,
                    "plate_text": plate,
                    "plate_normalized": plate,
                    "plate_folded": fold_confusables(plate),
                    "region": "",
                    "confidence": conf,
                    "latitude": lat,
                    "longitude": lon,
                    "bbox_x": 10,
                    "bbox_y": 20,
                    "bbox_w": 96,
                    "bbox_h": 32,
                    "frames_voted": 5,
                    "frame_width": 1920,
                    "frame_height": 1080,
                    "crop_image_id": image_id,
                    "context_image_id": None,
                    "stored_at": at,
                }
            )
            for rank, other in enumerate(_misreads(gen.rng, plate), start=1):
                alt_id += 1
                alts.append(
                    {
                        "id": alt_id,
                        "read_id": read_id,
                        "rank": rank,
                        "plate_text": other,
                        "plate_normalized": normalize_plate(other),
                        "confidence": round(conf * (0.6 if rank == 1 else 0.3), 3),
                    }
                )
        with engine.begin() as conn:
            conn.execute(reads_t.insert(), rows)
            conn.execute(alts_t.insert(), alts)
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
            for table in ("plate_reads", "read_alternatives"):
                size = conn.execute(text(f"SELECT pg_total_relation_size('{table}')")).scalar_one()
                out[f"{table}_total_mib"] = round(size / 2**20, 1)
            return out
        try:
            rows = conn.execute(
                text(
                    "SELECT name, SUM(pgsize) FROM dbstat WHERE name LIKE 'plate_search%' "
                    "OR name LIKE 'alternative_search%' GROUP BY name"
                )
            ).all()
            total = 0
            for name, size in rows:
                out[f"{name}_mib"] = round(size / 2**20, 1)
                total += size
            out["index_total_mib"] = round(total / 2**20, 1)
        except Exception as exc:
            out["dbstat"] = str(exc)[:80]  # type: ignore[assignment]
    if path is not None:
        out["file_mib"] = round(path.stat().st_size / 2**20, 1)
    return out


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


def _candidates_cross_join(session: Any, pattern: Any) -> Any:
    """``services.search._candidates`` with the one change the benchmark proposes.

    On SQLite the service joins ``alternative_search s JOIN read_alternatives ra ON
    ra.id = s.rowid``; the planner puts the FTS5 table on the inner side and scans every
    ``read_alternatives`` row, probing FTS5 by rowid with the GLOB (``SCAN ra ...;
    SCAN s VIRTUAL TABLE INDEX 0:=G0``). ``CROSS JOIN`` fixes the order (FTS5 outer,
    ``ra`` by primary key). PostgreSQL is unchanged.
    """
    from sqlalchemy import literal_column

    if session.get_bind().dialect.name == "postgresql":
        return _ORIGINAL_CANDIDATES(session, pattern)
    parts, params = [], {}
    for i, wanted in enumerate(pattern.globs()):
        column = "plate_normalized" if wanted.column == "plate" else "plate_folded"
        params[f"g{i}"] = wanted.glob
        parts.append(f"SELECT rowid AS id FROM plate_search WHERE {column} GLOB :g{i}")
    params["alt"] = pattern.alternative_glob
    parts.append(
        "SELECT ra.read_id AS id FROM alternative_search s "
        "CROSS JOIN read_alternatives ra ON ra.id = s.rowid WHERE s.plate_normalized GLOB :alt"
    )
    union = text(" UNION ".join(parts)).bindparams(**params)
    return union.columns(literal_column("id")).subquery("candidates")


_ORIGINAL_CANDIDATES = search_module._candidates
_ORIGINAL_FILTERED = search_module._filtered


def _filtered_location_first(stmt: Any, filters: ReadFilters) -> Any:
    """``services.search._filtered`` with SQLite ``likelihood(…, 0.9)`` on the time bounds."""
    from sqlalchemy import and_, literal_column

    plate_read = search_module.PlateRead
    where: list[Any] = []
    if filters.since is not None:
        where.append(func.likelihood(plate_read.read_at >= filters.since, literal_column("0.9")))
    if filters.until is not None:
        where.append(func.likelihood(plate_read.read_at < filters.until, literal_column("0.9")))
    bounds = filters.area.bounds()
    if bounds is not None:
        min_lat, min_lon, max_lat, max_lon = bounds
        where.append(plate_read.latitude.between(min_lat, max_lat))
        where.append(plate_read.longitude.between(min_lon, max_lon))
    assert not (filters.cameras or filters.mobile_only or filters.hotlist_hits_only)
    return stmt.where(and_(*where)) if where else stmt


def _as_is_sample(app: Any, detective: Any, count: int) -> dict[str, Any]:
    """The unpatched service on a few patterns, once each (SQLite: too slow for all)."""
    times, per = [], {}
    for pattern in PATTERNS[:count]:
        start = time.perf_counter()
        app.services.search.search(detective, SearchRequest(pattern, PURPOSE, CASE))
        times.append(time.perf_counter() - start)
        per[pattern] = round(times[-1] * 1000, 1)
    return {**percentiles(times), "per_pattern_ms": per}


def _searches(app: Any, detective: Any, engine: Any, repeat: int) -> dict[str, Any]:
    search = app.services.search
    since = NOW - dt.timedelta(days=7)
    configs = {
        "plain": (False, None),
        "confusable": (True, None),
        "plain_7d": (False, since),
        "confusable_7d": (True, since),
    }
    out: dict[str, Any] = {}
    hits: dict[str, Any] = {}
    per_pattern: dict[str, float] = {}
    capped_total = 0
    for name, (confusable, since_at) in configs.items():
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
            hits[f"{name}:{pattern}"] = page.total
            capped_total += page.capped
        out[f"search_{name}"] = percentiles(times)
    # The plain scan, same queries, same run.
    postgres = engine.dialect.name == "postgresql"
    for name, (confusable, since_at) in configs.items():
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
        out[f"scan_{name}"] = percentiles(times)
        s, i = out[f"scan_{name}"], out[f"search_{name}"]
        out[f"speedup_{name}_p50"] = round(s["p50_ms"] / max(i["p50_ms"], 0.01), 1)
        out[f"speedup_{name}_p95"] = round(s["p95_ms"] / max(i["p95_ms"], 0.01), 1)
    out["hits"] = hits
    out["search_p50_ms_per_pattern"] = per_pattern
    out["capped_searches"] = capped_total
    return out


def _canvass(app: Any, detective: Any, cams: list[Any], repeat: int) -> dict[str, Any]:
    busy = next(c for c in cams if not c[1])
    fixed = [(c[2], c[3]) for c in cams if not c[1]]
    grid = [
        (CITY[0] + i * CITY_SPAN / 10, CITY[1] + j * CITY_SPAN / 10)
        for i in range(-9, 10)
        for j in range(-9, 10)
    ]
    # The grid point farthest from every fixed camera: only mobile units read there.
    quiet = max(grid, key=lambda p: min(abs(p[0] - a) + abs(p[1] - b) for a, b in fixed))
    spots = {"busy": (busy[2], busy[3]), "quiet": quiet}
    out: dict[str, Any] = {}
    for name, (lat, lon) in spots.items():
        request = CanvassRequest(
            lat, lon, 500.0, NOW - dt.timedelta(days=DAYS), NOW + dt.timedelta(hours=1),
            PURPOSE, CASE,
        )  # fmt: skip
        result = app.services.search.canvass(detective, request)  # warm
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            result = app.services.search.canvass(detective, request)
            times.append(time.perf_counter() - start)
        out[name] = {
            **percentiles(times),
            "reads": result.reads,
            "plates": len(result.plates),
            "capped": result.capped,
        }
    return out


def _explain_canvass(engine: Any, cams: list[Any]) -> str:
    busy = next(c for c in cams if not c[1])
    lat, lon = busy[2], busy[3]
    d = 0.0045
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            sql = (
                "EXPLAIN SELECT id FROM plate_reads WHERE read_at >= :s AND read_at < :u AND "
                "latitude BETWEEN :a AND :b AND longitude BETWEEN :c AND :e "
                "ORDER BY read_at LIMIT 50001"
            )
            s: Any = NOW - dt.timedelta(days=DAYS)
            u: Any = NOW
        else:
            sql = (
                "EXPLAIN QUERY PLAN SELECT id FROM plate_reads WHERE read_at >= :s AND "
                "read_at < :u AND latitude BETWEEN :a AND :b AND longitude BETWEEN :c AND :e "
                "ORDER BY read_at LIMIT 50001"
            )
            s = (NOW - dt.timedelta(days=DAYS)).replace(tzinfo=None).isoformat(" ")
            u = NOW.replace(tzinfo=None).isoformat(" ")
        rows = conn.execute(
            text(sql), {"s": s, "u": u, "a": lat - d, "b": lat + d, "c": lon - d, "e": lon + d}
        ).all()
    return " | ".join(str(r[-1]) for r in rows)[:400]


def run(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {"reads": args.reads}
    with temp_root() as tmp, scratch_database(kind, Path(tmp), args.postgres_url) as url:
        root = Path(tmp)
        app, _admin, detective, cams = _setup(url, root)
        engine = app.database.engine
        db_path = root / "db" / "bench.sqlite3" if kind == "sqlite" else None
        image_id = _shared_image(engine)
        gen = Generator(args.reads, args.seed, cams)
        with engine.begin() as conn:
            search_index.drop(conn)
        print(f"[{kind}] loading {args.reads:,} reads (index dropped)", flush=True)
        figures["load_s"] = round(_load(engine, gen, args.reads, image_id), 1)
        figures["load_reads_per_s"] = round(args.reads / figures["load_s"])
        if db_path is not None:
            figures["file_mib_before_index"] = round(db_path.stat().st_size / 2**20, 1)
        print(f"[{kind}] store_batch without index", flush=True)
        figures["store_batch_no_index_us_per_read"] = round(
            _overhead(engine, gen, args.overhead_reads, "noidx") * 1e6, 1
        )
        print(f"[{kind}] building index", flush=True)
        start = time.perf_counter()
        with engine.begin() as conn:
            search_index.create(conn)
        figures["index_build_s"] = round(time.perf_counter() - start, 1)
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE plate_reads"))
                conn.execute(text("VACUUM ANALYZE read_alternatives"))
        else:
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        figures["index_size"] = _index_size(engine, db_path)
        print(f"[{kind}] store_batch with index", flush=True)
        figures["store_batch_with_index_us_per_read"] = round(
            _overhead(engine, gen, args.overhead_reads, "idx") * 1e6, 1
        )
        figures["index_overhead_us_per_read"] = round(
            figures["store_batch_with_index_us_per_read"]
            - figures["store_batch_no_index_us_per_read"],
            1,
        )
        if engine.dialect.name == "sqlite" and args.sqlite_as_is > 0:
            print(f"[{kind}] searches, service as it is (sample)", flush=True)
            figures["search_as_is_sample"] = _as_is_sample(app, detective, args.sqlite_as_is)
            # The rest with the proposed CROSS JOIN (see _candidates_cross_join).
            search_module._candidates = _candidates_cross_join
            figures["search_candidates"] = "CROSS JOIN patch (benchmark only)"
        else:
            figures["search_candidates"] = "service as it is"
        print(f"[{kind}] searches", flush=True)
        try:
            figures.update(_searches(app, detective, engine, args.repeat))
        finally:
            search_module._candidates = _ORIGINAL_CANDIDATES
        print(f"[{kind}] canvass", flush=True)
        figures["canvass_plan"] = _explain_canvass(engine, cams)
        figures["canvass"] = _canvass(app, detective, cams, args.repeat)
        if args.canvass_index:
            with engine.begin() as conn:
                start = time.perf_counter()
                conn.execute(
                    text(f"CREATE INDEX ix_bench_canvass ON plate_reads ({args.canvass_index})")
                )
                figures["canvass_index_build_s"] = round(time.perf_counter() - start, 1)
                conn.execute(text("ANALYZE plate_reads"))
            figures["canvass_index"] = args.canvass_index
            figures["canvass_plan_with_index"] = _explain_canvass(engine, cams)
            figures["canvass_with_index"] = _canvass(app, detective, cams, args.repeat)
            if engine.dialect.name == "sqlite":
                # The planner still walks ix_plate_reads_read_at (the whole 30 days); tell
                # it the time bounds are not selective (likelihood 0.9) so it takes the
                # location index: a one-line change the service could make on SQLite.
                search_module._filtered = _filtered_location_first
                try:
                    figures["canvass_with_index_likelihood"] = _canvass(
                        app, detective, cams, args.repeat
                    )
                finally:
                    search_module._filtered = _ORIGINAL_FILTERED
        app.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=10_000_000)
    parser.add_argument("--overhead-reads", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--postgres-url", default=PG_DEFAULT)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--sqlite-as-is",
        type=int,
        default=2,
        help="patterns run once through the unpatched service on SQLite (0: patch off)",
    )
    parser.add_argument("--canvass-index", default="latitude, longitude, read_at")
    args = parser.parse_args()
    out: dict[str, Any] = {
        "reads": args.reads,
        "patterns": list(PATTERNS),
        "cpus": os.cpu_count(),
        "load_avg_start": os.getloadavg(),
    }
    for kind in args.databases.split(","):
        kind = kind.strip()
        name = "postgresql" if kind.startswith("postgres") else "sqlite"
        start = time.perf_counter()
        out[name] = run("postgres" if name == "postgresql" else "sqlite", args)
        out[name]["wall_s"] = round(time.perf_counter() - start, 1)
        out[name]["load_avg_end"] = os.getloadavg()
        print(json.dumps({name: out[name]}), flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
