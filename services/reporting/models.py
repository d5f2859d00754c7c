"""Tables of the reporting service: what it learns from the topics, and the synergies it owns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


class KnownOrganisation(SQLModel, table=True):
    __tablename__ = "known_organisation"

    organisation_id: str = Field(primary_key=True)
    name: str = ""
    kind: str
    siret: str | None = None  # public; ties a collectivité to its own EPCI (reporting.territories)
    insee: str | None = Field(default=None, index=True)
    registered_at: datetime
    confirmed: bool = True  # a signed-up organisation none of whose users confirmed an address yet: False


class KnownListing(SQLModel, table=True):
    __tablename__ = "known_listing"

    listing_id: str = Field(primary_key=True)
    organisation_id: str = Field(index=True)
    kind: str = Field(index=True)
    revision: int
    active: bool = Field(index=True)
    title: str = ""
    insee: str | None = None
    quantity_text: str | None = None
    published_at: datetime | None = None
    waste_status: str | None = None  # declared by its organisation (shared.nomenclatures.WASTE_STATUSES)
    category: str | None = None  # as its organisation typed it: a workshop groups resources by family
    ewc_code: str | None = None  # List of Waste code, when given
    transport_means: str | None = None  # shared.nomenclatures.TRANSPORT_MEANS: the flow form's vehicle to start from


class KnownMatch(SQLModel, table=True):
    __tablename__ = "reported_match"  # not "known_match": notifications has one, and tests import both

    match_id: str = Field(primary_key=True)
    status: str = Field(index=True)  # proposed, accepted, declined, retracted
    proposed_at: datetime
    concluded_at: datetime | None = None
    # What the exchange requires under the law, as matching proposed it (MatchObligation as dicts).
    obligations: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The proposal as matching made it: a workshop ranks the pistes among its participants by score.
    kind: str = "pair"  # pair | group
    score: float | None = None
    distance_km: float | None = None
    explanation: str = ""
    held: bool = False  # an unconfirmed diagnostic's flow takes part: the animateur sees it, no party knows of it


class MatchParticipant(SQLModel, table=True):
    """Which organisations a match concerns (the funnel counts organisations, not matches)."""

    __tablename__ = "match_participant"

    match_id: str = Field(primary_key=True)
    organisation_id: str = Field(primary_key=True, index=True)
    listing_id: str | None = None  # its listing in the match (None in matches recorded before 7 December 2026)


class Territory(SQLModel, table=True):
    """An EPCI or a custom set of communes, followed by its animateur."""

    __tablename__ = "territory"

    territory_id: str = Field(primary_key=True)
    name: str
    epci: str | None = None
    animateur_organisation_id: str = Field(index=True)
    created_at: datetime
    status: str = Field(default="approved", index=True)  # approved | pending | refused (reporting.territories)
    decided_at: datetime | None = None


class TerritoryCommune(SQLModel, table=True):
    __tablename__ = "territory_commune"

    territory_id: str = Field(primary_key=True)
    insee: str = Field(primary_key=True, index=True)


class Animateur(SQLModel, table=True):
    """A user who holds the animateur role now (from `user.role_changed`): a dashboard link it was given
    stops working when it loses the role."""

    __tablename__ = "animateur"

    user_id: str = Field(primary_key=True)
    organisation_id: str = Field(index=True)


class Synergy(SQLModel, table=True):
    __tablename__ = "synergy"

    synergy_id: str = Field(primary_key=True)
    origin: str  # match | piste
    match_id: str | None = Field(default=None, unique=True)
    synergy_type: str = Field(index=True)  # substitution | mutualisation
    resource: str
    material: str | None = None
    stage: str = Field(index=True)
    abandon_reason: str | None = None
    notes: str | None = None
    opened_at: datetime
    updated_at: datetime
    contractualised_at: datetime | None = None
    opened_by: str | None = None  # organisation id; None when opened by mutual acceptance


class SynergyReminder(SQLModel, table=True):
    """One reminder per quiet spell of a synergy (`quiet_since`: its last move), never twice."""

    __tablename__ = "synergy_reminder"

    synergy_id: str = Field(primary_key=True)
    quiet_since: datetime = Field(primary_key=True)
    sent_at: datetime


class SynergyParty(SQLModel, table=True):
    __tablename__ = "synergy_party"

    synergy_id: str = Field(primary_key=True)
    organisation_id: str = Field(primary_key=True, index=True)
    listing_id: str | None = None
    role: str = "member"


class SynergyMove(SQLModel, table=True):
    """One stage change, kept for the history: who, when, from, to, why."""

    __tablename__ = "synergy_move"
    __table_args__ = (UniqueConstraint("event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str
    synergy_id: str = Field(index=True)
    from_stage: str
    to_stage: str
    reason: str | None = None
    note: str | None = None
    actor_organisation_id: str
    actor_name: str
    at: datetime = Field(index=True)


class SynergyFlow(SQLModel, table=True):
    """A recorded flow: the `synergy.flow_reported` payload as reported, plus when and by whom."""

    __tablename__ = "synergy_flow"

    flow_id: str = Field(primary_key=True)
    synergy_id: str = Field(index=True)
    recorded_at: datetime
    actor_organisation_id: str
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class Prospect(SQLModel, table=True):
    """An organisation the animateur contacted (the top of the recruitment funnel)."""

    __tablename__ = "prospect"

    prospect_id: str = Field(primary_key=True)
    territory_id: str = Field(index=True)
    name: str
    contacted_on: date
    met_on: date | None = None
    organisation_id: str | None = None  # once it registered
    notes: str | None = None


class TerritorySummarySent(SQLModel, table=True):
    """One row per territory and week: the summary is staged once, whatever restarts."""

    __tablename__ = "territory_summary_sent"

    territory_id: str = Field(primary_key=True)
    week: str = Field(primary_key=True)
    staged_at: datetime


class AccessLog(SQLModel, table=True):
    """Someone read an organisation's records beyond the anonymised view (the animateur's actors list,
    exports): who, when, what. The organisation can read its own entries (`GET /api/v1/access-log`)."""

    __tablename__ = "access_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    owner_organisation_id: str = Field(index=True)
    reader_organisation_id: str
    reader_name: str
    reader_user_id: str | None = None
    what: str  # e.g. « annonces actives (liste des acteurs) », « export CSV des synergies »
    territory_id: str | None = None


class Workshop(SQLModel, table=True):
    """An atelier de partage des ressources: some of the territory's actors, their resources and the pistes
    among them, projected by the animateur, who notes the choices made (reporting.workshops)."""

    __tablename__ = "workshop"

    workshop_id: str = Field(primary_key=True)
    territory_id: str = Field(index=True)
    title: str
    held_on: date
    place: str | None = None
    created_at: datetime


class WorkshopParticipant(SQLModel, table=True):
    __tablename__ = "workshop_participant"

    workshop_id: str = Field(primary_key=True)
    organisation_id: str = Field(primary_key=True, index=True)


class WorkshopChoice(SQLModel, table=True):
    """What the workshop made of one proposal: kept (a piste opens), merged with others into one piste, or set
    aside; with the animateur's note."""

    __tablename__ = "workshop_choice"

    workshop_id: str = Field(primary_key=True)
    match_id: str = Field(primary_key=True)
    choice: str  # kept | merged | set_aside
    note: str | None = None
    synergy_id: str | None = None  # the piste it opened or joined
    decided_at: datetime


TABLES: list[type[SQLModel]] = [
    KnownOrganisation,
    KnownListing,
    KnownMatch,
    MatchParticipant,
    Territory,
    TerritoryCommune,
    Animateur,
    Synergy,
    SynergyParty,
    SynergyMove,
    SynergyFlow,
    SynergyReminder,
    Prospect,
    TerritorySummarySent,
    AccessLog,
    Workshop,
    WorkshopParticipant,
    WorkshopChoice,
]
