"""Every requirement of policy 471 and Civ. Code 1798.90.51–.55, in one table.

Each :class:`Requirement` names its clause, says in a line what it asks, names the check
that tells whether this installation meets it (``check``: a key of the evaluators in
:mod:`alpr_desktop.services.compliance`) and the page where it is fixed (``page``: a
page key of the main window; a page that has not landed yet, or that the user may not
open, shows no link).

What is left out, and why:

* 471.1, 471.2 (purpose and scope, policy statement) and 471.3's first paragraph (what
  ALPR is used for) describe; 471.4(b) and (c) permit (patrol use, canvassing); none of
  them asks anything of the installation.
* 1798.90.5 defines terms; 1798.90.54 gives a person harmed a right to sue and asks
  nothing of the department.

Rows whose check is ``procedure``-only say so in their reason: the application cannot
observe them (a vote of the governing body, a CLETS query) and the department confirms
them by its own records.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass


class Source(enum.StrEnum):
    POLICY = "Policy 471"
    STATUTE = "Civ. Code 1798.90.51–.55"


class Status(enum.StrEnum):
    """A requirement's state here: met (green), needs attention (amber), not met (red),
    or a procedure the application cannot observe (grey)."""

    MET = "met"
    ATTENTION = "attention"
    NOT_MET = "not_met"
    PROCEDURE = "procedure"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    Status.MET: "Met",
    Status.ATTENTION: "Needs attention",
    Status.NOT_MET: "Not met",
    Status.PROCEDURE: "By procedure",
}


@dataclass(frozen=True)
class Requirement:
    source: Source
    #: The citation as printed ("471.3.1(e)", "1798.90.52(a)"); unique in the table.
    clause: str
    text: str
    check: str
    #: The main-window page that fixes it ("" when none does).
    page: str = ""


_P, _S = Source.POLICY, Source.STATUTE

#: Thresholds the checks apply (days). A regular audit is taken as quarterly (471.6(c)
#: says "on a regular basis"); the annual one is the least anyone reads into it.
VERIFY_WITHIN_DAYS = 7
CHECKPOINT_WITHIN_DAYS = 7
AUDIT_WITHIN_DAYS = 92
AUDIT_LATEST_DAYS = 366
PURGE_WITHIN_DAYS = 2
TRAINING_WARNING_DAYS = 30
REFUSALS_WITHIN_DAYS = 30
#: The least retention Gov. Code 34090.6 allows (471.5).
MINIMUM_RETENTION_DAYS = 365

REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement(
        _P,
        "471.3",
        "ALPR data retention and access are managed by the Support Services Division "
        "Commander (an active account holds the Commander role).",
        "commander_assigned",
        "users",
    ),
    Requirement(
        _P,
        "471.3.1(a)",
        "The job title of each member authorised to use or access the system is recorded.",
        "user_titles",
        "users",
    ),
    Requirement(
        _P,
        "471.3.1(b)",
        "Authorised users meet the training requirement (every active account has current "
        "ALPR training).",
        "training_current",
        "users",
    ),
    Requirement(
        _P,
        "471.3.1(c)",
        "The system is monitored for security and compliance: the access trail is "
        "verified regularly.",
        "chain_verified",
        "audit",
    ),
    Requirement(
        _P,
        "471.3.1(d)",
        "Records of access are kept as Civ. Code 1798.90.52 requires, in an append-only trail.",
        "access_trail",
        "audit",
    ),
    Requirement(
        _P,
        "471.3.1(e)",
        "The title and name of the current designee overseeing the ALPR operation are recorded.",
        "designee_named",
        "settings",
    ),
    Requirement(
        _P,
        "471.3.1(f)",
        "Retention and destruction of ALPR data are settled with the Custodian of Records "
        "(the retention period is set).",
        "retention_set",
        "settings",
    ),
    Requirement(
        _P,
        "471.3.1(g)",
        "This policy and its procedures are posted conspicuously on the department's website.",
        "policy_published",
        "policy",
    ),
    Requirement(
        _P,
        "471.4(a)",
        "ALPR data is used only for official law enforcement business: every search names "
        "a purpose.",
        "purposes_recorded",
        "audit",
    ),
    Requirement(
        _P,
        "471.4(d)",
        "No member accesses ALPR data without first completing department-approved training.",
        "untrained_access",
        "users",
    ),
    Requirement(
        _P,
        "471.4(e)",
        "No operator accesses data they are not authorised for (refused attempts are reviewed).",
        "refusals",
        "audit",
    ),
    Requirement(
        _P,
        "471.4(f)",
        "Where practicable an alert is verified through CLETS before enforcement action.",
        "clets_confirmation",
        "alerts",
    ),
    Requirement(
        _P,
        "471.5",
        "ALPR data is kept at least one year (Gov. Code 34090.6) and purged thereafter.",
        "purges_running",
        "retention",
    ),
    Requirement(
        _P,
        "471.5 (evidence)",
        "Data that is or may become evidence is kept past the retention period (evidence "
        "holds) and reviewed.",
        "evidence_holds",
        "retention",
    ),
    Requirement(
        _P,
        "471.6(a)",
        "Stored data is reachable only through a login/password-protected system that "
        "documents each access by name, date and time.",
        "login_protection",
        "settings",
    ),
    Requirement(
        _P,
        "471.6(b)",
        "Data is accessed for legitimate purposes only, such as a specific investigation "
        "(searches carry a case number).",
        "case_numbers",
        "audit_report",
    ),
    Requirement(
        _P,
        "471.6(c)",
        "ALPR system audits are conducted on a regular basis (an audit report signed off).",
        "audit_signed_off",
        "audit_report",
    ),
    Requirement(
        _P,
        "471.7(a)",
        "Data is released only on a written request naming the agency, the requester and "
        "the intended purpose.",
        "release_requests_complete",
        "releases",
    ),
    Requirement(
        _P,
        "471.7(b)",
        "Each request is reviewed and approved by the commander or designee before it is "
        "fulfilled.",
        "releases_approved",
        "releases",
    ),
    Requirement(
        _P,
        "471.7(c)",
        "The approved request is retained on file with what was shared.",
        "releases_logged",
        "releases",
    ),
    Requirement(
        _P,
        "471.7 (other agencies)",
        "Requests by non-law-enforcement agencies go through the Records Release policy, "
        "not ALPR release (1798.90.55).",
        "qualifying_agencies",
        "releases",
    ),
    Requirement(
        _P,
        "471.8",
        "The Training Officer keeps members' department-approved training current.",
        "training_expiring",
        "users",
    ),
    Requirement(
        _S,
        "1798.90.51(a)",
        "Reasonable security procedures protect ALPR information from unauthorised "
        "access, destruction, use, modification or disclosure (signed checkpoints of the "
        "trail kept outside the database).",
        "checkpoints_signed",
        "audit",
    ),
    Requirement(
        _S,
        "1798.90.51(b)(1)",
        "A usage and privacy policy is available to the public in writing and posted "
        "conspicuously on the agency's website.",
        "policy_published",
        "policy",
    ),
    Requirement(
        _S,
        "1798.90.51(b)(2)",
        "The policy states the authorised purposes, who may access and their training, "
        "monitoring, sharing, the custodian, accuracy, and retention.",
        "policy_complete",
        "policy",
    ),
    Requirement(
        _S,
        "1798.90.52(a)",
        "Each access is recorded with its date and time, the plate or data queried, the "
        "username and organisation, and the purpose.",
        "access_records_complete",
        "audit",
    ),
    Requirement(
        _S,
        "1798.90.52(b)",
        "ALPR information is used only for the authorised purposes the policy lists.",
        "purposes_authorised",
        "settings",
    ),
    Requirement(
        _S,
        "1798.90.53(a)",
        "As end-user, the agency's safeguards cover the database itself (the application "
        "cannot rewrite its own trail).",
        "database_privileges",
        "",
    ),
    Requirement(
        _S,
        "1798.90.53(b)",
        "The end-user policy includes a process for periodic system audits.",
        "audit_signed_off",
        "audit_report",
    ),
    Requirement(
        _S,
        "1798.90.55(a)",
        "The public had an opportunity to comment at a regular meeting of the governing "
        "body before the program began.",
        "public_comment",
        "",
    ),
    Requirement(
        _S,
        "1798.90.55(b)",
        "ALPR information is shared only with another California public agency, as "
        "permitted by law.",
        "qualifying_agencies",
        "releases",
    ),
)


def by_source(
    requirements: Iterable[Requirement] = REQUIREMENTS,
) -> dict[Source, list[Requirement]]:
    """The requirements grouped by source, in table order."""
    grouped: dict[Source, list[Requirement]] = {source: [] for source in Source}
    for requirement in requirements:
        grouped[requirement.source].append(requirement)
    return grouped


def check_keys(requirements: Iterable[Requirement] = REQUIREMENTS) -> frozenset[str]:
    return frozenset(r.check for r in requirements)


def summary(statuses: Iterable[Status]) -> str:
    """ "12 met, 3 need attention, 1 not met" (+ ", 2 by procedure" when there are any)."""
    counts = Counter(statuses)
    parts = [
        f"{counts[Status.MET]} met",
        f"{counts[Status.ATTENTION]} need{'s' if counts[Status.ATTENTION] == 1 else ''} attention",
        f"{counts[Status.NOT_MET]} not met",
    ]
    if counts[Status.PROCEDURE]:
        parts.append(f"{counts[Status.PROCEDURE]} by procedure")
    return ", ".join(parts)
