"""Frame-to-alert latency on one workstation (target: p95 <= 250 ms).

What is measured, per alert: from the moment the worker takes the frame that makes the
tracker emit the vehicle's read out of the source (``FrameSource.take`` returns it to
:class:`~alpr_desktop.recognition.live.RecognitionWorker`) to the moment the
dispatcher's :class:`~alpr_desktop.services.alert_feed.AlertFeed` callback receives the
alert. The tracker emits a read only when the track *closes* — the first frame after
the plate has gone unseen for ``TrackerSettings.end_after_s`` (1.0 s) — so that
closing frame is the start; the second the vehicle spends leaving is the tracker's
design, reported apart (``out_of_view_to_closing_frame``: the plate leaving the view,
by the video's ground truth, to the closing frame; ``best_sighting_to_closing_frame``:
the read's ``read_at`` to it; both in video time) and not counted in the latency.
Reads the tracker emits when the video ends (``flush``) have no closing frame and are
left out (counted in ``flushed_reads`` / ``flushed_alerts``).

Everything between is the real path: the project-rendered 1280x720, 25 fps demo video
(:mod:`~alpr_desktop.recognition.demo_video`) played at its own rate (``--fast``: as
fast as recognition goes), the ONNX plate finder and the default reader, the tracker,
the read handed to an :class:`~alpr_desktop.services.ingest_sink.IngestSink` (default
:class:`~alpr_desktop.services.ingest_sink.IngestOptions`: its batching delay),
:meth:`IngestService.store` (reads, images and the alert insert in one transaction),
and the feed's wake-up and poll: on SQLite the in-process ``ALERTS`` change, on
PostgreSQL ``LISTEN``/``NOTIFY`` on the feed's own connection (feed ``poll_interval``
60 s, so polling on the clock never delivers one).

The hotlist is every plate of the video's passes plus ``--entries`` random other
entries (``--partial`` of them patterns with ``?`` and ``*``), imported as a CSV
through :meth:`HotlistService.import_csv`; the import and the matcher's index build
are timed apart (``setup``) and done before the video starts.

Breakdown per alert (instrumented from outside: the source's ``take``, the sink's
``submit``, a wrapper around ``IngestService.store`` and a ``changes`` subscriber that
runs just after the commit, before the feed's own):

* ``recognition``  — frame taken -> read emitted (localize, read, track, JPEG encoding);
* ``sink_wait``    — read submitted -> ``store`` called for its batch (the sink's delay);
* ``store``        — ``store`` called -> committed (revision check, reads, images,
  alternatives, match, alert insert); ``store_parts.revision_check`` is the
  ``AlertMatcher.current()`` call at its start (a connection and one ``SELECT``);
* ``delivery``     — committed -> feed callback; ``delivery_parts``: committed -> the
  feed starts its poll (in-process wake on SQLite, ``NOTIFY`` received on PostgreSQL)
  and the poll itself (``AlertService.poll``: authorisation, query, access record).

Commands::

    .venv/bin/python benchmarks/bench_alert_latency.py --database sqlite --passes 40
    .venv/bin/python benchmarks/bench_alert_latency.py --database postgres --passes 40

(``--postgres-url`` defaults to postgresql://postgres@127.0.0.1:5432/postgres, next to
which a scratch database is created and dropped; ``--entries 1000000 --partial 1000``.)

The last line printed is one JSON object with every figure. The "committed" mark is
taken just after the commit returns, so on PostgreSQL the NOTIFY can overtake it
(``commit_to_poll`` slightly below 0).

Measured 2026-12-02, ``--passes 40`` (2,447 frames played at 25 fps; 39 alerts timed,
1 from the end-of-video flush left out; 38 of 40 passes read exactly, all 40 alerted),
2 cores shared with other jobs, hotlist 1,000,040 entries (import 29-45 s on SQLite,
60-77 s on PostgreSQL; matcher index from the database 8.6-12.3 s, +370-390 MiB RSS):

================ ============ ============ ============
ms p50/p95/max   SQLite       PostgreSQL   PostgreSQL
load (1 min)     1.1 -> 2.1   1.5 -> 1.1   2.7 -> 4.7
================ ============ ============ ============
frame -> alert   50/93/107    67/101/118   152/420/467
recognition      33/54/60     30/49/50     45/99/141
sink wait        0.2/1.6/3.3  0.2/0.3/1.2  0.2/5.4/38
store (commit)   6.9/19/25    17/27/57     54/143/291
delivery         8.1/26/31    20/28/37     43/129/232
of it: the poll  8.0/26/30    21/26/36     (not split)
================ ============ ============ ============

A first SQLite run at load 3.4-4 gave 58.5/94.5/108.5. The sink's default
``max_delay`` is 0: its wait is at most 5.4 ms at p95 and never dominates. The target
(p95 <= 250 ms) holds on SQLite and on PostgreSQL at load ~1.5, and is missed on
PostgreSQL with the machine oversubscribed (load 4.7 on 2 cores).
Not in these figures: the tracker's own wait before it emits (the plate out of view ->
the closing frame: p50 1.31 s, max 1.40 s), and a hotlist change, after which the next
``store`` rebuilds the index from the database in the writer thread (8.6-12.3 s for
1,000,000 entries, of which ~2.8 s is ``HotlistIndex.build``,
``bench_hotlist_match.py``) before any read is stored or alerted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _alert_bench import PG_DEFAULT, percentiles, rss_mib, scratch_database, setup_app, temp_root
from bench_live import _stage_means

from alpr_desktop.messages import Changes, Topic
from alpr_desktop.recognition.demo_video import DEFAULT_SEED, demo_video, match_passes
from alpr_desktop.recognition.live import RecognitionWorker, WorkerSettings, WorkerStats
from alpr_desktop.recognition.localizer import OnnxPlateLocalizer
from alpr_desktop.recognition.pipeline import FramePipeline
from alpr_desktop.recognition.reader import load_default_reader
from alpr_desktop.recognition.reads import VehicleRead
from alpr_desktop.recognition.sources import open_source
from alpr_desktop.services.alert_feed import AlertFeed, FeedState, FeedStatus
from alpr_desktop.services.alerts import AlertBatch


@dataclass
class ReadTimes:
    #: (perf_counter, captured_at) of the frame that closed the track; None: the
    #: end-of-video flush emitted it.
    frame: tuple[float, dt.datetime] | None
    emitted: float
    read: VehicleRead
    store_called: float | None = None
    committed: float | None = None
    read_id: int | None = None


@dataclass
class Probe:
    """The timestamps (perf_counter) the instrumentation collects."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    taken: tuple[float, dt.datetime] | None = None
    reads: dict[str, ReadTimes] = field(default_factory=dict)
    by_id: dict[int, ReadTimes] = field(default_factory=dict)
    current_batch: list[ReadTimes] = field(default_factory=list)
    alerts: list[tuple[int, int, float, float]] = field(default_factory=list)  # id, read, at, poll
    batch_sizes: list[int] = field(default_factory=list)
    live: threading.Event = field(default_factory=threading.Event)
    stats: list[WorkerStats] = field(default_factory=list)
    revision_checks: list[float] = field(default_factory=list)
    poll_started: float = 0.0
    expected: set[int] = field(default_factory=set)  # read ids whose store raised alerts


