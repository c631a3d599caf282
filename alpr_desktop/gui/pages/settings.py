"""Department settings: three groups, each saved on its own by the roles that may.

* Security and accounts (MANAGE_SETTINGS): agency name, passwords, lockout, inactivity,
  training validity and the idle auto-lock.
* Access purposes, alert dispositions and the map (MANAGE_SETTINGS): the editable
  lists (defaulting to the purposes of policy 471.4), the map tile server and its
  attribution.
* Retention and designee: retention (SET_RETENTION, policy 471.5) and the designee
  (NAME_DESIGNEE, policy 471.3.1(e)).

A group sends only what changed. The service validates and applies a call all at once
or not at all; when a group's changes need two permissions (retention and designee),
everything is validated first and then saved in one call per permission. A refusal is
shown in the group and nothing is applied. Edits a user has not saved survive a reload
caused by someone else's save.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.core.purposes import DEFAULT_PURPOSES
from alpr_desktop.core.roles import PERMISSIONS, Action
from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages.base import Page
from alpr_desktop.gui.pages.list_editor import ListEditor
from alpr_desktop.gui.widgets import show_inline_error
from alpr_desktop.messages import Topic
from alpr_desktop.services.base import Actor
from alpr_desktop.services.settings_service import SPECIAL_PERMISSIONS
from alpr_desktop.settings import (
    DEFAULT_DISPOSITION_REASONS,
    Argon2Parameters,
    DepartmentSettings,
)

#: Whoever may do any of these sees the page.
SETTINGS_ACTIONS: frozenset[Action] = frozenset(
    {Action.MANAGE_SETTINGS, Action.SET_RETENTION, Action.NAME_DESIGNEE}
)

#: What one key is called in messages ("Saved: lockout threshold.").
NAMES: dict[str, str] = {
    "agency_name": "agency name",
    "password_min_length": "minimum password length",
    "lockout_threshold": "lockout threshold",
    "lockout_window_minutes": "lockout window",
    "lockout_duration_minutes": "lockout duration",
    "inactivity_suspend_days": "inactivity suspension",
    "training_validity_days": "training validity",
    "idle_lock_minutes": "idle auto-lock",
    "purposes": "access purposes",
    "disposition_reasons": "alert disposition reasons",
    "tile_url": "map tile server",
    "tile_attribution": "map tile attribution",
    "retention_days": "retention period",
    "designee_name": "designee name",
    "designee_title": "designee title",
    "argon2": "password hashing cost",
    "supervisors_may_suspend_administrators": "supervisors suspending administrators",
}


class Argon2Editor(QWidget):
    """Argon2id's cost in one row: passes × memory (MiB) × lanes."""

    changed = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.time_cost = self._spin(1, 20, " passes")
        self.memory_mib = self._spin(7, 2048, " MiB")
        self.parallelism = self._spin(1, 16, " lanes")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        for box in (self.time_cost, self.memory_mib, self.parallelism):
            row.addWidget(box)
        self.setToolTip(
            "Changed parameters rehash each password at its next sign-in. OWASP's minimum: "
            "19 MiB with 2 passes, or 12/3, 9/4, 7/5, 46/1 (MiB/passes)."
        )

    def _spin(self, low: int, high: int, suffix: str) -> QSpinBox:
        box = QSpinBox(self)
        box.setRange(low, high)
        box.setSuffix(suffix)
        box.valueChanged.connect(self.changed)
        return box

    def value(self) -> Argon2Parameters:
        return Argon2Parameters(
            time_cost=self.time_cost.value(),
            memory_cost_kib=self.memory_mib.value() * 1024,
            parallelism=self.parallelism.value(),
        )

    def set_value(self, params: Argon2Parameters) -> None:
        self.time_cost.setValue(params.time_cost)
        self.memory_mib.setValue(params.memory_cost_kib // 1024)
        self.parallelism.setValue(params.parallelism)


Editor = QSpinBox | QLineEdit | ListEditor | QCheckBox | Argon2Editor


def required_action(key: str) -> Action:
    return SPECIAL_PERMISSIONS.get(key, Action.MANAGE_SETTINGS)


def field_limits(key: str) -> tuple[int, int]:
    """The schema's ``ge``/``le`` bounds of an integer setting."""
    low, high = 0, 2**31 - 1
    for meta in DepartmentSettings.model_fields[key].metadata:
        ge, le = getattr(meta, "ge", None), getattr(meta, "le", None)
        if ge is not None:
            low = int(ge)
        if le is not None:
            high = int(le)
    return low, high


def max_length(key: str) -> int | None:
    for meta in DepartmentSettings.model_fields[key].metadata:
        if getattr(meta, "max_length", None) is not None:
            return int(meta.max_length)
    return None


def roles_needed(action: Action) -> str:
    """ "the Commander role" / "the Supervisor or Commander role"."""
    return "the " + " or ".join(role.label for role in sorted(PERMISSIONS[action])) + " role"


def _value(editor: Editor) -> Any:
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    if isinstance(editor, Argon2Editor):
        return editor.value()
    if isinstance(editor, QSpinBox):
        return editor.value()
    if isinstance(editor, QLineEdit):
        return editor.text()
    return editor.items()


def _show(editor: Editor, value: Any) -> None:
    if isinstance(editor, QCheckBox):
        editor.setChecked(bool(value))
    elif isinstance(editor, Argon2Editor):
        editor.set_value(value)
    elif isinstance(editor, QSpinBox):
        editor.setValue(int(value))
    elif isinstance(editor, QLineEdit):
        editor.setText(str(value))
        editor.setCursorPosition(0)
    else:
        editor.set_items(list(value))


def _hint(text: str, parent: QWidget) -> QLabel:
    # One line, no word wrap: wrapped labels make the scroll area use the preferred
    # height (height-for-width) and scroll where everything would fit.
    label = QLabel(text, parent)
    label.setObjectName("muted")
    return label


def _caption(title: str, hint: str, parent: QWidget) -> QLabel:
    return QLabel(f"<b>{title}</b> — {hint}", parent)


#: Read-only inputs look read-only (the application sheet styles inputs in every state).
_LOCAL_QSS = """
QSpinBox:disabled {{ color: {text_muted}; }}
QLineEdit:disabled, QListWidget:disabled {{ background: {surface_alt}; color: {text_muted}; }}
"""


class SettingsGroup(QGroupBox):
    """A titled group of settings with its own Save and Discard buttons."""

    #: for the read-only note: action -> what it guards ("the retention period")
    guarded: ClassVar[Mapping[Action, str]] = {Action.MANAGE_SETTINGS: "these settings"}

    def __init__(self, page: SettingsPage, title: str) -> None:
        super().__init__(title, page)
        self.gui, self.actor = page.gui, page.actor
        self.editors: dict[str, Editor] = {}
        self.baseline: DepartmentSettings | None = None
        self.busy = False
        self._loading = False
        self._saving: list[str] = []
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(12, 6, 12, 8)
        self.body.setSpacing(6)
        self.permission_label = QLabel(self)
        self.permission_label.setObjectName("muted")
        self.permission_label.hide()
        self.body.addWidget(self.permission_label)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        show_inline_error(self.error_label, "")
        self.status_label = QLabel(self)
        self.status_label.setObjectName("okLabel")
        # never widen the group (a long text would make the page scroll sideways)
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.revert_button = QPushButton(
            self.gui.theme.icon("fa5s.history"), "Discard changes", self
        )
        self.revert_button.clicked.connect(self.revert)
        self.save_button = QPushButton(self.gui.theme.icon("fa5s.save"), "Save", self)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.gui.theme.changed.connect(self._recolour)

    @staticmethod
    def form() -> QFormLayout:
        form = QFormLayout()
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(4)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        return form

    def spin(self, key: str, suffix: str, tip: str = "") -> QSpinBox:
        box = QSpinBox(self)
        box.setRange(*field_limits(key))
        box.setSuffix(suffix)
        box.setAccelerated(True)
        box.setMinimumWidth(150)
        box.setToolTip(tip or f"{box.minimum()}–{box.maximum()}{suffix}")
        self.register(key, box)
        return box

    def line(self, key: str, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit(self)
        limit = max_length(key)
        if limit is not None:
            edit.setMaxLength(limit)
        edit.setPlaceholderText(placeholder)
        self.register(key, edit)
        return edit

    def register(self, key: str, editor: Editor) -> None:
        self.editors[key] = editor
        if isinstance(editor, QCheckBox):
            editor.toggled.connect(self._edited)
        elif isinstance(editor, QSpinBox):
            editor.valueChanged.connect(self._edited)
        elif isinstance(editor, QLineEdit):
            editor.textChanged.connect(self._edited)
        else:
            editor.changed.connect(self._edited)

    def finish_layout(self) -> None:
        """Add the note, messages and buttons; apply what this user may change."""
        row = QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(self.status_label, 1)
        row.addWidget(self.revert_button)
        row.addWidget(self.save_button)
        self.body.addWidget(self.error_label)
        self.body.addLayout(row)
        needed = {required_action(key) for key in self.editors}
        refused = sorted(action for action in needed if not self.actor.may(action))
        for key, editor in self.editors.items():
            editor.setEnabled(required_action(key) not in refused)
        if refused:
            needs = [(self.guarded[action], roles_needed(action)) for action in refused]
            if len(refused) == len(needed) and len({n for _w, n in needs}) == 1:
                note = f"Read only: changing these needs {needs[0][1]}."
            else:
                note = "Read only: " + "; ".join(f"{w} needs {n}" for w, n in needs) + "."
            self.permission_label.setText(note)
            self.permission_label.show()
            self.setToolTip(note)
        self.setEnabled(self.editable)
        self._update_buttons()

    @property
    def editable(self) -> bool:
        return any(editor.isEnabledTo(self) for editor in self.editors.values())

    # ------------------------------------------------------------------ values
    def changes(self) -> dict[str, Any]:
        """The settings this user changed here (and may change)."""
        if self.baseline is None:
            return {}
        out = {}
        for key, editor in self.editors.items():
            value = _value(editor)
            if editor.isEnabledTo(self) and value != getattr(self.baseline, key):
                out[key] = value
        return out

    def load(self, settings: DepartmentSettings, *, force: bool = False) -> None:
        """Take ``settings`` as the saved state; unsaved edits stay unless ``force``."""
        dirty = bool(self.changes())
        self.baseline = settings
        if force or not dirty:
            self._show(settings)
        self._update_buttons()

    def _show(self, settings: DepartmentSettings) -> None:
        self._loading = True
        try:
            for key, editor in self.editors.items():
                _show(editor, getattr(settings, key))
        finally:
            self._loading = False

    def revert(self) -> None:
        if self.baseline is not None:
            self._show(self.baseline)
        show_inline_error(self.error_label, "")
        self._update_buttons()

    def _edited(self) -> None:
        if self._loading:
            return
        self.status_label.clear()
        self.status_label.setToolTip("")
        show_inline_error(self.error_label, "")
        self._update_buttons()

    def _update_buttons(self) -> None:
        dirty = not self.busy and bool(self.changes())
        self.save_button.setEnabled(dirty)
        self.revert_button.setEnabled(dirty)

    # ------------------------------------------------------------------ saving
    def save(self) -> None:
        changes = self.changes()
        if self.busy or not changes:
            return
        parts: dict[Action, dict[str, Any]] = {}
        for key, value in changes.items():
            parts.setdefault(required_action(key), {})[key] = value
        batches = list(parts.values())
        service, actor = self.gui.services.settings, self.actor

        def work() -> DepartmentSettings:
            if len(batches) > 1:  # validate everything before applying anything
                service.current().updated(**changes)
            result = service.current()
            for batch in batches:
                result = service.update(actor, **batch)
            return result

        self.busy = True
        self._saving = list(changes)
        self.status_label.clear()
        show_inline_error(self.error_label, "")
        self._update_buttons()
        self.gui.background.run(work, on_done=self._saved, on_error=self._failed, context=self)

    def _saved(self, settings: DepartmentSettings) -> None:
        self.busy = False
        self.load(settings, force=True)
        names = ", ".join(NAMES.get(key, key) for key in self._saving)
        self.status_label.setText("Saved.")
        self.status_label.setToolTip(f"Saved {names}; the change is in the access trail.")
        self.gui.services.ctx.messages.info(f"Department settings saved: {names}.")

    def _failed(self, error: AlprError) -> None:
        self.busy = False
        show_inline_error(self.error_label, str(error))
        self._update_buttons()

    def _recolour(self) -> None:
        self.revert_button.setIcon(self.gui.theme.icon("fa5s.history"))
        self.save_button.setIcon(self.gui.theme.icon("fa5s.save"))


class SecurityGroup(SettingsGroup):
    def __init__(self, page: SettingsPage) -> None:
        super().__init__(page, "Security and accounts")
        form = self.form()
        form.addRow("Agency name:", self.line("agency_name", "Shown on reports and sign-in"))
        form.addRow(
            "Minimum password length:",
            self.spin("password_min_length", " characters", "At least 12 characters."),
        )
        form.addRow(
            "Lock an account after:",
            self.spin("lockout_threshold", " failed sign-ins", "Failed sign-ins in the window."),
        )
        form.addRow("Counting failures over:", self.spin("lockout_window_minutes", " minutes"))
        form.addRow("Keep the account locked:", self.spin("lockout_duration_minutes", " minutes"))
        form.addRow(
            "Suspend accounts unused for:",
            self.spin("inactivity_suspend_days", " days", "Days without a sign-in."),
        )
        form.addRow(
            "Training is valid for:",
            self.spin(
                "training_validity_days",
                " days",
                "Used when a training record has no expiry date of its own.",
            ),
        )
        form.addRow("Lock an idle workstation after:", self.spin("idle_lock_minutes", " minutes"))
        self.body.addLayout(form)
        self.finish_layout()


class ListsGroup(SettingsGroup):
    def __init__(self, page: SettingsPage) -> None:
        super().__init__(page, "Access purposes, alert dispositions and the map")
        theme = self.gui.theme
        self.purposes = ListEditor(
            theme,
            noun="purpose",
            defaults=DEFAULT_PURPOSES,
            restore_text="Restore 471.4 defaults",
            parent=self,
        )
        self.dispositions = ListEditor(
            theme,
            noun="disposition reason",
            defaults=DEFAULT_DISPOSITION_REASONS,
            restore_text="Restore defaults",
            parent=self,
        )
        self.register("purposes", self.purposes)
        self.register("disposition_reasons", self.dispositions)
        self.body.addWidget(
            _caption("Access purposes", "one is named for every access (policy 471.4)", self)
        )
        self.body.addWidget(self.purposes, 5)
        self.body.addWidget(
            _caption("Alert disposition reasons", "offered when an alert is closed", self)
        )
        self.body.addWidget(self.dispositions, 3)
        form = self.form()
        form.addRow(
            "Map tile server:",
            self.line("tile_url", "none: a coordinate grid (https://…/{z}/{x}/{y}.png)"),
        )
        form.addRow("Tile attribution:", self.line("tile_attribution", "© the tiles' owner"))
        self.body.addLayout(form)
        self.finish_layout()


class PolicyGroup(SettingsGroup):
    def __init__(self, page: SettingsPage) -> None:
        super().__init__(page, "Password hashing and duties")
        form = self.form()
        argon2 = Argon2Editor(self)
        self.register("argon2", argon2)
        form.addRow("Argon2id cost:", argon2)  # its tooltip gives OWASP's minimum pairs
        suspend = QCheckBox("Supervisors may suspend administrators", self)
        self.register("supervisors_may_suspend_administrators", suspend)
        form.addRow("Duties:", suspend)
        self.body.addLayout(form)
        self.finish_layout()


class RetentionGroup(SettingsGroup):
    guarded: ClassVar[Mapping[Action, str]] = {
        Action.SET_RETENTION: "the retention period",
        Action.NAME_DESIGNEE: "the designee",
    }

    def __init__(self, page: SettingsPage) -> None:
        super().__init__(page, "Retention and designee")
        form = self.form()
        form.addRow("Keep ALPR data for:", self.spin("retention_days", " days"))
        form.addRow(
            _hint(
                "Policy 471.5: at least 365 days, then purged unless held as evidence.",
                self,
            )
        )
        designee = "Policy 471.3.1(e): who currently oversees the ALPR operation."
        name = self.line("designee_name", "e.g. Lt. Alex Rivera")
        title = self.line("designee_title", "e.g. Investigations Commander")
        for edit in (name, title):
            edit.setToolTip(designee)
        form.addRow("Designee (471.3.1(e)):", name)
        form.addRow("Designee title:", title)
        self.body.addLayout(form)
        self.finish_layout()


class SettingsPage(Page):
    topics = frozenset({Topic.SETTINGS})

    def __init__(self, gui: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(gui, actor, "Settings", parent)
        self.load_error = QLabel(self)
        self.load_error.setObjectName("errorLabel")
        self.load_error.setWordWrap(True)
        show_inline_error(self.load_error, "")
        content = QWidget(self)
        content.setEnabled(False)  # until the settings are loaded: no edits to lose
        self.content = content
        self.security = SecurityGroup(self)
        self.lists = ListsGroup(self)
        self.retention = RetentionGroup(self)
        self.policy = PolicyGroup(self)
        self.groups: Sequence[SettingsGroup] = (
            self.security,
            self.lists,
            self.retention,
            self.policy,
        )
        # Two columns that stack their groups independently (a grid's shared row
        # heights would make the page taller than 1280x720 allows).
        columns = QHBoxLayout(content)
        columns.setContentsMargins(0, 0, 4, 0)
        columns.setSpacing(16)
        left, right = QVBoxLayout(), QVBoxLayout()
        for column in (left, right):
            column.setSpacing(8)
            columns.addLayout(column, 1)
        left.addWidget(self.security)
        left.addWidget(self.retention)
        left.addStretch(1)
        right.addWidget(self.lists, 1)  # the lists take whatever height is left
        right.addWidget(self.policy)
        scroll = QScrollArea(self)
        scroll.setObjectName("settingsScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        # Laid out to fit 1280x720 (both columns shrink to their minimums); a smaller
        # window scrolls vertically only, never sideways.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        self.layout_.addWidget(self.load_error)
        self.layout_.addWidget(scroll, 1)
        gui.theme.changed.connect(self._restyle)
        self._restyle()

    def _restyle(self) -> None:
        colour = self.gui.theme.colour
        tokens = ("surface_alt", "text_muted")
        self.setStyleSheet(_LOCAL_QSS.format(**{t: colour(t) for t in tokens}))

    def refresh(self) -> None:
        self.gui.background.run(
            self.gui.services.settings.current,
            on_done=self._loaded,
            on_error=lambda error: show_inline_error(self.load_error, str(error)),
            context=self,
        )

    def _loaded(self, settings: DepartmentSettings) -> None:
        show_inline_error(self.load_error, "")
        for group in self.groups:
            group.load(settings)
        self.content.setEnabled(True)
