"""Tables of the matching service: its own index of active listings, and matches."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class IndexedListing(SQLModel, table=True):
    """The latest known revision of a listing, as matching needs it."""

    __tablename__ = "indexed_listing"

    listing_id: str = Field(primary_key=True)
    organisation_id: str = Field(index=True)
    revision: int
    kind: str = Field(index=True)
    active: bool = Field(default=True, index=True)
    title: str
    category: str | None = Field(default=None, index=True)
    ewc_code: str | None = Field(default=None, index=True)
    quantity_value: float | None = None
    quantity_unit: str | None = None
    frequency: str | None = None
    radius_km: float | None = None
    commune: str | None = None
    lat: float | None = Field(default=None, index=True)
    lon: float | None = None


class Match(SQLModel, table=True):
    """A proposed pairing of a supply (offer, share) with a demand (need, pool)."""

    __table_args__ = (UniqueConstraint("supply_listing_id", "demand_listing_id"),)

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True)
    supply_listing_id: str = Field(index=True)
    demand_listing_id: str = Field(index=True)
    supply_organisation_id: str = Field(index=True)
    demand_organisation_id: str = Field(index=True)
    score: float
    distance_km: float | None
    explanation: str
    # proposed → accepted/declined; retracted when a listing is withdrawn or no longer fits
    status: str = Field(default="proposed", index=True)
    created_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
