"""Long-lived objects are moved out of the garbage collector's sight: a full collection
afterwards walks only what was made since."""

from __future__ import annotations

import gc

from alpr_desktop.heap import freeze_long_lived


def test_freezing_leaves_later_collections_only_the_new_objects() -> None:
    keep = [[i] for i in range(50_000)]  # tracked containers, alive throughout
    freeze_long_lived("test")
    try:
        frozen = gc.get_freeze_count()
        assert frozen >= len(keep)
        assert all(id(x) not in {id(o) for o in gc.get_objects()} for x in keep[:10])
        later = [[i] for i in range(10)]
        tracked = {id(o) for o in gc.get_objects()}
        assert all(id(x) in tracked for x in later)
    finally:
        gc.unfreeze()
