"""Start-up checks of the access trail's defences, recorded in the trail itself.

:func:`run_startup_checks` is called once by the composition root. It puts back the
SQLite append-only triggers when someone dropped them (and records that, with the names,
so an auditor sees the gap during which records could have been rewritten — the hash
chain shows whether any were), and warns when the PostgreSQL role could switch the
trail's protection off. The warnings are logged and returned for the GUI to show.
"""

from __future__ import annotations

import logging

from alpr_desktop.services.audit import append_record
from alpr_desktop.services.base import SYSTEM_USERNAME, ServiceContext
from alpr_desktop.storage.safeguards import (
    missing_trail_triggers,
    privilege_warnings,
    restore_trail_triggers,
)

log = logging.getLogger(__name__)

__all__ = ["SYSTEM_USERNAME", "run_startup_checks"]


def run_startup_checks(ctx: ServiceContext) -> tuple[str, ...]:
    """Restore missing SQLite trail triggers (recorded) and list privilege warnings."""
    warnings = list(privilege_warnings(ctx.db.engine))
    if ctx.db.backend == "sqlite":
        restored = _restore_sqlite_triggers(ctx)
        if restored:
            warnings.append(
                "The access trail's append-only triggers were missing from the database "
                f"({', '.join(restored)}); they have been restored and the event recorded. "
                "Verify the access trail."
            )
    for warning in warnings:
        log.warning("%s", warning)
    return tuple(warnings)


def _restore_sqlite_triggers(ctx: ServiceContext) -> list[str]:
    with ctx.db.sessions.begin() as session:
        conn = session.connection()
        missing = missing_trail_triggers(conn)
        if missing:
            restore_trail_triggers(conn, missing)
            append_record(
                session,
                now=ctx.now(),
                username=SYSTEM_USERNAME,
                workstation=ctx.workstation,
                category="admin",
                action="trail_triggers_restored",
                outcome="failed",
                detail="Missing at start-up and restored: " + ", ".join(missing),
            )
    return missing
