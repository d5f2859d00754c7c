"""Listings' declared legal status, and what each match requires under the law.

Nullable status columns (existing listings declared nothing); `match.obligations` gets a server
default `[]` so matches proposed before the regulatory knowledge base list none.

Revision ID: matching_0003
Revises: matching_0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0003"
down_revision: str | Sequence[str] | None = "matching_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("waste_status", sa.String()), ("abp_category", sa.Integer()), ("organic_farming", sa.Boolean()))


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("indexed_listing", sa.Column(name, kind, nullable=True))
    op.add_column("match", sa.Column("obligations", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    op.drop_column("match", "obligations")
    for name, _kind in reversed(COLUMNS):
        op.drop_column("indexed_listing", name)
