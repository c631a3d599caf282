"""The Releases page, offscreen, on a real SQLite database: writing and submitting a
request, the commander's decision (and its refusals, shown inline), a blocked
out-of-state request referred, fulfilment into a verifiable package, a printed record."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtWidgets import QDialog, QLineEdit, QMessageBox, QTableWidget
from pytestqt.qtbot import QtBot

from alpr_desktop.core.packages import verify_package
from alpr_desktop.core.releases import AgencyType, ReleaseStatus, RequestFields
from alpr_desktop.core.roles import Role
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages import PAGES
from alpr_desktop.gui.pages.release_decision import DecisionDialog
from alpr_desktop.gui.pages.release_dialogs import RequestDialog
from alpr_desktop.gui.pages.release_fulfil import FulfilDialog
from alpr_desktop.gui.pages.releases import REQUEST, STATUS, ReleasesPage
from alpr_desktop.services.base import Actor
from tests.conftest import create_active_user, create_admin
from tests.gui.conftest import wait_idle
from tests.integration.ingest_helpers import jpeg
from tests.integration.release_helpers import PDF, PURPOSE, SHERIFF, saved_query
from tests.integration.retention_helpers import aged_read

NEVADA = dataclasses.replace(
    SHERIFF,
    agency_name="Nevada Highway Patrol",
    agency_type=AgencyType.OUT_OF_STATE,
    agency_state="NV",
    case_number="NHP-26-04412",
)


@dataclass
class People:
    officer: Actor
    commander: Actor
    supervisor: Actor


@pytest.fixture
def people(gui: GuiContext) -> People:
    app = gui.application
    admin = create_admin(app)
    reads = [
        aged_read(i, "6TRK512", days_old=20 - i, crop=jpeg(500 + i), context=jpeg(600 + i))
        for i in range(3)
    ]
    app.services.ingest.store(reads)
    return People(
        officer=create_active_user(app, admin, "det.writer", [Role.INVESTIGATOR]),
        commander=create_active_user(app, admin, "cmdr.one", [Role.COMMANDER]),
        supervisor=create_active_user(app, admin, "sgt.one", [Role.SUPERVISOR]),
    )


@contextmanager
def shown(qtbot: QtBot, gui: GuiContext, actor: Actor) -> Iterator[ReleasesPage]:
    page = ReleasesPage(gui, actor)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    wait_idle(qtbot, gui)
    yield page
    page.hide()
    gui.background.run(lambda: None)
    wait_idle(qtbot, gui)


def closed(dialog: QDialog) -> bool:
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def cell(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    return item.text() if item is not None else ""


def statuses(page: ReleasesPage) -> dict[str, str]:
    rows = range(page.table.rowCount())
    return {cell(page.table, r, REQUEST): cell(page.table, r, STATUS) for r in rows}


def _submitted(gui: GuiContext, people: People, fields: RequestFields = SHERIFF) -> int:
    releases = gui.services.releases
    return releases.create(people.officer, fields, saved_query(), submit=True).id


def test_page_is_listed_for_officers_supervisors_and_commanders(
    gui: GuiContext, people: People
) -> None:
    spec = next(s for s in PAGES if s.key == "releases")
    assert spec.allowed(people.officer) and spec.allowed(people.commander)
    assert spec.allowed(people.supervisor)


def test_officer_fills_the_form_attaches_the_letter_and_submits(
    qtbot: QtBot, gui: GuiContext, people: People, tmp_path: Path
) -> None:
    with shown(qtbot, gui, people.officer) as page:
        assert page.buttons["new"].isVisible() and not page.buttons["decide"].isVisible()
        assert page.tabs.count() == 1  # no sharing log without VIEW_RELEASES
        page.buttons["new"].click()
        wait_idle(qtbot, gui)
        dialog = page.active_dialog
        assert isinstance(dialog, RequestDialog)
        assert dialog.purpose_combo.currentIndex() == -1  # never pre-filled
        assert not dialog.add_button.isEnabled()  # attachments once it is saved
        for name, edit in dialog.edits.items():
            value = getattr(SHERIFF, name)
            if isinstance(edit, QLineEdit):
                edit.setText(value)
            else:
                edit.setPlainText(value)
        dialog.type_combo.setCurrentIndex(dialog.type_combo.findData(AgencyType.CA_LOCAL))
        assert dialog.state_edit.text() == "CA"
        # Live validation: a contact that is neither an e-mail nor a telephone number.
        contact = dialog.edits["requester_contact"]
        assert isinstance(contact, QLineEdit)
        contact.setText("ask at the front desk")
        message = dialog.messages["requester_contact"]
        assert message.isVisible() and "e-mail address or a telephone" in message.text()
        contact.setText(SHERIFF.requester_contact)
        assert not message.isVisible()
        dialog.submit()  # no purpose and no search yet: refused here, marked next to them
        assert dialog.isVisible()
        assert dialog.messages["purpose"].isVisible()
        assert "Enter the authorised purpose" in dialog.messages["purpose"].text()
        assert dialog.messages["query"].isVisible()
        dialog.purpose_combo.setCurrentIndex(dialog.purpose_combo.findText(PURPOSE))
        dialog.pattern_edit.setText("6TRK512")
        dialog.since_box.setChecked(True)
        assert not dialog.messages["purpose"].isVisible()
        dialog.save_button.click()
        wait_idle(qtbot, gui)
        assert dialog.isVisible() and dialog.request_id is not None
        assert "Saved as request" in dialog.saved_label.text()
        letter = tmp_path / "request letter.pdf"
        letter.write_bytes(PDF)
        dialog.choose_files = lambda _parent: [str(letter)]
        assert dialog.add_button.isEnabled()
        dialog.add_button.click()
        wait_idle(qtbot, gui)
        assert dialog.attachment_list.count() == 1
        assert dialog.attachment_list.item(0).text().startswith("request letter.pdf")
        request_id = dialog.request_id
        dialog.submit_button.click()
        wait_idle(qtbot, gui)
        assert closed(dialog)
        qtbot.waitUntil(lambda: statuses(page).get(str(request_id)) == "Submitted")
    view = gui.services.releases.get(people.commander, request_id)
    assert view.status is ReleaseStatus.SUBMITTED
    assert view.fields.case_number == SHERIFF.case_number and view.fields.purpose == PURPOSE
    assert view.query is not None and view.query.pattern == "6TRK512"
    assert view.query.filters.since is not None
    assert [a.filename for a in view.attachments] == ["request letter.pdf"]


def test_commander_approves_a_california_request_and_a_second_decision_is_refused(
    qtbot: QtBot, gui: GuiContext, people: People
) -> None:
    request_id = _submitted(gui, people)
    with shown(qtbot, gui, people.commander) as page:
        assert page.tabs.count() == 2  # the sharing log too
        assert statuses(page) == {str(request_id): "Submitted"}
        page.select_request(request_id)
        assert page.buttons["decide"].isEnabled() and not page.buttons["fulfil"].isEnabled()
        assert not page.blocker_label.isVisible()
        page.buttons["decide"].click()
        dialog = page.active_dialog
        assert isinstance(dialog, DecisionDialog)
        assert not dialog.approve_button.isEnabled()  # no reason yet
        dialog.reason_edit.setPlainText("California public agency; robbery case.")
        assert dialog.approve_button.isEnabled()
        dialog.approve_button.click()
        wait_idle(qtbot, gui)
        assert closed(dialog)
        qtbot.waitUntil(lambda: statuses(page).get(str(request_id)) == "Approved")
        page.select_request(request_id)
        assert page.buttons["fulfil"].isEnabled() and not page.buttons["decide"].isEnabled()
        assert "cmdr.one" in page.detail_label.text()
        # A second workstation still showing it as submitted: refused inline, stays open.
        stale = gui.services.releases.list_requests(people.commander)[0]
        stale = dataclasses.replace(stale, status=ReleaseStatus.SUBMITTED)
        second = DecisionDialog(gui, people.commander, stale, page)
        qtbot.addWidget(second)
        second.show()
        second.reason_edit.setPlainText("Deny: duplicate")
        second.deny_button.click()
        wait_idle(qtbot, gui)
        assert second.isVisible()
        assert "already approved by cmdr.one" in second.error_label.text()
        assert second.deny_button.isEnabled()


def test_out_of_state_request_cannot_be_approved_and_is_referred(
    qtbot: QtBot, gui: GuiContext, people: People
) -> None:
    request_id = _submitted(gui, people, NEVADA)
    with shown(qtbot, gui, people.commander) as page:
        page.select_request(request_id)
        assert page.blocker_label.isVisible()
        assert "Out-of-state agencies cannot receive ALPR data" in page.blocker_label.text()
        page.buttons["decide"].click()
        dialog = page.active_dialog
        assert isinstance(dialog, DecisionDialog)
        dialog.reason_edit.setPlainText("Approve anyway")
        assert not dialog.approve_button.isEnabled()
        assert dialog.blocker_label.isVisible()
        assert "Out-of-state agencies cannot receive ALPR data" in dialog.blocker_label.text()
        assert dialog.refer_button.isDefault() and dialog.refer_button.isEnabled()
        dialog.decide("approve")  # past the disabled button: the service refuses it
        wait_idle(qtbot, gui)
        assert dialog.isVisible()
        assert "Out-of-state agencies cannot receive" in dialog.error_label.text()
        dialog.reason_edit.setPlainText("Nevada agency: referred under 1798.90.55(b).")
        dialog.refer_button.click()
        wait_idle(qtbot, gui)
        assert closed(dialog)
        qtbot.waitUntil(lambda: statuses(page).get(str(request_id)) == "Referred")
    view = gui.services.releases.get(people.commander, request_id)
    assert view.status is ReleaseStatus.REFERRED and view.referred_to.startswith("Records")


def test_fulfil_writes_a_verifiable_package_and_the_sharing_log_shows_it(
    qtbot: QtBot, gui: GuiContext, people: People, tmp_path: Path
) -> None:
    request_id = _submitted(gui, people)
    gui.services.releases.approve(people.commander, request_id, reason="CA agency")
    with shown(qtbot, gui, people.commander) as page:
        page.select_request(request_id)
        page.buttons["fulfil"].click()
        dialog = page.active_dialog
        assert isinstance(dialog, FulfilDialog)
        assert dialog.recipient_edit.text() == f"{SHERIFF.requester_name}, {SHERIFF.agency_name}"
        target = tmp_path / "release.zip"
        dialog.choose_path = lambda _parent, _suggested: str(target)
        dialog._browse()
        assert dialog.path_edit.text() == str(target)
        dialog.delivery_edit.setText("Encrypted USB drive")
        dialog.fulfil_button.click()
        qtbot.waitUntil(lambda: dialog.result_value is not None, timeout=20_000)
        result = dialog.result_value
        assert result is not None and result.reads == 3
        assert verify_package(result.path).ok
        text = dialog.result_label.text()
        assert f"Package SHA-256: {result.sha256}" in text
        assert f"Manifest SHA-256: {result.manifest_sha256}" in text
        assert dialog.cancel_button.text() == "Close"
        dialog.cancel_button.click()
        wait_idle(qtbot, gui)
        qtbot.waitUntil(lambda: statuses(page).get(str(request_id)) == "Fulfilled")
        qtbot.waitUntil(lambda: page.share_table.rowCount() == 1)
        assert cell(page.share_table, 0, 9) == result.sha256
        assert cell(page.share_table, 0, 6) == "Encrypted USB drive"


def test_print_record_writes_a_pdf(
    qtbot: QtBot, gui: GuiContext, people: People, tmp_path: Path
) -> None:
    request_id = _submitted(gui, people, NEVADA)
    with shown(qtbot, gui, people.supervisor) as page:
        assert page.tabs.count() == 2 and not page.buttons["decide"].isVisible()
        page.select_request(request_id)
        target = tmp_path / "record"
        page.choose_pdf_path = lambda _parent, _suggested: str(target)
        page.buttons["print"].click()
        qtbot.waitUntil(lambda: page.printed is not None, timeout=20_000)
    assert page.printed == tmp_path / "record.pdf"
    assert page.printed.read_bytes().startswith(b"%PDF")


def test_officer_discards_a_draft_after_confirming(
    qtbot: QtBot, gui: GuiContext, people: People
) -> None:
    releases = gui.services.releases
    draft = releases.create(people.officer, SHERIFF, saved_query()).id
    submitted = _submitted(gui, people)
    with shown(qtbot, gui, people.officer) as page:
        assert statuses(page) == {str(draft): "Draft", str(submitted): "Submitted"}
        page.select_request(submitted)
        assert not page.buttons["discard"].isEnabled()  # a submitted request stays on file
        page.select_request(draft)
        assert page.buttons["discard"].isEnabled()
        page.buttons["discard"].click()
        box = page.message
        assert box is not None and "Discard draft request" in box.text()
        box.button(QMessageBox.StandardButton.Cancel).click()
        wait_idle(qtbot, gui)
        assert str(draft) in statuses(page)  # Cancel: nothing happens
        page.buttons["discard"].click()
        box = page.message
        assert box is not None
        box.button(QMessageBox.StandardButton.Yes).click()
        qtbot.waitUntil(lambda: statuses(page) == {str(submitted): "Submitted"})
    assert [r.id for r in releases.list_requests(people.officer)] == [submitted]
