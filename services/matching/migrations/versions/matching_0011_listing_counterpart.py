"""« En échange de… »: the listing of the same organisation an indexed listing swaps against (null: none).

Revision ID: matching_0011
Revises: matching_0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0011"
down_revision: str | Sequence[str] | None = "matching_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("indexed_listing", sa.Column("counterpart_id", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("indexed_listing") as batch:
        batch.drop_column("counterpart_id")
