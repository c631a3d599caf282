"""Department settings: read by any signed-in user, changed behind specific permissions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from alpr_desktop.core.roles import Action
from alpr_desktop.errors import ValidationError
from alpr_desktop.messages import Changes, Topic
from alpr_desktop.services.audit import AuditService
from alpr_desktop.services.base import Actor, BaseService, ServiceContext, load_department_settings
from alpr_desktop.services.fields import clean_text, column_length
from alpr_desktop.services.passwords import check_argon2_strength
from alpr_desktop.settings import DepartmentSettings
from alpr_desktop.storage.models import AccessRecord, Alert, SettingRow

#: Settings whose change needs more than MANAGE_SETTINGS (policy 471.3, 471.5).
SPECIAL_PERMISSIONS = {
    "retention_days": Action.SET_RETENTION,
    "designee_name": Action.NAME_DESIGNEE,
    "designee_title": Action.NAME_DESIGNEE,
    # The checkpoint keys vouch for the trail: only who may manage them changes them.
    "audit_checkpoint_public_key": Action.MANAGE_AUDIT_KEYS,
    "audit_checkpoint_retired_keys": Action.MANAGE_AUDIT_KEYS,
    "audit_checkpoint_every_hours": Action.MANAGE_AUDIT_KEYS,
    "audit_checkpoint_every_records": Action.MANAGE_AUDIT_KEYS,
}

#: Text settings: what each is called in a refusal, and its longest length. A purpose
#: and a disposition reason are copied into columns of their own, whose length counts.
_TEXT_SETTINGS: dict[str, tuple[str, int]] = {
    "agency_name": ("the agency name", 200),
    "designee_name": ("the designee's name", 200),
    "designee_title": ("the designee's title", 200),
    "tile_url": ("the map tile server", 1000),
    "tile_attribution": ("the map tiles' attribution", 500),
    "purposes": ("each access purpose", column_length(AccessRecord.purpose)),
    "disposition_reasons": ("each disposition reason", column_length(Alert.disposition_reason)),
}


def check_setting_values(changes: dict[str, Any]) -> None:
    """Refuse a text setting (or list entry) with control characters or over its length."""
    for key, (label, limit) in _TEXT_SETTINGS.items():
        if key in changes:
            value = changes[key]
            for item in value if isinstance(value, list | tuple) else [value]:
                if isinstance(item, str):
                    clean_text(item, label, limit)


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
        check_setting_values(changes)
        with self._work(actor, action, changes=Changes.of(Topic.SETTINGS)) as (session, _me):
            before = load_department_settings(session)
            after = before.updated(**changes)
            if "argon2" in changes and after.argon2 != before.argon2:
                # A department may keep an older, weaker value it already has.
                check_argon2_strength(after.argon2)
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
