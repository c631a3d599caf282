"""A terminated workstation process shuts down cleanly (the demo database is removed)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO_ROOT


def test_sigterm_removes_demo_database(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "TMPDIR": str(tmp_path),
        "ALPR_CONFIG_DIR": str(tmp_path / "cfg"),
        "ALPR_DATA_DIR": str(tmp_path / "data"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "alpr_desktop", "--demo"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        deadline, banner = time.monotonic() + 120, ""
        while "demo.commander" not in banner and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                banner += os.read(proc.stdout.fileno(), 4096).decode()
        assert "demo.commander" in banner, "demo did not start"
        assert list(tmp_path.glob("alpr-demo-*")), "the demo database exists while running"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
    assert not list(tmp_path.glob("alpr-demo-*")), "the demo database was removed"
