"""The main window's pages and the registry that decides who sees which.

A page is listed only when its capability has landed; a page needing an
:class:`~alpr_desktop.core.roles.Action` appears only for users whose roles allow it
(the services check again on every call).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from alpr_desktop.core.roles import Action
from alpr_desktop.gui.context import GuiContext
from alpr_desktop.gui.pages.home import HomePage
from alpr_desktop.gui.pages.users import UsersPage
from alpr_desktop.services.base import Actor


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    icon: str
    action: Action | None
    factory: Callable[[GuiContext, Actor], QWidget]

    def allowed(self, actor: Actor) -> bool:
        return self.action is None or actor.may(self.action)


PAGES: tuple[PageSpec, ...] = (
    PageSpec("home", "Home", "fa5s.home", None, HomePage),
    PageSpec("users", "Users", "fa5s.users-cog", Action.VIEW_USERS, UsersPage),
)


def pages_for(actor: Actor) -> list[PageSpec]:
    return [spec for spec in PAGES if spec.allowed(actor)]
