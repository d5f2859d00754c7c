"""The resource knowledge base of the matching engine: families, resources, uses, conditions, rules.

Reviewed data lives next to this module in three TOML files:

- `taxonomy.toml`: `[families.<id>]`, `[[resources]]` (what organisations have or lend) and
  `[[uses]]` (purposes a need names without naming a resource);
- `conditions.toml`: `[conditions.<id>]`, what a rule may require of the offered resource;
- `rules.toml`: `[[rules]]`, how well a resource (or a whole family, `family:<id>`) serves a use
  or another resource, and why, in one French sentence.

`Knowledge.load()` reads and validates them; any inconsistency raises `KnowledgeError` naming
the file and the entry. The loader is pure: standard library and the official EWC list only.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any, Literal

from shared.nomenclatures import waste_codes

__all__ = [
    "DEFAULT_USE_RADIUS_KM",
    "FAMILY_PREFIX",
    "Condition",
    "Family",
    "Knowledge",
    "KnowledgeError",
    "Node",
    "Rule",
]

HERE = Path(__file__).parent
FILES = ("taxonomy.toml", "conditions.toml", "rules.toml")
DEFAULT_USE_RADIUS_KM = 30.0
# Families of what is shared as such (equipment, services, skills, energy and water), not collected or bought.
SHARED_FAMILIES = frozenset({"equipment", "services", "skills_staff", "energy_heat", "water"})
FAMILY_PREFIX = "family:"
# A pool request for a room or a service groups with one naming the use it alone serves (see `pooling_keys`).
POOLED_AS_THEIR_USE = frozenset({"equipment", "services"})
SOLE_USE_STRENGTH = 0.9
ID = re.compile(r"^[a-z][a-z0-9_]*$")


class KnowledgeError(ValueError):
    """The knowledge files are inconsistent; the message names the file and the entry."""


@dataclass(frozen=True)
class Family:
    id: str
    label: str
    default_radius_km: float


@dataclass(frozen=True)
class Node:
    """A resource (something an organisation has or lends) or a use (a purpose a need names)."""

    id: str
    kind: Literal["resource", "use"]
    label: str
    synonyms: tuple[str, ...]
    family: str | None
    ewc: tuple[str, ...] = ()
    density_kg_m3: float | None = None
    energy: bool = False
    hazardous: bool = False
    excludes_hazardous: bool = False
    collects: str | None = None  # a shared collection service: the family of what it collects


@dataclass(frozen=True)
class Condition:
    id: str
    label: str
    positive: tuple[str, ...]
    negative: tuple[str, ...]
    min_temperature_c: float | None = None  # a stated temperature at or above asserts it, below contradicts it
    frequencies: tuple[str, ...] = ()  # a listing of one of these frequencies asserts it


@dataclass(frozen=True)
class Rule:
    """`source` (a resource id or `family:<id>`) can serve `target` (a use or resource id)."""

    source: str
    target: str
    strength: float
    conditions: tuple[str, ...]
    why: str


@dataclass
class Knowledge:
    families: dict[str, Family]
    nodes: dict[str, Node]
    conditions: dict[str, Condition]
    rules: list[Rule]
    _from: dict[str, list[Rule]] = field(init=False, repr=False, compare=False)
    _to: dict[str, list[Rule]] = field(init=False, repr=False, compare=False)
    _by_ewc: dict[str, list[Node]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._from, self._to, self._by_ewc = defaultdict(list), defaultdict(list), defaultdict(list)
        for rule in self.rules:
            self._from[rule.source].append(rule)
            self._to[rule.target].append(rule)
        for node in self.nodes.values():
            for code in node.ewc:
                self._by_ewc[code].append(node)

    @classmethod
    def load(cls, directory: Path | None = None) -> Knowledge:
        """Read and validate the three files of `directory` (default: this package, cached)."""
        if directory is None:
            return _default()
        return _load(Path(directory))

    def taught(self, phrases: Iterable[tuple[str, str]]) -> Knowledge:
        """A copy where each (node id, phrase) an animateur taught is one more synonym of its node; unknown nodes
        are skipped (a teaching outlives a node the knowledge base dropped)."""
        extra: dict[str, list[str]] = defaultdict(list)
        for node_id, phrase in phrases:
            if node_id in self.nodes and phrase not in self.nodes[node_id].synonyms:
                extra[node_id].append(phrase)
        if not extra:
            return self
        nodes = {
            node_id: replace(node, synonyms=(*node.synonyms, *extra[node_id])) if node_id in extra else node
            for node_id, node in self.nodes.items()
        }
        return Knowledge(families=self.families, nodes=nodes, conditions=self.conditions, rules=self.rules)

    def rules_from(self, node_id: str) -> list[Rule]:
        """Rules whose source is the node itself, then those whose source is its family."""
        rules = list(self._from.get(node_id, ()))
        node = self.nodes.get(node_id)
        if node is not None and node.family is not None:
            rules += self._from.get(FAMILY_PREFIX + node.family, ())
        return rules

    def rules_to(self, node_id: str) -> list[Rule]:
        """Rules whose target is the node."""
        return list(self._to.get(node_id, ()))

    def nodes_for_ewc(self, code: str) -> list[Node]:
        """Nodes listing the code (`150101`, `15 01 01` or `15 01 01*`), in file order."""
        return list(self._by_ewc.get(re.sub(r"[\s.*]", "", code), ()))

    def pooling_keys(self, node_id: str) -> frozenset[str]:
        """What a pool request naming the node asks to share. A material (« cartons : collecte groupée ? »)
        asks for a shared collection or purchase of its family, as a collection service of that family does; a
        service, a skill or a piece of equipment is shared as itself (a first-aid course is no forklift course),
        and a room or a service also as the use it alone answers (« chambre froide » = « stockage frigorifique »)."""
        node = self.nodes[node_id]
        if node.collects:
            return frozenset({FAMILY_PREFIX + node.collects})
        if node.kind == "resource" and node.family and node.family not in SHARED_FAMILIES:
            return frozenset({FAMILY_PREFIX + node.family})
        return frozenset({node_id, *self._sole_uses(node)})

    def _sole_uses(self, node: Node) -> set[str]:
        """Uses a piece of equipment or a service is the one answer to (« chambre froide » and « stockage
        frigorifique », « gardiennage » and « surveillance de site »): a pool request naming either asks to share
        the same thing. Only equipment and services, and only a use no other resource serves as well."""
        if node.kind != "resource" or node.family not in POOLED_AS_THEIR_USE:
            return set()
        return {
            rule.target
            for rule in self._from.get(node.id, ())
            if rule.strength >= SOLE_USE_STRENGTH
            and self.nodes[rule.target].kind == "use"
            and self.nodes[rule.target].family in POOLED_AS_THEIR_USE
            and [r.source for r in self._to.get(rule.target, ()) if r.strength >= SOLE_USE_STRENGTH] == [node.id]
        }

    def radius_km(self, node_id: str) -> float:
        """How far the node sensibly travels: its family's default (a use without family: 30 km)."""
        node = self.nodes[node_id]
        if node.family is None:
            return DEFAULT_USE_RADIUS_KM
        return self.families[node.family].default_radius_km


