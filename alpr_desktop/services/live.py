"""Opening the Live page: watching cameras is an access to ALPR data, recorded first.

A dispatcher (``VIEW_LIVE``, which needs a current training record) opens the page; the
access record names the cameras shown, and only then are the cameras handed over. The
recognition behind the page runs as ``RUN_RECOGNITION`` through
:class:`~alpr_desktop.services.recognition_run.RecognitionRun`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alpr_desktop.core.roles import Action
from alpr_desktop.services.audit import AuditService
from alpr_desktop.services.base import Actor, BaseService, ServiceContext

if TYPE_CHECKING:
    from alpr_desktop.services.recognition_run import CameraPlan
    from alpr_desktop.services.registry import Services


class LiveService(BaseService):
    def __init__(self, ctx: ServiceContext, audit: AuditService) -> None:
        super().__init__(ctx)
        self.audit = audit

    def open_view(self, services: Services, actor: Actor) -> list[CameraPlan]:
        """Record that ``actor`` opened the live view, then the cameras to show.

        Raises:
            PermissionDenied: no ``VIEW_LIVE``, or no current training (recorded).
        """
        from alpr_desktop.services.recognition_run import plans_for_cameras

        # Gathered first (units of work do not nest), handed over only once recorded.
        plans = plans_for_cameras(services, actor)
        with self._work(actor, Action.VIEW_LIVE) as (session, _me):
            self._append(
                session,
                actor,
                category="data",
                action=Action.VIEW_LIVE.value,
                detail="opened the live view",
                query={"cameras": [plan.name for plan in plans]},
            )
        return plans
