"""What benchmarks share: a scratch PostgreSQL database (created next to a maintenance
URL, dropped with its connections afterwards) and a trained, signed-in user."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def scratch_database(maintenance_url: str, prefix: str) -> Iterator[str]:
    """The URL of a new empty database named ``<prefix>_<random>``; dropped on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(maintenance_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        target = make_url(maintenance_url).set(drivername="postgresql+psycopg", database=name)
        yield target.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


ADMIN_PASSWORD = "quiet-harbour-lantern-5678"
USER_PASSWORD = "amber-canyon-violet-2468"


def trained_user(app, username: str, role):  # type: ignore[no-untyped-def]
    """The first administrator, then ``username`` with ``role``, activated, trained
    today and signed in with a chosen password; its actor."""
    services = app.services
    admin = services.auth.create_first_administrator(
        username="admin", full_name="Bench Admin", password=ADMIN_PASSWORD
    )
    view = services.users.create_user(
        admin, username=username, full_name=f"Bench {role.label}", roles=[role],
        temporary_password="temporary-pass-0001", organisation="Bench PD",
    )  # fmt: skip
    services.users.activate(admin, view.id)
    services.users.add_training(admin, view.id, course="ALPR", completed_on=dt.date.today())
    login = services.auth.login(username, "temporary-pass-0001")
    services.auth.change_password(login.actor, "temporary-pass-0001", USER_PASSWORD)
    return services.auth.login(username, USER_PASSWORD).actor
