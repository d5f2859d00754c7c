"""Tables of the offers service and the shapes of its API."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from shared.events import Frequency, ListingKind


def _uuid() -> str:
    return str(uuid.uuid4())


def _now() -> datetime:
    return datetime.now(timezone.utc)


OrganisationKind = Literal["company", "farm", "hospital", "care_home", "association", "public_body", "other"]


class Organisation(SQLModel, table=True):
    """A company, farm, hospital, association… that posts listings."""

    id: str = Field(default_factory=_uuid, primary_key=True)
    name: str
    kind: str
    siret: str | None = Field(default=None, index=True)
    naf_code: str | None = None
    commune: str | None = None
    postcode: str | None = None
    insee: str | None = Field(default=None, index=True)
    epci: str | None = Field(default=None, index=True)
    lat: float | None = None
    lon: float | None = None
    # None: coordinates given or of the town itself; else how they were approximated.
    location_approximation: str | None = None
    contact_email: str
    token_hash: str = Field(unique=True, index=True)
    created_at: datetime = Field(default_factory=_now)


class Listing(SQLModel, table=True):
    """An offer, need, share or pool request; `revision` grows with each change."""

    id: str = Field(default_factory=_uuid, primary_key=True)
    organisation_id: str = Field(foreign_key="organisation.id", index=True)
    kind: str = Field(index=True)
    status: str = Field(default="active", index=True)
    revision: int = 1
    title: str
    description: str | None = None
    ewc_code: str | None = None
    category: str | None = None
    quantity_value: float | None = None
    quantity_unit: str | None = None
    frequency: str | None = None
    radius_km: float | None = None
    available_from: date | None = None
    expires_at: date
    created_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)


class ExpiryReminder(SQLModel, table=True):
    """A listing's owner was reminded of the expiry on `expires_at`: once per validity period.

    A table of its own (not a column of `listing`) so existing databases get it without a migration.
    """

    __tablename__ = "expiry_reminder"

    listing_id: str = Field(foreign_key="listing.id", primary_key=True)
    expires_at: date = Field(primary_key=True)
    sent_at: datetime = Field(default_factory=_now)


class Input(BaseModel):
    """API input: unknown fields are refused, so a typo is reported rather than ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OrganisationCreate(Input):
    name: str = PydanticField(min_length=2, max_length=200)
    kind: OrganisationKind
    siret: str | None = None
    naf_code: str | None = None
    commune: str | None = PydanticField(default=None, max_length=120)
    postcode: str | None = PydanticField(default=None, pattern=r"^\d{5}$")
    insee: str | None = PydanticField(default=None, pattern=r"^(\d{5}|2[AB]\d{3})$")
    lat: float | None = PydanticField(default=None, ge=-90, le=90)
    lon: float | None = PydanticField(default=None, ge=-180, le=180)
    contact_email: EmailStr


class OrganisationCreated(BaseModel):
    id: str
    token: str


class OrganisationPublic(BaseModel):
    """An organisation as it sees itself."""

    id: str
    name: str
    kind: str
    siret: str | None
    naf_code: str | None
    commune: str | None
    postcode: str | None
    insee: str | None
    lat: float | None
    lon: float | None
    location_approximation: str | None
    contact_email: str


class Quantity(Input):
    value: float = PydanticField(gt=0, description="strictement positive")
    unit: str = PydanticField(description="kg, t, l, m3, m2, kwh, mwh, unit, pallet, hour, day")


class ListingCreate(Input):
    kind: ListingKind
    title: str = PydanticField(min_length=3, max_length=200)
    description: str | None = PydanticField(default=None, max_length=5000)
    ewc_code: str | None = None
    category: str | None = PydanticField(default=None, max_length=120)
    quantity: Quantity | None = None
    frequency: Frequency | None = None
    radius_km: float | None = None
    available_from: date | None = None
    expires_at: date | None = None


class ListingUpdate(Input):
    """Fields to change; the kind of a listing cannot change (withdraw and post anew)."""

    title: str | None = PydanticField(default=None, min_length=3, max_length=200)
    description: str | None = PydanticField(default=None, max_length=5000)
    ewc_code: str | None = None
    category: str | None = PydanticField(default=None, max_length=120)
    quantity: Quantity | None = None
    frequency: Frequency | None = None
    radius_km: float | None = None
    available_from: date | None = None
    expires_at: date | None = None


class ListingCreated(BaseModel):
    id: str
    status: str


class QuantityOut(BaseModel):
    value: float
    unit: str


class ListingPublic(BaseModel):
    """A listing in full, as its owner sees it."""

    id: str
    organisation_id: str
    kind: str
    status: str
    revision: int
    title: str
    description: str | None
    ewc_code: str | None
    category: str | None
    quantity: QuantityOut | None
    frequency: str | None
    radius_km: float | None
    available_from: date | None
    expires_at: date
    created_at: datetime
    updated_at: datetime
    mine: bool = True


class ListingAnonymised(BaseModel):
    """Another organisation's listing: no name, exact quantity, description or address."""

    id: str
    kind: str
    status: str
    title: str
    ewc_code: str | None
    category: str | None
    quantity_approx: str | None
    frequency: str | None
    commune: str | None
    expires_at: date
    mine: bool = False
