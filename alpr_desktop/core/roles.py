"""Roles, actions and the one permission table (requirements "Who uses it").

Every service method names the :class:`Action` it performs and asks
:func:`is_permitted` (through the service layer's ``authorize``) before doing anything.
The GUI hides what a user may not do, but hiding is a courtesy: the check that counts
is the service-layer one.
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
