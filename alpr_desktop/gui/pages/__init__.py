"""The main window's pages and the registry that decides who sees which.

A page is listed only when its capability has landed; a page needing an
:class:`~alpr_desktop.core.roles.Action` (or any one of a set of actions) appears only
for users whose roles allow it (the services check again on every call).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from alpr_desktop.core.roles import Action
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages.alerts import AlertsPage
from alpr_desktop.gui.pages.audit import AuditPage
from alpr_desktop.gui.pages.audit_report import AuditReportPage
from alpr_desktop.gui.pages.cameras import CamerasPage
from alpr_desktop.gui.pages.canvass import CanvassPage
from alpr_desktop.gui.pages.compliance import CompliancePage
from alpr_desktop.gui.pages.holds import HoldsPage
from alpr_desktop.gui.pages.home import HomePage
from alpr_desktop.gui.pages.hotlists import HotlistsPage
from alpr_desktop.gui.pages.live import LivePage
from alpr_desktop.gui.pages.operations_map import OperationsMapPage
from alpr_desktop.gui.pages.policy import PolicyPage
from alpr_desktop.gui.pages.releases import ReleasesPage
from alpr_desktop.gui.pages.retention import RetentionPage
from alpr_desktop.gui.pages.search import SearchPage
from alpr_desktop.gui.pages.settings import SETTINGS_ACTIONS, SettingsPage
from alpr_desktop.gui.pages.users import UsersPage
from alpr_desktop.services.base import Actor


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    icon: str
    #: None: every user; an action, or a set of which any one will do.
    action: Action | frozenset[Action] | None
    factory: Callable[[GuiContext, Actor], QWidget]

    def allowed(self, actor: Actor) -> bool:
        if self.action is None:
            return True
        if isinstance(self.action, Action):
            return actor.may(self.action)
        return any(actor.may(action) for action in self.action)


PAGES: tuple[PageSpec, ...] = (
    PageSpec("home", "Home", "fa5s.home", None, HomePage),
    PageSpec("live", "Live", "fa5s.broadcast-tower", Action.VIEW_LIVE, LivePage),
    PageSpec("alerts", "Alerts", "fa5s.bell", Action.REVIEW_ALERT, AlertsPage),
    PageSpec("map", "Map", "fa5s.map-marked-alt", Action.REVIEW_ALERT, OperationsMapPage),
    PageSpec("search", "Search", "fa5s.search", Action.SEARCH_READS, SearchPage),
    PageSpec("canvass", "Canvass", "fa5s.bullseye", Action.CANVASS, CanvassPage),
    PageSpec("cameras", "Cameras", "fa5s.video", Action.MANAGE_CAMERAS, CamerasPage),
    PageSpec("hotlists", "Hotlists", "fa5s.list-alt", Action.MANAGE_HOTLISTS, HotlistsPage),
    PageSpec(
        "audit_report",
        "Audit report",
        "fa5s.file-signature",
        Action.RUN_AUDIT_REPORT,
        AuditReportPage,
    ),
    PageSpec("users", "Users", "fa5s.users-cog", Action.VIEW_USERS, UsersPage),
    PageSpec("settings", "Settings", "fa5s.sliders-h", SETTINGS_ACTIONS, SettingsPage),
    PageSpec("audit", "Audit", "fa5s.clipboard-list", Action.VIEW_AUDIT, AuditPage),
    PageSpec(
        "compliance", "Compliance", "fa5s.balance-scale", Action.VIEW_COMPLIANCE, CompliancePage
    ),
    PageSpec(
        "holds",
        "Evidence holds",
        "fa5s.archive",
        frozenset({Action.REQUEST_EVIDENCE_HOLD, Action.APPROVE_EVIDENCE_HOLD}),
        HoldsPage,
    ),
    PageSpec(
        "releases",
        "Releases",
        "fa5s.share-square",
        frozenset(
            {
                Action.CREATE_RELEASE_REQUEST,
                Action.VIEW_RELEASES,
                Action.DECIDE_RELEASE_REQUEST,
            }
        ),
        ReleasesPage,
    ),
    PageSpec(
        "retention", "Retention", "fa5s.hourglass-half", Action.VIEW_COMPLIANCE, RetentionPage
    ),
    PageSpec("policy", "Policy", "fa5s.file-contract", None, PolicyPage),
)


def pages_for(actor: Actor) -> list[PageSpec]:
    return [spec for spec in PAGES if spec.allowed(actor)]
