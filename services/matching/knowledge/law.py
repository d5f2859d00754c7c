"""The regulatory knowledge base: what French and EU law forbids or requires of an exchange.

Reviewed data in `regulation.toml` (its header says how to read it). `Regulation.load(knowledge)`
reads it and checks every reference (nodes, families, traits, contexts, texts) against the
resource knowledge base; any inconsistency raises `KnowledgeError` naming the entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from matching.knowledge import HERE, Knowledge, KnowledgeError, _Entry, _identifier, _read
from shared.nomenclatures import WASTE_STATUSES

__all__ = ["Context", "LegalText", "ObligationRule", "Prohibition", "Regulation", "Trait"]

FILE = "regulation.toml"
RULE_FAMILIES = ("animal_by_products", "waste_on_land", "waste_status", "fitness_for_use")
# Traits and contexts the engine derives from a listing's fields, not from the file.
DERIVED_TRAITS = frozenset(
    {
        "hazardous",
        "organic_allowed",
        "load_over_0_5t",
        "load_over_0_1t",
        *(f"declared_{s}" for s in WASTE_STATUSES),
        *(f"status_{s}" for s in WASTE_STATUSES),
        *(f"abp_category_{n}" for n in (1, 2, 3)),
    }
)
DERIVED_CONTEXTS = frozenset({"organic_farm", *(f"requires_{s}" for s in WASTE_STATUSES)})


@dataclass(frozen=True)
class LegalText:
    id: str
    title: str
    url: str


@dataclass(frozen=True)
class Trait:
    """What the law sees in an offer: its nodes or families, or phrases of its text (on `within` nodes)."""

    id: str
    label: str
    nodes: frozenset[str]
    families: frozenset[str]
    phrases: tuple[str, ...]
    within: frozenset[str]  # empty: phrases count on any offer
    implied_by: frozenset[str]  # other traits that carry this one


@dataclass(frozen=True)
class Context:
    """Where a need puts the resource: the uses it names or a rule leads to, or phrases of its text."""

    id: str
    label: str
    uses: frozenset[str]
    phrases: tuple[str, ...]
    weak_phrases: tuple[str, ...]  # only when the need names no other use
    weak_unless_nodes: frozenset[str]  # nor any of these nodes


@dataclass(frozen=True)
class Prohibition:
    id: str
    family: str
    supply_any: frozenset[str]
    supply_none: frozenset[str]
    demand_any: frozenset[str]  # empty: whatever the need…
    demand_none: frozenset[str]  # …unless it has one of these contexts
    why: str
    texts: tuple[LegalText, ...]
    demand_all: frozenset[str] = frozenset()  # and every one of these (an organic farm that feeds animals)


@dataclass(frozen=True)
class ObligationRule:
    id: str
    title: str  # a few words, in the explanation
    label: str  # the full sentence
    supply_all: frozenset[str]
    supply_none: frozenset[str]
    demand_any: frozenset[str]  # empty: whatever the need
    texts: tuple[LegalText, ...]


@dataclass(frozen=True)
class Regulation:
    texts: dict[str, LegalText]
    usual_status: dict[str, str]  # node id → by_product | product (else waste)
    not_waste_families: frozenset[str]
    traits: dict[str, Trait]
    contexts: dict[str, Context]
    prohibitions: tuple[Prohibition, ...]
    obligations: tuple[ObligationRule, ...]

    @classmethod
    def load(cls, knowledge: Knowledge, directory: Path | None = None) -> Regulation:
        """The file of `directory`; without one, this package's for the default knowledge base (cached),
        and no rule at all for another (a test's small knowledge base names other nodes)."""
        if directory is not None:
            return _load(knowledge, Path(directory))
        if knowledge is Knowledge.load():
            return _default()
        return cls.empty()

    @classmethod
    def empty(cls) -> Regulation:
        return cls({}, {}, frozenset(), {}, {}, (), ())


@cache
def _default() -> Regulation:
    return _load(Knowledge.load(), HERE)


def _load(knowledge: Knowledge, directory: Path) -> Regulation:
    doc = _read(directory / FILE)
    texts = _texts(doc)
    usual, not_waste = _usual_status(doc, knowledge)
    traits = _traits(doc, knowledge)
    contexts = _contexts(doc, knowledge)
    trait_ids = set(traits) | DERIVED_TRAITS
    context_ids = set(contexts) | DERIVED_CONTEXTS
    for trait in traits.values():
        _known(f"{FILE} [traits.{trait.id}] `implied_by`", tuple(trait.implied_by), trait_ids, "trait")
    prohibitions, obligations = [], []
    for position, table in enumerate(_array(doc, "prohibitions"), start=1):
        entry = _Entry(f"{FILE} [[prohibitions]] #{position}", table)
        entry.unknown_keys(
            {"id", "family", "supply_any", "supply_none", "demand_any", "demand_none", "demand_all", "why", "texts"}
        )
        family = entry.text("family") or ""
        if family not in RULE_FAMILIES:
            raise KnowledgeError(f"{entry.where}: `family` must be one of {', '.join(RULE_FAMILIES)}")
        supply_any, supply_none, demand_any, demand_none = (
            _refs(entry, key, ids, kind)
            for key, ids, kind in (
                ("supply_any", trait_ids, "trait"),
                ("supply_none", trait_ids, "trait"),
                ("demand_any", context_ids, "context"),
                ("demand_none", context_ids, "context"),
            )
        )
        demand_all = _refs(entry, "demand_all", context_ids, "context")
        if not supply_any or not (demand_any or demand_none or demand_all):
            raise KnowledgeError(f"{entry.where}: needs `supply_any`, and `demand_any`, `demand_all` or `demand_none`")
        prohibitions.append(
            Prohibition(
                _identifier(entry.where, entry.text("id") or ""),
                family,
                supply_any,
                supply_none,
                demand_any,
                demand_none,
                entry.text("why") or "",
                _cited(entry, texts),
                demand_all,
            )
        )
    for position, table in enumerate(_array(doc, "obligations"), start=1):
        entry = _Entry(f"{FILE} [[obligations]] #{position}", table)
        entry.unknown_keys({"id", "title", "label", "supply_all", "supply_none", "demand_any", "texts"})
        supply_all = _refs(entry, "supply_all", trait_ids, "trait")
        if not supply_all:
            raise KnowledgeError(f"{entry.where}: needs `supply_all`")
        obligations.append(
            ObligationRule(
                _identifier(entry.where, entry.text("id") or ""),
                entry.text("title") or "",
                entry.text("label") or "",
                supply_all,
                _refs(entry, "supply_none", trait_ids, "trait"),
                _refs(entry, "demand_any", context_ids, "context"),
                _cited(entry, texts),
            )
        )
    return Regulation(texts, usual, not_waste, traits, contexts, tuple(prohibitions), tuple(obligations))


def _array(doc: Mapping[str, Any], key: str) -> list[Any]:
    value = doc.get(key, [])
    if not isinstance(value, list):
        raise KnowledgeError(f"{FILE}: `{key}` must be an array of tables [[{key}]]")
    return value


def _tables(doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, Mapping):
        raise KnowledgeError(f"{FILE}: `{key}` must be tables [{key}.<id>]")
    return value


def _texts(doc: Mapping[str, Any]) -> dict[str, LegalText]:
    texts = {}
    for text_id, table in _tables(doc, "texts").items():
        entry = _Entry(f"{FILE} [texts.{text_id}]", table)
        entry.unknown_keys({"title", "url"})
        url = entry.text("url") or ""
        if not url.startswith("https://"):
            raise KnowledgeError(f"{entry.where}: `url` must be an https address")
        texts[_identifier(entry.where, text_id)] = LegalText(text_id, entry.text("title") or "", url)
    return texts


def _usual_status(doc: Mapping[str, Any], knowledge: Knowledge) -> tuple[dict[str, str], frozenset[str]]:
    entry = _Entry(f"{FILE} [usual_status]", doc.get("usual_status", {}))
    entry.unknown_keys({"by_product", "product", "not_waste_families"})
    usual: dict[str, str] = {}
    for status in ("by_product", "product"):
        for node in _known(entry.where, entry.texts(status), knowledge.nodes, "node"):
            usual[node] = status
    return usual, _known(entry.where, entry.texts("not_waste_families"), knowledge.families, "family")


def _traits(doc: Mapping[str, Any], knowledge: Knowledge) -> dict[str, Trait]:
    traits = {}
    for trait_id, table in _tables(doc, "traits").items():
        entry = _Entry(f"{FILE} [traits.{trait_id}]", table)
        entry.unknown_keys({"label", "nodes", "families", "phrases", "within", "implied_by"})
        nodes = _known(entry.where, entry.texts("nodes"), knowledge.nodes, "node")
        families = _known(entry.where, entry.texts("families"), knowledge.families, "family")
        phrases = entry.texts("phrases")
        implied_by = frozenset(entry.texts("implied_by"))
        if not (nodes or families or phrases or implied_by):
            raise KnowledgeError(f"{entry.where}: needs `nodes`, `families`, `phrases` or `implied_by`")
        traits[_identifier(entry.where, trait_id)] = Trait(
            trait_id,
            entry.text("label") or "",
            nodes,
            families,
            phrases,
            _known(entry.where, entry.texts("within"), knowledge.nodes, "node"),
            implied_by,
        )
    return traits


def _contexts(doc: Mapping[str, Any], knowledge: Knowledge) -> dict[str, Context]:
    contexts = {}
    for context_id, table in _tables(doc, "contexts").items():
        entry = _Entry(f"{FILE} [contexts.{context_id}]", table)
        entry.unknown_keys({"label", "uses", "phrases", "weak_phrases", "weak_unless_nodes"})
        uses = _known(entry.where, entry.texts("uses"), knowledge.nodes, "node")
        if any(knowledge.nodes[u].kind != "use" for u in uses):
            raise KnowledgeError(f"{entry.where}: `uses` must name uses of taxonomy.toml")
        contexts[_identifier(entry.where, context_id)] = Context(
            context_id,
            entry.text("label") or "",
            uses,
            entry.texts("phrases"),
            entry.texts("weak_phrases"),
            _known(entry.where, entry.texts("weak_unless_nodes"), knowledge.nodes, "node"),
        )
    return contexts


def _refs(entry: _Entry, key: str, known: set[str] | frozenset[str], kind: str) -> frozenset[str]:
    return _known(f"{entry.where} `{key}`", entry.texts(key), known, kind)


def _known(
    where: str, ids: tuple[str, ...], known: Mapping[str, Any] | set[str] | frozenset[str], kind: str
) -> frozenset[str]:
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise KnowledgeError(f"{where}: unknown {kind} {', '.join(map(repr, unknown))}")
    return frozenset(ids)


def _cited(entry: _Entry, texts: dict[str, LegalText]) -> tuple[LegalText, ...]:
    cited = entry.texts("texts")
    if not cited:
        raise KnowledgeError(f"{entry.where}: cites no text (`texts`)")
    _known(f"{entry.where} `texts`", cited, texts, "text")
    return tuple(texts[t] for t in cited)
