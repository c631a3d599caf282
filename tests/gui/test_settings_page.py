"""Department settings page driven through the widgets."""

from __future__ import annotations

import json

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from alpr_desktop.core.purposes import DEFAULT_PURPOSES
from alpr_desktop.core.roles import Action, Role
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages import PageSpec, pages_for
from alpr_desktop.gui.pages.settings import SettingsGroup, SettingsPage, field_limits
from alpr_desktop.services.base import Actor
from alpr_desktop.settings import DEFAULT_DISPOSITION_REASONS
from alpr_desktop.storage.models import AccessRecord
from tests.conftest import create_active_user, create_admin
from tests.gui.conftest import wait_idle


@pytest.fixture
def admin(gui: GuiContext) -> Actor:
    return create_admin(gui.application)


@pytest.fixture
def page(qtbot: QtBot, gui: GuiContext, admin: Actor) -> SettingsPage:
    return _page(qtbot, gui, admin)


def _page(qtbot: QtBot, gui: GuiContext, actor: Actor) -> SettingsPage:
    widget = SettingsPage(gui, actor)
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    wait_idle(qtbot, gui)
    return widget


def _save(qtbot: QtBot, gui: GuiContext, group: SettingsGroup) -> None:
    assert group.save_button.isEnabled()
    group.save_button.click()
    wait_idle(qtbot, gui)


def _settings_records(gui: GuiContext) -> list[dict]:
    with gui.application.database.sessions() as session:
        rows = session.scalars(
            select(AccessRecord.query)
            .where(AccessRecord.action == "update_settings", AccessRecord.outcome == "ok")
            .order_by(AccessRecord.seq)
        )
        return [json.loads(text) for text in rows]


def test_admin_changes_lockout_threshold(qtbot: QtBot, gui: GuiContext, page: SettingsPage) -> None:
    group = page.security
    spin = group.editors["lockout_threshold"]
    assert spin.value() == 5 and (spin.minimum(), spin.maximum()) == (1, 100)
    assert not group.save_button.isEnabled()  # nothing changed yet
    spin.setValue(7)
    assert group.changes() == {"lockout_threshold": 7}
    with qtbot.waitSignal(gui.bridge.message) as message:
        _save(qtbot, gui, group)
    assert "lockout threshold" in message.args[0].text
    assert gui.services.settings.current().lockout_threshold == 7
    assert _settings_records(gui) == [{"lockout_threshold": {"before": "5", "after": "7"}}]
    assert group.status_label.text().startswith("Saved")
    assert not group.error_label.isVisible()
    assert not group.save_button.isEnabled()


def test_admin_edits_purposes(qtbot: QtBot, gui: GuiContext, page: SettingsPage) -> None:
    editor = page.lists.purposes
    assert editor.items() == list(DEFAULT_PURPOSES)
    editor.new_edit.setText("  AMBER alert  ")
    editor.add_button.click()
    editor.list.setCurrentRow(editor.items().index("Homeland security"))
    editor.tools["remove"].click()
    editor.list.setCurrentRow(len(editor.items()) - 1)  # the new one, last
    editor.tools["up"].click()
    expected = [p for p in DEFAULT_PURPOSES if p != "Homeland security"]
    expected.insert(len(expected) - 1, "AMBER alert")
    assert editor.items() == expected
    _save(qtbot, gui, page.lists)
    assert gui.services.settings.current().purposes == expected
    records = _settings_records(gui)
    assert len(records) == 1 and set(records[0]) == {"purposes"}
    # nothing else was sent
    assert gui.services.settings.current().disposition_reasons == list(DEFAULT_DISPOSITION_REASONS)


@pytest.mark.parametrize("case", ["duplicate", "empty"])
def test_invalid_list_is_refused_inline(
    qtbot: QtBot, gui: GuiContext, page: SettingsPage, case: str
) -> None:
    editor = page.lists.purposes
    if case == "duplicate":
        editor.new_edit.setText("missing PERSON")
        editor.add()
        message = "unique"
    else:
        while editor.items():
            editor.list.setCurrentRow(0)
            editor.remove_current()
        message = "at least"
    page.lists.editors["tile_url"].setText("https://tiles.example.org/{z}/{x}/{y}.png")
    _save(qtbot, gui, page.lists)
    group = page.lists
    assert group.error_label.isVisible()
    assert message in group.error_label.text()
    assert "purposes" in group.error_label.text()
    stored = gui.services.settings.current()
    assert stored.purposes == list(DEFAULT_PURPOSES)
    assert stored.tile_url == ""  # all or nothing: the tile server was not saved either
    assert _settings_records(gui) == []
    assert group.save_button.isEnabled()  # the edits are kept for fixing
    editor.restore_defaults()  # editing clears the error
    assert not group.error_label.isVisible()
    assert editor.items() == list(DEFAULT_PURPOSES)


