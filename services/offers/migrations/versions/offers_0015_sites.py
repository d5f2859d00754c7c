"""An organisation's other sites, and the site each listing is posted from (issue 21).

The organisation's own address stays on the organisation and is its first site: existing listings keep
`site_id` null, which means that address, so nothing is copied.

Revision ID: offers_0015
Revises: offers_0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0015"
down_revision: str | Sequence[str] | None = "offers_0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "site",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("organisation_id", sa.String(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("siret", sa.String(), nullable=True),
        sa.Column("commune", sa.String(), nullable=True),
        sa.Column("postcode", sa.String(), nullable=True),
        sa.Column("insee", sa.String(), nullable=True),
        sa.Column("epci", sa.String(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("location_approximation", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_site_organisation_id", "site", ["organisation_id"])
    op.add_column("listing", sa.Column("site_id", sa.String(), nullable=True))
    op.create_index("ix_listing_site_id", "listing", ["site_id"])


def downgrade() -> None:
    op.drop_index("ix_listing_site_id", table_name="listing")
    with op.batch_alter_table("listing") as batch:
        batch.drop_column("site_id")
    op.drop_index("ix_site_organisation_id", table_name="site")
    op.drop_table("site")
