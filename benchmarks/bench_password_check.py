"""Cost of the new-password rules: loading the common-password list and checking against it.

Measures, in this process:

* ``load_ms``   — reading and decompressing ``resources/passwords/common-passwords.txt.gz``
  into a set (paid once per process, on the first password change or account creation);
* ``accept_us`` — :func:`check_new_password` on passwords that pass every rule (the
  whole rule chain runs: list, listed word with affixes, sequences, names);
* ``refuse_us`` — the same on listed passwords (refused at the list lookup);
* ``hash_ms``   — for scale, one Argon2id hash at the shipped default parameters, which
  every accepted new password then costs.

Figures are medians over ``--rounds`` rounds of ``--checks`` checks each.

Command::

    .venv/bin/python benchmarks/bench_password_check.py --checks 20000 --rounds 5

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import statistics
import time

from alpr_desktop.errors import ValidationError
from alpr_desktop.services.passwords import check_new_password, common_passwords, make_hasher
from alpr_desktop.settings import Argon2Parameters

REFUSED = ["password1234", "qwertyuiop12", "letmein12345", "sunshine2026!", "iloveyou1234"]


def _time_checks(passwords: list[str], checks: int) -> float:
    """Microseconds per :func:`check_new_password` call over ``checks`` calls."""
    start = time.perf_counter()
    for i in range(checks):
        with contextlib.suppress(ValidationError):
            check_new_password(
                passwords[i % len(passwords)],
                username="j.smith",
                full_name="Jordan Alexander Smith",
                min_length=12,
            )
    return (time.perf_counter() - start) / checks * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    loads = []
    for _ in range(args.rounds):
        common_passwords.cache_clear()
        start = time.perf_counter()
        size = len(common_passwords())
        loads.append((time.perf_counter() - start) * 1e3)
    accepted = [secrets.token_urlsafe(12) for _ in range(1000)]
    accept = [_time_checks(accepted, args.checks) for _ in range(args.rounds)]
    refuse = [_time_checks(REFUSED, args.checks) for _ in range(args.rounds)]
    hasher = make_hasher(Argon2Parameters())
    hashes = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        hasher.hash("violet-tractor-lemonade-81")
        hashes.append((time.perf_counter() - start) * 1e3)

    figures = {
        "entries": size,
        "load_ms": round(statistics.median(loads), 2),
        "accept_us": round(statistics.median(accept), 2),
        "refuse_us": round(statistics.median(refuse), 2),
        "hash_ms": round(statistics.median(hashes), 1),
    }
    print(
        f"list of {size} entries: load {figures['load_ms']} ms once; check "
        f"{figures['accept_us']} us accepted, {figures['refuse_us']} us refused; "
        f"Argon2id default hash {figures['hash_ms']} ms"
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
