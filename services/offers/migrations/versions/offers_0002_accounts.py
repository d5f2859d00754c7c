"""Accounts (44e8d36): users, sessions, login attempts and links, API tokens.

Each organisation's token, until then one hash in `organisation.token_hash`, becomes its first
API token (labelled as a registration token is), so it keeps working and can now be revoked;
the column goes. This was `accounts_service.migrate_organisation_tokens`, run at start-up.

Revision ID: offers_0002
Revises: offers_0001
Create Date: 2026-11-23
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0002"
down_revision: str | Sequence[str] | None = "offers_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIRST_TOKEN_LABEL = "Jeton d'inscription"  # offers.accounts_service.FIRST_TOKEN_LABEL when this was written

organisation = sa.table(
    "organisation",
    sa.column("id", sa.String()),
    sa.column("token_hash", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
api_token = sa.table(
    "api_token",
    sa.column("id", sa.String()),
    sa.column("organisation_id", sa.String()),
    sa.column("token_hash", sa.String()),
    sa.column("label", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("revoked_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.create_table(
        "user_account",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("organisation_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=True),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_user_account_email", "user_account", ["email"], unique=True)
    op.create_index("ix_user_account_organisation_id", "user_account", ["organisation_id"])
    op.create_table(
        "web_session",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("csrf_token", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_web_session_user_id", "web_session", ["user_id"])
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=True),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_attempt_address", "login_attempt", ["address"])
    op.create_index("ix_login_attempt_attempted_at", "login_attempt", ["attempted_at"])
    op.create_index("ix_login_attempt_email", "login_attempt", ["email"])
    op.create_table(
        "login_link",
        sa.Column("nonce_hash", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("nonce_hash"),
    )
    op.create_index("ix_login_link_created_at", "login_link", ["created_at"])
    op.create_index("ix_login_link_user_id", "login_link", ["user_id"])
    op.create_table(
        "api_token",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("organisation_id", sa.String(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_api_token_organisation_id", "api_token", ["organisation_id"])
    op.create_index("ix_api_token_token_hash", "api_token", ["token_hash"], unique=True)

    bind = op.get_bind()
    rows = bind.execute(sa.select(organisation.c.id, organisation.c.token_hash, organisation.c.created_at)).all()
    for organisation_id, token_hash, created_at in rows:
        bind.execute(
            api_token.insert().values(
                id=str(uuid.uuid4()),
                organisation_id=organisation_id,
                token_hash=token_hash,
                label=FIRST_TOKEN_LABEL,
                created_at=created_at,
                revoked_at=None,
            )
        )
    op.drop_index("ix_organisation_token_hash", table_name="organisation")
    op.drop_column("organisation", "token_hash")  # SQLite 3.35+ drops it in place (organisation is referenced)


def downgrade() -> None:
    """Each organisation's oldest unrevoked token goes back to `organisation.token_hash` (nullable now: an
    organisation without one keeps none); its other tokens, users and sessions are lost."""
    op.add_column("organisation", sa.Column("token_hash", sa.String(), nullable=True))
    bind = op.get_bind()
    oldest = (
        sa.select(api_token.c.token_hash)
        .where(api_token.c.organisation_id == organisation.c.id, api_token.c.revoked_at.is_(None))
        .order_by(api_token.c.created_at)
        .limit(1)
        .scalar_subquery()
    )
    bind.execute(organisation.update().values(token_hash=oldest))
    op.create_index("ix_organisation_token_hash", "organisation", ["token_hash"], unique=True)
    for table in ("api_token", "login_link", "login_attempt", "web_session", "user_account"):
        op.drop_table(table)
