"""Themed icons follow the theme: a button given its icon by ``ThemeManager.set_icon``
is redrawn in the dark theme's text colour, and a deleted button ends the connection."""

from __future__ import annotations

import shiboken6
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.theme import load_palette


def _inked(button: QPushButton) -> set[str]:
    """The opaque colours the button's icon is drawn in."""
    image = button.icon().pixmap(32, 32).toImage().convertToFormat(QImage.Format.Format_ARGB32)
    colours = set()
    for y in range(image.height()):
        for x in range(image.width()):
            pixel = image.pixelColor(x, y)
            if pixel.alpha() == 255:
                colours.add(pixel.name())
    return colours


def test_a_themed_icon_is_redrawn_when_the_theme_changes(qtbot: QtBot, gui: GuiContext) -> None:
    button = QPushButton("Export…")
    qtbot.addWidget(button)
    gui.theme.set_icon(button, "fa5s.file-export")
    light = QColor(load_palette("light")["text"]).name()
    dark = QColor(load_palette("dark")["text"]).name()
    assert light != dark and _inked(button) == {light}
    gui.theme.apply("dark")
    try:
        assert _inked(button) == {dark}
        gui.theme.set_icon(button, "fa5s.check")  # replaces the icon; still one keeper
        gui.theme.apply("light")
        assert _inked(button) == {light}
        doomed = QPushButton("Gone")
        gui.theme.set_icon(doomed, "fa5s.times")
        shiboken6.delete(doomed)
        gui.theme.apply("dark")  # no keeper of a deleted button is called
    finally:
        gui.theme.apply("light")
