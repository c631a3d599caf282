"""GUI test fixtures: offscreen Qt, a GuiContext on a fresh SQLite database."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before anything imports Qt
# Chromium's sandbox cannot run as root (the CI machines): the map tests' web engine.
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from alpr_desktop.app import Application
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.main import qt_application
from alpr_desktop.gui.theme import ThemeManager

#: Noise from the offscreen platform plugin itself, not from our code.
OFFSCREEN_NOISE = r"This plugin does not support (propagateSizeHints|raise)\(\)"
#: The web engine's start-up notes on a machine without a GPU, as root (the map tests).
WEB_ENGINE_NOISE = (
    r"Sandboxing disabled by user|QRhiGles2|Failed to create RHI|GPUInfo|Vulkan|"
    r"GBM is not supported|createPlatformVulkanInstance"
)
_HERE = os.path.dirname(__file__)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if str(item.path).startswith(_HERE):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE, WEB_ENGINE_NOISE))


@pytest.fixture
def gui(qapp: object, sqlite_app: Application) -> Iterator[GuiContext]:
    """A GUI context on a fresh SQLite database; the worker is shut down afterwards."""
    app = qt_application()
    theme = ThemeManager(app, "light")
    theme.apply()
    context = GuiContext.build(sqlite_app, theme, idle_lock_ms=60 * 60 * 1000)
    yield context
    context.close()
    theme.deleteLater()


def wait_idle(qtbot: QtBot, gui: GuiContext, timeout: int = 10_000) -> None:
    """Wait until every background job has run and its callback has been delivered."""
    qtbot.waitUntil(lambda: not gui.background.busy, timeout=timeout)
