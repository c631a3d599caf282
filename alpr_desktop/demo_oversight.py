"""Demo oversight: a trail worth auditing, a signed checkpoint and a report to review.

:func:`seed_oversight` runs once the demo accounts exist (``gui/main.py``, before the
first sign-in) and acts, through the services and as the demo users themselves, the way a
department's first morning would go:

* the investigator searches the partial plate a witness gave (``7AB*12``, case
  ``26-004711``), canvasses Main St around the burglary and searches ``8KDW417`` for
  another case; one search without a case number is refused (and recorded as refused);
* the dispatcher tries a search the role does not allow (refused, recorded);
* the commander creates the department's checkpoint signing key;
* the supervisor verifies the trail, signs the first checkpoint, and runs this month's
  audit report with a review sample of searches (seed 471), left as a draft for the
  supervisor signing in to review and sign off.

Every one of these is an ordinary access record: the Audit page shows them, the
report counts them, the Compliance page reads its statuses from them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Role
from alpr_desktop.demo import DemoAccount
from alpr_desktop.errors import AlprError
from alpr_desktop.services.base import Actor
from alpr_desktop.services.search import CanvassRequest, SearchRequest

log = logging.getLogger(__name__)

#: The story's cases (also in docs/demo.md).
BURGLARY_CASE = "26-004711"
VEHICLE_CASE = "26-004790"
#: The audit report's sample seed: the same sample on every demo start.
REPORT_SEED = 471
REPORT_SAMPLE = 4
#: Main St eastbound, where the burglary was.
_SCENE = (38.57930, -121.49120)


@dataclass(frozen=True)
class OversightSeeded:
    searches: int
    refusals: int
    checkpoint_seq: int | None
    report_id: int | None


def seed_oversight(app: Application, accounts: list[DemoAccount]) -> OversightSeeded:
    """Act out the demo's first morning (see the module docstring); what it left."""
    by_role = {account.role: account for account in accounts}
    services = app.services
    now = services.ctx.now()
    searches = refusals = 0
    with signed_in(app, by_role[Role.INVESTIGATOR]) as investigator:
        for pattern, purpose, case in (
            ("7AB*12", "Criminal investigation", BURGLARY_CASE),
            ("7ABT312", "Criminal investigation", BURGLARY_CASE),
            ("8KDW417", "Stolen or wanted vehicle", VEHICLE_CASE),
        ):
            services.search.search(
                investigator, SearchRequest(pattern=pattern, purpose=purpose, case_number=case)
            )
            searches += 1
        services.search.canvass(
            investigator,
            CanvassRequest(
                latitude=_SCENE[0],
                longitude=_SCENE[1],
                metres=300.0,
                since=now - dt.timedelta(days=14),
                until=now,
                purpose="Criminal investigation",
                case_number=BURGLARY_CASE,
            ),
        )
        searches += 1
        refusals += _refused(
            lambda: services.search.search(
                investigator,
                SearchRequest(pattern="6GRB508", purpose="Criminal investigation", case_number=""),
            )
        )
    with signed_in(app, by_role[Role.DISPATCHER]) as dispatcher:
        refusals += _refused(
            lambda: services.search.search(
                dispatcher,
                SearchRequest(
                    pattern="7AB*", purpose="Stolen or wanted vehicle", case_number="26-004800"
                ),
            )
        )
    with signed_in(app, by_role[Role.COMMANDER]) as commander:
        services.checkpoints.create_key(commander)
    with signed_in(app, by_role[Role.SUPERVISOR]) as supervisor:
        signed = services.checkpoints.sign_now(supervisor)
        checkpoint_seq = signed.checkpoint.seq
        today = services.ctx.now().date()
        report = services.audit_reports.run(
            supervisor,
            since=today.replace(day=1),
            until=today,
            sample_size=REPORT_SAMPLE,
            seed=REPORT_SEED,
        )
        report_id = report.summary.id
    return OversightSeeded(searches, refusals, checkpoint_seq, report_id)


def _refused(action: Callable[[], object]) -> int:
    """Run an action the rules refuse; 1 when it was refused as expected."""
    try:
        action()
    except AlprError as exc:
        log.debug("demo refusal as intended: %s", type(exc).__name__)
        return 1
    log.warning("a demo action meant to be refused was allowed")
    return 0


@contextmanager
def signed_in(app: Application, account: DemoAccount) -> Iterator[Actor]:
    auth = app.services.auth
    actor = auth.login(account.username, account.password).actor
    try:
        yield actor
    finally:
        auth.record_session_event(actor, "logout")
