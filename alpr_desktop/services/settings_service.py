"""Department settings: read by any signed-in user, changed behind specific permissions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from alpr_desktop.core.roles import Action
from alpr_desktop.errors import ValidationError
from alpr_desktop.messages import Changes, Topic
from alpr_desktop.services.audit import AuditService
from alpr_desktop.services.base import Actor, BaseService, ServiceContext, load_department_settings
from alpr_desktop.settings import DepartmentSettings
from alpr_desktop.storage.models import SettingRow

#: Settings whose change needs more than MANAGE_SETTINGS (policy 471.3, 471.5).
SPECIAL_PERMISSIONS = {
    "retention_days": Action.SET_RETENTION,
    "designee_name": Action.NAME_DESIGNEE,
    "designee_title": Action.NAME_DESIGNEE,
}


class SettingsService(BaseService):
    def __init__(self, ctx: ServiceContext, audit: AuditService) -> None:
        super().__init__(ctx)
        self.audit = audit

    def current(self) -> DepartmentSettings:
        """The department settings (policy values, not ALPR data: no permission needed)."""
        with self.ctx.db.sessions() as session:
            return load_department_settings(session)

    def update(self, actor: Actor, **changes: Any) -> DepartmentSettings:
        """Validate and apply ``changes`` all at once, or change nothing."""
        if not changes:
            raise ValidationError("Nothing to change.")
        unknown = sorted(set(changes) - set(DepartmentSettings.model_fields))
        if unknown:
            raise ValidationError(f"Unknown setting(s): {', '.join(unknown)}.")
        actions = {SPECIAL_PERMISSIONS.get(k, Action.MANAGE_SETTINGS) for k in changes}
        if len(actions) > 1:
            raise ValidationError(
                "Change retention, the designee and other settings separately: "
                "each needs a different role."
            )
        (action,) = actions
        with self._work(actor, action, changes=Changes.of(Topic.SETTINGS)) as (session, _me):
            before = load_department_settings(session)
            after = before.updated(**changes)
            old_rows, new_rows = before.to_rows(), after.to_rows()
            existing = {r.key: r for r in session.scalars(select(SettingRow))}
            changed = {
                k: v for k, v in new_rows.items() if old_rows.get(k) != v or k not in existing
            }
            for key, value in changed.items():
                row = existing.get(key)
                if row is None:
                    session.add(SettingRow(key=key, value=value, updated_by_id=actor.user_id))
                else:
                    row.value = value
                    row.updated_at = self.ctx.now()
                    row.updated_by_id = actor.user_id
            self.audit.record_admin(
                session,
                actor,
                "update_settings",
                target_type="settings",
                query={k: {"before": old_rows.get(k), "after": new_rows[k]} for k in changes},
            )
            return after