def _instrument(app: Any, probe: Probe) -> None:
    ingest = app.services.ingest
    store = ingest.store

    def timed_store(reads: list[VehicleRead]) -> Any:
        called = time.perf_counter()
        with probe.lock:
            batch = [probe.reads[r.read_uuid] for r in reads if r.read_uuid in probe.reads]
            for times in batch:
                times.store_called = called
            probe.current_batch = batch
        probe.batch_sizes.append(len(reads))
        result = store(reads)
        ended = time.perf_counter()
        with probe.lock:
            if result.alerts:
                probe.expected.update(read_id for read_id, _r in result.new_reads)
            by_uuid = {r.read_uuid: read_id for read_id, r in result.new_reads}
            for times in batch:
                if times.committed is None:  # no change published: nothing committed new
                    times.committed = ended
                times.read_id = by_uuid.get(times.read.read_uuid)
                if times.read_id is not None:
                    probe.by_id[times.read_id] = times
        return result

    ingest.store = timed_store  # instance attribute: the sink calls self._service.store
    from alpr_desktop.services import ingest as ingest_module

    read_revision = ingest_module.read_revision

    def timed_revision(conn: Any) -> int:  # the batch's first look at the hotlist revision
        started = time.perf_counter()
        try:
            return read_revision(conn)
        finally:
            probe.revision_checks.append(time.perf_counter() - started)

    ingest_module.read_revision = timed_revision  # type: ignore[assignment]

    def committed(changes: Changes) -> None:  # runs in store(), just after the commit
        if changes.touches(Topic.READS):
            now = time.perf_counter()
            with probe.lock:
                for times in probe.current_batch:
                    times.committed = now

    app.services.ctx.changes.subscribe(committed)  # before the feed's own subscription


