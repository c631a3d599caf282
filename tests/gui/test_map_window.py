"""Maps in the workstation: the shapes drawn on a map are checked before use, and the
web-view cases (``web_map_cases.py``) pass in a process of their own.

Once Chromium has run in a process, a later test that ends the application's event loop
(``test_startup.py`` does, as the application does) crashes in the web engine's
``aboutToQuit`` handler under pytest (PySide6 6.12; the application itself quits
cleanly after showing maps). So the cases that start the web engine run in a child
pytest, on the same fixtures, and this test fails with its output when any of them does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from alpr_desktop.gui.map_view import parse_drawn_area, web_engine_problem

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(web_engine_problem() is not None, reason="no Qt WebEngine")
def test_the_web_view_cases_pass_in_their_own_process() -> None:
    cases = Path(__file__).with_name("web_map_cases.py")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-o",
         "python_files=web_map_cases.py", str(cases)],
        cwd=ROOT, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    tail = result.stdout[-6000:] + result.stderr[-3000:]
    assert result.returncode == 0, tail
    assert "6 passed" in result.stdout, tail


def test_a_drawn_shape_is_checked_before_it_is_used() -> None:
    circle = parse_drawn_area('{"geometry": {"type": "Point", "coordinates": [-121.49, 38.58]},'
                              ' "radius": 120.04}')  # fmt: skip
    assert circle == {"circle": (38.58, -121.49, 120.0)}
    for bad, why in (
        ("not json", "could not be read"),
        ('{"geometry": {"type": "LineString", "coordinates": []}}', "Draw a circle"),
        ('{"geometry": {"type": "Point", "coordinates": [0, 0]}, "radius": 90000}', "50 km"),
        ('{"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}}',
         "3 to"),
        ('{"geometry": {"type": "Polygon", "coordinates": [[[0, 95], [1, 1], [2, 2], [0, 95]]]}}',
         "off the globe"),
    ):  # fmt: skip
        with pytest.raises(ValueError, match=why):
            parse_drawn_area(bad)
