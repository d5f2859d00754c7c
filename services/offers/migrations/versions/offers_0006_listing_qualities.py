"""A listing's qualities: temperature, pressure, purity, moisture (an offer's, or what a need requires).

Nullable columns: existing listings stated none (their text still may).

Revision ID: offers_0006
Revises: offers_0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0006"
down_revision: str | Sequence[str] | None = "offers_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("temperature_c", "pressure_bar", "purity_percent", "moisture_percent")


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("listing", sa.Column(name, sa.Float(), nullable=True))


def downgrade() -> None:
    for name in reversed(COLUMNS):
        op.drop_column("listing", name)
