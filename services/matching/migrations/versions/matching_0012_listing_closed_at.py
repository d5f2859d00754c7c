"""When an indexed listing was withdrawn, expired or paused: what it said is forgotten 90 days later (RGPD).

Revision ID: matching_0012
Revises: matching_0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0012"
down_revision: str | Sequence[str] | None = "matching_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("indexed_listing", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("indexed_listing") as batch:
        batch.drop_column("closed_at")
