"""When a listing is available or wanted: days of the week and months of the year (empty: any).

Revision ID: offers_0014
Revises: offers_0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0014"
down_revision: str | Sequence[str] | None = "offers_0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("listing", sa.Column("days", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("listing", sa.Column("months", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    op.drop_column("listing", "months")
    op.drop_column("listing", "days")
