"""Who carries a listing's goods (the giver, the taker, to be agreed) and with what vehicle.

Revision ID: offers_0013
Revises: offers_0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0013"
down_revision: str | Sequence[str] | None = "offers_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("listing", sa.Column("transport_by", sa.String(), nullable=True))
    op.add_column("listing", sa.Column("transport_means", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("listing", "transport_means")
    op.drop_column("listing", "transport_by")
