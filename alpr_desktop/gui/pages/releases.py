"""Release requests (policy 471.7; Civ. Code 1798.90.55): the list, the request, the
decision, the package and the sharing log.

The list comes from ``ReleaseService.list_requests`` on the worker (recorded): every
request for a supervisor or commander, an officer's own otherwise; the status filter
narrows what is shown. The pane below the table shows the selected request as written
and its decision, and — when the agency may not receive ALPR data — why approval is
blocked, in red. An officer writes and submits requests (:class:`RequestDialog`); the
commander decides them (:class:`DecisionDialog`) and fulfils approved ones
(:class:`FulfilDialog`); any request can be printed as its record on file (PDF, written
on the worker). Holders of ``VIEW_RELEASES`` also see the sharing log: every package
sent, with its SHA-256 sums.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.core.releases import ReleaseStatus
from alpr_desktop.core.roles import Action
from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages.base import Page
from alpr_desktop.gui.pages.release_decision import DecisionDialog, request_summary
from alpr_desktop.gui.pages.release_dialogs import RequestDialog
from alpr_desktop.gui.pages.release_fulfil import FulfilDialog
from alpr_desktop.gui.search.purpose import with_purposes
from alpr_desktop.gui.widgets import (
    confirm,
    hidden_label,
    message_box,
    select_id,
    selected_id,
    show_inline_error,
)
from alpr_desktop.messages import Topic
from alpr_desktop.services.base import Actor
from alpr_desktop.services.release_record import STATUS_LABELS, record_title
from alpr_desktop.services.release_records import ReleaseView, ShareView

#: The requester is in the detail pane: the table keeps to what a commander sorts by.
COLUMNS = ("Request", "Agency", "Agency type", "Case", "Status", "Submitted", "Decided by")
REQUEST, AGENCY, KIND, CASE, STATUS, SUBMITTED, DECIDER = range(len(COLUMNS))
SHARE_COLUMNS = ("Sent", "Request", "Agency", "Case", "By", "Recipient", "How", "Reads",
                 "Package", "Package SHA-256")  # fmt: skip
_ALL = "All"

#: Lets tests answer the file chooser: (parent, suggested path) -> chosen path or None.
ChoosePdf = Callable[[QWidget, str], str | None]


def choose_pdf(parent: QWidget, suggested: str) -> str | None:
    path, _filter = QFileDialog.getSaveFileName(
        parent, "Print the request record to", suggested, "PDF (*.pdf)"
    )
    return path or None


def print_record(gui: GuiContext, actor: Actor, request_id: int, target: Path) -> Path:
    """Write request ``request_id``'s record to ``target`` as a PDF (worker thread)."""
    from alpr_desktop.gui.pdf import PdfDocument, write_pdf
    from alpr_desktop.services.release_record import release_record_html

    view = gui.services.releases.get(actor, request_id)
    html = release_record_html(view, time_zone=view.time_zone, department=actor.organisation)
    write_pdf(PdfDocument(record_title(view), html, footer=f"Printed by {actor.username}"), target)
    return target


def _table(parent: QWidget, name: str, columns: tuple[str, ...], stretch: int) -> QTableWidget:
    table = QTableWidget(0, len(columns), parent)
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(columns))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


