"""``alpr-desktop users …``: account administration for servers without a screen.

The same user service as the Users page, so the same permissions, separation-of-duties
rules and access records apply; the acting user signs in with ``--user NAME`` and a
password from ``--password-stdin``, ``ALPR_PASSWORD`` or a prompt, and is signed out
again when the command ends.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from alpr_desktop.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from alpr_desktop.app import Application
    from alpr_desktop.services.base import Actor
    from alpr_desktop.services.users import UserView

USER_COMMANDS = ("list", "add", "roles", "activate", "suspend", "training", "reset-password")


def add_arguments(users: argparse.ArgumentParser, acting: Callable[[Any], None]) -> None:
    """The ``users`` sub-commands; ``acting`` adds the --user/--password-stdin options."""
    sub = users.add_subparsers(dest="users_command", metavar="USERS_COMMAND", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
        acting(parser)
        if name != "list":
            parser.add_argument("username", help="the account to act on")
        return parser

    command("list", "list the accounts, their roles, state and training")
    add = command("add", "create a pending account; prints its temporary password once")
    add.add_argument("--full-name", required=True)
    add.add_argument("--role", action="append", required=True, help="repeat for several")
    for option in ("--organisation", "--badge-number", "--title", "--email"):
        add.add_argument(option, default="")
    roles = command("roles", "set an account's roles (added roles need a second person)")
    roles.add_argument("--role", action="append", required=True, help="repeat for several")
    command("activate", "activate a pending or suspended account")
    suspend = command("suspend", "suspend an account")
    suspend.add_argument("--reason", required=True)
    training = command("training", "record completed ALPR training")
    training.add_argument("--course", required=True)
    training.add_argument("--completed", required=True, metavar="YYYY-MM-DD")
    training.add_argument("--expires", metavar="YYYY-MM-DD", help="default: department rule")
    command("reset-password", "give an account a new temporary password; prints it once")


def _date(text: str | None, what: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"The {what} date {text!r} is not a date (YYYY-MM-DD).") from None


def _find(app: Application, actor: Actor, username: str) -> UserView:
    wanted = username.strip().casefold()
    for view in app.services.users.list_users(actor):
        if view.username == wanted:
            return view
    raise NotFoundError(f"There is no account {username!r}.")


def _table(views: list[UserView], today: dt.date) -> str:
    rows = [("USERNAME", "NAME", "ROLES", "STATE", "TRAINING")]
    for v in views:
        current = [t.expires_on for t in v.training if t.completed_on <= today < t.expires_on]
        training = f"until {max(current)}" if current else ("expired" if v.training else "none")
        roles = ",".join(sorted(r.value for r in v.roles))
        rows.append((v.username, v.full_name, roles, v.state.value, training))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)
    return "\n".join(line.rstrip() for line in lines)


def run(app: Application, actor: Actor, args: argparse.Namespace) -> int:
    """Carry out one ``users`` sub-command for ``actor``; prints what it did."""
    from alpr_desktop.services.users import generate_temporary_password

    users, name = app.services.users, args.users_command
    if name == "list":
        print(_table(users.list_users(actor), app.services.ctx.now().date()))
        return 0
    if name == "add":
        temporary = generate_temporary_password()
        view = users.create_user(
            actor,
            username=args.username,
            full_name=args.full_name,
            roles=args.role,
            temporary_password=temporary,
            organisation=args.organisation,
            badge_number=args.badge_number,
            title=args.title,
            email=args.email,
        )
        print(f"Created {view.username!r} (pending; another person activates it).")
        print(f"Temporary password (shown once): {temporary}")
        return 0
    target = _find(app, actor, args.username)
    if name == "roles":
        view = users.set_roles(actor, target.id, args.role)
        roles = ", ".join(sorted(r.value for r in view.roles))
        print(f"{view.username}: roles {roles}; account {view.state.value}.")
    elif name == "activate":
        print(f"{users.activate(actor, target.id).username}: active.")
    elif name == "suspend":
        print(f"{users.suspend(actor, target.id, args.reason).username}: suspended.")
    elif name == "training":
        completed = _date(args.completed, "completion")
        assert completed is not None
        expires = _date(args.expires, "expiry")
        users.add_training(
            actor, target.id, course=args.course, completed_on=completed, expires_on=expires
        )
        print(f"{target.username}: training recorded.")
    elif name == "reset-password":
        temporary = generate_temporary_password()
        view = users.reset_password(actor, target.id, temporary)
        print(f"{view.username}: new temporary password (shown once): {temporary}")
        if view.state.value != "active":
            print(f"The account is {view.state.value}; another person activates it.")
    return 0
