"""Sign-in cost: Argon2id hash/verify with the shipped parameters, and a full login.

Measures, with the default :class:`~alpr_desktop.settings.Argon2Parameters`
(time_cost=3, memory 64 MiB, parallelism=2):

* ``hash``   — hashing one password (what creating an account or changing a password costs);
* ``verify`` — verifying one password against its hash (the bulk of a sign-in);
* ``login``  — a successful :meth:`AuthService.login` on a temporary SQLite database
  (settings load, lockout query, verify, two transactions, three access records);
* ``login_unknown`` — a refused sign-in for an unknown username (dummy verification, so it
  should take about as long as a real one: the timing must not reveal which accounts exist);
* ``login_wrong_old_hash`` — a wrong password for an account whose hash was made with
  cheaper, older parameters (the dummy at the current cost is verified too, so it takes
  about as long as ``login_unknown``: issue 19 item 1);
* ``session_check`` — the server-side session check alone (one primary-key read, and at
  most every 30 s a write), inside an open unit of work on SQLite;
* ``unit_of_work`` / ``unit_of_work_unchecked`` — a whole empty authorised unit of work
  (``BaseService._work``: session check, user, roles, training, commit), with and without
  the session check; their difference is the check's cost per service call (target
  <= 1 ms on SQLite);
* with ``--postgres URL`` also ``server_clock_read`` (one reading of the server's
  ``clock_timestamp()``, taken every five minutes) and ``server_clock_call`` (what each
  ``ServiceContext.now()`` costs between readings), see ``storage/clock.py``.

Each figure is the median (and min/max) wall time of ``--repeat`` runs, plus the median
process CPU time (both Argon2 lanes together), which other load disturbs less. The machine
load is printed beside the figures because Argon2 is CPU and memory bound.

Command::

    .venv/bin/python benchmarks/bench_login.py --repeat 15 --calls 2000 \
        --postgres postgresql://postgres@127.0.0.1:5432/postgres

The last line printed is one JSON object with every figure (seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from alpr_desktop.app import Application, open_application
from alpr_desktop.core.roles import Action
from alpr_desktop.errors import AuthenticationError
from alpr_desktop.services.base import Actor, BaseService
from alpr_desktop.services.passwords import make_hasher, verify_password
from alpr_desktop.services.sessions import session_problem
from alpr_desktop.settings import Argon2Parameters, LocalConfig

PASSWORD = "correct horse battery staple 42"


def timed(fn: Callable[[], object], repeat: int) -> list[tuple[float, float]]:
    """(wall, process CPU) seconds per run; CPU time is less disturbed by other load."""
    samples = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - wall, time.process_time() - cpu))
    return samples


def summarise(samples: list[tuple[float, float]]) -> dict[str, float]:
    walls = [w for w, _ in samples]
    return {
        "median": round(statistics.median(walls), 4),
        "min": round(min(walls), 4),
        "max": round(max(walls), 4),
        "cpu_median": round(statistics.median(c for _, c in samples), 4),
    }


def bench_argon2(repeat: int) -> dict[str, dict[str, float]]:
    hasher = make_hasher(Argon2Parameters())
    stored = hasher.hash(PASSWORD)  # warm-up, and the hash verify uses
    return {
        "hash": summarise(timed(lambda: hasher.hash(PASSWORD), repeat)),
        "verify": summarise(timed(lambda: verify_password(hasher, stored, PASSWORD), repeat)),
    }


def bench_login(repeat: int) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="alpr-bench-login-") as tmp:
        config = LocalConfig(data_dir=Path(tmp), workstation_name="bench")
        app = open_application(config, create=True)
        try:
            auth = app.services.auth
            auth.create_first_administrator(
                username="admin", full_name="Bench Administrator", password=PASSWORD
            )
            auth.login("admin", PASSWORD)  # warm-up: caches, statement compilation
            ok = timed(lambda: auth.login("admin", PASSWORD), repeat)

            # Distinct unknown names so the lockout (5 failures per name) never engages.
            names = iter(f"nobody{i}" for i in range(repeat + 1))

            def refused() -> None:
                try:
                    auth.login(next(names), PASSWORD)
                except AuthenticationError:
                    return
                raise AssertionError("an unknown user signed in")

            refused()  # warm-up: builds the dummy hash
            bad = timed(refused, repeat)
        finally:
            app.close()
    return {"login": summarise(ok), "login_unknown": summarise(bad)}


def _single(seconds: float) -> dict[str, float]:
    """A figure measured as one mean over many calls (min, max and CPU not taken)."""
    return {"median": round(seconds, 7), "min": 0.0, "max": 0.0, "cpu_median": 0.0}


def refused(fn: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            fn()
        except AuthenticationError:
            return
        raise AssertionError("a wrong password signed in")

    return run


def bench_old_hash(repeat: int) -> dict[str, dict[str, float]]:
    """A wrong password for an account hashed before the cost was raised to the default."""
    cheap = Argon2Parameters(time_cost=2, memory_cost_kib=19456, parallelism=1)  # OWASP minimum
    with tempfile.TemporaryDirectory(prefix="alpr-bench-login-") as tmp:
        app = open_application(
            LocalConfig(data_dir=Path(tmp), workstation_name="bench"), create=True
        )
        try:
            auth = app.services.auth
            admin = auth.create_first_administrator(
                username="admin", full_name="Bench Administrator", password=PASSWORD
            )
            app.services.settings.update(admin, argon2=cheap.model_dump())
            auth.change_password(admin, PASSWORD, PASSWORD + "!")  # hashed at the cheap cost
            app.services.settings.update(
                admin, argon2=Argon2Parameters().model_dump(), lockout_threshold=100
            )
            attempt = refused(lambda: auth.login("admin", "not the password at all"))
            attempt()  # warm-up: builds the dummy at the new cost
            return {"login_wrong_old_hash": summarise(timed(attempt, repeat))}
        finally:
            app.close()


class _Probe(BaseService):
    def run(self, actor: Actor) -> None:
        with self._work(actor, Action.VIEW_USERS):
            pass


class _Unchecked(_Probe):
    def _session_problem(self, session: Session, actor: Actor) -> str | None:
        return None


def bench_session_check(app: Application, actor: Actor, calls: int) -> float:
    """Seconds per session check, inside one open unit of work."""
    with app.database.sessions.begin() as session:
        now = app.services.ctx.now()
        session_problem(session, actor.session_id, actor.user_id, now)  # warm-up
        start = time.perf_counter()
        for _ in range(calls):
            assert session_problem(session, actor.session_id, actor.user_id, now) is None
        return (time.perf_counter() - start) / calls


def bench_units(calls: int) -> dict[str, dict[str, float]]:
    """The session check alone and in a whole (empty) unit of work, on SQLite."""
    with tempfile.TemporaryDirectory(prefix="alpr-bench-session-") as tmp:
        app = open_application(
            LocalConfig(data_dir=Path(tmp), workstation_name="bench"), create=True
        )
        try:
            admin = app.services.auth.create_first_administrator(
                username="admin", full_name="Bench Administrator", password=PASSWORD
            )
            probe = _Probe(app.services.ctx)
            check = bench_session_check(app, admin, calls)
            checked = timed(lambda: probe.run(admin), calls)
            # The same unit of work with the session check switched off, for the difference.
            bare = _Unchecked(app.services.ctx)
            unchecked = timed(lambda: bare.run(admin), calls)
        finally:
            app.close()
    return {
        "session_check": _single(check),
        "unit_of_work": summarise(checked),
        "unit_of_work_unchecked": summarise(unchecked),
    }


def bench_server_clock(url: str, calls: int) -> dict[str, dict[str, float]]:
    """The PostgreSQL server clock: one reading, and one call between readings."""
    from alpr_desktop.storage.clock import DatabaseClock
    from alpr_desktop.storage.engine import make_engine

    engine = make_engine(url)
    try:
        clock = DatabaseClock(engine)
        clock()  # first reading, connection
        reads = timed(clock.read_server, calls // 10)
        start = time.perf_counter()
        for _ in range(calls):
            clock()
        per_call = (time.perf_counter() - start) / calls
    finally:
        engine.dispose()
    return {
        "server_clock_read": summarise(reads),
        "server_clock_call": _single(per_call),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs per figure (median)")
    parser.add_argument(
        "--calls", type=int, default=2000, help="service calls for the session-check figures"
    )
    parser.add_argument("--postgres", default="", help="also time the server clock there")
    args = parser.parse_args(argv)

    params = Argon2Parameters()
    load_before = os.getloadavg()
    figures = (
        bench_argon2(args.repeat)
        | bench_login(args.repeat)
        | bench_old_hash(args.repeat)
        | bench_units(args.calls)
    )
    if args.postgres:
        figures |= bench_server_clock(args.postgres, args.calls)
    load_after = os.getloadavg()

    print(
        f"Argon2id t={params.time_cost} m={params.memory_cost_kib // 1024} MiB "
        f"p={params.parallelism}; {args.repeat} runs each; cpus={os.cpu_count()}; "
        f"load {load_before[0]:.2f} -> {load_after[0]:.2f}"
    )
    for name, fig in figures.items():
        print(
            f"  {name:<24} median {fig['median'] * 1000:8.3f} ms   "
            f"(min {fig['min'] * 1000:.1f}, max {fig['max'] * 1000:.1f}; "
            f"CPU {fig['cpu_median'] * 1000:.1f} ms)"
        )
    result = {
        "benchmark": "login",
        "argon2": params.model_dump(),
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "loadavg_1m": [round(load_before[0], 2), round(load_after[0], 2)],
        "seconds": figures,
    }
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
