"""The service set built by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from alpr_desktop.services.audit import AuditService
from alpr_desktop.services.auth import AuthService
from alpr_desktop.services.base import ServiceContext
from alpr_desktop.services.settings_service import SettingsService
from alpr_desktop.services.users import UserService


@dataclass(frozen=True)
class Services:
    ctx: ServiceContext
    auth: AuthService
    audit: AuditService
    users: UserService
    settings: SettingsService

    @classmethod
    def build(cls, ctx: ServiceContext) -> Services:
        audit = AuditService(ctx)
        return cls(
            ctx=ctx,
            auth=AuthService(ctx),
            audit=audit,
            users=UserService(ctx, audit),
            settings=SettingsService(ctx, audit),
        )
