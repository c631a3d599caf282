"""The typed settings schema.

Two kinds of settings:

* :class:`LocalConfig` — this workstation only (database URL, data directory, theme),
  kept as JSON in the user's config directory (platformdirs).
* :class:`DepartmentSettings` — department-wide policy values (lockout, retention,
  purposes, …), kept in the database's ``settings`` table so every workstation sharing
  a PostgreSQL database enforces the same policy.

Both are validated pydantic models: a bad value is refused with a message naming it.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic import ValidationError as PydanticValidationError

from alpr_desktop.core.purposes import DEFAULT_PURPOSES
from alpr_desktop.errors import ConfigurationError, ValidationError

APP_NAME = "alpr-desktop"
CONFIG_FILE = "config.json"

#: The least retention without a recorded confirmation (471.5; Gov. Code 34090.6).
MIN_RETENTION_DAYS = 365
#: Validation-context key: a retention period under the floor that is confirmed.
_CONFIRMED_RETENTION = "confirmed_retention_days"


@dataclass(frozen=True)
class FormFloor:
    """The lower bound (``ge``) a settings form offers where the schema allows less.

    Pydantic ignores it; the settings page reads ``ge`` from a field's metadata, so the
    general form keeps 365 days while a shorter, confirmed period goes through the
    retention service.
    """

    ge: int


DEFAULT_DISPOSITION_REASONS = (
    "Confirmed through CLETS",
    "Misread",
    "Not the vehicle (state or make differs)",
    "Hotlist entry expired or cleared",
    "Duplicate alert",
    "Other (see notes)",
)


def default_data_dir() -> Path:
    return Path(os.environ.get("ALPR_DATA_DIR") or platformdirs.user_data_dir(APP_NAME))


def default_config_dir() -> Path:
    return Path(os.environ.get("ALPR_CONFIG_DIR") or platformdirs.user_config_dir(APP_NAME))


class LocalConfig(BaseModel):
    """Settings of this workstation."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    database_url: str | None = Field(
        default=None, description="None: embedded SQLite in the data directory"
    )
    data_dir: Path = Field(default_factory=default_data_dir)
    theme: Literal["light", "dark"] = "light"
    alert_sound: bool = Field(
        default=True, description="play the alert tone when a new alert arrives (per workstation)"
    )
    workstation_name: str = Field(default_factory=lambda: os.uname().nodename[:120])
    #: The access-trail checkpoint signing key (PEM, mode 0600); None: in the data dir.
    audit_signing_key: Path | None = None
    #: This workstation's own map tiles (an MBTiles file of raster tiles), used by its
    #: maps instead of the department's tile server; None: the department's (or none).
    map_tiles_file: Path | None = None

    @classmethod
    def load(cls, config_dir: Path | None = None) -> LocalConfig:
        path = (config_dir or default_config_dir()) / CONFIG_FILE
        if not path.exists():
            return cls()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls.model_validate(raw)
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigurationError(f"Cannot read the settings file {path}: {exc}") from None
        except PydanticValidationError as exc:
            raise ConfigurationError(
                f"The settings file {path} is invalid: {_first_error(exc)}"
            ) from None

    def save(self, config_dir: Path | None = None) -> None:
        """Write the settings atomically, readable by the owner only.

        The file may hold a database password in ``database_url``: it is written 0600
        (or keeps a narrower mode it already had) in a 0700 directory.
        """
        directory = config_dir or default_config_dir()
        if not directory.exists():
            directory.mkdir(parents=True, mode=0o700)
            directory.chmod(0o700)  # mkdir's mode is filtered by the umask
        target = directory / CONFIG_FILE
        mode = 0o600
        if target.exists():
            mode = (stat.S_IMODE(target.stat().st_mode) & 0o600) or 0o600
        tmp = target.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        os.fchmod(fd, mode)  # an old .tmp left by a crash keeps its own mode otherwise
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(self.model_dump_json(indent=2))
        os.replace(tmp, target)  # atomic: a crash never leaves half a file