@cache
def _default() -> Knowledge:
    return _load(HERE)


# -- reading and validation -----------------------------------------------------------------


def _load(directory: Path) -> Knowledge:
    taxonomy, conditions_doc, rules_doc = (_read(directory / name) for name in FILES)
    families = _families(taxonomy)
    nodes = _nodes(taxonomy, families)
    conditions = _conditions(conditions_doc)
    rules = _rules(rules_doc, families, nodes, conditions)
    return Knowledge(families=families, nodes=nodes, conditions=conditions, rules=rules)


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError as e:
        raise KnowledgeError(f"{path.name}: file not found in {path.parent}") from e
    except tomllib.TOMLDecodeError as e:
        raise KnowledgeError(f"{path.name}: invalid TOML: {e}") from e


class _Entry:
    """Typed access to one TOML table, with errors that say where."""

    def __init__(self, where: str, table: Any):
        if not isinstance(table, Mapping):
            raise KnowledgeError(f"{where}: expected a table")
        self.where, self.table = where, table

    def text(self, key: str, *, required: bool = True) -> str | None:
        value = self.table.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise KnowledgeError(f"{self.where}: `{key}` must be a non-empty string")
        return value.strip()

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise KnowledgeError(f"{self.where}: `{key}` must be a list of non-empty strings")
        return tuple(v.strip() for v in value)

    def number(self, key: str, *, required: bool = True) -> float | None:
        value = self.table.get(key)
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise KnowledgeError(f"{self.where}: `{key}` must be a number")
        return float(value)

    def flag(self, key: str) -> bool:
        value = self.table.get(key, False)
        if not isinstance(value, bool):
            raise KnowledgeError(f"{self.where}: `{key}` must be true or false")
        return value

    def unknown_keys(self, allowed: set[str]) -> None:
        extra = sorted(set(self.table) - allowed)
        if extra:
            raise KnowledgeError(f"{self.where}: unknown key(s) {', '.join(extra)}")


