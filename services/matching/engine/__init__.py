"""The matching engine: incremental, explained, knowledge-based.

`Engine.apply(listing)` profiles a listing (free text → taxonomy nodes), looks up only the
complementary listings filed under the nodes it can serve or be served by, in the grid
cells its radius reaches, checks each candidate (substitution rule and its conditions,
both radii, hazard, dates, quantities) and returns new proposals and those to retract.
Pooling groups (several organisations asking for the same service or equipment, or
several small producers of the same waste) are proposed as one grouped match; two organisations
each giving what the other takes, when either said « en échange de… », as one swap.

The engine holds no I/O: proposals already made live behind `ProposalStore`, a port
with an in-memory adapter here and a database adapter in the service.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Protocol

from matching.engine.explain import group_explanations, pair_explanations, shown_km, swap_explanations
from matching.engine.fit import PairFit, distance_km, pair_fit
from matching.engine.index import ListingIndex
from matching.engine.model import COMPLEMENT, ListingInput, Proposal
from matching.engine.profile import Profile, Resolver
from matching.engine.quantities import coverage
from matching.engine.text import request_head, tokens
from matching.knowledge import FAMILY_PREFIX, Knowledge
from matching.knowledge.law import Regulation

__all__ = ["Changes", "Engine", "InMemoryProposals", "ListingInput", "Proposal", "ProposalStore"]

MAX_PAIRS_PER_LISTING = 10  # the best ten: more is noise for a company, and work for nothing
CLEARLY_BETTER = 0.15  # a retracted pair comes back only with this much more score
SMALL_PRODUCER_KG_PER_YEAR = 24_000  # below 2 t a month, a producer gains from a shared collection
# Two organisations asking for the same pooled service already share it (issue 14); a shared collection of small
# producers' waste starts at three (two are better served by a pair with a collector).
MIN_GROUP = {"pool": 2, "collection": 3}
GROUP_RADIUS_KM = 10.0  # neighbours: a business park, a commune and its surroundings (one truck's round)
WORDS_GROUP_KEY = "mots"  # pool requests grouped by the words of their titles (`Engine._same_request`)
NOT_COLLECTED = frozenset({"energy_heat", "water", "equipment", "services", "skills_staff"})


@dataclass(frozen=True)
class Known:
    """What the store remembers of a proposal."""

    key: str
    status: str  # proposed, accepted, declined, retracted
    score: float
    listing_ids: tuple[str, ...]


class ProposalStore(Protocol):
    """Proposals already made, whatever holds them."""

    def get(self, key: str) -> Known | None: ...
    def open_of(self, listing_id: str) -> list[Known]: ...
    def add(self, proposal: Proposal) -> None: ...
    def set_status(self, key: str, status: str) -> None: ...


class InMemoryProposals:
    """ProposalStore in a dict: for the library, the evaluation and the benchmark."""

    def __init__(self) -> None:
        self.known: dict[str, Known] = {}
        self.by_listing: dict[str, set[str]] = {}

    def get(self, key: str) -> Known | None:
        return self.known.get(key)

    def open_of(self, listing_id: str) -> list[Known]:
        return [
            self.known[k] for k in sorted(self.by_listing.get(listing_id, ())) if self.known[k].status == "proposed"
        ]

    def add(self, proposal: Proposal) -> None:
        self.known[proposal.key] = Known(proposal.key, "proposed", proposal.score, proposal.listing_ids)
        for listing_id in proposal.listing_ids:
            self.by_listing.setdefault(listing_id, set()).add(proposal.key)

    def set_status(self, key: str, status: str) -> None:
        known = self.known[key]
        self.known[key] = Known(key, status, known.score, known.listing_ids)


@dataclass
class Changes:
    proposed: list[Proposal] = field(default_factory=list)
    retracted: list[str] = field(default_factory=list)


def pair_key(fit: PairFit) -> str:
    return f"pair:{fit.supply.id}:{fit.demand.id}"


def reach(a: Profile, b: Profile, cap: float) -> bool:
    """Two members of a group are within both their radii of each other, and within `cap`."""
    return within(a, b, min(a.radius_km, b.radius_km, cap))


def within(a: Profile, b: Profile, radius_km: float) -> bool:
    distance = distance_km(a, b)
    return distance is not None and distance <= radius_km


class Engine:
    """Matches listings as they come; one instance holds the index of active listings."""

    def __init__(
        self,
        knowledge: Knowledge,
        today: date | None = None,
        store: ProposalStore | None = None,
        regulation: Regulation | None = None,
        guess: Callable[[str], str | None] | None = None,
    ):
        self.knowledge = knowledge
        self.resolver = Resolver(knowledge, regulation, guess)
        self.law = self.resolver.law
        self.index = ListingIndex()
        self.store: ProposalStore = store if store is not None else InMemoryProposals()
        self.today = today or date.today()
        self._named_by: dict[str, set[str]] = {}  # listing id → the listings naming it as their counterpart
        self._nodes_by_pooling_key: dict[str, set[str]] = {}
        for node_id in knowledge.nodes:
            for key in knowledge.pooling_keys(node_id):
                self._nodes_by_pooling_key.setdefault(key, set()).add(node_id)

    # -- entry points ---------------------------------------------------------------
    def upsert(self, listing: ListingInput) -> list[Proposal]:
        """Add or change a listing; return the new proposals it takes part in."""
        return self.apply(listing).proposed

    def apply(self, listing: ListingInput) -> Changes:
        """Add or change a listing: retract what no longer fits, propose what is new."""
        profile = self.resolver.profile(listing)
        self._index(profile)
        changes = Changes()
        self._retract_stale(profile, changes)
        if listing.lat is None or listing.lon is None or not profile.active_on(self.today):
            return changes
        best = sorted(self.pair_fits(profile), key=lambda f: -f.score)[:MAX_PAIRS_PER_LISTING]
        in_swaps: set[str] = set()
        for fit in best:
            back = self.swap_back(fit)
            if back is not None:
                swap = self._swap(fit, back)
                in_swaps.update((pair_key(fit), pair_key(back)))
                self._propose(swap, changes)
        for fit in best:
            if pair_key(fit) not in in_swaps:  # a swap is proposed once, not as its two exchanges
                self._propose(self._pair(fit, self._combined_coverage(fit)), changes)
        group = self.group_for(profile)
        if group is not None:
            self._propose(group, changes)
        return changes

    def remove(self, listing_id: str, *, retract: bool = True) -> Changes:
        """A listing withdrawn or expired: it leaves the index, its open proposals are retracted.

        A paused listing (`retract=False`) leaves the index only: the proposals already made
        stand and can still be answered; once resumed, it is proposed to newcomers again."""
        self._unlink(listing_id)
        self.index.remove(listing_id)
        changes = Changes()
        for known in self.store.open_of(listing_id) if retract else []:
            self._retract(known.key, changes)
        return changes

    def load(self, listing: ListingInput) -> None:
        """Index a listing without proposing (rebuilding the index at start-up)."""
        self._index(self.resolver.profile(listing))

    def _index(self, profile: Profile) -> None:
        self._unlink(profile.id)
        self.index.add(profile)
        if profile.listing.counterpart_id:
            self._named_by.setdefault(profile.listing.counterpart_id, set()).add(profile.id)

    def _unlink(self, listing_id: str) -> None:
        old = self.index.profiles.get(listing_id)
        named = old.listing.counterpart_id if old is not None else None
        if named:
            self._named_by.get(named, set()).discard(listing_id)

    # -- swaps (« paille contre fumier ») ----------------------------------------------
    def partners(self, profile: Profile) -> list[Profile]:
        """The listings of its organisation it is swapped against: the one it names, and those naming it."""
        ids = {profile.listing.counterpart_id, *self._named_by.get(profile.id, ())} - {None}
        found = [self.index.profiles.get(i) for i in sorted(ids)]
        # (`_named_by` may hold a listing that no longer names it: removed from the index directly, it kept its entry)
        return [
            p
            for p in found
            if p is not None
            and p.listing.organisation_id == profile.listing.organisation_id
            and p.listing.kind == COMPLEMENT[profile.listing.kind]
            and p.active_on(self.today)
            and (p.id == profile.listing.counterpart_id or p.listing.counterpart_id == profile.id)
        ]

    def swap_back(self, fit: PairFit) -> PairFit | None:
        """The best exchange the other way between the two organisations of `fit`, when either of them said that its
        listing goes in exchange for another of its own (« en échange de… »)."""
        best: PairFit | None = None
        for side, other in ((fit.supply, fit.demand), (fit.demand, fit.supply)):
            wanted = other.listing.organisation_id
            for partner in self.partners(side):
                for back in self.pair_fits(partner):
                    counterpart = back.demand if back.supply is partner else back.supply
                    if counterpart.listing.organisation_id == wanted and (best is None or back.score > best.score):
                        best = back
        return best

    def _swap(self, out: PairFit, back: PairFit) -> Proposal:
        first, second = sorted(((out.supply.id, out.demand.id), (back.supply.id, back.demand.id)))
        general, per_listing = swap_explanations(self.knowledge, out, back)
        obligations = {o.id: o for o in (*out.obligations, *back.obligations)}
        return Proposal(
            key=f"swap:{':'.join((*first, *second))}",
            kind="swap",
            listing_ids=(*first, *second),
            score=round((out.score + back.score) / 2, 3),
            explanation=general,
            explanations=per_listing,
            distance_km=shown_km(max(out.distance_km, back.distance_km)),
            flagged=out.text_only or out.guessed or back.text_only or back.guessed,
            obligations=tuple(obligations.values()),
        )

    # -- pairs ----------------------------------------------------------------------
    def candidate_keys(self, profile: Profile) -> set[str]:
        """Taxonomy keys of the complementary listings that could fit `profile`."""
        keys: set[str] = set()
        if profile.is_supply:
            for node in profile.nodes:
                keys.add(node)
                keys.update(rule.target for rule in self.knowledge.rules_from(node))
        else:
            for node in profile.nodes:
                keys.add(node)
                keys.update(rule.source for rule in self.knowledge.rules_to(node))
        return keys

    def search_radius(self, profile: Profile) -> float:
        """How far to look: the listing's radius; for a demand without one, its suppliers' reach."""
        if profile.is_supply or profile.listing.radius_km:
            return profile.radius_km
        reach = [profile.radius_km]
        for key in self.candidate_keys(profile):
            family = key.removeprefix("family:") if key.startswith("family:") else self.knowledge.nodes[key].family
            if family in self.knowledge.families:
                reach.append(self.knowledge.families[family].default_radius_km)
        return max(reach)

    def pair_fits(self, profile: Profile) -> list[PairFit]:
        listing = profile.listing
        other_kind = COMPLEMENT[listing.kind]
        radius = self.search_radius(profile)
        if profile.placed:
            ids = self.index.near(self.candidate_keys(profile), other_kind, listing.lat, listing.lon, radius)  # type: ignore[arg-type]
            ids |= self.index.sharing_words(profile.words, other_kind, unplaced_only=True)
        else:
            ids = self.index.sharing_words(profile.words, other_kind, unplaced_only=False)
        fits = []
        for other_id in sorted(ids):
            other = self.index.profiles.get(other_id)
            if other is None:
                continue
            supply, demand = (profile, other) if profile.is_supply else (other, profile)
            fit = pair_fit(self.knowledge, self.law, supply, demand, self.today)
            if fit is not None:
                fits.append(fit)
        return fits

    def _combined_coverage(self, fit: PairFit) -> tuple[int, float] | None:
        """When this supply covers only part of the demand: how many open offers, together, cover how much."""
        if fit.coverage is None or fit.coverage >= 1:
            return None
        total, count = fit.coverage, 1
        for known in self.store.open_of(fit.demand.id):
            if known.key.startswith("pair:") and known.listing_ids[0] != fit.supply.id:
                other = self.index.profiles.get(known.listing_ids[0])
                share = coverage(other.flow, fit.demand.flow) if other else None
                if share:
                    total, count = total + share, count + 1
        return (count, min(total, 1.0)) if count > 1 else None

    def _pair(self, fit: PairFit, combined: tuple[int, float] | None = None) -> Proposal:
        general, per_side = pair_explanations(self.knowledge, fit, combined)
        return Proposal(
            key=pair_key(fit),
            kind="pair",
            listing_ids=(fit.supply.id, fit.demand.id),
            score=fit.score,
            explanation=general,
            explanations=per_side,
            distance_km=shown_km(fit.distance_km),
            flagged=fit.text_only or fit.guessed,
            obligations=fit.obligations,
        )

    # -- groups (mutualisation) -------------------------------------------------------
    def group_for(self, profile: Profile) -> Proposal | None:
        """A pooling group around `profile`: pool requests for the same thing, or small producers.

        Members are one listing per organisation, sharing with `profile` what they ask to pool (a taxonomy node, or
        for a pool request of a service, a piece of equipment, a skill or a room, what `_same_request` reads in their
        titles), and all within reach of each other (`_reach`). Of the groups it could join, the largest.
        """
        listing = profile.listing
        if listing.kind == "pool":
            purpose = "pool"
        elif listing.kind == "offer" and profile.placed and self._small_waste(profile):
            purpose = "collection"
        else:
            return None
        best: tuple[str, str | None, list[Profile], float] | None = None  # key, node, members, radius
        for node, key in self._group_keys(profile, purpose):
            cap = self._reach(purpose, key)
            if purpose == "pool":
                filed = self._nodes_by_pooling_key.get(key, {key})
                members = self._members(profile, purpose, filed, cap, partial(self._asks_for, key=key))
            else:
                members = self._members(profile, purpose, {key}, cap, lambda a, b: True)
            if len(members) >= MIN_GROUP[purpose] and (best is None or len(members) > len(best[2])):
                best = (key, node, members, min(profile.radius_km, cap))
        if purpose == "pool" and not self._material_pool(profile):
            members = self._members(profile, purpose, None, math.inf, self._same_request)
            if len(members) >= MIN_GROUP[purpose] and (best is None or len(members) > len(best[2])):
                best = (WORDS_GROUP_KEY, None, members, profile.radius_km)
        if best is None:
            return None
        return self._group(purpose, *best)

    def _members(
        self,
        profile: Profile,
        purpose: str,
        filed: set[str] | None,
        cap: float,
        together: Callable[[Profile, Profile], bool],
    ) -> list[Profile]:
        """`profile` and the listings of its kind filed under `filed` (None: sharing a word with it), one per
        organisation, each within reach of every other member and grouped `together` with each."""
        listing = profile.listing
        if listing.lat is None or listing.lon is None:
            return [profile]
        if filed is None:
            found = self.index.sharing_words(profile.words, listing.kind, unplaced_only=False)
        else:
            found = self.index.near(filed, listing.kind, listing.lat, listing.lon, min(profile.radius_km, cap))
        candidates = [
            other
            for other in (self.index.profiles.get(other_id) for other_id in sorted(found))
            if other is not None
            and other.id != profile.id
            and other.active_on(self.today)
            and not (purpose == "collection" and not self._small_waste(other))
            and reach(profile, other, cap)
            and together(profile, other)
        ]

        def fits(a: Profile, b: Profile) -> bool:
            return reach(a, b, cap) and together(a, b)

        # Those that fit most others first: one nearby member with a short radius must not keep out the rest.
        fitting = {other.id: sum(fits(other, o) for o in candidates) for other in candidates}
        candidates.sort(key=lambda other: -fitting[other.id])
        members = [profile]
        seen_orgs = {listing.organisation_id}
        for other in candidates:
            if other.listing.organisation_id not in seen_orgs and all(fits(m, other) for m in members):
                members.append(other)
                seen_orgs.add(other.listing.organisation_id)
        return members

    @staticmethod
    def _reach(purpose: str, key: str) -> float:
        """How far apart a group's members may be, besides their own radii: neighbours when a truck goes round them
        (a shared collection of small producers, a pool of a material: its collection or purchase in common);
        otherwise as far as their radii say (a pooled service, a piece of equipment, a skill or a room travels, or its
        users do, across a whole intercommunalité)."""
        return GROUP_RADIUS_KM if purpose == "collection" or key.startswith(FAMILY_PREFIX) else math.inf

    def _asks_for(self, _: Profile, other: Profile, key: str) -> bool:
        """A pool request asks to share what `key` names (`Knowledge.pooling_keys`)."""
        return key in self._pooling_keys(other)

    def _pooling_keys(self, profile: Profile) -> set[str]:
        return {key for node in profile.nodes for key in self.knowledge.pooling_keys(node)}

    def _material_pool(self, profile: Profile) -> bool:
        """A pool request for a material (its collection or purchase in common), grouped on the material alone."""
        return any(key.startswith(FAMILY_PREFIX) for key in self._pooling_keys(profile))

    def _same_request(self, a: Profile, b: Profile) -> bool:
        """Two pool requests for a service, a piece of equipment, a skill or a room ask for the same thing: the
        knowledge base files them under a same key, or it cannot place one of them and what either title is about
        (« contrôle des aires de jeux », « vérification des jeux d'enfants ») is named in the other's title. Requests
        are phrased as the service asked, in words the knowledge base often does not know; where it places both, it
        knows better than their words (a negative cold room is no positive one)."""
        if self._material_pool(b):
            return False
        if self._pooling_keys(a) & self._pooling_keys(b):
            return True
        if a.placed and b.placed:
            return False
        a_title, b_title = tokens(a.listing.title), tokens(b.listing.title)
        head_a, head_b = request_head(a_title), request_head(b_title)
        return bool((head_a and head_a in b_title) or (head_b and head_b in a_title))

    def _group_keys(self, profile: Profile, purpose: str) -> list[tuple[str, str]]:
        """(node, key) to group on, in the profile's order: pool requests on what they ask to share
        (`Knowledge.pooling_keys`), small producers on the resource itself."""
        if purpose != "pool":
            return [(node, node) for node in profile.nodes]
        pairs = [(node, key) for node in profile.nodes for key in sorted(self.knowledge.pooling_keys(node))]
        return list(dict.fromkeys(pairs))

    def _group(self, purpose: str, key: str, node: str | None, members: list[Profile], radius: float) -> Proposal:
        spread = max(distance_km(a, b) or 0.0 for a in members for b in members)
        ids = tuple(sorted(m.id for m in members))
        # A shared collection moves each producer's waste: what the law asks of any of them, once.
        obligations = {o.id: o for m in members for o in self.law.obligations(m.traits, frozenset())}
        general, per_member = group_explanations(
            self.knowledge, purpose, node, members, float(max(1, math.ceil(spread))), tuple(obligations.values())
        )
        score = round(min(1.0, 0.55 + 0.1 * len(members) + 0.15 * (1 - spread / radius)), 3)
        return Proposal(
            key=f"group:{purpose}:{key}:{'|'.join(ids)}",
            kind="group",
            listing_ids=ids,
            score=score,
            explanation=general,
            explanations=per_member,
            distance_km=shown_km(spread),
            flagged=node is None,
            obligations=tuple(obligations.values()),
        )

    def _small_waste(self, profile: Profile) -> bool:
        """A producer of waste small enough to gain from a shared collection."""
        family = self.knowledge.nodes[profile.nodes[0]].family if profile.nodes else None
        if family is None or family in NOT_COLLECTED or self.knowledge.nodes[profile.nodes[0]].kind != "resource":
            return False
        flow = profile.flow
        return flow is None or flow.dimension != "mass" or flow.amount <= SMALL_PRODUCER_KG_PER_YEAR

    # -- bookkeeping --------------------------------------------------------------------
    def _propose(self, proposal: Proposal, changes: Changes) -> None:
        known = self.store.get(proposal.key)
        if known is not None and not (known.status == "retracted" and proposal.score >= known.score + CLEARLY_BETTER):
            return  # never twice; declined stays declined; a retracted pair returns only clearly better
        if proposal.kind == "group":
            contained = self._open_groups_within(proposal)
            if any(set(k.listing_ids) == set(proposal.listing_ids) for k in contained):
                return  # the same members, already told (grouped then on another of what they ask)
            for known in contained:  # a grown group replaces the smaller open groups it contains
                self._retract(known.key, changes)
        if proposal.kind == "swap":  # its two exchanges, proposed as pairs before one said « en échange de »
            ids = proposal.listing_ids
            for key in (f"pair:{ids[0]}:{ids[1]}", f"pair:{ids[2]}:{ids[3]}"):
                known_pair = self.store.get(key)
                if known_pair is not None and known_pair.status == "proposed":
                    self._retract(key, changes)
        self.store.add(proposal)
        changes.proposed.append(proposal)

    def _open_groups_within(self, group: Proposal) -> list[Known]:
        """The open groups of the same purpose whose members are all in `group`, whatever they were grouped on (one
        listing asks for one thing: the same listings grouped twice are the same request)."""
        prefix = ":".join(group.key.split(":", 2)[:2]) + ":"
        members = set(group.listing_ids)
        found = {
            known.key: known
            for listing_id in group.listing_ids
            for known in self.store.open_of(listing_id)
            if known.key.startswith(prefix) and known.key != group.key and set(known.listing_ids) <= members
        }
        return list(found.values())

    def _retract(self, key: str, changes: Changes) -> None:
        self.store.set_status(key, "retracted")
        changes.retracted.append(key)

    def _retract_stale(self, profile: Profile, changes: Changes) -> None:
        """After a change, open proposals the listing no longer fits are retracted."""
        for known in self.store.open_of(profile.id):
            if known.key.startswith("group:"):
                still = self.group_for(profile) if profile.active_on(self.today) else None
                if still is None or profile.id not in still.listing_ids:
                    self._retract(known.key, changes)
                continue
            if known.key.startswith("swap:"):
                if not self._swap_stands(known.listing_ids):
                    self._retract(known.key, changes)
                continue
            if not self._pair_stands(*known.listing_ids):
                self._retract(known.key, changes)

    def _pair_stands(self, supply_id: str, demand_id: str) -> bool:
        supply, demand = self.index.profiles.get(supply_id), self.index.profiles.get(demand_id)
        return (
            supply is not None
            and demand is not None
            and pair_fit(self.knowledge, self.law, supply, demand, self.today) is not None
        )

    def _swap_stands(self, ids: tuple[str, ...]) -> bool:
        """Both exchanges still fit, and one organisation still says one of its listings goes for the other."""
        if not (self._pair_stands(ids[0], ids[1]) and self._pair_stands(ids[2], ids[3])):
            return False
        linked = {
            frozenset((p.id, q))
            for p in map(self.index.profiles.get, ids)
            if p is not None
            for q in [p.listing.counterpart_id]
            if q
        }
        return frozenset((ids[0], ids[3])) in linked or frozenset((ids[1], ids[2])) in linked
