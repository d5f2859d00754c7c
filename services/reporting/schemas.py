"""Request and response bodies of the reporting API (validation messages in French)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from shared.units import normalise_unit

INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _written_day(value: object) -> object:
    """A day is written `AAAA-MM-JJ`: a number (which pydantic would read as a Unix time) is refused."""
    if isinstance(value, int | float) or (isinstance(value, str) and not ISO_DAY.match(value)):
        raise ValueError("date attendue au format AAAA-MM-JJ (ex. 2026-01-15)")
    return value


Day = Annotated[date, BeforeValidator(_written_day)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def no_nul(cls, value: object) -> object:
        """A NUL character is refused: PostgreSQL cannot store it in text (it was a 500 there)."""
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("caractère NUL (\\u0000) interdit")
        return value


class TerritoryCreate(Strict):
    """An EPCI (by its SIREN) or a custom list of communes (INSEE codes)."""

    name: str = Field(min_length=2, max_length=120)
    epci: str | None = Field(default=None, pattern=r"^\d{9}$", description="SIREN de l'EPCI (9 chiffres)")
    communes: list[str] | None = Field(default=None, max_length=2000)

    @field_validator("communes")
    @classmethod
    def insee_codes(cls, value: list[str] | None) -> list[str] | None:
        for code in value or []:
            if not INSEE.match(code):
                raise ValueError(f"« {code} » n'est pas un code INSEE de commune (5 caractères, ex. 21231)")
        return value

    @model_validator(mode="after")
    def one_definition(self) -> TerritoryCreate:
        if bool(self.epci) == bool(self.communes):
            raise ValueError("Donnez soit « epci » (SIREN de l'intercommunalité), soit « communes » (codes INSEE)")
        return self


class TerritoryOut(BaseModel):
    id: str
    name: str
    epci: str | None
    communes: int
    animateur_organisation_id: str
    status: str = Field(description="approved, pending (a platform admin decides) or refused")
    status_label: str
    animateur_name: str = ""  # the collectivité, for the platform admin deciding a claim
    disputes: str | None = Field(
        default=None,
        description="pending claim of an EPCI another collectivité "
        "animates: that territory's name (approving it needs `transfer`)",
    )


class CommunePoint(BaseModel):
    insee: str
    name: str


class TerritoryPreview(BaseModel):
    """A territory as `POST /api/v1/territories` would declare it, before anything is written."""

    name: str
    epci: str | None
    epci_name: str | None
    status: str = Field(description="what the declaration would get: approved, or pending")
    status_label: str
    disputes: str | None = Field(description="the territory already animating this EPCI, if any")
    communes: list[CommunePoint]
    map: dict[str, Any] = Field(
        description="the communes projected for a drawing: width, height, communes [{x, y, title}]"
    )


class OwnTerritoryOut(BaseModel):
    """What the caller's collectivité is, hence may animate at once: its commune, and its commune's EPCI."""

    commune_insee: str | None
    commune_name: str | None
    epci: str | None
    epci_communes: int
    epci_is_own: bool = Field(description="its SIRET starts with the EPCI's SIREN: the EPCI is approved at once")


class ClaimDecision(Strict):
    """A platform admin's decision on a territory claimed outside the collectivité's own EPCI or commune."""

    approved: bool
    transfer: bool = Field(
        default=False,
        description="approve a disputed EPCI: the collectivité that animates it "
        "loses it (its territory becomes `transferred`)",
    )


class TransportIn(Strict):
    trips_per_month: float = Field(ge=0, le=10_000)
    km_per_trip: float = Field(ge=0, le=20_000)
    vehicle: str = Field(min_length=1, max_length=40)


class FlowIn(Strict):
    """A flow as the parties or the animateur record it: a rate per period, from start to end."""

    quantity: float = Field(gt=0, le=1e9)
    unit: str
    period: Literal["week", "month", "year", "once"]
    start: Day
    end: Day | None = None
    material: str | None = Field(default=None, max_length=40)
    density_t_per_unit: float | None = Field(default=None, gt=0, le=100)
    transport_before: TransportIn | None = None
    transport_after: TransportIn | None = None
    disposal_cost_avoided_eur: float = Field(default=0.0, ge=0, le=1e9)
    purchase_cost_avoided_eur: float = Field(default=0.0, ge=0, le=1e9)
    shared_cost_saving_eur: float = Field(default=0.0, ge=0, le=1e9)
    jobs: float = Field(default=0.0, ge=0, le=10_000)
    diverted_from_disposal: bool = True
    substitutes_virgin: bool = True
    shared_what: str | None = Field(default=None, max_length=200)
    members: list[str] = Field(default_factory=list, max_length=200)
    note: str | None = Field(default=None, max_length=2000)

    @field_validator("unit")
    @classmethod
    def known_unit(cls, value: str) -> str:
        code = normalise_unit(value)
        if code is None:
            raise ValueError(f"unité inconnue « {value} » (ex. t, kg, m3, MWh, unité)")
        return code

    @model_validator(mode="after")
    def dates_in_order(self) -> FlowIn:
        if self.end is not None and self.end < self.start:
            raise ValueError("la date de fin (end) précède la date de début (start)")
        return self


class StageChange(Strict):
    stage: str
    reason: str | None = None
    note: str | None = Field(default=None, max_length=2000)
    flow: FlowIn | None = None


class PisteCreate(Strict):
    """A piste from a workshop: the animateur names the parties, the resource and notes."""

    synergy_type: Literal["substitution", "mutualisation"]
    resource: str = Field(min_length=2, max_length=200)
    parties: list[str] = Field(min_length=1, max_length=200)
    material: str | None = Field(default=None, max_length=40)
    notes: str | None = Field(default=None, max_length=4000)


class ProspectCreate(Strict):
    name: str = Field(min_length=2, max_length=200)
    contacted_on: Day
    met_on: Day | None = None
    organisation_id: str | None = None
    notes: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def met_after_contact(self) -> ProspectCreate:
        if self.met_on is not None and self.met_on < self.contacted_on:
            raise ValueError("la rencontre (met_on) précède le premier contact (contacted_on)")
        return self


class ProspectUpdate(Strict):
    met_on: Day | None = None
    organisation_id: str | None = None
    notes: str | None = Field(default=None, max_length=2000)


class ProspectOut(BaseModel):
    """A prospect of the territory's funnel, as recorded."""

    prospect_id: str
    territory_id: str
    name: str
    contacted_on: date
    met_on: date | None
    organisation_id: str | None
    notes: str | None


