"""Preferences, in-app notifications, known matches, bounces (5b1c5c8).

Contacts gain their commune and what is known of a refused address; new tables for preferences,
in-app notifications and who is in a match.

Revision ID: notifications_0002
Revises: notifications_0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notifications_0002"
down_revision: str | Sequence[str] | None = "notifications_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("contact", sa.Column("commune", sa.String(), nullable=True))
    op.add_column("contact", sa.Column("bounced_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("contact", sa.Column("bounce_reason", sa.String(), nullable=True))
    op.create_table(
        "preference",
        sa.Column("organisation_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("mode", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id", "kind"),
    )
    op.create_table(
        "known_match",
        sa.Column("match_id", sa.String(), nullable=False),
        sa.Column("parties", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("match_id"),
    )
    op.create_table(
        "in_app_notification",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("dedup_key", sa.String(), nullable=False),
        sa.Column("organisation_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("link", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedup_key"),
    )
    op.create_index("ix_in_app_notification_created_at", "in_app_notification", ["created_at"])
    op.create_index("ix_in_app_notification_organisation_id", "in_app_notification", ["organisation_id"])


def downgrade() -> None:
    op.drop_table("in_app_notification")
    op.drop_table("known_match")
    op.drop_table("preference")
    op.drop_column("contact", "bounce_reason")
    op.drop_column("contact", "bounced_at")
    op.drop_column("contact", "commune")
