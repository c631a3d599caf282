"""The demo's first morning of oversight: real records the supervisor can audit."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Role
from alpr_desktop.storage.models import AccessRecord, AuditCheckpoint, AuditReport


def test_the_demo_leaves_searches_refusals_a_checkpoint_and_a_draft_report(
    app: Application,
) -> None:
    from alpr_desktop.demo import seed_demo
    from alpr_desktop.demo_oversight import (
        BURGLARY_CASE,
        REPORT_SAMPLE,
        REPORT_SEED,
        seed_oversight,
    )

    accounts = seed_demo(app)
    seeded = seed_oversight(app, accounts)
    assert (seeded.searches, seeded.refusals) == (4, 2)
    with app.database.sessions() as session:
        rows = session.execute(
            select(
                AccessRecord.username,
                AccessRecord.action,
                AccessRecord.outcome,
                AccessRecord.case_number,
            ).where(AccessRecord.category == "data")
        ).all()
        checkpoint = session.scalars(select(AuditCheckpoint)).one()
        report = session.scalars(select(AuditReport)).one()
        head = session.scalar(select(AccessRecord.seq).order_by(AccessRecord.seq.desc()).limit(1))
    by = Counter((r.username, r.action, r.outcome) for r in rows)
    investigator = next(a.username for a in accounts if a.role is Role.INVESTIGATOR)
    dispatcher = next(a.username for a in accounts if a.role is Role.DISPATCHER)
    assert by[(investigator, "search_reads", "ok")] == 3
    assert by[(investigator, "canvass", "ok")] == 1
    assert by[(investigator, "search_reads", "refused")] == 1
    assert sum(n for (user, _a, outcome), n in by.items() if user == dispatcher) == 1
    assert all(r.outcome == "refused" for r in rows if r.username == dispatcher)
    assert {r.case_number for r in rows if r.outcome == "ok"} >= {BURGLARY_CASE}
    assert checkpoint.seq == seeded.checkpoint_seq and checkpoint.seq < (head or 0)
    assert (report.id, report.seed, report.sample_size) == (
        seeded.report_id,
        REPORT_SEED,
        REPORT_SAMPLE,
    )
    assert report.status == "draft"
    supervisor = next(a for a in accounts if a.role is Role.SUPERVISOR)
    actor = app.services.auth.login(supervisor.username, supervisor.password).actor
    assert app.services.checkpoints.verify(actor).ok
