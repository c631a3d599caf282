"""Signed checkpoints of the access trail: truncation and consistent rewrites are caught.

On both backends the tests tamper with the trail as someone holding the database would:
on SQLite by dropping the append-only triggers, on PostgreSQL by disabling them (the test
role owns the table; the deployed role cannot, see docs/storage.md).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import stat
from pathlib import Path
from typing import cast

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Table, delete, func, select, text, update

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Role
from alpr_desktop.errors import PermissionDenied, ValidationError
from alpr_desktop.services.audit import hash_values, verify_chain
from alpr_desktop.services.audit_checkpoints import (
    Checkpoint,
    parse_checkpoint,
    read_checkpoint_file,
    sign_checkpoint,
)
from alpr_desktop.services.base import Actor
from alpr_desktop.storage.models import AccessRecord, AuditCheckpoint, SettingRow
from tests.conftest import ADMIN_PASSWORD, create_active_user
from tests.integration.test_audit_chain import _fill


def _head(app: Application) -> int:
    with app.database.sessions() as session:
        return int(session.scalar(select(func.max(AccessRecord.seq))) or 0)


def _unguard(app: Application) -> None:
    """Take the append-only triggers off, as whoever holds the database can."""
    with app.database.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE access_records DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS access_records_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS access_records_no_delete"))


def _tamper(app: Application, *statements: str) -> None:
    _unguard(app)
    with app.database.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def _rewrite_from(app: Application, seq: int, **changes: str) -> None:
    """Edit record ``seq`` and recompute every hash from there: a chain that links."""
    _unguard(app)
    table = cast(Table, AccessRecord.__table__)
    with app.database.engine.begin() as conn:
        result = conn.execute(select(table).where(table.c.seq >= seq - 1).order_by(table.c.seq))
        rows = [dict(r._mapping) for r in result]
        prev = rows[0]["record_hash"]
        for row in rows[1:]:
            if row["seq"] == seq:
                row.update(changes)
            row["prev_hash"] = prev
            row["record_hash"] = prev = hash_values(row)
            conn.execute(
                update(table)
                .where(table.c.id == row["id"])
                .values({k: v for k, v in row.items() if k != "id"})
            )


@pytest.fixture
def keyed(app: Application, admin: Actor) -> Actor:
    """The administrator, with the department's checkpoint key created on this workstation."""
    app.services.checkpoints.create_key(admin)
    return admin


def _sign(app: Application, actor: Actor) -> Checkpoint:
    return app.services.checkpoints.sign_now(actor).checkpoint


# --------------------------------------------------------------------------- keys


def test_keygen_keeps_the_private_key_out_of_the_database(
    app: Application, admin: Actor, tmp_path: Path
) -> None:
    status = app.services.checkpoints.create_key(admin)
    path = tmp_path / "data" / "audit-signing-key.pem"
    assert status.key_path == path and status.key_here and not status.cannot_sign
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    pem = path.read_text()
    assert "PRIVATE KEY" in pem
    settings = app.services.settings.current()
    assert settings.audit_checkpoint_public_key and status.key_configured
    with app.database.sessions() as session:
        values = " ".join(session.scalars(select(SettingRow.value)))
        actions = list(session.scalars(select(AccessRecord.action)))
    body = "".join(pem.splitlines()[1:-1])
    assert body[:40] not in values, "the private key is not in the database"
    assert "audit_key_created" in actions
    with pytest.raises(ValidationError, match="already exists"):
        app.services.checkpoints.create_key(admin)
    assert app.services.settings.current() == settings  # nothing changed


def test_a_replaced_key_is_retired_and_its_checkpoints_still_verify(
    app: Application, keyed: Actor
) -> None:
    old = app.services.settings.current().audit_checkpoint_public_key
    first = _sign(app, keyed)
    app.services.checkpoints.create_key(keyed, replace_existing=True)
    settings = app.services.settings.current()
    assert settings.audit_checkpoint_public_key != old
    assert settings.audit_checkpoint_retired_keys == [old]
    second = _sign(app, keyed)
    assert second.key_id != first.key_id
    report = app.services.checkpoints.verify(keyed, sign_when_due=False)
    assert report.ok and report.checkpoints_checked == 2
    assert report.resumed_from == second.seq  # only the current key's checkpoint resumes


