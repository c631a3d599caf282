"""New passwords against the shipped common-password list, the user's names, the Argon2 floor."""

from __future__ import annotations

import gzip
from importlib.resources import files

import pytest

from alpr_desktop.app import Application
from alpr_desktop.errors import ValidationError
from alpr_desktop.services.base import Actor
from alpr_desktop.services.passwords import OWASP_MIN_MEMORY_KIB, check_argon2_strength
from alpr_desktop.settings import Argon2Parameters
from tests.conftest import ADMIN_PASSWORD, TEST_ARGON2

TEMP = "temporary-pass-0002"
RESOURCE = files("alpr_desktop").joinpath("resources", "passwords")


def test_list_ships_with_licence_and_provenance() -> None:
    names = {entry.name for entry in RESOURCE.iterdir()}
    assert {"common-passwords.txt.gz", "LICENSE", "PROVENANCE.md"} <= names
    text = gzip.decompress(RESOURCE.joinpath("common-passwords.txt.gz").read_bytes())
    entries = text.decode("utf-8").split()
    assert len(entries) > 10_000, "thousands of entries, not ten"
    assert "BSD" in RESOURCE.joinpath("PROVENANCE.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "password",
    [
        "password1234",  # on the list
        "qwertyuiop12",
        "123456789012",  # sequential
        "letmein12345",  # a listed word with digits after it
        "!!Sunshine2026",
        "Iloveyou-9876",
        "abcdabcdabcd",
        "11112222333344",
    ],
)
def test_common_password_refused_on_change(app: Application, admin: Actor, password: str) -> None:
    with pytest.raises(ValidationError, match="common or breached|repeated or sequential"):
        app.services.auth.change_password(admin, ADMIN_PASSWORD, password)
    assert app.services.auth.login("admin", ADMIN_PASSWORD)  # nothing changed


def test_common_password_refused_as_temporary(app: Application, admin: Actor) -> None:
    with pytest.raises(ValidationError, match="common or breached"):
        app.services.users.create_user(
            admin,
            username="newbie",
            full_name="New Bie",
            roles=["dispatcher"],
            temporary_password="password1234",
        )


def test_own_username_refused(app: Application, admin: Actor) -> None:
    # The fixture's administrator is "admin", full name "Ada Admin".
    with pytest.raises(ValidationError, match="username"):
        app.services.auth.change_password(admin, ADMIN_PASSWORD, "xxADMINxx-rules-77")


@pytest.mark.parametrize("password", ["grace-is-amazing-1906", "Amazing-HOPPER-1906"])
def test_own_names_refused(app: Application, admin: Actor, password: str) -> None:
    """Parts of the user's own full name (four letters or more), not the creator's."""
    with pytest.raises(ValidationError, match="your name"):
        app.services.users.create_user(
            admin,
            username="g.hopper",
            full_name="Grace Brewster Hopper",
            roles=["dispatcher"],
            temporary_password=password,
        )


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b", "\x7f", "\u0085"])
def test_control_characters_refused(app: Application, admin: Actor, bad: str) -> None:
    with pytest.raises(ValidationError, match="control characters"):
        app.services.auth.change_password(admin, ADMIN_PASSWORD, f"good-pass{bad}word-42")


def test_a_good_password_is_accepted(app: Application, admin: Actor) -> None:
    app.services.auth.change_password(admin, ADMIN_PASSWORD, "violet-tractor-lemonade-81")
    assert app.services.auth.login("admin", "violet-tractor-lemonade-81")


@pytest.mark.parametrize(("time_cost", "memory_kib"), sorted(OWASP_MIN_MEMORY_KIB.items()))
def test_owasp_pairs_accepted_one_less_refused(
    app: Application, admin: Actor, time_cost: int, memory_kib: int
) -> None:
    weaker = {"time_cost": time_cost, "memory_cost_kib": memory_kib - 1, "parallelism": 1}
    # 7 MiB is also the schema's floor, which answers first for t=5.
    with pytest.raises(ValidationError, match="OWASP|greater than or equal to 7168"):
        app.services.settings.update(admin, argon2=weaker)
    pair = {"time_cost": time_cost, "memory_cost_kib": memory_kib, "parallelism": 1}
    assert app.services.settings.update(admin, argon2=pair).argon2.memory_cost_kib == memory_kib


def test_owasp_table_matches_the_cheat_sheet() -> None:
    assert {t: m // 1024 for t, m in OWASP_MIN_MEMORY_KIB.items()} == {
        1: 46,
        2: 19,
        3: 12,
        4: 9,
        5: 7,
    }
    check_argon2_strength(Argon2Parameters(time_cost=8, memory_cost_kib=7168, parallelism=1))
    check_argon2_strength(Argon2Parameters())  # the shipped default


def test_test_parameters_conform() -> None:
    check_argon2_strength(TEST_ARGON2)
