"""Invitations of their own: pending, they make no account and reserve no address (issue 18, low).

An administrator's invitation made an unconfirmed user at once, and the address's owner could then neither sign up
nor be invited elsewhere. An invitation is now a row of `invitation`, valid a week, whose link (`login_link`, now
naming a user or an invitation) makes the account.

The users invited before and not confirmed yet (unconfirmed, member or org_admin, in a confirmed organisation:
not a sign-up's first user nor an imported diagnostic's contact, whose organisations are unconfirmed) become
invitations with the same id, name, role and date, expiring a week after they were sent; their links move with
them (a click on one still accepts). The downgrade drops the pending invitations and their links.

Revision ID: offers_0017
Revises: offers_0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "offers_0017"
down_revision: str | Sequence[str] | None = "offers_0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INVITATION_LIFETIME = timedelta(days=7)  # offers.accounts.INVITATION_LIFETIME when written
FOREIGN_KEY = "fk_login_link_invitation_id_invitation"

invitation = sa.table(
    "invitation",
    sa.column("id", sa.String()),
    sa.column("organisation_id", sa.String()),
    sa.column("email", sa.String()),
    sa.column("name", sa.String()),
    sa.column("role", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("expires_at", sa.DateTime(timezone=True)),
)
user_account = sa.table(
    "user_account",
    sa.column("id", sa.String()),
    sa.column("organisation_id", sa.String()),
    sa.column("email", sa.String()),
    sa.column("name", sa.String()),
    sa.column("role", sa.String()),
    sa.column("confirmed_at", sa.DateTime(timezone=True)),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
organisation = sa.table(
    "organisation", sa.column("id", sa.String()), sa.column("confirmed_at", sa.DateTime(timezone=True))
)
login_link = sa.table("login_link", sa.column("user_id", sa.String()), sa.column("invitation_id", sa.String()))
web_session = sa.table("web_session", sa.column("user_id", sa.String()))
role_request = sa.table("role_request", sa.column("user_id", sa.String()))


def upgrade() -> None:
    op.create_table(
        "invitation",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("organisation_id", sa.String(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("organisation_id", "email"),
    )
    op.create_index("ix_invitation_email", "invitation", ["email"])
    op.create_index("ix_invitation_organisation_id", "invitation", ["organisation_id"])
    with op.batch_alter_table("login_link") as batch:
        batch.add_column(sa.Column("invitation_id", sa.String(), nullable=True))
        batch.alter_column("user_id", existing_type=sa.String(), nullable=True)
        batch.create_index("ix_login_link_invitation_id", ["invitation_id"])
        batch.create_foreign_key(FOREIGN_KEY, "invitation", ["invitation_id"], ["id"])
    move_pending_invitations()


def move_pending_invitations() -> None:
    connection = op.get_bind()
    pending = connection.execute(
        sa.select(
            user_account.c.id,
            user_account.c.organisation_id,
            user_account.c.email,
            user_account.c.name,
            user_account.c.role,
            user_account.c.created_at,
        )
        .join(organisation, organisation.c.id == user_account.c.organisation_id)
        .where(
            user_account.c.confirmed_at.is_(None),
            organisation.c.confirmed_at.is_not(None),
            user_account.c.role.in_(["member", "org_admin"]),
            ~sa.exists().where(web_session.c.user_id == user_account.c.id),
            ~sa.exists().where(role_request.c.user_id == user_account.c.id),
        )
    ).all()
    if not pending:
        return
    ids = [row.id for row in pending]
    connection.execute(
        invitation.insert(),
        [
            {
                "id": row.id,
                "organisation_id": row.organisation_id,
                "email": row.email,
                "name": row.name,
                "role": row.role,
                "created_at": row.created_at,
                "expires_at": row.created_at + INVITATION_LIFETIME,
            }
            for row in pending
        ],
    )
    connection.execute(
        login_link.update()
        .where(login_link.c.user_id.in_(ids))
        .values(invitation_id=login_link.c.user_id, user_id=None)
    )
    connection.execute(user_account.delete().where(user_account.c.id.in_(ids)))


def downgrade() -> None:
    op.execute("DELETE FROM login_link WHERE invitation_id IS NOT NULL")
    with op.batch_alter_table("login_link") as batch:
        batch.drop_constraint(FOREIGN_KEY, type_="foreignkey")
        batch.drop_index("ix_login_link_invitation_id")
        batch.alter_column("user_id", existing_type=sa.String(), nullable=False)
        batch.drop_column("invitation_id")
    op.drop_index("ix_invitation_organisation_id", table_name="invitation")
    op.drop_index("ix_invitation_email", table_name="invitation")
    op.drop_table("invitation")
