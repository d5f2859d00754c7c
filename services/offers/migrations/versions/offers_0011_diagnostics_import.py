"""Organisations brought in by an animateur's diagnostics file: who imported them, and the diagnostic's date.

Revision ID: offers_0011
Revises: offers_0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0011"
down_revision: str | Sequence[str] | None = "offers_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("organisation", sa.Column("imported_by", sa.String(), nullable=True))
    op.add_column("organisation", sa.Column("diagnosed_on", sa.Date(), nullable=True))
    op.create_index("ix_organisation_imported_by", "organisation", ["imported_by"])


def downgrade() -> None:
    op.drop_index("ix_organisation_imported_by", table_name="organisation")
    op.drop_column("organisation", "diagnosed_on")
    op.drop_column("organisation", "imported_by")
