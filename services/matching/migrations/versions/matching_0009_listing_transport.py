"""Who carries a listing's goods and with what: said in every match.

Revision ID: matching_0009
Revises: matching_0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0009"
down_revision: str | Sequence[str] | None = "matching_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("indexed_listing", sa.Column("transport_by", sa.String(), nullable=True))
    op.add_column("indexed_listing", sa.Column("transport_means", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("indexed_listing", "transport_means")
    op.drop_column("indexed_listing", "transport_by")
