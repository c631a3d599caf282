"""The release-request rules in core: every transition, the agency rule, the fields."""

from __future__ import annotations

import dataclasses

import pytest

from alpr_desktop.core.releases import (
    DECIDED,
    EDITABLE,
    STEP_ACTIONS,
    TRANSITIONS,
    AgencyType,
    ReleaseStatus,
    RequestFields,
    Step,
    TransitionError,
    approval_blocker,
    check_fields,
    field_problems,
    next_status,
)
from alpr_desktop.core.roles import Role, is_permitted
from alpr_desktop.errors import ValidationError

S = ReleaseStatus

GOOD = RequestFields(
    agency_name="Oakland Police Department",
    agency_type=AgencyType.CA_LOCAL,
    agency_state="ca",
    requester_name="Sgt. Lee",
    requester_title="Sergeant",
    requester_contact="+1 510 555 0100",
    intended_purpose="Homicide 26-0911",
    purpose="Criminal investigation",
    case_number="OPD-26-0911",
    legal_basis="Civ. Code 1798.90.55(b)",
    data_requested="Reads of 4XYZ123",
)

ALLOWED = {
    (S.DRAFT, Step.EDIT): S.DRAFT,
    (S.SUBMITTED, Step.EDIT): S.SUBMITTED,
    (S.DRAFT, Step.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, Step.APPROVE): S.APPROVED,
    (S.SUBMITTED, Step.DENY): S.DENIED,
    (S.SUBMITTED, Step.REFER): S.REFERRED,
    (S.APPROVED, Step.FULFIL): S.FULFILLED,
}


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("step", list(Step))
def test_every_status_and_step(status: ReleaseStatus, step: Step) -> None:
    expected = ALLOWED.get((status, step))
    if expected is not None:
        assert next_status(status, step) is expected
    else:
        with pytest.raises(TransitionError, match=f"A {status.value} request"):
            next_status(status, step)


def test_table_and_sets_agree() -> None:
    assert TRANSITIONS == ALLOWED
    assert set(S) == EDITABLE | DECIDED and not EDITABLE & DECIDED
    assert all((s, Step.EDIT) not in TRANSITIONS for s in DECIDED)


def test_only_the_commander_decides_and_fulfils() -> None:
    for step in (Step.APPROVE, Step.DENY, Step.REFER, Step.FULFIL):
        allowed = {r for r in Role if is_permitted({r}, STEP_ACTIONS[step])}
        assert allowed == {Role.COMMANDER}
    writers = {r for r in Role if is_permitted({r}, STEP_ACTIONS[Step.SUBMIT])}
    assert Role.DISPATCHER not in writers and Role.INVESTIGATOR in writers


def test_decided_request_message_names_the_policy() -> None:
    with pytest.raises(TransitionError, match="471.7"):
        next_status(S.APPROVED, Step.EDIT)
    with pytest.raises(TransitionError, match="can be approved or denied or referred"):
        next_status(S.SUBMITTED, Step.FULFIL)


@pytest.mark.parametrize(
    ("agency", "state", "blocked"),
    [
        (AgencyType.CA_STATE, "CA", None),
        (AgencyType.CA_LOCAL, " ca ", None),
        (AgencyType.CA_LOCAL, "NV", "its state is NV"),
        (AgencyType.OUT_OF_STATE, "NV", "Out-of-state"),
        (AgencyType.FEDERAL, "DC", "Federal"),
        (AgencyType.FEDERAL, "CA", "Federal"),  # an FBI field office in California too
        (AgencyType.NON_PUBLIC, "CA", "public agencies"),
    ],
)
def test_approval_blocker(agency: AgencyType, state: str, blocked: str | None) -> None:
    reason = approval_blocker(agency, state)
    if blocked is None:
        assert reason is None
    else:
        assert reason is not None and blocked in reason
        assert "records release" in reason


def test_fields() -> None:
    assert field_problems(GOOD, complete=True) == {}
    assert field_problems(RequestFields(), complete=False) == {}  # an empty draft is fine
    empty = field_problems(RequestFields(), complete=True)
    assert set(empty) >= {"agency_name", "legal_basis", "case_number", "purpose"}
    bad = dataclasses.replace(GOOD, agency_state="XX", requester_contact="call the desk")
    assert set(field_problems(bad, complete=False)) == {"agency_state", "requester_contact"}
    out = dataclasses.replace(GOOD, agency_type=AgencyType.OUT_OF_STATE, agency_state="CA")
    assert "not CA" in field_problems(out, complete=True)["agency_state"]
    long = dataclasses.replace(GOOD, agency_name="x" * 201)
    with pytest.raises(ValidationError, match="at most 200"):
        check_fields(long, complete=False)
    with pytest.raises(ValidationError, match=r"\(1 more\)"):
        check_fields(dataclasses.replace(long, case_number=""), complete=True)
