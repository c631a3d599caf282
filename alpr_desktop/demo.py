"""Demo mode: one account per role on a throw-away database, set up through the services."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Role


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: Role


_AGENCY = "Demo Police Department"
#: Approvers last: once a second approver is active the two-person rules hold for good.
_ACTIVATION_ORDER = (Role.DISPATCHER, Role.INVESTIGATOR, Role.COMMANDER, Role.SUPERVISOR)
_LISTED_ORDER = (Role.DISPATCHER, Role.INVESTIGATOR, Role.SUPERVISOR, Role.COMMANDER)


def _password() -> str:
    # No "demo-" prefix: the account names start with "Demo", and a password may not
    # contain the holder's name.
    return secrets.token_urlsafe(12)


def seed_demo(app: Application) -> list[DemoAccount]:
    """Create the demo administrator and one trained, active account per other role.

    Everything goes through the services and follows the separation-of-duties rules
    (``docs/accounts.md``): the administrator creates each account and records its
    training; while it is the only approver it activates the accounts it created (the
    bootstrap), so the supervisor, an approver, is activated last. Each temporary
    password is replaced without a sign-in, so no account shows a sign-in nobody made.
    """
    services = app.services
    admin_password = _password()
    admin = services.auth.create_first_administrator(
        username="demo.admin",
        full_name="Demo Administrator",
        password=admin_password,
        organisation=_AGENCY,
    )
    services.settings.update(admin, agency_name=_AGENCY)
    completed = services.ctx.now().date() - dt.timedelta(days=30)
    made: dict[Role, DemoAccount] = {}
    for role in _ACTIVATION_ORDER:
        username = f"demo.{role.value}"
        temporary, final = _password(), _password()
        user = services.users.create_user(
            admin,
            username=username,
            full_name=f"Demo {role.label}",
            roles=[role],
            temporary_password=temporary,
            organisation=_AGENCY,
        )
        services.users.activate(admin, user.id)
        services.users.add_training(
            admin, user.id, course="ALPR operator training (demo)", completed_on=completed
        )
        services.auth.replace_temporary_password(username, temporary, final)
        made[role] = DemoAccount(username, final, role)
    accounts = [DemoAccount("demo.admin", admin_password, Role.ADMINISTRATOR)]
    return accounts + [made[role] for role in _LISTED_ORDER]


def credentials_banner(accounts: list[DemoAccount]) -> str:
    width = max(len(a.username) for a in accounts)
    lines = ["Demo accounts (shown once; the demo database is deleted on exit):"]
    lines += [f"  {a.username:<{width}}  {a.password}  ({a.role.label})" for a in accounts]
    return "\n".join(lines)
