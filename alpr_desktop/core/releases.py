"""Release requests (policy 471.7; Civ. Code 1798.90.55): who may receive ALPR data, and
the life of a written request — pure rules, no database, no Qt.

A request is written as a **draft**, **submitted**, then decided by the commander:
**approved**, **denied** or **referred** (to records release, for a body California law
does not let the department share with); an approved request is **fulfilled** once its
package has been built and logged. Drafts and submitted requests may be edited; a
decided one never is (the service refuses, and so does a database trigger).

Who may receive data: California state and local public agencies only. The Attorney
General's bulletin 2023-DLE-06 reads Civ. Code 1798.90.55(b) ("public agency", defined
by 1798.90.5 as a California state or local agency) as excluding out-of-state and
federal agencies and every private body, so such a request cannot be approved; it can
be referred, with a note, to the department's records-release unit.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from alpr_desktop.core.roles import Action
from alpr_desktop.errors import ValidationError


class AgencyType(enum.StrEnum):
    CA_STATE = "ca_state"
    CA_LOCAL = "ca_local"
    OUT_OF_STATE = "out_of_state"
    FEDERAL = "federal"
    NON_PUBLIC = "non_public"

    @property
    def label(self) -> str:
        return AGENCY_LABELS[self]

    @property
    def short_label(self) -> str:
        """A table column's word for it ("Non-public body" without the examples)."""
        return self.label.split(" (")[0]


AGENCY_LABELS: dict[AgencyType, str] = {
    AgencyType.CA_STATE: "California state agency",
    AgencyType.CA_LOCAL: "California local agency",
    AgencyType.OUT_OF_STATE: "Out-of-state agency",
    AgencyType.FEDERAL: "Federal agency",
    AgencyType.NON_PUBLIC: "Non-public body (company, person, association)",
}


class ReleaseStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    DENIED = "denied"
    REFERRED = "referred"  # to records release (non-California or non-public body)
    FULFILLED = "fulfilled"


class Step(enum.StrEnum):
    """What can be done to a request."""

    EDIT = "edit"
    SUBMIT = "submit"
    APPROVE = "approve"
    DENY = "deny"
    REFER = "refer"
    FULFIL = "fulfil"


#: Statuses whose request may still be changed (and whose attachments added or removed).
EDITABLE = frozenset({ReleaseStatus.DRAFT, ReleaseStatus.SUBMITTED})
#: Statuses the commander has decided: the request stays on file exactly as decided.
DECIDED = frozenset(
    {ReleaseStatus.APPROVED, ReleaseStatus.DENIED, ReleaseStatus.REFERRED, ReleaseStatus.FULFILLED}
)

#: (from, step) -> to. Anything absent is refused.
TRANSITIONS: dict[tuple[ReleaseStatus, Step], ReleaseStatus] = {
    (ReleaseStatus.DRAFT, Step.EDIT): ReleaseStatus.DRAFT,
    (ReleaseStatus.SUBMITTED, Step.EDIT): ReleaseStatus.SUBMITTED,
    (ReleaseStatus.DRAFT, Step.SUBMIT): ReleaseStatus.SUBMITTED,
    (ReleaseStatus.SUBMITTED, Step.APPROVE): ReleaseStatus.APPROVED,
    (ReleaseStatus.SUBMITTED, Step.DENY): ReleaseStatus.DENIED,
    (ReleaseStatus.SUBMITTED, Step.REFER): ReleaseStatus.REFERRED,
    (ReleaseStatus.APPROVED, Step.FULFIL): ReleaseStatus.FULFILLED,
}

#: The permission each step needs (checked by the service against the permission table).
STEP_ACTIONS: dict[Step, Action] = {
    Step.EDIT: Action.CREATE_RELEASE_REQUEST,
    Step.SUBMIT: Action.CREATE_RELEASE_REQUEST,
    Step.APPROVE: Action.DECIDE_RELEASE_REQUEST,
    Step.DENY: Action.DECIDE_RELEASE_REQUEST,
    Step.REFER: Action.DECIDE_RELEASE_REQUEST,
    Step.FULFIL: Action.FULFIL_RELEASE,
}

_VERBS = {
    Step.EDIT: "edited",
    Step.SUBMIT: "submitted",
    Step.APPROVE: "approved",
    Step.DENY: "denied",
    Step.REFER: "referred",
    Step.FULFIL: "fulfilled",
}


class TransitionError(ValidationError):
    """A step the request's status does not allow."""


def next_status(current: ReleaseStatus, step: Step) -> ReleaseStatus:
    """The status after ``step``, or :class:`TransitionError` saying why not."""
    to = TRANSITIONS.get((current, step))
    if to is not None:
        return to
    if step is Step.EDIT:
        raise TransitionError(
            f"A {current.value} request stays on file as it was decided; it cannot be edited "
            "(policy 471.7)."
        )
    allowed = sorted(s.value for (f, s) in TRANSITIONS if f is current and s is not Step.EDIT)
    then = f" It can be {' or '.join(_VERBS[Step(s)] for s in allowed)}." if allowed else ""
    raise TransitionError(f"A {current.value} request cannot be {_VERBS[step]}.{then}")


