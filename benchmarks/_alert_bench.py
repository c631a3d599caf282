"""Shared set-up of the alert benchmarks (bench_alert_latency.py, bench_alert_notify.py).

A scratch database (a temporary SQLite file, or a PostgreSQL database created next to
the given one and dropped afterwards), an application on it with the tests' cheap
Argon2 parameters, an administrator and a dispatcher, and a hotlist imported from a
CSV through :meth:`HotlistService.import_csv` (the path a real list takes).
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

from _scratch import scratch_database as scratch_database_at  # noqa: E402
from bench_hotlist_match import _partial, _plate  # noqa: E402

from alpr_desktop.app import Application  # noqa: E402
from alpr_desktop.core.roles import Role  # noqa: E402
from alpr_desktop.services.base import Actor  # noqa: E402
from alpr_desktop.storage.engine import sqlite_url  # noqa: E402
from tests.conftest import (  # noqa: E402
    USER_PASSWORD,
    create_active_user,
    create_admin,
    make_app,
)

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
HEADER = "plate,state,category,priority,source,case_number,notes,expires_at\n"
DISPATCHER = "disp.bench"
PASSWORD = USER_PASSWORD


@contextlib.contextmanager
def scratch_database(kind: str, root: Path, admin_url: str = PG_DEFAULT) -> Iterator[str]:
    """A URL of an empty database of ``kind`` (sqlite|postgres), dropped afterwards."""
    if kind == "sqlite":
        yield sqlite_url(root / "db" / "bench.sqlite3")
        return
    with scratch_database_at(admin_url, "alpr_bench_alert") as url:
        yield url


@dataclass
class Setup:
    app: Application
    admin: Actor
    dispatcher: Actor
    figures: dict[str, float]


def write_hotlist(path: Path, hits: Iterable[str], entries: int, partial: int, seed: int) -> int:
    """``hits`` plus ``entries`` other random plates (``partial`` of them patterns)."""
    rng = random.Random(seed)
    hits = list(dict.fromkeys(hits))
    taken = set(hits)
    others: list[str] = []
    while len(others) < entries:
        plate = _plate(rng)
        if plate not in taken:
            taken.add(plate)
            others.append(plate)
    others[:partial] = [_partial(rng, plate) for plate in others[:partial]]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for i, plate in enumerate(hits + others):
            out.write(f"{plate},CA,stolen_vehicle,{1 + i % 3},NCIC,26-{i % 9999:04d},,\n")
    return len(hits) + len(others)


def setup_app(
    url: str, root: Path, hits: Iterable[str], *, entries: int, partial: int, seed: int = 20
) -> Setup:
    """The application, its two users and the imported hotlist; times in ``figures``."""
    app = make_app(url, root / "app")
    admin = create_admin(app)
    dispatcher = create_active_user(app, admin, DISPATCHER, [Role.DISPATCHER])
    csv = root / "hotlist.csv"
    lines = write_hotlist(csv, hits, entries, partial, seed)
    start = time.perf_counter()
    result = app.services.hotlists.import_csv(admin, csv, "Bench stolen", create_missing=True)
    figures = {"hotlist_entries": float(lines), "import_s": time.perf_counter() - start}
    assert result.imported == lines, result
    base = rss_mib()
    start = time.perf_counter()
    held = app.services.ingest.matcher.current()
    figures["index_build_s"] = time.perf_counter() - start
    figures["index_rss_mib"] = rss_mib() - base
    figures["index_size"] = float(held.index.size)
    return Setup(app, admin, dispatcher, {k: round(v, 2) for k, v in figures.items()})


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def percentiles(values: list[float]) -> dict[str, float]:
    """n, p50, p95, max (ms, rounded) of ``values`` in seconds."""
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {
        "n": len(ordered),
        "p50_ms": round(at(0.5) * 1000, 1),
        "p95_ms": round(at(0.95) * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def temp_root() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="alpr-bench-alert-")
