"""With what a listing's organisation said it would carry (« avec quoi »), for the impact flow form's vehicle.

Revision ID: reporting_0009
Revises: reporting_0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reporting_0009"
down_revision: str | Sequence[str] | None = "reporting_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("known_listing", sa.Column("transport_means", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("known_listing") as batch:
        batch.drop_column("transport_means")
