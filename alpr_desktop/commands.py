"""The sub-commands behind ``alpr-desktop`` (the GUI, ``init``, ``audit verify``)."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from alpr_desktop.app import Application, open_application
from alpr_desktop.errors import ConfigurationError, ValidationError
from alpr_desktop.services.audit import append_record, verify_chain
from alpr_desktop.settings import LocalConfig


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
    if command == "audit" and args.audit_command == "verify":
        return _audit_verify(config)
    raise ConfigurationError(f"unknown command {command!r}")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password for the first administrator: ")
    second = getpass.getpass("Repeat the password: ")
    if first != second:
        raise ValidationError("The two passwords differ; nothing was created.")
    return first


def _init(config: LocalConfig, args: argparse.Namespace) -> int:
    app = open_application(config)
    try:
        if not app.services.auth.setup_needed():
            raise ValidationError("This database already has users; nothing was changed.")
        password = _read_password(args.password_stdin)
        actor = app.services.auth.create_first_administrator(
            username=args.username,
            full_name=args.full_name,
            organisation=args.organisation,
            password=password,
        )
        print(f"Created administrator {actor.username!r} in {app.database.masked_url}.")
        return 0
    finally:
        app.close()


def _audit_verify(config: LocalConfig) -> int:
    app: Application = open_application(config)
    try:
        ctx = app.services.ctx
        with app.database.sessions.begin() as session:
            report = verify_chain(session)
            append_record(
                session,
                now=ctx.now(),
                username=f"cli:{getpass.getuser()}",
                workstation=ctx.workstation,
                category="admin",
                action="audit_verify",
                outcome="ok" if report.ok else "failed",
                detail=report.summary(),
            )
        print(report.summary())
        return 0 if report.ok else 1
    finally:
        app.close()
