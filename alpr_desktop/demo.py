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


def _password() -> str:
    return "demo-" + secrets.token_urlsafe(9)


def seed_demo(app: Application) -> list[DemoAccount]:
    """Create the demo administrator and one trained, active account per other role."""
    services = app.services
    admin_password = _password()
    admin = services.auth.create_first_administrator(
        username="demo.admin",
        full_name="Demo Administrator",
        password=admin_password,
        organisation="Demo Police Department",
    )
    today = services.ctx.now().date()
    services.settings.update(admin, agency_name="Demo Police Department")
    services.users.add_training(
        admin, admin.user_id, course="ALPR operator training (demo)", completed_on=today
    )
    accounts = [DemoAccount("demo.admin", admin_password, Role.ADMINISTRATOR)]
    for role in (Role.DISPATCHER, Role.INVESTIGATOR, Role.SUPERVISOR, Role.COMMANDER):
        username = f"demo.{role.value}"
        temporary, final = _password(), _password()
        user = services.users.create_user(
            admin,
            username=username,
            full_name=f"Demo {role.label}",
            roles=[role],
            temporary_password=temporary,
            organisation="Demo Police Department",
        )
        services.users.activate(admin, user.id)
        services.users.add_training(
            admin,
            user.id,
            course="ALPR operator training (demo)",
            completed_on=today - dt.timedelta(days=30),
        )
        login = services.auth.login(username, temporary)
        services.auth.change_password(login.actor, temporary, final)
        accounts.append(DemoAccount(username, final, role))
    return accounts


def credentials_banner(accounts: list[DemoAccount]) -> str:
    width = max(len(a.username) for a in accounts)
    lines = ["Demo accounts (shown once; the demo database is deleted on exit):"]
    lines += [f"  {a.username:<{width}}  {a.password}  ({a.role.label})" for a in accounts]
    return "\n".join(lines)
