"""The access log (6fa4d0c): who read an organisation's records beyond the anonymised view.

A new table; nothing to carry over.

Revision ID: reporting_0003
Revises: reporting_0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reporting_0003"
down_revision: str | Sequence[str] | None = "reporting_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner_organisation_id", sa.String(), nullable=False),
        sa.Column("reader_organisation_id", sa.String(), nullable=False),
        sa.Column("reader_name", sa.String(), nullable=False),
        sa.Column("reader_user_id", sa.String(), nullable=True),
        sa.Column("what", sa.String(), nullable=False),
        sa.Column("territory_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_access_log_at", "access_log", ["at"])
    op.create_index("ix_access_log_owner_organisation_id", "access_log", ["owner_organisation_id"])


def downgrade() -> None:
    op.drop_table("access_log")
