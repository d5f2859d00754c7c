"""Tables of the notifications service: contacts and the emails to send."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Contact(SQLModel, table=True):
    """Where an organisation receives its messages (from `organisation.*` events)."""

    organisation_id: str = Field(primary_key=True)
    name: str
    email: str
    updated_at: datetime = Field(default_factory=_now)


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
    status: str = Field(default="pending", index=True)  # pending → sent | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=_now, index=True)
    last_error: str | None = None
    recipient: str | None = None
    created_at: datetime = Field(default_factory=_now)
    sent_at: datetime | None = None
