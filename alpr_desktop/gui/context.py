"""What every window, page and dialog of one GUI session shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from alpr_desktop.app import Application
from alpr_desktop.gui.background import Background
from alpr_desktop.gui.bridge import Bridge
from alpr_desktop.gui.theme import ThemeManager
from alpr_desktop.services.registry import Services

if TYPE_CHECKING:
    from alpr_desktop.demo_history import HistoryProgress
    from alpr_desktop.gui.maintenance import MaintenanceScheduler


@dataclass
class GuiContext:
    """The opened application plus the GUI helpers built around it.

    Attributes:
        idle_lock_ms: Overrides the department's ``idle_lock_minutes`` (tests use a few
            hundred milliseconds); ``None`` uses the department setting.
        demo_history: The demo's history seeding, while ``--demo`` runs one (the main
            window's status bar shows it); ``None`` otherwise.
        maintenance: The scheduled purge and inactivity job of this process (gui/main.py
            starts it); ``None`` when nothing schedules it (tests, a page shown alone).
    """

    application: Application
    background: Background
    bridge: Bridge
    theme: ThemeManager
    idle_lock_ms: int | None = None
    demo_history: HistoryProgress | None = None
    maintenance: MaintenanceScheduler | None = None

    @classmethod
    def build(
        cls,
        application: Application,
        theme: ThemeManager,
        *,
        idle_lock_ms: int | None = None,
        background: Background | None = None,
    ) -> GuiContext:
        """The context for ``application``; ``background`` reuses a running worker."""
        ctx = application.services.ctx
        return cls(
            application,
            background or Background(),
            Bridge(ctx.changes, ctx.messages),
            theme,
            idle_lock_ms=idle_lock_ms,
        )

    @property
    def services(self) -> Services:
        return self.application.services

    def close(self) -> None:
        """Stop listening to the services and shut the worker down (idempotent)."""
        self.bridge.close()
        self.background.shutdown()
