"""Synergy reminders: one per quiet spell (a synergy that has not moved for weeks), never twice.

Revision ID: reporting_0006
Revises: reporting_0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reporting_0006"
down_revision: str | Sequence[str] | None = "reporting_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "synergy_reminder",
        sa.Column("synergy_id", sa.String(), nullable=False),
        sa.Column("quiet_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("synergy_id", "quiet_since"),
    )


def downgrade() -> None:
    op.drop_table("synergy_reminder")