class PartyOut(BaseModel):
    organisation_id: str
    name: str
    role: str
    commune_insee: str | None


class MoveOut(BaseModel):
    from_stage: str
    to_stage: str
    reason: str | None
    note: str | None
    by: str
    at: datetime


class LegalTextOut(BaseModel):
    title: str
    url: str


class ObligationOut(BaseModel):
    id: str
    title: str
    label: str
    texts: list[LegalTextOut] = []


class RegulatoryOut(BaseModel):
    """The regulatory side of a synergy: the offer's declared status, what the exchange requires, what is missing."""

    declared_status: str | None
    declared_status_label: str
    obligations: list[ObligationOut]
    missing: list[str]


class ImpactFigure(BaseModel):
    field: str
    label: str
    yearly: float  # a year of the flows running today
    to_date: float  # since the first flow began


class SourceOut(BaseModel):
    name: str
    url: str


class SynergyImpactOut(BaseModel):
    """What a synergy avoids, computed as the dashboard does (`report.synergy_impact`)."""

    since: date
    figures: list[ImpactFigure]
    sources: list[SourceOut]
    unconverted: bool  # a flow's quantity could not be put in tonnes
    missing_factors: bool  # a CO2e was left out for want of a cited factor


class SynergyOut(BaseModel):
    id: str
    origin: str
    match_id: str | None
    synergy_type: str
    resource: str
    material: str | None
    stage: str
    stage_label: str
    next_stages: list[str] = []  # where the lifecycle lets it move from `stage` ("abandoned" with a reason)
    quiet_since: datetime | None = None  # open and not moved for weeks: « à relancer » since its last move
    next_steps: list[str] = []  # what to do next at its stage
    abandon_reason: str | None
    notes: str | None
    opened_at: datetime
    updated_at: datetime
    parties: list[PartyOut]
    history: list[MoveOut] = []
    flows: list[dict[str, Any]] = []
    impact: SynergyImpactOut | None = None  # with the history: once a flow is recorded
    regulatory: RegulatoryOut | None = None
    # What a new flow's form starts from: the vehicle its parties said they would carry it with (issue 21), e.g.
    # {"transport_after": {"vehicle": "tractor"}}; empty when none said.
    suggested_flow: dict[str, Any] = {}


