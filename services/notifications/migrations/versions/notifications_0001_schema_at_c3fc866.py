"""The notifications schema at c3fc866 (the walking skeleton: contacts and the email queue).

Frozen here as it was. On a database from before migrations that has part of these tables, only
the missing ones are created (`create_all` checks first), as the service did at start-up then.

Revision ID: notifications_0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notifications_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

metadata = sa.MetaData()

contact = sa.Table(
    "contact",
    metadata,
    sa.Column("organisation_id", sa.String(), nullable=False),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("email", sa.String(), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("organisation_id"),
)
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
outgoing_email = sa.Table(
    "outgoing_email",
    metadata,
    sa.Column("id", sa.String(), nullable=False),
    sa.Column("dedup_key", sa.String(), nullable=False),
    sa.Column("organisation_id", sa.String(), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("context", sa.JSON(), nullable=True),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_error", sa.String(), nullable=True),
    sa.Column("recipient", sa.String(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("dedup_key"),
)
sa.Index("ix_outgoing_email_next_attempt_at", outgoing_email.c.next_attempt_at)
sa.Index("ix_outgoing_email_organisation_id", outgoing_email.c.organisation_id)
sa.Index("ix_outgoing_email_status", outgoing_email.c.status)
processed_event = sa.Table(
    "processed_event",
    metadata,
    sa.Column("consumer", sa.String(), nullable=False),
    sa.Column("event_id", sa.String(), nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("consumer", "event_id"),
)


def upgrade() -> None:
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
