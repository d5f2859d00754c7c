"""Tables of the matching service: its copy of active listings, and matches with their members."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


def _now() -> datetime:
    return datetime.now(timezone.utc)


class IndexedListing(SQLModel, table=True):
    """The latest known revision of a listing. `seq` grows with every write, so each instance
    of the service can bring its in-memory index up to date by reading `seq > last seen`."""

    __tablename__ = "indexed_listing"

    listing_id: str = Field(primary_key=True)
    seq: int = Field(index=True)
    organisation_id: str = Field(index=True)
    revision: int
    kind: str
    active: bool = True
    placed: bool = True  # False: the engine could not place it in the taxonomy (for the animateur)
    quantity_private: bool = False  # its organisation keeps the quantity to itself: no band in any match
    title: str
    description: str | None = None
    category: str | None = None
    ewc_code: str | None = None
    quantity_value: float | None = None
    quantity_unit: str | None = None
    frequency: str | None = None
    radius_km: float | None = None
    available_from: date | None = None
    expires_at: date | None = None
    commune: str | None = None
    insee: str | None = None  # the commune's code: where the explore page's map places it
    lat: float | None = None
    lon: float | None = None
    waste_status: str | None = None
    abp_category: int | None = None
    organic_farming: bool | None = None
    terms: str | None = None  # shared.nomenclatures.LISTING_TERMS: said in every match
    price: str | None = None  # said to the other sides once every side accepted
    transport_by: str | None = None  # shared.nomenclatures.TRANSPORT_BY: said in every match
    transport_means: str | None = None  # shared.nomenclatures.TRANSPORT_MEANS
    days: str | None = None  # « tue,wed »: when available (supply) or wanted (demand); None: any day
    months: str | None = None  # « 6,7,8 »; None: all year
    counterpart_id: str | None = None  # « en échange de… »: its organisation's listing it swaps against
    # When it was withdrawn, expired or paused (None: active); what it said is forgotten 90 days later
    # (matching.retention).
    closed_at: datetime | None = None
    temperature_c: float | None = None
    pressure_bar: float | None = None
    purity_percent: float | None = None
    moisture_percent: float | None = None
    held: bool = False  # an unconfirmed diagnostic's flow (shared.events.ListingSnapshot.held)


class Match(SQLModel, table=True):
    """A proposal: a pair (supply, demand), a pooling group or a swap (two pairs). `key` names its listings."""

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True)
    key: str = Field(unique=True)
    kind: str  # pair | group | swap
    score: float
    distance_km: float | None = None
    explanation: str
    flagged: bool = False
    # What the exchange requires under the law, for each side (`matching.engine.law.Obligation` as dicts).
    obligations: list[dict[str, object]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # proposed → accepted | declined; retracted when a listing is withdrawn or no longer fits
    status: str = Field(default="proposed", index=True)
    created_at: datetime = Field(default_factory=_now)
    held: bool = False  # one of its listings is held: shown to no party (the territory's animateur sees it)


class MatchMember(SQLModel, table=True):
    """One listing (and its organisation) in a match, with what its owner reads and answered."""

    __tablename__ = "match_member"

    match_id: str = Field(foreign_key="match.id", primary_key=True)
    listing_id: str = Field(primary_key=True, index=True)
    organisation_id: str = Field(index=True)
    role: str  # supply | demand | member
    explanation: str
    response: str | None = None  # accepted | declined


class Teaching(SQLModel, table=True):
    """What an animateur taught the engine: a phrase that names a resource or a use. Every instance applies the
    teachings it has not seen (`seq` grows with each) and re-reads its listings; the team exports them to grow the
    knowledge base."""

    __tablename__ = "teaching"

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True)
    seq: int = Field(unique=True)
    phrase: str
    node_id: str
    listing_id: str | None = None  # the unplaced listing it was taught from, if any
    author_organisation_id: str
    author_name: str
    created_at: datetime = Field(default_factory=_now)


TABLES: list[type[SQLModel]] = [IndexedListing, Match, MatchMember, Teaching]
