"""Whether an organisation is confirmed (from `organisation.registered`/`updated`): the territory's actors are
confirmed organisations only.

Revision ID: reporting_0007
Revises: reporting_0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reporting_0007"
down_revision: str | Sequence[str] | None = "reporting_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("known_organisation", sa.Column("confirmed", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    op.drop_column("known_organisation", "confirmed")
