"""The Audit report page, offscreen, on a real SQLite database: run, figures, charts,
review, sign-off, exports (the PDF turned back into pixels and looked at)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from PySide6.QtCore import QDate
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from alpr_desktop.core.roles import Role
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages import pages_for
from alpr_desktop.gui.pages.audit_report import AuditReportPage
from alpr_desktop.services.base import Actor
from alpr_desktop.storage.models import AccessRecord, ReviewVerdict
from tests.conftest import USER_PASSWORD, create_active_user, create_admin
from tests.gui.conftest import wait_idle
from tests.integration.test_audit_report import _seed_rows, _seed_trail

pdfium = pytest.importorskip("pypdfium2")


@pytest.fixture
def people(gui: GuiContext) -> tuple[Actor, Actor]:
    app = gui.application
    admin = create_admin(app)
    supervisor = create_active_user(app, admin, "sup.one", [Role.SUPERVISOR])
    commander = create_active_user(app, admin, "cmd.one", [Role.COMMANDER])
    _seed_trail(app)
    _seed_rows(app, admin)
    return supervisor, commander


def _page(qtbot: QtBot, gui: GuiContext, actor: Actor) -> AuditReportPage:
    page = AuditReportPage(gui, actor)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    wait_idle(qtbot, gui)
    page.since_edit.setDate(QDate(2026, 3, 1))
    page.until_edit.setDate(QDate(2026, 3, 31))
    return page


def _actions(gui: GuiContext) -> list[tuple[str, str]]:
    with gui.application.database.sessions() as session:
        return [
            (r.username, r.action)
            for r in session.scalars(
                select(AccessRecord)
                .where(AccessRecord.target_type == "audit_report")
                .order_by(AccessRecord.seq)
            )
        ]


def test_run_review_sign_off(
    qtbot: QtBot, gui: GuiContext, people: tuple[Actor, Actor], tmp_path: Path
) -> None:
    supervisor, _commander = people
    assert "audit_report" in [spec.key for spec in pages_for(supervisor)]
    page = _page(qtbot, gui, supervisor)
    assert page.seed_edit.text().isdigit()  # a random seed, shown
    assert not page.sign_off_button.isEnabled() and not page.pdf_button.isEnabled()
    page.seed_edit.setText("7")
    page.sample_spin.setValue(3)
    page.run_button.click()
    assert page.busy.isVisible()
    wait_idle(qtbot, gui)
    view = page.view
    assert view is not None and view.summary.seed == 7 and len(view.items) == 3
    assert page.seed_edit.text() != ""  # a new seed for the next run
    assert page.figures.tables["searches_by_user"].cell_texts() == [
        ["det.one", "5", "3", "1", "1", "1", "1"],
        ["det.two", "2", "2", "0", "0", "0", "0"],
    ]
    assert page.figures.tables["summary"].cell_texts()[0] == [
        "Searches (search, canvass, export)",
        "7",
    ]
    per_day, per_user = page.charts.series_values()
    assert len(per_day) == 31 and sum(per_day) == 7 and per_day[9] == 2  # March 10
    assert per_user == [5.0, 2.0]
    assert page.reports_list.count() == 1
    assert "0 of 3 sampled searches reviewed" in page.status_label.text()
    # Review each sampled search in the pane.
    for row in range(3):
        page.sample_table.selectRow(row)
        pane = page.review_pane
        assert pane.item is view.items[row] and pane.save_button.isEnabled()
        assert pane.verdict_box.currentIndex() == -1  # nothing chosen for an unreviewed one
        pane.verdict_box.setCurrentIndex(0 if row else 2)  # justified / needs follow-up
        pane.note_edit.setPlainText("" if row else "Ask the detective for the case file.")
        pane.save_button.click()
        wait_idle(qtbot, gui)
        assert page.sample_table.item(row, 1).text() in ("Justified", "Needs follow-up")
    assert page.error_label.isHidden()
    assert page.view is not None and page.view.can_sign_off
    assert page.sign_off_button.isEnabled()
    asked: list[int] = []
    page.ask_note = lambda _parent, v: asked.append(v.summary.id) or "Reviewed with the chief."
    page.sign_off_button.click()
    wait_idle(qtbot, gui)
    assert asked == [view.summary.id]
    assert page.view is not None and page.view.summary.signed_off
    assert "signed off by sup.one" in page.heading.text()
    assert not page.sign_off_button.isEnabled()
    page.sample_table.selectRow(0)
    assert not page.review_pane.save_button.isEnabled()
    assert "final" in page.review_pane.hint.text()
    assert "signed off by sup.one" in page.reports_list.item(0).text()
    # Export both ways; each is recorded.
    pdf, csv = tmp_path / "march.pdf", tmp_path / "march.csv"
    page.export("pdf", pdf)
    wait_idle(qtbot, gui, timeout=30_000)
    assert page.message is not None and str(pdf) in page.message.text()
    page.message.close()
    page.export("csv", csv)
    wait_idle(qtbot, gui)
    assert "Reviewed with the chief." in csv.read_bytes().decode("utf-8-sig")
    assert _actions(gui) == [
        ("sup.one", "audit_report_run"),
        *[("sup.one", "audit_report_review")] * 3,
        ("sup.one", "audit_report_sign_off"),
        ("sup.one", "audit_report_export"),
        ("sup.one", "audit_report_export"),
    ]
    document = pdfium.PdfDocument(str(pdf))
    try:
        text = "".join(document[0].get_textpage().get_text_range().split())
        assert "Auditreport#1" in text and "Signedoffbysup.one" in text
        image = document[0].render(scale=1.0, grayscale=True).to_pil()
        image.save(tmp_path / "page1.png")
        pixels = document[0].render(scale=0.5, grayscale=True).to_numpy()
        assert int((pixels < 128).sum()) > 2000  # text, tables and the chart bars
        colour = document[0].render(scale=0.5).to_numpy().astype(int)
        # The chart bars (#2f6db5) are on the first page: many pixels far from grey.
        bluish = abs(colour[..., 2] - colour[..., 0]) > 80
        assert int(bluish.sum()) > 500
    finally:
        document.close()


def test_own_search_is_left_to_another_reviewer_and_errors_show(
    qtbot: QtBot, gui: GuiContext, people: tuple[Actor, Actor]
) -> None:
    supervisor, commander = people
    from alpr_desktop.services.audit import append_record

    with gui.application.database.sessions.begin() as session:
        append_record(
            session,
            now=dt.datetime(2026, 3, 5, 18, tzinfo=dt.UTC),
            user_id=supervisor.user_id,
            username="sup.one",
            category="data",
            action="search_reads",
            purpose="Criminal investigation",
            case_number="26-7",
            query={"pattern": "8*", "offset": 0},
        )
    page = _page(qtbot, gui, supervisor)
    page.seed_edit.setText("1")
    page.sample_spin.setValue(200)
    page.run_button.click()
    wait_idle(qtbot, gui)
    assert page.view is not None
    row = next(i for i, item in enumerate(page.view.items) if item.username == "sup.one")
    page.sample_table.selectRow(row)
    assert not page.review_pane.save_button.isEnabled()
    assert "Your own search" in page.review_pane.hint.text()
    # A verdict the service refuses shows its reason on the page.
    other = next(i for i, item in enumerate(page.view.items) if item.username != "sup.one")
    page.sample_table.selectRow(other)
    page.review_pane.verdict_box.setCurrentIndex(1)  # not justified, with no note
    page.review_pane.save_button.click()
    wait_idle(qtbot, gui)
    assert "note" in page.error_label.text() and page.error_label.isVisible()
    page.seed_edit.setText("x")
    page.run_button.click()
    assert "seed" in page.error_label.text()
    # The commander reopens the report from the list.
    other_page = _page(qtbot, gui, commander)
    other_page.reports_list.setCurrentRow(0)
    other_page._open_item(other_page.reports_list.item(0))
    wait_idle(qtbot, gui)
    assert other_page.view is not None and other_page.view.summary.id == page.view.summary.id
    other_page.sample_table.selectRow(row)
    assert other_page.review_pane.save_button.isEnabled()


def test_the_command_line_writes_the_pdf(
    qapp: object,
    gui: GuiContext,
    people: tuple[Actor, Actor],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from alpr_desktop.cli import main

    monkeypatch.setenv("ALPR_PASSWORD", USER_PASSWORD)
    url = gui.application.config.database_url
    target = tmp_path / "report.pdf"
    args = [
        "audit",
        "report",
        "--database-url",
        str(url),
        "--user",
        "cmd.one",
        "--since",
        "2026-03-01",
        "--until",
        "2026-03-31",
        "--pdf",
        str(target),
        "--json",
    ]
    capsys.readouterr()
    assert main(args) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["figures"]["totals"]["searches"] == 7
    document = pdfium.PdfDocument(str(target))
    try:
        assert len(document) >= 2
    finally:
        document.close()
    assert ReviewVerdict.PENDING.value == printed["sample"][0]["verdict"]