def _run_video(
    app: Any, actor: Any, video: Any, pipeline: FramePipeline, probe: Probe, fast: bool
) -> Any:
    source = open_source(str(video.path), name="bench", realtime=not fast)
    take = source.take

    def timed_take(timeout: float | None = None) -> Any:
        frame = take(timeout=timeout)
        if frame is not None:
            probe.taken = (time.perf_counter(), frame.captured_at)
        return frame

    source.take = timed_take  # type: ignore[method-assign]
    sink = app.services.ingest.open_session(actor, label="bench")

    def on_read(read: VehicleRead) -> None:
        now = time.perf_counter()
        with probe.lock:
            probe.reads[read.read_uuid] = ReadTimes(probe.taken, now, read)
        sink.submit(read)

    worker = RecognitionWorker(
        source,
        pipeline,
        on_read=on_read,
        on_stats=probe.stats.append,
        settings=WorkerSettings(preview_fps=0),
    )
    flush = worker.tracker.flush

    def timed_flush(at: Any = None) -> Any:
        probe.taken = None  # the end of the video closes these tracks, not a frame
        return flush(at)

    worker.tracker.flush = timed_flush  # type: ignore[method-assign]
    started = time.perf_counter()
    worker.start()
    worker.wait_finished()
    worker.join()
    elapsed = time.perf_counter() - started
    sink.flush()
    status = sink.close()
    return worker, source, elapsed, status


def measure(args: argparse.Namespace, url: str, root: Path) -> dict[str, Any]:
    t = time.perf_counter()
    video = demo_video(args.cache, seed=args.seed, passes=args.passes)
    out: dict[str, Any] = {
        "video": {
            "frames": video.frame_count,
            "fps": video.fps,
            "passes": len(video.passes),
            "prepare_s": round(time.perf_counter() - t, 1),
        }
    }
    base = rss_mib()
    setup = setup_app(
        url, root, [p.plate for p in video.passes], entries=args.entries, partial=args.partial
    )
    out["setup"] = setup.figures | {"rss_after_setup_mib": round(rss_mib() - base, 1)}
    print("setup", json.dumps(out["setup"]), flush=True)
    app = setup.app
    try:
        pipeline = FramePipeline(OnnxPlateLocalizer(), load_default_reader())
        probe = Probe()
        _instrument(app, probe)

        def on_batch(batch: AlertBatch) -> None:
            now = time.perf_counter()
            with probe.lock:
                probe.alerts.extend((a.id, a.read_id, now, probe.poll_started) for a in batch.new)

        def on_status(status: FeedStatus) -> None:
            if status.state is FeedState.LIVE:
                probe.live.set()

        feed = AlertFeed(
            app.services, setup.dispatcher, on_batch=on_batch, on_status=on_status, poll_interval=60
        )
        poll = feed._poll

        def timed_poll() -> None:
            probe.poll_started = time.perf_counter()
            poll()

        feed._poll = timed_poll  # type: ignore[method-assign]
        feed.start()
        assert probe.live.wait(30), feed.status
        try:
            worker, source, elapsed, status = _run_video(
                app, setup.admin, video, pipeline, probe, args.fast
            )
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:  # every stored read that hits has arrived
                with probe.lock:
                    have = {alert[1] for alert in probe.alerts}
                    if have and probe.expected <= have:
                        break
                time.sleep(0.05)
            time.sleep(1.0)  # any late alert
        finally:
            feed.stop()
        out["run"] = _figures(probe, video, worker, source, elapsed, status)
    finally:
        app.close()
    out["load_1min_after"] = round(os.getloadavg()[0], 2)
    return out


