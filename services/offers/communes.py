"""Commune and EPCI suggestions for the pages' autocompletion, from the offline tables (`shared.geo`).

Public and read-only: the table is open data, so no token is asked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from shared.geo import EPCI_KINDS, Epci, Gazetteer, Place


class CommuneSuggestion(BaseModel):
    """One commune; `value` is what to put in a form's commune field (the API resolves it)."""

    insee: str
    name: str
    postcodes: list[str]
    departement: str
    value: str


class EpciSuggestion(BaseModel):
    """One intercommunalité; `value` is what to put in the territory form's EPCI field."""

    siren: str
    name: str
    kind: str
    kind_label: str
    communes: int
    value: str


def build_commune_router(gazetteer: Gazetteer) -> APIRouter:
    """`GET /api/v1/communes?q=` and `GET /api/v1/epci?q=`, bound to this process's gazetteer."""
    router = APIRouter(prefix="/api/v1")

    @router.get("/communes", response_model=list[CommuneSuggestion], tags=["communes"])
    def communes(
        q: Annotated[str, Query(min_length=1, max_length=120)], limit: Annotated[int, Query(ge=1, le=20)] = 10
    ) -> list[CommuneSuggestion]:
        """Communes whose name, or postcode, starts with `q` (accents, case and « St » ignored)."""
        return [suggestion(place) for place in gazetteer.complete(q, limit)]

    @router.get("/epci", response_model=list[EpciSuggestion], tags=["communes"])
    def epci(
        q: Annotated[str, Query(min_length=1, max_length=120)], limit: Annotated[int, Query(ge=1, le=20)] = 10
    ) -> list[EpciSuggestion]:
        """Intercommunalités whose name holds the words typed (« nuits », « cc gevrey »), or that of a commune
        whose name starts with `q`; a SIREN gives its EPCI."""
        found = gazetteer.complete_epci(q, limit)
        if not found and (exact := gazetteer.epci_named(q)) is not None:
            found = [exact]
        return [epci_suggestion(e, len(gazetteer.by_epci(e.siren))) for e in found]

    return router


def epci_suggestion(epci: Epci, communes: int) -> EpciSuggestion:
    return EpciSuggestion(
        siren=epci.siren,
        name=epci.name,
        kind=epci.kind,
        kind_label=EPCI_KINDS.get(epci.kind, epci.kind),
        communes=communes,
        value=epci.label(),
    )


def suggestion(place: Place) -> CommuneSuggestion:
    # One postcode is enough to tell homonyms apart, and « Nom (21700) » is what Gazetteer.resolve reads.
    code = place.postcodes[0] if place.postcodes else place.departement
    return CommuneSuggestion(
        insee=place.insee,
        name=place.name,
        postcodes=list(place.postcodes),
        departement=place.departement,
        value=f"{place.name} ({code})",
    )
