"""Light and dark themes: one QSS template, two colour palettes, themed icons.

The style sheet (``resources/qss/base.qss``) names colours as ``@token``; the palettes
(``resources/qss/light.json`` and ``dark.json``) give each token a value, so both
themes always style the same widgets.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Literal

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

ThemeName = Literal["light", "dark"]
THEMES: tuple[ThemeName, ...] = ("light", "dark")


def _resource(name: str) -> str:
    return files("alpr_desktop").joinpath("resources", "qss", name).read_text(encoding="utf-8")


def load_palette(theme: ThemeName) -> dict[str, str]:
    return dict(json.loads(_resource(f"{theme}.json")))


def style_sheet(theme: ThemeName) -> str:
    """The QSS for ``theme``: the template with every ``@token`` replaced."""
    qss = _resource("base.qss")
    for key, value in sorted(load_palette(theme).items(), key=lambda kv: -len(kv[0])):
        qss = qss.replace(f"@{key}", value)
    # Images the sheet draws (the tick of a checked box) live beside it.
    folder = files("alpr_desktop").joinpath("resources", "qss")
    return qss.replace("$qss_dir", str(folder).replace("\\", "/"))


def _qpalette(colours: dict[str, str]) -> QPalette:
    palette = QPalette()
    role = QPalette.ColorRole
    for roles, key in (
        ((role.Window,), "window"),
        ((role.WindowText, role.Text, role.ButtonText, role.ToolTipText), "text"),
        ((role.Base, role.ToolTipBase), "input_bg"),
        ((role.AlternateBase, role.Button), "surface_alt"),
        ((role.Highlight,), "selection"),
        ((role.HighlightedText,), "selection_text"),
        ((role.PlaceholderText,), "text_muted"),
        ((role.Link,), "accent"),
    ):
        for r in roles:
            palette.setColor(r, QColor(colours[key]))
    palette.setColor(QPalette.ColorGroup.Disabled, role.Text, QColor(colours["text_muted"]))
    palette.setColor(QPalette.ColorGroup.Disabled, role.ButtonText, QColor(colours["text_muted"]))
    return palette


class ThemeManager(QObject):
    """Applies a theme to the application and hands out icons in its colours."""

    changed = Signal(str)

    def __init__(self, app: QApplication, theme: ThemeName = "light") -> None:
        super().__init__(app)
        self._app = app
        self._name: ThemeName = theme
        self._colours = load_palette(theme)

    @property
    def name(self) -> ThemeName:
        return self._name

    def colour(self, token: str) -> str:
        return self._colours[token]

    def apply(self, theme: ThemeName | None = None) -> None:
        """Switch to ``theme`` (or re-apply the current one) and announce it."""
        if theme is not None:
            if theme not in THEMES:
                raise ValueError(f"unknown theme {theme!r}")
            self._name = theme
            self._colours = load_palette(theme)
        self._app.setStyle("Fusion")
        self._app.setPalette(_qpalette(self._colours))
        self._app.setStyleSheet(style_sheet(self._name))
        self.changed.emit(self._name)

    def icon(self, name: str, colour: str = "text") -> QIcon:
        """A qtawesome icon drawn in the theme colour named ``colour``."""
        import qtawesome as qta  # imported on first use: it costs ~0.5 s of cold start

        return qta.icon(name, color=self._colours[colour], color_disabled=self._colours["border"])

    def set_icon(self, target: QObject, name: str, colour: str = "text") -> None:
        """Give ``target`` (a button or an action) icon ``name``, redrawn on every theme
        change for as long as the target lives; a second call replaces the icon."""
        keeper = target.findChild(_IconKeeper, _KEEPER, Qt.FindChildOption.FindDirectChildrenOnly)
        if keeper is None:
            keeper = _IconKeeper(self, target)
        keeper.show(name, colour)


_KEEPER = "themeIconKeeper"


class _IconKeeper(QObject):
    """Redraws its parent's icon when the theme changes; deleted with its parent, which
    ends the connection (a lambda would outlive the widget)."""

    def __init__(self, theme: ThemeManager, target: QObject) -> None:
        super().__init__(target)
        self.setObjectName(_KEEPER)
        self._theme, self._target = theme, target
        self._name, self._colour = "", "text"
        theme.changed.connect(self.redraw)

    def show(self, name: str, colour: str) -> None:
        self._name, self._colour = name, colour
        self.redraw()

    @Slot()
    def redraw(self) -> None:
        self._target.setIcon(self._theme.icon(self._name, self._colour))  # type: ignore[attr-defined]


def application_icon() -> QIcon:
    """The window icon, from the SVG master shipped in the package resources."""
    svg = files("alpr_desktop").joinpath("resources", "icons", "alpr-desktop.svg")
    return QIcon(str(svg))
