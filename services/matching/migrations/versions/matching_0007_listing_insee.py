"""The INSEE code of a listing's commune: the explore page places it on its map at the commune, never closer.

Listings indexed before have none until their next revision (or a replay of the listings topic): the page lists
them without a dot.

Revision ID: matching_0007
Revises: matching_0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0007"
down_revision: str | Sequence[str] | None = "matching_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("indexed_listing", sa.Column("insee", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("indexed_listing", "insee")
