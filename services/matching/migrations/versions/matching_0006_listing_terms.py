"""A listing's terms (said in every match) and price (said once every side accepted).

Revision ID: matching_0006
Revises: matching_0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0006"
down_revision: str | Sequence[str] | None = "matching_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("indexed_listing", sa.Column("terms", sa.String(), nullable=True))
    op.add_column("indexed_listing", sa.Column("price", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("indexed_listing", "price")
    op.drop_column("indexed_listing", "terms")
