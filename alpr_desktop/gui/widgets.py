"""Small shared widget helpers: inline error labels, message boxes, busy state."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QMessageBox, QTableWidget, QWidget


def show_inline_error(label: QLabel, text: str) -> None:
    """Show ``text`` in an error label, or hide the label when ``text`` is empty."""
    label.setText(text)
    label.setVisible(bool(text))


def hidden_label(parent: QWidget, object_name: str = "errorLabel") -> QLabel:
    """A wrapping label, hidden until :func:`show_inline_error` gives it text."""
    label = QLabel(parent)
    label.setObjectName(object_name)
    label.setWordWrap(True)
    label.hide()
    return label


def set_busy(buttons: QDialogButtonBox, busy: bool) -> None:
    """Disable the OK button while a background call runs (no double submits)."""
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    if ok is not None:
        ok.setEnabled(not busy)


def message_box(
    parent: QWidget | None,
    title: str,
    text: str,
    icon: QMessageBox.Icon = QMessageBox.Icon.Warning,
) -> QMessageBox:
    """Open a window-modal message box without blocking (tests can find and close it)."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("messageBox")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def confirm(parent: QWidget | None, title: str, text: str, then: Callable[[], None]) -> QMessageBox:
    """Ask Yes/Cancel without blocking (Cancel the default); run ``then`` on Yes."""
    box = message_box(parent, title, text)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)

    def answered(button: object) -> None:
        if box.standardButton(button) == QMessageBox.StandardButton.Yes:  # type: ignore[arg-type]
            then()

    box.buttonClicked.connect(answered)
    return box


def selected_id(table: QTableWidget, column: int) -> object:
    """The id (``UserRole`` data of ``column``) of the selected row, or None."""
    rows = table.selectionModel().selectedRows()
    if not rows:
        return None
    item = table.item(rows[0].row(), column)
    return item.data(Qt.ItemDataRole.UserRole) if item is not None else None


def select_id(table: QTableWidget, column: int, wanted: object) -> None:
    """Select the row whose ``column`` holds id ``wanted`` (nothing when none does)."""
    for row in range(table.rowCount()):
        item = table.item(row, column)
        if item is not None and item.data(Qt.ItemDataRole.UserRole) == wanted:
            table.selectRow(row)
            return
