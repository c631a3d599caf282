"""The README's run command on a real X server: ``alpr-desktop`` opens its sign-in window.

Every other GUI test runs on Qt's offscreen platform, which needs none of the X11/XCB
libraries a desktop session does; a missing one (``libxcb-icccm4`` once) aborts the
real start before any window. This test starts Xvfb, runs ``python -m alpr_desktop``
with ``QT_QPA_PLATFORM=xcb`` in a fresh process and waits until the X server has a
window titled "Sign in". It skips without Xvfb, except in CI (``ALPR_REQUIRE_XVFB``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

STARTUP_S = 60


@pytest.fixture
def x_display() -> Iterator[str]:
    """A fresh Xvfb server; yields its DISPLAY value."""
    if shutil.which("Xvfb") is None or shutil.which("xwininfo") is None:
        if os.environ.get("ALPR_REQUIRE_XVFB"):
            pytest.fail("ALPR_REQUIRE_XVFB is set but Xvfb or xwininfo is missing")
        pytest.skip("needs Xvfb and xwininfo (bash .ci/system-deps --tests)")
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()  # Xvfb writes the display number once it is ready
    try:
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def window_titles(display: str) -> str:
    result = subprocess.run(
        ["xwininfo", "-root", "-tree"],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return result.stdout


def test_readme_command_opens_the_sign_in_window_on_xcb(x_display: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DISPLAY": x_display,
        "QT_QPA_PLATFORM": "xcb",
        "ALPR_DATA_DIR": str(tmp_path / "data"),
        "ALPR_CONFIG_DIR": str(tmp_path / "config"),
    }
    env.pop("QT_QPA_PLATFORM_PLUGIN_PATH", None)
    password = "Xvfb-Start-Check-2026"
    command = ["init", "--username", "chief", "--full-name", "Dana Whitfield", "--password-stdin"]
    init = subprocess.run(
        [sys.executable, "-m", "alpr_desktop", *command],
        input=password + "\n",
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    app = subprocess.Popen(
        [sys.executable, "-m", "alpr_desktop"],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_S
        titles = ""
        while time.monotonic() < deadline and app.poll() is None:
            titles = window_titles(x_display)
            if "Sign in" in titles:
                break
            time.sleep(0.2)
        running = app.poll() is None
    finally:
        if app.poll() is None:
            app.send_signal(signal.SIGTERM)  # a clean exit, as on logout from the desktop
        _out, err = app.communicate(timeout=30)
    assert running, f"alpr-desktop exited {app.returncode} before its window:\n{err[-3000:]}"
    assert "Sign in" in titles, f"no sign-in window on {x_display}:\n{titles[-2000:]}"
    assert "Could not load the Qt platform plugin" not in err
    assert app.returncode == 130, err[-3000:]