def _identifier(where: str, value: str) -> str:
    if not ID.match(value):
        raise KnowledgeError(f"{where}: id {value!r} must be snake_case (a-z, 0-9, _)")
    return value


def _families(doc: Mapping[str, Any]) -> dict[str, Family]:
    tables = doc.get("families")
    if not isinstance(tables, Mapping) or not tables:
        raise KnowledgeError("taxonomy.toml: no [families.<id>] table")
    families = {}
    for family_id, table in tables.items():
        entry = _Entry(f"taxonomy.toml [families.{family_id}]", table)
        entry.unknown_keys({"label", "default_radius_km"})
        radius = entry.number("default_radius_km")
        if radius is None or radius <= 0:
            raise KnowledgeError(f"{entry.where}: `default_radius_km` must be positive")
        families[_identifier(entry.where, family_id)] = Family(family_id, entry.text("label") or "", radius)
    return families


RESOURCE_KEYS = {"id", "family", "label", "synonyms", "ewc", "density_kg_m3", "energy", "hazardous", "collects"}
USE_KEYS = {"id", "family", "label", "synonyms", "excludes_hazardous"}


def _nodes(doc: Mapping[str, Any], families: dict[str, Family]) -> dict[str, Node]:
    official = waste_codes()
    nodes: dict[str, Node] = {}
    for kind, section, keys in (("resource", "resources", RESOURCE_KEYS), ("use", "uses", USE_KEYS)):
        tables = doc.get(section, [])
        if not isinstance(tables, list):
            raise KnowledgeError(f"taxonomy.toml: `{section}` must be an array of tables [[{section}]]")
        for position, table in enumerate(tables, start=1):
            entry = _Entry(f"taxonomy.toml [[{section}]] #{position}", table)
            node_id = _identifier(entry.where, entry.text("id") or "")
            entry.where = f"taxonomy.toml {kind} {node_id!r}"
            entry.unknown_keys(keys)
            if node_id in nodes:
                raise KnowledgeError(f"{entry.where}: duplicate id (already a {nodes[node_id].kind})")
            family = entry.text("family", required=kind == "resource")
            if family is not None and family not in families:
                raise KnowledgeError(f"{entry.where}: unknown family {family!r}")
            ewc = entry.texts("ewc")
            for code in ewc:
                if code not in official:
                    raise KnowledgeError(f"{entry.where}: EWC code {code!r} is not in the official list")
            if len(set(ewc)) != len(ewc):
                raise KnowledgeError(f"{entry.where}: an EWC code is listed twice")
            density = entry.number("density_kg_m3", required=False)
            if density is not None and density <= 0:
                raise KnowledgeError(f"{entry.where}: `density_kg_m3` must be positive")
            hazardous = entry.flag("hazardous")
            if hazardous and not any(official[code].hazardous for code in ewc):
                raise KnowledgeError(
                    f"{entry.where}: `hazardous = true` needs at least one hazardous EWC code "
                    f"(marked * in the list), got {list(ewc) or 'none'}"
                )
            collects = entry.text("collects", required=False)
            if collects is not None and collects not in families:
                raise KnowledgeError(f"{entry.where}: unknown family {collects!r} in `collects`")
            nodes[node_id] = Node(
                id=node_id,
                kind=kind,  # type: ignore[arg-type]
                label=entry.text("label") or "",
                synonyms=entry.texts("synonyms"),
                family=family,
                ewc=ewc,
                density_kg_m3=density,
                energy=entry.flag("energy"),
                hazardous=hazardous,
                excludes_hazardous=entry.flag("excludes_hazardous"),
                collects=collects,
            )
    if not nodes:
        raise KnowledgeError("taxonomy.toml: no [[resources]] nor [[uses]]")
    return nodes


