"""The review sample: the sampled searches, and a pane to judge the selected one."""

from __future__ import annotations

import json
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.services.audit_report import VERDICT_LABELS, ReviewItemView
from alpr_desktop.services.audit_report_document import query_text
from alpr_desktop.storage.models import ReviewVerdict

COLUMNS = ("#", "Verdict", "Recorded", "User", "Action", "Purpose", "Case", "Query")
VERDICT_COLUMN = 1
CHOICES = (ReviewVerdict.JUSTIFIED, ReviewVerdict.NOT_JUSTIFIED, ReviewVerdict.FOLLOW_UP)

#: Formats a time for display in the department's zone.
Formatter = Callable[[object], str]


class SampleTable(QTableWidget):
    """One row per sampled search, in the order drawn."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setObjectName("auditSample")
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.items_: list[ReviewItemView] = []

    def show_items(self, items: tuple[ReviewItemView, ...], when: Formatter) -> None:
        self.items_ = list(items)
        self.setRowCount(len(items))
        for row, item in enumerate(items):
            self._fill(row, item, when)

    def replace_item(self, item: ReviewItemView, when: Formatter) -> None:
        for row, known in enumerate(self.items_):
            if known.id == item.id:
                self.items_[row] = item
                self._fill(row, item, when)

    def _fill(self, row: int, item: ReviewItemView, when: Formatter) -> None:
        values = (
            str(item.position),
            VERDICT_LABELS[item.verdict],
            when(item.recorded_at),
            item.username,
            item.action,
            item.purpose,
            item.case_number or "(none)",
            query_text(item),
        )
        for column, text in enumerate(values):
            cell = QTableWidgetItem(text)
            if column == VERDICT_COLUMN and not item.reviewed:
                cell.setForeground(Qt.GlobalColor.darkYellow)
            self.setItem(row, column, cell)

    def selected(self) -> ReviewItemView | None:
        rows = self.selectionModel().selectedRows()
        return self.items_[rows[0].row()] if rows else None


class ReviewPane(QWidget):
    """The selected search in full, a verdict and a note; Save records it."""

    #: (item, verdict, note) to be saved.
    save_requested = Signal(object, object, str)

    def __init__(self, username: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewPane")
        self.username = username
        self.item: ReviewItemView | None = None
        self.final = False
        self.detail = QLabel("Select a sampled search to review it.", self)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.verdict_box = QComboBox(self)
        self.verdict_box.setObjectName("reviewVerdict")
        self.verdict_box.setPlaceholderText("Choose a verdict")
        for verdict in CHOICES:
            self.verdict_box.addItem(VERDICT_LABELS[verdict], verdict)
        self.note_edit = QPlainTextEdit(self)
        self.note_edit.setObjectName("reviewNote")
        self.note_edit.setPlaceholderText("Why (required unless justified)")
        self.note_edit.setMaximumHeight(90)
        self.save_button = QPushButton("Save verdict", self)
        self.save_button.setObjectName("reviewSave")
        self.save_button.clicked.connect(self._save)
        self.hint = QLabel(self)
        self.hint.setObjectName("muted")
        self.hint.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Verdict", self.verdict_box)
        form.addRow("Note", self.note_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.hint, 1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.detail, 1)
        layout.addLayout(form)
        layout.addLayout(buttons)
        self.show_item(None, lambda _moment: "")

    def show_item(self, item: ReviewItemView | None, when: Formatter) -> None:
        self.item = item
        if item is None:
            self.detail.setText("Select a sampled search to review it.")
        else:
            self.detail.setText(_describe(item, when))
            self.verdict_box.setCurrentIndex(CHOICES.index(item.verdict) if item.reviewed else -1)
            self.note_edit.setPlainText(item.note)
        self._update_state()

    def set_final(self, final: bool) -> None:
        self.final = final
        self._update_state()

    def _update_state(self) -> None:
        item = self.item
        own = item is not None and item.username == self.username
        editable = item is not None and not self.final and not own
        for widget in (self.verdict_box, self.note_edit, self.save_button):
            widget.setEnabled(editable)
        if self.final:
            self.hint.setText("Signed off: the verdicts are final.")
        elif own:
            self.hint.setText("Your own search: another supervisor or commander reviews it.")
        elif item is not None and item.reviewed:
            self.hint.setText(f"Reviewed by {item.reviewed_by}; saving replaces the verdict.")
        else:
            self.hint.setText("")

    def _save(self) -> None:
        if self.item is None:
            return
        verdict = self.verdict_box.currentData()
        if verdict is None:
            self.hint.setText("Choose a verdict first.")
            return
        self.save_requested.emit(self.item, verdict, self.note_edit.toPlainText())


def _describe(item: ReviewItemView, when: Formatter) -> str:
    try:
        query = json.dumps(json.loads(item.query), indent=1) if item.query else "(none)"
    except ValueError:
        query = item.query
    return (
        f"<b>#{item.position}</b> — access record {item.record_id}<br>"
        f"<b>When</b> {when(item.recorded_at)}<br><b>Who</b> {_html(item.username)}<br>"
        f"<b>Action</b> {_html(item.action)}"
        f"{f' ({_html(item.detail)})' if item.detail else ''}<br>"
        f"<b>Purpose</b> {_html(item.purpose)}<br><b>Case</b> {_html(item.case_number or '(none)')}"
        f"<br><b>Query</b><pre>{_html(query)}</pre>"
    )


def _html(text: str) -> str:
    from html import escape

    return escape(text)
