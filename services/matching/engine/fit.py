"""Whether a supply can serve a demand, and how well: pure rules, no state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from matching.engine.law import Law, Obligation
from matching.engine.model import ListingInput
from matching.engine.profile import Profile
from matching.engine.quantities import coverage, too_small
from matching.engine.text import title_head, tokens
from matching.knowledge import Knowledge, Rule
from shared.geo import haversine_km
from shared.units import format_number

UNMET_CONDITION_FACTOR = 0.9
TEXT_ONLY_STRENGTH = 0.6
TEXT_SIMILARITY_FLOOR = 0.5
HEAD_SIMILARITY = 0.6
# A share's capacity (what it lends per period, its quantity) must cover at least this much of what a pool asks, when
# both say it in comparable units: below, the pair is refused rather than proposed as a partial answer.
SHARE_MIN_COVERAGE = 0.5


@dataclass(frozen=True)
class PairFit:
    """A supply that can serve a demand: through which rule, how far, how much, how well."""

    supply: Profile
    demand: Profile
    strength: float
    rule: Rule | None  # None: the same resource on both sides, or text similarity
    unmet: tuple[str, ...]  # conditions to check (not asserted by the supply's text)
    distance_km: float
    coverage: float | None
    score: float
    text_only: bool = False
    obligations: tuple[Obligation, ...] = ()  # what the exchange requires under the law
    qualities: tuple[str, ...] = ()  # how the offer meets what the need requires (« humidité 12 % pour 20 % au plus »)
    to_check: tuple[str, ...] = ()  # what the need requires and the offer does not say

    @property
    def guessed(self) -> bool:
        """One side was placed by the meaning of its words, not by the knowledge base."""
        return self.supply.guessed or self.demand.guessed


def distance_km(a: Profile, b: Profile) -> float | None:
    la, lb = a.listing, b.listing
    if None in (la.lat, la.lon, lb.lat, lb.lon):
        return None
    return haversine_km(la.lat, la.lon, lb.lat, lb.lon)  # type: ignore[arg-type]


def substitution(knowledge: Knowledge, supply: Profile, demand: Profile) -> tuple[float, Rule | None, tuple[str, ...]]:
    """The best way the supply's resource serves the demand: (strength, rule, unmet conditions)."""
    best: tuple[float, Rule | None, tuple[str, ...]] = (0.0, None, ())
    if set(supply.nodes) & set(demand.nodes):
        return (1.0, None, ())
    demand_resources = {n for n in demand.nodes if knowledge.nodes[n].kind == "resource"}
    if supply.mentioned & demand_resources:
        return (0.95, None, ())  # « chutes de carton ondulé » is carton, as the need asks
    targets = set(demand.nodes)
    specified = specified_families(knowledge, demand)
    for node in supply.nodes:
        for rule in knowledge.rules_from(node):
            if rule.target not in targets or set(rule.conditions) & supply.contradicted:
                continue
            if knowledge.nodes[node].family in specified and knowledge.nodes[rule.target].kind == "use":
                # The need names the resource it wants in this family (« recycleur PVC »):
                # another resource of the family does not serve it through a generic use.
                continue
            unmet = tuple(c for c in rule.conditions if c not in supply.asserted)
            strength = rule.strength * UNMET_CONDITION_FACTOR ** len(unmet)
            if strength > best[0]:
                best = (strength, rule, unmet)
    return best


def specified_families(knowledge: Knowledge, demand: Profile) -> set[str]:
    """Families in which the demand names a resource."""
    return {
        knowledge.nodes[n].family  # type: ignore[misc]
        for n in demand.nodes
        if knowledge.nodes[n].kind == "resource" and knowledge.nodes[n].family
    }


def temperatures_clash(supply: Profile, demand: Profile) -> bool:
    """Heat too cold for the use, or cold not cold enough (both below 15 °C: a cold chain)."""
    s, d = supply.temperature, demand.temperature
    if s is None or d is None:
        return False
    if s < 15 and d < 15:
        return s > d + 2
    return s < d - 5


# quality field → (French name, unit, the need's value is a minimum (True) or a maximum)
QUALITIES = {
    "pressure_bar": ("pression", "bar", True),
    "purity_percent": ("pureté", "%", True),
    "moisture_percent": ("humidité", "%", False),
}


def qualities_fit(supply: Profile, demand: Profile) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
    """(the offer fails a stated requirement, requirements met, requirements to check) for pressure, purity
    and moisture; temperature is weighed by `temperatures_clash`, and said here when both state it."""
    met: list[str] = []
    to_check: list[str] = []
    for name, (label, unit, minimum) in QUALITIES.items():
        wanted, offered = getattr(demand.listing, name), getattr(supply.listing, name)
        if wanted is None:
            continue
        bound = "au moins" if minimum else "au plus"
        if offered is None:
            to_check.append(f"{label} {bound} {format_number(wanted)} {unit}")
        elif (offered < wanted) if minimum else (offered > wanted):
            return True, (), ()
        else:
            met.append(f"{label} {format_number(offered)} {unit} pour {format_number(wanted)} {unit} {bound}")
    if supply.temperature is not None and demand.listing.temperature_c is not None:
        met.insert(
            0, f"{format_number(supply.temperature)} °C pour {format_number(demand.temperature or 0)} °C demandés"
        )
    return False, tuple(met), tuple(to_check)