def _conditions(doc: Mapping[str, Any]) -> dict[str, Condition]:
    tables = doc.get("conditions", {})
    if not isinstance(tables, Mapping):
        raise KnowledgeError("conditions.toml: `conditions` must be tables [conditions.<id>]")
    conditions = {}
    for condition_id, table in tables.items():
        entry = _Entry(f"conditions.toml [conditions.{condition_id}]", table)
        entry.unknown_keys({"label", "positive", "negative", "min_temperature_c", "frequencies"})
        positive, negative = entry.texts("positive"), entry.texts("negative")
        if not positive and not negative:
            raise KnowledgeError(f"{entry.where}: needs `positive` or `negative` words")
        conditions[_identifier(entry.where, condition_id)] = Condition(
            condition_id,
            entry.text("label") or "",
            positive,
            negative,
            entry.number("min_temperature_c", required=False),
            entry.texts("frequencies"),
        )
    return conditions


def _rules(
    doc: Mapping[str, Any], families: dict[str, Family], nodes: dict[str, Node], conditions: dict[str, Condition]
) -> list[Rule]:
    tables = doc.get("rules", [])
    if not isinstance(tables, list):
        raise KnowledgeError("rules.toml: `rules` must be an array of tables [[rules]]")
    rules: list[Rule] = []
    seen: set[tuple[str, str]] = set()
    for position, table in enumerate(tables, start=1):
        entry = _Entry(f"rules.toml [[rules]] #{position}", table)
        entry.unknown_keys({"from", "to", "strength", "conditions", "why"})
        source, target = entry.text("from") or "", entry.text("to") or ""
        entry.where = f"rules.toml [[rules]] #{position} ({source} → {target})"
        sources = _source_resources(entry.where, source, families, nodes)
        if target not in nodes:
            raise KnowledgeError(f"{entry.where}: unknown node {target!r} in `to`")
        if target == source:
            raise KnowledgeError(f"{entry.where}: a resource already matches itself; no rule needed")
        if (source, target) in seen:
            raise KnowledgeError(f"{entry.where}: duplicate rule")
        seen.add((source, target))
        strength = entry.number("strength")
        if strength is None or not 0 < strength <= 1:
            raise KnowledgeError(f"{entry.where}: strength {strength} must be in (0, 1]")
        rule_conditions = entry.texts("conditions")
        for condition in rule_conditions:
            if condition not in conditions:
                raise KnowledgeError(f"{entry.where}: unknown condition {condition!r}")
        why = entry.table.get("why")
        if not isinstance(why, str) or not why.strip():
            raise KnowledgeError(f"{entry.where}: `why` must explain the rule in one French sentence")
        if nodes[target].excludes_hazardous:
            hazardous = [n.id for n in sources if n.hazardous]
            if hazardous:
                raise KnowledgeError(
                    f"{entry.where}: hazardous resource {', '.join(hazardous)} cannot go to "
                    f"use {target!r}, which excludes hazardous waste"
                )
        rules.append(Rule(source, target, strength, rule_conditions, why.strip()))
    return rules


def _source_resources(where: str, source: str, families: dict[str, Family], nodes: dict[str, Node]) -> list[Node]:
    """The resources a rule's `from` covers: one resource, or every resource of a family."""
    if source.startswith(FAMILY_PREFIX):
        family = source.removeprefix(FAMILY_PREFIX)
        if family not in families:
            raise KnowledgeError(f"{where}: unknown family {family!r} in `from`")
        return [n for n in nodes.values() if n.kind == "resource" and n.family == family]
    if source not in nodes:
        raise KnowledgeError(f"{where}: unknown node {source!r} in `from`")
    if nodes[source].kind != "resource":
        raise KnowledgeError(f"{where}: `from` must be a resource or family:<id>, {source!r} is a use")
    return [nodes[source]]
