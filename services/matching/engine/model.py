"""What the engine takes in and gives out: plain data, no framework."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Literal

from shared.nomenclatures import LISTING_COMPLEMENT
from shared.nomenclatures import SUPPLY_KINDS as SUPPLY_KINDS  # the engine reads its vocabulary from here

if TYPE_CHECKING:
    from matching.engine.law import Obligation

DEMAND_KINDS = ("need", "pool")
COMPLEMENT = LISTING_COMPLEMENT


@dataclass(frozen=True)
class ListingInput:
    """A listing as the engine sees it (from `listing.published` / `listing.updated`)."""

    listing_id: str
    organisation_id: str
    kind: Literal["offer", "need", "share", "pool"]
    title: str
    description: str | None = None
    category: str | None = None
    ewc_code: str | None = None
    quantity_value: float | None = None
    quantity_unit: str | None = None  # shared.units.UNITS; kw, mw, m3h and th are rates
    frequency: Literal["once", "daily", "weekly", "monthly", "yearly", "continuous", "seasonal"] | None = None
    radius_km: float | None = None
    lat: float | None = None
    lon: float | None = None
    commune: str | None = None
    available_from: date | None = None
    expires_at: date | None = None
    revision: int = 1
    quantity_private: bool = False  # its organisation shows its quantity to no one: no band in explanations
    # Declared legal status (None: not said): waste, by_product, end_of_waste or product; for a need,
    # the status it requires. Animal by-product category 1–3. Offer: usable in organic farming;
    # need: for an organic farm.
    waste_status: str | None = None
    abp_category: int | None = None
    organic_farming: bool | None = None
    # Qualities: an offer's; for a need, what it requires (minimum temperature — maximum for cold —,
    # pressure and purity; maximum moisture).
    temperature_c: float | None = None
    pressure_bar: float | None = None
    purity_percent: float | None = None
    moisture_percent: float | None = None
    # When a supply is available, or a demand wanted: weekday codes (« tue,wed ») and months (« 6,7,8 »); None: any.
    days: str | None = None
    months: str | None = None
    held: bool = False  # an unconfirmed diagnostic's flow: matched, its proposals held (shared.events.ListingSnapshot)
    counterpart_id: str | None = None  # « en échange de… »: its organisation's listing it swaps against


@dataclass(frozen=True)
class Proposal:
    """A match the engine proposes: a pair (supply, demand) or a group (mutualisation).

    `key` is stable for the same set of listings, so a proposal is never made twice.
    `explanations` holds, per listing id, the French sentence its owner reads.
    """

    key: str
    kind: Literal["pair", "group", "swap"]
    # pairs: (supply, demand); groups: sorted; swaps: both pairs, (supply, demand, supply, demand), as in `key`
    listing_ids: tuple[str, ...]
    score: float
    explanation: str
    explanations: dict[str, str] = field(default_factory=dict)
    distance_km: float | None = None
    flagged: bool = False  # matched on text similarity only: the animateur should look
    obligations: tuple[Obligation, ...] = ()  # what the exchange requires under the law
