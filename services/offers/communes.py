"""Commune suggestions for the pages' autocompletion, from the offline table (`shared.geo`).

Public and read-only: the table is open data, so no token is asked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from shared.geo import Gazetteer, Place


class CommuneSuggestion(BaseModel):
    """One commune; `value` is what to put in a form's commune field (the API resolves it)."""

    insee: str
    name: str
    postcodes: list[str]
    departement: str
    value: str


def build_commune_router(gazetteer: Gazetteer) -> APIRouter:
    """`GET /api/v1/communes?q=`, bound to this process's gazetteer."""
    router = APIRouter(prefix="/api/v1")

    @router.get("/communes", response_model=list[CommuneSuggestion], tags=["communes"])
    def communes(q: Annotated[str, Query(min_length=1, max_length=120)],
                 limit: Annotated[int, Query(ge=1, le=20)] = 10) -> list[CommuneSuggestion]:
        """Communes whose name, or postcode, starts with `q` (accents, case and « St » ignored)."""
        return [suggestion(place) for place in gazetteer.complete(q, limit)]

    return router


def suggestion(place: Place) -> CommuneSuggestion:
    # One postcode is enough to tell homonyms apart, and « Nom (21700) » is what Gazetteer.resolve reads.
    code = place.postcodes[0] if place.postcodes else place.departement
    return CommuneSuggestion(insee=place.insee, name=place.name, postcodes=list(place.postcodes),
                             departement=place.departement, value=f"{place.name} ({code})")
