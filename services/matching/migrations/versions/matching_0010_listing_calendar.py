"""When a listing is available or wanted: days of the week and months (« tue,wed », « 6,7,8 »; null: any).

Revision ID: matching_0010
Revises: matching_0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0010"
down_revision: str | Sequence[str] | None = "matching_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("indexed_listing", sa.Column("days", sa.String(), nullable=True))
    op.add_column("indexed_listing", sa.Column("months", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("indexed_listing", "months")
    op.drop_column("indexed_listing", "days")
