"""The change broadcast and the message bridge — Qt-free, so services can use them.

Services never import widgets. They report what they changed by publishing a
:class:`Changes` value on the :class:`ChangeBus`, and report status or problems through
the :class:`MessageBridge`. The GUI subscribes to both and re-emits on the GUI thread.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)


class Topic(enum.StrEnum):
    USERS = "users"
    TRAINING = "training"
    SETTINGS = "settings"
    AUDIT = "audit"
    CAMERAS = "cameras"
    READS = "reads"
    HOTLISTS = "hotlists"
    ALERTS = "alerts"
    RELEASES = "releases"
    HOLDS = "holds"


@dataclass(frozen=True)
class Changes:
    """What one operation changed; each view decides whether it needs to refresh."""

    topics: frozenset[Topic]

    @classmethod
    def of(cls, *topics: Topic) -> Changes:
        return cls(frozenset(topics))

    def touches(self, *topics: Topic) -> bool:
        return bool(self.topics.intersection(topics))


T = TypeVar("T")


class _Subscribers(Generic[T]):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[T], None]] = []

    def subscribe(self, callback: Callable[[T], None]) -> Callable[[], None]:
        """Register ``callback``; returns a function that unsubscribes it."""
        with self._lock:
            self._callbacks.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return unsubscribe

    def _emit(self, value: T) -> None:
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback(value)
            except Exception:  # a broken view must not break the service that published
                log.exception("subscriber failed")


class ChangeBus(_Subscribers[Changes]):
    """One application-wide broadcast of :class:`Changes`."""

    def publish(self, changes: Changes) -> None:
        if changes.topics:
            self._emit(changes)


class Level(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Message:
    level: Level
    text: str


class MessageBridge(_Subscribers[Message]):
    """Status and error messages from services to whatever UI is listening."""

    def info(self, text: str) -> None:
        self._emit(Message(Level.INFO, text))

    def warning(self, text: str) -> None:
        self._emit(Message(Level.WARNING, text))

    def error(self, text: str) -> None:
        self._emit(Message(Level.ERROR, text))
