"""Hotlist matching speed: reads matched against 1,000,000 entries, 1,000 of them partial.

Measures, pinned to one core:

* ``build_s``      — :meth:`HotlistIndex.build` over the entries (what a list change costs);
* ``entries_mib``  — resident memory the :class:`MatchEntry` values take (the service's
  side: built from the rows);
* ``index_mib``    — resident memory the index adds on top (``--tracemalloc`` also gives
  the traced figure, at several times the build time);
* ``reads_per_s``, ``mean_us``, ``p99_us`` — :meth:`HotlistIndex.match` on reads with two
  alternatives each: mostly plates on no list, plus hotlist plates read exactly, read with
  a confusable character, only in the second reading, and fitting a partial pattern;
* ``partials_tested`` — partial patterns tested per read on average (of the 1,000).

Plates are random California-style (``7ABC123``, ``ABC1234``, ``1ABC23``) from a fixed
seed.

Command::

    .venv/bin/python benchmarks/bench_hotlist_match.py --tracemalloc

(defaults: ``--entries 1000000 --partial 1000 --reads 50000``)

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import string
import time
import tracemalloc
from typing import NamedTuple

from alpr_desktop.core.matching import HotlistIndex, MatchEntry

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
SWAPS = {"B": "8", "8": "B", "O": "0", "0": "O", "S": "5", "5": "S", "Z": "2", "2": "Z"}


class Reading(NamedTuple):
    text: str
    confidence: float


def _plate(rng: random.Random) -> str:
    letters = "".join(rng.choices(string.ascii_uppercase, k=3))
    digits = "".join(rng.choices(string.digits, k=4))
    shape = rng.random()
    if shape < 0.6:
        return f"{digits[0]}{letters}{digits[1:]}"
    if shape < 0.9:
        return f"{letters}{digits}"
    return f"{digits[0]}{letters}{digits[1:3]}"


def _partial(rng: random.Random, plate: str) -> str:
    chars = list(plate)
    if rng.random() < 0.5:
        for at in rng.sample(range(len(chars)), 2):
            chars[at] = "?"
    else:
        at = rng.randrange(1, len(chars) - 2)
        chars[at : at + 2] = "*"
    return "".join(chars)


def _entries(rng: random.Random, total: int, partial: int) -> list[MatchEntry]:
    plates: set[str] = set()
    while len(plates) < total:
        plates.add(_plate(rng))
    texts = list(plates)
    texts[:partial] = [_partial(rng, text) for text in texts[:partial]]
    later = NOW + dt.timedelta(days=365)
    return [
        MatchEntry(n, n % 5, text, later if n % 4 == 0 else None, 1 + n % 3, "stolen_vehicle")
        for n, text in enumerate(texts, start=1)
    ]


def _confusable(rng: random.Random, plate: str) -> str:
    spots = [i for i, c in enumerate(plate) if c in SWAPS]
    if not spots:
        return plate
    at = rng.choice(spots)
    return plate[:at] + SWAPS[plate[at]] + plate[at + 1 :]


def _reads(
    rng: random.Random, entries: list[MatchEntry], partial: int, count: int
) -> list[tuple[str, list[Reading]]]:
    full = [e.pattern for e in entries[partial:]]
    reads = []
    for _ in range(count):
        kind, plate = rng.random(), rng.choice(full)
        noise = [Reading(_plate(rng), 0.4), Reading(_plate(rng), 0.2)]
        if kind < 0.05:
            reads.append((plate, noise))
        elif kind < 0.08:
            reads.append((_confusable(rng, plate), noise))
        elif kind < 0.10:
            reads.append((_plate(rng), [Reading(plate, 0.6), noise[1]]))
        elif kind < 0.12:
            reads.append((entries[rng.randrange(partial)].pattern.replace("?", "7"), noise))
        else:
            reads.append((_plate(rng), noise))
    return reads


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _time_reads(index: HotlistIndex, reads: list[tuple[str, list[Reading]]]) -> dict:
    times, hits = [], 0
    start = time.perf_counter()
    for plate, alternatives in reads:
        began = time.perf_counter_ns()
        hits += len(index.match(plate, alternatives, now=NOW))
        times.append(time.perf_counter_ns() - began)
    elapsed = time.perf_counter() - start
    times.sort()
    return {
        "reads": len(reads),
        "reads_per_s": round(len(reads) / elapsed),
        "mean_us": round(statistics.fmean(times) / 1000, 2),
        "p99_us": round(times[int(len(times) * 0.99)] / 1000, 2),
        "hits_per_read": round(hits / len(reads), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--partial", type=int, default=1_000)
    parser.add_argument("--reads", type=int, default=50_000)
    parser.add_argument("--tracemalloc", action="store_true", help="also trace the build")
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    rng = random.Random(20)
    base = _rss_mib()
    entries = _entries(rng, args.entries, args.partial)
    before = _rss_mib()
    start = time.perf_counter()
    index = HotlistIndex.build(entries, now=NOW)
    figures = {
        "entries": index.size,
        "partial": args.partial,
        "build_s": round(time.perf_counter() - start, 2),
        "entries_mib": round(before - base, 1),
        "index_mib": round(_rss_mib() - before, 1),
    }
    if args.tracemalloc:
        tracemalloc.start()
        traced = HotlistIndex.build(entries, now=NOW)
        figures["index_traced_mib"] = round(tracemalloc.get_traced_memory()[0] / 2**20, 1)
        tracemalloc.stop()
        del traced
    reads = _reads(rng, entries, args.partial, args.reads)
    figures |= _time_reads(index, reads)
    tested = sum(len(index.partial_candidates(plate)) for plate, _ in reads)
    figures["partials_tested"] = round(tested / len(reads), 2)
    for name, value in figures.items():
        print(f"{name:>18}: {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
