"""The Releases page's request form: writing and editing a request.

:class:`RequestDialog` records another agency's written request: every field of
:class:`~alpr_desktop.core.releases.RequestFields`, the department's authorised purpose
(chosen from its list, never pre-filled), the data asked for in words and as a search,
and — once the request is saved — the written request itself as attachments. Each
field's problem (``field_problems``) is shown next to it as it is typed. "Save draft"
keeps the dialog open (attachments can then be added); "Submit" sends it to the
commander and closes it.

Every call runs on the background worker; a refusal is shown inline and the dialog
stays open. Deciding a request is in :mod:`.release_decision`, fulfilling an approved
one in :mod:`.release_fulfil`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.core.releases import AgencyType, RequestFields, field_problems
from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.search.filters import aware, datetime_edit
from alpr_desktop.gui.widgets import hidden_label, show_inline_error
from alpr_desktop.services.base import Actor
from alpr_desktop.services.release_record import STATUS_LABELS
from alpr_desktop.services.release_records import AttachmentView, ReleaseView, SavedQuery
from alpr_desktop.services.search import ReadFilters

#: The text fields of the form: (attribute, caption, multi-line, placeholder).
TEXT_FIELDS: tuple[tuple[str, str, bool, str], ...] = (
    ("agency_name", "Agency", False, "e.g. Riverside County Sheriff's Department"),
    ("requester_name", "Requester", False, "name of the person asking"),
    ("requester_title", "Title", False, "e.g. Detective, Robbery"),
    ("requester_contact", "Contact", False, "e-mail address or telephone number"),
    ("case_number", "Case number", False, "the requesting agency's case number"),
    ("intended_purpose", "Intended purpose", True, "what the agency wants the data for"),
    ("legal_basis", "Legal basis", True, "e.g. Civ. Code 1798.90.55(b), public agency"),
    ("data_requested", "Data asked for", True, "in words, e.g. every read of 7ABC123 in March"),
)
LEFT = ("agency_name", "agency_type", "agency_state", "requester_name", "requester_title",
        "requester_contact", "case_number", "purpose")  # fmt: skip

#: Lets tests answer the file chooser: (parent) -> chosen paths.
ChooseFiles = Callable[[QWidget], list[str]]


def choose_attachments(parent: QWidget) -> list[str]:
    paths, _filter = QFileDialog.getOpenFileNames(
        parent,
        "Attach the written request",
        "",
        "Written request (*.pdf *.png *.jpg *.jpeg *.tif *.tiff)",
    )
    return list(paths)


def field_message(parent: QWidget) -> QLabel:
    """A small message under a field (the theme's danger colour), hidden while it is fine."""
    label = QLabel(parent)
    label.setObjectName("fieldProblem")
    label.setWordWrap(True)
    label.hide()
    return label


def _stacked(parent: QWidget, widget: QWidget, message: QLabel) -> QWidget:
    box = QWidget(parent)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(widget)
    layout.addWidget(message)
    return box


class RequestDialog(QDialog):
    """A new request, or a draft or submitted one (``view``) to change."""

    choose_files: ChooseFiles = staticmethod(choose_attachments)

    def __init__(
        self,
        gui: GuiContext,
        actor: Actor,
        purposes: Sequence[str],
        parent: QWidget | None = None,
        *,
        view: ReleaseView | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("releaseRequestDialog")
        self.gui, self.actor, self.view = gui, actor, view
        self.result_value: ReleaseView | None = view
        self.attachments: list[AttachmentView] = list(view.attachments) if view else []
        self._tried_submit = False
        self._busy = False
        title = "New release request" if view is None else f"Release request {view.id}"
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 14)
        intro = QLabel(
            "Record the written request as the agency sent it. California state and local "
            "public agencies only may receive ALPR data (Civ. Code 1798.90.55(b)); the "
            "commander decides. Every change is recorded with your name.",
            self,
        )
        intro.setWordWrap(True)
        intro.setObjectName("muted")
        layout.addWidget(intro)
        self.edits: dict[str, QLineEdit | QPlainTextEdit] = {}
        self.messages: dict[str, QLabel] = {}
        widgets: dict[str, QWidget] = {}
        for name, _caption, multiline, placeholder in TEXT_FIELDS:
            edit: QLineEdit | QPlainTextEdit
            if multiline:
                edit = QPlainTextEdit(self)
                edit.setFixedHeight(54)
                edit.setPlaceholderText(placeholder)
                edit.textChanged.connect(self.validate)
            else:
                edit = QLineEdit(self)
                edit.setPlaceholderText(placeholder)
                edit.textChanged.connect(self.validate)
            self.edits[name] = edit
            widgets[name] = edit
        self.type_combo = QComboBox(self)
        for kind in AgencyType:
            self.type_combo.addItem(kind.label, kind)
        self.type_combo.setCurrentIndex(-1)  # the officer says what kind of body asks
        self.type_combo.setPlaceholderText("Choose the kind of agency…")
        self.type_combo.currentIndexChanged.connect(self._type_changed)
        widgets["agency_type"] = self.type_combo
        self.state_edit = QLineEdit(self)
        self.state_edit.setMaxLength(2)
        self.state_edit.setFixedWidth(60)
        self.state_edit.setPlaceholderText("CA")
        self.state_edit.textChanged.connect(self.validate)
        widgets["agency_state"] = self.state_edit
        self.purpose_combo = QComboBox(self)
        self.purpose_combo.addItems(list(purposes))
        self.purpose_combo.setCurrentIndex(-1)  # never pre-filled
        self.purpose_combo.setPlaceholderText("Choose the authorised purpose…")
        self.purpose_combo.currentIndexChanged.connect(self.validate)
        for combo in (self.type_combo, self.purpose_combo):  # long items must not squeeze
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(18)
        widgets["purpose"] = self.purpose_combo
        captions = {name: caption for name, caption, _m, _p in TEXT_FIELDS}
        captions |= {"agency_type": "Agency type", "agency_state": "State",
                     "purpose": "Authorised purpose"}  # fmt: skip
        columns = QHBoxLayout()
        left_group = QGroupBox("Who asks", self)
        left = QFormLayout(left_group)
        right_group = QGroupBox("What for, and what", self)
        right = QFormLayout(right_group)
        for name in (*LEFT, *(n for n, *_ in TEXT_FIELDS if n not in LEFT)):
            self.messages[name] = field_message(self)
            form = left if name in LEFT else right
            form.addRow(f"{captions[name]}:", _stacked(self, widgets[name], self.messages[name]))
        self.pattern_edit = QLineEdit(self)
        self.pattern_edit.setPlaceholderText("plate or pattern, e.g. 7ABC123 or 7AB*12")
        self.pattern_edit.textChanged.connect(self.validate)
        self.confusable_box = QCheckBox("Confusable characters (0/O, 8/B…)", self)
        self.fuzzy_box = QCheckBox("One character off", self)
        modes = QVBoxLayout()
        modes.setSpacing(2)
        modes.addWidget(self.confusable_box)
        modes.addWidget(self.fuzzy_box)
        now = gui.services.ctx.display_now()
        self.since_box = QCheckBox("From", self)
        self.since_edit = datetime_edit(self, now - dt.timedelta(days=30))
        self.until_box = QCheckBox("To", self)
        self.until_edit = datetime_edit(self, now)
        period = QFormLayout()
        period.setContentsMargins(0, 0, 0, 0)
        for box, edit in ((self.since_box, self.since_edit), (self.until_box, self.until_edit)):
            edit.setEnabled(False)
            box.toggled.connect(edit.setEnabled)
            period.addRow(box, edit)
        self.messages["query"] = field_message(self)
        right.addRow("As a search:", _stacked(self, self.pattern_edit, self.messages["query"]))
        right.addRow("", modes)
        right.addRow("Period:", period)
        self.attachment_list = QListWidget(self)
        self.attachment_list.setObjectName("attachmentList")
        self.attachment_list.setFixedHeight(64)
        self.add_button = QPushButton("Add…", self)
        self.add_button.clicked.connect(self.add_files)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.clicked.connect(self.remove_selected)
        self.attachment_list.itemSelectionChanged.connect(self._update_buttons)
        attach_buttons = QVBoxLayout()
        attach_buttons.addWidget(self.add_button)
        attach_buttons.addWidget(self.remove_button)
        attach_buttons.addStretch(1)
        attach_row = QHBoxLayout()
        attach_row.addWidget(self.attachment_list, 1)
        attach_row.addLayout(attach_buttons)
        self.attach_hint = QLabel("Save the draft first, then attach the written request.", self)
        self.attach_hint.setObjectName("muted")
        right.addRow("Attachments:", attach_row)
        right.addRow("", self.attach_hint)
        columns.addWidget(left_group, 4)
        columns.addWidget(right_group, 5)
        layout.addLayout(columns)
        self.saved_label = QLabel(self)
        self.saved_label.setObjectName("okLabel")
        self.saved_label.hide()
        layout.addWidget(self.saved_label)
        self.error_label = hidden_label(self)
        layout.addWidget(self.error_label)
        self.buttons = QDialogButtonBox(self)
        self.save_button = self.buttons.addButton(
            "Save draft", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.submit_button = self.buttons.addButton(
            "Submit", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.save_button.clicked.connect(self.save_draft)
        self.submit_button.clicked.connect(self.submit)
        self.close_button.clicked.connect(self._close)
        layout.addWidget(self.buttons)
        if view is not None:
            self._load(view)
        self.setMinimumWidth(1040)
        self.validate()

    # ------------------------------------------------------------------ the form
    def _load(self, view: ReleaseView) -> None:
        f = view.fields
        for name, edit in self.edits.items():
            value = getattr(f, name)
            if isinstance(edit, QPlainTextEdit):
                edit.setPlainText(value)
            else:
                edit.setText(value)
        self.type_combo.setCurrentIndex(self.type_combo.findData(f.agency_type))
        self.state_edit.setText(f.agency_state)
        self.purpose_combo.setCurrentIndex(self.purpose_combo.findText(f.purpose))
        if view.query is not None:
            self.pattern_edit.setText(view.query.pattern)
            self.confusable_box.setChecked(view.query.confusable)
            self.fuzzy_box.setChecked(view.query.fuzzy)
            for moment, box, edit in (
                (view.query.filters.since, self.since_box, self.since_edit),
                (view.query.filters.until, self.until_box, self.until_edit),
            ):
                box.setChecked(moment is not None)
                if moment is not None:
                    edit.setDateTime(moment.astimezone().replace(tzinfo=None))
        if view.status.value != "draft":
            self.save_button.setText("Save changes")
            self.submit_button.hide()
        self._show_attachments()

    def _type_changed(self) -> None:
        kind = self.type_combo.currentData()
        state = self.state_edit.text().strip().upper()
        if kind in (AgencyType.CA_STATE, AgencyType.CA_LOCAL) and not state:
            self.state_edit.setText("CA")
        elif kind is AgencyType.OUT_OF_STATE and state == "CA":
            self.state_edit.clear()
        self.validate()

    def fields(self) -> RequestFields:
        values = {
            name: edit.toPlainText() if isinstance(edit, QPlainTextEdit) else edit.text()
            for name, edit in self.edits.items()
        }
        kind = self.type_combo.currentData()
        purpose = self.purpose_combo.currentText() if self.purpose_combo.currentIndex() >= 0 else ""
        return RequestFields(
            agency_type=kind if isinstance(kind, AgencyType) else AgencyType.CA_LOCAL,
            agency_state=self.state_edit.text().strip().upper(),
            purpose=purpose,
            **values,
        )

    def query(self) -> SavedQuery | None:
        pattern = self.pattern_edit.text().strip()
        if not pattern:
            return None
        base = self.view.query.filters if self.view and self.view.query else ReadFilters()
        filters = dataclasses.replace(
            base,
            since=aware(self.since_edit) if self.since_box.isChecked() else None,
            until=aware(self.until_edit) if self.until_box.isChecked() else None,
        )
        return SavedQuery(
            pattern, self.confusable_box.isChecked(), self.fuzzy_box.isChecked(), filters
        )

    def problems(self, *, complete: bool) -> dict[str, str]:
        """Each field's problem (the core rules, the agency type and the search)."""
        problems = field_problems(self.fields(), complete=complete)
        if self.type_combo.currentIndex() < 0:
            problems = {"agency_type": "Choose the kind of agency that asks.", **problems}
        if complete and not self.pattern_edit.text().strip():
            problems["query"] = "Give the data asked for as a search (a plate or pattern)."
        since, until = self.since_box.isChecked(), self.until_box.isChecked()
        if since and until and aware(self.since_edit) >= aware(self.until_edit):
            problems["query"] = "The start of the period must be before its end."
        return problems

    def validate(self) -> dict[str, str]:
        """Show each field's message; what is missing for submitting only once tried."""
        shown = self.problems(complete=True)
        draft = self.problems(complete=False)
        for name, label in self.messages.items():
            text = draft.get(name) or (shown.get(name, "") if self._tried_submit else "")
            label.setText(text)
            label.setVisible(bool(text))
        self._update_buttons()
        return draft

    def _update_buttons(self) -> None:
        saved = self.request_id is not None
        self.save_button.setEnabled(not self._busy)
        self.submit_button.setEnabled(not self._busy)
        self.add_button.setEnabled(saved and not self._busy)
        self.remove_button.setEnabled(
            saved and not self._busy and bool(self.attachment_list.selectedItems())
        )
        self.attach_hint.setVisible(not saved)

    @property
    def request_id(self) -> int | None:
        return self.result_value.id if self.result_value is not None else None

    # ------------------------------------------------------------------ saving
    def save_draft(self) -> None:
        if self.validate():
            show_inline_error(self.error_label, "Correct the fields marked in red first.")
            return
        self._save(submit=False)

    def submit(self) -> None:
        self._tried_submit = True
        self.validate()
        problems = self.problems(complete=True)
        if problems:
            show_inline_error(
                self.error_label,
                f"{len(problems)} field(s) to complete or correct before submitting.",
            )
            return
        self._save(submit=True)

    def _save(self, *, submit: bool) -> None:
        releases, actor = self.gui.services.releases, self.actor
        fields, query, request_id = self.fields(), self.query(), self.request_id

        def work() -> ReleaseView:
            if request_id is None:
                return releases.create(actor, fields, query, submit=submit)
            view = releases.update(actor, request_id, fields, query)
            return releases.submit(actor, request_id) if submit else view

        self._run(work, self._submitted if submit else self._saved)

    def _run(self, work: Callable[[], Any], then: Callable[[Any], None]) -> None:
        self._busy = True
        self._update_buttons()
        show_inline_error(self.error_label, "")
        self.gui.background.run(work, on_done=then, on_error=self._failed, context=self)

    def _failed(self, error: AlprError) -> None:
        self._busy = False
        self._update_buttons()
        show_inline_error(self.error_label, str(error))

    def _saved(self, view: ReleaseView) -> None:
        self._busy = False
        self.result_value = view
        self.setWindowTitle(f"Release request {view.id}")
        self.saved_label.setText(
            f"Saved as request {view.id} ({STATUS_LABELS[view.status].lower()})."
            + (" Attach the written request with Add…" if not self.attachments else "")
        )
        self.saved_label.show()
        self._update_buttons()

    def _submitted(self, view: ReleaseView) -> None:
        self._busy = False
        self.result_value = view
        self.accept()

    def _close(self) -> None:
        if self.result_value is not None and self.result_value is not self.view:
            self.accept()  # something was saved: the page reloads
        else:
            self.reject()

    # ------------------------------------------------------------------ attachments
    def _show_attachments(self) -> None:
        self.attachment_list.clear()
        for a in self.attachments:
            item = QListWidgetItem(f"{a.filename} — {a.media_type}, {a.size:,} bytes")
            item.setData(Qt.ItemDataRole.UserRole, a.id)
            item.setToolTip(f"SHA-256 {a.sha256}; added by {a.added_by}")
            self.attachment_list.addItem(item)
        self._update_buttons()

    def add_files(self) -> None:
        request_id = self.request_id
        if request_id is None:
            return
        paths = [Path(p) for p in self.choose_files(self)]
        if not paths:
            return
        releases, actor = self.gui.services.releases, self.actor

        def work() -> list[AttachmentView]:  # the files are read here, on the worker
            return [
                releases.add_attachment(actor, request_id, p.name, p.read_bytes()) for p in paths
            ]

        def added(views: list[AttachmentView]) -> None:
            self._busy = False
            self.attachments.extend(views)
            self._show_attachments()
            self.saved_label.setText(f"Attached {', '.join(v.filename for v in views)}.")
            self.saved_label.show()

        self._run(work, added)

    def remove_selected(self) -> None:
        items = self.attachment_list.selectedItems()
        if not items:
            return
        attachment_id = int(items[0].data(Qt.ItemDataRole.UserRole))
        releases, actor = self.gui.services.releases, self.actor

        def removed(_none: None) -> None:
            self._busy = False
            self.attachments = [a for a in self.attachments if a.id != attachment_id]
            self._show_attachments()

        self._run(lambda: releases.remove_attachment(actor, attachment_id), removed)
