"""The role x action matrix: every service action allowed or refused exactly as the table says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select, update

from alpr_desktop.app import Application
from alpr_desktop.core.roles import PERMISSIONS, Action, Role
from alpr_desktop.errors import PasswordChangeRequired, PermissionDenied
from alpr_desktop.services.base import Actor, BaseService
from alpr_desktop.storage.models import AccessRecord, TrainingRecord, User
from tests.conftest import cosigner, create_active_user

TEMP = "temporary-pass-0002"


@dataclass(frozen=True)
class Op:
    name: str
    action: Action
    call: Callable[[Application, Actor, int], object]


def _target(app: Application, admin: Actor, n: list[int]) -> int:
    n[0] += 1
    view = app.services.users.create_user(
        admin,
        username=f"target{n[0]}",
        full_name="Target",
        roles=["dispatcher"],
        temporary_password=TEMP,
    )
    return view.id


def _active_target(app: Application, admin: Actor, n: list[int]) -> int:
    user_id = _target(app, admin, n)
    app.services.users.activate(cosigner(app, admin), user_id)  # a second person
    return user_id


OPS = [
    Op("list_users", Action.VIEW_USERS, lambda a, u, t: a.services.users.list_users(u)),
    Op(
        "create_user",
        Action.MANAGE_USERS,
        lambda a, u, t: a.services.users.create_user(
            u,
            username=f"new{t}",
            full_name="New",
            roles=["investigator"],
            temporary_password=TEMP,
        ),
    ),
    Op(
        "set_roles",
        Action.MANAGE_USERS,
        lambda a, u, t: a.services.users.set_roles(u, t, ["supervisor"]),
    ),
    Op("activate", Action.ACTIVATE_USERS, lambda a, u, t: a.services.users.activate(u, t)),
    Op("suspend", Action.ACTIVATE_USERS, lambda a, u, t: a.services.users.suspend(u, t, "test")),
    Op(
        "deactivate", Action.MANAGE_USERS, lambda a, u, t: a.services.users.deactivate(u, t, "test")
    ),
    Op(
        "reset_password",
        Action.MANAGE_USERS,
        lambda a, u, t: a.services.users.reset_password(u, t, "another-temp-pass"),
    ),
    Op(
        "add_training",
        Action.MANAGE_TRAINING,
        lambda a, u, t: a.services.users.add_training(
            u, t, course="ALPR", completed_on=dt.date.today()
        ),
    ),
    Op(
        "suspend_inactive",
        Action.ACTIVATE_USERS,
        lambda a, u, t: a.services.users.suspend_inactive(u),
    ),
    Op("audit_verify", Action.VERIFY_AUDIT, lambda a, u, t: a.services.audit.verify(u)),
    Op("audit_count", Action.VIEW_AUDIT, lambda a, u, t: a.services.audit.count(u)),
    Op(
        "settings",
        Action.MANAGE_SETTINGS,
        lambda a, u, t: a.services.settings.update(u, lockout_threshold=6),
    ),
    Op(
        "retention",
        Action.SET_RETENTION,
        lambda a, u, t: a.services.settings.update(u, retention_days=400),
    ),
    Op(
        "designee",
        Action.NAME_DESIGNEE,
        lambda a, u, t: a.services.settings.update(u, designee_name="Lt. Lee"),
    ),
]
# Targets that need an active account (the others take a pending one).
ACTIVE_TARGET = {"suspend"}


@pytest.mark.parametrize("role", list(Role))
def test_role_action_matrix(app: Application, admin: Actor, role: Role) -> None:
    actor = create_active_user(app, admin, f"user.{role.value}", [role])
    counter = [0]
    for op in OPS:
        make = _active_target if op.name in ACTIVE_TARGET else _target
        target = make(app, admin, counter)
        expected = role in PERMISSIONS[op.action]
        if expected:
            op.call(app, actor, target)
        else:
            with pytest.raises(PermissionDenied):
                op.call(app, actor, target)
    with app.database.sessions() as session:
        refused = session.scalars(
            select(AccessRecord.action).where(
                AccessRecord.username == actor.username, AccessRecord.outcome == "refused"
            )
        ).all()
    expected_refusals = sorted(op.action.value for op in OPS if role not in PERMISSIONS[op.action])
    assert sorted(refused) == expected_refusals, "every refusal is itself recorded"


class _Probe(BaseService):
    """Exercises the gate for actions whose services land in later issues."""

    def run(self, actor: Actor, action: Action) -> str:
        with self._work(actor, action):
            return "done"


@pytest.mark.parametrize("role", list(Role))
def test_gate_covers_every_action(app: Application, admin: Actor, role: Role) -> None:
    actor = create_active_user(app, admin, f"gate.{role.value}", [role])
    probe = _Probe(app.services.ctx)
    for action in Action:
        if role in PERMISSIONS[action]:
            assert probe.run(actor, action) == "done"
        else:
            with pytest.raises(PermissionDenied, match="roles do not allow"):
                probe.run(actor, action)


def test_combined_roles_union(app: Application, admin: Actor) -> None:
    actor = create_active_user(app, admin, "both", [Role.DISPATCHER, Role.INVESTIGATOR])
    probe = _Probe(app.services.ctx)
    assert probe.run(actor, Action.REVIEW_ALERT) == "done"
    assert probe.run(actor, Action.SEARCH_READS) == "done"
    with pytest.raises(PermissionDenied):
        probe.run(actor, Action.DECIDE_RELEASE_REQUEST)


def test_untrained_user_refused_data_but_not_admin(app: Application, admin: Actor) -> None:
    actor = create_active_user(
        app, admin, "untrained", [Role.INVESTIGATOR, Role.SUPERVISOR], trained=False
    )
    probe = _Probe(app.services.ctx)
    for action in Action:
        if (
            Role.INVESTIGATOR not in PERMISSIONS[action]
            and Role.SUPERVISOR not in PERMISSIONS[action]
        ):
            continue
        if action.data_access:
            with pytest.raises(PermissionDenied, match="training"):
                probe.run(actor, action)
        else:
            assert probe.run(actor, action) == "done"


def test_expired_training_refused(app: Application, admin: Actor) -> None:
    actor = create_active_user(app, admin, "expired", [Role.INVESTIGATOR], trained=False)
    long_ago = dt.date.today() - dt.timedelta(days=800)
    app.services.users.add_training(admin, actor.user_id, course="ALPR", completed_on=long_ago)
    probe = _Probe(app.services.ctx)
    with pytest.raises(PermissionDenied, match="training"):
        probe.run(actor, Action.SEARCH_READS)
    app.services.users.add_training(
        admin, actor.user_id, course="ALPR refresher", completed_on=dt.date.today()
    )
    assert probe.run(actor, Action.SEARCH_READS) == "done"


def test_suspended_and_deactivated_users_refused(app: Application, admin: Actor) -> None:
    actor = create_active_user(app, admin, "soon.gone", [Role.SUPERVISOR])
    probe = _Probe(app.services.ctx)
    assert probe.run(actor, Action.SEARCH_READS) == "done"
    app.services.users.suspend(admin, actor.user_id, "under review")
    for action in (Action.SEARCH_READS, Action.VIEW_USERS, Action.ACTIVATE_USERS):
        with pytest.raises(PermissionDenied, match="suspended"):
            probe.run(actor, action)
    app.services.users.deactivate(admin, actor.user_id, "left the department")
    with pytest.raises(PermissionDenied, match="deactivated"):
        probe.run(actor, Action.SEARCH_READS)


def test_locked_user_refused(app: Application, admin: Actor) -> None:
    actor = create_active_user(app, admin, "locked.out", [Role.SUPERVISOR])
    with app.database.sessions.begin() as session:
        session.execute(
            update(User)
            .where(User.id == actor.user_id)
            .values(locked_until=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10))
        )
    with pytest.raises(PermissionDenied, match="locked"):
        _Probe(app.services.ctx).run(actor, Action.VIEW_USERS)


def test_temporary_password_must_be_changed_first(app: Application, admin: Actor) -> None:
    view = app.services.users.create_user(
        admin, username="fresh", full_name="Fresh", roles=["supervisor"], temporary_password=TEMP
    )
    app.services.users.activate(admin, view.id)
    login = app.services.auth.login("fresh", TEMP)
    assert login.must_change_password
    with pytest.raises(PasswordChangeRequired):
        app.services.users.list_users(login.actor)
    app.services.auth.change_password(login.actor, TEMP, "a-new-long-password")
    assert app.services.users.list_users(login.actor)


def test_training_rows_kept(app: Application, admin: Actor) -> None:
    actor = create_active_user(app, admin, "trained", [Role.DISPATCHER])
    with app.database.sessions() as session:
        rows = session.scalars(
            select(TrainingRecord).where(TrainingRecord.user_id == actor.user_id)
        ).all()
        assert len(rows) == 1 and rows[0].expires_on > rows[0].completed_on
