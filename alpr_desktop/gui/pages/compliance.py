"""Compliance: every requirement of policy 471 and the statute with its status here.

One row per requirement, grouped by source: the clause, the requirement, the status as
a coloured icon *and* a word (colour is never the only sign), the reason, and a "Go to …"
button that switches the main window to the page that fixes it — enabled only where this
user may open that page and it exists in this version. The figures are loaded on the
worker (``ComplianceService.status``, which records the viewing).
"""

from __future__ import annotations

import qtawesome as qta
from PySide6.QtCore import QModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from alpr_desktop.core.compliance import Source, Status
from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages.base import Page
from alpr_desktop.messages import Topic
from alpr_desktop.services.base import Actor
from alpr_desktop.services.compliance import ComplianceReport, RequirementStatus

#: Status -> (qtawesome icon, theme colour token, or a fixed colour for amber/grey).
_LOOK: dict[Status, tuple[str, str]] = {
    Status.MET: ("fa5s.check-circle", "success"),
    Status.ATTENTION: ("fa5s.exclamation-triangle", "#b36b00"),
    Status.NOT_MET: ("fa5s.times-circle", "danger"),
    Status.PROCEDURE: ("fa5s.clipboard-check", "text_muted"),
}
#: Titles of pages that have not landed yet (no link is offered to them).
_FUTURE_PAGES = {"releases": "Releases", "audit": "Audit"}
COLUMNS = ("Clause", "Requirement", "Status", "Reason", "")
CLAUSE, REQUIREMENT, STATUS, REASON, LINK = range(len(COLUMNS))


class _WrappingDelegate(QStyledItemDelegate):
    """Rows as tall as their wrapped text at the column's current width.

    The default delegate measures text without knowing the column's width, so a long
    requirement or reason would be cut to what fits the row's button.
    """

    def __init__(self, tree: QTreeWidget) -> None:
        super().__init__(tree)
        self.tree = tree

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        hint = super().sizeHint(option, index)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if index.column() not in (REQUIREMENT, REASON) or not text:
            return hint
        width = max(self.tree.columnWidth(index.column()) - 12, 40)
        metrics = QFontMetrics(option.font)
        flags = int(Qt.TextFlag.TextWordWrap)
        height = metrics.boundingRect(QRect(0, 0, width, 10_000), flags, str(text)).height()
        return QSize(hint.width(), max(hint.height(), height + 14))


def page_titles(actor: Actor) -> tuple[dict[str, str], set[str], set[str]]:
    """(every page key -> title, the keys of pages in this version, those ``actor`` may open)."""
    from alpr_desktop.gui.pages import PAGES  # the registry imports this module

    titles = {**_FUTURE_PAGES, **{spec.key: spec.title for spec in PAGES}}
    landed = {spec.key for spec in PAGES}
    return titles, landed, {spec.key for spec in PAGES if spec.allowed(actor)}


