"""« En échange de… »: the listing of the same organisation a listing swaps against (issue 21, point 4).

Revision ID: offers_0016
Revises: offers_0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0016"
down_revision: str | Sequence[str] | None = "offers_0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("listing", sa.Column("counterpart_id", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("listing") as batch:
        batch.drop_column("counterpart_id")
