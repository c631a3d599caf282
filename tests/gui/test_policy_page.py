"""The Policy page: everyone reads the policy; Export HTML… writes the website page."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from alpr_desktop.core.roles import Role
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages import pages_for
from alpr_desktop.gui.pages.policy import PolicyPage
from alpr_desktop.services.policy import POLICY_FILE_NAME
from alpr_desktop.storage.models import AccessRecord
from tests.conftest import create_active_user, create_admin
from tests.gui.conftest import wait_idle


def test_every_role_sees_the_policy(gui: GuiContext) -> None:
    admin = create_admin(gui.application)
    dispatcher = create_active_user(gui.application, admin, "dana", [Role.DISPATCHER])
    for actor in (admin, dispatcher):
        assert "policy" in [spec.key for spec in pages_for(actor)]


def test_policy_shown_filled_in_and_exported(qtbot: QtBot, gui: GuiContext, tmp_path: Path) -> None:
    admin = create_admin(gui.application)
    commander = create_active_user(gui.application, admin, "cmdr", [Role.COMMANDER])
    gui.services.settings.update(commander, designee_name="Lt. Maria Lopez")
    dispatcher = create_active_user(gui.application, admin, "dana", [Role.DISPATCHER])
    page = PolicyPage(gui, dispatcher)
    qtbot.addWidget(page)
    page.show()
    wait_idle(qtbot, gui)
    text = page.browser.toPlainText()
    assert "Automated License Plate Readers: Usage and Privacy Policy" in text
    assert "Lt. Maria Lopez" in text and "{designee_name}" not in text
    assert "shipped with alpr-desktop" in page.source_label.text()
    assert POLICY_FILE_NAME in page.source_label.text()
    # A settings change is seen at once.
    gui.services.settings.update(commander, designee_title="Support Services Commander")
    qtbot.waitUntil(lambda: "Support Services Commander" in page.browser.toPlainText())
    wait_idle(qtbot, gui)
    out = tmp_path / "policy.html"
    assert page.export_button.isEnabled()
    page.export_to(out)
    wait_idle(qtbot, gui)
    assert page.result_label.objectName() == "okLabel" and str(out) in page.result_label.text()
    html = out.read_text(encoding="utf-8")
    assert "Lt. Maria Lopez" in html and "http" not in html
    with gui.application.database.sessions() as session:
        who = session.scalars(
            select(AccessRecord.username).where(AccessRecord.action == "policy_export")
        ).all()
    assert who == ["dana"]
    page.export_to(tmp_path / "missing" / "policy.html")
    wait_idle(qtbot, gui)
    assert page.result_label.objectName() == "errorLabel"
    assert "does not exist" in page.result_label.text()
    page.close()


def test_the_departments_file_is_shown(qtbot: QtBot, gui: GuiContext) -> None:
    admin = create_admin(gui.application)
    own = gui.services.policy.custom_path
    assert own is not None
    own.parent.mkdir(parents=True, exist_ok=True)
    own.write_text("# Our own ALPR policy\n\nAgency: {agency_name}.\n", encoding="utf-8")
    page = PolicyPage(gui, admin)
    qtbot.addWidget(page)
    page.show()
    wait_idle(qtbot, gui)
    assert page.browser.toPlainText().startswith("Our own ALPR policy")
    assert str(own) in page.source_label.text()
    page.close()
