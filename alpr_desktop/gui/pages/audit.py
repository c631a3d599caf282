"""Audit: the access-trail viewer for supervisors and commanders (requirements §9).

Looking at the trail is itself recorded (policy 471.6): each view — the filters as
applied, Apply or Clear, and the newest records when the page is first shown — is an
``audit_view`` record the service commits before it reads a record; the table's later
pages, fetched as it scrolls, continue that view (no new record). Opening a record in
the detail pane is an ``audit_open``; Export CSV… / Export PDF… an ``audit_export``.
All of it runs on the background worker; the GUI thread only checks the filters (pure).
The chain verification panel (``VerifyPanel``) sits above the table for users who may
verify the trail.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.core.roles import Action
from alpr_desktop.errors import AlprError, ValidationError
from alpr_desktop.gui.audit.audit_model import AuditTableModel
from alpr_desktop.gui.audit.export import AuditExportBar
from alpr_desktop.gui.audit.filters import AuditFilterBar
from alpr_desktop.gui.audit.record_detail import RecordDetailPane
from alpr_desktop.gui.audit.verify_panel import VerifyPanel
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages.base import Page
from alpr_desktop.gui.widgets import show_inline_error
from alpr_desktop.services.audit_query import AuditEntry, AuditFilters, TrailPage
from alpr_desktop.services.base import Actor

PAGE_SIZE = 200
#: Purpose, case and target: elided in the table (the detail pane shows them whole).
FREE_TEXT_COLUMNS = (6, 7, 8)


@dataclass(frozen=True)
class View:
    """One applied set of filters: what later pages continue (``view_id`` once known)."""

    number: int
    filters: AuditFilters
    view_id: int | None = None


class AuditPage(Page):
    def __init__(self, gui: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(gui, actor, "Audit", parent)
        self.view: View | None = None
        self._views = 0
        self.selected_id: int | None = None
        self.model = AuditTableModel()
        self.model.fetch = self._fetch
        self._build()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.verify_panel: VerifyPanel | None = None
        if self.actor.may(Action.VERIFY_AUDIT):
            self.verify_panel = VerifyPanel(self.gui, self.actor, self)
            self.layout_.addWidget(self.verify_panel)
        self.filter_bar = AuditFilterBar(self)
        self.filter_bar.applied.connect(self.apply)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        show_inline_error(self.error_label, "")
        self.layout_.addWidget(self.filter_bar)
        self.layout_.addWidget(self.error_label)
        self.layout_.addWidget(self._splitter(), 1)

    def _splitter(self) -> QSplitter:
        self.table = QTableView(self)
        self.table.setObjectName("auditRecords")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # Free text (purpose, case, target) is elided to a width; the pane shows it whole.
        for column in FREE_TEXT_COLUMNS:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, 120)
        header.setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.count_label = QLabel("Loading the newest records…", self)
        self.count_label.setObjectName("muted")
        self.count_label.setWordWrap(True)
        self.export_bar = AuditExportBar(self.gui, self.actor, self._exportable, self)
        self.model.modelReset.connect(self.export_bar.refresh)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        below = QHBoxLayout()
        below.addWidget(self.count_label, 1)
        below.addWidget(self.export_bar)
        left_layout.addLayout(below)
        self.detail = RecordDetailPane()
        scroll = QScrollArea(self)
        scroll.setObjectName("auditDetail")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.detail)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(scroll)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([700, 380])
        return splitter

    def _exportable(self) -> AuditFilters | None:
        """The view on screen's filters, when it has records (Export…)."""
        view = self.view
        if view is None or view.view_id is None or self.model.loaded == 0:
            return None
        return view.filters

    # ------------------------------------------------------------------ viewing
    def refresh(self) -> None:
        """First shown: the newest records of the whole trail (a recorded view)."""
        if self.view is None:
            self.apply()

    def apply(self) -> None:
        """Check the filters (pure, here), then run them as a new view (worker)."""
        try:
            filters = self.filter_bar.filters().cleaned()
        except ValidationError as exc:
            show_inline_error(self.error_label, str(exc))
            return
        show_inline_error(self.error_label, "")
        self._views += 1
        view = View(self._views, filters)
        self.view = view
        self.selected_id = None
        self.model.clear()
        self.detail.clear()
        self.count_label.setText("Looking…")
        service, actor = self.gui.services.audit_query, self.actor
        self.gui.background.run(
            lambda: service.page(actor, filters, limit=PAGE_SIZE),
            on_done=lambda page: self._first(view, page),
            on_error=lambda exc: self._failed(view, exc),
            context=self,
        )

    def _first(self, view: View, page: TrailPage) -> None:
        if view is not self.view:
            return  # applied again meanwhile
        self.view = View(view.number, view.filters, page.view_id)
        self.model.set_first(page)
        self._counted()

    def _fetch(self, offset: int) -> None:
        """The next page of the view on screen (continues it; nothing new recorded)."""
        view = self.view
        if view is None or view.view_id is None:
            self.model.loading = False
            return
        service, actor = self.gui.services.audit_query, self.actor
        view_id = view.view_id
        self.gui.background.run(
            lambda: service.page(actor, view.filters, offset=offset, limit=PAGE_SIZE, view=view_id),
            on_done=lambda page: self._more(view, page),
            on_error=lambda exc: self._failed(view, exc),
            context=self,
        )

    def _more(self, view: View, page: TrailPage) -> None:
        if self.view is None or view.number != self.view.number:
            return
        self.model.append(page)
        self._counted()

    def _counted(self) -> None:
        model, view = self.model, self.view
        if model.total is None:
            more = " and more" if model.more else ""
            text = f"{model.loaded:,} record(s){more} fit, newest first (too many to count)."
        elif model.total == 0:
            text = "No records fit these filters."
        elif model.total_capped:
            text = f"More than {model.total:,} records fit, newest first; {model.loaded:,} shown."
        else:
            text = f"{model.total:,} record(s) fit, newest first; {model.loaded:,} shown."
        if view is not None and view.view_id is not None:
            text += f" This view is recorded in the trail (record id {view.view_id})."
        self.count_label.setText(text)

    def _failed(self, view: View, error: AlprError) -> None:
        if self.view is None or view.number != self.view.number:
            return
        self.model.loading = False
        self.count_label.setText("The trail could not be read.")
        show_inline_error(self.error_label, str(error))

    # ------------------------------------------------------------------ one record
    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if not indexes:
            return
        row = indexes[0].row()
        if self.model.row_at(row).id != self.selected_id:
            self.open_row(row)

    def open_row(self, row: int) -> None:
        """Open the record on ``row`` in full (worker; an ``audit_open`` record)."""
        found = self.model.row_at(row)
        self.selected_id = found.id
        if self.table.currentIndex().row() != row:
            self.table.selectRow(row)
        self.detail.clear("Opening the record…")
        service, actor = self.gui.services.audit_query, self.actor
        self.gui.background.run(
            lambda: service.record(actor, found.id),
            on_done=self._opened,
            on_error=lambda exc: self.detail.clear(f"The record could not be opened: {exc}"),
            context=self,
        )

    def _opened(self, entry: AuditEntry) -> None:
        if entry.row.id != self.selected_id:
            return  # the supervisor moved on meanwhile
        self.detail.show_entry(entry)
