"""Issue 19 items 1, 2, 3 and 9: timing after a cost change, lock duration, concurrent
guessing, password changes counted, and no typed secret stored in clear."""

from __future__ import annotations

import statistics
import threading
import time

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from alpr_desktop.app import Application
from alpr_desktop.core.roles import Role
from alpr_desktop.errors import AccountLockedError, AuthenticationError
from alpr_desktop.services.base import Actor
from alpr_desktop.settings import Argon2Parameters
from alpr_desktop.storage.models import AccessRecord, LoginAttempt, User
from tests.conftest import USER_PASSWORD, create_active_user
from tests.integration.test_auth import Clock

#: Dearer than the test fixtures' parameters, so an old hash is clearly cheaper.
STRONGER = Argon2Parameters(time_cost=3, memory_cost_kib=32768, parallelism=1)


def _fail(app: Application, username: str, times: int) -> None:
    for i in range(times):
        with pytest.raises(AuthenticationError):
            app.services.auth.login(username, f"wrong-password-{i:03d}")


def _median_login_time(app: Application, username: str, tries: int) -> float:
    """Median process CPU time of a refused sign-in.

    Argon2 runs in the calling thread, so CPU time measures what the attacker's clock
    sees, without the noise other processes on a busy test machine add to wall time.
    """
    samples = []
    for i in range(tries):
        start = time.process_time()
        with pytest.raises(AuthenticationError):
            app.services.auth.login(username, f"not-the-password-{i:03d}")
        samples.append(time.process_time() - start)
    return statistics.median(samples)


def test_unknown_and_old_hash_users_take_the_same_time(app: Application, admin: Actor) -> None:
    """Item 1: after the cost is raised, an old cheap hash must not reveal the account."""
    create_active_user(app, admin, "old.hash", [Role.DISPATCHER])
    app.services.settings.update(admin, argon2=STRONGER.model_dump(), lockout_threshold=100)
    with app.database.sessions() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "old.hash"))
    assert stored is not None and f"m={STRONGER.memory_cost_kib}" not in stored
    _median_login_time(app, "no.such.user", 1)  # warm-up: the dummy at the new cost
    known, unknown = [], []
    for _ in range(3):  # interleaved, so a change of machine load hits both alike
        known.append(_median_login_time(app, "old.hash", 3))
        unknown.append(_median_login_time(app, "no.such.user", 3))
    a, b = statistics.median(known), statistics.median(unknown)
    assert abs(a - b) / max(a, b) <= 0.30, f"known {a * 1000:.1f} ms, unknown {b * 1000:.1f} ms"


@pytest.fixture
def clock(app: Application) -> Clock:
    c = Clock()
    app.services.ctx.clock = c
    return c


def test_lock_lasts_its_full_duration(app: Application, admin: Actor, clock: Clock) -> None:
    """Item 2: a 60-minute lock holds after the 15-minute window has passed."""
    create_active_user(app, admin, "target.dana", [Role.DISPATCHER])
    app.services.settings.update(admin, lockout_window_minutes=15, lockout_duration_minutes=60)
    clock.advance(seconds=1)
    _fail(app, "target.dana", 5)
    clock.advance(minutes=20)
    with pytest.raises(AccountLockedError):
        app.services.auth.login("target.dana", USER_PASSWORD)
    clock.advance(minutes=39)
    with pytest.raises(AccountLockedError):
        app.services.auth.login("target.dana", USER_PASSWORD)
    clock.advance(minutes=2)
    assert app.services.auth.login("target.dana", USER_PASSWORD).actor.username == "target.dana"


def test_password_reset_lifts_the_lock(app: Application, admin: Actor, clock: Clock) -> None:
    """Item 2: the lock message says to ask an administrator; a reset must lift it."""
    user = create_active_user(app, admin, "locked.ivan", [Role.DISPATCHER])
    app.services.settings.update(admin, lockout_duration_minutes=60)
    clock.advance(seconds=1)
    _fail(app, "locked.ivan", 5)
    with pytest.raises(AccountLockedError):
        app.services.auth.login("locked.ivan", USER_PASSWORD)
    clock.advance(minutes=1)
    app.services.users.reset_password(admin, user.user_id, "temporary-pass-0777")
    try:
        result = app.services.auth.login("locked.ivan", "temporary-pass-0777")
    except AccountLockedError:
        pytest.fail("the password reset did not lift the lock")
    except AuthenticationError as exc:
        # A reset by someone without all the user's roles waits for a second person.
        assert "activated" in str(exc)
    else:
        assert result.must_change_password


def test_concurrent_guesses_verify_at_most_the_threshold(
    app: Application, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 3: 16 simultaneous wrong passwords; at most ``lockout_threshold`` checked."""
    create_active_user(app, admin, "guessed", [Role.DISPATCHER])
    with app.database.sessions() as session:
        target = session.scalar(select(User.password_hash).where(User.username == "guessed"))
    checked: list[str] = []
    real_verify = PasswordHasher.verify

    def counting_verify(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        if hash == target:
            checked.append("x")  # list.append is atomic under the GIL
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    barrier = threading.Barrier(16)
    outcomes: list[BaseException | None] = []

    def guess(i: int) -> None:
        barrier.wait()
        try:
            app.services.auth.login("guessed", f"guess-number-{i:02d}-x")
            outcomes.append(None)
        except AuthenticationError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == 16 and all(isinstance(o, AuthenticationError) for o in outcomes)
    assert len(checked) <= 5, f"{len(checked)} of 16 concurrent guesses were verified"
    with pytest.raises(AccountLockedError):
        app.services.auth.login("guessed", USER_PASSWORD)


def test_failed_password_change_counts_towards_lockout(app: Application, admin: Actor) -> None:
    """Item 9: guessing through Change password is counted and recorded like sign-in."""
    actor = create_active_user(app, admin, "changer", [Role.DISPATCHER])
    for i in range(5):
        with pytest.raises(AuthenticationError):
            app.services.auth.change_password(actor, f"guessed-current-{i}", "a-brand-new-secret-9")
    with pytest.raises(AccountLockedError):
        app.services.auth.login("changer", USER_PASSWORD)
    with app.database.sessions() as session:
        failures = session.scalars(
            select(AccessRecord.action).where(AccessRecord.username == "changer")
        ).all()
        attempts = session.scalar(
            select(LoginAttempt.id).where(
                LoginAttempt.username == "changer", LoginAttempt.succeeded.is_(False)
            )
        )
    assert failures.count("password_change_failed") == 5 and "account_locked" in failures
    assert attempts is not None


def test_password_typed_as_username_is_not_stored(app: Application, admin: Actor) -> None:
    """Item 9: a name matching no account is kept as a keyed hash, never as typed."""
    typed = "Hunter2-Secret-Passphrase!"
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            app.services.auth.login(typed, "whatever-was-typed")
    with pytest.raises(AuthenticationError):
        app.services.auth.login("admin", "not-the-admin-password")
    with app.database.sessions() as session:
        trail = session.scalars(select(AccessRecord)).all()
        attempts = session.scalars(select(LoginAttempt.username)).all()
    needle = "hunter2"
    for record in trail:
        text = " ".join(str(getattr(record, f)) for f in ("username", "query", "detail"))
        assert needle not in text.casefold()
    assert all(needle not in name.casefold() for name in attempts)
    hashed = [name for name in attempts if name.startswith("unknown:")]
    assert len(hashed) == 2 and len(set(hashed)) == 1  # the same name, the same key
    assert "admin" in attempts  # a real account's name stays readable