def test_key_pair_and_signing_need_their_roles(app: Application, admin: Actor) -> None:
    dispatcher = create_active_user(app, admin, "disp", [Role.DISPATCHER])
    with pytest.raises(PermissionDenied):
        app.services.checkpoints.create_key(dispatcher)
    supervisor = create_active_user(app, admin, "sup", [Role.SUPERVISOR])
    with pytest.raises(PermissionDenied):
        app.services.checkpoints.create_key(supervisor)  # administrator or commander
    commander = create_active_user(app, admin, "cmd", [Role.COMMANDER])
    app.services.checkpoints.create_key(commander)
    with pytest.raises(PermissionDenied):
        app.services.checkpoints.sign_now(dispatcher)
    assert _sign(app, supervisor).created_by == "sup"


def test_signing_without_a_key_is_refused(app: Application, admin: Actor) -> None:
    with pytest.raises(ValidationError, match="No checkpoint key is configured"):
        app.services.checkpoints.sign_now(admin)
    assert app.services.checkpoints.sign_if_due(admin) is None
    with app.database.sessions() as session:
        assert session.scalar(select(func.count(AuditCheckpoint.id))) == 0


# --------------------------------------------------------------------------- incremental


def test_incremental_verification_reads_only_the_new_records(
    app: Application, keyed: Actor
) -> None:
    checkpoint = _sign(app, keyed)
    assert checkpoint.seq < _head(app), "its verification and signing are recorded after it"
    _fill(app, 40)
    head = _head(app)
    seen: list[tuple[int, int]] = []
    report = app.services.audit.verify(keyed, progress=lambda d, t: seen.append((d, t)))
    assert report.ok and report.resumed_from == checkpoint.seq
    assert report.checked == head - checkpoint.seq  # 40 fills, the signing and the rest
    assert report.head_seq == head and seen[-1] == (report.checked, report.checked)
    full = app.services.audit.verify(keyed, full=True)
    assert full.ok and full.resumed_from is None and full.checked == head + 1
    assert "after signed checkpoint" in report.summary()


@pytest.mark.parametrize(
    ("tamper", "word"),
    [
        ("UPDATE access_records SET purpose = 'Curiosity' WHERE seq = {s}", "edited"),
        ("DELETE FROM access_records WHERE seq = {s}", "deleted"),
        ("UPDATE access_records SET seq = -seq WHERE seq IN ({s}, {s} + 1)", "reordered"),
    ],
    ids=["edited", "deleted", "reordered"],
)
def test_incremental_verification_catches_a_change_after_the_checkpoint(
    app: Application, keyed: Actor, tamper: str, word: str
) -> None:
    checkpoint = _sign(app, keyed)
    _fill(app, 20)
    target = checkpoint.seq + 5
    statements = [tamper.format(s=target)]
    if "seq = -seq" in tamper:  # swap the two records
        statements.append(
            f"UPDATE access_records SET seq = CASE seq WHEN -{target} THEN {target + 1} "
            f"ELSE {target} END WHERE seq < 0"
        )
    _tamper(app, *statements)
    report = app.services.audit.verify(keyed)
    assert not report.ok and report.resumed_from == checkpoint.seq
    assert report.first_broken_seq in (target, target + 1)
    assert report.checked == target - checkpoint.seq - 1
    assert word in report.problem


# --------------------------------------------------------------------------- through checkpoints


def test_truncated_newest_records_are_caught_through_the_checkpoint(
    app: Application, keyed: Actor
) -> None:
    _fill(app, 10)
    checkpoint = _sign(app, keyed)
    _fill(app, 10)
    _tamper(app, f"DELETE FROM access_records WHERE seq > {checkpoint.seq}")
    with app.database.sessions() as session:
        assert verify_chain(session).ok, "the chain alone cannot tell"
    report = app.services.audit.verify(keyed)
    assert not report.ok and report.by_checkpoint
    assert report.first_broken_seq == checkpoint.seq
    assert "truncated" in report.problem
    # Cut deeper than the checkpoint's record: the trail ends before it.
    _tamper(app, f"DELETE FROM access_records WHERE seq > {checkpoint.seq - 3}")
    report = app.services.audit.verify(keyed, full=True)
    assert not report.ok and "truncated" in report.summary()


def test_a_consistent_rewrite_is_caught_through_the_checkpoint(
    app: Application, keyed: Actor
) -> None:
    _fill(app, 10)
    checkpoint = _sign(app, keyed)
    _fill(app, 5)
    _rewrite_from(app, 4, purpose="Curiosity")
    with app.database.sessions() as session:
        assert verify_chain(session).ok, "the rewritten chain links"
    report = app.services.audit.verify(keyed)
    assert not report.ok and report.first_broken_seq == checkpoint.seq
    assert "rewritten" in report.problem
    assert report.resumed_from is None, "a checkpoint that no longer holds is not trusted"
    assert "BROKEN at record" in report.summary()


