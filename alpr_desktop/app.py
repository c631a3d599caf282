"""The composition root: settings -> engine -> services. Nothing here is global.

The GUI and every command build an :class:`Application` through :func:`open_application`
and hand its parts down explicitly.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from alpr_desktop.services.base import ServiceContext
from alpr_desktop.services.registry import Services
from alpr_desktop.services.startup_checks import run_startup_checks
from alpr_desktop.settings import CONFIG_FILE, LocalConfig, default_config_dir
from alpr_desktop.storage.clock import clock_for
from alpr_desktop.storage.engine import (
    SQLITE_FILE_NAME,
    Database,
    mode_warnings,
    open_database,
    sqlite_url,
)

log = logging.getLogger(__name__)


@dataclass
class Application:
    """An opened database and the services on it, for one process."""

    config: LocalConfig
    database: Database
    services: Services
    demo: bool = False
    #: Start-up warnings about the access trail's defences, for the GUI to show.
    security_warnings: tuple[str, ...] = ()
    _temp_dir: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    def close(self) -> None:
        self.services.ingest.close_all()  # store or spool what recognition still holds
        self.database.dispose()
        if self._temp_dir is not None:
            self._temp_dir.cleanup()
            self._temp_dir = None


def database_url_for(config: LocalConfig) -> str:
    if config.database_url:
        return config.database_url
    return sqlite_url(config.data_dir / SQLITE_FILE_NAME)


def open_application(
    config: LocalConfig, *, demo: bool = False, migrate: bool = True, create: bool = False
) -> Application:
    """Open (and migrate) the database named by ``config`` and build the services.

    Args:
        config: This workstation's settings.
        demo: Use a throw-away SQLite file in a temporary directory that
            :meth:`Application.close` removes (always created).
        migrate: Upgrade the schema to head.
        create: Create the database when it does not exist yet. Only ``init`` and the
            GUI (whose first run sets the database up) pass True; a command that reads a
            database must not leave a new, empty one behind a mistyped path.
    """
    temp_dir = None
    if demo:
        temp_dir = tempfile.TemporaryDirectory(prefix="alpr-demo-")
        config = config.model_copy(
            update={"database_url": sqlite_url(Path(temp_dir.name) / "demo.sqlite3")}
        )
    try:
        database = open_database(database_url_for(config), migrate=migrate, create=create or demo)
    except BaseException:
        if temp_dir is not None:
            temp_dir.cleanup()
        raise
    workstation = config.workstation_name or os.uname().nodename
    ctx = ServiceContext(database, workstation=workstation, clock=clock_for(database.engine))
    warnings = run_startup_checks(ctx) if migrate else ()
    # The workstation's settings may hold a database password (database_url).
    config_dir = default_config_dir()
    config_warnings = mode_warnings([config_dir, config_dir / CONFIG_FILE])
    for warning in config_warnings:
        log.warning("%s", warning)
    warnings = (*warnings, *config_warnings)
    # The ingest spool lives beside the data; a demo's dies with its throw-away database.
    spool_dir = Path(temp_dir.name) if temp_dir is not None else config.data_dir
    services = Services.build(
        ctx,
        spool_dir=spool_dir,
        signing_key=None if demo else config.audit_signing_key,
        tiles_file=config.map_tiles_file,
    )
    return Application(
        config, database, services, demo=demo, _temp_dir=temp_dir, security_warnings=warnings
    )