class ReleasesPage(Page):
    """Release requests and the actions on them; the sharing log."""

    topics = frozenset({Topic.RELEASES})
    choose_pdf_path: ChoosePdf = staticmethod(choose_pdf)

    def __init__(self, gui: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(gui, actor, "Releases", parent)
        self.requests: list[ReleaseView] = []
        self.shares: list[ShareView] = []
        self.active_dialog: QDialog | None = None
        self.message: QMessageBox | None = None
        self.printed: Path | None = None
        self.may_view = actor.may(Action.VIEW_RELEASES)
        intro = QLabel(
            "Written requests from other agencies for ALPR data. Only California state and "
            "local public agencies may receive it (Civ. Code 1798.90.55(b)); the commander "
            "decides each request, and every package sent is in the sharing log.",
            self,
        )
        intro.setObjectName("muted")
        intro.setWordWrap(True)
        self.layout_.addWidget(intro)
        bar = QHBoxLayout()
        self.status_combo = QComboBox(self)
        self.status_combo.addItem(_ALL)
        for status in ReleaseStatus:
            self.status_combo.addItem(status.value.capitalize(), status)
        self.status_combo.currentIndexChanged.connect(self._fill)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        bar.addWidget(QLabel("Status:", self))
        bar.addWidget(self.status_combo)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("muted")
        bar.addWidget(self.count_label)
        bar.addStretch(1)
        bar.addWidget(self.refresh_button)
        self.layout_.addLayout(bar)
        self.error_label = hidden_label(self)
        self.layout_.addWidget(self.error_label)
        self.tabs = QTabWidget(self)
        requests_tab = QWidget(self.tabs)
        requests_layout = QVBoxLayout(requests_tab)
        requests_layout.setContentsMargins(0, 6, 0, 0)
        splitter = QSplitter(Qt.Orientation.Vertical, requests_tab)
        self.table = _table(splitter, "releasesTable", COLUMNS, AGENCY)
        self.table.itemSelectionChanged.connect(self._selected)
        detail = QWidget(splitter)
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 4, 0, 0)
        self.blocker_label = hidden_label(detail)
        self.detail_label = QLabel(detail)
        self.detail_label.setObjectName("releaseDetail")
        self.detail_label.setWordWrap(True)
        self.detail_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        detail_layout.addWidget(self.blocker_label)
        detail_layout.addWidget(self.detail_label, 1)
        splitter.addWidget(self.table)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([420, 300])  # the detail pane starts readable, not collapsed
        splitter.setChildrenCollapsible(False)
        requests_layout.addWidget(splitter, 1)
        self.tabs.addTab(requests_tab, "Requests")
        self.share_table = _table(self.tabs, "sharingLogTable", SHARE_COLUMNS, 9)
        if self.may_view:
            self.tabs.addTab(self.share_table, "Sharing log")
        else:
            self.share_table.hide()
        self.layout_.addWidget(self.tabs, 1)
        actions = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        may_write = actor.may(Action.CREATE_RELEASE_REQUEST)
        for key, label, icon, shown, slot in (
            ("new", "New request…", "fa5s.plus", may_write, self.do_new),
            ("edit", "Edit…", "fa5s.edit", may_write, self.do_edit),
            ("submit", "Submit", "fa5s.paper-plane", may_write, self.do_submit),
            ("discard", "Discard draft…", "fa5s.trash-alt", may_write, self.do_discard),
            ("decide", "Decide…", "fa5s.gavel", actor.may(Action.DECIDE_RELEASE_REQUEST),
             self.do_decide),
            ("fulfil", "Fulfil…", "fa5s.file-export", actor.may(Action.FULFIL_RELEASE),
             self.do_fulfil),
            ("print", "Print record…", "fa5s.print", True, self.do_print),
        ):  # fmt: skip
            button = QPushButton(label, self)
            button.setObjectName(f"release_{key}")
            gui.theme.set_icon(button, icon)
            button.setVisible(shown)
            button.clicked.connect(slot)
            actions.addWidget(button)
            self.buttons[key] = button
        actions.addStretch(1)
        self.layout_.addLayout(actions)
        self.busy = False
        self._update_buttons()

    # ------------------------------------------------------------------ loading
    def refresh(self) -> None:
        self.refresh_button.setEnabled(False)
        releases, actor, may_view = self.gui.services.releases, self.actor, self.may_view
        self.gui.background.run(
            lambda: (
                releases.list_requests(actor),
                releases.sharing_log(actor) if may_view else [],
            ),
            on_done=self._loaded,
            on_error=self._failed,
            context=self,
        )

    def _loaded(self, loaded: tuple[list[ReleaseView], list[ShareView]]) -> None:
        self.requests, self.shares = loaded
        self.refresh_button.setEnabled(True)
        self.error_label.hide()
        self._fill()
        self._fill_shares()

    def _failed(self, error: AlprError) -> None:
        self.refresh_button.setEnabled(True)
        self.busy = False
        self._update_buttons()
        show_inline_error(self.error_label, str(error))

    def shown(self) -> list[ReleaseView]:
        """The requests the status filter lets through, in the table's order."""
        wanted = self.status_combo.currentData()
        return [r for r in self.requests if wanted is None or r.status is wanted]

    def _fill(self) -> None:
        selected = self.selected_request()
        views = self.shown()
        awaiting = sum(1 for r in self.requests if r.status is ReleaseStatus.SUBMITTED)
        self.count_label.setText(
            f"{len(views)} of {len(self.requests)} request(s); {awaiting} awaiting a decision"
        )
        self.table.setRowCount(len(views))
        for row, view in enumerate(views):
            f = view.fields
            cells = (
                str(view.id),
                f.agency_name or "—",
                f.agency_type.short_label,
                f.case_number or "—",
                view.status.value.capitalize(),
                f"{view.submitted_at.astimezone():%Y-%m-%d %H:%M}" if view.submitted_at else "—",
                view.decided_by or "—",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, view.id)
                if column == REQUEST:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if column == STATUS:
                    item.setToolTip(STATUS_LABELS[view.status])
                if column == KIND:
                    item.setToolTip(f.agency_type.label)
                self.table.setItem(row, column, item)
        if selected is not None:
            self.select_request(selected.id)
        self._selected()

    def _fill_shares(self) -> None:
        self.share_table.setRowCount(len(self.shares))
        for row, s in enumerate(self.shares):
            cells = (
                f"{s.shared_at.astimezone():%Y-%m-%d %H:%M}",
                str(s.request_id),
                s.agency_name,
                s.case_number,
                s.shared_by,
                s.recipient,
                s.delivery or "—",
                f"{s.read_count:,}",
                s.package_name,
                s.package_sha256,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 9:
                    item.setToolTip(f"Package {s.package_sha256}\nManifest {s.manifest_sha256}")
                self.share_table.setItem(row, column, item)

    # ------------------------------------------------------------------ selection
    def selected_request(self) -> ReleaseView | None:
        request_id = selected_id(self.table, REQUEST)
        return next((r for r in self.requests if r.id == request_id), None)

    def select_request(self, request_id: int) -> None:
        select_id(self.table, REQUEST, request_id)

    def _selected(self) -> None:
        view = self.selected_request()
        self._update_buttons()
        if view is None:
            show_inline_error(self.blocker_label, "")
            self.detail_label.setText("Select a request to see it here.")
            return
        pending = view.status in (ReleaseStatus.DRAFT, ReleaseStatus.SUBMITTED)
        blocker = view.blocker if pending else None
        show_inline_error(self.blocker_label, f"Approval is blocked: {blocker}" if blocker else "")
        decision = ""
        if view.decided_by:
            when = f"{view.decided_at.astimezone():%Y-%m-%d %H:%M}" if view.decided_at else ""
            decision = (
                f"<p><b>{escape(STATUS_LABELS[view.status])}</b> by {escape(view.decided_by)} "
                f"{when}: {escape(view.decision_reason)}"
                + (f" — referred to {escape(view.referred_to)}" if view.referred_to else "")
                + (f"; fulfilled by {escape(view.fulfilled_by)}" if view.fulfilled_by else "")
                + "</p>"
            )
        self.detail_label.setText(
            f"<p><b>Request {view.id}</b>, recorded by {escape(view.created_by)}</p>"
            + request_summary(view)
            + decision
        )

    def _update_buttons(self) -> None:
        view = self.selected_request()
        status = view.status if view is not None else None
        idle = not self.busy
        self.buttons["edit"].setEnabled(idle and view is not None and view.editable)
        self.buttons["submit"].setEnabled(idle and status is ReleaseStatus.DRAFT)
        self.buttons["discard"].setEnabled(idle and status is ReleaseStatus.DRAFT)
        self.buttons["decide"].setEnabled(idle and status is ReleaseStatus.SUBMITTED)
        self.buttons["fulfil"].setEnabled(idle and status is ReleaseStatus.APPROVED)
        self.buttons["print"].setEnabled(idle and view is not None)

    # ------------------------------------------------------------------ actions
    def _open(self, dialog: QDialog) -> None:
        self.active_dialog = dialog
        dialog.accepted.connect(self.refresh)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _tell(self, title: str, text: str, icon: QMessageBox.Icon) -> None:
        self.message = message_box(self, title, text, icon)

    def do_new(self) -> None:
        actor = self.actor

        def opened(purposes: list[str]) -> None:
            self._open(RequestDialog(self.gui, actor, purposes, self))

        with_purposes(self.gui, self, opened, self._failed)

    def do_edit(self) -> None:
        view = self.selected_request()
        if view is None:
            return
        releases, settings, actor = (
            self.gui.services.releases,
            self.gui.services.settings,
            self.actor,
        )

        def opened(loaded: tuple[ReleaseView, list[str]]) -> None:
            full, purposes = loaded
            self._open(RequestDialog(self.gui, actor, purposes, self, view=full))

        self.gui.background.run(
            lambda: (releases.get(actor, view.id), list(settings.current().purposes)),
            on_done=opened,
            on_error=self._failed,
            context=self,
        )

    def do_submit(self) -> None:
        view = self.selected_request()
        if view is None:
            return
        releases, actor = self.gui.services.releases, self.actor
        self._run(lambda: releases.submit(actor, view.id), lambda _v: self.refresh())

    def do_discard(self) -> None:
        """Discard the selected draft (with its attachments), once the officer confirms."""
        view = self.selected_request()
        if view is None or view.status is not ReleaseStatus.DRAFT:
            return
        releases, actor, request_id = self.gui.services.releases, self.actor, view.id
        agency = view.fields.agency_name or "an unnamed agency"
        self.message = confirm(
            self,
            "Discard draft",
            f"Discard draft request {request_id} from {agency} and its attachments? "
            "A draft was never submitted; the access trail keeps that it was discarded.",
            lambda: self._run(
                lambda: releases.delete_draft(actor, request_id), lambda _n: self.refresh()
            ),
        )

    def do_decide(self) -> None:
        view = self.selected_request()
        if view is not None:
            self._open(DecisionDialog(self.gui, self.actor, view, self))

    def do_fulfil(self) -> None:
        view = self.selected_request()
        if view is not None:
            self._open(FulfilDialog(self.gui, self.actor, view, self))

    def do_print(self) -> None:
        view = self.selected_request()
        if view is None:
            return
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        suggested = Path(folder) / f"release-request-{view.id}.pdf"
        chosen = self.choose_pdf_path(self, str(suggested))
        if not chosen:
            return
        target = Path(chosen)
        if target.suffix.lower() != ".pdf":
            target = target.with_name(f"{target.name}.pdf")
        gui, actor, request_id = self.gui, self.actor, view.id
        self._run(lambda: print_record(gui, actor, request_id, target), self._printed, long=True)

    def _printed(self, path: Path) -> None:
        self.printed = path
        self._tell("Request record printed", f"Wrote {path}.", QMessageBox.Icon.Information)

    def _run(
        self, work: Callable[[], Any], then: Callable[[Any], None], *, long: bool = False
    ) -> None:
        self.busy = True
        self._update_buttons()
        show_inline_error(self.error_label, "")

        def done(result: Any) -> None:
            self.busy = False
            self._update_buttons()
            then(result)

        self.gui.background.run(work, on_done=done, on_error=self._failed, context=self, long=long)
