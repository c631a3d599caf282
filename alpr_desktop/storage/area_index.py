"""The area index: reads keyed by map cell and time, for canvass and area filters.

``ix_plate_reads_cell_time`` is an index on an *expression* of ``plate_reads``' own
columns — the read's cell (:mod:`alpr_desktop.core.geocell`) — and ``read_at``. No column
is added: the index computes the cell on insert (so every way a read is stored keeps
it, and deleting a read removes its entry), and a query that writes the same expression
(:func:`cell_expression`) is answered from it: ``cell IN (the area's cells) AND read_at
BETWEEN …`` is one index seek per cell. The expression differs by database only in how
it truncates (``CAST(… AS INTEGER)`` on SQLite; ``trunc`` on PostgreSQL, whose cast to
an integer would round), and both equal :func:`~alpr_desktop.core.geocell.cell_of`. A
read without a position has no cell (NULL) and is never found by area.

The index is not a model's: :func:`include_object` keeps it out of Alembic's comparison
of the models with the database. Created by migration 0011 (its own copy of the DDL).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import literal_column
from sqlalchemy.sql.elements import ColumnElement

from alpr_desktop.core.geocell import CELL_DEGREES, COLUMNS

INDEX = "ix_plate_reads_cell_time"

_SQL = {
    "sqlite": (
        f"(CAST((plate_reads.latitude + 90.0) / {CELL_DEGREES} AS INTEGER) * {COLUMNS}"
        f" + CAST((plate_reads.longitude + 180.0) / {CELL_DEGREES} AS INTEGER))"
    ),
    "postgresql": (
        f"(trunc((plate_reads.latitude + 90.0) / {CELL_DEGREES})::bigint * {COLUMNS}"
        f" + trunc((plate_reads.longitude + 180.0) / {CELL_DEGREES})::bigint)"
    ),
}


def cell_sql(dialect: str, table: str = "plate_reads") -> str:
    """The cell expression as SQL text, its columns qualified by ``table`` (for an
    index, the bare column names: ``table=""``)."""
    sql = _SQL["postgresql" if dialect == "postgresql" else "sqlite"]
    return sql.replace("plate_reads.", f"{table}." if table else "")


def cell_expression(dialect: str) -> ColumnElement[Any]:
    """The read's cell, as the index computes it: use it in a query to be answered from
    the index (the planner matches the expression as written)."""
    return literal_column(cell_sql(dialect))


def include_object(
    _object: Any, name: str | None, type_: str, _reflected: bool, _compare_to: Any
) -> bool:
    """Alembic ``include_object`` hook: leave the area index out of comparisons."""
    return not (type_ == "index" and name == INDEX)
