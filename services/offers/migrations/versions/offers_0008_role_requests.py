"""Role requests: a collectivité's user asks the platform's team for the animateur role.

Revision ID: offers_0008
Revises: offers_0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0008"
down_revision: str | Sequence[str] | None = "offers_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "role_request",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("organisation_id", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_role_request_user_id", "role_request", ["user_id"])
    op.create_index("ix_role_request_organisation_id", "role_request", ["organisation_id"])
    op.create_index("ix_role_request_status", "role_request", ["status"])


def downgrade() -> None:
    op.drop_table("role_request")
