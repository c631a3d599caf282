"""A purge killed midway leaves nothing half-deleted; two purgers on PostgreSQL; the CLI.

The purging process is real (``tests/integration/purge_child.py``): it is SIGKILLed
inside a batch's transaction, after that batch's deletes ran and before its commit.
The rerun must end with the database consistent — no read without its images, no image
without a read, no orphaned alternative, alert or hold link, and the search index and
the plate dictionary in step with the reads.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from alpr_desktop.app import Application
from alpr_desktop.cli import main
from alpr_desktop.services.base import Actor
from alpr_desktop.services.retention import BUSY_MESSAGE, PurgeBusyError
from alpr_desktop.storage.models import AccessRecord, PlateRead, PurgeLog, StoredImage
from tests.conftest import ADMIN_PASSWORD, REPO_ROOT
from tests.integration.retention_helpers import aged_read, inconsistencies, many_expired

BATCH = 25
EXPIRED = 200


def _seed(app: Application) -> None:
    app.services.ingest.store(many_expired(0, EXPIRED))
    app.services.ingest.store([aged_read(900, "7NEW900", days_old=5)])


def _url(app: Application) -> str:
    return app.database.engine.url.render_as_string(hide_password=False)


def _child(app: Application, data_dir: Path, stop_at: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.purge_child",
            _url(app),
            str(data_dir),
            str(BATCH),
            str(stop_at),
        ],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _lines_until(child: subprocess.Popen[str], prefix: str) -> list[str]:
    assert child.stdout is not None
    seen: list[str] = []
    while True:
        line = child.stdout.readline().strip()
        assert line, f"child ended (return code {child.wait()}) after {seen}"
        seen.append(line)
        if line.startswith(prefix):
            return seen


def _kill(child: subprocess.Popen[str]) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    _close(child)
    assert child.returncode == -signal.SIGKILL


def _close(child: subprocess.Popen[str]) -> None:
    for pipe in (child.stdin, child.stdout):
        if pipe is not None:
            pipe.close()


def _count(app: Application, model: type) -> int:
    with app.database.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_purge_killed_inside_a_batch_is_completed_by_the_next(
    app: Application, admin: Actor, tmp_path: Path
) -> None:
    _seed(app)
    images = _count(app, StoredImage)
    child = _child(app, tmp_path / "child", stop_at=3)
    try:
        seen = _lines_until(child, "IN BATCH 3")
        assert seen == ["BATCH 1", "BATCH 2", "IN BATCH 3"]
    finally:
        _kill(child)
    # Two batches committed, the third rolled back whole.
    assert _count(app, PlateRead) == EXPIRED + 1 - 2 * BATCH
    assert _count(app, StoredImage) == images - 2 * 2 * BATCH
    assert inconsistencies(app) == []
    with app.database.sessions() as session:
        killed = session.scalars(select(PurgeLog)).one()
        assert (killed.reads_purged, killed.images_purged) == (2 * BATCH, 4 * BATCH)

    report = app.services.retention.purge(admin, batch=BATCH)

    assert report.reads == EXPIRED - 2 * BATCH and not report.stopped
    assert _count(app, PlateRead) == 1
    assert _count(app, StoredImage) == images - 2 * EXPIRED
    assert inconsistencies(app) == []
    with app.database.sessions() as session:
        logs = session.scalars(select(PurgeLog).order_by(PurgeLog.id)).all()
        assert sum(entry.reads_purged for entry in logs) == EXPIRED
        details = list(
            session.scalars(
                select(AccessRecord.detail)
                .where(AccessRecord.action == "purge")
                .order_by(AccessRecord.seq)
            )
        )
    # The killed run started and never finished; the rerun did both.
    assert [d.split(":")[0] for d in details] == ["Started", "Started", "Finished"]


@pytest.mark.postgres
def test_two_purgers_on_postgres_one_purges_the_other_is_told(
    postgres_url: str, tmp_path: Path
) -> None:
    from tests.conftest import create_admin, make_app

    app = make_app(postgres_url, tmp_path)
    try:
        admin = create_admin(app)
        _seed(app)
        child = _child(app, tmp_path / "child", stop_at=1)
        try:
            _lines_until(child, "IN BATCH 1")  # holds the purge lock, mid-batch
            with pytest.raises(PurgeBusyError, match="Another workstation is purging"):
                app.services.retention.purge(admin)
            assert _count(app, PlateRead) == EXPIRED + 1
            assert child.stdin is not None
            child.stdin.write("\n")  # let it finish
            child.stdin.flush()
            assert _lines_until(child, "DONE")[-1] == f"DONE {EXPIRED}"
            assert child.wait(timeout=60) == 0
        finally:
            if child.poll() is None:
                _kill(child)
            _close(child)
        assert _count(app, PlateRead) == 1
        with app.database.sessions() as session:
            refused = session.scalars(
                select(AccessRecord).where(
                    AccessRecord.action == "purge", AccessRecord.outcome == "refused"
                )
            ).one()
        assert refused.detail == BUSY_MESSAGE and refused.workstation == "test-ws"
        # The lock is free again once the other has finished.
        assert app.services.retention.purge(admin).reads == 0
        assert inconsistencies(app) == []
    finally:
        app.close()


def test_purge_command(
    app: Application,
    admin: Actor,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _seed(app)
    monkeypatch.setenv("ALPR_PASSWORD", ADMIN_PASSWORD)
    base = ["purge", "--database-url", _url(app), "--user", "admin"]
    assert main([*base, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"would purge {EXPIRED} read(s)" in out and f"and {2 * EXPIRED} image(s)" in out
    assert _count(app, PlateRead) == EXPIRED + 1
    assert main([*base, "--batch", "64", "--quiet"]) == 0
    assert f"purged {EXPIRED} read(s)" in capsys.readouterr().out
    assert _count(app, PlateRead) == 1
    monkeypatch.setenv("ALPR_PASSWORD", "wrong-password-entirely")
    assert main(base) == 2
