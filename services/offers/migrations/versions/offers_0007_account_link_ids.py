"""Account links named by an id: the nonce is made when the mailer asks for the link, not carried by events.

The links of the hour before the upgrade are dropped (their nonces travelled in `account.link_requested`
and sit in the outbox): users ask for a new one from the login page. The outbox forgets those events.

Revision ID: offers_0007
Revises: offers_0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0007"
down_revision: str | Sequence[str] | None = "offers_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def login_link(key: str) -> None:
    columns = [sa.Column("id", sa.String(), nullable=False)] if key == "id" else []
    op.create_table(
        "login_link",
        *columns,
        sa.Column("nonce_hash", sa.String(), nullable=key == "id"),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint(key),
        *([sa.UniqueConstraint("nonce_hash")] if key == "id" else []),
    )
    op.create_index("ix_login_link_created_at", "login_link", ["created_at"])
    op.create_index("ix_login_link_user_id", "login_link", ["user_id"])


def upgrade() -> None:
    op.drop_table("login_link")
    login_link("id")
    op.execute("DELETE FROM outbox WHERE type = 'account.link_requested'")


def downgrade() -> None:
    op.drop_table("login_link")
    login_link("nonce_hash")