def approval_blocker(agency_type: AgencyType, agency_state: str) -> str | None:
    """Why a request from this body cannot be approved (None: it may be).

    Civ. Code 1798.90.55(b) lets ALPR data go only to public agencies, which the Attorney
    General (bulletin 2023-DLE-06) reads as California state and local agencies.
    """
    state = agency_state.strip().upper()
    if agency_type is AgencyType.OUT_OF_STATE:
        return (
            "Out-of-state agencies cannot receive ALPR data (Civ. Code 1798.90.55(b); "
            "AG bulletin 2023-DLE-06). Refer the request to records release."
        )
    if agency_type is AgencyType.FEDERAL:
        return (
            "Federal agencies cannot receive ALPR data (Civ. Code 1798.90.55(b); "
            "AG bulletin 2023-DLE-06). Refer the request to records release."
        )
    if agency_type is AgencyType.NON_PUBLIC:
        return (
            "ALPR data is shared only with public agencies (Civ. Code 1798.90.55(b)); "
            "a company, person or association cannot receive it. Refer the request to "
            "records release."
        )
    if state != "CA":
        return (
            f"The agency is recorded as a California agency but its state is {state or '—'}; "
            "only California state and local agencies can receive ALPR data. Correct the "
            "request or refer it to records release."
        )
    return None


# --------------------------------------------------------------------------- fields

#: Two-letter postal codes of the states, DC and the territories.
US_STATES = frozenset(
    {
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "AS",
        "GU",
        "MP",
        "PR",
        "VI",
    }
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?:\+?\d[\s().-]*){7,}")


@dataclass(frozen=True)
class RequestFields:
    """What a written request records (requirements §7), as typed."""

    agency_name: str = ""
    agency_type: AgencyType = AgencyType.CA_LOCAL
    agency_state: str = "CA"
    requester_name: str = ""
    requester_title: str = ""
    requester_contact: str = ""
    #: What the requesting agency says it wants the data for, in its words.
    intended_purpose: str = ""
    #: The department's authorised purpose the fulfilment is recorded under (471.4).
    purpose: str = ""
    case_number: str = ""
    legal_basis: str = ""
    #: The data asked for, in words ("every read of 7ABC123 in March").
    data_requested: str = ""


#: (attribute, label, maximum length, needed to submit)
FIELD_RULES: tuple[tuple[str, str, int | None, bool], ...] = (
    ("agency_name", "the agency's name", 200, True),
    ("requester_name", "the requester's name", 200, True),
    ("requester_title", "the requester's title", 200, True),
    ("requester_contact", "the requester's contact", 300, True),
    ("intended_purpose", "the intended purpose", 2000, True),
    ("purpose", "the authorised purpose", 100, True),
    ("case_number", "the case number", 64, True),
    ("legal_basis", "the legal basis", 2000, True),
    ("data_requested", "the data asked for", 2000, True),
)


def field_problems(fields: RequestFields, *, complete: bool) -> dict[str, str]:
    """Each field's problem (attribute -> message); ``complete``: as needed to submit.

    A draft may leave fields empty but never holds a malformed value.
    """
    problems: dict[str, str] = {}
    for name, label, limit, needed in FIELD_RULES:
        value = getattr(fields, name).strip()
        if complete and needed and not value:
            problems[name] = f"Enter {label}."
        elif limit is not None and len(value) > limit:
            problems[name] = f"{label[0].upper()}{label[1:]} must be at most {limit} characters."
    state = fields.agency_state.strip().upper()
    if state not in US_STATES:
        problems["agency_state"] = (
            "Give the agency's state as its two-letter postal code (CA, NV, DC, …)."
        )
    elif fields.agency_type in (AgencyType.CA_STATE, AgencyType.CA_LOCAL) and state != "CA":
        problems["agency_state"] = "A California agency's state is CA."
    elif fields.agency_type is AgencyType.OUT_OF_STATE and state == "CA":
        problems["agency_state"] = "An out-of-state agency's state is not CA."
    contact = fields.requester_contact.strip()
    if (
        contact
        and "requester_contact" not in problems
        and not (_EMAIL.search(contact) or _PHONE.search(contact))
    ):
        problems["requester_contact"] = (
            "Give an e-mail address or a telephone number to reach the requester."
        )
    return problems


def check_fields(fields: RequestFields, *, complete: bool) -> None:
    """:class:`ValidationError` with the first problem of :func:`field_problems`."""
    problems = field_problems(fields, complete=complete)
    if problems:
        first = next(iter(problems.values()))
        more = f" ({len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ValidationError(first + more)
