"""Search: the investigator's partial-plate search (requirements §5, policy 471.4(c)).

The pattern is checked as it is typed (:meth:`SearchService.compile` is pure Python, no
database, so it runs here on the GUI thread); nothing runs until it compiles and the
filters parse. Pressing Search asks for the purpose and case number
(:mod:`~alpr_desktop.gui.search.purpose`) and then runs the search on the long-job
thread, a busy bar showing meanwhile (Cancel drops the answer; the search itself, once
recorded, is not undone).

One *search session* is a search as submitted: its later pages (fetched as the table
scrolls, each a recorded search) and the reads opened from its results reuse the purpose
and case number given for it, since they are the same inquiry; a new search asks again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.core.roles import Action
from alpr_desktop.errors import AlprError, ValidationError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.map_view import map_button
from alpr_desktop.gui.pages.base import Page
from alpr_desktop.gui.pages.holds import RequestHoldDialog
from alpr_desktop.gui.search.detail import LoadedRead, ReadDetailPane, load_read
from alpr_desktop.gui.search.export import ExportBar
from alpr_desktop.gui.search.filters import FilterBar
from alpr_desktop.gui.search.map_window import MapWindow
from alpr_desktop.gui.search.purpose import CaseMemory, Declared, ask_purpose, with_purposes
from alpr_desktop.gui.search.results import (
    THUMBNAIL,
    SearchResultsModel,
    ThumbnailedPage,
    decode_thumbnails,
)
from alpr_desktop.gui.widgets import show_inline_error
from alpr_desktop.services.base import Actor
from alpr_desktop.services.search import CANDIDATE_LIMIT, ReadResult, SearchRequest

PAGE_SIZE = 100
SLOW_HELP = (
    "Neither three characters in a row nor two in a row ending in a fixed character (in "
    "every variant): the index cannot help, so this search reads every stored plate and "
    "may take seconds."
)
PATTERN_HELP = "* any run of characters, ? one character; case and spaces are ignored."


@dataclass(frozen=True)
class SearchSession:
    """One submitted search: what later pages and opened reads are recorded under."""

    number: int
    request: SearchRequest
    declared: Declared


class SearchPage(Page):
    def __init__(self, gui: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(gui, actor, "Search", parent)
        self.memory = CaseMemory()
        self.session: SearchSession | None = None
        self._sessions = 0
        self.selected_id: int | None = None
        #: A search's first page is awaited (the busy bar shows).
        self.running = False
        self.model = SearchResultsModel()
        self.model.fetch = self._fetch
        self._build()
        self.validate()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.pattern_edit = QLineEdit(self)
        self.pattern_edit.setObjectName("searchPattern")
        self.pattern_edit.setPlaceholderText("Plate or pattern, e.g. 7AB*12 or ?XYZ45?")
        self.pattern_edit.setToolTip(PATTERN_HELP)
        self.pattern_edit.textChanged.connect(self.validate)
        self.pattern_edit.returnPressed.connect(self.submit)
        self.confusable_check = QCheckBox("Confusable", self)
        self.confusable_check.setToolTip("Also characters readers confuse (8/B, 0/O/D, 1/I …)")
        self.fuzzy_check = QCheckBox("One edit", self)
        self.fuzzy_check.setToolTip("Also plates one character different, missing or extra")
        for check in (self.confusable_check, self.fuzzy_check):
            check.toggled.connect(self.validate)
        self.search_button = QPushButton("Search…", self)
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.submit)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setFixedWidth(120)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        top = QHBoxLayout()
        top.addWidget(self.pattern_edit, 1)
        top.addWidget(self.confusable_check)
        top.addWidget(self.fuzzy_check)
        top.addWidget(self.busy)
        top.addWidget(self.cancel_button)
        top.addWidget(self.search_button)
        self.pattern_label = QLabel(self)
        self.pattern_label.setObjectName("muted")
        self.error_label = QLabel(self)
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        show_inline_error(self.error_label, "")
        self.filter_bar = FilterBar(self)
        self.layout_.addLayout(top)
        self.layout_.addWidget(self.pattern_label)
        self.layout_.addWidget(self.filter_bar)
        self.layout_.addWidget(self.error_label)
        self.layout_.addWidget(self._splitter(), 1)

    def _splitter(self) -> QSplitter:
        self.table = QTableView(self)
        self.table.setObjectName("searchResults")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setIconSize(THUMBNAIL)
        self.table.verticalHeader().setDefaultSectionSize(THUMBNAIL.height() + 6)
        self.table.setWordWrap(False)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.count_label = QLabel("Enter a pattern and press Search.", self)
        self.count_label.setObjectName("muted")
        self.count_label.setWordWrap(True)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        self.export_bar = ExportBar(self.gui, self.actor, self._exportable, self)
        self.export_bar.watch(self.model)
        self.hold_button = QPushButton("Hold…", self)
        self.hold_button.setObjectName("searchHold")
        self.hold_button.setToolTip(
            "Request an evidence hold on the reads listed (the ids can be trimmed)"
        )
        self.hold_button.setVisible(self.actor.may(Action.REQUEST_EVIDENCE_HOLD))
        self.hold_button.setEnabled(False)
        self.hold_button.clicked.connect(self.request_hold)
        self.model.modelReset.connect(self._update_hold)
        self.model.rowsInserted.connect(self._update_hold)
        self.hold_dialog: QWidget | None = None
        below = QHBoxLayout()
        below.addWidget(self.count_label, 1)
        below.addWidget(self.hold_button)
        self.map_button = map_button(
            self, self.actor, "searchMap", "Every match with a position on a map (recorded)"
        )
        self.map_button.clicked.connect(self.show_map)
        self.map_window: QWidget | None = None
        below.addWidget(self.map_button)
        below.addWidget(self.export_bar)
        left_layout.addLayout(below)
        self.detail = ReadDetailPane()
        scroll = QScrollArea(self)
        scroll.setObjectName("readDetail")
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
        splitter.setSizes([600, 440])
        return splitter

    def _update_hold(self) -> None:
        self.hold_button.setEnabled(self.session is not None and self.model.loaded > 0)
        self.map_button.setEnabled(self.session is not None and self.model.loaded > 0)

    def request_hold(self) -> None:
        """The hold request form with the listed reads' ids and the search's case."""
        session = self.session
        if session is None or not self.model.loaded:
            return
        ids = [self.model.result_at(row).read_id for row in range(self.model.loaded)]
        actor, case = self.actor, session.declared.case_number

        def opened(purposes: list[str]) -> None:
            dialog = RequestHoldDialog(
                self.gui, actor, purposes, self, case_number=case, read_ids=ids
            )
            dialog.finished.connect(dialog.deleteLater)
            self.hold_dialog = dialog
            dialog.open()

        with_purposes(self.gui, self, opened, self._failed)

    def _exportable(self) -> tuple[SearchRequest, int] | None:
        """The current search session's request and match count (Export…)."""
        session = self.session
        return None if session is None else (session.request, self.model.total)

    # ------------------------------------------------------------------ validation
    def _request(self) -> SearchRequest:
        return SearchRequest(
            self.pattern_edit.text(),
            "",
            "",
            confusable=self.confusable_check.isChecked(),
            fuzzy=self.fuzzy_check.isChecked(),
            limit=PAGE_SIZE,
        )

    def validate(self) -> bool:
        """Check the pattern as typed (pure, GUI thread); say what is wrong at once."""
        text = self.pattern_edit.text()
        try:
            compiled = self.gui.services.search.compile(self._request())
        except ValidationError as exc:
            self.pattern_label.setObjectName("errorLabel" if text.strip() else "muted")
            self.pattern_label.setText(str(exc) if text.strip() else PATTERN_HELP)
            self._restyle(self.pattern_label)
            self.search_button.setEnabled(False)
            return False
        self.pattern_label.setObjectName("muted")
        slow = "" if compiled.indexed else f"  {SLOW_HELP}"
        self.pattern_label.setText(f"Searches for {compiled.text}.{slow}  {PATTERN_HELP}")
        self._restyle(self.pattern_label)
        self.search_button.setEnabled(not self.running)
        return True

    @staticmethod
    def _restyle(widget: QWidget) -> None:
        widget.style().unpolish(widget)
        widget.style().polish(widget)

    # ------------------------------------------------------------------ searching
    def submit(self) -> None:
        """Check the pattern and filters, then ask for the purpose and case, then run."""
        if self.running or not self.validate():
            return
        try:
            filters = self.filter_bar.filters()
        except ValidationError as exc:
            show_inline_error(self.error_label, str(exc))
            return
        show_inline_error(self.error_label, "")
        request = replace(self._request(), filters=filters)
        ask_purpose(
            self.gui,
            self,
            self.memory,
            "The search",
            lambda declared: self.run_search(request, declared),
            self._failed,
        )

    def run_search(self, request: SearchRequest, declared: Declared) -> None:
        """Run ``request`` as a new search session under ``declared`` (worker)."""
        self._sessions += 1
        request = replace(
            request,
            purpose=declared.purpose,
            case_number=declared.case_number,
            offset=0,
            thumbnails=True,
        )
        session = SearchSession(self._sessions, request, declared)
        self.session = session
        self.selected_id = None
        self.model.clear()
        self.detail.clear()
        self._set_busy(True)
        self.count_label.setText("Searching…")
        search, actor = self.gui.services.search, self.actor
        self.gui.background.run(
            lambda: decode_thumbnails(search.search(actor, request)),
            on_done=lambda page: self._first(session, page),
            on_error=lambda exc: self._search_failed(session, exc),
            context=self,
            long=True,
        )

    def cancel(self) -> None:
        """Stop waiting for the running search (its access record stays)."""
        if self.session is None:
            return
        self._sessions += 1
        self.session = None
        self._set_busy(False)
        self.count_label.setText("Cancelled. The search was recorded when it started.")

    def _set_busy(self, busy: bool) -> None:
        self.running = busy
        self.busy.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.search_button.setEnabled(not busy and self.validate_quiet())

    def validate_quiet(self) -> bool:
        try:
            self.gui.services.search.compile(self._request())
        except ValidationError:
            return False
        return True

    def _first(self, session: SearchSession, found: ThumbnailedPage) -> None:
        if session is not self.session:
            return  # cancelled, or another search since
        self._set_busy(False)
        self.model.set_first(found.page, found.images)
        self._counted()

    def _fetch(self, offset: int) -> None:
        """The next page of the current search (a recorded search of its own)."""
        session = self.session
        if session is None:
            self.model.loading = False
            return
        request = replace(session.request, offset=offset)
        search, actor = self.gui.services.search, self.actor
        self.count_label.setText(f"Loading results {offset + 1}–{offset + PAGE_SIZE}…")
        self.gui.background.run(
            lambda: decode_thumbnails(search.search(actor, request)),
            on_done=lambda page: self._more(session, page),
            on_error=lambda exc: self._search_failed(session, exc),
            context=self,
            long=True,
        )

    def _more(self, session: SearchSession, found: ThumbnailedPage) -> None:
        if session is not self.session:
            return
        self.model.append(found.page, found.images)
        self._counted()

    def _counted(self) -> None:
        session = self.session
        model = self.model
        if model.total == 0:
            text = "No reads match."
        else:
            text = f"{model.total:,} read(s) match, best first; {model.loaded:,} shown."
        if model.capped:
            text += (
                f" More than {CANDIDATE_LIMIT:,} reads fit the pattern: narrow it or the filters."
            )
        if session is not None:
            text += (
                f" Recorded under case {session.declared.case_number} "
                f"({session.declared.purpose}); each further page is a recorded search."
            )
        self.count_label.setText(text)

    def _search_failed(self, session: SearchSession, error: AlprError) -> None:
        if session is not self.session:
            return
        self.model.loading = False
        self._set_busy(False)
        self.count_label.setText("The search did not run.")
        show_inline_error(self.error_label, str(error))

    def _failed(self, error: AlprError) -> None:
        show_inline_error(self.error_label, str(error))

    # ------------------------------------------------------------------ one read
    def _selection_changed(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if not indexes or self.session is None:
            return
        row = indexes[0].row()
        found = self.model.result_at(row)
        if found.read_id == self.selected_id:
            return
        self.open_row(row)

    def open_row(self, row: int) -> None:
        """Open the read on ``row`` (worker; an ``open_read`` access record)."""
        session = self.session
        if session is None:
            return
        found = self.model.result_at(row)
        self.selected_id = found.read_id
        if self.table.currentIndex().row() != row:
            self.table.selectRow(row)
        self._load(session, found)

    def _load(self, session: SearchSession, found: ReadResult | int) -> None:
        """Open a read (a result, or an id clicked on the map) on the worker."""
        self.detail.clear("Opening the read…")
        services, actor, declared = self.gui.services, self.actor, session.declared
        self.gui.background.run(
            lambda: load_read(services, actor, found, declared),
            on_done=self._opened,
            on_error=lambda exc: self.detail.clear(f"The read could not be opened: {exc}"),
            context=self,
        )

    def open_read_id(self, read_id: int) -> None:
        """Open a read clicked on the map: its row when loaded, else by id (recorded)."""
        session = self.session
        if session is None:
            return
        for row in range(self.model.loaded):
            if self.model.result_at(row).read_id == read_id:
                self.open_row(row)
                return
        self.selected_id = read_id
        self.table.clearSelection()
        self._load(session, read_id)

    # ------------------------------------------------------------------ map
    def show_map(self) -> None:
        """The current search's reads on a map (a ``view_map`` access record)."""
        session = self.session
        if session is None:
            return
        maps, actor, request = self.gui.services.maps, self.actor, session.request
        window = MapWindow(
            self.gui,
            f"Map — {request.pattern} (case {session.declared.case_number})",
            lambda: maps.search_map(actor, request, draw=True),
            self,
        )
        window.view.bridge.read_clicked.connect(self.open_read_id)
        window.view.bridge.area_drawn.connect(self._area_drawn)
        window.finished.connect(window.deleteLater)
        self.map_window = window
        window.show()

    def _area_drawn(self, area: dict[str, object]) -> None:
        self.filter_bar.set_area(area)
        self.count_label.setText("The area drawn on the map is the search's area: press Search.")

    def _opened(self, loaded: LoadedRead) -> None:
        if loaded.found.read_id != self.selected_id:
            return  # the detective moved on meanwhile
        self.detail.show_loaded(loaded)
