"""Signed checkpoints of the access trail: tail truncation and consistent rewrites show.

The hash chain (:mod:`alpr_desktop.services.audit`) catches a record edited, deleted or
reordered, but not the newest records cut off, nor the whole chain recomputed after an
edit: both leave a chain that links. A *checkpoint* states "record ``seq`` had hash
``record_hash``" at ``signed_at``, signed with Ed25519 by a key the database does not
hold: the private key lives in the signing workstation's key store (a PEM file, mode
0600, under the data directory or at ``LocalConfig.audit_signing_key``), the public key
in the department settings. Checkpoints are stored in ``audit_checkpoints`` and
exported as a small text file the department keeps elsewhere (printed, e-mailed).

Verification (:func:`verify_trail`) checks every stored checkpoint, and any given from a
file, against the trail: its signature under a department key, its record still there
with that hash, and the trail going on past it (signing a checkpoint is itself recorded
right after the record it names, so a trail that ends at or before a checkpoint's record
has lost its newest records). It then walks the chain from the newest checkpoint that
holds (signed with the configured key, its record unchanged) — or from the start with
``full`` — so a daily check of a large trail reads only the records since.

What an incremental check trusts: the records up to its checkpoint are not re-hashed
(only the checkpointed record itself is). Editing an older record's content without
touching any hash is caught by a ``full`` walk, which a department runs now and then.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session, sessionmaker

from alpr_desktop.core.roles import Action
from alpr_desktop.errors import ConfigurationError, ValidationError
from alpr_desktop.messages import Changes, Topic
from alpr_desktop.services.audit import (
    AuditService,
    Cancel,
    ChainReport,
    Progress,
    hash_values,
    verify_chain,
)
from alpr_desktop.services.base import Actor, BaseService, ServiceContext, load_department_settings
from alpr_desktop.settings import DepartmentSettings, default_data_dir
from alpr_desktop.storage.models import AccessRecord, AuditCheckpoint, SettingRow

KEY_FILE_NAME = "audit-signing-key.pem"
FORMAT_LINE = "alpr-desktop access-trail checkpoint v1"
#: The trail action that records a checkpoint's signing (target_id: the checkpoint's seq).
SIGNED_ACTION = "audit_checkpoint_signed"
_FIELDS = ("seq", "record_hash", "signed_at", "key_id", "signature")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


# --------------------------------------------------------------------------- keys


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def encode_public_key(key: Ed25519PublicKey) -> str:
    """The settings form of a public key: base64 of its 32 raw bytes."""
    return base64.b64encode(raw_public_key(key)).decode("ascii")


def key_id_of(key: Ed25519PublicKey) -> str:
    """Which key signed a checkpoint: SHA-256 of the raw public key, hex."""
    return hashlib.sha256(raw_public_key(key)).hexdigest()


def decode_public_key(text: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        raise ConfigurationError(
            "The department's checkpoint public key (settings) is not an Ed25519 key."
        ) from None


def department_keys(settings: DepartmentSettings) -> dict[str, Ed25519PublicKey]:
    """Every key whose checkpoints are accepted (current first), by key id."""
    keys: dict[str, Ed25519PublicKey] = {}
    for text in (settings.audit_checkpoint_public_key, *settings.audit_checkpoint_retired_keys):
        if text:
            key = decode_public_key(text)
            keys.setdefault(key_id_of(key), key)
    return keys


def current_key_id(settings: DepartmentSettings) -> str:
    text = settings.audit_checkpoint_public_key
    return key_id_of(decode_public_key(text)) if text else ""


def default_key_path(data_dir: Path | None = None) -> Path:
    return (data_dir or default_data_dir()) / KEY_FILE_NAME


@dataclass(frozen=True)
class KeyStore:
    """The workstation's private signing key: one unencrypted PKCS#8 PEM file, mode 0600.

    Unencrypted so that periodic checkpoints need nobody at the keyboard; the file's mode
    (owner only) and its place outside the database are what protect it.
    """

    path: Path

    def exists(self) -> bool:
        return self.path.is_file()

    def load(self) -> Ed25519PrivateKey:
        if not self.path.is_file():
            raise ConfigurationError(
                f"There is no checkpoint signing key at {self.path}: create the key pair "
                "with `alpr-desktop audit keygen --user NAME` on the signing workstation."
            )
        mode = stat.S_IMODE(self.path.stat().st_mode)
        if mode & 0o077:
            raise ConfigurationError(
                f"The checkpoint signing key {self.path} is readable by others "
                f"(mode {mode:o}): run chmod 600 on it."
            )
        try:
            key = serialization.load_pem_private_key(self.path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigurationError(
                f"Cannot read the checkpoint signing key {self.path}: {exc}"
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigurationError(f"The key in {self.path} is not an Ed25519 key.")
        return key

    def write_new(self, key: Ed25519PrivateKey) -> Path:
        """Write ``key`` beside the target (mode 0600); :meth:`install` moves it in place."""
        directory = self.path.parent
        if not directory.exists():
            directory.mkdir(parents=True, mode=0o700)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = self.path.with_name(self.path.name + ".new")
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        return tmp

    def install(self, tmp: Path) -> None:
        os.replace(tmp, self.path)


# --------------------------------------------------------------------------- checkpoints


def _format_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime(_TIME_FORMAT)


def canonical_text(seq: int, record_hash: str, signed_at: dt.datetime, key_id: str) -> str:
    """The exact text a checkpoint's signature covers."""
    return (
        f"{FORMAT_LINE}\nseq: {seq}\nrecord_hash: {record_hash}\n"
        f"signed_at: {_format_time(signed_at)}\nkey_id: {key_id}\n"
    )


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement: trail record ``seq`` had ``record_hash`` at ``signed_at``."""

    seq: int
    record_hash: str
    signed_at: dt.datetime
    key_id: str
    signature: str  # base64 of the 64-byte Ed25519 signature
    id: int | None = None
    created_by: str = ""
    workstation: str = ""
    #: Where it came from, for messages ("stored checkpoint 4", "the file x.txt").
    source: str = ""

    def signed_text(self) -> str:
        return canonical_text(self.seq, self.record_hash, self.signed_at, self.key_id)

    def label(self) -> str:
        where = self.source or (f"stored checkpoint {self.id}" if self.id else "checkpoint")
        return f"{where} (record #{self.seq}, signed {self.signed_at:%Y-%m-%d %H:%M} UTC)"

    def file_text(self, agency: str) -> str:
        """The exported file: comments for a person, then the signed fields."""
        return (
            f"# Access-trail checkpoint of {agency}: keep this file outside the database\n"
            "# (print it, e-mail it, store it elsewhere). Check the trail against it with\n"
            "#   alpr-desktop audit verify --checkpoint THIS-FILE\n"
            f"# Signed by {self.created_by or '?'} on {self.workstation or '?'}.\n"
            f"{self.signed_text()}signature: {self.signature}\n"
        )

    @classmethod
    def from_row(cls, row: AuditCheckpoint) -> Checkpoint:
        return cls(
            seq=row.seq,
            record_hash=row.record_hash,
            signed_at=row.signed_at,
            key_id=row.key_id,
            signature=row.signature,
            id=row.id,
            created_by=row.created_by,
            workstation=row.workstation,
        )


def sign_checkpoint(
    key: Ed25519PrivateKey, seq: int, record_hash: str, signed_at: dt.datetime
) -> Checkpoint:
    signed_at = signed_at.astimezone(dt.UTC).replace(microsecond=0)
    key_id = key_id_of(key.public_key())
    signature = key.sign(canonical_text(seq, record_hash, signed_at, key_id).encode("utf-8"))
    return Checkpoint(seq, record_hash, signed_at, key_id, base64.b64encode(signature).decode())


def parse_checkpoint(text: str, source: str = "the checkpoint file") -> Checkpoint:
    """A checkpoint from its exported text; :class:`ValidationError` names what is wrong."""
    lines = [
        (n, line.strip())
        for n, line in enumerate(text.splitlines(), 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines or lines[0][1] != FORMAT_LINE:
        raise ValidationError(f"{source} is not an access-trail checkpoint (no {FORMAT_LINE!r}).")
    values: dict[str, str] = {}
    for n, line in lines[1:]:
        name, sep, value = line.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or name not in _FIELDS:
            raise ValidationError(f"{source}, line {n}: unexpected {line[:40]!r}.")
        if name in values:
            raise ValidationError(f"{source}, line {n}: {name} is given twice.")
        values[name] = value
    missing = [name for name in _FIELDS if name not in values]
    if missing:
        raise ValidationError(f"{source} lacks {', '.join(missing)}.")
    if not values["seq"].isdigit() or int(values["seq"]) < 1:
        raise ValidationError(f"{source}: seq must be a record number, not {values['seq']!r}.")
    for name in ("record_hash", "key_id"):
        if not _HEX64.fullmatch(values[name]):
            raise ValidationError(f"{source}: {name} must be 64 lower-case hex digits.")
    try:
        signed_at = dt.datetime.strptime(values["signed_at"], _TIME_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:
        raise ValidationError(
            f"{source}: signed_at must look like 2026-12-02T17:30:00Z, "
            f"not {values['signed_at'][:40]!r}."
        ) from None
    try:
        signature = base64.b64decode(values["signature"], validate=True)
    except (binascii.Error, ValueError):
        signature = b""
    if len(signature) != 64:
        raise ValidationError(f"{source}: the signature is not a base64 Ed25519 signature.")
    return Checkpoint(
        int(values["seq"]),
        values["record_hash"],
        signed_at,
        values["key_id"],
        values["signature"],
        source=source,
    )


def read_checkpoint_file(path: Path) -> Checkpoint:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"Cannot read the checkpoint file {path}: {exc}") from None
    return parse_checkpoint(text, source=f"the checkpoint file {path.name}")


def signature_problem(checkpoint: Checkpoint, keys: dict[str, Ed25519PublicKey]) -> str:
    """Why ``checkpoint``'s signature is not good under the department's keys ("": good)."""
    key = keys.get(checkpoint.key_id)
    if key is None:
        return (
            f"{checkpoint.label()} is signed by an unknown key (key id "
            f"{checkpoint.key_id[:16]}…, not a checkpoint key in the department settings)"
        )
    try:
        key.verify(base64.b64decode(checkpoint.signature), checkpoint.signed_text().encode())
    except (InvalidSignature, binascii.Error, ValueError):
        return (
            f"the signature of {checkpoint.label()} does not verify: the checkpoint was "
            "forged or altered"
        )
    return ""


# --------------------------------------------------------------------------- verification

_TABLE = cast(Table, AccessRecord.__table__)


def _record_at(session: Session, seq: int) -> dict[str, object] | None:
    row = session.execute(select(_TABLE).where(_TABLE.c.seq == seq)).first()
    return dict(row._mapping) if row is not None else None


def trail_problem(session: Session, checkpoint: Checkpoint, head_seq: int) -> str:
    """Why the trail no longer extends ``checkpoint`` ("": it does)."""
    if head_seq <= checkpoint.seq:
        ends = f"record #{head_seq}" if head_seq else "no record at all"
        return (
            f"the trail ends at {ends}, but {checkpoint.label()} was recorded after that "
            "record: the newest records were removed (the trail was truncated)"
        )
    row = _record_at(session, checkpoint.seq)
    if row is None:
        return f"record #{checkpoint.seq}, named by {checkpoint.label()}, is missing"
    if row["record_hash"] != checkpoint.record_hash:
        return (
            f"record #{checkpoint.seq} no longer has the hash that {checkpoint.label()} "
            "states: the trail was rewritten (a record up to this one was changed and the "
            "hashes recomputed)"
        )
    if hash_values(row) != checkpoint.record_hash:
        return (
            f"the content of record #{checkpoint.seq} does not match its hash, which "
            f"{checkpoint.label()} states (the record was edited)"
        )
    return ""


def _unstored_signings(session: Session, stored: Iterable[Checkpoint]) -> str:
    """A checkpoint whose signing the trail records but that is gone from the table."""
    have = {str(cp.seq) for cp in stored}
    stmt = select(AccessRecord.seq, AccessRecord.target_id).where(
        AccessRecord.action == SIGNED_ACTION, AccessRecord.outcome == "ok"
    )
    for record_seq, target in session.execute(stmt):
        if target not in have:
            return (
                f"record #{record_seq} says a checkpoint of record #{target} was signed, "
                "but no such checkpoint is stored: checkpoints were deleted"
            )
    return ""


def verify_trail(
    sessions: sessionmaker[Session],
    *,
    full: bool = False,
    given: Iterable[Checkpoint] = (),
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> ChainReport:
    """Check every checkpoint against the trail, then walk the chain (see the module doc).

    ``given``: checkpoints from files; the report is broken unless the trail extends
    each. ``full``: walk from the first record even where a checkpoint holds.
    """
    with sessions() as session:
        settings = load_department_settings(session)
        keys = department_keys(settings)
        current = current_key_id(settings)
        stored = [
            Checkpoint.from_row(row)
            for row in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq))
        ]
        head_seq = int(session.scalar(select(func.max(AccessRecord.seq))) or 0)
        problems: list[tuple[int, str]] = []
        anchor: Checkpoint | None = None
        checkpoints = [*stored, *given]
        for checkpoint in checkpoints:
            problem = signature_problem(checkpoint, keys) or trail_problem(
                session, checkpoint, head_seq
            )
            if problem:
                problems.append((checkpoint.seq, problem))
            elif checkpoint.key_id == current and (anchor is None or checkpoint.seq > anchor.seq):
                anchor = checkpoint
        unstored = _unstored_signings(session, stored)
        session.rollback()  # end the read (SQLite: every transaction holds the write lock)
    after = None if full or anchor is None else (anchor.seq, anchor.record_hash)
    with sessions() as session:
        report = verify_chain(session, progress=progress, cancel=cancel, after=after, release=True)
        if after is not None and not report.cancelled:
            # The checkpoint's own link: its record still links to the one before it.
            report = _check_anchor_link(session, report, after[0])
        session.rollback()
    report = replace(report, checkpoints_checked=len(checkpoints))
    if unstored and report.first_broken_seq is None and not report.cancelled:
        problems.append((head_seq, unstored))
    if not problems or report.cancelled:
        return report
    seq, problem = min(problems)
    if report.first_broken_seq is not None and report.first_broken_seq <= seq:
        return report
    return replace(
        report, first_broken_seq=seq, first_broken_id=None, problem=problem, by_checkpoint=True
    )


def _check_anchor_link(session: Session, report: ChainReport, seq: int) -> ChainReport:
    if seq <= 1 or report.first_broken_seq is not None:
        return report
    rows = session.execute(
        select(_TABLE.c.seq, _TABLE.c.record_hash, _TABLE.c.prev_hash, _TABLE.c.id)
        .where(_TABLE.c.seq.in_((seq - 1, seq)))
        .order_by(_TABLE.c.seq)
    ).all()
    if len(rows) == 2 and rows[1].prev_hash == rows[0].record_hash:
        return report
    row_id = rows[-1].id if rows else None
    return replace(
        report,
        first_broken_seq=seq,
        first_broken_id=row_id,
        problem="its link to the previous record does not match (deleted or reordered)",
    )


# --------------------------------------------------------------------------- the service


@dataclass(frozen=True)
class CheckpointStatus:
    """What the GUI shows: is a key configured and here, and the last checkpoint."""

    key_configured: bool
    key_id: str
    key_here: bool
    key_path: Path
    #: Why this workstation cannot sign ("" when it can).
    cannot_sign: str
    last: Checkpoint | None
    count: int


@dataclass(frozen=True)
class SignResult:
    checkpoint: Checkpoint
    report: ChainReport


class CheckpointService(BaseService):
    """Key pair, signing, export and verification of access-trail checkpoints."""

    def __init__(self, ctx: ServiceContext, audit: AuditService, *, key_path: Path) -> None:
        super().__init__(ctx)
        self.audit = audit
        self.keys = KeyStore(key_path)

    # -- keys ------------------------------------------------------------------------

    def create_key(self, actor: Actor, *, replace_existing: bool = False) -> CheckpointStatus:
        """Create the signing key pair: the private key here, the public key in settings.

        A key the department had is kept as a retired key, so the checkpoints it signed
        still verify. Refused where a key file exists unless ``replace_existing``.
        """
        if self.keys.path.exists() and not replace_existing:
            raise ValidationError(
                f"A checkpoint signing key already exists at {self.keys.path}; nothing was "
                "changed (replace it with --replace)."
            )
        key = Ed25519PrivateKey.generate()
        public = encode_public_key(key.public_key())
        tmp = self.keys.write_new(key)
        try:
            with self._work(
                actor, Action.MANAGE_AUDIT_KEYS, changes=Changes.of(Topic.SETTINGS)
            ) as (session, _user):
                settings = load_department_settings(session)
                retired = list(settings.audit_checkpoint_retired_keys)
                old = settings.audit_checkpoint_public_key
                if old and old not in retired:
                    retired.append(old)
                updated = settings.updated(
                    audit_checkpoint_public_key=public, audit_checkpoint_retired_keys=retired
                )
                rows = updated.to_rows()
                for name in ("audit_checkpoint_public_key", "audit_checkpoint_retired_keys"):
                    row = session.get(SettingRow, name)
                    if row is None:
                        session.add(SettingRow(key=name, value=rows[name]))
                    else:
                        row.value = rows[name]
                self.audit.record_admin(
                    session,
                    actor,
                    "audit_key_created",
                    detail=(
                        f"checkpoint signing key {key_id_of(key.public_key())} created on "
                        f"{self.ctx.workstation}"
                        + (f" (replaces {current_key_id(settings)})" if old else "")
                    ),
                    target_type="setting",
                    target_id="audit_checkpoint_public_key",
                )
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self.keys.install(tmp)
        return self._status_now()

    def status(self, actor: Actor) -> CheckpointStatus:
        """The key's state and the last checkpoint (recorded: it is about the trail)."""
        with self._work(actor, Action.VERIFY_AUDIT) as (session, _user):
            self.audit.record_admin(session, actor, "audit_checkpoint_status")
            return self._status(session)

    def _status_now(self) -> CheckpointStatus:
        with self.ctx.db.sessions() as session:
            return self._status(session)

    def _status(self, session: Session) -> CheckpointStatus:
        settings = load_department_settings(session)
        key_id = current_key_id(settings)
        last_row = session.scalars(
            select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)
        ).first()
        count = int(session.scalar(select(func.count(AuditCheckpoint.id))) or 0)
        return CheckpointStatus(
            key_configured=bool(key_id),
            key_id=key_id,
            key_here=self.keys.exists(),
            key_path=self.keys.path,
            cannot_sign=self._cannot_sign(key_id),
            last=Checkpoint.from_row(last_row) if last_row is not None else None,
            count=count,
        )

    def _cannot_sign(self, key_id: str) -> str:
        if not key_id:
            return (
                "No checkpoint key is configured: an administrator or commander creates "
                "one with `alpr-desktop audit keygen --user NAME`."
            )
        if not self.keys.exists():
            return f"This workstation holds no checkpoint signing key ({self.keys.path})."
        try:
            here = key_id_of(self.keys.load().public_key())
        except ConfigurationError as exc:
            return str(exc)
        if here != key_id:
            return (
                f"The signing key in {self.keys.path} (key id {here[:16]}…) is not the "
                f"department's checkpoint key ({key_id[:16]}…)."
            )
        return ""

    # -- verification and signing ----------------------------------------------------

    def verify(
        self,
        actor: Actor,
        *,
        full: bool = False,
        checkpoints: Iterable[Checkpoint] = (),
        progress: Progress | None = None,
        cancel: Cancel | None = None,
        sign_when_due: bool = True,
    ) -> ChainReport:
        """Verify the trail (recorded); sign a checkpoint afterwards when one is due."""
        report = self.audit.verify(
            actor, full=full, checkpoints=checkpoints, progress=progress, cancel=cancel
        )
        if report.ok and sign_when_due:
            self._sign_if_due(actor, report)
        return report

    def sign_now(
        self, actor: Actor, *, progress: Progress | None = None, cancel: Cancel | None = None
    ) -> SignResult:
        """Verify the trail, then sign a checkpoint of the head that verification reached.

        Refused (nothing signed) when the trail is broken: a checkpoint vouches for it.
        """
        self._authorised_signer(actor)
        report = self.audit.verify(actor, progress=progress, cancel=cancel)
        if report.cancelled:
            raise ValidationError("Verification was cancelled; no checkpoint was signed.")
        if not report.ok:
            raise ValidationError(
                f"No checkpoint was signed: the trail is broken. {report.summary()}"
            )
        return SignResult(self._sign(actor, report), report)

    def sign_if_due(self, actor: Actor) -> Checkpoint | None:
        """Sign a checkpoint when one is due (settings) and this workstation can sign.

        For the GUI's timer or a scheduler: returns None, doing nothing, when none is due
        or no key is here. Verifies the records since the last checkpoint first.
        """
        if self._due(actor) is None:
            return None
        report = self.audit.verify(actor)
        return self._sign_if_due(actor, report) if report.ok else None

    def _authorised_signer(self, actor: Actor) -> None:
        with self._work(actor, Action.VERIFY_AUDIT) as (session, _user):
            problem = self._cannot_sign(current_key_id(load_department_settings(session)))
        if problem:
            raise ValidationError(f"{problem} No checkpoint was signed.")

    def _due(self, actor: Actor) -> str | None:
        """Why a checkpoint is due now (None: not due, or this workstation cannot sign)."""
        with self._work(actor, Action.VERIFY_AUDIT) as (session, _user):
            settings = load_department_settings(session)
            if self._cannot_sign(current_key_id(settings)):
                return None
            last = session.scalars(
                select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)
            ).first()
            if last is None:
                return "no checkpoint yet"
            head = int(session.scalar(select(func.max(AccessRecord.seq))) or 0)
            every = settings.audit_checkpoint_every_records
            if every and head - last.seq >= every:
                return f"{head - last.seq} records since the last checkpoint"
            hours = settings.audit_checkpoint_every_hours
            if hours and self.ctx.now() - last.signed_at >= dt.timedelta(hours=hours):
                return f"more than {hours} hours since the last checkpoint"
            return None

    def _sign_if_due(self, actor: Actor, report: ChainReport) -> Checkpoint | None:
        if self._due(actor) is None:
            return None
        return self._sign(actor, report)

    def _sign(self, actor: Actor, report: ChainReport) -> Checkpoint:
        """Sign (head_seq, head_hash) of a good ``report`` and record it right after."""
        if report.head_seq < 1:
            raise ValidationError("The trail is empty; there is nothing to sign.")
        with self._work(actor, Action.VERIFY_AUDIT, changes=Changes.of(Topic.AUDIT)) as (
            session,
            _user,
        ):
            settings = load_department_settings(session)
            problem = self._cannot_sign(current_key_id(settings))
            if problem:
                raise ValidationError(f"{problem} No checkpoint was signed.")
            key = self.keys.load()
            now = self.ctx.now()
            signed = sign_checkpoint(key, report.head_seq, report.head_hash, now)
            row = AuditCheckpoint(
                seq=signed.seq,
                record_hash=signed.record_hash,
                signed_at=signed.signed_at,
                key_id=signed.key_id,
                signature=signed.signature,
                created_by=actor.username,
                workstation=self.ctx.workstation,
            )
            session.add(row)
            session.flush()
            self.audit.record_admin(
                session,
                actor,
                SIGNED_ACTION,
                detail=f"signed checkpoint of record #{signed.seq} ({signed.record_hash})",
                target_type="audit_checkpoint",
                target_id=str(signed.seq),
                query={"key_id": signed.key_id, "signature": signed.signature},
            )
            return Checkpoint.from_row(row)

    # -- export and listing ----------------------------------------------------------

    def list_checkpoints(self, actor: Actor, *, limit: int = 100) -> list[Checkpoint]:
        """The newest checkpoints first (recorded)."""
        with self._work(actor, Action.VERIFY_AUDIT) as (session, _user):
            self.audit.record_admin(session, actor, "audit_checkpoints_listed")
            rows = session.scalars(
                select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(limit)
            )
            return [Checkpoint.from_row(row) for row in rows]

    def export(self, actor: Actor, path: Path, *, checkpoint_id: int | None = None) -> Checkpoint:
        """Write a checkpoint (the newest by default) as its text file, atomically."""
        checkpoint, _text = self._export(
            actor, checkpoint_id, path.name, lambda text: write_text_atomically(path, text)
        )
        return checkpoint

    def export_text(self, actor: Actor, *, checkpoint_id: int | None = None) -> str:
        """A checkpoint's file text, for printing (recorded as an export too)."""
        return self._export(actor, checkpoint_id, "standard output", lambda _text: None)[1]

    def _export(
        self,
        actor: Actor,
        checkpoint_id: int | None,
        where: str,
        write: Callable[[str], None],
    ) -> tuple[Checkpoint, str]:
        with self._work(actor, Action.VERIFY_AUDIT, changes=Changes.of(Topic.AUDIT)) as (
            session,
            _user,
        ):
            stmt = select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)
            if checkpoint_id is not None:
                stmt = select(AuditCheckpoint).where(AuditCheckpoint.id == checkpoint_id)
            row = session.scalars(stmt).first()
            if row is None:
                raise ValidationError(
                    "There is no such checkpoint to export."
                    if checkpoint_id is not None
                    else "No checkpoint has been signed yet; sign one first."
                )
            checkpoint = Checkpoint.from_row(row)
            text = checkpoint.file_text(load_department_settings(session).agency_name)
            self.audit.record_admin(
                session,
                actor,
                "audit_checkpoint_exported",
                detail=f"checkpoint of record #{checkpoint.seq} exported to {where}",
                target_type="audit_checkpoint",
                target_id=str(checkpoint.seq),
            )
            write(text)  # a failed write rolls the record back
            return checkpoint, text


def write_text_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ValidationError(f"Cannot write {path}: {exc.strerror or exc}") from None
