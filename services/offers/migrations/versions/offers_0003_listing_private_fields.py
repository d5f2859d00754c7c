"""A listing's private fields (6fa4d0c): kept to its organisation for good; none for existing listings.

The column gets a server default `[]` so existing rows have a value (the models give one to new
rows themselves).

Revision ID: offers_0003
Revises: offers_0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0003"
down_revision: str | Sequence[str] | None = "offers_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("listing", sa.Column("private_fields", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    op.drop_column("listing", "private_fields")
