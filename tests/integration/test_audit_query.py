"""The audit viewer's service on SQLite and PostgreSQL: filters, paging, its own record,
refusals and exports.

The trail is made the one way records are made: through the services (searches by
two investigators under different purposes, cases and workstations, a refused search,
sign-ins), so the plate index is the one the trigger (SQLite) or GIN index keeps.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from alpr_desktop.app import Application
from alpr_desktop.core.packages import PackageCancelled
from alpr_desktop.core.roles import Role
from alpr_desktop.errors import PermissionDenied, ValidationError
from alpr_desktop.services import audit_query as audit_query_module
from alpr_desktop.services.audit import verify_chain
from alpr_desktop.services.audit_query import AuditFilters, TrailPage
from alpr_desktop.services.base import Actor
from alpr_desktop.services.search import SearchRequest
from alpr_desktop.storage.models import AccessRecord
from tests.conftest import create_active_user

CRIMINAL = "Criminal investigation"
STOLEN = "Stolen or wanted vehicle"
FORMULA_CASE = "=HYPERLINK(1)"


class Trail:
    """Who did what, and the time between the two halves of the trail."""

    def __init__(self, app: Application, admin: Actor) -> None:
        self.app = app
        self.supervisor = create_active_user(app, admin, "sup.one", [Role.SUPERVISOR])
        self.det1 = create_active_user(app, admin, "det.one", [Role.INVESTIGATOR])
        self.det2 = create_active_user(app, admin, "det.two", [Role.INVESTIGATOR])
        search = app.services.search
        search.search(self.det1, SearchRequest("7abc 123", CRIMINAL, "26-000001"))
        search.search(self.det1, SearchRequest("8XYZ*45", CRIMINAL, "26-000002"))
        self.middle = app.services.ctx.now()
        app.services.ctx.workstation = "desk-2"
        try:
            search.search(self.det2, SearchRequest("7ABC123", STOLEN, "26-000003"))
            search.search(self.det2, SearchRequest("9QQQ999", STOLEN, FORMULA_CASE))
            with pytest.raises(ValidationError):
                search.search(self.det2, SearchRequest("5LMN678", "Curiosity", "26-000004"))
        finally:
            app.services.ctx.workstation = "test-ws"

    def page(self, filters: AuditFilters, **kwargs: int) -> TrailPage:
        return self.app.services.audit_query.page(self.supervisor, filters, **kwargs)

    def shown(self, **filters: object) -> list[tuple[str, str]]:
        """(username, case number) of the search records that fit, newest first."""
        rows = self.page(AuditFilters(**filters), limit=500).rows  # type: ignore[arg-type]
        return [(r.username, r.case_number) for r in rows if r.action == "search_reads"]


@pytest.fixture
def trail(app: Application, admin: Actor) -> Trail:
    return Trail(app, admin)


def _records(app: Application, action: str) -> list[AccessRecord]:
    with app.database.sessions() as session:
        return list(
            session.scalars(
                select(AccessRecord).where(AccessRecord.action == action).order_by(AccessRecord.seq)
            )
        )


def test_every_filter(trail: Trail) -> None:
    everything = trail.shown()
    assert everything == [
        ("det.two", ""),  # refused: no authorised purpose, so no case recorded
        ("det.two", FORMULA_CASE),
        ("det.two", "26-000003"),
        ("det.one", "26-000002"),
        ("det.one", "26-000001"),
    ]
    assert trail.shown(user="det.one") == [("det.one", "26-000002"), ("det.one", "26-000001")]
    assert trail.shown(user=" det.one ") == trail.shown(user="det.one")  # trimmed
    assert trail.shown(user="det") == []  # exact, not a prefix
    assert trail.shown(since=trail.middle) == everything[:3]
    assert trail.shown(until=trail.middle) == everything[3:]
    assert trail.shown(purpose=STOLEN) == everything[1:3]
    assert trail.shown(case_number="26-000002") == [("det.one", "26-000002")]
    assert trail.shown(workstation="desk-2") == everything[:3]
    assert trail.shown(outcome="refused") == [("det.two", "")]
    assert trail.shown(outcome="REFUSED") == [("det.two", "")]  # categories/outcomes fold
    # The plate inside the recorded query, normalised like plates everywhere: the
    # pattern as typed ("7abc 123") or as normalised, and part of a plate too.
    assert trail.shown(plate="7ABC-123") == [("det.two", "26-000003"), ("det.one", "26-000001")]
    assert trail.shown(plate="abc12") == trail.shown(plate="7ABC123")
    assert trail.shown(plate="XYZ") == [("det.one", "26-000002")]
    assert trail.shown(plate="5LMN678") == []  # refused before a query was recorded
    assert trail.shown(plate="ZZZ999") == []
    combined = trail.shown(plate="7ABC123", user="det.two", purpose=STOLEN, since=trail.middle)
    assert combined == [("det.two", "26-000003")]
    # Category and action: the sign-ins are "session", the searches "data".
    rows = trail.page(AuditFilters(category="data"), limit=500).rows
    assert rows and {r.category for r in rows} == {"data"}
    logins = trail.page(AuditFilters(category="session", user="det.one"), limit=500).rows
    assert logins and {r.username for r in logins} == {"det.one"}
    actions = trail.page(AuditFilters(action="audit_view"), limit=500).rows
    assert actions and {r.action for r in actions} == {"audit_view"}
    assert {r.username for r in actions} == {"sup.one"}


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (AuditFilters(category="searches"), "category must be one of data, admin, session"),
        (AuditFilters(outcome="maybe"), "outcome must be one of ok, refused, failed"),
        (AuditFilters(plate="7*"), "needs 3–16 letters or digits"),
        (AuditFilters(plate="7" * 17), "needs 3–16 letters or digits"),
        (AuditFilters(since=dt.datetime(2026, 1, 1)), "time zone"),
        (
            AuditFilters(
                since=dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
                until=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            ),
            "start of the date range must be before its end",
        ),
        (AuditFilters(case_number="x" * 65), "case number"),
    ],
)
def test_bad_filters_are_clear_and_record_nothing(
    trail: Trail, filters: AuditFilters, message: str
) -> None:
    before = len(_records(trail.app, "audit_view"))
    with pytest.raises(ValidationError, match=message):
        trail.page(filters)
    assert len(_records(trail.app, "audit_view")) == before


def test_paging_continues_one_recorded_view(trail: Trail) -> None:
    service = trail.app.services.audit_query
    filters = AuditFilters(category="data")
    first = trail.page(filters, limit=2)
    assert first.total == 5 and not first.total_capped  # 4 searches and a refused one
    views = _records(trail.app, "audit_view")
    [view] = [v for v in views if v.id == first.view_id]
    assert json.loads(view.query) == {"category": "data"}
    assert view.username == "sup.one" and view.category == "admin"
    # Records appended meanwhile (another search) do not shift the view's pages.
    trail.app.services.search.search(trail.det1, SearchRequest("1AAA111", CRIMINAL, "26-9"))
    seen = list(first.rows)
    page = first
    while page.more:
        page = service.page(
            trail.supervisor, filters, offset=len(seen), limit=2, view=first.view_id
        )
        assert page.total is None
        seen.extend(page.rows)
    assert len(seen) == 5
    assert [r.seq for r in seen] == sorted((r.seq for r in seen), reverse=True)
    assert "26-9" not in {r.case_number for r in seen}
    # Continuing the view wrote nothing new.
    assert len(_records(trail.app, "audit_view")) == len(views)
    # A new view sees the new search.
    assert trail.page(filters, limit=1).rows[0].case_number == "26-9"
    # A view is the user's own, of exactly its filters.
    with pytest.raises(ValidationError, match="does not continue a recorded view"):
        service.page(trail.supervisor, AuditFilters(), offset=2, view=first.view_id)
    other = create_active_user(
        trail.app, _admin(trail.app), "sup.two", [Role.SUPERVISOR], approver=trail.supervisor
    )
    with pytest.raises(ValidationError, match="does not continue a recorded view"):
        service.page(other, filters, offset=2, view=first.view_id)
    search_id = _records(trail.app, "search_reads")[0].id
    with pytest.raises(ValidationError, match="does not continue a recorded view"):
        service.page(trail.supervisor, filters, offset=2, view=search_id)


def _admin(app: Application) -> Actor:
    from tests.conftest import ADMIN_PASSWORD

    return app.services.auth.login("admin", ADMIN_PASSWORD).actor


def test_the_view_is_committed_before_any_record_is_read(
    trail: Trail, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[str]] = []
    fetch = audit_query_module._fetch

    def checked(*args: object, **kwargs: object) -> object:
        # A second connection sees the committed view while the records are read.
        engine = create_engine(trail.app.database.engine.url)
        try:
            with engine.connect() as conn:
                query = select(AccessRecord.query).where(AccessRecord.action == "audit_view")
                seen.append(list(conn.scalars(query)))
        finally:
            engine.dispose()
        return fetch(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(audit_query_module, "_fetch", checked)
    page = trail.page(AuditFilters(plate="7abc123", user="det.one"))
    assert len(page.rows) == 1
    # Every read of records (the newest ones first, then the whole trail) came after.
    assert seen and all(s == ['{"plate":"7ABC123","user":"det.one"}'] for s in seen)


def test_refused_without_view_audit_and_recorded(trail: Trail) -> None:
    service = trail.app.services.audit_query
    for actor in (trail.det1,):
        with pytest.raises(PermissionDenied, match="view audit"):
            service.page(actor, AuditFilters())
        with pytest.raises(PermissionDenied):
            service.record(actor, 1)
        with pytest.raises(PermissionDenied):
            service.export_csv(actor, AuditFilters(), Path("never.csv"))
    refused = _records(trail.app, "view_audit")
    assert [(r.username, r.outcome) for r in refused] == [("det.one", "refused")] * 3
    assert not Path("never.csv").exists()
    assert _records(trail.app, "audit_view") == []


def test_opening_a_record_gives_it_in_full_and_is_recorded(trail: Trail) -> None:
    [search] = [r for r in _records(trail.app, "search_reads") if r.case_number == "26-000001"]
    entry = trail.app.services.audit_query.record(trail.supervisor, search.id)
    assert entry.row.seq == search.seq and entry.row.username == "det.one"
    assert (entry.record_hash, entry.prev_hash) == (search.record_hash, search.prev_hash)
    assert entry.query == search.query
    pretty = entry.pretty_query()
    assert '\n  "pattern": "7abc 123",' in pretty and json.loads(pretty) == json.loads(search.query)
    [opened] = _records(trail.app, "audit_open")
    assert (opened.target_type, opened.target_id) == ("access_record", str(search.id))
    assert opened.username == "sup.one"
    with pytest.raises(Exception, match="no access record 999999"):
        trail.app.services.audit_query.record(trail.supervisor, 999_999)
    with trail.app.database.sessions() as session:
        assert verify_chain(session).ok


def test_csv_export_of_the_filtered_records(trail: Trail, tmp_path: Path) -> None:
    progress: list[tuple[int, int]] = []
    target = tmp_path / "out" / "trail.csv"
    result = trail.app.services.audit_query.export_csv(
        trail.supervisor,
        AuditFilters(user="det.two", category="data"),
        target,
        progress=lambda done, total: progress.append((done, total)),
    )
    assert result.records == 3 and result.path == target
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["case_number"] for r in rows] == ["", "'" + FORMULA_CASE, "26-000003"]
    assert {r["username"] for r in rows} == {"det.two"}
    assert json.loads(rows[2]["query"])["pattern"] == "7ABC123"
    with trail.app.database.sessions() as session:
        stored = session.scalars(
            select(AccessRecord.record_hash).where(AccessRecord.seq == int(rows[2]["seq"]))
        ).one()
    assert rows[2]["record_hash"] == stored
    assert progress[-1] == (3, 3)
    [export] = _records(trail.app, "audit_export")
    assert json.loads(export.query) == {
        "filters": {"category": "data", "user": "det.two"},
        "format": "csv",
    }
    assert export.id == result.record_id
    # A cancelled export leaves no file (its record stays: it was looked at).
    cancelled = tmp_path / "cancelled.csv"
    with pytest.raises(PackageCancelled):
        trail.app.services.audit_query.export_csv(
            trail.supervisor, AuditFilters(), cancelled, cancel=lambda: True
        )
    assert not cancelled.exists() and list(tmp_path.glob(".cancelled*")) == []
    assert len(_records(trail.app, "audit_export")) == 2


def test_pdf_export_lists_the_records(trail: Trail, tmp_path: Path) -> None:
    written: list[tuple[str, str, str]] = []

    def write(title: str, html: str, footer: str, path: Path) -> int:
        written.append((title, html, footer))
        path.write_bytes(b"%PDF-1.4 test")
        return 1

    target = tmp_path / "trail.pdf"
    result = trail.app.services.audit_query.export_pdf(
        trail.supervisor, AuditFilters(plate="7ABC123"), target, write
    )
    # The two searches for it, and this export itself (its filters hold the plate; a
    # view or an export shows the trail up to and including its own record).
    assert result.records == 3 and not result.truncated
    [(title, html, footer)] = written
    assert title == "Access trail"
    assert "plate contains 7ABC123" in html and "26-000003" in html and "26-000001" in html
    assert "26-000002" not in html and "audit_export" in html
    assert f"record {result.record_id}" in footer and "sup.one" in footer
    [export] = _records(trail.app, "audit_export")
    assert json.loads(export.query)["format"] == "pdf"


def test_the_count_is_capped(trail: Trail, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_query_module, "COUNT_CAP", 3)
    page = trail.page(AuditFilters(), limit=2)
    assert (page.total, page.total_capped, page.more) == (3, True, True)
    with trail.app.database.sessions() as session:
        assert (session.scalar(select(func.count(AccessRecord.id))) or 0) > 3


def test_the_newest_records_probe_gives_the_same_pages(
    trail: Trail, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page is looked for among the newest records first; it must be the same page."""
    views = [
        AuditFilters(),
        AuditFilters(category="data"),
        AuditFilters(user="det.one"),
        AuditFilters(plate="7ABC123"),
        AuditFilters(since=trail.middle),
        AuditFilters(until=trail.middle, outcome="ok"),
        AuditFilters(workstation="desk-2", purpose=STOLEN),
    ]
    with trail.app.database.sessions() as session:
        head = session.scalar(select(func.max(AccessRecord.seq)))
        assert head is not None

        def pages(window: int) -> list[list[tuple[list[int], bool]]]:
            monkeypatch.setattr(audit_query_module, "PROBE_WINDOW", window)
            out = []
            for filters in views:
                cleaned = filters.cleaned()
                span = audit_query_module.seq_span(session, cleaned.since, cleaned.until, head)
                out.append(
                    [
                        (
                            [r.seq for r in rows],
                            more,
                        )
                        for rows, more in (
                            audit_query_module._page(session, cleaned, span, offset, 2)
                            for offset in (0, 2, 4)
                        )
                    ]
                )
            return out

        # A window of 6 holds some pages whole (the probe answers them) and not others
        # (then the whole trail is asked); a window of 0 never answers.
        plain = pages(0)
        assert pages(6) == plain
        assert pages(10_000) == plain
        # The pages are what they should be: newest first, one after the other.
        everything = [seq for seq in range(head, 0, -1)]
        assert [seq for seqs, _more in plain[0] for seq in seqs] == everything[:6]
