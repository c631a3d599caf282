"""``alpr-desktop audit verify | checkpoint | keygen``: the trail's integrity on the command line.

* ``audit verify [--checkpoint FILE]... [--full] [--user NAME]`` checks the hash chain
  and every signed checkpoint, resuming after the newest one that holds unless
  ``--full``; each ``--checkpoint`` file (kept outside the database) must still be
  extended by the trail. Exit 0: intact; 1: broken, or a checkpoint not extended (or
  signed by an unknown key); 2: bad input. Without ``--user`` the check is recorded as
  ``cli:<login name>``; with it, as that user, and a checkpoint is signed when one is due.
* ``audit checkpoint --user NAME [--out FILE]`` verifies, signs a checkpoint of the head
  now and writes its text file (to standard output without ``--out``).
* ``audit keygen --user NAME [--replace]`` creates the signing key pair: the private key
  in this workstation's key store (``LocalConfig.audit_signing_key``, default in the data
  directory, mode 0600), the public key in the department settings.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alpr_desktop.settings import LocalConfig

if TYPE_CHECKING:
    from alpr_desktop.app import Application
    from alpr_desktop.services.audit import ChainReport
    from alpr_desktop.services.base import Actor

#: The ``audit`` sub-commands this module runs.
COMMANDS = ("verify", "checkpoint", "keygen")

Command = Callable[..., argparse.ArgumentParser]


def add_arguments(
    audit: argparse.ArgumentParser,
    command: Command,
    acting_user: Callable[[argparse.ArgumentParser], None],
) -> Any:
    """Add ``verify``, ``checkpoint`` and ``keygen`` under ``audit``; return its sub-parsers.

    ``command(name, help, parent)`` makes a sub-command with the global options;
    ``acting_user`` adds ``--user`` and ``--password-stdin``. Other ``audit``
    sub-commands are added to the returned object.
    """
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="AUDIT_COMMAND", required=True)
    verify = command(
        "verify",
        "check the hash chain and the signed checkpoints, and report the first broken link",
        audit_sub,
    )
    verify.add_argument(
        "--checkpoint",
        metavar="FILE",
        type=Path,
        action="append",
        default=[],
        help="an exported checkpoint file the trail must still extend (repeatable)",
    )
    verify.add_argument(
        "--full",
        action="store_true",
        help="walk every record, not only those after the newest signed checkpoint",
    )
    verify.add_argument(
        "--user", metavar="NAME", help="verify as this user (and sign a checkpoint when due)"
    )
    verify.add_argument(
        "--password-stdin",
        action="store_true",
        help="with --user: read the password from standard input (or set ALPR_PASSWORD)",
    )
    checkpoint = command(
        "checkpoint", "verify the trail, sign a checkpoint of it now and write its file", audit_sub
    )
    acting_user(checkpoint)
    checkpoint.add_argument(
        "--out", metavar="FILE", type=Path, help="where to write it (default: standard output)"
    )
    keygen = command(
        "keygen",
        "create the checkpoint signing key pair (private key here, public key in settings)",
        audit_sub,
    )
    acting_user(keygen)
    keygen.add_argument(
        "--replace",
        action="store_true",
        help="replace this workstation's existing key (its checkpoints still verify)",
    )
    return audit_sub


def run(config: LocalConfig, args: argparse.Namespace) -> int:
    from alpr_desktop.app import open_application
    from alpr_desktop.errors import ValidationError
    from alpr_desktop.services.audit_checkpoints import read_checkpoint_file

    given = [read_checkpoint_file(path) for path in getattr(args, "checkpoint", [])]
    if args.audit_command == "checkpoint" and args.out is not None:
        _check_writable(args.out)
    if args.audit_command == "verify" and args.password_stdin and not args.user:
        raise ValidationError("--password-stdin needs --user.")
    app: Application = open_application(config)
    try:
        if args.audit_command == "verify" and not args.user:
            return _verify_anonymously(app, given, full=args.full)
        return _as_user(app, args, given)
    finally:
        app.close()


def _check_writable(path: Path) -> None:
    from alpr_desktop.errors import ValidationError

    if path.is_dir():
        raise ValidationError(f"{path} is a folder; name the checkpoint file to write.")
    if not path.parent.is_dir():
        raise ValidationError(f"There is no folder {path.parent} to write the checkpoint in.")


def _as_user(app: Application, args: argparse.Namespace, given: list[Any]) -> int:
    from alpr_desktop.commands import sign_in, sign_out

    actor = sign_in(app, args)
    try:
        if args.audit_command == "keygen":
            return _keygen(app, actor, replace=args.replace)
        if args.audit_command == "checkpoint":
            return _checkpoint(app, actor, args.out)
        report = app.services.checkpoints.verify(actor, full=args.full, checkpoints=given)
        return _print_report(report)
    finally:
        sign_out(app, actor)


def _verify_anonymously(app: Application, given: list[Any], *, full: bool) -> int:
    """The check as before there were users to sign in: recorded as ``cli:<login>``."""
    from alpr_desktop.services.audit import append_record, report_outcome
    from alpr_desktop.services.audit_checkpoints import verify_trail

    ctx = app.services.ctx
    report = verify_trail(app.database.sessions, full=full, given=given)
    with app.database.sessions.begin() as session:
        append_record(
            session,
            now=ctx.now(),
            username=f"cli:{getpass.getuser()}",
            workstation=ctx.workstation,
            category="admin",
            action="audit_verify",
            outcome=report_outcome(report),
            detail=report.summary(),
        )
    return _print_report(report)


def _print_report(report: ChainReport) -> int:
    print(report.summary())
    return 0 if report.ok else 1


def _checkpoint(app: Application, actor: Actor, out: Path | None) -> int:
    result = app.services.checkpoints.sign_now(actor)
    checkpoint = result.checkpoint
    print(result.report.summary(), file=sys.stderr if out is None else sys.stdout)
    if out is None:
        sys.stdout.write(app.services.checkpoints.export_text(actor, checkpoint_id=checkpoint.id))
        return 0
    app.services.checkpoints.export(actor, out, checkpoint_id=checkpoint.id)
    print(f"Signed a checkpoint of record #{checkpoint.seq}; written to {out}.")
    return 0


def _keygen(app: Application, actor: Actor, *, replace: bool) -> int:
    status = app.services.checkpoints.create_key(actor, replace_existing=replace)
    print(
        f"Created the checkpoint signing key {status.key_id}.\n"
        f"Private key: {status.key_path} (readable by you only; back it up somewhere safe).\n"
        "Public key: in the department settings; every workstation verifies with it."
    )
    return 0
