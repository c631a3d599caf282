"""The service set built by the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alpr_desktop.services.alert_matcher import AlertMatcher
from alpr_desktop.services.alerts import AlertService
from alpr_desktop.services.audit import AuditService
from alpr_desktop.services.audit_checkpoints import CheckpointService, default_key_path
from alpr_desktop.services.audit_query import AuditQueryService
from alpr_desktop.services.audit_report import AuditReportService
from alpr_desktop.services.auth import AuthService
from alpr_desktop.services.base import ServiceContext
from alpr_desktop.services.cameras import CameraService
from alpr_desktop.services.compliance import ComplianceService
from alpr_desktop.services.evidence import EvidenceService
from alpr_desktop.services.hotlists import HotlistService
from alpr_desktop.services.ingest import IngestService
from alpr_desktop.services.live import LiveService
from alpr_desktop.services.maintenance import MaintenanceService
from alpr_desktop.services.maps import MapService
from alpr_desktop.services.policy import PolicyService
from alpr_desktop.services.releases import ReleaseService
from alpr_desktop.services.reminders import ReminderService
from alpr_desktop.services.retention import RetentionService
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
    audit_query: AuditQueryService
    policy: PolicyService
    compliance: ComplianceService
    checkpoints: CheckpointService
    audit_reports: AuditReportService
    retention: RetentionService
    evidence: EvidenceService
    maintenance: MaintenanceService
    reminders: ReminderService
    releases: ReleaseService
    maps: MapService

    @classmethod
    def build(
        cls,
        ctx: ServiceContext,
        *,
        spool_dir: Path | None = None,
        signing_key: Path | None = None,
        tiles_file: Path | None = None,
    ) -> Services:
        """Build every service; ``spool_dir`` is the data directory (ingest's local spool).

        ``signing_key``: the access-trail checkpoint key file (default: in ``spool_dir``);
        ``tiles_file``: the workstation's MBTiles file for its maps (default: none).
        """
        audit = AuditService(ctx)
        matcher = AlertMatcher(ctx)
        policy = PolicyService(ctx, data_dir=spool_dir)
        users = UserService(ctx, audit)
        retention = RetentionService(ctx, audit)
        search = SearchService(ctx, audit)
        return cls(
            ctx=ctx,
            auth=AuthService(ctx),
            audit=audit,
            users=users,
            settings=SettingsService(ctx, audit),
            cameras=CameraService(ctx, audit),
            hotlists=HotlistService(ctx, audit),
            ingest=IngestService(ctx, spool_dir=spool_dir, matcher=matcher),
            live=LiveService(ctx, audit),
            alerts=AlertService(ctx, audit),
            search=search,
            matcher=matcher,
            audit_query=AuditQueryService(ctx, audit),
            policy=policy,
            compliance=ComplianceService(ctx, audit, policy),
            checkpoints=CheckpointService(
                ctx, audit, key_path=signing_key or default_key_path(spool_dir)
            ),
            audit_reports=AuditReportService(ctx, audit),
            retention=retention,
            evidence=EvidenceService(ctx, audit),
            maintenance=MaintenanceService(ctx, retention, users),
            reminders=ReminderService(ctx),
            releases=ReleaseService(ctx, audit, search),
            maps=MapService(ctx, audit, search, tiles_file=tiles_file),
        )