def _figures(
    probe: Probe, video: Any, worker: Any, source: Any, elapsed: float, status: Any
) -> dict[str, Any]:
    total, recog, wait, store, deliver, woken, polled = [], [], [], [], [], [], []
    flushed_alerts, orphans = 0, 0
    for _alert, read_id, arrived, poll_started in probe.alerts:
        times = probe.by_id.get(read_id)
        if times is None:
            orphans += 1
            continue
        if times.frame is None:
            flushed_alerts += 1
            continue
        assert times.store_called is not None and times.committed is not None
        taken = times.frame[0]
        total.append(arrived - taken)
        recog.append(times.emitted - taken)
        wait.append(times.store_called - times.emitted)
        store.append(times.committed - times.store_called)
        deliver.append(arrived - times.committed)
        woken.append(poll_started - times.committed)
        polled.append(arrived - poll_started)
    origin = source.playback_origin
    matched = match_passes(video, [t.read for t in probe.reads.values()], origin)
    exact = sum(len(m) == 1 and m[0].plate_text == p.plate for p, m in matched)
    # Before the latency starts: the plate leaves the view (ground truth) -> the frame
    # that closes its track; and the read's best sighting -> that frame (video time).
    after_view, after_best = [], []
    for p, m in matched:
        for read in m:
            frame = probe.reads[read.read_uuid].frame
            if frame is not None:
                closed = frame[1].timestamp()
                after_view.append(closed - (origin.timestamp() + p.visible_to_s))
                after_best.append(closed - read.read_at.timestamp())
    stats = worker.stats
    return {
        "elapsed_s": round(elapsed, 1),
        "frames_processed": stats.frames_processed,
        "frames_skipped": stats.frames_skipped,
        "ms_per_stage": _stage_means(probe.stats),
        "reads": len(probe.reads),
        "flushed_reads": sum(t.frame is None for t in probe.reads.values()),
        "exact_passes": exact,
        "stored": status.stored,
        "alerts": len(probe.alerts),
        "reads_alerted": len({alert[1] for alert in probe.alerts}),
        "flushed_alerts": flushed_alerts,
        "unmatched_alerts": orphans,
        "batch_sizes": sorted(set(probe.batch_sizes)),
        "latency": percentiles(total),
        "breakdown": {
            "recognition": percentiles(recog),
            "sink_wait": percentiles(wait),
            "store": percentiles(store),
            "delivery": percentiles(deliver),
        },
        "store_parts": {"revision_check": percentiles(probe.revision_checks)},
        "delivery_parts": {"commit_to_poll": percentiles(woken), "poll": percentiles(polled)},
        "out_of_view_to_closing_frame": percentiles(after_view),
        "best_sighting_to_closing_frame": percentiles(after_best),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres-url", default=PG_DEFAULT)
    parser.add_argument("--passes", type=int, default=12)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--partial", type=int, default=1_000)
    parser.add_argument("--cache", type=Path, default=None, help="folder for the demo video")
    parser.add_argument("--fast", action="store_true", help="read the video as fast as possible")
    args = parser.parse_args()
    result: dict[str, Any] = {
        "database": args.database,
        "cpus": os.cpu_count(),
        "load_1min_before": round(os.getloadavg()[0], 2),
        "realtime": not args.fast,
    }
    with temp_root() as tmp, scratch_database(args.database, Path(tmp), args.postgres_url) as url:
        result |= measure(args, url, Path(tmp))
    run = result["run"]
    print("latency", json.dumps(run["latency"]), "breakdown", json.dumps(run["breakdown"]))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
