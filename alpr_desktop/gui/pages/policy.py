"""Policy: the department's ALPR usage and privacy policy, for everyone to read.

The text is the shipped policy or the department's own Markdown file in the data
directory (``services/policy.py``), filled in from the settings and rendered on the
worker. "Export HTML…" writes the standalone page the department posts on its website
(471.3.1(g)); the export is recorded.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QTextBrowser, QWidget

from alpr_desktop.errors import AlprError
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages.base import Page
from alpr_desktop.messages import Topic
from alpr_desktop.services.base import Actor
from alpr_desktop.services.policy import POLICY_FILE_NAME, PolicyDocument, PolicyExport


class PolicyPage(Page):
    topics = frozenset({Topic.SETTINGS})

    def __init__(self, gui: GuiContext, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(gui, actor, "Usage and privacy policy", parent)
        self.document: PolicyDocument | None = None
        bar = QHBoxLayout()
        self.source_label = QLabel("Loading…", self)
        self.source_label.setObjectName("muted")
        self.source_label.setWordWrap(True)
        self.export_button = QPushButton("Export HTML…", self)
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.choose_export)
        bar.addWidget(self.source_label, 1)
        bar.addWidget(self.export_button)
        self.layout_.addLayout(bar)
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("policyBrowser")
        self.browser.setOpenLinks(False)  # nothing is fetched; the page stays as it is
        self.layout_.addWidget(self.browser, 1)
        self.result_label = QLabel(self)
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.hide()
        self.layout_.addWidget(self.result_label)
        self._recolour()
        gui.theme.changed.connect(self._recolour)

    def refresh(self) -> None:
        policy = self.gui.services.policy
        self.gui.background.run(
            policy.document, on_done=self._loaded, on_error=self._failed, context=self
        )

    def _loaded(self, document: PolicyDocument) -> None:
        self.document = document
        self.browser.setHtml(document.html)
        self.export_button.setEnabled(True)
        if document.source == "default":
            where = self.gui.services.policy.custom_path
            own = (
                f" To publish your own, put {POLICY_FILE_NAME} in {where.parent}." if where else ""
            )
            self.source_label.setText(
                "The policy shipped with alpr-desktop, filled in from the department "
                f"settings (agency, designee, retention, purposes).{own}"
            )
        else:
            self.source_label.setText(
                f"The department's own policy ({document.source}), filled in from the settings."
            )

    def _failed(self, error: AlprError) -> None:
        self.source_label.setText("")
        self._show_result(str(error), ok=False)

    # ------------------------------------------------------------------ export
    def choose_export(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self,
            "Export the policy as HTML",
            str(Path.home() / "alpr-usage-and-privacy-policy.html"),
            "HTML page (*.html)",
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        """Write the standalone page to ``path`` on the worker (recorded)."""
        self.export_button.setEnabled(False)
        policy, actor = self.gui.services.policy, self.actor
        self.gui.background.run(
            lambda: policy.export(path, actor=actor),
            on_done=self._exported,
            on_error=self._export_failed,
            context=self,
        )

    def _exported(self, result: PolicyExport) -> None:
        self.export_button.setEnabled(True)
        self._show_result(
            f"Wrote {result.path} (SHA-256 {result.sha256}). Post it on the department's "
            "website to meet 471.3.1(g).",
            ok=True,
        )

    def _export_failed(self, error: AlprError) -> None:
        self.export_button.setEnabled(True)
        self._show_result(str(error), ok=False)

    def _show_result(self, text: str, *, ok: bool) -> None:
        self.result_label.setObjectName("okLabel" if ok else "errorLabel")
        self.result_label.setStyleSheet("")  # re-polish for the new object name
        self.result_label.setText(text)
        self.result_label.show()

    def _recolour(self) -> None:
        self.export_button.setIcon(self.gui.theme.icon("fa5s.file-export"))
