"""The Releases screenshots (called by ``tools/screenshots.py``, on its demo database).

The demo's own requests (``demo_releases.seed_releases``): the commander's Releases page
with the Sacramento Sheriff's request awaiting a decision, in both themes; the officer's
form on the Folsom draft, refused for submission for want of its legal basis; the
decision dialog on the Nevada request, whose approval is blocked; and the first page of
the fulfilled Roseville request's printed record, rendered from the PDF the page writes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication
from screen_kit import ROOT, WINDOW_SIZE, save, settle

from alpr_desktop.core.roles import Role
from alpr_desktop.demo import DemoAccount
from alpr_desktop.demo_releases import BLOCKED_AGENCY, FULFILLED_CASE, PENDING_CASE, seed_releases
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.main_window import MainWindow
from alpr_desktop.gui.theme import ThemeManager
from alpr_desktop.services.base import Actor

#: Sample reads (plate, days old, how many) of the demo requests' plates.
RELEASE_READS = (("7ABT312", 4, 9), ("8KDW417", 11, 5), ("5NXP771", 2, 3))
#: The record's first page is rendered at this many pixels per inch.
RECORD_DPI = 110


def _request_id(gui: GuiContext, actor: Actor, **match: str) -> int:
    for view in gui.services.releases.list_requests(actor):
        if all(getattr(view.fields, k) == v for k, v in match.items()):
            return view.id
    raise LookupError(f"no demo request with {match}")


def _window(app: QApplication, gui: GuiContext, actor: Actor) -> tuple[MainWindow, Any]:
    window = MainWindow(gui, actor)
    window.resize(*WINDOW_SIZE)
    window.show()
    page = window.show_page("releases")
    settle(app, gui)
    return window, page


def _close(app: QApplication, gui: GuiContext, window: MainWindow) -> None:
    window.idle.stop()
    window.hide()
    window.deleteLater()
    settle(app, gui)


def render_first_page(pdf: Path, png: Path, dpi: int = RECORD_DPI) -> None:
    """Page one of ``pdf`` as a PNG (pypdfium2, a dev dependency)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    try:
        document[0].render(scale=dpi / 72).to_pil().save(png)
    finally:
        document.close()
    print(f"wrote {png.relative_to(ROOT) if png.is_relative_to(ROOT) else png}")


def release_screens(
    app: QApplication,
    gui: GuiContext,
    theme: ThemeManager,
    accounts: list[DemoAccount],
    out: Path,
    add_reads: Callable[[tuple[tuple[str, int, int], ...]], None],
) -> None:
    """See the module docstring; ``add_reads`` stores sample reads of (plate, days old,
    how many) first, so the fulfilled request's package and record have reads."""

    def login(role: Role) -> Actor:
        account = next(a for a in accounts if a.role is role)
        return gui.services.auth.login(account.username, account.password).actor

    add_reads(RELEASE_READS)
    seed_releases(gui.application, accounts)
    commander, officer = login(Role.COMMANDER), login(Role.INVESTIGATOR)
    window, page = _window(app, gui, commander)
    page.select_request(_request_id(gui, commander, case_number=PENDING_CASE))
    for name in ("light", "dark"):
        theme.apply(name)
        save(app, gui, window, out / f"main-releases-{name}.png")
    theme.apply("light")
    page.select_request(_request_id(gui, commander, agency_name=BLOCKED_AGENCY))
    page.buttons["decide"].click()
    dialog = page.active_dialog
    dialog.reason_edit.setPlainText("Out-of-state agency: refer to Records for a court order.")
    save(app, gui, dialog, out / "release-decision-blocked-light.png")
    dialog.reject()
    page.select_request(_request_id(gui, commander, case_number=FULFILLED_CASE))
    with tempfile.TemporaryDirectory(prefix="alpr-screens-record-") as tmp:
        pdf = Path(tmp) / "record.pdf"
        page.choose_pdf_path = lambda _parent, _suggested: str(pdf)
        page.buttons["print"].click()
        settle(app, gui)
        if page.message is not None:
            page.message.close()
        render_first_page(pdf, out / "release-record-page1.png")
    _close(app, gui, window)
    window, page = _window(app, gui, officer)
    page.select_request(_request_id(gui, officer, agency_name="Folsom Police Department"))
    page.buttons["edit"].click()
    settle(app, gui)
    form = page.active_dialog
    form.submit()  # refused: what the draft still lacks is marked beside each field
    settle(app, gui)
    save(app, gui, form, out / "release-request-light.png")
    form.reject()
    _close(app, gui, window)
