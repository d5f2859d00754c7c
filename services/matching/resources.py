"""Resource suggestions for the pages' autocompletion, from the knowledge base (`knowledge/*.toml`).

Public and read-only: the taxonomy is the project's own reviewed data, nothing of any organisation.
A listing whose `category` is one of these labels is placed by the engine without guessing.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from matching.knowledge import DEFAULT_USE_RADIUS_KM, Knowledge, Node
from shared.geo import normalise_name


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
    return ResourceSuggestion(id=node.id, kind=node.kind, label=node.label, family=node.family,
                              family_label=family.label if family else None,
                              default_radius_km=family.default_radius_km if family else DEFAULT_USE_RADIUS_KM,
                              matched=matched)


def build_resource_router(knowledge: Knowledge) -> APIRouter:
    """`GET /api/v1/resources?q=`, over this process's knowledge base."""
    router = APIRouter(prefix="/api/v1")

    @router.get("/resources", response_model=list[ResourceSuggestion], tags=["ressources"])
    def resources(q: Annotated[str, Query(min_length=1, max_length=120)],
                  limit: Annotated[int, Query(ge=1, le=30)] = 10) -> list[ResourceSuggestion]:
        """Resources and uses of the taxonomy for what was typed so far (accents and case ignored)."""
        return suggest(knowledge, q, limit)

    return router