def test_deleted_checkpoints_are_noticed(app: Application, keyed: Actor) -> None:
    _sign(app, keyed)
    _fill(app, 3)
    with app.database.engine.begin() as conn:
        conn.execute(delete(AuditCheckpoint))
    report = app.services.audit.verify(keyed)
    assert not report.ok and "checkpoints were deleted" in report.problem


def test_the_exported_file_catches_what_the_database_no_longer_shows(
    app: Application, keyed: Actor, tmp_path: Path
) -> None:
    _fill(app, 10)
    checkpoint = _sign(app, keyed)
    path = tmp_path / "checkpoint.txt"
    app.services.checkpoints.export(keyed, path)
    assert read_checkpoint_file(path) == dataclasses.replace(
        checkpoint,
        id=None,
        created_by="",
        workstation="",
        source=f"the checkpoint file {path.name}",
    )
    assert "alpr-desktop audit verify --checkpoint" in path.read_text()
    given = [read_checkpoint_file(path)]
    assert app.services.audit.verify(keyed, checkpoints=given).ok
    # Cut the trail back to before the checkpoint and remove every trace of it.
    _tamper(app, f"DELETE FROM access_records WHERE seq >= {checkpoint.seq - 2}")
    with app.database.engine.begin() as conn:
        conn.execute(delete(AuditCheckpoint))
    assert app.services.audit.verify(keyed, full=True).ok, "the database alone looks fine"
    report = app.services.audit.verify(keyed, checkpoints=given)
    assert not report.ok and "checkpoint file" in report.problem and "truncated" in report.problem


# --------------------------------------------------------------------------- signatures


def test_a_forged_or_foreign_checkpoint_is_rejected(
    app: Application, keyed: Actor, tmp_path: Path
) -> None:
    _fill(app, 6)
    good = _sign(app, keyed)
    with app.database.sessions() as session:
        other_hash = session.scalar(select(AccessRecord.record_hash).where(AccessRecord.seq == 3))
    assert other_hash is not None
    # The same signature over another record: it does not verify.
    forged = dataclasses.replace(good, seq=3, record_hash=other_hash, id=None, source="forged")
    report = app.services.audit.verify(keyed, checkpoints=[forged])
    assert not report.ok and "does not verify" in report.problem
    # A good signature by a key the department does not know.
    stranger = sign_checkpoint(Ed25519PrivateKey.generate(), 3, other_hash, dt.datetime.now(dt.UTC))
    report = app.services.audit.verify(keyed, checkpoints=[stranger])
    assert not report.ok and "signed by an unknown key" in report.problem
    # Planted in the table, it breaks verification too.
    with app.database.sessions.begin() as session:
        session.add(
            AuditCheckpoint(
                seq=stranger.seq,
                record_hash=stranger.record_hash,
                signed_at=stranger.signed_at,
                key_id=stranger.key_id,
                signature=stranger.signature,
                created_by="mallory",
                workstation="",
            )
        )
    report = app.services.audit.verify(keyed)
    assert not report.ok and "unknown key" in report.problem


def test_a_malformed_checkpoint_file_is_bad_input(tmp_path: Path) -> None:
    good = sign_checkpoint(Ed25519PrivateKey.generate(), 7, "a" * 64, dt.datetime.now(dt.UTC))
    text_ = good.file_text("Test PD")
    assert parse_checkpoint(text_).seq == 7
    for broken, message in (
        ("hello", "not an access-trail checkpoint"),
        (text_.replace("seq: 7", "seq: seven"), "seq must be"),
        (text_.replace("a" * 64, "A" * 64), "64 lower-case hex"),
        (text_.replace(good.signature, "abc"), "not a base64 Ed25519 signature"),
        ("\n".join(line for line in text_.splitlines() if "key_id" not in line), "lacks key_id"),
        (text_ + "seq: 8\n", "given twice"),
    ):
        with pytest.raises(ValidationError, match=message):
            parse_checkpoint(broken)
    with pytest.raises(ValidationError, match="Cannot read"):
        read_checkpoint_file(tmp_path / "missing.txt")


