"""An editable list of short texts: add, edit in place, remove, reorder, restore defaults.

The editor does not judge its entries (empty or duplicate ones included): the settings
schema does, when the list is saved, so there is one set of rules and one message.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QToolButton,
    QWidget,
)

from alpr_desktop.gui.theme import ThemeManager

_EDITABLE = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable

#: tool button key -> (icon, tooltip)
_TOOLS: dict[str, tuple[str, str]] = {
    "edit": ("fa5s.pen", "Edit the selected entry (or double-click it)"),
    "remove": ("fa5s.trash-alt", "Remove the selected entry"),
    "up": ("fa5s.arrow-up", "Move the selected entry up"),
    "down": ("fa5s.arrow-down", "Move the selected entry down"),
}


class ListEditor(QWidget):
    """A list of strings; :attr:`changed` fires on every edit."""

    changed = Signal()

    def __init__(
        self,
        theme: ThemeManager,
        *,
        noun: str,
        defaults: Sequence[str],
        restore_text: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.theme = theme
        self.defaults = tuple(defaults)
        self.list = QListWidget(self)
        self.list.setObjectName("settingsList")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.list.setMinimumHeight(60)
        model = self.list.model()
        for signal in (model.rowsInserted, model.rowsRemoved, model.rowsMoved):
            signal.connect(self._emit_changed)
        model.dataChanged.connect(self._emit_changed)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.new_edit = QLineEdit(self)
        self.new_edit.setPlaceholderText(f"New {noun}…")
        self.new_edit.setMinimumWidth(110)
        self.new_edit.returnPressed.connect(self.add)
        self.new_edit.textChanged.connect(self._update_buttons)
        self.add_button = QPushButton(theme.icon("fa5s.plus"), "Add", self)
        self.add_button.clicked.connect(self.add)
        self.restore_button = QPushButton(theme.icon("fa5s.undo"), restore_text, self)
        self.restore_button.setToolTip(
            "Replace the list with the defaults (nothing is stored until you save)"
        )
        self.restore_button.clicked.connect(self.restore_defaults)
        self.tools: dict[str, QToolButton] = {}
        # Two by two beside the list: a short list (the Settings page fits 1280x720) still
        # shows every tool.
        side = QGridLayout()
        side.setSpacing(4)
        for i, (key, (icon, tip)) in enumerate(_TOOLS.items()):
            button = QToolButton(self)
            button.setIcon(theme.icon(icon))
            button.setToolTip(tip)
            button.setAccessibleName(tip)
            self.tools[key] = button
            side.addWidget(button, i // 2, i % 2)
        side.setRowStretch(len(_TOOLS) // 2, 1)
        self.tools["edit"].clicked.connect(self.edit_current)
        self.tools["remove"].clicked.connect(self.remove_current)
        self.tools["up"].clicked.connect(lambda: self.move_current(-1))
        self.tools["down"].clicked.connect(lambda: self.move_current(1))
        add_row = QHBoxLayout()
        add_row.setSpacing(6)
        add_row.addWidget(self.new_edit, 1)
        add_row.addWidget(self.add_button)
        add_row.addSpacing(12)
        add_row.addWidget(self.restore_button)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(6)
        grid.addWidget(self.list, 0, 0)
        grid.addLayout(side, 0, 1)
        grid.addLayout(add_row, 1, 0, 1, 2)
        theme.changed.connect(self._recolour)
        self._quiet = False
        self._update_buttons()

    # ------------------------------------------------------------------ values
    def items(self) -> list[str]:
        return [self.list.item(row).text() for row in range(self.list.count())]

    def set_items(self, items: Sequence[str]) -> None:
        self._quiet = True
        try:
            self.list.clear()
            for text in items:
                self._append(text)
        finally:
            self._quiet = False
        self._emit_changed()

    def _append(self, text: str, row: int | None = None) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setFlags(_EDITABLE)
        self.list.insertItem(self.list.count() if row is None else row, item)
        return item

    # ------------------------------------------------------------------ actions
    def add(self) -> None:
        """Append the text of the entry box (if any) and select it."""
        text = self.new_edit.text().strip()
        if not text:
            return
        item = self._append(text)
        self.list.setCurrentItem(item)
        self.list.scrollToItem(item)
        self.new_edit.clear()

    def edit_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.list.editItem(item)

    def remove_current(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)

    def move_current(self, delta: int) -> None:
        row = self.list.currentRow()
        target = row + delta
        if row < 0 or not 0 <= target < self.list.count():
            return
        self._quiet = True
        try:
            item = self.list.takeItem(row)
            self.list.insertItem(target, item)
        finally:
            self._quiet = False
        self.list.setCurrentRow(target)
        self._emit_changed()

    def restore_defaults(self) -> None:
        self.set_items(self.defaults)

    # ------------------------------------------------------------------ state
    def _emit_changed(self) -> None:
        if not self._quiet:
            self._update_buttons()
            self.changed.emit()

    def _update_buttons(self) -> None:
        row = self.list.currentRow() if self.list.selectedItems() else -1
        self.tools["edit"].setEnabled(row >= 0)
        self.tools["remove"].setEnabled(row >= 0)
        self.tools["up"].setEnabled(row > 0)
        self.tools["down"].setEnabled(0 <= row < self.list.count() - 1)
        self.add_button.setEnabled(bool(self.new_edit.text().strip()))

    def _recolour(self) -> None:
        for key, button in self.tools.items():
            button.setIcon(self.theme.icon(_TOOLS[key][0]))
        self.add_button.setIcon(self.theme.icon("fa5s.plus"))
        self.restore_button.setIcon(self.theme.icon("fa5s.undo"))
