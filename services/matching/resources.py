"""Resource suggestions for the pages' autocompletion, from the knowledge base (`knowledge/*.toml`).

Public and read-only: the taxonomy is the project's own reviewed data, nothing of any organisation.
A listing whose `category` is one of these labels is placed by the engine without guessing.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field

from matching.engine.model import ListingInput
from matching.engine.profile import Resolver
from matching.engine.text import tokens
from matching.knowledge import DEFAULT_USE_RADIUS_KM, Knowledge, Node
from shared.geo import normalise_name
from shared.http import problems

MAX_READ = 100  # listings read in one request (a company's page holds fewer)


class ResourceSuggestion(BaseModel):
    """A resource (what one has or lends) or a use (what a need is for), with its family."""

    id: str
    kind: Literal["resource", "use"]
    label: str
    family: str | None
    family_label: str | None
    default_radius_km: float
    matched: str | None  # the synonym typed, when it is not the label itself


def suggest(knowledge: Knowledge, text: str, limit: int = 10) -> list[ResourceSuggestion]:
    """Nodes whose label or a synonym starts with `text` (or has a word that does), labels first."""
    typed = normalise_name(text)
    if not typed:
        return []
    ranked: list[tuple[int, int, str, Node, str | None]] = []
    for node in knowledge.nodes.values():
        best: tuple[int, str | None] | None = None
        for position, phrase in enumerate((node.label, *node.synonyms)):
            key = normalise_name(phrase)
            if key.startswith(typed):
                rank = 0
            elif f" {typed}" in f" {key}":
                rank = 1
            elif typed in key:
                rank = 3
            else:
                continue
            rank += 0 if position == 0 else 1  # a synonym counts a little less than the label
            if best is None or rank < best[0]:
                best = (rank, None if position == 0 else phrase)
        if best is not None:
            ranked.append((best[0], len(node.label), node.label, node, best[1]))
    ranked.sort(key=lambda row: row[:3])
    return [present(knowledge, node, matched) for *_, node, matched in ranked[:limit]]


def present(knowledge: Knowledge, node: Node, matched: str | None) -> ResourceSuggestion:
    family = knowledge.families.get(node.family) if node.family else None
    return ResourceSuggestion(
        id=node.id,
        kind=node.kind,
        label=node.label,
        family=node.family,
        family_label=family.label if family else None,
        default_radius_km=family.default_radius_km if family else DEFAULT_USE_RADIUS_KM,
        matched=matched,
    )


class ListingText(BaseModel):
    """What a listing says, as the engine reads it."""

    id: str = Field(max_length=100)
    kind: Literal["offer", "need", "share", "pool"]
    title: str = Field(max_length=200)
    category: str | None = Field(default=None, max_length=120)
    description: str | None = Field(default=None, max_length=5000)


class Reading(BaseModel):
    """How Boucle understands a listing: the resources or uses it reads in it, most specific first; when it reads
    none, known resources close to its words, to choose from."""

    id: str
    understood: list[ResourceSuggestion]
    suggestions: list[ResourceSuggestion]


def read(resolver: Resolver, listing: ListingText) -> Reading:
    knowledge = resolver.knowledge
    profile = resolver.profile(
        ListingInput(
            listing_id=listing.id,
            organisation_id="",
            kind=listing.kind,
            title=listing.title,
            category=listing.category,
            description=listing.description,
        )
    )
    understood = [present(knowledge, knowledge.nodes[n], None) for n in profile.nodes[:3]]
    suggestions: dict[str, ResourceSuggestion] = {}
    if not understood:
        for word in tokens(f"{listing.title} {listing.category or ''}"):
            for found in suggest(knowledge, word, 3) if len(word) >= 4 else []:
                suggestions.setdefault(found.id, found)
    return Reading(id=listing.id, understood=understood, suggestions=list(suggestions.values())[:4])


def build_resource_router(knowledge: Knowledge) -> APIRouter:
    """`GET /api/v1/resources?q=` and `POST /api/v1/resources/read`, over this process's knowledge base."""
    router = APIRouter(prefix="/api/v1")
    resolver = Resolver(knowledge)

    @router.post(
        "/resources/read", response_model=list[Reading], tags=["ressources"], responses=problems(400)
    )  # an unreadable body
    def read_listings(listings: Annotated[list[ListingText], Body(max_length=MAX_READ)]) -> list[Reading]:
        """How Boucle reads each listing (a company sees whether its resource is recognised, and what to choose
        when it is not). Reads only the text sent: nothing of any organisation is looked up."""
        return [read(resolver, listing) for listing in listings]

    @router.get("/resources", response_model=list[ResourceSuggestion], tags=["ressources"])
    def resources(
        q: Annotated[str, Query(min_length=1, max_length=120)], limit: Annotated[int, Query(ge=1, le=30)] = 10
    ) -> list[ResourceSuggestion]:
        """Resources and uses of the taxonomy for what was typed so far (accents and case ignored)."""
        return suggest(knowledge, q, limit)

    return router
