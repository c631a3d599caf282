"""The Hotlists page and its dialogs driven through the widgets, on real SQLite."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import shiboken6
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from alpr_desktop.core.roles import Role
from alpr_desktop.errors import PermissionDenied
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages import pages_for
from alpr_desktop.gui.pages.hotlist_dialogs import EntryDialog, ImportDialog, ListNameDialog
from alpr_desktop.gui.pages.hotlists import HotlistsPage
from alpr_desktop.services.base import Actor
from alpr_desktop.services.hotlist_fields import EntryFields
from alpr_desktop.storage.models import HotlistCategory
from tests.conftest import create_active_user, create_admin
from tests.gui.conftest import wait_idle

HEADER = "plate,state,category,priority,source,case_number,notes,expires_at\n"
GOOD = HEADER + (
    "7ABC123,CA,stolen_vehicle,1,NCIC,24-001234,Grey 2019 Honda Civic,\n"
    "8XYZ45?,CA,amber,1,CHP,24-001240,Blue Ford Focus,2030-12-31\n"
    "6TR*9,,bolo,2,Detective unit,24-001251,Partial from a witness,2030-06-30\n"
)
BAD = HEADER + (
    "7ABC123,CA,stolen_vehicle,1,NCIC,24-001234,,\n"
    "**,CA,bolo,2,,,,\n"
    "4MNP812,NV,stolen_car,2,,,,\n"
    "5KLM901,CA,warrant,2,,,,2001-01-01\n"
)


def _page(qtbot: QtBot, gui: GuiContext, actor: Actor) -> HotlistsPage:
    page = HotlistsPage(gui, actor)
    qtbot.addWidget(page)
    page.resize(1100, 640)
    page.show()
    wait_idle(qtbot, gui)
    return page


def _names(page: HotlistsPage) -> list[str]:
    return [page.list_model.row_at(r).name for r in range(page.list_model.rowCount())]


def _list_named(gui: GuiContext, admin: Actor, name: str):
    return next(h for h in gui.services.hotlists.list_hotlists(admin) if h.name == name)


def _settle(qtbot: QtBot, gui: GuiContext) -> None:
    """Wait for the worker, then once more for the reloads its changes asked for."""
    wait_idle(qtbot, gui)
    qtbot.wait(20)
    wait_idle(qtbot, gui)


def _closed(dialog: object) -> bool:
    return not shiboken6.isValid(dialog) or not dialog.isVisible()  # type: ignore[attr-defined]


def _open_import(page: HotlistsPage, qtbot: QtBot, gui: GuiContext, path: Path) -> ImportDialog:
    page.buttons["import"].click()
    dialog = page.active_dialog
    assert isinstance(dialog, ImportDialog)
    dialog.set_file(path)
    wait_idle(qtbot, gui)
    return dialog


def test_create_rename_and_deactivate_a_list(qtbot: QtBot, gui: GuiContext) -> None:
    admin = create_admin(gui.application)
    page = _page(qtbot, gui, admin)
    assert page.list_model.rowCount() == 0
    assert not page.buttons["rename"].isEnabled() and not page.buttons["add"].isEnabled()
    page.buttons["new_list"].click()
    dialog = page.active_dialog
    assert isinstance(dialog, ListNameDialog)
    dialog.name_edit.setText("Stolen vehicles")
    dialog.source_edit.setText("DOJ SVS")  # type: ignore[union-attr]
    dialog.ok_button.click()
    _settle(qtbot, gui)
    assert _names(page) == ["Stolen vehicles"]
    assert page.selected_list() is not None and page.selected_list().source == "DOJ SVS"
    assert "Hotlist Stolen vehicles created." in page.status_label.text()

    # The same name (case ignored) is refused in the dialog; nothing is added.
    page.buttons["new_list"].click()
    again = page.active_dialog
    assert isinstance(again, ListNameDialog) and again is not dialog
    again.name_edit.setText("stolen VEHICLES")
    again.ok_button.click()
    _settle(qtbot, gui)
    assert again.isVisible() and "already exists" in again.error_label.text()
    assert _names(page) == ["Stolen vehicles"]
    again.reject()

    page.buttons["rename"].click()
    rename = page.active_dialog
    assert isinstance(rename, ListNameDialog) and rename.name_edit.text() == "Stolen vehicles"
    rename.name_edit.setText("SVS stolen")
    rename.ok_button.click()
    _settle(qtbot, gui)
    assert _names(page) == ["SVS stolen"]

    assert page.buttons["toggle"].text() == "Deactivate"
    page.buttons["toggle"].click()
    _settle(qtbot, gui)
    assert page.list_model.index(0, 1).data() == "Inactive"
    assert page.buttons["toggle"].text() == "Activate"
    assert not _list_named(gui, admin, "SVS stolen").active
    assert "deactivated" in page.status_label.text()


def test_delete_asks_first(qtbot: QtBot, gui: GuiContext) -> None:
    admin = create_admin(gui.application)
    gui.services.hotlists.create(admin, "Old BOLOs")
    page = _page(qtbot, gui, admin)
    page.buttons["delete_list"].click()
    box = page.findChild(QMessageBox, "messageBox")
    assert box is not None and "Old BOLOs" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    _settle(qtbot, gui)
    assert _names(page) == ["Old BOLOs"]
    page.buttons["delete_list"].click()
    boxes = [b for b in page.findChildren(QMessageBox, "messageBox") if b.isVisible()]
    boxes[-1].button(QMessageBox.StandardButton.Yes).click()
    _settle(qtbot, gui)
    assert _names(page) == [] and gui.services.hotlists.list_hotlists(admin) == []


def test_a_bad_plate_shows_the_error_and_adds_nothing(qtbot: QtBot, gui: GuiContext) -> None:
    admin = create_admin(gui.application)
    hotlist = gui.services.hotlists.create(admin, "Warrants")
    page = _page(qtbot, gui, admin)
    assert page.selected_list() is not None
    page.buttons["add"].click()
    dialog = page.active_dialog
    assert isinstance(dialog, EntryDialog)
    dialog.plate_edit.setText("**")
    assert "plate" in dialog.error_label.text().lower()  # checked as it is typed
    dialog.ok_button.click()
    _settle(qtbot, gui)
    assert dialog.isVisible() and "'**'" in dialog.error_label.text()
    assert gui.services.hotlists.list_entries(admin, hotlist.id).total == 0
    assert page.entry_model.rowCount() == 0

    dialog.plate_edit.setText("7abc 123")
    dialog.state_edit.setText("ca")
    dialog.category_combo.setCurrentIndex(dialog.category_combo.findData(HotlistCategory.WARRANT))
    dialog.priority_spin.setValue(1)
    dialog.case_edit.setText("24-0099")
    assert not dialog.error_label.isVisibleTo(dialog)
    dialog.ok_button.click()
    _settle(qtbot, gui)
    assert _closed(dialog)
    assert page.entry_model.rowCount() == 1
    cells = [page.entry_model.index(0, c).data() for c in range(page.entry_model.columnCount())]
    assert cells[:4] == ["7abc 123", "CA", "Warrant", "1"] and cells[5] == "24-0099"
    assert cells[6] == "Never"
    assert "Entry 7abc 123 added to Warrants." in page.status_label.text()

    # The same plate and state again: the service refuses it, the dialog says why.
    page.buttons["add"].click()
    duplicate = page.active_dialog
    assert isinstance(duplicate, EntryDialog)
    duplicate.plate_edit.setText("7ABC123")
    duplicate.state_edit.setText("CA")
    duplicate.ok_button.click()
    _settle(qtbot, gui)
    assert duplicate.isVisible() and "already has an entry" in duplicate.error_label.text()
    assert gui.services.hotlists.list_entries(admin, hotlist.id).total == 1


def test_edit_and_remove_an_entry(qtbot: QtBot, gui: GuiContext) -> None:
    admin = create_admin(gui.application)
    service = gui.services.hotlists
    hotlist = service.create(admin, "BOLO")
    service.add_entry(admin, hotlist.id, EntryFields(plate="6TR*9", category="bolo"))
    page = _page(qtbot, gui, admin)
    page.entry_table.selectRow(0)
    page.buttons["edit"].click()
    dialog = page.active_dialog
    assert isinstance(dialog, EntryDialog) and dialog.plate_edit.text() == "6TR*9"
    dialog.notes_edit.setPlainText("Witness: dark pickup")
    dialog.expiry_box.setChecked(True)
    dialog.ok_button.click()
    _settle(qtbot, gui)
    entry = service.list_entries(admin, hotlist.id).entries[0]
    assert entry.notes == "Witness: dark pickup" and entry.expires_at is not None
    assert page.entry_model.index(0, 6).data().startswith("After ")
    page.entry_table.selectRow(0)
    page.buttons["remove"].click()
    box = [b for b in page.findChildren(QMessageBox, "messageBox") if b.isVisible()][-1]
    box.button(QMessageBox.StandardButton.Yes).click()
    _settle(qtbot, gui)
    assert service.list_entries(admin, hotlist.id).total == 0 and page.entry_model.rowCount() == 0


def test_entries_are_paged_in_and_filtered(qtbot: QtBot, gui: GuiContext, tmp_path: Path) -> None:
    admin = create_admin(gui.application)
    path = tmp_path / "many.csv"
    lines = [f"K{i:05d},CA,stolen_vehicle,2,,,,\n" for i in range(450)]
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    gui.services.hotlists.import_csv(admin, path, "Many", create_missing=True)
    page = _page(qtbot, gui, admin)
    model = page.entry_model
    assert model.total == 450 and model.rowCount() == 200
    assert "200 of 450 entries" in page.count_label.text()
    assert model.canFetchMore()
    model.fetchMore()
    _settle(qtbot, gui)
    assert model.rowCount() == 400
    model.fetchMore()
    _settle(qtbot, gui)
    assert model.rowCount() == 450 and not model.canFetchMore()
    assert [model.row_at(i).plate for i in (0, 449)] == ["K00000", "K00449"]
    page.filter_edit.setText("k0042")
    qtbot.waitUntil(lambda: model.total == 10, timeout=5000)
    _settle(qtbot, gui)
    assert model.rowCount() == 10 and "matching the filter" in page.count_label.text()


def test_import_a_good_file_shows_its_preview_and_imports(
    qtbot: QtBot, gui: GuiContext, tmp_path: Path
) -> None:
    admin = create_admin(gui.application)
    path = tmp_path / "good.csv"
    path.write_bytes(GOOD.replace("Civic", "Cívic").encode("cp1252"))
    page = _page(qtbot, gui, admin)
    dialog = _open_import(page, qtbot, gui, path)
    table = dialog.preview_table
    assert table.rowCount() == 3 and table.horizontalHeaderItem(0).text() == "plate"
    assert table.item(0, 6).text() == "Grey 2019 Honda Cívic"
    assert "Windows-1252, a header line" in dialog.preview_label.text()
    dialog.list_combo.setCurrentText("Imported BOLOs")
    assert dialog.list_hint.text() == "A new list is created"
    dialog.import_button.click()
    _settle(qtbot, gui)
    assert _closed(dialog)
    assert _names(page) == ["Imported BOLOs"]
    assert page.selected_list().name == "Imported BOLOs"  # type: ignore[union-attr]
    assert page.entry_model.rowCount() == 3
    assert "Imported 3 entries into Imported BOLOs (a new list)." in page.status_label.text()


def test_replace_asks_first_and_replaces(qtbot: QtBot, gui: GuiContext, tmp_path: Path) -> None:
    admin = create_admin(gui.application)
    service = gui.services.hotlists
    hotlist = service.create(admin, "SVS")
    service.add_entry(admin, hotlist.id, EntryFields(plate="1OLD111", category="other"))
    path = tmp_path / "svs.csv"
    path.write_text(GOOD, encoding="utf-8")
    page = _page(qtbot, gui, admin)
    dialog = _open_import(page, qtbot, gui, path)
    assert dialog.list_combo.currentText() == "SVS" and dialog.list_hint.text() == ""
    dialog.replace_radio.setChecked(True)
    dialog.import_button.click()
    box = dialog.findChild(QMessageBox, "messageBox")
    assert box is not None and "SVS" in box.text()
    assert service.list_entries(admin, hotlist.id).total == 1  # nothing yet
    box.button(QMessageBox.StandardButton.Yes).click()
    _settle(qtbot, gui)
    plates = [e.plate for e in service.list_entries(admin, hotlist.id).entries]
    assert plates == ["7ABC123", "8XYZ45?", "6TR*9"]
    assert "replacing 1" in page.status_label.text()


def test_a_file_with_errors_shows_the_table_and_imports_nothing(
    qtbot: QtBot, gui: GuiContext, tmp_path: Path
) -> None:
    admin = create_admin(gui.application)
    service = gui.services.hotlists
    hotlist = service.create(admin, "SVS")
    service.add_entry(admin, hotlist.id, EntryFields(plate="9KEEP99", category="other"))
    path = tmp_path / "bad.csv"
    path.write_text(BAD, encoding="utf-8")
    page = _page(qtbot, gui, admin)
    dialog = _open_import(page, qtbot, gui, path)
    assert dialog.preview_table.rowCount() == 4  # the preview shows lines as they are
    dialog.import_button.click()
    _settle(qtbot, gui)
    assert dialog.isVisible() and dialog.error_table.isVisibleTo(dialog)
    assert dialog.error_label.text() == "3 errors — nothing was imported."
    errors = dialog.error_table
    rows = [[errors.item(r, c).text() for c in range(4)] for r in range(errors.rowCount())]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("3", "plate", "**"),
        ("4", "category", "stolen_car"),
        ("5", "expires_at", "2001-01-01"),
    ]
    assert all(r[3] for r in rows)
    assert [e.plate for e in service.list_entries(admin, hotlist.id).entries] == ["9KEEP99"]
    assert dialog.import_button.isEnabled() and dialog.file_edit.isEnabled()


def test_cancel_during_an_import_leaves_nothing(
    qtbot: QtBot, gui: GuiContext, tmp_path: Path
) -> None:
    admin = create_admin(gui.application)
    path = tmp_path / "big.csv"
    lines = [f"C{i:06d},CA,stolen_vehicle,2,,,,\n" for i in range(12_000)]
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    page = _page(qtbot, gui, admin)
    dialog = _open_import(page, qtbot, gui, path)
    dialog.list_combo.setCurrentText("Big list")
    dialog.import_button.click()
    assert dialog.running and dialog.progress_bar.isVisibleTo(dialog)
    assert not dialog.import_button.isEnabled() and dialog.cancel_button.isEnabled()
    dialog.reject()  # closing while it runs asks it to stop; the dialog stays open
    assert dialog.isVisible() and dialog.progress_label.text() == "Cancelling…"
    _settle(qtbot, gui)
    assert not dialog.running and dialog.isVisible()
    assert "cancelled — nothing was imported" in dialog.error_label.text()
    assert gui.services.hotlists.list_hotlists(admin) == []  # not even the new list
    assert _names(page) == []


def test_cancel_button_after_progress(qtbot: QtBot, gui: GuiContext, tmp_path: Path) -> None:
    admin = create_admin(gui.application)
    hotlist = gui.services.hotlists.create(admin, "Big list")
    path = tmp_path / "big.csv"
    lines = [f"D{i:06d},CA,stolen_vehicle,2,,,,\n" for i in range(60_000)]
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    page = _page(qtbot, gui, admin)
    dialog = _open_import(page, qtbot, gui, path)
    dialog.import_button.click()
    # The first progress report comes after 5,000 lines (already inserted, uncommitted).
    qtbot.waitUntil(lambda: "lines checked" in dialog.progress_label.text(), timeout=20_000)
    dialog.cancel_button.click()
    _settle(qtbot, gui)
    assert "cancelled — nothing was imported" in dialog.error_label.text()
    assert gui.services.hotlists.list_entries(admin, hotlist.id).total == 0


def test_not_listed_and_refused_for_a_non_administrator(qtbot: QtBot, gui: GuiContext) -> None:
    admin = create_admin(gui.application)
    assert "hotlists" in [spec.key for spec in pages_for(admin)]
    supervisor = create_active_user(gui.application, admin, "sue.s", [Role.SUPERVISOR])
    dispatcher = create_active_user(gui.application, admin, "dan.d", [Role.DISPATCHER])
    for actor in (supervisor, dispatcher):
        assert "hotlists" not in [spec.key for spec in pages_for(actor)]
    page = _page(qtbot, gui, dispatcher)  # even if built, the service refuses
    assert not any(button.isEnabled() for button in page.buttons.values())
    box = page.findChild(QMessageBox, "messageBox")
    with pytest.raises(PermissionDenied) as refused:
        gui.services.hotlists.list_hotlists(dispatcher)
    assert box is not None and box.text() == str(refused.value)
    assert page.list_model.rowCount() == 0


def test_saved_entries_and_imports_are_checked_against_past_reads(
    qtbot: QtBot, gui: GuiContext, tmp_path: Path
) -> None:
    """The page's wiring to the retroactive check (a recording stand-in for the service)."""
    admin = create_admin(gui.application)
    calls: list[dict[str, Any]] = []

    def check_past_reads(actor: Actor, **kwargs: Any) -> SimpleNamespace:
        kwargs.pop("progress")(12_345, 12_345)
        calls.append(kwargs)
        return SimpleNamespace(reads_checked=12_345, alerts_raised=2)

    services = gui.services
    had = getattr(services, "alerts", None)
    object.__setattr__(services, "alerts", SimpleNamespace(check_past_reads=check_past_reads))
    try:
        hotlist = services.hotlists.create(admin, "Warrants")
        page = _page(qtbot, gui, admin)
        page.buttons["add"].click()
        dialog = page.active_dialog
        assert isinstance(dialog, EntryDialog)
        dialog.plate_edit.setText("7ABC123")
        dialog.ok_button.click()
        _settle(qtbot, gui)
        entry = services.hotlists.list_entries(admin, hotlist.id).entries[0]
        assert calls == [{"entry_ids": [entry.id], "hotlist_id": None}]
        assert page.status_label.text() == (
            "Entry 7ABC123 added to Warrants. "
            "Checked 12,345 past reads: 2 retroactive alerts raised."
        )
        path = tmp_path / "good.csv"
        path.write_text(GOOD, encoding="utf-8")
        imported = _open_import(page, qtbot, gui, path)
        imported.list_combo.setCurrentText("Imported")
        imported.import_button.click()
        _settle(qtbot, gui)
        new_id = _list_named(gui, admin, "Imported").id
        assert calls[-1] == {"entry_ids": None, "hotlist_id": new_id}
        assert "Checked 12,345 past reads" in page.status_label.text()
    finally:
        if had is None:
            object.__delattr__(services, "alerts")
        else:
            object.__setattr__(services, "alerts", had)


