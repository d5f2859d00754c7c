"""A listing's declared legal status: waste status, animal by-product category, organic farming.

Nullable columns: existing listings declared nothing.

Revision ID: offers_0005
Revises: offers_0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0005"
down_revision: str | Sequence[str] | None = "offers_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("waste_status", sa.String()), ("abp_category", sa.Integer()), ("organic_farming", sa.Boolean()))


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("listing", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    for name, _kind in reversed(COLUMNS):
        op.drop_column("listing", name)
