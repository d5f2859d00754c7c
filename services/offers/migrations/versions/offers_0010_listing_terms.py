"""A listing's terms (free, for sale, negotiable), shown to all, and its price, shown once a match is accepted.

Revision ID: offers_0010
Revises: offers_0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0010"
down_revision: str | Sequence[str] | None = "offers_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("listing", sa.Column("terms", sa.String(), nullable=True))
    op.add_column("listing", sa.Column("price", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("listing", "price")
    op.drop_column("listing", "terms")
