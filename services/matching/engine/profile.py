"""A listing read through the knowledge base: what it is, where, how much, under which conditions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from matching.engine.law import Law, mass_per_load_kg
from matching.engine.model import SUPPLY_KINDS, ListingInput
from matching.engine.quantities import Flow, yearly_flow
from matching.engine.text import NEGATIONS, Vocabulary, context_flags, temperature_c, tokens
from matching.knowledge import Knowledge, Node
from matching.knowledge.law import Regulation
from shared.nomenclatures import normalise_ewc, waste_codes

DEFAULT_RADIUS_KM = 30.0
# As tokens (« dangereux » reads « dangereu »), in every gender and number.
HAZARD_WORDS = frozenset(
    tokens(
        "dangereux dangereuse dangereuses toxique toxiques amiante contaminé contaminée "
        "contaminés contaminées pollué polluée pollués polluées"
    )
)


@dataclass(frozen=True)
class Profile:
    """What the engine knows of one listing."""

    listing: ListingInput
    nodes: tuple[str, ...]  # taxonomy nodes, most specific first; empty = unplaced
    families: tuple[str, ...]
    hazardous: bool
    excludes_hazardous: bool
    asserted: frozenset[str]  # condition ids the text asserts
    contradicted: frozenset[str]  # condition ids the text contradicts
    temperature: float | None  # the listing's field, else the degrees its text states
    flow: Flow | None
    radius_km: float  # the listing's own, or its resource's default
    words: frozenset[str]
    mentioned: frozenset[str] = frozenset()  # every node the text names, even within longer phrases
    traits: frozenset[str] = frozenset()  # a supply: what the law sees in it (matching.engine.law)
    contexts: frozenset[str] = frozenset()  # a demand: where it puts the resource
    guessed: bool = False  # its node comes from the meaning of its words, not from the knowledge base: flagged

    @property
    def id(self) -> str:
        return self.listing.listing_id

    @property
    def placed(self) -> bool:
        return bool(self.nodes)

    @property
    def is_supply(self) -> bool:
        return self.listing.kind in SUPPLY_KINDS

    def active_on(self, today: date) -> bool:
        return self.listing.expires_at is None or self.listing.expires_at >= today


class Resolver:
    """Turns listings into profiles; built once from the knowledge base."""

    def __init__(
        self,
        knowledge: Knowledge,
        regulation: Regulation | None = None,
        guess: Callable[[str], str | None] | None = None,
    ):
        """`guess`: for a listing none of whose phrases the knowledge base knows, the node nearest in meaning
        (matching.meaning), or None; without it, such a listing is matched on its text alone."""
        self.knowledge = knowledge
        self.guess = guess
        self.law = Law(knowledge, regulation or Regulation.load(knowledge))
        self.vocabulary = Vocabulary(
            (node.id, phrase) for node in knowledge.nodes.values() for phrase in (node.label, *node.synonyms)
        )
        marks = [(f"+{c.id}", p) for c in knowledge.conditions.values() for p in c.positive]
        marks += [(f"-{c.id}", p) for c in knowledge.conditions.values() for p in c.negative]
        self.condition_words = Vocabulary(marks)

    def nodes_in(self, text: str | None, *, resources_only: bool) -> list[str]:
        """Nodes a text names, longest phrase first; for a supply, resources first and uses
        only when it names no resource (« paillage de miscanthus » offers mulch).

        A resource named in a clause of purpose or possession (« pour nos vaches », « de nos bennes ») is
        what the listing serves or holds, not what it is: it counts only when nothing else is named. A phrase
        that names both a resource and a use (« eau de lavage ») is the use in a need."""
        text_tokens, in_context = context_flags(text)
        hits = sorted(self.vocabulary.find(text_tokens), key=lambda h: (-h.length, h.start))
        # « pas de bois traité » does not ask for treated wood
        hits = [h for h in hits if h.start == 0 or text_tokens[h.start - 1] not in NEGATIONS]
        kind = {h.node_id: self.knowledge.nodes[h.node_id].kind for h in hits}
        if not resources_only:
            uses_at = {(h.start, h.length) for h in hits if kind[h.node_id] == "use"}
            hits = [h for h in hits if kind[h.node_id] == "use" or (h.start, h.length) not in uses_at]
        named = [h for h in hits if not (kind[h.node_id] == "resource" and in_context[h.start])]
        found = list(dict.fromkeys(hit.node_id for hit in (named or hits)))
        if resources_only:
            resources = [n for n in found if self.knowledge.nodes[n].kind == "resource"]
            return resources or found
        return found

    def profile(self, listing: ListingInput) -> Profile:
        supply = listing.kind in SUPPLY_KINDS
        text = " ".join(filter(None, (listing.title, listing.description)))
        text_nodes = self.nodes_in(text, resources_only=supply)
        nodes: list[str] = []
        code = normalise_ewc(listing.ewc_code) if listing.ewc_code else None
        if code:  # an explicit code or category takes precedence over the free text
            by_code = [n.id for n in self.knowledge.nodes_for_ewc(code)]
            nodes = [n for n in text_nodes if n in by_code] or by_code
        if not nodes and listing.category:
            nodes = self.nodes_in(listing.category, resources_only=supply)
        if not nodes:
            nodes = text_nodes
        guessed = False
        # Only an offer's or a share's resource is guessed: a need's use is what the law reads (feed, spreading,
        # food, fuel for which vehicle…), and a guessed use would let through what its words alone forbid.
        if not nodes and supply and self.guess is not None:
            nearest = self.guess(listing.category or listing.title)
            if nearest is not None:
                nodes, guessed = [nearest], True
        elif not supply:  # a need keeps the uses its text names (e.g. « pour litière »)
            nodes += [n for n in text_nodes if n not in nodes and self.knowledge.nodes[n].kind == "use"]

        node_objs = [self.knowledge.nodes[n] for n in nodes]
        families = tuple(dict.fromkeys(n.family for n in node_objs if n.family))
        stated_temperature = listing.temperature_c if listing.temperature_c is not None else temperature_c(text)
        asserted, contradicted = self.conditions(text, stated_temperature, listing.frequency)
        text_tokens = tokens(text)
        words = set(text_tokens) | set(tokens(listing.category))
        official = waste_codes().get(code) if code else None
        hazardous = (
            bool(official and official.hazardous)
            or (bool(node_objs) and node_objs[0].hazardous)
            or any(
                w in HAZARD_WORDS and (i == 0 or text_tokens[i - 1] not in NEGATIONS) for i, w in enumerate(text_tokens)
            )
        )
        density = next((n.density_kg_m3 for n in node_objs if n.density_kg_m3), None)
        words -= NEGATIONS
        radius = listing.radius_km or (self.knowledge.radius_km(nodes[0]) if nodes else DEFAULT_RADIUS_KM)
        traits: frozenset[str]
        contexts: frozenset[str]
        if supply:
            load = mass_per_load_kg(listing.quantity_value, listing.quantity_unit, listing.frequency, density)
            traits, contexts = self.law.offer_traits(listing, tuple(nodes), text_tokens, hazardous, load), frozenset()
        else:
            traits, contexts = frozenset(), self.law.need_contexts(listing, tuple(nodes), text_tokens)
        return Profile(
            listing=listing,
            nodes=tuple(nodes),
            families=families,
            hazardous=hazardous,
            excludes_hazardous=any(n.excludes_hazardous for n in node_objs),
            asserted=asserted,
            contradicted=contradicted,
            temperature=stated_temperature,
            flow=yearly_flow(listing.quantity_value, listing.quantity_unit, listing.frequency, density),
            radius_km=radius,
            words=frozenset(words),
            mentioned=self.also_named(text_tokens, node_objs, hazardous) | frozenset(nodes),
            traits=traits,
            contexts=contexts,
            guessed=guessed,
        )

    def also_named(self, text_tokens: list[str], chosen: list[Node], hazardous: bool) -> frozenset[str]:
        """Nodes named inside the text's longer phrases that it really is: « chutes de carton »
        is carton (same family, same hazard), « huile de friture usagée » is no motor oil."""
        families = {n.family for n in chosen}
        return frozenset(
            n
            for n in self.vocabulary.mentioned(text_tokens)
            if self.knowledge.nodes[n].family in families and self.knowledge.nodes[n].hazardous == hazardous
        )

    def conditions(
        self, text: str, temperature: float | None = None, frequency: str | None = None
    ) -> tuple[frozenset[str], frozenset[str]]:
        """Conditions asserted and contradicted; a negation flips a word: « sans agrafes », « non traité ».
        A stated temperature or frequency settles the conditions that have a threshold or a frequency."""
        asserted: set[str] = set()
        contradicted: set[str] = set()
        text_tokens = tokens(text)
        for hit in self.condition_words.find(text_tokens):
            positive = hit.node_id[0] == "+"
            if hit.start > 0 and text_tokens[hit.start - 1] in NEGATIONS:
                positive = not positive
            (asserted if positive else contradicted).add(hit.node_id[1:])
        for condition in self.knowledge.conditions.values():
            if condition.min_temperature_c is not None and temperature is not None:
                settled = asserted if temperature >= condition.min_temperature_c else contradicted
                asserted.discard(condition.id)
                contradicted.discard(condition.id)
                settled.add(condition.id)
            if frequency in condition.frequencies:
                asserted.add(condition.id)
                contradicted.discard(condition.id)
        return frozenset(asserted), frozenset(contradicted - asserted)
