"""Tables of the reporting service: what it has learnt from the topics."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class KnownOrganisation(SQLModel, table=True):
    __tablename__ = "known_organisation"

    organisation_id: str = Field(primary_key=True)
    kind: str
    insee: str | None = Field(default=None, index=True)
    registered_at: datetime


class KnownListing(SQLModel, table=True):
    __tablename__ = "known_listing"

    listing_id: str = Field(primary_key=True)
    organisation_id: str = Field(index=True)
    kind: str = Field(index=True)
    revision: int
    active: bool = Field(index=True)


class KnownMatch(SQLModel, table=True):
    __tablename__ = "known_match"

    match_id: str = Field(primary_key=True)
    status: str = Field(index=True)
    proposed_at: datetime
