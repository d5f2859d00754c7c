"""An indexed listing's quantity may be private (56892f8): existing ones are not.

A server default (false) gives existing rows their value; the models set it on new ones.

Revision ID: matching_0002
Revises: matching_0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0002"
down_revision: str | Sequence[str] | None = "matching_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "indexed_listing", sa.Column("quantity_private", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    op.drop_column("indexed_listing", "quantity_private")
