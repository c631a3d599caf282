"""Keeping the cyclic garbage collector's pauses short in a long-running process.

A full collection walks every object the process holds and keeps the GIL meanwhile, so
every other thread — the GUI thread first — waits: 130 ms in the workstation's process
once its database and window modules are loaded, 364 ms with the plate models (measured
with ``gc.collect()``; ``benchmarks/bench_purge.py --gui`` shows the stalls it causes).
The objects made at start-up (modules, Qt wrappers, the models' weights) live as long as
the process and are never garbage, so once they exist they are moved out of the
collector's sight (:func:`gc.freeze`); later collections walk only what came after.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def freeze_long_lived(reason: str) -> None:
    """Exclude every object alive now from future collections (idempotent, instant)."""
    gc.freeze()
    log.debug("froze %d long-lived objects (%s)", gc.get_freeze_count(), reason)
