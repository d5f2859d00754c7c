"""Preferences count their changes: an unsubscribe link stops working once its kind changed.

Each preference gains `revision` (0 for the rows already there: links emailed before this revision carry no
revision at all, and are refused as stale by the unsubscribe page).

Revision ID: notifications_0004
Revises: notifications_0003
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notifications_0004"
down_revision: str | Sequence[str] | None = "notifications_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("preference", sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("preference", "revision")
