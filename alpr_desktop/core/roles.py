"""Roles, actions and the one permission table (requirements "Who uses it").

Every service method names the :class:`Action` it performs and asks
:func:`is_permitted` (through the service layer's ``authorize``) before doing anything.
The GUI hides what a user may not do, but hiding is a courtesy: the check that counts
is the service-layer one.

Separation of duties (``docs/accounts.md``; enforced by ``services.users``). The table
says which roles may do an action; these rules say who may not do it to whom:

1. Nobody changes their own roles, and nobody records their own training.
2. A pending account is activated by a second person: not by whoever created it, nor by
   whoever last put it back to pending (reset its password, see 4; added roles, see 3).
3. Adding a role to an account returns it to pending, so a second person approves the
   new roles as they approved the account; removing a role takes effect at once.
4. Resetting the password of someone holding a role the resetter does not hold returns
   the account to pending (rule 2 then needs a second person); nobody resets their own.
5. A supervisor may suspend an administrator only where the department setting
   ``supervisors_may_suspend_administrators`` allows it.

Bootstrap: a fresh installation has one approver (the first administrator). Rule 2 and
the pending returns of 3 and 4 take effect once a second approver — an active account
holding a role of :data:`APPROVER_ROLES` — has existed, and from then on for good; until
then the sole approver may activate the accounts it creates (each such activation is
recorded as a bootstrap activation). A one-person trial therefore creates a second
account with every role, activates it and records its training, and reaches every page.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable


class Role(enum.StrEnum):
    """A role a user may hold; a user may hold several."""

    DISPATCHER = "dispatcher"
    INVESTIGATOR = "investigator"
    SUPERVISOR = "supervisor"
    COMMANDER = "commander"
    ADMINISTRATOR = "administrator"

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    Role.DISPATCHER: "Dispatcher",
    Role.INVESTIGATOR: "Investigator",
    Role.SUPERVISOR: "Supervisor",
    Role.COMMANDER: "Commander",
    Role.ADMINISTRATOR: "ALPR Administrator",
}


class Action(enum.StrEnum):
    """Everything a service can be asked to do.

    ``data_access`` actions touch ALPR data (reads, images, alerts, exports) and need a
    current training record (471.4(d), 471.8) and an access record with a purpose.
    """

    # Live recognition and alerts
    RUN_RECOGNITION = "run_recognition"  # collect reads (headless node, live page)
    VIEW_LIVE = "view_live"
    REVIEW_ALERT = "review_alert"
    # Search, canvass and map
    SEARCH_READS = "search_reads"
    CANVASS = "canvass"
    OPEN_READ = "open_read"
    VIEW_MAP = "view_map"
    EXPORT_READS = "export_reads"
    # Evidence
    REQUEST_EVIDENCE_HOLD = "request_evidence_hold"
    APPROVE_EVIDENCE_HOLD = "approve_evidence_hold"
    EXPORT_EVIDENCE = "export_evidence"
    # Releases
    CREATE_RELEASE_REQUEST = "create_release_request"
    DECIDE_RELEASE_REQUEST = "decide_release_request"
    FULFIL_RELEASE = "fulfil_release"
    VIEW_RELEASES = "view_releases"
    # Oversight
    VIEW_AUDIT = "view_audit"
    VERIFY_AUDIT = "verify_audit"
    RUN_AUDIT_REPORT = "run_audit_report"
    VIEW_COMPLIANCE = "view_compliance"
    MANAGE_AUDIT_KEYS = "manage_audit_keys"  # the checkpoint signing key pair
    # Administration
    VIEW_USERS = "view_users"
    MANAGE_USERS = "manage_users"
    ACTIVATE_USERS = "activate_users"
    MANAGE_TRAINING = "manage_training"
    MANAGE_CAMERAS = "manage_cameras"
    MANAGE_HOTLISTS = "manage_hotlists"
    MANAGE_SETTINGS = "manage_settings"
    SET_RETENTION = "set_retention"
    RUN_PURGE = "run_purge"
    NAME_DESIGNEE = "name_designee"

    @property
    def data_access(self) -> bool:
        return self in DATA_ACTIONS


DATA_ACTIONS: frozenset[Action] = frozenset(
    {
        Action.VIEW_LIVE,
        Action.REVIEW_ALERT,
        Action.SEARCH_READS,
        Action.CANVASS,
        Action.OPEN_READ,
        Action.VIEW_MAP,
        Action.EXPORT_READS,
        Action.REQUEST_EVIDENCE_HOLD,
        Action.APPROVE_EVIDENCE_HOLD,
        Action.EXPORT_EVIDENCE,
        Action.FULFIL_RELEASE,
    }
)

_D, _I, _S, _C, _A = (
    Role.DISPATCHER,
    Role.INVESTIGATOR,
    Role.SUPERVISOR,
    Role.COMMANDER,
    Role.ADMINISTRATOR,
)

#: The permission table: which roles may perform each action. Nothing else grants one.
PERMISSIONS: dict[Action, frozenset[Role]] = {
    # Collecting reads is not looking at them: no training record needed (not a data
    # action); the administrator runs the headless node, the live page runs it too.
    Action.RUN_RECOGNITION: frozenset({_A, _D, _S}),
    Action.VIEW_LIVE: frozenset({_D, _S}),
    Action.REVIEW_ALERT: frozenset({_D, _S}),
    Action.SEARCH_READS: frozenset({_I, _S}),
    Action.CANVASS: frozenset({_I, _S}),
    Action.OPEN_READ: frozenset({_I, _S}),
    Action.VIEW_MAP: frozenset({_I, _S}),
    Action.EXPORT_READS: frozenset({_I}),
    Action.REQUEST_EVIDENCE_HOLD: frozenset({_I}),
    Action.APPROVE_EVIDENCE_HOLD: frozenset({_S}),
    Action.EXPORT_EVIDENCE: frozenset({_I, _S}),
    Action.CREATE_RELEASE_REQUEST: frozenset({_I, _S, _C}),
    Action.DECIDE_RELEASE_REQUEST: frozenset({_C}),
    Action.FULFIL_RELEASE: frozenset({_C}),
    Action.VIEW_RELEASES: frozenset({_S, _C}),
    Action.VIEW_AUDIT: frozenset({_S, _C}),
    Action.VERIFY_AUDIT: frozenset({_S, _C, _A}),
    Action.RUN_AUDIT_REPORT: frozenset({_S, _C}),
    Action.VIEW_COMPLIANCE: frozenset({_S, _C, _A}),
    Action.MANAGE_AUDIT_KEYS: frozenset({_C, _A}),
    Action.VIEW_USERS: frozenset({_S, _C, _A}),
    Action.MANAGE_USERS: frozenset({_A}),
    Action.ACTIVATE_USERS: frozenset({_S, _A}),
    Action.MANAGE_TRAINING: frozenset({_A}),
    Action.MANAGE_CAMERAS: frozenset({_A}),
    Action.MANAGE_HOTLISTS: frozenset({_A}),
    Action.MANAGE_SETTINGS: frozenset({_A}),
    Action.SET_RETENTION: frozenset({_C}),
    Action.RUN_PURGE: frozenset({_A}),
    Action.NAME_DESIGNEE: frozenset({_C}),
}

assert set(PERMISSIONS) == set(Action), "every action needs a row in PERMISSIONS"

#: Roles that may activate accounts: the second person of the two-person rules.
APPROVER_ROLES: frozenset[Role] = PERMISSIONS[Action.ACTIVATE_USERS]


def is_permitted(roles: Iterable[Role | str], action: Action) -> bool:
    """Whether any of ``roles`` grants ``action`` under the permission table."""
    allowed = PERMISSIONS[action]
    return any(Role(role) in allowed for role in roles)


def parse_roles(values: Iterable[str]) -> frozenset[Role]:
    """Parse role names, raising ``ValueError`` naming the first unknown one."""
    out: set[Role] = set()
    for value in values:
        try:
            out.add(Role(value.strip().lower()))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise ValueError(f"unknown role {value!r}; known roles: {known}") from None
    return frozenset(out)
