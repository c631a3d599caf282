"""The periodic audit report (policy 471.6(c)) on SQLite and PostgreSQL.

A month of trail records with known counts is written with ``append_record`` at chosen
local times (March 2026: the clocks change on the 8th, so local days and hours are
checked across it); alerts, releases, holds and purges as rows. The searches the real
search service records are counted under the action names it writes.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Role
from alpr_desktop.errors import PermissionDenied, ValidationError
from alpr_desktop.services.audit import append_record
from alpr_desktop.services.audit_report import draw_sample
from alpr_desktop.services.audit_report_document import report_csv, write_csv
from alpr_desktop.services.base import Actor
from alpr_desktop.services.search import SearchRequest
from alpr_desktop.storage.models import (
    AccessRecord,
    AgencyType,
    Alert,
    AlertStatus,
    AuditReportStatus,
    EvidenceHold,
    HoldStatus,
    MatchKind,
    PlateRead,
    PurgeLog,
    ReleaseRequest,
    ReleaseShare,
    ReleaseStatus,
    ReviewVerdict,
)
from tests.conftest import create_active_user

LA = ZoneInfo("America/Los_Angeles")
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
CRIMINAL, MISSING = "Criminal investigation", "Missing person"


def _at(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LA)


def _search_query(offset: int = 0) -> dict[str, Any]:
    return {"pattern": "7AB*", "normalised": "7AB*", "limit": 100, "offset": offset}


def _write(app: Application, records: list[dict[str, Any]]) -> None:
    with app.database.sessions.begin() as session:
        for record in records:
            append_record(session, **record)


def _search(
    user: str, when: dt.datetime, action: str = "search_reads", **kw: Any
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "now": when,
        "username": user,
        "category": "data",
        "action": action,
        "purpose": CRIMINAL,
        "case_number": "26-0001",
        "query": _search_query(),
    }
    return fields | kw


def _seed_trail(app: Application) -> None:
    records = [
        # det.one: 3 searches, 1 further page, 1 canvass after hours, 1 export before 07:00
        _search("det.one", _at(2, 10)),
        _search("det.one", _at(3, 10)),
        _search("det.one", _at(10, 10), case_number=""),
        _search("det.one", _at(10, 10, 5), query=_search_query(offset=100)),
        _search("det.one", _at(10, 21), action="canvass", query={"canvass": [1, 2, 3]}),
        _search("det.one", _at(15, 6, 30), action="export_reads", purpose=MISSING),
        # det.two: 2 searches; the second on the period's last local evening (UTC: April)
        _search("det.two", _at(20, 12), purpose=MISSING),
        _search("det.two", _at(31, 23, 30)),
        # outside the period, on either side of it in local time
        _search("det.two", _at(28, 23, 59, month=2)),
        _search("det.two", _at(1, 0, 30, month=4)),
        # an opened read after hours: a data access, not a search
        _search("det.two", _at(20, 22), action="open_read", query={"read": 1}),
        # refusals: a dispatcher's two searches, one admin refusal
        _search("disp.one", _at(4, 9), outcome="refused", purpose="", case_number="", query=None),
        _search(
            "disp.one", _at(4, 9, 1), outcome="refused", purpose="", case_number="", query=None
        ),
        {
            "now": _at(5, 9),
            "username": "disp.one",
            "category": "admin",
            "action": "manage_users",
            "outcome": "refused",
        },
    ]
    for minute, (action, outcome, user) in enumerate(
        [
            ("login", "ok", "det.one"),
            ("login", "ok", "det.one"),
            ("login", "ok", "det.two"),
            ("login", "refused", "det.two"),
            ("login", "refused", "det.two"),
            ("account_locked", "refused", "det.two"),
        ]
    ):
        records.append(
            {
                "now": _at(6, 8, minute),
                "username": user,
                "category": "session",
                "action": action,
                "outcome": outcome,
            }
        )
    _write(app, records)


def _seed_rows(app: Application, admin: Actor) -> None:
    with app.database.sessions.begin() as session:
        read = PlateRead(
            read_at=_at(2, 9),
            plate_text="7ABC123",
            plate_normalized="7ABC123",
            plate_folded="7ABC123",
            confidence=0.9,
        )
        session.add(read)
        session.flush()
        for n, (status, reason, disposed) in enumerate(
            [
                (AlertStatus.ACCEPTED, "Confirmed through CLETS", _at(2, 10)),
                (AlertStatus.REJECTED, "Misread", _at(3, 10)),
                (AlertStatus.REJECTED, "Misread", _at(4, 10)),
                (AlertStatus.REJECTED, "Misread", _at(2, 10, month=4)),  # decided after
                (AlertStatus.PENDING, "", None),
            ]
        ):
            session.add(
                Alert(
                    read_id=read.id,
                    entry_id=None,
                    match_kind=MatchKind.EXACT,
                    explanation="test",
                    created_at=_at(2, 9, n),
                    status=status,
                    disposition_reason=reason,
                    disposed_at=disposed,
                )
            )
        request = ReleaseRequest(
            created_at=_at(7, 11),
            created_by_id=admin.user_id,
            agency_name="Sacramento PD",
            agency_type=AgencyType.CA_LOCAL,
            agency_state="CA",
            requester_name="Det. Ray",
            requester_contact="ray@example.org",
            intended_purpose="robbery",
            case_number="26-9",
            legal_basis="1798.90.55",
            data_requested="reads",
            status=ReleaseStatus.FULFILLED,
        )
        session.add(request)
        session.flush()
        session.add(
            ReleaseShare(
                request_id=request.id,
                shared_at=_at(8, 12),
                shared_by_id=admin.user_id,
                recipient="Sacramento PD",
                read_count=12,
                file_count=3,
                manifest_sha256="0" * 64,
                package_name="release-26-9.zip",
            )
        )
        session.add(
            EvidenceHold(
                case_number="26-9",
                reason="court",
                requested_by_id=admin.user_id,
                requested_at=_at(9, 11),
                status=HoldStatus.APPROVED,
                review_on=dt.date(2026, 9, 1),
            )
        )
        session.add(
            PurgeLog(
                ran_at=_at(11, 3),
                cutoff=_at(11, 3),
                reads_purged=40,
                images_purged=80,
                held_reads_kept=2,
            )
        )


@pytest.fixture
def supervisor(app: Application, admin: Actor) -> Actor:
    return create_active_user(app, admin, "sup.one", [Role.SUPERVISOR])


def _rows(view: Any, key: str) -> list[list[Any]]:
    return [list(row) for row in view.table(key).rows]


def test_figures_on_a_seeded_month(app: Application, admin: Actor, supervisor: Actor) -> None:
    _seed_trail(app)
    _seed_rows(app, admin)
    view = app.services.audit_reports.run(supervisor, since=MARCH[0], until=MARCH[1], seed=7)
    totals = view.figures["totals"]
    assert totals["searches"] == 7
    assert totals["further_pages"] == 1
    assert totals["no_case"] == 1
    assert totals["users"] == 2
    # canvass 21:00, export 06:30, the 23:30 search, the opened read at 22:00
    assert totals["after_hours_access"] == 4
    #            user, searches, search, canvass, export, further, no case
    assert _rows(view, "searches_by_user") == [
        ["det.one", 5, 3, 1, 1, 1, 1],
        ["det.two", 2, 2, 0, 0, 0, 0],
    ]
    assert _rows(view, "searches_by_purpose") == [
        [CRIMINAL, 5, 4, 1, 0, 1],
        [MISSING, 2, 1, 0, 1, 0],
    ]
    assert _rows(view, "after_hours") == [["det.one", 2, 2], ["det.two", 2, 1]]
    assert _rows(view, "refused") == [
        ["search_reads", "disp.one", 2],
        ["manage_users", "disp.one", 1],
    ]
    sign_ins = {row[0]: row[1] for row in _rows(view, "sign_ins")}
    assert sign_ins["Successful sign-ins"] == 3
    assert sign_ins["Failed sign-ins (wrong password or name)"] == 2
    assert sign_ins["Lockouts"] == 1
    assert sign_ins["Lockouts of det.two"] == 1
    alerts = _rows(view, "alerts")
    assert alerts[:2] == [["Misread", 0, 2], ["Confirmed through CLETS", 1, 0]]
    assert alerts[2][0] == "Raised in the period: 5 (1 still pending)"
    assert _rows(view, "releases") == [["fulfilled", "ca_local", 1]]
    assert _rows(view, "shares") == [["2026-03-08 12:00", "Sacramento PD", 12, "release-26-9.zip"]]
    assert _rows(view, "holds") == [["approved", 1]]
    assert _rows(view, "purges") == [[1, 40, 80, 2]]
    per_day = dict(view.per_day)
    assert len(per_day) == 31 and sum(per_day.values()) == 7
    assert per_day["2026-03-10"] == 2  # the search and the canvass; not the further page
    assert per_day["2026-03-15"] == 1 and per_day["2026-03-31"] == 1
    assert view.sample_info["population"] == 7
    # The run is in the trail, with its period and seed.
    with app.database.sessions() as session:
        run = session.scalars(
            select(AccessRecord).where(AccessRecord.action == "audit_report_run")
        ).one()
    assert run.username == "sup.one"
    assert json.loads(run.query)["seed"] == 7 and json.loads(run.query)["since"] == "2026-03-01"


def test_the_sample_is_reproducible_from_its_seed(app: Application, supervisor: Actor) -> None:
    _write(app, [_search(f"det.{n % 3}", _at(1 + n % 28, 10, n % 60)) for n in range(40)])
    _write(app, [_search("det.9", _at(5, 11), query=_search_query(offset=100))])
    reports = app.services.audit_reports
    first = reports.run(supervisor, since=MARCH[0], until=MARCH[1], sample_size=10, seed=12345)
    again = reports.run(supervisor, since=MARCH[0], until=MARCH[1], sample_size=10, seed=12345)
    other = reports.run(supervisor, since=MARCH[0], until=MARCH[1], sample_size=10, seed=54321)
    ids = [item.record_id for item in first.items]
    assert len(ids) == 10 == len(set(ids))
    assert ids == [item.record_id for item in again.items]
    assert ids != [item.record_id for item in other.items]
    assert first.summary.seed == 12345
    # Redrawn by hand from the recorded population: the searches up to the last id.
    with app.database.sessions() as session:
        population = list(
            session.scalars(
                select(AccessRecord.id)
                .where(
                    AccessRecord.action == "search_reads",
                    AccessRecord.id <= first.sample_info["population_last_id"],
                    AccessRecord.query.not_like('%"offset":100%'),
                )
                .order_by(AccessRecord.id)
            )
        )
    assert len(population) == 40 == first.sample_info["population"]
    assert draw_sample(population, 12345, 10) == ids
    # More asked for than there are: every search, once.
    everything = reports.run(supervisor, since=MARCH[0], until=MARCH[1], sample_size=200, seed=1)
    assert sorted(i.record_id for i in everything.items) == population
    # A seed chosen at random is recorded.
    drawn = reports.run(supervisor, since=MARCH[0], until=MARCH[1], sample_size=3)
    assert reports.open(supervisor, drawn.summary.id).summary.seed == drawn.summary.seed


def _refusals(app: Application, user: str) -> list[str]:
    with app.database.sessions() as session:
        return list(
            session.scalars(
                select(AccessRecord.detail)
                .where(AccessRecord.username == user, AccessRecord.outcome == "refused")
                .order_by(AccessRecord.seq)
            )
        )


def test_review_and_sign_off_rules(app: Application, admin: Actor, supervisor: Actor) -> None:
    commander = create_active_user(app, admin, "cmd.one", [Role.COMMANDER])
    investigator = create_active_user(app, admin, "det.one", [Role.INVESTIGATOR])
    own = _search("sup.one", _at(3, 12), user_id=supervisor.user_id)
    _write(app, [own, _search("det.one", _at(2, 12)), _search("det.one", _at(4, 12))])
    reports = app.services.audit_reports
    with pytest.raises(PermissionDenied):
        reports.run(investigator, since=MARCH[0], until=MARCH[1])
    assert _refusals(app, "det.one") == ["Your roles do not allow you to run audit report."]
    view = reports.run(supervisor, since=MARCH[0], until=MARCH[1], sample_size=5, seed=3)
    assert len(view.items) == 3 and not view.can_sign_off
    with pytest.raises(ValidationError, match="3 sampled search"):
        reports.sign_off(supervisor, view.summary.id)
    mine = next(i for i in view.items if i.username == "sup.one")
    others = [i for i in view.items if i.username != "sup.one"]
    with pytest.raises(ValidationError, match="your own search"):
        reports.review(supervisor, view.summary.id, mine.id, ReviewVerdict.JUSTIFIED)
    with pytest.raises(ValidationError, match="note"):
        reports.review(supervisor, view.summary.id, others[0].id, ReviewVerdict.NOT_JUSTIFIED)
    assert _refusals(app, "sup.one")[-3:] == [
        "3 sampled search(es) not reviewed yet: review each before signing off.",
        "This is your own search: another supervisor or commander reviews it.",
        "Say why in a note: not justified.",
    ]
    done = reports.review(
        supervisor,
        view.summary.id,
        others[0].id,
        ReviewVerdict.NOT_JUSTIFIED,
        "No case opened for this plate.",
    )
    assert done.verdict is ReviewVerdict.NOT_JUSTIFIED and done.reviewed_by == "sup.one"
    reports.review(supervisor, view.summary.id, others[1].id, ReviewVerdict.JUSTIFIED)
    reports.review(commander, view.summary.id, mine.id, ReviewVerdict.FOLLOW_UP, "Ask why.")
    signed = reports.sign_off(commander, view.summary.id, "Reviewed at the March meeting.")
    assert signed.summary.status is AuditReportStatus.SIGNED_OFF
    assert signed.summary.signed_off_by == "cmd.one" and signed.summary.signed_off_at is not None
    with pytest.raises(ValidationError, match="signed off by cmd.one"):
        reports.review(supervisor, view.summary.id, others[1].id, ReviewVerdict.FOLLOW_UP, "x")
    with pytest.raises(ValidationError, match="signed off"):
        reports.sign_off(supervisor, view.summary.id)
    reopened = reports.open(supervisor, view.summary.id)
    assert [i.verdict for i in reopened.items] == [i.verdict for i in signed.items]
    assert reopened.items[[i.id for i in reopened.items].index(others[1].id)].verdict is (
        ReviewVerdict.JUSTIFIED
    )
    with app.database.sessions() as session:
        steps = [
            (r.username, r.action, r.outcome)
            for r in session.scalars(
                select(AccessRecord)
                .where(AccessRecord.target_type == "audit_report")
                .order_by(AccessRecord.seq)
            )
        ]
    assert steps == [
        ("sup.one", "audit_report_run", "ok"),
        ("sup.one", "audit_report_review", "ok"),
        ("sup.one", "audit_report_review", "ok"),
        ("cmd.one", "audit_report_review", "ok"),
        ("cmd.one", "audit_report_sign_off", "ok"),
        ("sup.one", "audit_report_open", "ok"),
    ]
    assert [s.id for s in reports.list_reports(commander)] == [view.summary.id]


def test_bad_input_is_refused_before_anything_runs(app: Application, supervisor: Actor) -> None:
    reports = app.services.audit_reports
    for kwargs, message in [
        ({"since": MARCH[1], "until": MARCH[0]}, "ends before"),
        ({"since": dt.date(2025, 1, 1), "until": MARCH[1]}, "at most 366"),
        ({"since": MARCH[0], "until": MARCH[1], "sample_size": 201}, "0–200"),
        ({"since": MARCH[0], "until": MARCH[1], "seed": -1}, "seed"),
    ]:
        with pytest.raises(ValidationError, match=message):
            reports.run(supervisor, **kwargs)
    assert reports.list_reports(supervisor) == []


def test_real_searches_counted_and_the_csv_export_recorded(
    app: Application, admin: Actor, supervisor: Actor, tmp_path: Path
) -> None:
    detective = create_active_user(app, admin, "det.real", [Role.INVESTIGATOR])
    search = app.services.search
    first = search.search(detective, SearchRequest("7AB*", CRIMINAL, "26-1"))
    search.search(detective, SearchRequest("7AB*", CRIMINAL, "26-1", offset=100))
    second = search.search(detective, SearchRequest("9XY*", MISSING, "26-2"))
    today = dt.datetime.now(LA).date()
    reports = app.services.audit_reports
    view = reports.run(
        supervisor, since=today - dt.timedelta(days=1), until=today + dt.timedelta(days=1)
    )
    assert _rows(view, "searches_by_user") == [["det.real", 2, 2, 0, 0, 1, 0]]
    # The further page is not sampled: it belongs to the first search.
    assert sorted(i.record_id for i in view.items) == [first.record_id, second.record_id]
    target = tmp_path / "out" / "report.csv"
    done = reports.export(supervisor, view.summary.id, target, write_csv)
    text = target.read_bytes().decode("utf-8-sig")
    assert text == report_csv(reports.open(supervisor, view.summary.id))
    assert (
        "Searches per user" in text and "det.real" in text and f"seed {view.summary.seed}" in text
    )
    assert done.size == target.stat().st_size and len(done.sha256) == 64
    with app.database.sessions() as session:
        export = session.scalars(
            select(AccessRecord).where(AccessRecord.action == "audit_report_export")
        ).one()
    assert json.loads(export.query) == {
        "report": view.summary.id,
        "format": "csv",
        "file": "report.csv",
    }


def test_the_command_line_goes_through_the_same_service(
    app: Application,
    admin: Actor,
    supervisor: Actor,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from alpr_desktop.cli import main
    from tests.conftest import USER_PASSWORD

    _seed_trail(app)
    create_active_user(app, admin, "det.cli", [Role.INVESTIGATOR])
    monkeypatch.setenv("ALPR_PASSWORD", USER_PASSWORD)
    period = ["--since", "2026-03-01", "--until", "2026-03-31"]
    common = ["audit", "report", "--database-url", database_url, *period]
    target = tmp_path / "march.csv"
    capsys.readouterr()
    args = [*common, "--user", "sup.one", "--seed", "7", "--sample", "3", "--csv", str(target)]
    assert main([*args, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["seed"] == 7 and printed["figures"]["totals"]["searches"] == 7
    assert len(printed["sample"]) == 3
    assert "det.one" in target.read_text(encoding="utf-8-sig")
    assert main(args) == 0  # the same seed again, as text
    out = capsys.readouterr().out
    assert "Searches per user" in out and "seed 7" in out and "Wrote CSV" in out
    again = [
        line.split()[2] for line in out.splitlines() if line.strip().startswith(("1 ", "2 ", "3 "))
    ]
    assert again == [str(item["record"]) for item in printed["sample"]]
    assert main([*common, "--user", "det.cli"]) == 2
    assert "do not allow you to run audit report" in capsys.readouterr().err
    assert main([*common, "--user", "sup.one", "--csv", str(tmp_path / "x.txt")]) == 2
    assert "--csv needs a .csv file name" in capsys.readouterr().err
    assert main([*common, "--user", "sup.one", "--sample", "500"]) == 2
    assert "0–200" in capsys.readouterr().err
