"""Separation of duties (docs/accounts.md): every rule, for every role, and the bootstrap."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from alpr_desktop.app import Application, open_application
from alpr_desktop.core.roles import PERMISSIONS, Action, Role
from alpr_desktop.demo import seed_demo
from alpr_desktop.errors import AuthenticationError, PermissionDenied, SeparationOfDutiesError
from alpr_desktop.services.base import Actor, BaseService
from alpr_desktop.settings import LocalConfig
from alpr_desktop.storage.models import AccessRecord, AccountState, User
from tests.conftest import USER_PASSWORD, cosigner, create_active_user

TEMP = "temporary-pass-0002"
TODAY = dt.date.today()


def _pending(app: Application, creator: Actor, name: str, roles: list[Role]) -> int:
    view = app.services.users.create_user(
        creator, username=name, full_name=name.title(), roles=roles, temporary_password=TEMP
    )
    return view.id


def _state(app: Application, user_id: int) -> AccountState:
    with app.database.sessions() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.state


@pytest.fixture
def sup(app: Application, admin: Actor) -> Actor:
    """The co-signing supervisor: from here on the two-person rules are in force."""
    return cosigner(app, admin)


def _refusals(app: Application, username: str) -> list[str]:
    with app.database.sessions() as session:
        return list(
            session.scalars(
                select(AccessRecord.detail).where(
                    AccessRecord.username == username, AccessRecord.outcome == "refused"
                )
            )
        )


# ----------------------------------------------------------------------- rule 1


def test_nobody_changes_own_roles(app: Application, admin: Actor, sup: Actor) -> None:
    with pytest.raises(SeparationOfDutiesError, match="your own roles"):
        app.services.users.set_roles(admin, admin.user_id, [Role.ADMINISTRATOR, Role.COMMANDER])
    assert any("own roles" in d for d in _refusals(app, "admin")), "the refusal is recorded"
    own = app.services.users.own_account(admin)
    assert own.roles == {Role.ADMINISTRATOR}


def test_nobody_records_own_training(app: Application, admin: Actor, sup: Actor) -> None:
    with pytest.raises(SeparationOfDutiesError, match="your own training"):
        app.services.users.add_training(admin, admin.user_id, course="ALPR", completed_on=TODAY)
    assert not app.services.users.own_account(admin).training


# ----------------------------------------------------------------------- rule 2


def test_creator_cannot_activate(app: Application, admin: Actor, sup: Actor) -> None:
    user_id = _pending(app, admin, "all.roles", list(Role))
    with pytest.raises(SeparationOfDutiesError, match="created this account"):
        app.services.users.activate(admin, user_id)
    assert _state(app, user_id) is AccountState.PENDING
    app.services.users.activate(sup, user_id)
    assert _state(app, user_id) is AccountState.ACTIVE


def test_two_person_rules_stay_in_force(app: Application, admin: Actor, sup: Actor) -> None:
    app.services.users.suspend(admin, sup.user_id, "on leave")  # no second approver now
    user_id = _pending(app, admin, "sneaky", [Role.INVESTIGATOR])
    with pytest.raises(SeparationOfDutiesError):
        app.services.users.activate(admin, user_id)
    assert app.services.users.two_person_rules_in_force()


def test_reactivating_a_suspended_account_needs_no_second_person(
    app: Application, admin: Actor, sup: Actor
) -> None:
    actor = create_active_user(app, admin, "dana", [Role.DISPATCHER])
    app.services.users.suspend(admin, actor.user_id, "review")
    app.services.users.activate(admin, actor.user_id)
    assert _state(app, actor.user_id) is AccountState.ACTIVE


# ----------------------------------------------------------------------- rule 3


def test_added_role_needs_a_second_person(app: Application, admin: Actor, sup: Actor) -> None:
    actor = create_active_user(app, admin, "dana", [Role.DISPATCHER])
    app.services.users.set_roles(admin, actor.user_id, [Role.DISPATCHER, Role.INVESTIGATOR])
    assert _state(app, actor.user_id) is AccountState.PENDING
    with pytest.raises(SeparationOfDutiesError, match="made it pending|created"):
        app.services.users.activate(admin, actor.user_id)
    app.services.users.activate(sup, actor.user_id)
    app.services.users.set_roles(admin, actor.user_id, [Role.INVESTIGATOR])  # a removal
    assert _state(app, actor.user_id) is AccountState.ACTIVE


# ----------------------------------------------------------------------- rule 4


def test_reset_of_a_role_the_resetter_lacks(app: Application, admin: Actor, sup: Actor) -> None:
    commander = create_active_user(app, admin, "cora", [Role.COMMANDER])
    app.services.users.reset_password(admin, commander.user_id, "taken-over-pass-77")
    assert _state(app, commander.user_id) is AccountState.PENDING
    with pytest.raises(SeparationOfDutiesError):
        app.services.users.activate(admin, commander.user_id)
    with pytest.raises(AuthenticationError, match="waiting to be activated"):
        app.services.auth.login("cora", "taken-over-pass-77")
    app.services.users.activate(sup, commander.user_id)  # the second person confirms
    assert app.services.auth.login("cora", "taken-over-pass-77").must_change_password


def test_reset_within_own_roles_is_immediate(app: Application, admin: Actor, sup: Actor) -> None:
    other = create_active_user(app, admin, "second.admin", [Role.ADMINISTRATOR])
    app.services.users.reset_password(other, admin.user_id, "fresh-temporary-99")
    assert _state(app, admin.user_id) is AccountState.ACTIVE
    assert app.services.auth.login("admin", "fresh-temporary-99").must_change_password


def test_nobody_resets_own_password(app: Application, admin: Actor, sup: Actor) -> None:
    with pytest.raises(SeparationOfDutiesError, match="own password"):
        app.services.users.reset_password(admin, admin.user_id, "fresh-temporary-99")


# ----------------------------------------------------------------------- rule 5


def test_supervisor_suspends_administrator_only_if_allowed(
    app: Application, admin: Actor, sup: Actor
) -> None:
    other = create_active_user(app, admin, "second.admin", [Role.ADMINISTRATOR])
    with pytest.raises(SeparationOfDutiesError, match="Only an administrator"):
        app.services.users.suspend(sup, other.user_id, "review")
    assert _state(app, other.user_id) is AccountState.ACTIVE
    app.services.settings.update(admin, supervisors_may_suspend_administrators=True)
    app.services.users.suspend(sup, other.user_id, "review")
    assert _state(app, other.user_id) is AccountState.SUSPENDED


def test_supervisor_sweep_spares_administrators(app: Application, admin: Actor, sup: Actor) -> None:
    with app.database.sessions.begin() as session:
        for user in session.scalars(select(User)):
            user.last_activity_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=200)
            user.last_login_at = None
    assert app.services.users.suspend_inactive(sup) == []  # admin spared, sup is self


# ----------------------------------------------------------------------- the matrix


class _Probe(BaseService):
    def run(self, actor: Actor, action: Action) -> str:
        with self._work(actor, action):
            return "done"


SelfOp = Callable[[Application, Actor], object]
SELF_OPS: dict[str, tuple[Action, SelfOp]] = {
    "own roles": (
        Action.MANAGE_USERS,
        lambda a, u: a.services.users.set_roles(u, u.user_id, list(Role)),
    ),
    "own training": (
        Action.MANAGE_TRAINING,
        lambda a, u: a.services.users.add_training(u, u.user_id, course="x", completed_on=TODAY),
    ),
    "own password reset": (
        Action.MANAGE_USERS,
        lambda a, u: a.services.users.reset_password(u, u.user_id, "fresh-temporary-99"),
    ),
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("op", sorted(SELF_OPS))
def test_self_service_refused_for_every_role(
    app: Application, admin: Actor, sup: Actor, role: Role, op: str
) -> None:
    """The table lets some roles do these; no role lets anyone do them to themselves."""
    action, call = SELF_OPS[op]
    actor = create_active_user(app, admin, f"self.{role.value}", [role])
    expected = SeparationOfDutiesError if role in PERMISSIONS[action] else PermissionDenied
    with pytest.raises(expected):
        call(app, actor)
    assert _refusals(app, actor.username), "recorded"


@pytest.mark.parametrize("role", sorted(PERMISSIONS[Action.ACTIVATE_USERS]))
def test_approvers_activate_only_what_others_made_pending(
    app: Application, admin: Actor, sup: Actor, role: Role
) -> None:
    approver = create_active_user(app, admin, f"approver.{role.value}", [role])
    app.services.users.activate(approver, _pending(app, admin, "by.admin", [Role.DISPATCHER]))
    if role in PERMISSIONS[Action.MANAGE_USERS]:
        own = _pending(app, approver, "by.approver", [Role.DISPATCHER])
        with pytest.raises(SeparationOfDutiesError, match="created this account"):
            app.services.users.activate(approver, own)
        app.services.users.activate(sup, own)
        assert _state(app, own) is AccountState.ACTIVE


# ----------------------------------------------------------------------- bootstrap


def test_one_person_trial_reaches_every_page(app: Application, admin: Actor) -> None:
    assert not app.services.users.two_person_rules_in_force()
    trial = _pending(app, admin, "trial", list(Role))
    app.services.users.activate(admin, trial)  # the only approver so far
    app.services.users.add_training(admin, trial, course="ALPR", completed_on=TODAY)
    assert app.services.users.two_person_rules_in_force(), "a second approver ends it"
    with app.database.sessions() as session:
        details = session.scalars(
            select(AccessRecord.detail).where(AccessRecord.action == "account_active")
        ).all()
    assert any("bootstrap" in d for d in details), "the bootstrap activation is recorded"
    login = app.services.auth.login("trial", TEMP)
    app.services.auth.change_password(login.actor, TEMP, USER_PASSWORD)
    actor = app.services.auth.login("trial", USER_PASSWORD).actor
    probe = _Probe(app.services.ctx)
    assert all(probe.run(actor, action) == "done" for action in Action)


def test_bootstrap_activations_of_non_approvers(app: Application, admin: Actor) -> None:
    for name in ("d.one", "i.two"):
        app.services.users.activate(admin, _pending(app, admin, name, [Role.INVESTIGATOR]))
    assert not app.services.users.two_person_rules_in_force()


def test_demo_follows_the_rules_and_shows_no_sign_in(tmp_path: Path) -> None:
    app = open_application(LocalConfig(data_dir=tmp_path), demo=True)
    try:
        accounts = seed_demo(app)
        assert {a.role for a in accounts} == set(Role)
        admin = app.services.auth.login("demo.admin", accounts[0].password).actor
        views = app.services.users.list_users(admin)
        others = [v for v in views if v.username != "demo.admin"]
        assert all(v.state is AccountState.ACTIVE for v in views)
        assert all(v.last_login_at is None for v in others), "nobody has signed in"
        assert all(v.training_current and not v.password_is_temporary for v in others)
        assert app.services.users.two_person_rules_in_force()
        for account in accounts[1:]:
            result = app.services.auth.login(account.username, account.password)
            assert not result.must_change_password
    finally:
        app.close()


def test_whoever_resets_a_pending_account_cannot_activate_it(app) -> None:
    import pytest

    from alpr_desktop.core.roles import Role
    from alpr_desktop.errors import AlprError
    from tests.conftest import create_active_user, create_admin

    admin = create_admin(app)
    supervisor = create_active_user(app, admin, "sue.s", [Role.SUPERVISOR])
    other_admin = create_active_user(app, admin, "al.a", [Role.ADMINISTRATOR])
    pending = app.services.users.create_user(
        admin,
        username="pat.p",
        full_name="Pat Pending",
        roles=[Role.DISPATCHER],
        temporary_password="First-Temporary-2026x",
    )
    # An administrator who did not create it resets its password: it now knows it.
    app.services.users.reset_password(other_admin, pending.id, "Second-Temporary-2026x")
    with pytest.raises(AlprError):
        app.services.users.activate(other_admin, pending.id)
    assert app.services.users.activate(supervisor, pending.id).state.value == "active"
