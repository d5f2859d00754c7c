"""Workshops (ateliers de partage des ressources): their participants and the choices made on the pistes among
them; the proposal's rank, sentence and whether it is held kept from `match.proposed`; the listing's category and
LoW code kept from `listing.published`, to group resources by family.

Revision ID: reporting_0008
Revises: reporting_0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reporting_0008"
down_revision: str | Sequence[str] | None = "reporting_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("known_listing", sa.Column("category", sa.String(), nullable=True))
    op.add_column("known_listing", sa.Column("ewc_code", sa.String(), nullable=True))
    op.add_column("reported_match", sa.Column("kind", sa.String(), nullable=False, server_default="pair"))
    op.add_column("reported_match", sa.Column("score", sa.Float(), nullable=True))
    op.add_column("reported_match", sa.Column("distance_km", sa.Float(), nullable=True))
    op.add_column("reported_match", sa.Column("explanation", sa.String(), nullable=False, server_default=""))
    op.add_column("reported_match", sa.Column("held", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("match_participant", sa.Column("listing_id", sa.String(), nullable=True))
    op.create_table(
        "workshop",
        sa.Column("workshop_id", sa.String(), nullable=False),
        sa.Column("territory_id", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workshop_id"),
    )
    op.create_index("ix_workshop_territory_id", "workshop", ["territory_id"])
    op.create_table(
        "workshop_participant",
        sa.Column("workshop_id", sa.String(), nullable=False),
        sa.Column("organisation_id", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("workshop_id", "organisation_id"),
    )
    op.create_index("ix_workshop_participant_organisation_id", "workshop_participant", ["organisation_id"])
    op.create_table(
        "workshop_choice",
        sa.Column("workshop_id", sa.String(), nullable=False),
        sa.Column("match_id", sa.String(), nullable=False),
        sa.Column("choice", sa.String(), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("synergy_id", sa.String(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workshop_id", "match_id"),
    )


def downgrade() -> None:
    op.drop_table("workshop_choice")
    op.drop_index("ix_workshop_participant_organisation_id", "workshop_participant")
    op.drop_table("workshop_participant")
    op.drop_index("ix_workshop_territory_id", "workshop")
    op.drop_table("workshop")
    op.drop_column("match_participant", "listing_id")
    for column in ("held", "explanation", "distance_km", "score", "kind"):
        op.drop_column("reported_match", column)
    op.drop_column("known_listing", "ewc_code")
    op.drop_column("known_listing", "category")
