"""Pure domain logic: the permission table, plate text, settings schema, change bus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alpr_desktop.core.plates import fold_confusables, normalize_plate
from alpr_desktop.core.roles import (
    DATA_ACTIONS,
    PERMISSIONS,
    Action,
    Role,
    is_permitted,
    parse_roles,
)
from alpr_desktop.errors import ConfigurationError, ValidationError
from alpr_desktop.messages import ChangeBus, Changes, Level, MessageBridge, Topic
from alpr_desktop.settings import DepartmentSettings, LocalConfig


def test_requirements_role_boundaries() -> None:
    """The 'must never' column of requirements.md, checked against the table."""
    dispatcher = {Role.DISPATCHER}
    assert not is_permitted(dispatcher, Action.SEARCH_READS)
    assert not is_permitted(dispatcher, Action.FULFIL_RELEASE)
    assert not is_permitted(dispatcher, Action.MANAGE_USERS)
    investigator = {Role.INVESTIGATOR}
    assert not is_permitted(investigator, Action.DECIDE_RELEASE_REQUEST)
    assert not is_permitted(investigator, Action.MANAGE_SETTINGS)
    assert is_permitted(investigator, Action.CANVASS)
    assert is_permitted({Role.SUPERVISOR}, Action.APPROVE_EVIDENCE_HOLD)
    assert is_permitted({Role.COMMANDER}, Action.DECIDE_RELEASE_REQUEST)
    assert is_permitted({Role.COMMANDER}, Action.SET_RETENTION)
    admin = {Role.ADMINISTRATOR}
    assert not any(is_permitted(admin, a) for a in DATA_ACTIONS)
    assert is_permitted(admin, Action.MANAGE_USERS)


def test_every_action_has_at_least_one_role() -> None:
    assert set(PERMISSIONS) == set(Action)
    assert all(PERMISSIONS[a] for a in Action)


def test_no_role_may_change_the_audit_trail() -> None:
    assert not any("delete" in a.value or "edit_audit" in a.value for a in Action)


def test_parse_roles() -> None:
    assert parse_roles(["Dispatcher", " supervisor "]) == {Role.DISPATCHER, Role.SUPERVISOR}
    with pytest.raises(ValueError, match="unknown role 'chief'"):
        parse_roles(["chief"])


@pytest.mark.parametrize(
    ("raw", "normal", "folded"),
    [
        ("7abc-123", "7ABC123", "7A8C123"),
        (" ca 5 SAM 123 ", "CA5SAM123", "CA55AM123"),
        ("IL0 DQZ", "IL0DQZ", "110002"),
    ],
)
def test_plate_text(raw: str, normal: str, folded: str) -> None:
    assert normalize_plate(raw) == normal
    assert fold_confusables(raw) == folded


def test_department_settings_round_trip_and_validation() -> None:
    settings = DepartmentSettings()
    assert DepartmentSettings.from_rows(settings.to_rows()) == settings
    assert len(settings.purposes) == 10 and settings.retention_days == 365
    with pytest.raises(ValidationError, match="retention_days"):
        settings.updated(retention_days=30)  # policy 471.5: at least one year
    with pytest.raises(ValidationError, match="password_min_length"):
        settings.updated(password_min_length=8)
    with pytest.raises(ValidationError, match="unique"):
        settings.updated(purposes=["Warrant", "warrant"])
    with pytest.raises(ValidationError, match="at least one"):
        settings.updated(purposes=["  "])
    assert settings.updated(idle_lock_minutes=5).idle_lock_minutes == 5


def test_local_config_save_load(tmp_path: Path) -> None:
    config = LocalConfig(database_url="sqlite:////x/y.db", data_dir=tmp_path, theme="dark")
    config.save(tmp_path)
    assert LocalConfig.load(tmp_path) == config
    (tmp_path / "config.json").write_text(json.dumps({"theme": "purple"}))
    with pytest.raises(ConfigurationError, match="theme"):
        LocalConfig.load(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ConfigurationError, match="Cannot read"):
        LocalConfig.load(tmp_path)


def test_change_bus_and_message_bridge() -> None:
    bus, seen = ChangeBus(), []
    unsubscribe = bus.subscribe(seen.append)
    bus.publish(Changes.of(Topic.USERS))
    bus.publish(Changes.of())  # nothing changed: not broadcast
    unsubscribe()
    bus.publish(Changes.of(Topic.SETTINGS))
    assert seen == [Changes.of(Topic.USERS)] and seen[0].touches(Topic.USERS, Topic.AUDIT)

    bridge, messages = MessageBridge(), []
    bridge.subscribe(messages.append)

    def broken(_message: object) -> None:
        raise RuntimeError("a broken view")

    bridge.subscribe(broken)
    bridge.error("database unreachable")
    assert messages[0].level is Level.ERROR and messages[0].text == "database unreachable"
