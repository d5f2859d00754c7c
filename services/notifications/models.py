"""Tables of the notifications service: contacts and the emails to send."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


def _now() -> datetime:
    return datetime.now(timezone.utc)


MESSAGE_KINDS = (
    "match_proposed",
    "match_responded",
    "match_accepted",
    "match_retracted",
    "listing_expiring",
    "synergy_stage",
    "synergy_quiet",
    "weekly_summary",
)
MODES = ("instant", "daily", "weekly", "off")


class Contact(SQLModel, table=True):
    """Where an organisation receives its messages (from `organisation.*` events)."""

    organisation_id: str = Field(primary_key=True)
    name: str
    email: str
    commune: str | None = None
    bounced_at: datetime | None = None  # the address was refused: no more email until it changes
    bounce_reason: str | None = None
    updated_at: datetime = Field(default_factory=_now)


class Preference(SQLModel, table=True):
    """How an organisation wants one kind of message: instant, daily or weekly digest, or off.

    `revision` counts the changes of its mode (no row: instant, revision 0): an unsubscribe link carries the revision
    of its kinds when its email went, and stops working once one of them changed (`notifications.preferences`)."""

    organisation_id: str = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    mode: str = "instant"
    revision: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class KnownMatch(SQLModel, table=True):
    """Who is in a match and what they offer, to address later answers to the right parties."""

    __tablename__ = "known_match"

    match_id: str = Field(primary_key=True)
    parties: list = Field(default_factory=list, sa_column=Column(JSON))  # type: ignore[type-arg]


class InAppNotification(SQLModel, table=True):
    """What the organisation sees in the app, whatever its email preferences."""

    __tablename__ = "in_app_notification"

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True)
    dedup_key: str = Field(unique=True)
    organisation_id: str = Field(index=True)
    kind: str
    title: str
    body: str
    link: str | None = None
    created_at: datetime = Field(default_factory=_now, index=True)
    read_at: datetime | None = None


class OutgoingEmail(SQLModel, table=True):
    """One message to one organisation, written with the event that caused it.

    `dedup_key` (e.g. `match.proposed:<match>:<organisation>`) is unique: a redelivered or
    republished event cannot queue the same message twice. The mailer sends pending rows
    once their contact is known, retrying with backoff, and marks them sent.
    """

    __tablename__ = "outgoing_email"

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True)
    dedup_key: str = Field(unique=True)
    organisation_id: str = Field(index=True)
    kind: str
    context: dict = Field(default_factory=dict, sa_column=Column(JSON))  # type: ignore[type-arg]
    # pending → sent | failed; "digest": waits for the organisation's next digest (then "digested")
    status: str = Field(default="pending", index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=_now, index=True)
    last_error: str | None = None
    recipient: str | None = None
    created_at: datetime = Field(default_factory=_now)
    sent_at: datetime | None = None


TABLES: list[type[SQLModel]] = [Contact, OutgoingEmail, Preference, KnownMatch, InAppNotification]
