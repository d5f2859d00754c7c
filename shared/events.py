"""The event envelope and the typed, versioned payload of every event.

Every message on every topic is an `Envelope` (ARCHITECTURE.md, "Events"). Its `payload`
travels as a plain dict; `payload_of()` turns it into the registered class for the
event's type, upcasting old versions first, one version at a time. A breaking change adds
a new class and version plus an upcaster; old classes are never edited.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Envelope(BaseModel):
    """One message on a Boucle topic."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    producer: str
    key: str
    payload: dict[str, Any]

    def to_bytes(self) -> bytes:
        """Serialise as UTF-8 JSON."""
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        """Parse UTF-8 JSON; raises pydantic.ValidationError when malformed."""
        return cls.model_validate_json(raw)


class Payload(BaseModel):
    """Base of every payload: immutable, tolerant of fields added later."""

    model_config = ConfigDict(frozen=True, extra="ignore")


ListingKind = Literal["offer", "need", "share", "pool"]
Frequency = Literal["once", "daily", "weekly", "monthly", "yearly", "continuous", "seasonal"]


class ListingSnapshot(Payload):
    """listing.published / listing.updated v1: the listing as matching needs it."""

    listing_id: str
    organisation_id: str
    revision: int
    kind: ListingKind
    title: str
    description: str | None = None
    ewc_code: str | None = None
    category: str | None = None
    quantity_value: float | None = None
    quantity_unit: str | None = None
    frequency: Frequency | None = None
    radius_km: float | None = None
    available_from: date | None = None
    expires_at: date | None = None
    commune: str | None = None
    postcode: str | None = None
    insee: str | None = None
    lat: float | None = None
    lon: float | None = None
    private_fields: list[str] = []  # kept from every other organisation and the animateur, for good
    # Declared legal status (shared.nomenclatures); absent from events published before they existed.
    waste_status: str | None = None
    abp_category: int | None = None
    organic_farming: bool | None = None
    terms: str | None = None  # shared.nomenclatures.LISTING_TERMS
    price: str | None = None  # for the other side once both accept; absent from events before 7 December 2026
    # Who carries and with what (shared.nomenclatures.TRANSPORT_BY, TRANSPORT_MEANS); absent before 8 December 2026.
    transport_by: str | None = None
    transport_means: str | None = None
    # When available (offer, share) or wanted (need, pool): weekday codes and months; empty: any. Absent before
    # 8 December 2026.
    days: list[str] = []
    months: list[int] = []
    # Qualities (None: not said): an offer's, or the need's requirement (minimum temperature, pressure and
    # purity, maximum moisture; for cold, the maximum temperature).
    temperature_c: float | None = None
    pressure_bar: float | None = None
    purity_percent: float | None = None
    moisture_percent: float | None = None
    # A flow of an imported diagnostic its organisation has not confirmed yet: matched, but its proposals are held
    # for the territory's animateur (who made the diagnostic) until the organisation confirms; then `listing.updated`
    # says held=False. Absent from events before 7 December 2026 (never held).
    held: bool = False
    # « En échange de… »: the same organisation's listing of the complementary kind it swaps against (matching
    # proposes the two exchanges as one swap). Absent before 8 December 2026.
    counterpart_id: str | None = None


class ListingClosed(Payload):
    """listing.withdrawn / listing.expired / listing.paused v1: the listing is (for now) no longer available."""

    listing_id: str
    organisation_id: str
    revision: int


class ListingExpiring(Payload):
    """listing.expiring v1: the listing expires soon; its owner is reminded to renew or close it."""

    listing_id: str
    organisation_id: str
    revision: int
    title: str
    kind: ListingKind
    expires_at: date


class OrganisationProfile(Payload):
    """organisation.registered / organisation.updated v1: what matching and notifications need."""

    organisation_id: str
    name: str
    kind: str
    naf_code: str | None = None
    siret: str | None = None  # public; reporting ties a collectivité to its own EPCI by its SIREN
    commune: str | None = None
    postcode: str | None = None
    insee: str | None = None
    lat: float | None = None
    lon: float | None = None
    contact_email: str
    # False for an organisation signed up through the portal until one of its users confirms an address;
    # absent from events before 7 December 2026, which counted every organisation (hence the default).
    confirmed: bool = True


class AccountLinkRequested(Payload):
    """account.link_requested v2: email a user a single-use link (confirm the address, log in, join).

    On `boucle.organisations`, keyed by the organisation: it follows the organisation's
    registration. No secret: the mailer gets the link itself from offers, by `link_id`, when it
    sends the email (v1 carried the link's nonce).
    """

    user_id: str
    organisation_id: str
    email: str
    name: str
    # "diagnostic": an organisation an animateur imported is asked to confirm its flows, or to refuse them
    # "review": an animateur asks an organisation to review a diagnostic over a year old
    # "signup_attempt": someone signed up with this user's address: the user is told, with a login link
    # "invite" and "invite_existing": an invitation (user_id: the invitation's id, the user's once accepted) to an
    # address without an account, or to another organisation's user (who must delete that account first)
    purpose: Literal["confirm", "login", "invite", "diagnostic", "review", "signup_attempt", "invite_existing"]
    link_id: str