class Argon2Parameters(BaseModel):
    """Argon2id cost parameters; changing them rehashes each password at its next login.

    The bounds here only keep values sane; the settings service also refuses a change
    below OWASP's minimum pairs (``services.passwords.check_argon2_strength``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    time_cost: int = Field(default=3, ge=1, le=20)
    memory_cost_kib: int = Field(default=65536, ge=7168, le=2_097_152)
    parallelism: int = Field(default=2, ge=1, le=16)


class DepartmentSettings(BaseModel):
    """Department-wide policy settings, stored in the database."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    agency_name: str = Field(default="Police Department", min_length=1, max_length=200)
    password_min_length: int = Field(default=12, ge=12, le=128)
    lockout_threshold: int = Field(default=5, ge=1, le=100)
    lockout_window_minutes: int = Field(default=15, ge=1, le=1440)
    lockout_duration_minutes: int = Field(default=15, ge=1, le=10080)
    inactivity_suspend_days: int = Field(default=90, ge=1, le=3650)
    training_validity_days: int = Field(default=730, ge=1, le=3650)
    idle_lock_minutes: int = Field(default=10, ge=1, le=240)
    #: Under MIN_RETENTION_DAYS only through the retention service's confirmation
    #: (:meth:`with_retention`); a stored shorter value, once confirmed, loads as is.
    #: The general settings form offers MIN_RETENTION_DAYS as its floor (FormFloor).
    retention_days: Annotated[int, FormFloor(MIN_RETENTION_DAYS)] = Field(
        default=MIN_RETENTION_DAYS, ge=1, le=3650
    )
    purposes: list[str] = Field(default_factory=lambda: list(DEFAULT_PURPOSES), min_length=1)
    disposition_reasons: list[str] = Field(
        default_factory=lambda: list(DEFAULT_DISPOSITION_REASONS), min_length=1
    )
    designee_name: str = ""
    designee_title: str = ""
    #: The department's own tile server ("" = none: maps show a coordinate grid and
    #: need no network) and the attribution its tiles require.
    tile_url: str = ""
    tile_attribution: str = ""
    argon2: Argon2Parameters = Field(default_factory=Argon2Parameters)
    #: Separation of duties: may a supervisor suspend an administrator (docs/accounts.md)?
    supervisors_may_suspend_administrators: bool = False
    #: Signed checkpoints of the access trail (services/audit_checkpoints.py): the
    #: department's Ed25519 public key (base64 of its 32 raw bytes; the private key is in
    #: the signing workstation's key store, never in the database), keys it replaced
    #: (still accepted for the checkpoints they signed), and when a workstation signs one
    #: by itself: this many hours after the last, or this many records (0: never).
    audit_checkpoint_public_key: str = ""
    audit_checkpoint_retired_keys: list[str] = Field(default_factory=list)
    audit_checkpoint_every_hours: int = Field(default=24, ge=0, le=8760)
    audit_checkpoint_every_records: int = Field(default=10_000, ge=0, le=100_000_000)
    #: The audit report's after-hours window, in whole local hours: an access at or after
    #: ``after_hours_start`` or before ``after_hours_end`` (equal: no after-hours window).
    after_hours_start: int = Field(default=19, ge=0, le=23)
    after_hours_end: int = Field(default=7, ge=0, le=23)
    #: The department's time zone (IANA name): audit-report days and hours are its own.
    local_time_zone: str = Field(default="America/Los_Angeles", min_length=1, max_length=64)

    @field_validator("tile_url")
    @classmethod
    def _tile_template(cls, value: str) -> str:
        if value and (
            not value.startswith(("https://", "http://"))
            or not all(part in value for part in ("{z}", "{x}", "{y}"))
        ):
            raise ValueError("a tile server is an http(s) URL template with {z}, {x} and {y}")
        if any(mark in value for mark in ("{{", "{%", "{#", "'", '"', "<", ">")):
            raise ValueError("a tile server URL holds no quotes, angle brackets or {{ {% {#")
        return value

    @field_validator("local_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from alpr_desktop.core.local_time import check_zone

        check_zone(value)
        return value

    @field_validator("audit_checkpoint_public_key", "audit_checkpoint_retired_keys")
    @classmethod
    def _checkpoint_keys(cls, value: str | list[str]) -> str | list[str]:
        import base64
        import binascii

        for key in [value] if isinstance(value, str) else value:
            try:
                raw = base64.b64decode(key, validate=True) if key else b"\0" * 32
            except (binascii.Error, ValueError):
                raw = b""
            if len(raw) != 32:
                raise ValueError("an Ed25519 public key is the base64 of 32 bytes")
        return value

    @field_validator("retention_days")
    @classmethod
    def _retention_floor(cls, value: int, info: ValidationInfo) -> int:
        confirmed = (info.context or {}).get(_CONFIRMED_RETENTION)
        if value < MIN_RETENTION_DAYS and value != confirmed:
            raise ValueError(
                f"under {MIN_RETENTION_DAYS} days (policy 471.5) only with a commander's "
                "explicit confirmation and a reason (the retention setting)"
            )
        return value

    @field_validator("purposes", "disposition_reasons")
    @classmethod
    def _clean_list(cls, value: list[str]) -> list[str]:
        cleaned = [v.strip() for v in value if v.strip()]
        if not cleaned:
            raise ValueError("needs at least one non-empty entry")
        if len({v.casefold() for v in cleaned}) != len(cleaned):
            raise ValueError("entries must be unique")
        return cleaned

    @classmethod
    def from_rows(cls, rows: dict[str, str]) -> DepartmentSettings:
        """Build from ``settings`` table rows (key -> JSON text); unknown keys are ignored."""
        data: dict[str, Any] = {}
        for key, text in rows.items():
            if key in cls.model_fields:
                data[key] = json.loads(text)
        # A stored period was confirmed when it was set.
        context = {_CONFIRMED_RETENTION: data.get("retention_days")}
        return cls.model_validate(data, context=context)

    def to_rows(self) -> dict[str, str]:
        return {k: json.dumps(v, sort_keys=True) for k, v in self.model_dump(mode="json").items()}

    def updated(self, **changes: Any) -> DepartmentSettings:
        """A validated copy with ``changes`` applied, or :class:`ValidationError`."""
        try:
            # Keeping the current period needs no new confirmation; a new short one does.
            context = {_CONFIRMED_RETENTION: self.retention_days}
            return DepartmentSettings.model_validate(
                {**self.model_dump(), **changes}, context=context
            )
        except PydanticValidationError as exc:
            raise ValidationError(f"Invalid setting: {_first_error(exc)}") from None

    def with_retention(self, days: int, *, confirmed: bool) -> DepartmentSettings:
        """A copy with retention ``days``; under the floor only when ``confirmed`` (the
        retention service checks the confirmation and the reason, and records them)."""
        try:
            context = {_CONFIRMED_RETENTION: days if confirmed else self.retention_days}
            return DepartmentSettings.model_validate(
                {**self.model_dump(), "retention_days": days}, context=context
            )
        except PydanticValidationError as exc:
            raise ValidationError(f"Invalid setting: {_first_error(exc)}") from None


def _first_error(exc: PydanticValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "value"
    return f"{where}: {err['msg']}"
