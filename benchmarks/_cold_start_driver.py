"""Child process of ``bench_cold_start.py``: start the GUI as ``alpr-desktop`` does.

Runs ``alpr_desktop.cli.main(["--data-dir", DIR])`` — the same path as
``python -m alpr_desktop --data-dir DIR`` — with a QTimer that polls
``QApplication.topLevelWidgets()`` for the first visible, exposed dialog, and then until
that dialog is ready to sign in (its Sign-in button enabled). Then it prints one JSON
line (times from ``time.perf_counter()``, the modules check) and asks
the event loop to quit, which ends ``run_gui`` through its normal clean-up.

Not run on its own; see ``bench_cold_start.py`` for the command.
"""

import time

DRIVER_STARTED_AT = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog  # noqa: E402

from alpr_desktop import cli  # noqa: E402

IMPORTS_DONE_AT = time.perf_counter()
HEAVY = ("torch", "torchvision", "easyocr", "cv2", "onnxruntime", "folium", "scipy")
POLL_MS = 5


def seconds_since_process_start() -> float:
    """Wall time since the kernel started this process (10 ms resolution)."""
    with open("/proc/self/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    start_ticks = int(fields[19])  # field 22 of stat(5), counted after "pid (comm)"
    with open("/proc/uptime", encoding="ascii") as fh:
        uptime = float(fh.read().split()[0])
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


def first_dialog() -> QDialog | None:
    for widget in QApplication.topLevelWidgets():
        handle = widget.windowHandle()
        if (
            isinstance(widget, QDialog)
            and widget.isVisible()
            and handle is not None
            and handle.isExposed()
        ):
            return widget
    return None


STATE: dict = {}


def poll(app: QApplication, timer: QTimer) -> None:
    dialog = first_dialog()
    if dialog is None:
        return
    if "shown_at" not in STATE:
        STATE["shown_at"] = time.perf_counter()
        STATE["since_proc_start_s"] = round(seconds_since_process_start(), 3)
    # The sign-in window appears while the database is still opening; it is ready when
    # its Sign-in button is enabled (LoginDialog.preparing is False).
    if getattr(dialog, "preparing", False):
        return
    ready_at = time.perf_counter()
    timer.stop()
    report = {
        "driver_started_at": DRIVER_STARTED_AT,
        "imports_done_at": IMPORTS_DONE_AT,
        "shown_at": STATE["shown_at"],
        "ready_at": ready_at,
        "since_proc_start_s": STATE["since_proc_start_s"],
        "window": type(dialog).__name__,
        "title": dialog.windowTitle(),
        "checked_modules": list(HEAVY),
        "heavy_modules": sorted(m for m in HEAVY if m in sys.modules),
        "modules_loaded": len(sys.modules),
    }
    print(json.dumps(report), flush=True)
    app.exit(0)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", required=True)
    args = parser.parse_args()
    # run_gui reuses an existing QApplication (as under pytest-qt), so creating it here
    # only moves the same work a few lines earlier; the timer needs it to exist.
    app = QApplication(sys.argv[:1])
    timer = QTimer()
    timer.setInterval(POLL_MS)
    timer.timeout.connect(lambda: poll(app, timer))
    timer.start()
    return cli.main(["--data-dir", args.data_dir])


if __name__ == "__main__":
    sys.exit(main())
