"""An organisation is confirmed when one of its users confirms an address (or when it is registered through the
API, its token in hand): until then the animateur does not count it among the territory's actors.

Revision ID: offers_0009
Revises: offers_0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0009"
down_revision: str | Sequence[str] | None = "offers_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("organisation", sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
    # Registered through the API (no user): confirmed when registered; else when its first user confirmed.
    op.execute(
        "UPDATE organisation SET confirmed_at = CASE"
        " WHEN NOT EXISTS (SELECT 1 FROM user_account u WHERE u.organisation_id = organisation.id)"
        " THEN created_at"
        " ELSE (SELECT MIN(u.confirmed_at) FROM user_account u WHERE u.organisation_id = organisation.id) END"
    )


def downgrade() -> None:
    op.drop_column("organisation", "confirmed_at")
