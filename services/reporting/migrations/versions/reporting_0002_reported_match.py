"""Reporting's match table is `reported_match` (f4e6493), its rows kept.

`known_match` clashed with notifications' table of that name when the suite imports both models.
The table is renamed with its rows (the commit itself let a new, empty table be created).

Revision ID: reporting_0002
Revises: reporting_0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "reporting_0002"
down_revision: str | Sequence[str] | None = "reporting_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.rename_table("known_match", "reported_match")
    op.drop_index("ix_known_match_status", table_name="reported_match")
    op.create_index("ix_reported_match_status", "reported_match", ["status"])
    if op.get_bind().dialect.name == "postgresql":  # the name a new table's key gets
        op.execute("ALTER TABLE reported_match RENAME CONSTRAINT known_match_pkey TO reported_match_pkey")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE reported_match RENAME CONSTRAINT reported_match_pkey TO known_match_pkey")
    op.drop_index("ix_reported_match_status", table_name="reported_match")
    op.create_index("ix_known_match_status", "reported_match", ["status"])
    op.rename_table("reported_match", "known_match")