def test_commander_sets_retention_and_designee_not_security(
    qtbot: QtBot, gui: GuiContext, admin: Actor
) -> None:
    commander = create_active_user(gui.application, admin, "cora", [Role.COMMANDER])
    page = _page(qtbot, gui, commander)
    for group in (page.security, page.lists):
        assert not group.isEnabled()
        assert "Read only" in group.permission_label.text()
        assert "ALPR Administrator" in group.toolTip()
        assert not group.save_button.isEnabled()
    assert page.retention.isEnabled() and page.retention.permission_label.isHidden()
    retention = page.retention.editors["retention_days"]
    assert retention.minimum() == 365  # policy 471.5
    retention.setValue(100)
    assert retention.value() == 365
    retention.setValue(400)
    page.retention.editors["designee_name"].setText("Lt. Lee")
    page.retention.editors["designee_title"].setText("Investigations Commander")
    _save(qtbot, gui, page.retention)
    assert not page.retention.error_label.isVisible(), page.retention.error_label.text()
    stored = gui.services.settings.current()
    assert stored.retention_days == 400
    assert (stored.designee_name, stored.designee_title) == ("Lt. Lee", "Investigations Commander")
    # one call per permission, each recorded
    assert sorted(set(r) for r in _settings_records(gui)) == sorted(
        [{"retention_days"}, {"designee_name", "designee_title"}]
    )


def test_admin_sees_retention_read_only(page: SettingsPage) -> None:
    group = page.retention
    assert not group.isEnabled()
    assert group.permission_label.text() == "Read only: changing these needs the Commander role."
    assert page.security.isEnabled() and page.lists.isEnabled()
    assert page.security.permission_label.isHidden()


def test_reload_on_settings_change_keeps_unsaved_edits(
    qtbot: QtBot, gui: GuiContext, admin: Actor, page: SettingsPage
) -> None:
    page.lists.dispositions.new_edit.setText("Vehicle gone on arrival")
    page.lists.dispositions.add()
    gui.services.settings.update(admin, agency_name="Springfield PD")  # another save
    agency = page.security.editors["agency_name"]
    qtbot.waitUntil(lambda: agency.text() == "Springfield PD")
    wait_idle(qtbot, gui)
    assert page.lists.dispositions.items()[-1] == "Vehicle gone on arrival"
    assert page.lists.changes() == {
        "disposition_reasons": [*DEFAULT_DISPOSITION_REASONS, "Vehicle gone on arrival"]
    }
    page.lists.revert_button.click()
    assert page.lists.dispositions.items() == list(DEFAULT_DISPOSITION_REASONS)
    assert not page.lists.save_button.isEnabled()


def test_spin_limits_come_from_the_schema(page: SettingsPage) -> None:
    assert field_limits("password_min_length") == (12, 128)
    for key, editor in page.security.editors.items():
        if key != "agency_name":
            assert (editor.minimum(), editor.maximum()) == field_limits(key)


def test_page_visibility_by_role(gui: GuiContext, admin: Actor) -> None:
    def keys(roles: list[Role], name: str) -> list[str]:
        actor = create_active_user(gui.application, admin, name, roles)
        return [spec.key for spec in pages_for(actor)]

    assert "settings" in [spec.key for spec in pages_for(admin)]
    assert "settings" in keys([Role.COMMANDER], "cora")
    assert "settings" not in keys([Role.DISPATCHER], "dana")
    assert "settings" not in keys([Role.SUPERVISOR], "sam")
    assert "settings" not in keys([Role.INVESTIGATOR], "ivy")


def test_page_spec_accepts_any_of_several_actions(gui: GuiContext, admin: Actor) -> None:
    def spec(action: Action | frozenset[Action] | None) -> PageSpec:
        return PageSpec("x", "X", "fa5s.home", action, SettingsPage)

    assert spec(None).allowed(admin)
    assert spec(Action.MANAGE_SETTINGS).allowed(admin)
    assert not spec(Action.SET_RETENTION).allowed(admin)
    assert spec(frozenset({Action.SET_RETENTION, Action.MANAGE_USERS})).allowed(admin)
    assert not spec(frozenset({Action.SET_RETENTION, Action.NAME_DESIGNEE})).allowed(admin)
    assert not spec(frozenset()).allowed(admin)


def test_argon2_below_owasp_is_refused_on_the_page(
    qtbot: QtBot, gui: GuiContext, page: SettingsPage
) -> None:
    group = page.policy
    argon2 = group.editors["argon2"]
    before = gui.services.settings.current().argon2
    argon2.memory_mib.setValue(8)  # type: ignore[union-attr]
    argon2.time_cost.setValue(1)  # type: ignore[union-attr]
    _save(qtbot, gui, group)
    assert "below OWASP's minimum" in group.error_label.text()
    assert gui.services.settings.current().argon2 == before, "nothing applied"
    argon2.memory_mib.setValue(19)  # type: ignore[union-attr]
    argon2.time_cost.setValue(2)  # type: ignore[union-attr]
    _save(qtbot, gui, group)
    assert group.error_label.text() == ""
    stored = gui.services.settings.current().argon2
    assert (stored.time_cost, stored.memory_cost_kib) == (2, 19 * 1024)


def test_supervisors_suspending_administrators_is_a_department_choice(
    qtbot: QtBot, gui: GuiContext, page: SettingsPage
) -> None:
    box = page.policy.editors["supervisors_may_suspend_administrators"]
    assert not box.isChecked()  # type: ignore[union-attr]
    box.setChecked(True)  # type: ignore[union-attr]
    _save(qtbot, gui, page.policy)
    assert gui.services.settings.current().supervisors_may_suspend_administrators
    assert _settings_records(gui)[-1]["supervisors_may_suspend_administrators"] == {
        "before": "false",
        "after": "true",
    }
