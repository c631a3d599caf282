"""One access record in full: every field, its query pretty-printed, its hashes.

The page opens the record through :meth:`AuditQueryService.record` on the worker (an
``audit_open`` record); the pane only shows the :class:`AuditEntry` it is given.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.services.audit_query import AuditEntry


class _Value(QLabel):
    def __init__(self, parent: QWidget) -> None:
        super().__init__("—", parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)


def _when(recorded_at: dt.datetime) -> str:
    """Local time with its zone, and the stored UTC time when the zone is another."""
    local = recorded_at.astimezone()
    text = f"{local:%Y-%m-%d %H:%M:%S %Z}"
    if local.utcoffset() != dt.timedelta(0):
        text += f" ({recorded_at.astimezone(dt.UTC):%H:%M:%S} UTC)"
    return text


def _hash_field(parent: QWidget) -> QLineEdit:
    """A hash, whole and exact to copy (64 hex digits do not wrap), in a fixed font."""
    edit = QLineEdit(parent)
    edit.setReadOnly(True)
    edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    return edit


class RecordDetailPane(QWidget):
    """The right-hand side of the Audit page."""

    FIELDS = (
        ("time", "Time:"),
        ("user", "User:"),
        ("workstation", "Workstation:"),
        ("action", "Action:"),
        ("outcome", "Outcome:"),
        ("purpose", "Purpose:"),
        ("case", "Case:"),
        ("target", "Target:"),
        ("detail", "Detail:"),
    )
    HASHES = (("record_hash", "Hash:"), ("prev_hash", "Previous:"))
    PLACEHOLDER = "Select a record to open it in full (opening it is recorded too)."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry: AuditEntry | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.placeholder = QLabel(self.PLACEHOLDER, self)
        self.placeholder.setObjectName("muted")
        self.placeholder.setWordWrap(True)
        layout.addWidget(self.placeholder)
        self.body = QWidget(self)
        layout.addWidget(self.body, 1)
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(6)
        self.heading = QLabel(self.body)
        self.heading.setObjectName("cardTitle")
        body.addWidget(self.heading)
        form = QFormLayout()
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(4)
        self.values: dict[str, QLabel | QLineEdit] = {}
        for key, label in self.FIELDS:
            self.values[key] = _Value(self.body)
            form.addRow(label, self.values[key])
        for key, label in self.HASHES:
            self.values[key] = _hash_field(self.body)
            form.addRow(label, self.values[key])
        body.addLayout(form)
        body.addWidget(QLabel("Query as recorded:", self.body))
        self.query_view = QPlainTextEdit(self.body)
        self.query_view.setObjectName("auditQuery")
        self.query_view.setReadOnly(True)
        self.query_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.query_view.setMinimumHeight(110)
        body.addWidget(self.query_view, 1)
        self.clear()

    def clear(self, text: str = PLACEHOLDER) -> None:
        self.entry = None
        self.placeholder.setText(text)
        self.placeholder.show()
        self.body.hide()

    def show_entry(self, entry: AuditEntry) -> None:
        self.entry = entry
        row = entry.row
        self.heading.setText(f"Access record #{row.seq} ({row.category})")
        organisation = f" ({entry.organisation})" if entry.organisation else ""
        values = {
            "time": _when(row.recorded_at),
            "user": f"{row.username}{organisation}",
            "workstation": row.workstation,
            "action": row.action,
            "outcome": row.outcome,
            "purpose": row.purpose,
            "case": row.case_number,
            "target": row.target,
            "detail": entry.detail,
            "record_hash": entry.record_hash,
            "prev_hash": entry.prev_hash,
        }
        for key, value in values.items():
            self.values[key].setText(value or "—")
        for key, _label in self.HASHES:
            field = self.values[key]
            if isinstance(field, QLineEdit):
                field.setCursorPosition(0)  # the start of the hash, as it is compared
        self.query_view.setPlainText(entry.pretty_query() or "(no query)")
        self.placeholder.hide()
        self.body.show()