class UserRoleChanged(Payload):
    """user.role_changed v1: a user's role changed (its organisation's animateur powers follow it).

    On `boucle.organisations`, keyed by the organisation. Identifiers only, no name or address.
    """

    user_id: str
    organisation_id: str
    role: str


class MatchParty(Payload):
    """One side of a match, with what the other side may see before acceptance."""

    organisation_id: str
    listing_id: str
    kind: ListingKind
    title: str
    commune: str | None = None
    quantity_text: str | None = None
    # Revealed once every side accepted (match.accepted only): the listing's description and its exact
    # quantity (None when kept private).
    description: str | None = None
    quantity_exact: str | None = None
    terms: str | None = None  # shared.nomenclatures.LISTING_TERMS, said before acceptance too
    price: str | None = None  # revealed with the description


class LegalTextRef(Payload):
    """An official text an obligation rests on."""

    title: str
    url: str


class MatchObligation(Payload):
    """What an exchange requires under the law (matching's regulatory knowledge base)."""

    id: str
    title: str  # a few words
    label: str  # the full sentence
    texts: list[LegalTextRef] = []


class MatchProposed(Payload):
    """match.proposed v1: complementary listings found; parties stay anonymous to each other.

    `kind` is "pair" (a supply and a demand), "group" (a mutualisation of several
    organisations) or "swap" (two organisations, each giving what the other takes: its parties are the two pairs,
    supply then demand, and each organisation answers once); `explanations` gives, per listing id, the sentence its
    owner reads.
    """

    match_id: str
    score: float
    distance_km: float | None
    explanation: str
    parties: list[MatchParty]
    kind: Literal["pair", "group", "swap"] = "pair"
    explanations: dict[str, str] = {}
    flagged: bool = False  # matched on text alone: for the animateur to check
    obligations: list[MatchObligation] = []  # what the exchange requires under the law, for both sides
    # A listing of it is held (ListingSnapshot.held): no party is told, only the animateur sees it. Once none is,
    # the same proposal is announced again, held=False, under the same match_id.
    held: bool = False


class MatchRetracted(Payload):
    """match.retracted v1: a listing was withdrawn, expired or changed; the proposal no longer stands."""

    match_id: str
    reason: str


class MatchResponded(Payload):
    """match.responded v1: one party accepted or declined."""

    match_id: str
    organisation_id: str
    response: Literal["accepted", "declined"]
    # Organisations yet to answer after this one (None in events older than the field: every other party).
    awaiting: list[str] | None = None


class MatchConcluded(Payload):
    """match.accepted / match.declined v1: the match's final outcome."""

    match_id: str
    parties: list[MatchParty]


SynergyStage = Literal["detected", "studied", "contractualised", "operating", "ended", "abandoned"]
SynergyType = Literal["substitution", "mutualisation"]


class SynergyPartyRef(Payload):
    """One organisation taking part in a synergy (its listing when it came from a match)."""

    organisation_id: str
    listing_id: str | None = None
    role: str = "member"  # the listing kind (offer, need, share, pool) or "member"


class SynergyOpened(Payload):
    """synergy.opened v1: a synergy starts, from a mutually accepted match or a piste."""

    synergy_id: str
    origin: Literal["match", "piste"]
    match_id: str | None = None
    synergy_type: SynergyType
    resource: str
    material: str | None = None  # key of the material factors (METHODOLOGY.md)
    parties: list[SynergyPartyRef]
    notes: str | None = None
    actor_organisation_id: str | None = None  # None: opened by both sides accepting


class SynergyMoved(Payload):
    """synergy.stage_changed / synergy.contractualised / synergy.ended v1: who moved it, from where to where."""

    synergy_id: str
    from_stage: SynergyStage
    to_stage: SynergyStage
    reason: str | None = None  # why it was abandoned
    note: str | None = None
    actor_organisation_id: str
    actor_name: str
    parties: list[str]  # organisation ids, so a consumer can tell them without other state
    resource: str = ""
    animateurs: list[str] = []  # organisation ids of the animateurs of the parties' territories


class SynergyQuiet(Payload):
    """synergy.quiet v1: an open synergy has not moved for weeks; its parties and animateurs are reminded, with
    the next steps of its stage. Once per quiet spell (`quiet_since`: its last move)."""

    synergy_id: str
    resource: str
    stage: SynergyStage
    quiet_since: datetime
    weeks: int
    next_steps: list[str]
    parties: list[str]  # organisation ids
    animateurs: list[str] = []


class Taught(Payload):
    """matching.taught v1 (boucle.teachings): an animateur attached a phrase to a resource or a use; the engine
    reads every listing with it from now on, and those holding the phrase are matched again."""

    teaching_id: str
    phrase: str
    node_id: str


class TransportLeg(Payload):
    trips_per_month: float
    km_per_trip: float
    vehicle: str


