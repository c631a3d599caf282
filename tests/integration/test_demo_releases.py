"""The demo's release requests: one in each state, the blocked out-of-state one, the
fulfilled one's package on disk and in the sharing log, and the commander's reminders."""

from __future__ import annotations

from collections import Counter

from alpr_desktop.app import Application
from alpr_desktop.core.packages import verify_package
from alpr_desktop.core.releases import ReleaseStatus
from alpr_desktop.core.roles import Role


def test_demo_requests_in_every_state(app: Application) -> None:
    from alpr_desktop.demo import seed_demo
    from alpr_desktop.demo_history import seed_history
    from alpr_desktop.demo_releases import BLOCKED_AGENCY, FULFILLED_CASE, seed_releases

    accounts = seed_demo(app)
    seed_history(app, reads=600)
    assert seed_releases(app, accounts) == 5
    commander = next(a for a in accounts if a.role is Role.COMMANDER)
    actor = app.services.auth.login(commander.username, commander.password).actor
    views = app.services.releases.list_requests(actor)
    assert Counter(v.status for v in views) == {
        ReleaseStatus.SUBMITTED: 2,
        ReleaseStatus.FULFILLED: 1,
        ReleaseStatus.REFERRED: 1,
        ReleaseStatus.DRAFT: 1,
    }
    (blocked,) = [v for v in views if v.fields.agency_name == BLOCKED_AGENCY]
    assert blocked.status is ReleaseStatus.SUBMITTED and "Out-of-state" in (blocked.blocker or "")
    (share,) = app.services.releases.sharing_log(actor)
    assert share.case_number == FULFILLED_CASE and share.read_count > 0
    package = app.config.data_dir / "releases" / share.package_name
    assert verify_package(package).ok
    pending = [v for v in views if v.status is ReleaseStatus.SUBMITTED and not v.blocker]
    assert app.services.releases.get(actor, pending[0].id).attachments[0].media_type == "image/png"
    texts = [r.text for r in app.services.reminders.for_user(actor)]
    assert sum("awaits your decision" in t for t in texts) == 2
