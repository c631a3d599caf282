"""The lock screen that covers the main window while the workstation is locked."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.widgets import show_inline_error
from alpr_desktop.services.base import Actor


class LockScreen(QWidget):
    """Hides everything; the signed-in user's password unlocks, or they sign out."""

    #: Emitted with the new :class:`Actor`: the lock ended the session, the unlock began one.
    unlocked = Signal(object)
    sign_out_requested = Signal()

    def __init__(self, gui: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.gui = gui
        self.actor = actor
        self.setObjectName("lockScreen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        card = QFrame(self)
        card.setObjectName("lockCard")
        card.setFixedWidth(440)
        layout = QVBoxLayout(card)
        layout.setContentsMargins(28, 24, 28, 24)
        layout.setSpacing(12)
        title = QLabel("Workstation locked", card)
        title.setObjectName("dialogTitle")
        who = QLabel(
            f"Signed in as {actor.full_name} ({actor.username}). Enter your password to "
            "continue, or sign out so someone else can sign in.",
            card,
        )
        who.setObjectName("muted")
        who.setWordWrap(True)
        self.password_edit = QLineEdit(card)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("Password")
        self.password_edit.returnPressed.connect(self.submit)
        self.error_label = QLabel(card)
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
        show_inline_error(self.error_label, "")
        self.unlock_button = QPushButton("Unlock", card)
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.submit)
        self.sign_out_button = QPushButton("Sign out", card)
        self.sign_out_button.clicked.connect(self.sign_out_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sign_out_button)
        buttons.addStretch(1)
        buttons.addWidget(self.unlock_button)
        for widget in (title, who, self.password_edit, self.error_label):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        # Stretches instead of an alignment flag: an aligned widget gets its plain size
        # hint, and the wrapped text would be cut; a box layout honours height-for-width.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    def reset(self) -> None:
        self.password_edit.clear()
        show_inline_error(self.error_label, "")
        self.unlock_button.setEnabled(True)
        self.password_edit.setFocus()

    def submit(self) -> None:
        password = self.password_edit.text()
        if not password or not self.unlock_button.isEnabled():
            return
        self.unlock_button.setEnabled(False)
        auth, actor = self.gui.services.auth, self.actor
        self.gui.background.run(
            lambda: auth.verify_unlock(actor, password),
            on_done=self._unlocked,
            on_error=self._failed,
            context=self,
        )

    def _unlocked(self, actor: Actor) -> None:
        self.password_edit.clear()
        self.actor = actor
        self.unlocked.emit(actor)

    def _failed(self, error: AlprError) -> None:
        self.unlock_button.setEnabled(True)
        self.password_edit.clear()
        show_inline_error(self.error_label, str(error))
