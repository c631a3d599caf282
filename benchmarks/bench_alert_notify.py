"""NOTIFY delivery of alerts to a second process on PostgreSQL (target: p95 <= 100 ms).

Process A (this script) sets up a scratch PostgreSQL database (created next to
``--postgres-url`` and dropped afterwards) with an administrator, a dispatcher and a
hotlist (the plates the reads carry, plus ``--entries`` random others), then starts
process B, ``benchmarks/bench_alert_notify.py --child``: a separate Python process that
signs the dispatcher in and runs an :class:`~alpr_desktop.services.alert_feed.AlertFeed`
with ``poll_interval`` 3600 s, so only a ``NOTIFY`` wakes it. B writes one JSON line
per alert to its stdout: the alert's id and the ``time.time()`` its feed callback got it.

Once B is live, A raises ``--alerts`` alerts (default 200), one read per
:meth:`IngestService.store <alpr_desktop.services.ingest.IngestService.store>` call
(its own transaction: read, image, alternatives, alert insert and ``pg_notify``), about
``--spacing`` seconds (default 0.05) apart, recording ``time.time()`` just before the
call and just after it returns (the commit has happened: the ``NOTIFY`` is sent on
commit). Reported, over all alerts:

* ``commit_to_arrival``  — arrival in B - ``store()`` returned in A;
* ``before_store_to_arrival`` — arrival in B - ``store()`` called in A;
* ``store``              — the ``store()`` call itself.

Both processes run on this machine, so ``time.time()`` is one clock.

Command::

    .venv/bin/python benchmarks/bench_alert_notify.py \\
        --postgres-url postgresql://postgres@127.0.0.1:5432/postgres

The last line printed is one JSON object with every figure.

Measured 2026-12-02 (2 cores shared with other jobs, load 2.0-2.2; PostgreSQL 15 local,
psycopg 3), 200 alerts 50 ms apart, every one received, one poll per alert:

============================ ======= ======= =======
hotlist                      p50     p95     max
============================ ======= ======= =======
20 plates: commit -> arrival 14.2 ms 22.9 ms 32.2 ms
  before store -> arrival    26.4 ms 36.2 ms 49.5 ms
  store()                    11.8 ms 18.3 ms 23.5 ms
+1,000,000 (1,000 partial):
  commit -> arrival          12.7 ms 20.1 ms 24.9 ms
  before store -> arrival    23.1 ms 31.3 ms 57.3 ms
  store()                     9.9 ms 14.7 ms 36.7 ms
============================ ======= ======= =======

The list's size does not change ``store()``. Where commit -> arrival goes is not split
here; ``bench_alert_latency.py --database postgres`` splits the same path in one
process: 0-6 ms from the commit to the feed starting its poll (the NOTIFY), 21-26 ms
the poll itself (``AlertService.poll``: authorisation, the query, an access record).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from _alert_bench import (
    DISPATCHER,
    PASSWORD,
    PG_DEFAULT,
    REPO_ROOT,
    percentiles,
    scratch_database,
    setup_app,
    temp_root,
)
from bench_ingest import make_reads

PLATES = [f"7NTF{i:03d}" for i in range(20)]


# ---------------------------------------------------------------------- process B
def child(url: str, data_dir: Path) -> int:
    from alpr_desktop.app import open_application
    from alpr_desktop.services.alert_feed import AlertFeed, FeedState, FeedStatus
    from alpr_desktop.services.alerts import AlertBatch
    from alpr_desktop.settings import LocalConfig

    app = open_application(
        LocalConfig(database_url=url, data_dir=data_dir, workstation_name="bench-watch")
    )
    actor = app.services.auth.login(DISPATCHER, PASSWORD).actor
    out = sys.stdout
    lock = threading.Lock()

    def on_batch(batch: AlertBatch) -> None:
        now = time.time()
        with lock:
            for alert in batch.new:
                out.write(json.dumps({"id": alert.id, "at": now}) + "\n")
            out.flush()

    def on_status(status: FeedStatus) -> None:
        if status.state is FeedState.LIVE:
            with lock:
                out.write(json.dumps({"live": True}) + "\n")
                out.flush()

    feed = AlertFeed(
        app.services, actor, on_batch=on_batch, on_status=on_status, poll_interval=3600
    )
    feed.start()
    try:
        sys.stdin.read()  # until A closes our stdin
    finally:
        feed.stop()
        print(json.dumps({"polls": feed.polls}), flush=True)
        app.close()
    return 0


# ---------------------------------------------------------------------- process A
def measure(args: argparse.Namespace, url: str, root: Path) -> dict[str, Any]:
    setup = setup_app(url, root, PLATES, entries=args.entries, partial=args.partial)
    app = setup.app
    out: dict[str, Any] = {"setup": setup.figures}
    lines: queue.Queue[dict[str, Any]] = queue.Queue()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", "--url", url, "--data-dir", str(root / "child")],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "ALPR_CONFIG_DIR": str(root / "child-config")},
    )

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("{"):
                lines.put(json.loads(line))

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        while "live" not in lines.get(timeout=60):
            pass
        reads = make_reads(args.alerts, "notify")
        sent: dict[int, tuple[float, float]] = {}
        for i, read in enumerate(reads):
            read = dataclasses.replace(read, plate_text=PLATES[i % len(PLATES)], alternatives=())
            before = time.time()
            result = app.services.ingest.store([read])
            after = time.time()
            assert len(result.alerts) == 1, result.alerts
            sent[result.alerts[0]] = (before, after)
            time.sleep(max(0.0, args.spacing - (time.time() - before)))
        arrived: dict[int, float] = {}
        deadline = time.monotonic() + 10
        while len(arrived) < len(sent) and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if "id" in line:
                arrived[line["id"]] = line["at"]
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(30)
        reader.join(5)
        app.close()
    tail: dict[str, Any] = {}
    while not lines.empty():
        tail |= lines.get()
    got = [i for i in sent if i in arrived]
    out |= {
        "alerts": len(sent),
        "received": len(got),
        "child_polls": tail.get("polls"),
        "commit_to_arrival": percentiles([arrived[i] - sent[i][1] for i in got]),
        "before_store_to_arrival": percentiles([arrived[i] - sent[i][0] for i in got]),
        "store": percentiles([sent[i][1] - sent[i][0] for i in sent]),
    }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=PG_DEFAULT)
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--spacing", type=float, default=0.05, help="seconds between alerts")
    parser.add_argument("--entries", type=int, default=0, help="other hotlist entries")
    parser.add_argument("--partial", type=int, default=0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.url, args.data_dir)
    result: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "load_1min_before": round(os.getloadavg()[0], 2),
        "spacing_s": args.spacing,
    }
    with temp_root() as tmp, scratch_database("postgres", Path(tmp), args.postgres_url) as url:
        result |= measure(args, url, Path(tmp))
    result["load_1min_after"] = round(os.getloadavg()[0], 2)
    for key in ("commit_to_arrival", "before_store_to_arrival", "store"):
        print(f"{key:>24}: {result[key]}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
