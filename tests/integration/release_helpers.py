"""Sample release requests and the people who handle them (tests of releases)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from alpr_desktop.app import Application
from alpr_desktop.core.releases import AgencyType, RequestFields
from alpr_desktop.core.roles import Role
from alpr_desktop.services.base import Actor
from alpr_desktop.services.release_records import SavedQuery
from alpr_desktop.services.search import ReadFilters
from alpr_desktop.storage.types import utcnow
from tests.conftest import create_active_user
from tests.integration.ingest_helpers import jpeg
from tests.integration.retention_helpers import aged_read

PURPOSE = "Criminal investigation"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"

SHERIFF = RequestFields(
    agency_name="Riverside County Sheriff's Department",
    agency_type=AgencyType.CA_LOCAL,
    agency_state="CA",
    requester_name="Det. Maria Ruiz",
    requester_title="Detective, Robbery",
    requester_contact="mruiz@riversidesheriff.example, (951) 555-0142",
    intended_purpose="Identify the getaway car in the Mission Blvd armed robbery.",
    purpose=PURPOSE,
    case_number="RSO-26-118842",
    legal_basis="Civ. Code 1798.90.55(b): public agency, law-enforcement purpose",
    data_requested="Every read of 6TRK512 in the last month",
)


@dataclass
class People:
    officer: Actor
    commander: Actor
    second_commander: Actor
    supervisor: Actor
    dispatcher: Actor


@pytest.fixture(name="people")
def release_people(app: Application, admin: Actor) -> People:
    reads = [
        aged_read(i, "6TRK512", days_old=20 - i, crop=jpeg(500 + i), context=jpeg(600 + i))
        for i in range(3)
    ]
    reads.append(aged_read(3, "8OTH123", days_old=10, crop=jpeg(700)))
    app.services.ingest.store(reads)
    return People(
        officer=create_active_user(app, admin, "det.writer", [Role.INVESTIGATOR]),
        commander=create_active_user(app, admin, "cmdr.one", [Role.COMMANDER]),
        second_commander=create_active_user(app, admin, "cmdr.two", [Role.COMMANDER]),
        supervisor=create_active_user(app, admin, "sgt.one", [Role.SUPERVISOR]),
        dispatcher=create_active_user(app, admin, "disp.one", [Role.DISPATCHER]),
    )


def saved_query() -> SavedQuery:
    now = utcnow()
    return SavedQuery("6TRK512", filters=ReadFilters(since=now - dt.timedelta(days=30), until=now))
