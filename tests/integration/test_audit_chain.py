"""The access trail is hash-chained and append-only."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Action, Role
from alpr_desktop.errors import ValidationError
from alpr_desktop.services.audit import GENESIS_HASH, append_record, verify_chain
from alpr_desktop.services.base import Actor
from alpr_desktop.storage.models import AccessRecord
from tests.conftest import create_active_user


def _fill(app: Application, n: int) -> None:
    with app.database.sessions.begin() as session:
        for i in range(n):
            append_record(
                session,
                now=dt.datetime.now(dt.UTC),
                username=f"user{i % 3}",
                category="data",
                action="search_reads",
                purpose="Criminal investigation",
                case_number=f"2026-{i:05d}",
                query={"pattern": f"7AB*{i}", "cameras": [1, 2]},
            )


def _verify(app: Application):
    with app.database.sessions() as session:
        return verify_chain(session)


def _drop_sqlite_guards(app: Application) -> None:
    # Someone holding the SQLite file can drop the triggers; the chain still tells.
    with app.database.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER access_records_no_update"))
        conn.execute(text("DROP TRIGGER access_records_no_delete"))


def test_chain_links_and_verifies(app: Application) -> None:
    _fill(app, 10)
    with app.database.sessions() as session:
        records = session.scalars(select(AccessRecord).order_by(AccessRecord.seq)).all()
    assert [r.seq for r in records] == list(range(1, 11))
    assert records[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.record_hash for a, b in itertools.pairwise(records))
    report = _verify(app)
    assert report.ok and report.checked == 10


def test_detects_edited_record(sqlite_app: Application) -> None:
    _fill(sqlite_app, 10)
    _drop_sqlite_guards(sqlite_app)
    with sqlite_app.database.engine.begin() as conn:
        conn.execute(text("UPDATE access_records SET purpose = 'Curiosity' WHERE seq = 6"))
    report = _verify(sqlite_app)
    assert not report.ok and report.first_broken_seq == 6 and report.checked == 5
    assert "edited" in report.problem


def test_detects_edited_query_text(sqlite_app: Application) -> None:
    _fill(sqlite_app, 5)
    _drop_sqlite_guards(sqlite_app)
    with sqlite_app.database.engine.begin() as conn:
        conn.execute(text("UPDATE access_records SET query = '{}' WHERE seq = 2"))
    assert _verify(sqlite_app).first_broken_seq == 2


def test_detects_deleted_record(sqlite_app: Application) -> None:
    _fill(sqlite_app, 10)
    _drop_sqlite_guards(sqlite_app)
    with sqlite_app.database.engine.begin() as conn:
        conn.execute(text("DELETE FROM access_records WHERE seq = 4"))
    report = _verify(sqlite_app)
    assert not report.ok and report.first_broken_seq == 5 and report.checked == 3


def test_detects_deleted_and_renumbered_records(sqlite_app: Application) -> None:
    _fill(sqlite_app, 10)
    _drop_sqlite_guards(sqlite_app)
    with sqlite_app.database.engine.begin() as conn:
        conn.execute(text("DELETE FROM access_records WHERE seq = 4"))
        conn.execute(text("UPDATE access_records SET seq = seq - 1 WHERE seq > 4"))
    report = _verify(sqlite_app)
    assert report.first_broken_seq == 4 and "link" in report.problem


def test_detects_reordered_records(sqlite_app: Application) -> None:
    _fill(sqlite_app, 10)
    _drop_sqlite_guards(sqlite_app)
    with sqlite_app.database.engine.begin() as conn:
        conn.execute(text("UPDATE access_records SET seq = -1 WHERE seq = 7"))
        conn.execute(text("UPDATE access_records SET seq = 7 WHERE seq = 8"))
        conn.execute(text("UPDATE access_records SET seq = 8 WHERE seq = -1"))
    report = _verify(sqlite_app)
    assert not report.ok and report.first_broken_seq == 7 and report.checked == 6


def test_sqlite_triggers_refuse_changes(sqlite_app: Application) -> None:
    _fill(sqlite_app, 2)
    for statement in (
        "UPDATE access_records SET detail = 'x' WHERE seq = 1",
        "DELETE FROM access_records WHERE seq = 1",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            with sqlite_app.database.engine.begin() as conn:
                conn.execute(text(statement))
    assert _verify(sqlite_app).ok


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE access_records SET detail = 'x' WHERE seq = 1",
        "DELETE FROM access_records WHERE seq = 1",
        "TRUNCATE access_records",
    ],
)
def test_postgres_refuses_update_and_delete(postgres_url: str, tmp_path, statement: str) -> None:
    from tests.conftest import make_app

    app = make_app(postgres_url, tmp_path)
    try:
        _fill(app, 3)
        with pytest.raises(DBAPIError, match="append-only"):
            with app.database.engine.begin() as conn:
                conn.execute(text(statement))
        assert _verify(app).ok and _verify(app).checked == 3
    finally:
        app.close()


def test_data_access_record_validates_purpose_and_case(app: Application, admin: Actor) -> None:
    actor = create_active_user(app, admin, "detective", [Role.INVESTIGATOR])
    audit = app.services.audit
    with app.database.sessions.begin() as session:
        with pytest.raises(ValidationError, match="authorised purpose"):
            audit.record_data_access(
                session,
                actor,
                Action.SEARCH_READS,
                purpose="Curiosity",
                case_number="2026-1",
                query={"pattern": "7AB*"},
            )
        with pytest.raises(ValidationError, match="case"):
            audit.record_data_access(
                session,
                actor,
                Action.SEARCH_READS,
                purpose="Criminal investigation",
                case_number="  ",
                query={"pattern": "7AB*"},
            )
        record = audit.record_data_access(
            session,
            actor,
            Action.SEARCH_READS,
            purpose="Criminal investigation",
            case_number="2026-77",
            query={"pattern": "7AB*", "from": "2026-01-01"},
        )
    assert record.query == '{"from":"2026-01-01","pattern":"7AB*"}'
    assert record.username == "detective" and record.organisation == "Test PD"


def test_concurrent_appends_keep_one_chain(app: Application) -> None:
    import threading

    errors: list[BaseException] = []

    def writer() -> None:
        try:
            _fill(app, 25)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    report = _verify(app)
    assert report.ok and report.checked == 100


def test_many_appends_in_one_transaction_then_more(app: Application) -> None:
    _fill(app, 30)  # one transaction: the head is carried between appends
    _fill(app, 5)  # a new transaction reads the head again
    with app.database.sessions() as session:
        with pytest.raises(RuntimeError):
            with session.begin():
                append_record(
                    session,
                    now=dt.datetime.now(dt.UTC),
                    username="x",
                    category="admin",
                    action="rolled_back",
                )
                raise RuntimeError("the work failed")
    _fill(app, 2)  # the rolled-back head must not be reused
    report = _verify(app)
    assert report.ok and report.checked == 37
