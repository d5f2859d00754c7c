"""Indexed listings' qualities: temperature, pressure, purity, moisture.

Nullable columns: listings indexed before stated none.

Revision ID: matching_0004
Revises: matching_0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0004"
down_revision: str | Sequence[str] | None = "matching_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("temperature_c", "pressure_bar", "purity_percent", "moisture_percent")


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("indexed_listing", sa.Column(name, sa.Float(), nullable=True))


def downgrade() -> None:
    for name in reversed(COLUMNS):
        op.drop_column("indexed_listing", name)