class ActorListingOut(BaseModel):
    listing_id: str
    kind: str
    title: str
    quantity_text: str | None
    published_at: datetime | None


class ActorOut(BaseModel):
    """An organisation of the territory, as its animateur sees it."""

    organisation_id: str
    name: str
    kind: str
    insee: str | None
    commune: str | None
    listings: list[ActorListingOut]


class AccessOut(BaseModel):
    """One read of my organisation's records by someone else."""

    at: datetime
    reader: str
    what: str


# --- workshops (ateliers de partage des ressources) ------------------------------------------------------------


class WorkshopCreate(Strict):
    """An atelier: its title, day and place, and the territory's actors taking part."""

    title: str = Field(min_length=2, max_length=160)
    held_on: Day
    place: str | None = Field(default=None, max_length=160)
    participants: list[str] = Field(
        min_length=2, max_length=300, description="organisation ids, actors of the territory"
    )


class WorkshopChoiceIn(Strict):
    """What the room decided on one piste (kept, set aside) or on several merged into one."""

    matches: list[str] = Field(min_length=1, max_length=20, description="the pistes' ids (`match_id`)")
    choice: Literal["kept", "merged", "set_aside"]
    note: str | None = Field(default=None, max_length=2000)


class WorkshopOut(BaseModel):
    id: str
    territory_id: str
    title: str
    held_on: date
    place: str | None
    participants: int
    pistes: int = Field(description="standing proposals among the participants")
    kept: int = Field(description="pistes kept or merged into a synergy")


class WorkshopParticipantOut(BaseModel):
    organisation_id: str
    name: str
    kind: str
    kind_label: str
    commune: str | None


class WorkshopResourceOut(BaseModel):
    """A listing as every actor may see it: no description, no private quantity, no contact."""

    listing_id: str
    organisation_id: str
    organisation: str
    kind: str
    kind_label: str
    title: str
    quantity_text: str | None


class WorkshopFamilyOut(BaseModel):
    label: str
    resources: list[WorkshopResourceOut]


class WorkshopPartyOut(BaseModel):
    organisation_id: str
    name: str
    listing_id: str | None
    listing_title: str
    listing_kind: str


class WorkshopPisteOut(BaseModel):
    match_id: str
    rank: int
    kind: str = Field(description="pair (a supply and a demand) or group (a mutualisation)")
    score: float | None
    distance_km: int | None
    explanation: str
    status: str = Field(description="proposed, or accepted by every party already")
    parties: list[WorkshopPartyOut]
    obligations: list[str]
    choice: str | None = Field(description="kept, merged, set_aside, or None while undecided")
    choice_label: str | None
    note: str | None
    synergy_id: str | None


class WorkshopView(WorkshopOut):
    """The projected page: participants on the map by kind, resources by family, pistes ranked."""

    territory_name: str
    participant_list: list[WorkshopParticipantOut]
    families: list[WorkshopFamilyOut]
    families_note: str | None = Field(description="said when the families could not be read by the engine")
    piste_list: list[WorkshopPisteOut]
    map: dict[str, Any] = Field(description="the territory's communes and the participants placed at theirs, by kind")


class HeldPisteOut(BaseModel):
    """A proposal held until every organisation in it confirms its imported diagnostic: for the animateur only."""

    match_id: str
    kind: str
    score: float | None
    distance_km: int | None
    explanation: str
    parties: list[WorkshopPartyOut]
