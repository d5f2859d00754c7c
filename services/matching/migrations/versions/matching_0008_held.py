"""Held listings and matches: an imported diagnostic's flows are matched before their organisation confirms, and
their proposals shown to no party until it does.

Revision ID: matching_0008
Revises: matching_0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0008"
down_revision: str | Sequence[str] | None = "matching_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("indexed_listing", sa.Column("held", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("match", sa.Column("held", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("match", "held")
    op.drop_column("indexed_listing", "held")
