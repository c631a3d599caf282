"""A purging process for the SIGKILL and two-purger tests: stops inside a batch, waits.

Run as ``python -m tests.integration.purge_child URL DATA_DIR BATCH STOP_AT`` from the
repository root. It signs in as ``admin`` and purges in batches of BATCH reads; after the
STOP_AT-th batch has deleted its reads, images and dictionary strings — inside that
batch's transaction, before its commit — it prints ``IN BATCH <n>`` and waits on stdin
until the test kills it (or, on a line, goes on). Earlier batches print ``BATCH <n>``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from alpr_desktop.app import open_application
from alpr_desktop.services import retention
from alpr_desktop.settings import LocalConfig
from tests.conftest import ADMIN_PASSWORD


def main() -> None:
    url, data_dir = sys.argv[1], Path(sys.argv[2])
    batch, stop_at = int(sys.argv[3]), int(sys.argv[4])
    config = LocalConfig(database_url=url, data_dir=data_dir, workstation_name="purger")
    app = open_application(config)
    actor = app.services.auth.login("admin", ADMIN_PASSWORD).actor
    real = retention.prune_dictionary
    calls = 0

    def prune_then_maybe_wait(conn: Any, texts: Any) -> int:
        nonlocal calls
        removed = real(conn, texts)
        calls += 1
        if calls == stop_at:
            print(f"IN BATCH {calls}", flush=True)
            sys.stdin.readline()  # killed here, the batch's transaction open
        else:
            print(f"BATCH {calls}", flush=True)
        return removed

    retention.prune_dictionary = prune_then_maybe_wait  # type: ignore[assignment]
    report = app.services.retention.purge(actor, batch=batch)
    print(f"DONE {report.reads}", flush=True)
    app.close()


if __name__ == "__main__":
    main()
