"""the plate dictionary: distinct plate strings and their keys, for patterns trigrams miss

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 18:00:00.000000

See ``alpr_desktop.storage.search_index`` (the DDL lives there, ``create_dictionary``)
and docs/storage.md, "Plate search". The upgrade fills the dictionary from the reads
and alternatives already stored.
"""

from collections.abc import Sequence

from alembic import op

from alpr_desktop.storage import search_index

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    search_index.create_dictionary(op.get_bind())


def downgrade() -> None:
    search_index.drop_dictionary(op.get_bind())