def test_a_key_file_readable_by_others_is_refused(app: Application, keyed: Actor) -> None:
    path = app.services.checkpoints.keys.path
    os.chmod(path, 0o644)
    with pytest.raises(ValidationError, match="chmod 600"):
        app.services.checkpoints.sign_now(keyed)


# --------------------------------------------------------------------------- periodic


def test_a_checkpoint_is_signed_when_due(app: Application, keyed: Actor) -> None:
    checkpoints = app.services.checkpoints
    first = checkpoints.verify(keyed)  # no checkpoint yet: one is due
    assert first.ok
    listed = checkpoints.list_checkpoints(keyed)
    assert len(listed) == 1 and listed[0].seq == first.head_seq
    assert checkpoints.sign_if_due(keyed) is None  # just signed
    app.services.settings.update(keyed, audit_checkpoint_every_records=25)
    _fill(app, 30)
    signed = checkpoints.sign_if_due(keyed)
    assert signed is not None and signed.seq > listed[0].seq
    assert len(checkpoints.list_checkpoints(keyed)) == 2
    # By time: a day after the last one.
    later = app.services.ctx.now() + dt.timedelta(hours=25)
    app.services.ctx.clock = lambda: later
    again = app.services.auth.login(keyed.username, ADMIN_PASSWORD).actor  # a day later
    assert checkpoints.sign_if_due(again) is not None


# --------------------------------------------------------------------------- command line


def test_cli_keygen_checkpoint_and_verify_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from alpr_desktop.app import open_application
    from alpr_desktop.cli import main
    from alpr_desktop.settings import LocalConfig

    password = "a-long-enough-password"
    app = open_application(LocalConfig(data_dir=tmp_path), create=True)
    app.services.auth.create_first_administrator(username="chief", full_name="C", password=password)
    app.close()
    monkeypatch.setenv("ALPR_PASSWORD", password)
    audit = ["--data-dir", str(tmp_path), "audit"]
    out = tmp_path / "checkpoint.txt"

    assert main([*audit, "verify", "--checkpoint", str(out)]) == 2  # no such file
    assert "Cannot read the checkpoint file" in capsys.readouterr().err
    assert main([*audit, "checkpoint", "--user", "chief", "--out", str(out)]) == 2
    assert "No checkpoint key is configured" in capsys.readouterr().err
    assert main([*audit, "keygen", "--user", "chief"]) == 0
    assert str(tmp_path / "audit-signing-key.pem") in capsys.readouterr().out
    assert main([*audit, "keygen", "--user", "chief"]) == 2  # refuses to overwrite
    assert main([*audit, "checkpoint", "--user", "chief", "--out", str(out)]) == 0
    assert f"written to {out}" in capsys.readouterr().out
    assert main([*audit, "verify", "--checkpoint", str(out)]) == 0
    assert "intact" in capsys.readouterr().out
    assert main([*audit, "verify", "--full", "--user", "chief", "--checkpoint", str(out)]) == 0
    capsys.readouterr()
    assert main([*audit, "checkpoint", "--user", "chief"]) == 0  # the file on stdout
    printed = capsys.readouterr().out
    assert parse_checkpoint(printed).seq > read_checkpoint_file(out).seq

    stranger = tmp_path / "stranger.txt"
    checkpoint = read_checkpoint_file(out)
    forged = sign_checkpoint(
        Ed25519PrivateKey.generate(), checkpoint.seq, checkpoint.record_hash, checkpoint.signed_at
    )
    stranger.write_text(forged.file_text("Elsewhere PD"))
    assert main([*audit, "verify", "--checkpoint", str(stranger)]) == 1
    assert "signed by an unknown key" in capsys.readouterr().out
    bad = tmp_path / "bad.txt"
    bad.write_text(out.read_text().replace("seq:", "sequence:"))
    assert main([*audit, "verify", "--checkpoint", str(bad)]) == 2

    # Cut the trail back before the checkpoint and remove the checkpoints from the table.
    app = open_application(LocalConfig(data_dir=tmp_path))
    try:
        _tamper(app, f"DELETE FROM access_records WHERE seq >= {checkpoint.seq - 1}")
        with app.database.engine.begin() as conn:
            conn.execute(delete(AuditCheckpoint))
    finally:
        app.close()
    capsys.readouterr()
    assert main([*audit, "verify", "--full"]) == 0, "the database alone looks intact"
    assert main([*audit, "verify", "--checkpoint", str(out)]) == 1
    assert "truncated" in capsys.readouterr().out