def text_similarity(a: Profile, b: Profile) -> float:
    """Shared words over all words; at least `HEAD_SIMILARITY` when either title names the thing the other's title
    starts with (« ardoises de dépose » and « ardoises anciennes pour la chapelle »), unless both state categories
    that have no word in common."""
    if not a.words or not b.words:
        return 0.0
    shared = len(a.words & b.words) / len(a.words | b.words)
    if shared >= HEAD_SIMILARITY:
        return shared
    a_category, b_category = set(tokens(a.listing.category)), set(tokens(b.listing.category))
    if a_category and b_category and not a_category & b_category:
        return shared
    a_title, b_title = tokens(a.listing.title), tokens(b.listing.title)
    head_a, head_b = title_head(a_title), title_head(b_title)
    if (head_a and head_a in b_title) or (head_b and head_b in a_title):
        return HEAD_SIMILARITY
    return shared


# Where a resource the knowledge base did not recognise (placed by the meaning of its words) is never proposed: what
# the law reads there depends on what the resource really is (matching.knowledge.regulation's contexts).
GUESS_BARRED_CONTEXTS = frozenset(
    {
        "feeds_farmed_animals",
        "abp_processing",
        "not_abp_registered",
        "on_farmland",
        "pasture",
        "home_gardens",
        "contact_sensitive",
        "sensitive_premises",
        "food_contact",
        "food_process_water",
        "personal_hygiene",
        "animal_bedding",
        "general_public",
        "road_transport_fuel",
        "outdoor_watering",
        "medicinal_use",
        "crop_protection",
        "direct_food_contact",
        "toy_making",
    }
)


def calendars_clash(supply: ListingInput, demand: ListingInput) -> bool:
    """True when both sides said when (days of the week, months of the year) and never at the same time: a share
    lent on Tuesdays only is no use to a need on weekends, a summer surplus to a winter need."""
    for said_supply, said_demand in ((supply.days, demand.days), (supply.months, demand.months)):
        if said_supply and said_demand and not set(said_supply.split(",")) & set(said_demand.split(",")):
            return True
    return False


def pair_fit(knowledge: Knowledge, law: Law, supply: Profile, demand: Profile, today: date) -> PairFit | None:
    """The fit of a supply and a demand, or None when they must not be matched (the law first)."""
    s, d = supply.listing, demand.listing
    if s.organisation_id == d.organisation_id:
        return None
    if not (supply.active_on(today) and demand.active_on(today)):
        return None
    if s.available_from and d.expires_at and s.available_from > d.expires_at:
        return None  # available only after the need has lapsed
    if calendars_clash(s, d):
        return None
    if supply.hazardous and demand.excludes_hazardous:
        return None
    if demand.asserted & supply.contradicted:
        return None  # the need asks for what the offer says it is not
    if temperatures_clash(supply, demand):
        return None
    fails, qualities, to_check = qualities_fit(supply, demand)
    if fails:
        return None  # the need states a pressure, purity or moisture the offer does not meet

    text_only = False
    if supply.placed and demand.placed:
        strength, rule, unmet = substitution(knowledge, supply, demand)
        if strength <= 0:
            return None
        if rule is not None and supply.hazardous and knowledge.nodes[rule.target].excludes_hazardous:
            return None
    else:
        similarity = text_similarity(supply, demand)
        if similarity < TEXT_SIMILARITY_FLOOR:
            return None
        strength, rule, unmet, text_only = TEXT_ONLY_STRENGTH * similarity, None, (), True
    strength *= UNMET_CONDITION_FACTOR ** len(to_check)

    contexts = law.contexts_for(demand.contexts, rule.target if rule else None)
    if law.forbids(supply.traits, contexts) is not None:
        return None  # whatever the similarity or the score
    if (supply.guessed or not supply.placed) and contexts & GUESS_BARRED_CONTEXTS:
        return None  # a resource the knowledge base does not know never goes into food, feed or onto land

    distance = distance_km(supply, demand)
    if distance is None:
        return None
    limit = min(supply.radius_km, demand.radius_km if d.radius_km else supply.radius_km)
    if distance > limit:
        return None

    if too_small(supply.flow, demand.flow):
        return None
    covered = coverage(supply.flow, demand.flow)
    if s.kind == "share" and covered is not None and covered < SHARE_MIN_COVERAGE:
        return None  # a room for 20 is no answer to a training of 50, nor one day a week to five

    closeness = 1 - distance / limit if limit else 1.0
    # A quantity kept private must not be read back from the score: its coverage counts as unknown.
    weighed = None if s.quantity_private or d.quantity_private else covered
    score = (
        0.5 * strength
        + 0.25 * closeness
        + 0.2 * (weighed if weighed is not None else 0.6)
        + 0.05 * freshness(supply, demand, today)
    )
    return PairFit(
        supply,
        demand,
        strength,
        rule,
        unmet,
        round(distance, 1),
        covered,
        round(min(1.0, max(0.0, score)), 3),
        text_only,
        law.obligations(supply.traits, contexts),
        qualities,
        to_check,
    )


def freshness(supply: Profile, demand: Profile, today: date) -> float:
    """1 when both listings have months of validity left, less as either nears expiry."""
    days = [(p.listing.expires_at - today).days for p in (supply, demand) if p.listing.expires_at]
    return min([1.0, *(max(0.0, min(1.0, n / 60)) for n in days)])