class SynergyFlowReported(Payload):
    """synergy.flow_reported v1: a flow (rate per period, from start to end) recorded on a synergy;
    synergy.flow_corrected v1: the same flow as it should read, a revision more (the latest revision holds)."""

    synergy_id: str
    flow_id: str
    quantity: float
    unit: str
    period: Literal["week", "month", "year", "once"]
    start: date
    end: date | None = None
    material: str | None = None
    density_t_per_unit: float | None = None
    transport_before: TransportLeg | None = None
    transport_after: TransportLeg | None = None
    disposal_cost_avoided_eur: float = 0.0
    purchase_cost_avoided_eur: float = 0.0
    shared_cost_saving_eur: float = 0.0
    jobs: float = 0.0
    diverted_from_disposal: bool = True
    substitutes_virgin: bool = True
    shared_what: str | None = None  # mutualisation: what is shared
    members: list[str] = []  # mutualisation: organisation ids sharing it
    note: str | None = None
    actor_organisation_id: str
    revision: int = 1  # 1 as reported; each correction one more


class SummaryMove(Payload):
    resource: str
    from_stage: SynergyStage
    to_stage: SynergyStage
    by: str


class TerritoryWeeklySummary(Payload):
    """territory.weekly_summary v1: the week of a territory, for its animateur (boucle.territories)."""

    territory_id: str
    territory_name: str
    animateur_organisation_id: str
    week: str  # ISO week, e.g. 2026-W48
    period_from: date
    period_to: date  # included
    new_organisations: list[str]  # names
    new_listings: dict[str, int]  # by kind
    matches_proposed: int
    matches_accepted: int
    synergies_opened: int
    synergy_moves: list[SummaryMove]


class OrganisationErased(Payload):
    """organisation.erased v1: an organisation offers deleted (an imported diagnostic its contact refused): each
    service deletes what it keeps of it. Keyed by the organisation."""

    organisation_id: str


PAYLOADS: dict[tuple[str, int], type[Payload]] = {
    ("listing.published", 1): ListingSnapshot,
    ("listing.updated", 1): ListingSnapshot,
    ("listing.withdrawn", 1): ListingClosed,
    ("listing.expired", 1): ListingClosed,
    ("listing.paused", 1): ListingClosed,
    ("listing.expiring", 1): ListingExpiring,
    ("organisation.registered", 1): OrganisationProfile,
    ("organisation.updated", 1): OrganisationProfile,
    ("organisation.erased", 1): OrganisationErased,
    ("account.link_requested", 2): AccountLinkRequested,
    ("user.role_changed", 1): UserRoleChanged,
    ("match.proposed", 1): MatchProposed,
    ("match.retracted", 1): MatchRetracted,
    ("match.responded", 1): MatchResponded,
    ("match.accepted", 1): MatchConcluded,
    ("match.declined", 1): MatchConcluded,
    ("synergy.opened", 1): SynergyOpened,
    ("synergy.stage_changed", 1): SynergyMoved,
    ("synergy.contractualised", 1): SynergyMoved,
    ("synergy.ended", 1): SynergyMoved,
    ("synergy.flow_reported", 1): SynergyFlowReported,
    ("synergy.flow_corrected", 1): SynergyFlowReported,
    ("synergy.quiet", 1): SynergyQuiet,
    ("matching.taught", 1): Taught,
    ("territory.weekly_summary", 1): TerritoryWeeklySummary,
}

# (type, version) -> function turning that version's payload dict into version + 1.
UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {
    # v1 carried the nonce; its link cannot be fetched by id (and has long expired): the mailer drops it.
    ("account.link_requested", 1): lambda v1: {**{k: v for k, v in v1.items() if k != "nonce"}, "link_id": ""},
}


class UnknownEvent(ValueError):
    """An event type or version this code has no payload class for."""


def latest_version(event_type: str) -> int:
    """The newest registered version of an event type."""
    versions = [v for (t, v) in PAYLOADS if t == event_type]
    if not versions:
        raise UnknownEvent(f"unknown event type {event_type!r}")
    return max(versions)


def new_event(event_type: str, payload: Payload, *, producer: str, key: str) -> Envelope:
    """Wrap a payload in a fresh envelope at the type's latest version."""
    version = latest_version(event_type)
    expected = PAYLOADS[(event_type, version)]
    if not isinstance(payload, expected):
        raise TypeError(f"{event_type} v{version} carries {expected.__name__}, not {type(payload).__name__}")
    return Envelope(
        type=event_type, version=version, producer=producer, key=key, payload=payload.model_dump(mode="json")
    )


def payload_of(envelope: Envelope) -> Payload:
    """The envelope's payload as its typed class, upcast to the latest version."""
    if (envelope.type, envelope.version) not in PAYLOADS:
        raise UnknownEvent(f"unknown event {envelope.type!r} v{envelope.version}")
    data, version = dict(envelope.payload), envelope.version
    target = latest_version(envelope.type)
    while version < target:
        upcast = UPCASTERS.get((envelope.type, version))
        if upcast is None:
            raise UnknownEvent(f"no upcaster for {envelope.type!r} v{version}")
        data, version = upcast(data), version + 1
    return PAYLOADS[(envelope.type, version)].model_validate(data)
