"""The reporting schema at 35d07ca (weekly summaries), its match table still named `known_match`.

Frozen here as it was. On a database from before migrations that has part of these tables, only
the missing ones are created (`create_all` checks first), as the service did at start-up then.

Revision ID: reporting_0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reporting_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

metadata = sa.MetaData()

known_listing = sa.Table(
    "known_listing",
    metadata,
    sa.Column("listing_id", sa.String(), nullable=False),
    sa.Column("organisation_id", sa.String(), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("revision", sa.Integer(), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("title", sa.String(), nullable=False),
    sa.Column("insee", sa.String(), nullable=True),
    sa.Column("quantity_text", sa.String(), nullable=True),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("listing_id"),
)
sa.Index("ix_known_listing_active", known_listing.c.active)
sa.Index("ix_known_listing_kind", known_listing.c.kind)
sa.Index("ix_known_listing_organisation_id", known_listing.c.organisation_id)
known_match = sa.Table(
    "known_match",
    metadata,
    sa.Column("match_id", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("concluded_at", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("match_id"),
)
sa.Index("ix_known_match_status", known_match.c.status)
known_organisation = sa.Table(
    "known_organisation",
    metadata,
    sa.Column("organisation_id", sa.String(), nullable=False),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("insee", sa.String(), nullable=True),
    sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("organisation_id"),
)
sa.Index("ix_known_organisation_insee", known_organisation.c.insee)
match_participant = sa.Table(
    "match_participant",
    metadata,
    sa.Column("match_id", sa.String(), nullable=False),
    sa.Column("organisation_id", sa.String(), nullable=False),
    sa.PrimaryKeyConstraint("match_id", "organisation_id"),
)
sa.Index("ix_match_participant_organisation_id", match_participant.c.organisation_id)
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("event_id", sa.String(), nullable=False),
    sa.Column("topic", sa.String(), nullable=False),
    sa.Column("key", sa.String(), nullable=False),
    sa.Column("type", sa.String(), nullable=False),
    sa.Column("value", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("id"),
)
sa.Index("ix_outbox_event_id", outbox.c.event_id, unique=True)
sa.Index("ix_outbox_sent_at", outbox.c.sent_at)
processed_event = sa.Table(
    "processed_event",
    metadata,
    sa.Column("consumer", sa.String(), nullable=False),
    sa.Column("event_id", sa.String(), nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("consumer", "event_id"),
)
prospect = sa.Table(
    "prospect",
    metadata,
    sa.Column("prospect_id", sa.String(), nullable=False),
    sa.Column("territory_id", sa.String(), nullable=False),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("contacted_on", sa.Date(), nullable=False),
    sa.Column("met_on", sa.Date(), nullable=True),
    sa.Column("organisation_id", sa.String(), nullable=True),
    sa.Column("notes", sa.String(), nullable=True),
    sa.PrimaryKeyConstraint("prospect_id"),
)
sa.Index("ix_prospect_territory_id", prospect.c.territory_id)
synergy = sa.Table(
    "synergy",
    metadata,
    sa.Column("synergy_id", sa.String(), nullable=False),
    sa.Column("origin", sa.String(), nullable=False),
    sa.Column("match_id", sa.String(), nullable=True),
    sa.Column("synergy_type", sa.String(), nullable=False),
    sa.Column("resource", sa.String(), nullable=False),
    sa.Column("material", sa.String(), nullable=True),
    sa.Column("stage", sa.String(), nullable=False),
    sa.Column("abandon_reason", sa.String(), nullable=True),
    sa.Column("notes", sa.String(), nullable=True),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("contractualised_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("opened_by", sa.String(), nullable=True),
    sa.PrimaryKeyConstraint("synergy_id"),
    sa.UniqueConstraint("match_id"),
)
sa.Index("ix_synergy_stage", synergy.c.stage)
sa.Index("ix_synergy_synergy_type", synergy.c.synergy_type)
synergy_flow = sa.Table(
    "synergy_flow",
    metadata,
    sa.Column("flow_id", sa.String(), nullable=False),
    sa.Column("synergy_id", sa.String(), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor_organisation_id", sa.String(), nullable=False),
    sa.Column("data", sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint("flow_id"),
)
sa.Index("ix_synergy_flow_synergy_id", synergy_flow.c.synergy_id)
synergy_move = sa.Table(
    "synergy_move",
    metadata,
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("event_id", sa.String(), nullable=False),
    sa.Column("synergy_id", sa.String(), nullable=False),
    sa.Column("from_stage", sa.String(), nullable=False),
    sa.Column("to_stage", sa.String(), nullable=False),
    sa.Column("reason", sa.String(), nullable=True),
    sa.Column("note", sa.String(), nullable=True),
    sa.Column("actor_organisation_id", sa.String(), nullable=False),
    sa.Column("actor_name", sa.String(), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("event_id"),
)
sa.Index("ix_synergy_move_at", synergy_move.c.at)
sa.Index("ix_synergy_move_synergy_id", synergy_move.c.synergy_id)
synergy_party = sa.Table(
    "synergy_party",
    metadata,
    sa.Column("synergy_id", sa.String(), nullable=False),
    sa.Column("organisation_id", sa.String(), nullable=False),
    sa.Column("listing_id", sa.String(), nullable=True),
    sa.Column("role", sa.String(), nullable=False),
    sa.PrimaryKeyConstraint("synergy_id", "organisation_id"),
)
sa.Index("ix_synergy_party_organisation_id", synergy_party.c.organisation_id)
territory = sa.Table(
    "territory",
    metadata,
    sa.Column("territory_id", sa.String(), nullable=False),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("epci", sa.String(), nullable=True),
    sa.Column("animateur_organisation_id", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("territory_id"),
)
sa.Index("ix_territory_animateur_organisation_id", territory.c.animateur_organisation_id)
territory_commune = sa.Table(
    "territory_commune",
    metadata,
    sa.Column("territory_id", sa.String(), nullable=False),
    sa.Column("insee", sa.String(), nullable=False),
    sa.PrimaryKeyConstraint("territory_id", "insee"),
)
sa.Index("ix_territory_commune_insee", territory_commune.c.insee)
territory_summary_sent = sa.Table(
    "territory_summary_sent",
    metadata,
    sa.Column("territory_id", sa.String(), nullable=False),
    sa.Column("week", sa.String(), nullable=False),
    sa.Column("staged_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("territory_id", "week"),
)


def upgrade() -> None:
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
