"""Dialogs of the Hotlists page: a list's name, an entry's fields and the CSV import.

Each runs its service call on the background worker and stays open on a refusal, so
nothing is half applied. The import dialog reads its preview off the GUI thread, shows
the import's progress and its per-line error table; the service imports all or nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from pathlib import Path

from PySide6.QtCore import QDate, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.errors import AlprError, ValidationError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages.user_dialogs import ServiceDialog
from alpr_desktop.gui.widgets import confirm, show_inline_error
from alpr_desktop.services import hotlist_import
from alpr_desktop.services.base import Actor
from alpr_desktop.services.hotlist_fields import DEFAULT_PRIORITY, EntryFields, check_entry
from alpr_desktop.services.hotlist_import import (
    NCIC,
    STANDARD,
    ImportCancelled,
    ImportRejected,
    ImportResult,
    Preview,
)
from alpr_desktop.services.hotlists import EntryView, HotlistView
from alpr_desktop.storage.models import HotlistCategory

CATEGORY_LABELS = {
    HotlistCategory.STOLEN_VEHICLE: "Stolen vehicle",
    HotlistCategory.STOLEN_PLATE: "Stolen plate",
    HotlistCategory.WANTED_PERSON: "Wanted person",
    HotlistCategory.MISSING_PERSON: "Missing person",
    HotlistCategory.AMBER: "AMBER alert",
    HotlistCategory.WARRANT: "Warrant",
    HotlistCategory.BOLO: "BOLO",
    HotlistCategory.OTHER: "Other",
}
#: (label, mapping) of the import's formats.
FORMATS = (
    ("Standard (documented columns)", STANDARD),
    ("NCIC vehicle-file extract (LIC, LIS, OCA, ORI, NIC)", NCIC),
)
#: (label, encoding or None to detect).
ENCODINGS = (
    ("Detect automatically", None),
    ("UTF-8", "utf-8"),
    ("UTF-8 with BOM", "utf-8-sig"),
    ("Windows-1252", "cp1252"),
)
_ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "cp1252": "Windows-1252"}
PREVIEW_ROWS = 20


def expiry_day(expires_at: dt.datetime) -> dt.date:
    """The last day an expiry at ``expires_at`` covers (a date expiry is the next midnight)."""
    utc = expires_at.astimezone(dt.UTC)
    if utc.time() == dt.time():
        return utc.date() - dt.timedelta(days=1)
    return expires_at.astimezone().date()


def _table(parent: QWidget, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells[: table.columnCount()]):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()


class ListNameDialog(ServiceDialog):
    """Create a list, or rename ``hotlist``."""

    def __init__(
        self, gui: GuiContext, actor: Actor, hotlist: HotlistView | None, parent: QWidget
    ) -> None:
        title = "New hotlist" if hotlist is None else f"Rename {hotlist.name}"
        super().__init__(gui, title, "Create list" if hotlist is None else "Rename", parent)
        self.actor, self.hotlist = actor, hotlist
        form = QFormLayout()
        self.name_edit = QLineEdit(hotlist.name if hotlist else "", self)
        self.name_edit.setMaxLength(200)
        form.addRow("Name:", self.name_edit)
        self.source_edit: QLineEdit | None = None
        if hotlist is None:
            self.source_edit = QLineEdit(self)
            self.source_edit.setPlaceholderText("e.g. NCIC extract, DOJ SVS, local BOLOs")
            form.addRow("Source:", self.source_edit)
        self.body.addLayout(form)
        self.finish_layout()

    def submit(self) -> None:
        service, actor, name = self.gui.services.hotlists, self.actor, self.name_edit.text()
        if self.hotlist is None:
            source = self.source_edit.text() if self.source_edit else ""
            self.run(lambda: service.create(actor, name, source=source))
        else:
            hotlist_id = self.hotlist.id
            self.run(lambda: service.rename(actor, hotlist_id, name))


class EntryDialog(ServiceDialog):
    """Add an entry to a list or change one; the fields are checked as they are typed."""

    def __init__(
        self,
        gui: GuiContext,
        actor: Actor,
        hotlist: HotlistView,
        entry: EntryView | None,
        parent: QWidget,
    ) -> None:
        title = f"Add entry to {hotlist.name}" if entry is None else f"Edit entry {entry.plate}"
        super().__init__(gui, title, "Add entry" if entry is None else "Save", parent)
        self.actor, self.hotlist, self.entry = actor, hotlist, entry
        self.setMinimumWidth(540)
        self.plate_edit = QLineEdit(self)
        self.plate_edit.setMaxLength(32)
        self.plate_edit.setPlaceholderText("7ABC123, or partial: 7AB* (any run), 7?BC123 (one)")
        self.state_edit = QLineEdit(self)
        self.state_edit.setMaxLength(8)
        self.state_edit.setPlaceholderText("CA — empty for any state")
        self.category_combo = QComboBox(self)
        for category, text in CATEGORY_LABELS.items():
            self.category_combo.addItem(text, category)
        self.priority_spin = QSpinBox(self)
        self.priority_spin.setRange(1, 3)
        self.priority_spin.setValue(DEFAULT_PRIORITY)
        self.priority_spin.setSuffix("   (1 = highest)")
        self.source_edit, self.case_edit = QLineEdit(self), QLineEdit(self)
        self.source_edit.setMaxLength(200)
        self.case_edit.setMaxLength(64)
        self.notes_edit = QPlainTextEdit(self)
        self.notes_edit.setFixedHeight(64)
        self.expiry_box = QCheckBox("Expires after", self)
        self.expiry_edit = QDateEdit(self)
        self.expiry_edit.setCalendarPopup(True)
        self.expiry_edit.setDisplayFormat("yyyy-MM-dd")
        self.expiry_edit.setEnabled(False)
        self.expiry_box.toggled.connect(self.expiry_edit.setEnabled)
        expiry_row = QHBoxLayout()
        expiry_row.addWidget(self.expiry_box)
        expiry_row.addWidget(self.expiry_edit, 1)
        form = QFormLayout()
        form.addRow("Plate or pattern:", self.plate_edit)
        form.addRow("State / region:", self.state_edit)
        form.addRow("Category:", self.category_combo)
        form.addRow("Priority:", self.priority_spin)
        form.addRow("Source:", self.source_edit)
        form.addRow("Case number:", self.case_edit)
        form.addRow("Notes:", self.notes_edit)
        form.addRow("Expiry:", expiry_row)
        self.body.addLayout(form)
        self.finish_layout()
        self._original_expiry: dt.datetime | None = None
        self._show(entry)
        for edit in (self.plate_edit, self.state_edit, self.source_edit, self.case_edit):
            edit.textChanged.connect(self.validate)
        self.notes_edit.textChanged.connect(self.validate)
        self.category_combo.currentIndexChanged.connect(self.validate)
        self.priority_spin.valueChanged.connect(self.validate)
        self.expiry_box.toggled.connect(self.validate)
        self.expiry_edit.dateChanged.connect(self.validate)
        if entry is not None:
            self.validate()

    def _show(self, entry: EntryView | None) -> None:
        today = self.gui.services.ctx.display_now().astimezone(dt.UTC).date()
        self.expiry_edit.setMinimumDate(QDate(today.year, today.month, today.day))
        self.expiry_edit.setDate(QDate(today.year, today.month, today.day).addDays(30))
        if entry is None:
            return
        self.plate_edit.setText(entry.plate)
        self.state_edit.setText(entry.state)
        self.category_combo.setCurrentIndex(max(0, self.category_combo.findData(entry.category)))
        self.priority_spin.setValue(entry.priority)
        self.source_edit.setText(entry.source)
        self.case_edit.setText(entry.case_number)
        self.notes_edit.setPlainText(entry.notes)
        if entry.expires_at is not None:
            self._original_expiry = entry.expires_at
            self.expiry_box.setChecked(True)
            day = expiry_day(entry.expires_at)
            shown = QDate(day.year, day.month, day.day)
            self.expiry_edit.setMinimumDate(min(self.expiry_edit.minimumDate(), shown))
            self.expiry_edit.setDate(shown)

    def fields(self) -> EntryFields:
        expires: dt.date | dt.datetime | None = None
        if self.expiry_box.isChecked():
            day: dt.date = self.expiry_edit.date().toPython()
            original = self._original_expiry
            # An expiry with a time of day (from a file) is kept while its day is unchanged.
            keep = original is not None and expiry_day(original) == day
            expires = original if keep else day
        return EntryFields(
            plate=self.plate_edit.text(),
            category=self.category_combo.currentData(),
            state=self.state_edit.text(),
            priority=self.priority_spin.value(),
            source=self.source_edit.text(),
            case_number=self.case_edit.text(),
            notes=self.notes_edit.toPlainText(),
            expires_at=expires,
        )

    def validate(self) -> bool:
        """Show what is wrong with the fields (a pure check: no database)."""
        try:
            check_entry(self.fields(), self.gui.services.ctx.display_now())
        except ValidationError as exc:
            show_inline_error(self.error_label, str(exc))
            return False
        show_inline_error(self.error_label, "")
        return True

    def submit(self) -> None:
        # The service checks again (and refuses a duplicate plate and state in the list).
        service, actor, fields = self.gui.services.hotlists, self.actor, self.fields()
        if self.entry is None:
            hotlist_id = self.hotlist.id
            self.run(lambda: service.add_entry(actor, hotlist_id, fields))
        else:
            entry_id = self.entry.id
            self.run(lambda: service.update_entry(actor, entry_id, fields))


class ImportDialog(QDialog):
    """Import a CSV file into a list: preview, progress, cancel and the error table.

    On success :attr:`result_value` is the :class:`ImportResult` and the dialog accepts.
    """

    def __init__(
        self,
        gui: GuiContext,
        actor: Actor,
        lists: list[HotlistView],
        selected: HotlistView | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.gui, self.actor, self.lists = gui, actor, lists
        self.result_value: ImportResult | None = None
        self.running = False
        self._cancel = threading.Event()
        self._progress: tuple[int, int, int] = (0, 0, 0)  # written by the worker
        self._preview_generation = 0
        self.setWindowTitle("Import hotlist entries")
        self.setMinimumWidth(860)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(20, 16, 20, 14)
        self.body.setSpacing(8)
        self._build_form()
        self._build_tables()
        self._build_progress()
        self.list_combo.setCurrentText(selected.name if selected else "")
        self._list_changed()
        self._poll = QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._show_progress)

    # ------------------------------------------------------------------ layout
    def _build_form(self) -> None:
        self.file_edit = QLineEdit(self)
        self.file_edit.setPlaceholderText("The CSV file to import")
        self.file_edit.editingFinished.connect(self.load_preview)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(browse)
        self.format_combo = QComboBox(self)
        for text, _mapping in FORMATS:
            self.format_combo.addItem(text)
        self.encoding_combo = QComboBox(self)
        for text, _encoding in ENCODINGS:
            self.encoding_combo.addItem(text)
        self.format_combo.currentIndexChanged.connect(self.load_preview)
        self.encoding_combo.currentIndexChanged.connect(self.load_preview)
        format_row = QHBoxLayout()
        format_row.addWidget(self.format_combo, 1)
        format_row.addSpacing(12)
        format_row.addWidget(QLabel("Encoding:", self))
        format_row.addWidget(self.encoding_combo)
        self.list_combo = QComboBox(self)
        self.list_combo.setEditable(True)
        self.list_combo.addItems([h.name for h in self.lists])
        self.list_combo.currentTextChanged.connect(self._list_changed)
        self.list_hint = QLabel(self)
        self.list_hint.setObjectName("muted")
        list_row = QHBoxLayout()
        list_row.addWidget(self.list_combo, 1)
        list_row.addWidget(self.list_hint)
        self.append_radio = QRadioButton("Append to the list", self)
        self.replace_radio = QRadioButton("Replace the list's entries", self)
        self.append_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.append_radio)
        group.addButton(self.replace_radio)
        mode_row = QHBoxLayout()
        mode_row.setSpacing(24)
        mode_row.addWidget(self.append_radio)
        mode_row.addWidget(self.replace_radio)
        mode_row.addStretch(1)
        form = QFormLayout()
        form.setVerticalSpacing(6)
        form.addRow("File:", file_row)
        form.addRow("Format:", format_row)
        form.addRow("Into list:", list_row)
        form.addRow("Mode:", mode_row)
        self.body.addLayout(form)
        self.inputs: list[QWidget] = [
            self.file_edit,
            browse,
            self.format_combo,
            self.encoding_combo,
            self.list_combo,
            self.append_radio,
            self.replace_radio,
        ]

    def _build_tables(self) -> None:
        self.preview_label = QLabel("Choose a file to see its first lines.", self)
        self.preview_label.setObjectName("muted")
        self.preview_table = _table(self, [])
        self.preview_table.setMinimumHeight(120)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        show_inline_error(self.error_label, "")
        self.error_table = _table(self, ["Line", "Column", "Value", "What is wrong"])
        self.error_table.setMinimumHeight(120)
        self.error_table.hide()
        self.body.addWidget(self.preview_label)
        self.body.addWidget(self.preview_table, 1)
        self.body.addWidget(self.error_label)
        self.body.addWidget(self.error_table, 1)

    def _build_progress(self) -> None:
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setFormat("%p%")
        self.cancel_button = QPushButton("Cancel import", self)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress_label = QLabel(self)
        self.progress_label.setObjectName("muted")
        row = QHBoxLayout()
        row.addWidget(self.progress_bar, 1)
        row.addWidget(self.progress_label)
        row.addWidget(self.cancel_button)
        for widget in (self.progress_bar, self.cancel_button, self.progress_label):
            widget.hide()
        self.body.addLayout(row)
        self.buttons = QDialogButtonBox(self)
        self.import_button = self.buttons.addButton(
            "Import", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.import_button.setDefault(True)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.buttons.accepted.connect(self.start_import)
        self.buttons.rejected.connect(self.reject)
        self.body.addWidget(self.buttons)

    # ------------------------------------------------------------------ inputs
    def _browse(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Hotlist file", "", "CSV files (*.csv *.txt);;All files (*)"
        )
        if path:
            self.set_file(path)

    def set_file(self, path: str | Path) -> None:
        self.file_edit.setText(str(path))
        self.load_preview()

    def mapping(self) -> hotlist_import.ColumnMapping:
        mapping = FORMATS[self.format_combo.currentIndex()][1]
        encoding = ENCODINGS[self.encoding_combo.currentIndex()][1]
        return dataclasses.replace(mapping, encoding=encoding)

    def _list_changed(self) -> None:
        name = self.list_combo.currentText().strip().casefold()
        known = any(h.name.casefold() == name for h in self.lists)
        self.list_hint.setText("" if known or not name else "A new list is created")

    def load_preview(self) -> None:
        """Read the file's first lines on the worker (the GUI thread never reads files)."""
        text = self.file_edit.text().strip()
        if not text or self.running:
            return
        self._preview_generation += 1
        generation, path, mapping = self._preview_generation, Path(text), self.mapping()

        def work() -> Preview:
            try:
                return hotlist_import.preview(path, mapping, rows=PREVIEW_ROWS)
            except OSError as exc:
                raise ValidationError(f"The file {path} cannot be read: {exc.strerror}.") from None

        self.gui.background.run(
            work,
            on_done=lambda p: self._previewed(generation, p),
            on_error=lambda e: self._preview_failed(generation, e),
            context=self,
        )

    def _previewed(self, generation: int, preview: Preview) -> None:
        if generation != self._preview_generation:
            return  # the file or format changed meanwhile
        show_inline_error(self.error_label, "")
        width = max([len(preview.header), *(len(r) for r in preview.rows)], default=0)
        header = preview.header or [f"Column {i + 1}" for i in range(width)]
        self.preview_table.clear()
        self.preview_table.setColumnCount(max(width, len(header)))
        self.preview_table.setHorizontalHeaderLabels(header)
        _fill(self.preview_table, preview.rows)
        self.preview_table.setCurrentItem(None)  # no focus frame on a cell: nothing to edit
        encoding = _ENCODING_NAMES.get(preview.encoding, preview.encoding)
        heading = "a header line" if preview.has_header else "no header line"
        self.preview_label.setText(
            f"{encoding}, {heading}; the first {len(preview.rows)} lines as they are in the file:"
        )

    def _preview_failed(self, generation: int, error: AlprError) -> None:
        if generation == self._preview_generation:
            self.preview_table.setRowCount(0)
            self.preview_label.setText("No preview.")
            show_inline_error(self.error_label, str(error))

    # ------------------------------------------------------------------ import
    def start_import(self) -> None:
        path, name = self.file_edit.text().strip(), self.list_combo.currentText().strip()
        if self.running:
            return
        if not path or not name:
            show_inline_error(self.error_label, "Choose a file and the list to import into.")
            return
        if not self.replace_radio.isChecked():
            self._run_import(Path(path), name, replace=False)
            return
        confirm(
            self,
            "Replace the list's entries",
            f"Every entry of the list {name} is deleted and replaced by the file's entries "
            "(in one step: if the file has an error, nothing changes). Replace them?",
            lambda: self._run_import(Path(path), name, replace=True),
        )

    def _run_import(self, path: Path, name: str, *, replace: bool) -> None:
        service, actor, mapping = self.gui.services.hotlists, self.actor, self.mapping()
        self._cancel.clear()
        self._progress = (0, 0, 0)

        def progress(lines: int, done: int, total: int) -> None:  # worker thread
            self._progress = (lines, done, total)

        def work() -> ImportResult:
            return service.import_csv(
                actor,
                path,
                name,
                mapping=mapping,
                replace=replace,
                create_missing=True,
                progress=progress,
                cancelled=self._cancel.is_set,
            )

        self._set_running(True)
        self.gui.background.run(
            work, on_done=self._imported, on_error=self._import_failed, context=self, long=True
        )

    def _set_running(self, running: bool) -> None:
        self.running = running
        for widget in (*self.inputs, self.import_button, self.close_button):
            widget.setEnabled(not running)
        self.cancel_button.setEnabled(True)
        for widget in (self.progress_bar, self.cancel_button, self.progress_label):
            widget.setVisible(running)
        if running:
            show_inline_error(self.error_label, "")
            self.error_table.hide()
            self.progress_bar.setValue(0)
            self.progress_label.setText("Starting…")
            self._poll.start()
        else:
            self._poll.stop()

    def _show_progress(self) -> None:
        lines, done, total = self._progress
        if total > 0:
            self.progress_bar.setValue(int(1000 * done / total))
        if lines:
            self.progress_label.setText(f"{lines:,} lines checked")

    def cancel(self) -> None:
        """Ask the running import to stop; the service rolls everything back."""
        if self.running:
            self._cancel.set()
            self.cancel_button.setEnabled(False)
            self.progress_label.setText("Cancelling…")

    def reject(self) -> None:
        if self.running:
            self.cancel()  # closing waits for the import to end (it is rolled back)
            return
        super().reject()

    def _imported(self, result: ImportResult) -> None:
        self._set_running(False)
        self.result_value = result
        self.accept()

    def _import_failed(self, error: AlprError) -> None:
        self._set_running(False)
        if isinstance(error, ImportRejected):
            self.show_errors(error.report)
        elif isinstance(error, ImportCancelled):
            show_inline_error(self.error_label, "The import was cancelled — nothing was imported.")
        else:
            show_inline_error(self.error_label, str(error))

    def show_errors(self, report: hotlist_import.ValidationReport) -> None:
        rows = [
            [str(e.line) if e.line else "—", e.column or "—", e.value, e.message]
            for e in report.errors
        ]
        _fill(self.error_table, rows)
        self.error_table.setWordWrap(True)  # the messages are sentences: wrap, never cut
        self.error_table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.error_table.resizeRowsToContents()
        count = report.error_count
        summary = f"{count:,} error{'s' if count != 1 else ''} — nothing was imported."
        if count > len(report.errors):
            summary += f" The first {len(report.errors):,} are listed."
        show_inline_error(self.error_label, summary)
        self.error_table.show()