def test_retroactive_check_with_the_alerts_service(
    qtbot: QtBot, gui: GuiContext, tmp_path: Path
) -> None:
    """Past reads are checked against a new entry and an import with the real service."""
    from tests.integration.ingest_helpers import make_read

    admin = create_admin(gui.application)
    reads = [replace(make_read(i, tag="p"), plate_text=f"9PAST{i:02d}") for i in range(40)]
    assert list(gui.services.ingest.store(reads).alerts) == []
    gui.services.hotlists.create(admin, "Major incident")
    page = _page(qtbot, gui, admin)
    page.buttons["add"].click()
    dialog = page.active_dialog
    assert isinstance(dialog, EntryDialog)
    dialog.plate_edit.setText("9PAST1?")
    dialog.ok_button.click()
    _settle(qtbot, gui)
    assert page.status_label.text() == (
        "Entry 9PAST1? added to Major incident. "
        "Checked 40 past reads: 10 retroactive alerts raised."
    )
    path = tmp_path / "more.csv"
    path.write_text(HEADER + "9PAST22,,bolo,1,,,,\n9PAST1?,,bolo,1,,,,\n", encoding="utf-8")
    imported = _open_import(page, qtbot, gui, path)
    imported.list_combo.setCurrentText("Second list")
    imported.import_button.click()
    _settle(qtbot, gui)
    assert page.status_label.text() == (
        "Imported 2 entries into Second list (a new list). "
        "Checked 40 past reads: 11 retroactive alerts raised."
    )


