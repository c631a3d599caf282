"""Audit report: the periodic audit of policy 471.6(c) (requirements §9).

Choose a period of local days, a sample size and a seed (a random one is shown; type
one to redraw an earlier sample) and Run: the report is computed on the long-job thread
(a busy bar meanwhile) and saved. Its figures show as tables, searches per day and per
user as charts, and the random sample as a list: select a search, give a verdict and a
note, Save (each verdict is recorded). Sign off… is enabled once every sampled search is
reviewed; a signed-off report is final. Export CSV… and Export PDF… write it out (each
recorded). Past reports are listed on the left to reopen. Every call goes through
:class:`~alpr_desktop.services.audit_report.AuditReportService`.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QStandardPaths, Qt
from PySide6.QtWidgets import (
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.core.local_time import zone
from alpr_desktop.errors import AlprError
from alpr_desktop.gui.audit_report.figures import ChartsView, FiguresView
from alpr_desktop.gui.audit_report.render import write_report_pdf
from alpr_desktop.gui.audit_report.review import ReviewPane, SampleTable
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages.base import Page
from alpr_desktop.gui.widgets import message_box, show_inline_error
from alpr_desktop.messages import Topic
from alpr_desktop.services.audit_report import (
    MAX_SAMPLE,
    MAX_SEED,
    ExportedReport,
    ReportSummary,
    ReportView,
    ReviewItemView,
)
from alpr_desktop.services.audit_report_document import period_text, write_csv
from alpr_desktop.services.base import Actor
from alpr_desktop.storage.models import ReviewVerdict

#: Asks for the sign-off note (None: cancelled); tests replace it.
AskNote = Callable[[QWidget, ReportView], str | None]


def ask_sign_off_note(parent: QWidget, view: ReportView) -> str | None:
    note, ok = QInputDialog.getMultiLineText(
        parent,
        "Sign off the audit report",
        f"Sign off report #{view.summary.id} ({period_text(view)})?\n"
        "This is final: the verdicts can no longer be changed. Note (optional):",
    )
    return note if ok else None


def last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    first_this = today.replace(day=1)
    last = first_this - dt.timedelta(days=1)
    return last.replace(day=1), last


class AuditReportPage(Page):
    topics = frozenset({Topic.AUDIT})

    def __init__(self, gui: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(gui, actor, "Audit report", parent)
        self.view: ReportView | None = None
        self.running = False
        self.ask_note: AskNote = ask_sign_off_note
        #: The last message shown (an export's end), for the tests.
        self.message: QMessageBox | None = None
        self._build()
        self._show(None)

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        start, end = last_month(self.gui.services.ctx.display_now().date())
        self.since_edit = self._date_edit(start, "auditSince")
        self.until_edit = self._date_edit(end, "auditUntil")
        self.sample_spin = QSpinBox(self)
        self.sample_spin.setObjectName("auditSampleSize")
        self.sample_spin.setRange(0, MAX_SAMPLE)
        self.sample_spin.setValue(25)
        self.seed_edit = QLineEdit(self)
        self.seed_edit.setObjectName("auditSeed")
        self.seed_edit.setFixedWidth(120)
        self.seed_edit.setToolTip("The sample's seed: the same seed over the same trail redraws it")
        self.new_seed_button = QPushButton("New seed", self)
        self.new_seed_button.clicked.connect(self.new_seed)
        self.new_seed()
        self.run_button = QPushButton("Run report", self)
        self.run_button.setObjectName("auditRun")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run_report)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setFixedWidth(120)
        self.busy.setTextVisible(False)
        self.busy.hide()
        top = QHBoxLayout()
        for label, widget in (
            ("From", self.since_edit),
            ("to", self.until_edit),
            ("Sample", self.sample_spin),
            ("Seed", self.seed_edit),
        ):
            top.addWidget(QLabel(label, self))
            top.addWidget(widget)
        top.addWidget(self.new_seed_button)
        top.addStretch(1)
        top.addWidget(self.busy)
        top.addWidget(self.run_button)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        show_inline_error(self.error_label, "")
        self.layout_.addLayout(top)
        self.layout_.addWidget(self.error_label)
        self.layout_.addWidget(self._splitter(), 1)
        self.layout_.addLayout(self._bottom())

    def _date_edit(self, day: dt.date, name: str) -> QDateEdit:
        edit = QDateEdit(QDate(day.year, day.month, day.day), self)
        edit.setObjectName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        return edit

    def _splitter(self) -> QSplitter:
        self.reports_list = QListWidget(self)
        self.reports_list.setObjectName("auditReports")
        self.reports_list.setWordWrap(True)
        self.reports_list.itemActivated.connect(self._open_item)
        self.reports_list.itemClicked.connect(self._open_item)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        caption = QLabel("Past reports", left)
        caption.setObjectName("sectionTitle")
        left_layout.addWidget(caption)
        left_layout.addWidget(self.reports_list, 1)
        self.heading = QLabel(self)
        self.heading.setObjectName("auditHeading")
        self.heading.setWordWrap(True)
        self.figures = FiguresView(self)
        self.charts = ChartsView(self)
        self.sample_table = SampleTable(self)
        self.sample_table.itemSelectionChanged.connect(self._selection_changed)
        self.review_pane = ReviewPane(self.actor.username, self)
        self.review_pane.save_requested.connect(self.save_review)
        review = QSplitter(Qt.Orientation.Horizontal, self)
        review.addWidget(self.sample_table)
        review.addWidget(self.review_pane)
        review.setStretchFactor(0, 3)
        review.setStretchFactor(1, 2)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.figures, "Figures")
        self.tabs.addTab(self.charts, "Charts")
        self.tabs.addTab(review, "Review sample")
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.heading)
        right_layout.addWidget(self.tabs, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([170, 950])
        return splitter

    def _bottom(self) -> QHBoxLayout:
        self.status_label = QLabel(self)
        self.status_label.setObjectName("muted")
        self.status_label.setWordWrap(True)
        self.sign_off_button = QPushButton("Sign off…", self)
        self.sign_off_button.setObjectName("auditSignOff")
        self.sign_off_button.clicked.connect(self.sign_off)
        self.csv_button = QPushButton("Export CSV…", self)
        self.csv_button.clicked.connect(lambda: self.choose_export("csv"))
        self.pdf_button = QPushButton("Export PDF…", self)
        self.pdf_button.clicked.connect(lambda: self.choose_export("pdf"))
        bottom = QHBoxLayout()
        bottom.addWidget(self.status_label, 1)
        for button in (self.sign_off_button, self.csv_button, self.pdf_button):
            bottom.addWidget(button)
        return bottom

    # ------------------------------------------------------------------ state
    def new_seed(self) -> None:
        self.seed_edit.setText(str(secrets.randbelow(MAX_SEED + 1)))

    def when(self, moment: object) -> str:
        if not isinstance(moment, dt.datetime) or self.view is None:
            return ""
        return moment.astimezone(zone(self.view.time_zone)).strftime("%Y-%m-%d %H:%M")

    def _show(self, view: ReportView | None) -> None:
        self.view = view
        self.figures.show_report(view)
        self.charts.show_report(view)
        self.sample_table.show_items(view.items if view else (), self.when)
        self.review_pane.show_item(None, self.when)
        self.review_pane.set_final(view is not None and view.summary.signed_off)
        if view is None:
            self.heading.setText("Run a report for a period, or open a past one.")
        else:
            s = view.summary
            state = (
                f"signed off by {s.signed_off_by} on {self.when(s.signed_off_at)}"
                if s.signed_off
                else "draft"
            )
            sample = view.sample_info
            self.heading.setText(
                f"<b>Report #{s.id}</b> — {period_text(view)} ({view.time_zone}); run by "
                f"{s.created_by} on {self.when(s.created_at)}; sample of {sample.get('drawn', 0)} "
                f"of {sample.get('population', 0)} searches, seed {s.seed}; <b>{state}</b>"
            )
        self._update_buttons()

    def _update_buttons(self) -> None:
        view = self.view
        self.run_button.setEnabled(not self.running)
        self.sign_off_button.setEnabled(not self.running and view is not None and view.can_sign_off)
        for button in (self.csv_button, self.pdf_button):
            button.setEnabled(not self.running and view is not None)
        if view is None:
            self.status_label.setText("")
        elif view.summary.signed_off:
            self.status_label.setText("Signed off: final.")
        else:
            left = len(view.items) - view.reviewed
            self.status_label.setText(
                f"{view.reviewed} of {len(view.items)} sampled searches reviewed"
                + (f"; {left} to go before sign-off." if left else "; ready to sign off.")
            )

    def _set_busy(self, busy: bool) -> None:
        self.running = busy
        self.busy.setVisible(busy)
        self._update_buttons()

    def _failed(self, error: AlprError) -> None:
        self._set_busy(False)
        show_inline_error(self.error_label, str(error))

    # ------------------------------------------------------------------ past reports
    def refresh(self) -> None:
        reports, actor = self.gui.services.audit_reports, self.actor
        self.gui.background.run(
            lambda: reports.list_reports(actor),
            on_done=self._listed,
            on_error=self._failed,
            context=self,
        )

    def _listed(self, summaries: list[ReportSummary]) -> None:
        self.reports_list.clear()
        for s in summaries:
            tz = zone(s.time_zone)
            first = s.period_start.astimezone(tz).date().isoformat()
            last = (s.period_end - dt.timedelta(microseconds=1)).astimezone(tz).date().isoformat()
            state = f"signed off by {s.signed_off_by}" if s.signed_off else "draft"
            item = QListWidgetItem(f"#{s.id} · {state}\n{first} – {last}")
            item.setData(Qt.ItemDataRole.UserRole, s.id)
            self.reports_list.addItem(item)

    def _open_item(self, item: QListWidgetItem) -> None:
        self.open_report(int(item.data(Qt.ItemDataRole.UserRole)))

    def open_report(self, report_id: int) -> None:
        reports, actor = self.gui.services.audit_reports, self.actor
        show_inline_error(self.error_label, "")
        self.gui.background.run(
            lambda: reports.open(actor, report_id),
            on_done=self._show,
            on_error=self._failed,
            context=self,
        )

    # ------------------------------------------------------------------ running
    def run_report(self) -> None:
        if self.running:
            return
        text = self.seed_edit.text().strip()
        if not text.isdigit() or int(text) > MAX_SEED:
            show_inline_error(self.error_label, f"The seed is a whole number from 0 to {MAX_SEED}.")
            return
        since, until = self.since_edit.date().toPython(), self.until_edit.date().toPython()
        sample, seed = self.sample_spin.value(), int(text)
        show_inline_error(self.error_label, "")
        self._set_busy(True)
        reports, actor = self.gui.services.audit_reports, self.actor
        self.gui.background.run(
            lambda: reports.run(actor, since=since, until=until, sample_size=sample, seed=seed),
            on_done=self._ran,
            on_error=self._failed,
            context=self,
            long=True,
        )

    def _ran(self, view: ReportView) -> None:
        self._set_busy(False)
        self.new_seed()
        self._show(view)
        self.refresh()

    # ------------------------------------------------------------------ reviewing
    def _selection_changed(self) -> None:
        self.review_pane.show_item(self.sample_table.selected(), self.when)

    def save_review(self, item: ReviewItemView, verdict: ReviewVerdict, note: str) -> None:
        view = self.view
        if view is None:
            return
        reports, actor, report_id = self.gui.services.audit_reports, self.actor, view.summary.id
        show_inline_error(self.error_label, "")
        self.gui.background.run(
            lambda: reports.review(actor, report_id, item.id, verdict, note),
            on_done=self._reviewed,
            on_error=self._failed,
            context=self,
        )

    def _reviewed(self, item: ReviewItemView) -> None:
        view = self.view
        if view is None:
            return
        items = tuple(item if known.id == item.id else known for known in view.items)
        self.view = ReportView(view.summary, view.figures, items, view.agency_name, view.time_zone)
        self.sample_table.replace_item(item, self.when)
        if self.review_pane.item is not None and self.review_pane.item.id == item.id:
            self.review_pane.show_item(item, self.when)
        self._update_buttons()

    # ------------------------------------------------------------------ sign-off
    def sign_off(self) -> None:
        view = self.view
        if view is None or not view.can_sign_off:
            return
        note = self.ask_note(self, view)
        if note is None:
            return
        reports, actor, report_id = self.gui.services.audit_reports, self.actor, view.summary.id
        self._set_busy(True)
        self.gui.background.run(
            lambda: reports.sign_off(actor, report_id, note),
            on_done=self._signed,
            on_error=self._failed,
            context=self,
        )

    def _signed(self, view: ReportView) -> None:
        self._set_busy(False)
        self._show(view)
        self.refresh()

    # ------------------------------------------------------------------ exporting
    def choose_export(self, kind: str) -> None:
        view = self.view
        if view is None:
            return
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        suggested = Path(folder) / f"audit-report-{view.summary.id}.{kind}"
        path, _filter = QFileDialog.getSaveFileName(
            self, f"Export the audit report as {kind.upper()}", str(suggested), f"*.{kind}"
        )
        if path:
            target = Path(path)
            if target.suffix.lower() != f".{kind}":
                target = target.with_name(f"{target.name}.{kind}")
            self.export(kind, target)

    def export(self, kind: str, target: Path) -> None:
        """Write the open report to ``target`` as ``kind`` (csv, pdf) on the long thread."""
        view = self.view
        if view is None:
            return
        writer: Any = write_report_pdf if kind == "pdf" else write_csv
        reports, actor, report_id = self.gui.services.audit_reports, self.actor, view.summary.id
        self._set_busy(True)
        self.gui.background.run(
            lambda: reports.export(actor, report_id, target, writer),
            on_done=self._exported,
            on_error=self._failed,
            context=self,
            long=True,
        )

    def _exported(self, done: ExportedReport) -> None:
        self._set_busy(False)
        self.message = message_box(
            self,
            "Audit report exported",
            f"Wrote {done.path} ({done.size:,} bytes, SHA-256 {done.sha256}).",
            QMessageBox.Icon.Information,
        )
