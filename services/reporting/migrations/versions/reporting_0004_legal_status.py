"""The declared legal status of listings and the obligations of matches, for the animateur's regulatory view.

A nullable status (existing listings declared nothing); `reported_match.obligations` gets a server
default `[]` (matches proposed before the regulatory knowledge base list none).

Revision ID: reporting_0004
Revises: reporting_0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reporting_0004"
down_revision: str | Sequence[str] | None = "reporting_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("known_listing", sa.Column("waste_status", sa.String(), nullable=True))
    op.add_column("reported_match", sa.Column("obligations", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    op.drop_column("reported_match", "obligations")
    op.drop_column("known_listing", "waste_status")
