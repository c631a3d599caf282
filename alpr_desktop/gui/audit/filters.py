"""The Audit page's filter bar: who, when, what, and the plate inside the query.

Text fields match exactly (the service trims them); the plate is normalised as plates
are everywhere and found inside the recorded query. Apply (or Enter in any field) and
Clear emit :attr:`AuditFilterBar.applied`; the page runs the view.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from alpr_desktop.gui.search.filters import aware, datetime_edit
from alpr_desktop.services.audit_query import CATEGORIES, OUTCOMES, AuditFilters

ANY_CATEGORY = "any category"
ANY_OUTCOME = "any outcome"


class AuditFilterBar(QWidget):
    """User, from/to, category, action, outcome, plate, purpose, case, workstation."""

    #: Apply or Clear was pressed (the page reads :meth:`filters`).
    applied = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        now = dt.datetime.now(dt.UTC)
        self.user_edit = self._line("username")
        self.since_check = QCheckBox("From", self)
        self.since_edit = datetime_edit(self, now - dt.timedelta(days=30))
        self.until_check = QCheckBox("to", self)
        self.until_edit = datetime_edit(self, now + dt.timedelta(hours=1))
        for check, edit in (
            (self.since_check, self.since_edit),
            (self.until_check, self.until_edit),
        ):
            edit.setEnabled(False)
            check.toggled.connect(edit.setEnabled)
        self.category_combo = QComboBox(self)
        self.category_combo.addItem(ANY_CATEGORY, "")
        for category in CATEGORIES:
            self.category_combo.addItem(category, category)
        self.action_edit = self._line("e.g. search_reads")
        self.outcome_combo = QComboBox(self)
        self.outcome_combo.addItem(ANY_OUTCOME, "")
        for outcome in OUTCOMES:
            self.outcome_combo.addItem(outcome, outcome)
        self.plate_edit = self._line("plate in the query, e.g. 7ABC123")
        self.plate_edit.setObjectName("auditPlate")
        self.purpose_edit = self._line("purpose")
        self.case_edit = self._line("case number")
        self.workstation_edit = self._line("workstation")
        self.apply_button = QPushButton("Apply", self)
        self.apply_button.setObjectName("auditApply")
        self.apply_button.setDefault(True)
        self.apply_button.clicked.connect(self.applied)
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.clicked.connect(self.clear)

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(6)
        fields: list[tuple[str, QWidget]] = [
            ("User:", self.user_edit),
            ("Plate:", self.plate_edit),
            ("Purpose:", self.purpose_edit),
            ("Case:", self.case_edit),
            ("Action:", self.action_edit),
        ]
        for column, (label, widget) in enumerate(fields):
            grid.addWidget(QLabel(label, self), 0, 2 * column)
            grid.addWidget(widget, 0, 2 * column + 1)
            grid.setColumnStretch(2 * column + 1, 1)
        second = QHBoxLayout()
        second.setSpacing(8)
        for widget in (
            self.since_check,
            self.since_edit,
            self.until_check,
            self.until_edit,
            QLabel("Workstation:", self),
        ):
            second.addWidget(widget)
        second.addWidget(self.workstation_edit, 1)
        for widget in (self.category_combo, self.outcome_combo):
            second.addWidget(widget)
        second.addWidget(self.clear_button)
        second.addWidget(self.apply_button)
        grid.addLayout(second, 1, 0, 1, 2 * len(fields))

    def _line(self, placeholder: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setPlaceholderText(placeholder)
        edit.setClearButtonEnabled(True)
        edit.returnPressed.connect(self.applied)
        return edit

    def filters(self) -> AuditFilters:
        """The filters as typed (the service checks them; see ``AuditFilters.cleaned``)."""

        def chosen(combo: QComboBox) -> str:
            return str(combo.currentData() or "")

        return AuditFilters(
            user=self.user_edit.text(),
            since=aware(self.since_edit) if self.since_check.isChecked() else None,
            until=aware(self.until_edit) if self.until_check.isChecked() else None,
            category=chosen(self.category_combo),
            action=self.action_edit.text(),
            outcome=chosen(self.outcome_combo),
            plate=self.plate_edit.text(),
            purpose=self.purpose_edit.text(),
            case_number=self.case_edit.text(),
            workstation=self.workstation_edit.text(),
        )

    def clear(self) -> None:
        """Every field back to "any", then apply (the newest records of the whole trail)."""
        for edit in (
            self.user_edit,
            self.action_edit,
            self.plate_edit,
            self.purpose_edit,
            self.case_edit,
            self.workstation_edit,
        ):
            edit.clear()
        self.since_check.setChecked(False)
        self.until_check.setChecked(False)
        self.category_combo.setCurrentIndex(0)
        self.outcome_combo.setCurrentIndex(0)
        self.applied.emit()
