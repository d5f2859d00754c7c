"""The typical flows an organisation said it does not have (issue 17, point 3): not offered again.

Revision ID: offers_0012
Revises: offers_0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0012"
down_revision: str | Sequence[str] | None = "offers_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dismissed_suggestion",
        sa.Column("organisation_id", sa.String(), sa.ForeignKey("organisation.id"), primary_key=True),
        sa.Column("ewc_code", sa.String(), primary_key=True),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dismissed_suggestion")
