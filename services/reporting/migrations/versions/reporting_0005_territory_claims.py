"""Territory claims: a status decided by the rule or a platform admin, the SIRET it is checked against,
and who holds the animateur role now.

Territories declared before this revision keep working (`approved`); organisations learn their SIRET
from their next `organisation.updated`.

Revision ID: reporting_0005
Revises: reporting_0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reporting_0005"
down_revision: str | Sequence[str] | None = "reporting_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("known_organisation", sa.Column("siret", sa.String(), nullable=True))
    op.add_column("territory", sa.Column("status", sa.String(), nullable=False, server_default="approved"))
    op.add_column("territory", sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_territory_status", "territory", ["status"])
    op.create_table(
        "animateur",
        sa.Column("user_id", sa.String(), primary_key=True),
        sa.Column("organisation_id", sa.String(), nullable=False),
    )
    op.create_index("ix_animateur_organisation_id", "animateur", ["organisation_id"])


def downgrade() -> None:
    op.drop_index("ix_animateur_organisation_id", table_name="animateur")
    op.drop_table("animateur")
    op.drop_index("ix_territory_status", table_name="territory")
    op.drop_column("territory", "decided_at")
    op.drop_column("territory", "status")
    op.drop_column("known_organisation", "siret")