def test_an_ncic_extract_and_a_chosen_encoding(
    qtbot: QtBot, gui: GuiContext, tmp_path: Path
) -> None:
    admin = create_admin(gui.application)
    path = tmp_path / "ncic.txt"
    text = (
        "LIC,LIS,OCA,ORI,NIC\n"
        "7ABC123,CA,24-001234,CA0349400,V123456789\n"
        "5XYZ789,NV,Zoë-2,NV0020000,\n"
    )
    path.write_bytes(text.encode("cp1252"))
    page = _page(qtbot, gui, admin)
    dialog = _open_import(page, qtbot, gui, path)
    # The standard format would refuse these columns at import; the preview shows them.
    assert dialog.preview_table.horizontalHeaderItem(0).text() == "LIC"
    dialog.encoding_combo.setCurrentIndex(1)  # UTF-8: the file is not
    wait_idle(qtbot, gui)
    assert "Line 3 is not valid utf-8" in dialog.error_label.text()
    assert dialog.preview_table.rowCount() == 0
    dialog.encoding_combo.setCurrentIndex(3)  # Windows-1252
    dialog.format_combo.setCurrentIndex(1)  # NCIC
    wait_idle(qtbot, gui)
    assert not dialog.error_label.isVisibleTo(dialog)
    assert dialog.preview_table.item(1, 2).text() == "Zoë-2"
    dialog.list_combo.setCurrentText("NCIC")
    dialog.import_button.click()
    _settle(qtbot, gui)
    assert _closed(dialog)
    hotlist = _list_named(gui, admin, "NCIC")
    entries = gui.services.hotlists.list_entries(admin, hotlist.id).entries
    assert [(e.plate, e.state, e.case_number, e.source) for e in entries] == [
        ("7ABC123", "CA", "24-001234", "CA0349400"),
        ("5XYZ789", "NV", "Zoë-2", "NV0020000"),
    ]
    assert {e.category for e in entries} == {HotlistCategory.STOLEN_VEHICLE}
    assert {e.priority for e in entries} == {1}
