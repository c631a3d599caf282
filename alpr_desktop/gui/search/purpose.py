"""The purpose and case number every search, canvass and opened read is recorded with.

The purpose is chosen from the department's list each time and is never pre-filled
(Civ. Code 1798.90.52: the detective states why, every time); the case number is
remembered for the window's session (:class:`CaseMemory`), since one detective usually
works one case through many searches. OK stays disabled until both are given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext


@dataclass(frozen=True)
class Declared:
    """What the detective declared for one search session."""

    purpose: str
    case_number: str


class CaseMemory:
    """The last case number given on a page, for this window's session only (memory)."""

    def __init__(self) -> None:
        self.case_number = ""


class PurposeDialog(QDialog):
    """Ask for the purpose (no default) and the case number (the last one pre-filled)."""

    def __init__(
        self,
        purposes: Sequence[str],
        memory: CaseMemory,
        what: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("purposeDialog")
        self.setWindowTitle("Purpose and case number")
        self.memory = memory
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"{what} is recorded in the access log with your name, the purpose and the "
            "case number before anything is shown.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.purpose_combo = QComboBox(self)
        self.purpose_combo.addItems(list(purposes))
        self.purpose_combo.setCurrentIndex(-1)  # never pre-filled
        self.purpose_combo.setPlaceholderText("Choose the purpose…")
        self.case_edit = QLineEdit(memory.case_number, self)
        self.case_edit.setPlaceholderText("e.g. 26-004711")
        self.case_edit.setMaxLength(64)
        form.addRow("Purpose:", self.purpose_combo)
        form.addRow("Case number:", self.case_edit)
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.purpose_combo.currentIndexChanged.connect(self._check)
        self.case_edit.textChanged.connect(self._check)
        self.setMinimumWidth(420)
        self._check()

    @property
    def ok_button(self) -> object:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def declared(self) -> Declared | None:
        purpose = self.purpose_combo.currentText() if self.purpose_combo.currentIndex() >= 0 else ""
        case = self.case_edit.text().strip()
        return Declared(purpose, case) if purpose and case else None

    def _check(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(self.declared() is not None)

    def accept(self) -> None:
        declared = self.declared()
        if declared is None:
            return
        self.memory.case_number = declared.case_number
        super().accept()


def with_purposes(
    gui: GuiContext,
    parent: QWidget,
    then: Callable[[list[str]], None],
    on_error: Callable[[AlprError], None],
) -> None:
    """Read the department's purposes on the worker, then call ``then(purposes)`` here.

    The list is read afresh each time: an administrator may change it meanwhile, and the
    service refuses a purpose no longer on it.
    """
    settings = gui.services.settings
    gui.background.run(
        lambda: list(settings.current().purposes),
        on_done=then,
        on_error=on_error,
        context=parent,
    )


def ask_purpose(
    gui: GuiContext,
    parent: QWidget,
    memory: CaseMemory,
    what: str,
    then: Callable[[Declared], None],
    on_error: Callable[[AlprError], None],
) -> None:
    """Load the department's purposes (worker), ask, and call ``then`` when OK is pressed."""

    def opened(purposes: list[str]) -> None:
        dialog = PurposeDialog(purposes, memory, what, parent)
        dialog.accepted.connect(lambda: _declared(dialog, then))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    with_purposes(gui, parent, opened, on_error)


def _declared(dialog: PurposeDialog, then: Callable[[Declared], None]) -> None:
    declared = dialog.declared()
    if declared is not None:
        then(declared)
