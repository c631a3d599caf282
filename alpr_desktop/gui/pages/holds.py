"""Evidence holds (policy 471.5): the list, the request, the decision and the release.

The list comes from ``EvidenceService.list_holds`` on the worker (recorded), open holds
only unless "Include closed" is ticked; the status filter narrows what is shown. A hold
whose review date has come (or comes within :data:`REVIEW_SOON_DAYS`) is shown in bold
and red with "due" in its Review column, and counted above the table. An investigator
requests a hold in :class:`RequestHoldDialog` (the purpose chosen from the department's
list, never pre-filled); a supervisor approves or refuses it — never their own, which
the service refuses and the dialog shows; a hold is released with a reason. Each
dialog runs its one call on the worker and stays open on a refusal. An approved hold is
exported with a chain of custody (:mod:`.hold_export`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from alpr_desktop.core.roles import Action
from alpr_desktop.errors import AlprError, ValidationError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages.base import Page
from alpr_desktop.gui.pages.hold_export import HoldExportBar
from alpr_desktop.gui.pages.user_dialogs import ActionDialog, ServiceDialog
from alpr_desktop.gui.search.filters import aware, datetime_edit
from alpr_desktop.gui.search.purpose import with_purposes
from alpr_desktop.gui.widgets import hidden_label, select_id, selected_id, show_inline_error
from alpr_desktop.messages import Topic
from alpr_desktop.services.base import Actor
from alpr_desktop.services.evidence import HoldView, PlatePeriod
from alpr_desktop.storage.models import HoldStatus

COLUMNS = ("Hold", "Case", "Status", "Reads", "Requested by", "Requested", "Decided by", "Review")
HOLD, CASE, STATUS, READS, REQUESTER, REQUESTED, DECIDER, REVIEW = range(len(COLUMNS))
#: A review date this close (or past) is shown as due.
REVIEW_SOON_DAYS = 7
#: The review date a new request starts with (the investigator changes it as needed).
DEFAULT_REVIEW_DAYS = 90
_ALL = "All"


def review_due(hold: HoldView, today: dt.date) -> bool:
    """An open hold whose review date is past or within :data:`REVIEW_SOON_DAYS`."""
    open_ = hold.status in (HoldStatus.REQUESTED, HoldStatus.APPROVED)
    return open_ and hold.review_on <= today + dt.timedelta(days=REVIEW_SOON_DAYS)


def parse_read_ids(text: str) -> list[int]:
    """Read ids separated by commas, spaces or new lines (empty: none)."""
    parts = [p for p in text.replace(",", " ").split() if p]
    try:
        ids = [int(p) for p in parts]
    except ValueError:
        raise ValidationError("Read ids are whole numbers separated by commas.") from None
    if any(i < 1 for i in ids):
        raise ValidationError("Read ids are positive numbers.")
    return ids


class RequestHoldDialog(ServiceDialog):
    """Case, purpose (never pre-filled), reason, review date and the reads covered."""

    def __init__(
        self,
        gui: GuiContext,
        actor: Actor,
        purposes: Sequence[str],
        parent: QWidget | None = None,
        *,
        case_number: str = "",
        read_ids: Sequence[int] = (),
        period: PlatePeriod | None = None,
    ) -> None:
        """``case_number``, ``read_ids`` and ``period`` start the form (a hold asked from
        Search or Canvass)."""
        super().__init__(gui, "Request an evidence hold", "Request hold", parent)
        self.actor = actor
        intro = QLabel(
            "The reads are kept past the retention period from this request on; a "
            "supervisor other than you approves or refuses it. The request is recorded with "
            "your name, the purpose and the case number.",
            self,
        )
        intro.setWordWrap(True)
        self.body.addWidget(intro)
        form = QFormLayout()
        self.case_edit = QLineEdit(self)
        self.case_edit.setPlaceholderText("e.g. 26-004711")
        self.case_edit.setMaxLength(64)
        self.purpose_combo = QComboBox(self)
        self.purpose_combo.addItems(list(purposes))
        self.purpose_combo.setCurrentIndex(-1)  # never pre-filled
        self.purpose_combo.setPlaceholderText("Choose the purpose…")
        self.reason_edit = QPlainTextEdit(self)
        self.reason_edit.setFixedHeight(64)
        today = gui.services.ctx.display_now().astimezone().date()
        self.review_edit = QDateEdit(QDate(today + dt.timedelta(days=DEFAULT_REVIEW_DAYS)), self)
        self.review_edit.setCalendarPopup(True)
        self.review_edit.setDisplayFormat("yyyy-MM-dd")
        self.review_edit.setMinimumDate(QDate(today + dt.timedelta(days=1)))
        self.plate_edit = QLineEdit(self)
        self.plate_edit.setPlaceholderText("all reads of this plate in the period")
        now = gui.services.ctx.display_now()
        self.start_edit = datetime_edit(self, now - dt.timedelta(days=7))
        self.end_edit = datetime_edit(self, now)
        period_row = QHBoxLayout()
        period_row.addWidget(self.start_edit)
        period_row.addWidget(QLabel("to", self))
        period_row.addWidget(self.end_edit)
        self.ids_edit = QLineEdit(self)
        self.ids_edit.setPlaceholderText("and/or read ids, e.g. 1041, 1042")
        self.case_edit.setText(case_number)
        self.ids_edit.setText(", ".join(str(i) for i in read_ids))
        if period is not None:
            self.plate_edit.setText(period.plate)
            self.start_edit.setDateTime(period.start)
            self.end_edit.setDateTime(period.end)
        form.addRow("Case number:", self.case_edit)
        form.addRow("Purpose:", self.purpose_combo)
        form.addRow("Reason:", self.reason_edit)
        form.addRow("Review on:", self.review_edit)
        form.addRow("Plate:", self.plate_edit)
        form.addRow("Period:", period_row)
        form.addRow("Read ids:", self.ids_edit)
        self.body.addLayout(form)
        self.finish_layout()
        self.setMinimumWidth(560)

    def submit(self) -> None:
        purpose = self.purpose_combo.currentText() if self.purpose_combo.currentIndex() >= 0 else ""
        if not purpose:
            show_inline_error(self.error_label, "Choose the purpose of the hold.")
            return
        try:
            ids = parse_read_ids(self.ids_edit.text())
        except ValidationError as exc:
            show_inline_error(self.error_label, str(exc))
            return
        plate = self.plate_edit.text().strip()
        period = PlatePeriod(plate, aware(self.start_edit), aware(self.end_edit)) if plate else None
        review = self.review_edit.date().toPython()
        assert isinstance(review, dt.date)
        evidence, actor = self.gui.services.evidence, self.actor
        case, reason = self.case_edit.text(), self.reason_edit.toPlainText()
        self.run(
            lambda: evidence.request(
                actor,
                case_number=case,
                reason=reason,
                review_on=review,
                purpose=purpose,
                read_ids=ids,
                period=period,
            )
        )


class HoldsPage(Page):
    """The evidence holds and the actions on them."""

    topics = frozenset({Topic.HOLDS})

    def __init__(self, gui: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(gui, actor, "Evidence holds", parent)
        self.holds: list[HoldView] = []
        self.active_dialog: QDialog | None = None
        intro = QLabel(
            "Reads held for a case survive every purge until the hold is released. An "
            "investigator requests a hold; a supervisor other than the requester approves it.",
            self,
        )
        intro.setObjectName("muted")
        intro.setWordWrap(True)
        self.layout_.addWidget(intro)
        bar = QHBoxLayout()
        self.status_combo = QComboBox(self)
        self.status_combo.addItem(_ALL)
        for status in HoldStatus:
            self.status_combo.addItem(status.value.capitalize(), status)
        self.status_combo.currentIndexChanged.connect(self._fill)
        self.closed_box = QCheckBox("Include closed (refused, released)", self)
        self.closed_box.toggled.connect(self.refresh)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        bar.addWidget(QLabel("Status:", self))
        bar.addWidget(self.status_combo)
        bar.addWidget(self.closed_box)
        bar.addStretch(1)
        bar.addWidget(self.refresh_button)
        self.layout_.addLayout(bar)
        self.due_label = hidden_label(self)
        self.layout_.addWidget(self.due_label)
        self.error_label = hidden_label(self)
        self.layout_.addWidget(self.error_label)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("holdsTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CASE, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.layout_.addWidget(self.table, 1)
        self.reason_label = QLabel(self)
        self.reason_label.setObjectName("muted")
        self.reason_label.setWordWrap(True)
        self.layout_.addWidget(self.reason_label)
        actions = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        may_request = actor.may(Action.REQUEST_EVIDENCE_HOLD)
        may_decide = actor.may(Action.APPROVE_EVIDENCE_HOLD)
        for key, label, icon, shown, slot in (
            ("request", "Request hold…", "fa5s.folder-plus", may_request, self.do_request),
            ("approve", "Approve…", "fa5s.check", may_decide, self.do_approve),
            ("refuse", "Refuse…", "fa5s.times", may_decide, self.do_refuse),
            ("release", "Release…", "fa5s.lock-open", True, self.do_release),
        ):
            button = QPushButton(label, self)
            button.setObjectName(f"hold_{key}")
            gui.theme.set_icon(button, icon)
            button.setVisible(shown)
            button.clicked.connect(slot)
            actions.addWidget(button)
            self.buttons[key] = button
        self.export_bar = HoldExportBar(gui, actor, self)
        self.export_bar.setVisible(actor.may(Action.EXPORT_EVIDENCE))
        actions.addWidget(self.export_bar)
        actions.addStretch(1)
        self.layout_.addLayout(actions)
        self._update_buttons()

    # ------------------------------------------------------------------ loading
    def refresh(self) -> None:
        self.refresh_button.setEnabled(False)
        evidence, actor = self.gui.services.evidence, self.actor
        closed = self.closed_box.isChecked()
        self.gui.background.run(
            lambda: evidence.list_holds(actor, include_closed=closed),
            on_done=self._loaded,
            on_error=self._failed,
            context=self,
        )

    def _loaded(self, holds: list[HoldView]) -> None:
        self.holds = holds
        self.refresh_button.setEnabled(True)
        self.error_label.hide()
        self._fill()

    def _failed(self, error: AlprError) -> None:
        self.refresh_button.setEnabled(True)
        show_inline_error(self.error_label, str(error))

    def today(self) -> dt.date:
        return self.gui.services.ctx.display_now().astimezone().date()

    def shown(self) -> list[HoldView]:
        """The holds the status filter lets through, in the table's order."""
        wanted = self.status_combo.currentData()
        return [h for h in self.holds if wanted is None or h.status is wanted]

    def _fill(self) -> None:
        selected = self.selected_hold()
        today = self.today()
        holds = self.shown()
        due = [h for h in self.holds if review_due(h, today)]
        show_inline_error(
            self.due_label,
            f"{len(due)} hold(s) due for review by {today + dt.timedelta(days=REVIEW_SOON_DAYS)}: "
            + ", ".join(f"case {h.case_number} ({h.review_on:%Y-%m-%d})" for h in due)
            if due
            else "",
        )
        danger = QBrush(QColor(self.gui.theme.colour("danger")))
        bold = QFont(self.font())
        bold.setBold(True)
        self.table.setRowCount(len(holds))
        for row, hold in enumerate(holds):
            is_due = review_due(hold, today)
            review = f"{hold.review_on:%Y-%m-%d}" + (" — due" if is_due else "")
            cells = (
                str(hold.id),
                hold.case_number,
                hold.status.value.capitalize(),
                f"{hold.read_count:,}",
                hold.requested_by,
                f"{hold.requested_at:%Y-%m-%d %H:%M}",
                hold.decided_by or "—",
                review,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, hold.id)
                if column in (HOLD, READS):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if is_due and column == REVIEW:
                    item.setForeground(danger)
                    item.setFont(bold)
                self.table.setItem(row, column, item)
        if selected is not None:
            self.select_hold(selected.id)
        self._update_buttons()

    # ------------------------------------------------------------------ selection
    def selected_hold(self) -> HoldView | None:
        hold_id = selected_id(self.table, HOLD)
        return next((h for h in self.holds if h.id == hold_id), None)

    def select_hold(self, hold_id: int) -> None:
        select_id(self.table, HOLD, hold_id)

    def _update_buttons(self) -> None:
        hold = self.selected_hold()
        requested = hold is not None and hold.status is HoldStatus.REQUESTED
        open_ = hold is not None and hold.status in (HoldStatus.REQUESTED, HoldStatus.APPROVED)
        self.buttons["approve"].setEnabled(requested)
        self.buttons["refuse"].setEnabled(requested)
        self.buttons["release"].setEnabled(open_)
        self.export_bar.set_hold(hold)
        self.reason_label.setText(
            f"Case {hold.case_number}: {hold.reason}" if hold is not None else ""
        )

    # ------------------------------------------------------------------ actions
    def _open(self, dialog: QDialog) -> None:
        self.active_dialog = dialog
        dialog.accepted.connect(self.refresh)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def do_request(self) -> None:
        actor = self.actor

        def opened(purposes: list[str]) -> None:
            self._open(RequestHoldDialog(self.gui, actor, purposes, self))

        with_purposes(self.gui, self, opened, self._failed)

    def _decision(self, verb: str, work: Callable[[HoldView, str], Any]) -> None:
        """Confirm ``verb`` on the selected hold with a reason (a note when approving)."""
        hold = self.selected_hold()
        if hold is None:
            return
        dialog = ActionDialog(
            self.gui,
            title=f"{verb} evidence hold",
            text=f"{verb} hold {hold.id} for case {hold.case_number} ({hold.read_count:,} "
            f"read(s), requested by {hold.requested_by})?",
            ok_text=verb,
            work=lambda text: work(hold, text),
            reason=True,
            parent=self,
        )
        self._open(dialog)

    def do_approve(self) -> None:
        evidence, actor = self.gui.services.evidence, self.actor
        self._decision("Approve", lambda hold, note: evidence.approve(actor, hold.id, note=note))

    def do_refuse(self) -> None:
        evidence, actor = self.gui.services.evidence, self.actor
        self._decision("Refuse", lambda hold, why: evidence.refuse(actor, hold.id, reason=why))

    def do_release(self) -> None:
        evidence, actor = self.gui.services.evidence, self.actor
        self._decision("Release", lambda hold, why: evidence.release(actor, hold.id, reason=why))
