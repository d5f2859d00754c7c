"""The offers schema at d369c2a (expiry reminders), before accounts and private fields.

Frozen here as it was: `organisation` holds its one API token's hash (`token_hash`). On a
database from before migrations that has part of these tables, only the missing ones are
created (`create_all` checks first), as the service did at start-up then.

Revision ID: offers_0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

metadata = sa.MetaData()

organisation = sa.Table(
    "organisation",
    metadata,
    sa.Column("id", sa.String(), nullable=False),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("siret", sa.String(), nullable=True),
    sa.Column("naf_code", sa.String(), nullable=True),
    sa.Column("commune", sa.String(), nullable=True),
    sa.Column("postcode", sa.String(), nullable=True),
    sa.Column("insee", sa.String(), nullable=True),
    sa.Column("epci", sa.String(), nullable=True),
    sa.Column("lat", sa.Float(), nullable=True),
    sa.Column("lon", sa.Float(), nullable=True),
    sa.Column("location_approximation", sa.String(), nullable=True),
    sa.Column("contact_email", sa.String(), nullable=False),
    sa.Column("token_hash", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
)
sa.Index("ix_organisation_epci", organisation.c.epci)
sa.Index("ix_organisation_insee", organisation.c.insee)
sa.Index("ix_organisation_siret", organisation.c.siret)
sa.Index("ix_organisation_token_hash", organisation.c.token_hash, unique=True)
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
listing = sa.Table(
    "listing",
    metadata,
    sa.Column("id", sa.String(), nullable=False),
    sa.Column("organisation_id", sa.String(), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("revision", sa.Integer(), nullable=False),
    sa.Column("title", sa.String(), nullable=False),
    sa.Column("description", sa.String(), nullable=True),
    sa.Column("ewc_code", sa.String(), nullable=True),
    sa.Column("category", sa.String(), nullable=True),
    sa.Column("quantity_value", sa.Float(), nullable=True),
    sa.Column("quantity_unit", sa.String(), nullable=True),
    sa.Column("frequency", sa.String(), nullable=True),
    sa.Column("radius_km", sa.Float(), nullable=True),
    sa.Column("available_from", sa.Date(), nullable=True),
    sa.Column("expires_at", sa.Date(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
    sa.PrimaryKeyConstraint("id"),
)
sa.Index("ix_listing_kind", listing.c.kind)
sa.Index("ix_listing_organisation_id", listing.c.organisation_id)
sa.Index("ix_listing_status", listing.c.status)
expiry_reminder = sa.Table(
    "expiry_reminder",
    metadata,
    sa.Column("listing_id", sa.String(), nullable=False),
    sa.Column("expires_at", sa.Date(), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["listing_id"], ["listing.id"]),
    sa.PrimaryKeyConstraint("listing_id", "expires_at"),
)


def upgrade() -> None:
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
