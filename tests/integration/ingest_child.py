"""A recognition process for the SIGKILL test: signs in, spools reads, waits to be killed.

Run as ``python -m tests.integration.ingest_child URL DATA_DIR TAG COUNT`` from the
repository root. It prints ``READY`` once its ingest session is open, then on a ``GO``
line from stdin submits COUNT reads of series TAG, flushes them (the test has made the
database unreachable, so they are spooled) and prints ``SPOOLED <depth>``; then it waits
on stdin until the test kills it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alpr_desktop.app import open_application
from alpr_desktop.services.ingest import IngestOptions
from alpr_desktop.settings import LocalConfig
from tests.conftest import ADMIN_PASSWORD
from tests.integration.ingest_helpers import make_read


def main() -> None:
    url, data_dir, tag, count = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    config = LocalConfig(database_url=url, data_dir=data_dir, workstation_name="child")
    app = open_application(config)
    app.services.ingest.options = IngestOptions(batch_size=50, retry_initial=60.0)
    actor = app.services.auth.login("admin", ADMIN_PASSWORD).actor
    sink = app.services.ingest.open_session(actor, label="SIGKILL test")
    print("READY", flush=True)
    if sys.stdin.readline().strip() != "GO":
        return
    for index in range(count):
        sink.submit(make_read(index, tag=tag))
    sink.flush()
    print(f"SPOOLED {sink.spool_depth}", flush=True)
    sys.stdin.readline()  # killed here


if __name__ == "__main__":
    main()
