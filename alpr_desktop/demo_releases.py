"""Demo release requests (policy 471.7): one in each state the commander meets.

:func:`seed_releases` runs behind the sign-in after the month of history
(``gui/main.py``), through the release service, as the demo users — so every step is in
the access trail like a real one:

* Sacramento County Sheriff's Office asks for ``8KDW417``'s reads (a robbery series);
  the investigator wrote it and submitted it with the scanned letter attached; it awaits
  the commander's decision (their Home page and the Releases page say so);
* Nevada Highway Patrol asks for ``5NXP771``'s reads — out of state, so the commander's
  approval is **blocked** with the reason, and the request can only be referred;
* Roseville Police Department's request for ``7ABT312`` was approved and fulfilled: its
  package lies in the demo data folder and the sharing log names it;
* a repossession company's request was referred to records release;
* the investigator has a draft for the Folsom Police Department not yet submitted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from alpr_desktop.app import Application
from alpr_desktop.core.releases import AgencyType, RequestFields
from alpr_desktop.core.roles import Role
from alpr_desktop.demo import DemoAccount
from alpr_desktop.demo_oversight import signed_in
from alpr_desktop.services.release_records import SavedQuery
from alpr_desktop.services.search import ReadFilters

PURPOSE = "Criminal investigation"
PENDING_CASE = "SSO-26-031877"
BLOCKED_AGENCY = "Nevada Highway Patrol"
FULFILLED_CASE = "RPD-26-7710"


def _fields(**changes: object) -> RequestFields:
    base = RequestFields(
        agency_name="Sacramento County Sheriff's Office",
        agency_type=AgencyType.CA_LOCAL,
        agency_state="CA",
        requester_name="Det. Andrea Whitfield",
        requester_title="Detective, Robbery/Burglary",
        requester_contact="awhitfield@sacsheriff.example, (916) 555-0187",
        intended_purpose="Link a vehicle to three armed robberies of convenience stores.",
        purpose=PURPOSE,
        case_number=PENDING_CASE,
        legal_basis="Civ. Code 1798.90.55(b): California public agency, law-enforcement purpose",
        data_requested="Every read of 8KDW417 in the last 30 days, with images.",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def letter_image(agency: str, requester: str, text: str) -> bytes:
    """A scanned-looking written request (PNG), drawn here: no file shipped."""
    import cv2
    import numpy as np

    page = np.full((1100, 850), 250, dtype=np.uint8)
    lines = [agency.upper(), "", "Request for ALPR data", "", *_wrap(text, 58), "", requester]
    y = 90
    for line in lines:
        cv2.putText(page, line, (70, y), cv2.FONT_HERSHEY_SIMPLEX, 0.7, 30, 1, cv2.LINE_AA)
        y += 34
    cv2.line(page, (70, y + 10), (400, y + 5), 40, 2, cv2.LINE_AA)  # the signature
    ok, data = cv2.imencode(".png", page)
    assert ok
    return bytes(data.tobytes())


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + len(word) < width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def seed_releases(app: Application, accounts: list[DemoAccount]) -> int:
    """The demo requests (see the module docstring); how many were written."""
    by_role = {account.role: account for account in accounts}
    releases = app.services.releases
    now = app.services.ctx.now()
    month = ReadFilters(since=now - dt.timedelta(days=30), until=now + dt.timedelta(hours=1))
    with signed_in(app, by_role[Role.INVESTIGATOR]) as officer:
        pending = _fields()
        first = releases.create(officer, pending, SavedQuery("8KDW417", filters=month))
        releases.add_attachment(
            officer,
            first.id,
            "sso-request-letter.png",
            letter_image(pending.agency_name, pending.requester_name, pending.intended_purpose),
        )
        releases.submit(officer, first.id)
        nevada = _fields(
            agency_name=BLOCKED_AGENCY,
            agency_type=AgencyType.OUT_OF_STATE,
            agency_state="NV",
            requester_name="Trooper J. Castillo",
            requester_title="Trooper, Investigations",
            requester_contact="jcastillo@nhp.example, (775) 555-0133",
            intended_purpose="A vehicle wanted in a Reno hit-and-run may have driven west.",
            case_number="NHP-26-04412",
            legal_basis="Interstate law-enforcement cooperation",
            data_requested="Reads of 5NXP771 this month.",
        )
        releases.create(officer, nevada, SavedQuery("5NXP771", filters=month), submit=True)
        roseville = _fields(
            agency_name="Roseville Police Department",
            requester_name="Sgt. Paul Okafor",
            requester_title="Sergeant, Property Crimes",
            requester_contact="pokafor@roseville.example",
            intended_purpose="Burglary series: the suspect vehicle 7ABT312.",
            case_number=FULFILLED_CASE,
            data_requested="Every read of 7ABT312 this month.",
        )
        granted = releases.create(
            officer, roseville, SavedQuery("7ABT312", filters=month), submit=True
        )
        repo = _fields(
            agency_name="Capitol Recovery & Repossession LLC",
            agency_type=AgencyType.NON_PUBLIC,
            requester_name="M. Dunn",
            requester_title="Recovery agent",
            requester_contact="(916) 555-0110",
            intended_purpose="Locate a financed vehicle in default.",
            case_number="CRR-5521",
            legal_basis="Lien holder's request",
            data_requested="Last known location of 6GRB508.",
        )
        referred = releases.create(officer, repo, SavedQuery("6GRB508"), submit=True)
        releases.create(
            officer,
            _fields(agency_name="Folsom Police Department", case_number="FPD-26-0093",
                    legal_basis="", requester_name="Det. S. Lin",
                    requester_title="Detective, Investigations",
                    requester_contact="slin@folsom.example",
                    intended_purpose="A grey sedan seen leaving a burglary on Riley St.",
                    data_requested="Reads matching the partial plate 7AB*12 this month."),
            SavedQuery("7AB*12", filters=month),
        )  # fmt: skip
    with signed_in(app, by_role[Role.COMMANDER]) as commander:
        releases.approve(commander, granted.id, reason="California public agency; burglary case.")
        releases.refer(
            commander, referred.id, note="A private company: not a public agency (1798.90.55(b))."
        )
        folder = app.config.data_dir / "releases"
        folder.mkdir(parents=True, exist_ok=True)
        releases.fulfil(
            commander,
            granted.id,
            folder / f"release-{granted.id}-{FULFILLED_CASE}.zip",
            delivery="Encrypted USB drive, handed to Sgt. Okafor",
        )
    return 5
