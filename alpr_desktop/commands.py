"""The sub-commands behind ``alpr-desktop`` (the GUI, ``init``, ``audit verify``)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from alpr_desktop.errors import ConfigurationError, StorageError, ValidationError
from alpr_desktop.settings import LocalConfig

if TYPE_CHECKING:
    from alpr_desktop.app import Application
    from alpr_desktop.services.base import Actor

# The database layer is imported by the commands that use it, not here: the GUI command
# shows its first window before SQLAlchemy is loaded (see gui/main.py).


def load_config(args: argparse.Namespace) -> LocalConfig:
    config = LocalConfig.load()
    updates: dict[str, object] = {}
    if getattr(args, "data_dir", None):
        updates["data_dir"] = Path(args.data_dir).expanduser()
    if getattr(args, "database_url", None):
        updates["database_url"] = args.database_url
    return config.model_copy(update=updates) if updates else config


def run(command: str, args: argparse.Namespace) -> int:
    config = load_config(args)
    if command == "gui":
        from alpr_desktop.gui.main import run_gui

        return run_gui(config, demo=args.demo)
    if args.demo:
        raise ConfigurationError("--demo only applies to the GUI.")
    if command == "init":
        return _init(config, args)
    if command == "policy":
        from alpr_desktop import policy_commands

        return policy_commands.run(config, args)
    if command == "audit" and args.audit_command in ("verify", "checkpoint", "keygen"):
        from alpr_desktop import audit_commands

        return audit_commands.run(config, args)
    if command == "audit" and args.audit_command == "report":
        return _as_user(config, args)
    if command in (
        "users", "recognize", "hotlist", "alerts", "search", "canvass", "purge", "release",
    ):  # fmt: skip
        return _as_user(config, args)
    raise ConfigurationError(f"unknown command {command!r}")


#: Commands that act for a user read the password from this variable when it is set.
PASSWORD_ENV = "ALPR_PASSWORD"  # noqa: S105 (a variable name, not a password)


def read_password(from_stdin: bool, *, prompt: str, confirm: bool, nothing_done: str) -> str:
    """A password from standard input, ``ALPR_PASSWORD`` or a prompt (in that order).

    Args:
        from_stdin: ``--password-stdin`` was given: read one line.
        prompt: what the terminal prompt says.
        confirm: ask twice (a new password).
        nothing_done: the end of the error messages ("nothing was created.").
    """
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if not sys.stdin.isatty():
        raise ValidationError(
            "No terminal to ask for the password: pipe it in with --password-stdin or set "
            f"{PASSWORD_ENV}; {nothing_done}"
        )
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat the password: ") != first:
        raise ValidationError(f"The two passwords differ; {nothing_done}")
    return first


def sign_in(app: Application, args: argparse.Namespace) -> Actor:
    """Sign ``--user`` in for a command that acts for a user (same rules as the window)."""
    password = read_password(
        args.password_stdin,
        prompt=f"Password for {args.user}: ",
        confirm=False,
        nothing_done="nothing was done.",
    )
    result = app.services.auth.login(args.user, password)
    if result.must_change_password:
        app.services.auth.record_session_event(result.actor, "logout")
        raise ValidationError(
            "Your password is temporary: sign in to the application once to choose your "
            "own, then run the command again."
        )
    return result.actor


def sign_out(app: Application, actor: Actor) -> None:
    app.services.auth.record_session_event(actor, "logout")


def _init(config: LocalConfig, args: argparse.Namespace) -> int:
    from alpr_desktop.app import open_application

    existing = _existing_application(config)
    if existing is not None:
        try:
            if not existing.services.auth.setup_needed():
                raise ValidationError("This database already has users; nothing was changed.")
        finally:
            existing.close()
    password = read_password(  # before anything is created
        args.password_stdin,
        prompt="Password for the first administrator: ",
        confirm=True,
        nothing_done="nothing was created.",
    )
    app = open_application(config, create=True)
    try:
        actor = app.services.auth.create_first_administrator(
            username=args.username,
            full_name=args.full_name,
            organisation=args.organisation,
            password=password,
        )
        print(f"Created administrator {actor.username!r} in {app.database.description}.")
        return 0
    finally:
        app.close()


def _existing_application(config: LocalConfig) -> Application | None:
    """The application on an existing database, or None where there is none yet."""
    from alpr_desktop.app import open_application

    try:
        return open_application(config)
    except StorageError:
        return None  # absent or empty; the real open below reports any other problem


def _as_user(config: LocalConfig, args: argparse.Namespace) -> int:
    """A command that acts for ``--user``: sign in, run it, sign out."""
    from alpr_desktop import (
        alert_commands,
        audit_report_commands,
        hotlist_commands,
        purge_commands,
        recognize_command,
        release_commands,
        search_commands,
        user_commands,
    )
    from alpr_desktop.app import open_application

    app = open_application(config)
    try:
        actor = sign_in(app, args)
        try:
            if args.command == "recognize":
                return recognize_command.run(app, actor, args)
            if args.command == "hotlist":
                return hotlist_commands.run(app, actor, args)
            if args.command == "alerts":
                return alert_commands.run(app, actor, args)
            if args.command == "search":
                return search_commands.run_search(app, actor, args)
            if args.command == "canvass":
                return search_commands.run_canvass(app, actor, args)
            if args.command == "audit":
                return audit_report_commands.run(app, actor, args)
            if args.command == "purge":
                return purge_commands.run(app, actor, args)
            if args.command == "release":
                return release_commands.run(app, actor, args)
            return user_commands.run(app, actor, args)
        finally:
            sign_out(app, actor)
    finally:
        app.close()
