"""Database objects that are DDL of their own rather than models.

The search index (:mod:`.search_index`), the audit viewer's query index
(:mod:`.audit_index`) and the reads' area index (:mod:`.area_index`) are created by
their migrations' own DDL; Alembic's comparison of the models with a database leaves
them out (:func:`include_object`).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

from alpr_desktop.storage import area_index, audit_index, search_index


def include_object(*args: Any) -> bool:
    """Alembic ``include_object`` hook: False for the objects above."""
    return (
        search_index.include_object(*args)
        and audit_index.include_object(*args)
        and area_index.include_object(*args)
    )


@contextlib.contextmanager
def quiet_reflection() -> Iterator[None]:
    """Reflect a database without SQLAlchemy's warning that it skips the area index
    (SQLite's reflection does not read an index on an expression; it is ours anyway)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=f".*expression-based index {area_index.INDEX}")
        yield
