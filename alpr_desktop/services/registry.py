"""The service set built by the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alpr_desktop.services.alert_matcher import AlertMatcher
from alpr_desktop.services.alerts import AlertService
from alpr_desktop.services.audit import AuditService
from alpr_desktop.services.auth import AuthService
from alpr_desktop.services.base import ServiceContext
from alpr_desktop.services.cameras import CameraService
from alpr_desktop.services.hotlists import HotlistService
from alpr_desktop.services.ingest import IngestService
from alpr_desktop.services.live import LiveService
from alpr_desktop.services.search import SearchService
from alpr_desktop.services.settings_service import SettingsService
from alpr_desktop.services.users import UserService


@dataclass(frozen=True)
class Services:
    ctx: ServiceContext
    auth: AuthService
    audit: AuditService
    users: UserService
    settings: SettingsService
    cameras: CameraService
    hotlists: HotlistService
    ingest: IngestService
    live: LiveService
    alerts: AlertService
    search: SearchService
    matcher: AlertMatcher

    @classmethod
    def build(cls, ctx: ServiceContext, *, spool_dir: Path | None = None) -> Services:
        """Build every service; ``spool_dir`` is the data directory (ingest's local spool)."""
        audit = AuditService(ctx)
        matcher = AlertMatcher(ctx)
        return cls(
            ctx=ctx,
            auth=AuthService(ctx),
            audit=audit,
            users=UserService(ctx, audit),
            settings=SettingsService(ctx, audit),
            cameras=CameraService(ctx, audit),
            hotlists=HotlistService(ctx, audit),
            ingest=IngestService(ctx, spool_dir=spool_dir, matcher=matcher),
            live=LiveService(ctx, audit),
            alerts=AlertService(ctx, audit),
            search=SearchService(ctx, audit),
            matcher=matcher,
        )
