"""The alert tone: the project's chime through Qt Multimedia, or the system beep.

``PySide6.QtMultimedia`` needs the platform's audio libraries (libpulse on Linux); where
they are missing, importing it fails. It is therefore imported on the first tone only,
and any failure falls back to :meth:`QApplication.beep` — an alert is never lost to a
sound problem.
"""

from __future__ import annotations

import logging
from importlib.resources import as_file, files
from typing import Any

from PySide6.QtCore import QObject, QUrl
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

TONE = files("alpr_desktop").joinpath("resources", "sounds", "alert-tone.wav")


class AlertSound(QObject):
    """Plays the alert tone; :attr:`enabled` mutes it (per workstation)."""

    def __init__(self, parent: QObject | None = None, *, enabled: bool = True) -> None:
        super().__init__(parent)
        self.enabled = enabled
        self._effect: Any = None
        self._unavailable = False

    def play(self) -> None:
        """Play the tone (unless muted); beep when Qt Multimedia cannot."""
        if not self.enabled:
            return
        effect = self._player()
        if effect is None or effect.status() == effect.Status.Error:
            self._beep()  # no Qt Multimedia, or no device takes the tone
            return
        effect.play()

    def _beep(self) -> None:
        QApplication.beep()

    def _player(self) -> Any:
        if self._effect is not None or self._unavailable:
            return self._effect
        try:
            from PySide6.QtMultimedia import QSoundEffect

            with as_file(TONE) as path:  # a real file inside an installed package
                url = QUrl.fromLocalFile(str(path))
            effect = QSoundEffect(self)
            effect.setSource(url)
            effect.setVolume(0.8)
        except Exception as exc:  # ImportError, a missing libpulse (OSError), …
            log.warning("alert tone unavailable, using the system beep: %s", exc)
            self._unavailable = True
            return None
        self._effect = effect
        return effect
