"""Re-emits the Qt-free change broadcast and message bridge as Qt signals.

Services publish from whatever thread they run on (usually the background worker);
the signals here always reach their receivers on the GUI thread, queued. Each page
connects to :attr:`Bridge.changed` and decides whether the change concerns it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal

from alpr_desktop.messages import ChangeBus, MessageBridge


class Bridge(QObject):
    #: A :class:`~alpr_desktop.messages.Changes` value.
    changed = Signal(object)
    #: A :class:`~alpr_desktop.messages.Message` value.
    message = Signal(object)
    _changes_in = Signal(object)
    _message_in = Signal(object)

    def __init__(
        self, changes: ChangeBus, messages: MessageBridge, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        queued = Qt.ConnectionType.QueuedConnection
        self._changes_in.connect(self.changed, queued)
        self._message_in.connect(self.message, queued)
        self._unsubscribe = [
            changes.subscribe(self._changes_in.emit),
            messages.subscribe(self._message_in.emit),
        ]

    def close(self) -> None:
        """Stop listening to the services (idempotent)."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
