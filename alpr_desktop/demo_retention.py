"""Demo retention: last year's reads to purge, evidence holds in every state.

:func:`seed_last_year` runs behind the sign-in, before the month of history
(``gui/main.py``): it stores, through the ingest service, a month of reads from a year
and a few weeks ago — past the 365-day retention period — and, as the demo users:

* the investigator places a hold for a cold case (``25-118230``) on every read of
  ``8KDW417`` in that month; the supervisor approves it, so the purge keeps them;
* the investigator asks for a hold on ``5NXP771``'s reads of that month
  (``25-120044``); it awaits the supervisor's decision (a reminder on their Home page);
* a hold on ``7ABT312``'s (``25-097310``) was approved and released when the case closed.

The commander's Retention page then previews a real purge (those reads, less the held
ones), and the next scheduled run — or "Purge now" — carries it out.
:func:`seed_current_holds` runs after the month of history: the burglary case's hold on
``7ABT312``, approved, with its review due within the week (a reminder for the
investigator and the supervisor).
"""

from __future__ import annotations

import datetime as dt
import threading

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Role
from alpr_desktop.demo import DemoAccount
from alpr_desktop.demo_history import SEED, seed_history
from alpr_desktop.demo_oversight import BURGLARY_CASE, signed_in
from alpr_desktop.services.evidence import PlatePeriod

#: How many reads of last year, and how long past the retention period they end.
LAST_YEAR_READS = 1_500
LAST_YEAR_DAYS = 30
PAST_RETENTION = dt.timedelta(days=380)
COLD_CASE = "25-118230"
PENDING_CASE = "25-120044"
CLOSED_CASE = "25-097310"
PURPOSE = "Criminal investigation"


def seed_last_year(
    app: Application, accounts: list[DemoAccount], *, stop: threading.Event | None = None
) -> int:
    """Last year's reads and the holds on them (see the module docstring); the reads."""
    now = app.services.ctx.now()
    end = now - PAST_RETENTION
    result = seed_history(
        app,
        reads=LAST_YEAR_READS,
        days=LAST_YEAR_DAYS,
        seed=SEED + 365,  # other plates, other read ids than this month's history
        now=end,
        stop=stop,
    )
    if stop is not None and stop.is_set():
        return result.reads
    period = (end - dt.timedelta(days=LAST_YEAR_DAYS + 1), end)
    by_role = {account.role: account for account in accounts}
    evidence = app.services.evidence
    today = now.date()
    with signed_in(app, by_role[Role.INVESTIGATOR]) as investigator:

        def request(plate: str, case: str, reason: str, review_in: int) -> int:
            return evidence.request(
                investigator,
                case_number=case,
                reason=reason,
                review_on=today + dt.timedelta(days=review_in),
                purpose=PURPOSE,
                period=PlatePeriod(plate, *period),
            ).id

        cold = request(
            "8KDW417", COLD_CASE, "Vehicle linked to an unsolved robbery; trial pending.", 90
        )
        pending = request(
            "5NXP771", PENDING_CASE, "Vehicle parked outside the warehouse before the fire.", 60
        )
        closed = request("7ABT312", CLOSED_CASE, "Hit-and-run suspect vehicle.", 30)
    with signed_in(app, by_role[Role.SUPERVISOR]) as supervisor:
        evidence.approve(supervisor, cold, note="Trial date set; keep until the verdict.")
        evidence.approve(supervisor, closed)
        evidence.release(supervisor, closed, reason="Case closed: plea entered.")
    del pending  # left for the supervisor signing in to decide
    return result.reads


def seed_current_holds(app: Application, accounts: list[DemoAccount]) -> int:
    """The burglary case's approved hold on ``7ABT312``, review due in six days; its id."""
    by_role = {account.role: account for account in accounts}
    now = app.services.ctx.now()
    evidence = app.services.evidence
    with signed_in(app, by_role[Role.INVESTIGATOR]) as investigator:
        hold = evidence.request(
            investigator,
            case_number=BURGLARY_CASE,
            reason="Witness saw 7AB…12 leave the burglary on Main St.",
            review_on=now.date() + dt.timedelta(days=6),
            purpose=PURPOSE,
            period=PlatePeriod("7ABT312", now - dt.timedelta(days=31), now),
        ).id
    with signed_in(app, by_role[Role.SUPERVISOR]) as supervisor:
        evidence.approve(supervisor, hold)
    return hold
