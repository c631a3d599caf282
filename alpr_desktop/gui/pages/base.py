"""What every page of the main window shares: a title, the actor and change handling."""

from __future__ import annotations

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from alpr_desktop.gui.context import GuiContext
from alpr_desktop.messages import Changes, Topic
from alpr_desktop.services.base import Actor


class Page(QWidget):
    """A page reloads when one of its :attr:`topics` changes (at once if visible,
    otherwise the next time it is shown)."""

    topics: frozenset[Topic] = frozenset()

    def __init__(
        self, gui: GuiContext, actor: Actor, title: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.gui = gui
        self.actor = actor
        self._stale = True
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(24, 14, 24, 12)
        self.layout_.setSpacing(10)
        self.title_label = QLabel(title, self)
        self.title_label.setObjectName("pageTitle")
        self.layout_.addWidget(self.title_label)
        gui.bridge.changed.connect(self._on_changed)

    def refresh(self) -> None:
        """Load the page's data (on the background worker)."""

    def _on_changed(self, changes: Changes) -> None:
        if changes.touches(*self.topics):
            self._stale = True
            if self.isVisible():
                self._reload()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._reload()

    def _reload(self) -> None:
        self._stale = False
        self.refresh()
