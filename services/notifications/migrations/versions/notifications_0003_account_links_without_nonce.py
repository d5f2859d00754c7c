"""Account emails keep no secret: the nonce of each link is dropped from the queued emails.

The mailer now gets each link from offers as it sends (by `link_id`). Account emails queued before this
revision carry no link id: those not sent yet are marked failed (their links have been dropped by offers'
own upgrade; the user asks for a new one), and every such row forgets its nonce.

Revision ID: notifications_0003
Revises: notifications_0002
Create Date: 2026-12-02
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "notifications_0003"
down_revision: str | Sequence[str] | None = "notifications_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    connection = op.get_bind()
    emails = sa.table(
        "outgoing_email",
        sa.column("id", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("context", sa.JSON()),
        sa.column("status", sa.String()),
        sa.column("last_error", sa.String()),
    )
    for email_id, context, status in connection.execute(
        sa.select(emails.c.id, emails.c.context, emails.c.status).where(emails.c.kind == "account_link")
    ).all():
        values = context if isinstance(context, dict) else json.loads(context or "{}")
        if "nonce" not in values:
            continue
        changes: dict[str, Any] = {"context": {k: v for k, v in values.items() if k != "nonce"}}
        if status == "pending":
            changes.update(status="failed", last_error="lien de compte d'avant la mise à jour : à redemander")
        connection.execute(emails.update().where(emails.c.id == email_id).values(**changes))


def downgrade() -> None:
    pass  # the nonces are gone for good, as intended
