"""The law applied to a pair: what an offer is, where a need puts it, what is forbidden or required.

Pure functions over the regulatory knowledge base (`matching.knowledge.law`): traits are read
from an offer once, contexts from a need once (at profile time); a pair is then checked with
set operations only.
"""

from __future__ import annotations

from dataclasses import dataclass

from matching.engine.model import ListingInput
from matching.engine.quantities import yearly_flow
from matching.engine.text import NEGATIONS, Vocabulary
from matching.knowledge import Knowledge
from matching.knowledge.law import LegalText, Prohibition, Regulation
from shared.nomenclatures import WASTE_STATUSES
from shared.units import RATE_UNITS

HAZARDOUS_LOAD_KG = 100.0  # R541-50: a transporter's declaration above 0.1 t of hazardous waste per load
LOAD_KG = 500.0  # and above 0.5 t of other waste
COLLECTIONS_PER_YEAR = {"yearly": 12.0, "seasonal": 6.0}  # else the amount as written comes in one collection


@dataclass(frozen=True)
class Obligation:
    """What an exchange requires, said to both parties, with the texts it rests on."""

    id: str
    title: str
    label: str
    texts: tuple[LegalText, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "label": self.label,
            "texts": [{"title": t.title, "url": t.url} for t in self.texts],
        }


class Law:
    """The regulatory knowledge base, ready to read listings."""

    def __init__(self, knowledge: Knowledge, regulation: Regulation):
        self.knowledge = knowledge
        self.regulation = regulation
        self.trait_words = Vocabulary((t.id, p) for t in regulation.traits.values() for p in t.phrases)
        self.context_words = Vocabulary((c.id, p) for c in regulation.contexts.values() for p in c.phrases)
        self.weak_words = Vocabulary((c.id, p) for c in regulation.contexts.values() for p in c.weak_phrases)
        # use → the contexts it puts a resource in, looked up for every pair a rule makes
        self.use_contexts = {
            use: frozenset(c.id for c in regulation.contexts.values() if use in c.uses)
            for c in regulation.contexts.values()
            for use in c.uses
        }

    # -- reading listings --------------------------------------------------------------------
    def offer_traits(
        self,
        listing: ListingInput,
        nodes: tuple[str, ...],
        text_tokens: list[str],
        hazardous: bool,
        mass_per_load_kg: float | None,
    ) -> frozenset[str]:
        """What the law sees in an offer (or a share: a collection service says what it collects): from its
        resource, its words and what it declares."""
        found: set[str] = set()
        node_set = set(nodes)
        families = {self.knowledge.nodes[n].family for n in nodes}
        said = self._said(self.trait_words, text_tokens)
        primary = nodes[0] if nodes else None  # « soude en fûts » is soda, not a drum that held it
        for trait in self.regulation.traits.values():
            if (
                node_set & trait.nodes
                or families & trait.families
                or (trait.id in said and (not trait.within or primary in trait.within))
            ):
                found.add(trait.id)
        if listing.abp_category in (1, 2, 3):  # a declared category replaces what the text suggests
            found -= {"abp_category_1", "abp_category_2", "abp_category_3"}
            found.add(f"abp_category_{listing.abp_category}")
        for trait in self.regulation.traits.values():
            if trait.implied_by & found:
                found.add(trait.id)
        if hazardous:
            found.add("hazardous")
        if listing.organic_farming:
            found.add("organic_allowed")
        status = self.status(listing, nodes)
        if listing.waste_status in WASTE_STATUSES:
            found.add(f"declared_{listing.waste_status}")
        if status is not None:
            found.add(f"status_{status}")
            if status == "waste" and mass_per_load_kg is not None:
                if mass_per_load_kg > HAZARDOUS_LOAD_KG:
                    found.add("load_over_0_1t")
                if mass_per_load_kg > LOAD_KG:
                    found.add("load_over_0_5t")
        return frozenset(found)

    def status(self, listing: ListingInput, nodes: tuple[str, ...]) -> str | None:
        """The declared status, else the resource's usual one; None for what is lent or reused as it is."""
        if listing.waste_status in WASTE_STATUSES:
            return listing.waste_status
        if not nodes:
            return None
        node = self.knowledge.nodes[nodes[0]]
        if node.kind != "resource" or node.family in self.regulation.not_waste_families:
            return None
        return self.regulation.usual_status.get(node.id, "waste")

    def need_contexts(self, listing: ListingInput, nodes: tuple[str, ...], text_tokens: list[str]) -> frozenset[str]:
        """Where a need puts the resource: its uses, its words, what it declares."""
        uses = {n for n in nodes if self.knowledge.nodes[n].kind == "use"}
        found = {c.id for c in self.regulation.contexts.values() if c.uses & uses}
        found |= self._said(self.context_words, text_tokens)
        for context_id in self._said(self.weak_words, text_tokens):
            context = self.regulation.contexts[context_id]
            if uses <= context.uses and not context.weak_unless_nodes & set(nodes):  # « cochons », not « fumier de »
                found.add(context_id)
        if listing.organic_farming:
            found.add("organic_farm")
        if listing.waste_status in WASTE_STATUSES and listing.waste_status != "waste":
            found.add(f"requires_{listing.waste_status}")
        return frozenset(found)

    @staticmethod
    def _said(words: Vocabulary, text_tokens: list[str]) -> set[str]:
        """Ids whose phrases the text says exactly (a typo's neighbour, « soude » for « soupe », would
        forbid at random), not negated (« sans viande » is no meat)."""
        return {
            hit.node_id
            for hit in words.find(text_tokens)
            if hit.exact and (hit.start == 0 or text_tokens[hit.start - 1] not in NEGATIONS)
        }

    # -- judging a pair ----------------------------------------------------------------------
    def contexts_for(self, demand_contexts: frozenset[str], target: str | None) -> frozenset[str]:
        return demand_contexts | self.use_contexts.get(target or "", frozenset())

    def forbids(self, traits: frozenset[str], contexts: frozenset[str]) -> Prohibition | None:
        """The first prohibition the exchange falls under, or None."""
        for rule in self.regulation.prohibitions:
            if (
                not traits & rule.supply_any
                or traits & rule.supply_none
                or contexts & rule.demand_none
                or not rule.demand_all <= contexts
            ):
                continue
            if not rule.demand_any or contexts & rule.demand_any:
                return rule
        return None

    def obligations(self, traits: frozenset[str], contexts: frozenset[str]) -> tuple[Obligation, ...]:
        """What the exchange requires, each obligation once (the first rule of an id that applies)."""
        found: dict[str, Obligation] = {}
        for rule in self.regulation.obligations:
            if rule.id in found or not rule.supply_all <= traits or traits & rule.supply_none:
                continue
            if rule.demand_any and not contexts & rule.demand_any:
                continue
            found[rule.id] = Obligation(rule.id, rule.title, rule.label, rule.texts)
        return tuple(found.values())


def mass_per_load_kg(
    value: float | None, unit: str | None, frequency: str | None, density_kg_m3: float | None
) -> float | None:
    """The quantity per collection in kg (a yearly amount is taken as twelve collections; a litre of
    unknown density as a kilogram); None when it is no mass or volume, or a rate."""
    if unit in RATE_UNITS:
        return None
    amount = yearly_flow(value, unit, "once", density_kg_m3 or 1000.0)  # the amount as written, in kg
    if amount is None or amount.dimension != "mass":
        return None
    return amount.amount / COLLECTIONS_PER_YEAR.get(frequency or "", 1.0)
