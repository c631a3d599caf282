"""Hotlists: the administrator's lists of wanted plates, their entries and CSV import.

Every change goes through :class:`~alpr_desktop.services.hotlists.HotlistService` on the
background worker (which validates it, records it and publishes ``HOTLISTS``); the page
reloads on that change. A list's entries are paged in as the table scrolls (a list may
hold a million). After an entry is saved or a file imported, past reads are checked
against it (retroactive alerts) on the worker, and the count is shown in the status line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.core.roles import Action
from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages.base import Page
from alpr_desktop.gui.pages.hotlist_dialogs import (
    CATEGORY_LABELS,
    EntryDialog,
    ImportDialog,
    ListNameDialog,
    expiry_day,
)
from alpr_desktop.gui.pages.rows_model import RowsModel
from alpr_desktop.gui.widgets import confirm, message_box
from alpr_desktop.messages import Topic
from alpr_desktop.services.base import Actor
from alpr_desktop.services.hotlist_import import ImportResult
from alpr_desktop.services.hotlists import EntryPage, EntryView, HotlistView

LIST_COLUMNS = ("Name", "Active", "Entries", "Source", "Updated")
ENTRY_COLUMNS = (
    "Plate / pattern",
    "State",
    "Category",
    "Priority",
    "Source",
    "Case number",
    "Expires",
    "Notes",
)
#: Entries fetched per page as the table scrolls.
PAGE_SIZE = 200
_Index = QModelIndex | QPersistentModelIndex


def _local(moment: dt.datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


class HotlistTableModel(RowsModel[HotlistView]):
    def __init__(self) -> None:
        super().__init__(LIST_COLUMNS, self._cells)

    def _cells(self, hotlist: HotlistView) -> tuple[str, ...]:
        return (
            hotlist.name,
            "Active" if hotlist.active else "Inactive",
            f"{hotlist.entry_count:,}",
            hotlist.source,
            _local(hotlist.updated_at),
        )

    def tooltip(self, hotlist: HotlistView, column: str) -> str | None:
        return hotlist.description or None if column == "Name" else None


class EntryTableModel(RowsModel[EntryView]):
    """A list's entries, fetched a page at a time (Qt's fetchMore) by ``fetch(offset)``."""

    def __init__(self, now: Callable[[], dt.datetime]) -> None:
        super().__init__(ENTRY_COLUMNS, self._cells)
        self._now = now
        self.total = 0
        self.loading = False
        self.fetch: Callable[[int], None] | None = None

    def set_page(self, page: EntryPage) -> None:
        self.total, self.loading = page.total, False
        self.set_rows(page.entries)

    def append_page(self, page: EntryPage) -> None:
        self.total, self.loading = page.total, False
        start = len(self._rows)
        fresh = page.entries[max(0, start - page.offset) :]
        if fresh:
            self.beginInsertRows(QModelIndex(), start, start + len(fresh) - 1)
            self._rows.extend(fresh)
            self.endInsertRows()

    def clear(self) -> None:
        self.total, self.loading = 0, False
        self.set_rows([])

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self.loading and len(self._rows) < self.total

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent) and self.fetch is not None:
            self.loading = True
            self.fetch(len(self._rows))

    def tooltip(self, entry: EntryView, column: str) -> str | None:
        if column == "Notes":
            return entry.notes or None
        if column == "Plate / pattern" and entry.partial:
            return f"Partial plate: matches {entry.pattern} (* any run, ? one character)"
        return None

    def _cells(self, entry: EntryView) -> tuple[str, ...]:
        return (
            entry.plate,
            entry.state or "Any",
            CATEGORY_LABELS.get(entry.category, str(entry.category)),
            str(entry.priority),
            entry.source,
            entry.case_number,
            self._expiry(entry.expires_at),
            entry.notes.splitlines()[0] if entry.notes else "",
        )

    def _expiry(self, expires_at: dt.datetime | None) -> str:
        if expires_at is None:
            return "Never"
        day = expiry_day(expires_at).isoformat()
        return f"Expired {day}" if expires_at <= self._now() else f"After {day}"


def _table(parent: QWidget, model: RowsModel[Any]) -> QTableView:
    table = QTableView(parent)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(len(model.columns) - 1, QHeaderView.ResizeMode.Stretch)
    return table


#: button key -> (label, icon, needs a selected list, needs a selected entry)
_BUTTONS: dict[str, tuple[str, str, bool, bool]] = {
    "new_list": ("New list", "fa5s.plus", False, False),
    "rename": ("Rename", "fa5s.i-cursor", True, False),
    "toggle": ("Deactivate", "fa5s.pause", True, False),
    "delete_list": ("Delete", "fa5s.trash-alt", True, False),
    "add": ("Add entry", "fa5s.plus", True, False),
    "edit": ("Edit", "fa5s.edit", True, True),
    "remove": ("Remove", "fa5s.minus-circle", True, True),
    "import": ("Import CSV…", "fa5s.file-import", False, False),
}


class HotlistsPage(Page):
    topics = frozenset({Topic.HOTLISTS})

    def __init__(self, gui: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(gui, actor, "Hotlists", parent)
        self.active_dialog: QDialog | None = None
        self.list_model = HotlistTableModel()
        self.entry_model = EntryTableModel(gui.services.ctx.display_now)
        self.entry_model.fetch = self._fetch_entries
        self._entries_generation = 0
        self._pending_select: int | None = None
        self._keep_entry: int | None = None
        self._entries_filter = ""
        self.buttons: dict[str, QPushButton] = {}
        for key, (label, icon, _list, _entry) in _BUTTONS.items():
            button = QPushButton(gui.theme.icon(icon), label, self)
            button.clicked.connect(getattr(self, f"do_{key}"))
            self.buttons[key] = button
        # Lists above (a department has a handful), entries below at the full width
        # (eight columns fit at 1280x720 without a horizontal scroll bar).
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self._lists_panel())
        splitter.addWidget(self._entries_panel())
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([230, 340])
        splitter.setChildrenCollapsible(False)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("muted")
        self.status_label.setWordWrap(True)
        self.layout_.addWidget(splitter, 1)
        self.layout_.addWidget(self.status_label)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(250)
        self._filter_timer.timeout.connect(self.load_entries)
        self.filter_edit.textChanged.connect(lambda _t: self._filter_timer.start())
        gui.theme.changed.connect(self._recolour)
        self._update_buttons()

    def _lists_panel(self) -> QWidget:
        panel = QWidget(self)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 6)
        row = QHBoxLayout()
        row.setSpacing(6)
        for key in ("new_list", "rename", "toggle", "delete_list"):
            row.addWidget(self.buttons[key])
        row.addStretch(1)
        self.list_table = _table(panel, self.list_model)
        self.list_table.setMinimumHeight(130)
        self.list_table.selectionModel().selectionChanged.connect(self._list_selected)
        self.list_table.doubleClicked.connect(lambda _i: self.do_rename())
        layout.addLayout(row)
        layout.addWidget(self.list_table, 1)
        return panel

    def _entries_panel(self) -> QWidget:
        panel = QWidget(self)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 6, 0, 0)
        row = QHBoxLayout()
        row.setSpacing(6)
        self.filter_edit = QLineEdit(panel)
        self.filter_edit.setPlaceholderText("Filter: plate starts with…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMinimumWidth(220)
        row.addWidget(self.filter_edit, 1)
        for key in ("add", "edit", "remove"):
            row.addWidget(self.buttons[key])
        row.addSpacing(18)
        row.addWidget(self.buttons["import"])
        self.entry_table = _table(panel, self.entry_model)
        self.entry_table.setMinimumHeight(150)
        self.entry_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.entry_table.doubleClicked.connect(lambda _i: self.do_edit())
        self.count_label = QLabel(panel)
        self.count_label.setObjectName("muted")
        self.entry_model.rowsInserted.connect(self._show_count)
        self.entry_model.modelReset.connect(self._show_count)
        layout.addLayout(row)
        layout.addWidget(self.entry_table, 1)
        layout.addWidget(self.count_label)
        return panel

    def _recolour(self) -> None:
        for key, button in self.buttons.items():
            button.setIcon(self.gui.theme.icon(_BUTTONS[key][1]))

    # ------------------------------------------------------------------ data
    def refresh(self) -> None:
        service, actor = self.gui.services.hotlists, self.actor
        self.gui.background.run(
            lambda: service.list_hotlists(actor),
            on_done=self._lists_loaded,
            on_error=self._show_error,
            context=self,
        )

    def _lists_loaded(self, lists: list[HotlistView]) -> None:
        previous = self.selected_list()
        wanted = self._pending_select or (previous.id if previous else None)
        self.list_model.set_rows(lists)
        row = self.list_model.row_of(wanted) if wanted is not None else None
        if row is not None and wanted == self._pending_select:
            self._pending_select = None
        if row is None and lists:
            row = 0
        selection = self.list_table.selectionModel()
        selection.blockSignals(True)  # one load of the entries below, not one per signal
        if row is not None:
            self.list_table.selectRow(row)
        selection.blockSignals(False)
        self.list_table.viewport().update()
        self.load_entries()

    def _list_selected(self) -> None:
        self.load_entries()

    def load_entries(self) -> None:
        """Load the first page of the selected list's entries (with the filter)."""
        self._entries_generation += 1
        self._entries_filter = self.filter_edit.text()  # every page of this load uses it
        entry = self.selected_entry()
        self._keep_entry = entry.id if entry is not None else None
        self.entry_model.clear()
        if self.selected_list() is not None:
            self.entry_model.loading = True
            self._fetch_entries(0)
        self._update_buttons()

    def _fetch_entries(self, offset: int) -> None:
        hotlist = self.selected_list()
        if hotlist is None:
            self.entry_model.loading = False
            return
        service, actor, plate = self.gui.services.hotlists, self.actor, self._entries_filter
        generation, hotlist_id = self._entries_generation, hotlist.id

        def loaded(page: EntryPage) -> None:
            if generation != self._entries_generation:
                return  # another list or filter was chosen meanwhile
            if offset == 0:
                self.entry_model.set_page(page)
                row = self.entry_model.row_of(self._keep_entry or 0)
                if row is not None:
                    self.entry_table.selectRow(row)
            else:
                self.entry_model.append_page(page)
            self._update_buttons()

        def failed(error: AlprError) -> None:
            if generation == self._entries_generation:
                self.entry_model.loading = False
                self._show_error(error)

        self.gui.background.run(
            lambda: service.list_entries(
                actor, hotlist_id, offset=offset, limit=PAGE_SIZE, plate=plate
            ),
            on_done=loaded,
            on_error=failed,
            context=self,
        )

    def _show_count(self) -> None:
        model = self.entry_model
        shown, total = model.rowCount(), model.total
        filtered = " matching the filter" if self.filter_edit.text().strip() else ""
        hotlist = self.selected_list()
        if hotlist is not None:
            filtered += f" in {hotlist.name}"
        if hotlist is None:
            self.count_label.setText("Select a list to see its entries.")
        elif shown < total:
            self.count_label.setText(f"{shown:,} of {total:,} entries{filtered} (scroll for more)")
        else:
            self.count_label.setText(f"{total:,} entr{'y' if total == 1 else 'ies'}{filtered}")

    def selected_list(self) -> HotlistView | None:
        rows = self.list_table.selectionModel().selectedRows()
        return self.list_model.row_at(rows[0].row()) if rows else None

    def select_list(self, hotlist_id: int) -> bool:
        row = self.list_model.row_of(hotlist_id)
        if row is None:
            return False
        if self.list_table.selectionModel().isRowSelected(row, QModelIndex()):
            return True
        self.list_table.selectRow(row)
        return True

    def selected_entry(self) -> EntryView | None:
        rows = self.entry_table.selectionModel().selectedRows()
        return self.entry_model.row_at(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        hotlist, entry = self.selected_list(), self.selected_entry()
        allowed = self.actor.may(Action.MANAGE_HOTLISTS)
        for key, (_label, _icon, needs_list, needs_entry) in _BUTTONS.items():
            ok = (hotlist is not None or not needs_list) and (entry is not None or not needs_entry)
            self.buttons[key].setEnabled(allowed and ok)
        inactive = hotlist is not None and not hotlist.active
        self.buttons["toggle"].setText("Activate" if inactive else "Deactivate")
        self.buttons["toggle"].setIcon(
            self.gui.theme.icon("fa5s.play" if inactive else "fa5s.pause")
        )
        self._show_count()

    def set_status(self, text: str) -> None:
        self.status_label.setText(text)

    def _show_error(self, error: AlprError) -> None:
        message_box(self, "Hotlists", str(error))

    def _open(self, dialog: QDialog, on_accept: Callable[[], None]) -> None:
        self.active_dialog = dialog
        dialog.accepted.connect(on_accept)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _run(self, fn: Callable[[], Any], done: str) -> None:
        self.gui.background.run(
            fn, on_done=lambda _r: self.set_status(done), on_error=self._show_error, context=self
        )

    def _confirm(self, title: str, text: str, then: Callable[[], None]) -> None:
        confirm(self, title, text, then)

    # ------------------------------------------------------------------ list actions
    def do_new_list(self) -> None:
        dialog = ListNameDialog(self.gui, self.actor, None, self)
        self._open(dialog, lambda: self._list_saved(dialog, "created"))

    def do_rename(self) -> None:
        hotlist = self.selected_list()
        if hotlist is not None and self.actor.may(Action.MANAGE_HOTLISTS):
            dialog = ListNameDialog(self.gui, self.actor, hotlist, self)
            self._open(dialog, lambda: self._list_saved(dialog, "renamed"))

    def _list_saved(self, dialog: ListNameDialog, word: str) -> None:
        view: HotlistView = dialog.result_value
        self.set_status(f"Hotlist {view.name} {word}.")
        self._pending_select = view.id  # selected when the reload brings it

    def do_toggle(self) -> None:
        hotlist = self.selected_list()
        if hotlist is None:
            return
        service, actor, activate = self.gui.services.hotlists, self.actor, not hotlist.active
        word = "activated" if activate else "deactivated (its entries no longer match)"
        self._run(
            lambda: service.set_active(actor, hotlist.id, activate),
            f"Hotlist {hotlist.name} {word}.",
        )

    def do_delete_list(self) -> None:
        hotlist = self.selected_list()
        if hotlist is None:
            return
        service, actor = self.gui.services.hotlists, self.actor
        self._confirm(
            "Delete hotlist",
            f"Delete the hotlist {hotlist.name} and its {hotlist.entry_count:,} entries? "
            "Alerts it raised keep their text.",
            lambda: self._run(
                lambda: service.delete(actor, hotlist.id), f"Hotlist {hotlist.name} deleted."
            ),
        )

    # ------------------------------------------------------------------ entry actions
    def do_add(self) -> None:
        hotlist = self.selected_list()
        if hotlist is not None:
            dialog = EntryDialog(self.gui, self.actor, hotlist, None, self)
            self._open(dialog, lambda: self._entry_saved(dialog, "added to"))

    def do_edit(self) -> None:
        hotlist, entry = self.selected_list(), self.selected_entry()
        if hotlist is not None and entry is not None and self.actor.may(Action.MANAGE_HOTLISTS):
            dialog = EntryDialog(self.gui, self.actor, hotlist, entry, self)
            self._open(dialog, lambda: self._entry_saved(dialog, "saved in"))

    def _entry_saved(self, dialog: EntryDialog, word: str) -> None:
        entry: EntryView = dialog.result_value
        self.check_past_reads(f"Entry {entry.plate} {word} {dialog.hotlist.name}.", [entry.id])

    def do_remove(self) -> None:
        entry = self.selected_entry()
        if entry is None:
            return
        service, actor = self.gui.services.hotlists, self.actor
        self._confirm(
            "Remove entry",
            f"Remove the entry {entry.plate} {entry.state} from the list?",
            lambda: self._run(
                lambda: service.remove_entry(actor, entry.id), f"Entry {entry.plate} removed."
            ),
        )

    def do_import(self) -> None:
        lists = [self.list_model.row_at(r) for r in range(self.list_model.rowCount())]
        dialog = ImportDialog(self.gui, self.actor, lists, self.selected_list(), self)
        self._open(dialog, lambda: self._imported(dialog))

    def _imported(self, dialog: ImportDialog) -> None:
        result = dialog.result_value
        assert isinstance(result, ImportResult)
        replaced = f", replacing {result.replaced:,}" if result.replaced else ""
        created = " (a new list)" if result.created_list else ""
        text = f"Imported {result.imported:,} entries into {result.list_name}{created}{replaced}."
        self._pending_select = result.hotlist_id
        self.check_past_reads(text, hotlist_id=result.hotlist_id)

    # ------------------------------------------------------------------ retroactive
    def check_past_reads(
        self, done: str, entry_ids: list[int] | None = None, *, hotlist_id: int | None = None
    ) -> None:
        """Check past reads against new or changed entries (retroactive alerts), on the worker.

        ``done`` says what was just saved; the check's counts are added when it ends.
        """
        check = self.gui.services.alerts.check_past_reads
        actor = self.actor
        self.set_status(f"{done} Checking past reads…")
        seen: list[tuple[int, int]] = []  # written by the worker, read by the timer
        timer = QTimer(self)
        timer.setInterval(250)

        def show_progress() -> None:
            if seen:
                checked, total = seen[-1]
                self.set_status(f"{done} Checking past reads… {checked:,} of {total:,}")

        timer.timeout.connect(show_progress)
        timer.start()

        def finished(result: Any) -> None:
            timer.stop()
            timer.deleteLater()
            raised = result.alerts_raised
            self.set_status(
                f"{done} Checked {result.reads_checked:,} past reads: {raised:,} retroactive "
                f"alert{'' if raised == 1 else 's'} raised."
            )

        def failed(error: AlprError) -> None:
            timer.stop()
            timer.deleteLater()
            self.set_status(f"{done} The check of past reads failed: {error}")

        self.gui.background.run(
            lambda: check(
                actor,
                entry_ids=entry_ids,
                hotlist_id=hotlist_id,
                progress=lambda checked, total: seen.append((checked, total)),
            ),
            on_done=finished,
            on_error=failed,
            context=self,
            long=True,
        )