class CompliancePage(Page):
    """The compliance view; emits :attr:`navigate_requested` with a page key."""

    topics = frozenset(
        {Topic.SETTINGS, Topic.USERS, Topic.TRAINING, Topic.AUDIT, Topic.RELEASES, Topic.HOLDS}
    )
    navigate_requested = Signal(str)

    def __init__(self, gui: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(gui, actor, "Compliance", parent)
        self.report: ComplianceReport | None = None
        self.titles, self.landed, self.openable = page_titles(actor)
        intro = QLabel(
            "Where this installation stands against department policy 471 and California "
            "Civil Code 1798.90.51–.55, checked now from its settings, accounts, access "
            "trail, audits and releases.",
            self,
        )
        intro.setObjectName("muted")
        intro.setWordWrap(True)
        self.layout_.addWidget(intro)
        bar = QHBoxLayout()
        self.summary_label = QLabel("Checking…", self)
        self.summary_label.setObjectName("cardTitle")
        self.checked_label = QLabel(self)
        self.checked_label.setObjectName("muted")
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        bar.addWidget(self.summary_label)
        bar.addSpacing(12)
        bar.addWidget(self.checked_label, 1)
        bar.addWidget(self.refresh_button)
        self.layout_.addLayout(bar)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.layout_.addWidget(self.error_label)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("complianceTree")
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.tree.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.tree.setAlternatingRowColors(True)
        self.tree.setItemDelegate(_WrappingDelegate(self.tree))
        header = self.tree.header()
        header.setStretchLastSection(False)
        for column, mode, width in (
            (CLAUSE, QHeaderView.ResizeMode.Interactive, 140),
            (REQUIREMENT, QHeaderView.ResizeMode.Stretch, 0),
            (STATUS, QHeaderView.ResizeMode.Interactive, 140),
            (REASON, QHeaderView.ResizeMode.Stretch, 0),
            (LINK, QHeaderView.ResizeMode.ResizeToContents, 0),
        ):
            header.setSectionResizeMode(column, mode)
            if width:
                self.tree.setColumnWidth(column, width)
        # Row heights follow the wrapped text: lay the rows out again when a column's
        # width changes (the stretched columns change with the window).
        header.sectionResized.connect(lambda *_args: self.tree.doItemsLayout())
        self.layout_.addWidget(self.tree, 1)
        self.link_buttons: dict[str, QPushButton] = {}
        self._refresh_icon()
        gui.theme.changed.connect(self._recolour)

    # ------------------------------------------------------------------ loading
    def refresh(self) -> None:
        self.refresh_button.setEnabled(False)
        self.summary_label.setText("Checking…")
        service, actor = self.gui.services.compliance, self.actor
        self.gui.background.run(
            lambda: service.status(actor), on_done=self._loaded, on_error=self._failed, context=self
        )

    def _loaded(self, report: ComplianceReport) -> None:
        self.report = report
        self.refresh_button.setEnabled(True)
        self.error_label.hide()
        self.summary_label.setText(report.summary)
        self.checked_label.setText(f"checked {report.checked_at:%Y-%m-%d %H:%M} UTC")
        self._fill(report)

    def _failed(self, error: AlprError) -> None:
        self.refresh_button.setEnabled(True)
        self.summary_label.setText("Not checked")
        self.error_label.setText(str(error))
        self.error_label.show()

    # ------------------------------------------------------------------ rows
    def _fill(self, report: ComplianceReport) -> None:
        self.tree.clear()
        self.link_buttons.clear()
        bold = QFont(self.font())
        bold.setBold(True)
        for source in Source:
            items = [i for i in report.items if i.requirement.source is source]
            group = QTreeWidgetItem(self.tree, [source.value])
            group.setFirstColumnSpanned(True)
            group.setFont(CLAUSE, bold)
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            for item in items:
                self._row(group, item)
            group.setExpanded(True)

    def _row(self, group: QTreeWidgetItem, item: RequirementStatus) -> None:
        requirement = item.requirement
        row = QTreeWidgetItem(
            group,
            [requirement.clause, requirement.text, item.status.label, item.reason, ""],
        )
        row.setFlags(Qt.ItemFlag.ItemIsEnabled)
        row.setData(CLAUSE, Qt.ItemDataRole.UserRole, requirement.check)
        row.setData(STATUS, Qt.ItemDataRole.UserRole, item.status.value)
        self._paint_status(row, item.status)
        for column in (REQUIREMENT, REASON):
            row.setToolTip(column, row.text(column))
        key = requirement.page
        if not key:
            return
        title = self.titles.get(key, key.replace("_", " ").title())
        button = QPushButton(f"Go to {title}")
        button.setObjectName(f"goTo_{requirement.clause}")
        button.setIcon(self.gui.theme.icon("fa5s.arrow-right"))
        if key in self.openable:
            button.clicked.connect(lambda _checked=False, k=key: self.navigate_requested.emit(k))
        else:
            button.setEnabled(False)
            button.setToolTip(
                f"Your roles do not open the {title} page"
                if key in self.landed
                else f"The {title} page is not part of this version yet"
            )
        holder = QWidget(self.tree)  # keeps the button its own height in a tall row
        holder.setAutoFillBackground(False)
        box = QHBoxLayout(holder)
        box.setContentsMargins(4, 2, 4, 2)
        box.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.tree.setItemWidget(row, LINK, holder)
        self.link_buttons[requirement.clause] = button

    def _paint_status(self, row: QTreeWidgetItem, status: Status) -> None:
        icon_name, colour = _LOOK[status]
        hex_colour = colour if colour.startswith("#") else self.gui.theme.colour(colour)
        row.setIcon(STATUS, qta.icon(icon_name, color=hex_colour))
        row.setForeground(STATUS, QBrush(QColor(hex_colour)))

    def rows(self) -> list[QTreeWidgetItem]:
        """Every requirement row, in order (tests, screenshots)."""
        out = []
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            out.extend(group.child(c) for c in range(group.childCount()))
        return out

    def _refresh_icon(self) -> None:
        self.refresh_button.setIcon(self.gui.theme.icon("fa5s.sync-alt"))

    def _recolour(self) -> None:
        self._refresh_icon()
        if self.report is not None:
            self._fill(self.report)
