"""The matching schema at 4ee8a20 (accept/decline, retractions, unplaced listings), before private quantities.

Frozen here as it was. On a database from before migrations that has part of these tables, only
the missing ones are created (`create_all` checks first), as the service did at start-up then.

Revision ID: matching_0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "matching_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

metadata = sa.MetaData()

indexed_listing = sa.Table(
    "indexed_listing",
    metadata,
    sa.Column("listing_id", sa.String(), nullable=False),
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("organisation_id", sa.String(), nullable=False),
    sa.Column("revision", sa.Integer(), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("placed", sa.Boolean(), nullable=False),
    sa.Column("title", sa.String(), nullable=False),
    sa.Column("description", sa.String(), nullable=True),
    sa.Column("category", sa.String(), nullable=True),
    sa.Column("ewc_code", sa.String(), nullable=True),
    sa.Column("quantity_value", sa.Float(), nullable=True),
    sa.Column("quantity_unit", sa.String(), nullable=True),
    sa.Column("frequency", sa.String(), nullable=True),
    sa.Column("radius_km", sa.Float(), nullable=True),
    sa.Column("available_from", sa.Date(), nullable=True),
    sa.Column("expires_at", sa.Date(), nullable=True),
    sa.Column("commune", sa.String(), nullable=True),
    sa.Column("lat", sa.Float(), nullable=True),
    sa.Column("lon", sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint("listing_id"),
)
sa.Index("ix_indexed_listing_organisation_id", indexed_listing.c.organisation_id)
sa.Index("ix_indexed_listing_seq", indexed_listing.c.seq)
match = sa.Table(
    "match",
    metadata,
    sa.Column("id", sa.String(), nullable=False),
    sa.Column("key", sa.String(), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("score", sa.Float(), nullable=False),
    sa.Column("distance_km", sa.Float(), nullable=True),
    sa.Column("explanation", sa.String(), nullable=False),
    sa.Column("flagged", sa.Boolean(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("key"),
)
sa.Index("ix_match_status", match.c.status)
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
match_member = sa.Table(
    "match_member",
    metadata,
    sa.Column("match_id", sa.String(), nullable=False),
    sa.Column("listing_id", sa.String(), nullable=False),
    sa.Column("organisation_id", sa.String(), nullable=False),
    sa.Column("role", sa.String(), nullable=False),
    sa.Column("explanation", sa.String(), nullable=False),
    sa.Column("response", sa.String(), nullable=True),
    sa.ForeignKeyConstraint(["match_id"], ["match.id"]),
    sa.PrimaryKeyConstraint("match_id", "listing_id"),
)
sa.Index("ix_match_member_listing_id", match_member.c.listing_id)
sa.Index("ix_match_member_organisation_id", match_member.c.organisation_id)


def upgrade() -> None:
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
