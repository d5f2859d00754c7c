"""What is offered and wanted near an organisation, to browse before any match (`GET /api/v1/resources/nearby`).

Only what a match shows before both sides accept: the listing's kind and title, the resource Boucle reads in it
and its family, a quantity band (none when its owner keeps the quantity private), the commune and the distance.
Never the organisation, its exact quantity nor its description; the organisation's own listings are left out.
"""

import math
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlmodel import col, select

from matching.consumer import as_input
from matching.engine.explain import shown_km
from matching.engine.profile import Resolver
from matching.knowledge import Knowledge
from matching.models import IndexedListing
from shared.geo import KM_PER_DEGREE, haversine_km, normalise_name, words_start
from shared.http import Caller, RemoteAuthenticator, problems
from shared.service import ServiceRuntime, SessionDep
from shared.units import quantity_text

MAX_CANDIDATES = 3000  # listings read within the box, nearest kept: a page never reads the whole index


class NearbyListing(BaseModel):
    """One listing another organisation published, as far as it may be seen before a match."""

    id: str
    kind: str
    title: str
    resource: str | None  # what Boucle reads in it (label of the taxonomy), when it reads something
    family: str | None
    family_label: str | None
    quantity_approx: str | None  # a band; none when its owner keeps the quantity private
    terms: str | None  # free, for_sale, negotiable: said; the price waits for an accepted match
    commune: str | None
    insee: str | None  # the commune's code, to place it on a map at the commune (never closer)
    distance_km: float  # to the km, 1 at least, as a match shows it: finer, accounts would trilaterate a site


def build_explore_router(runtime: ServiceRuntime, authenticate: RemoteAuthenticator, knowledge: Knowledge) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    resolver = Resolver(knowledge)
    CallerDep = Annotated[Caller, Depends(authenticate)]

    @router.get("/resources/nearby", response_model=list[NearbyListing], responses=problems(401), tags=["ressources"])
    def nearby(
        caller: CallerDep,
        session: SessionDep,
        lat: Annotated[float, Query(ge=-90, le=90, description="d'où chercher (l'organisation)")],
        lon: Annotated[float, Query(ge=-180, le=180)],
        radius_km: Annotated[int, Query(ge=1, le=500, description="en km entiers")] = 50,
        kind: Literal["offer", "need", "share", "pool"] | None = None,
        q: Annotated[str | None, Query(max_length=120, description="mots de la ressource cherchée")] = None,
        family: Annotated[str | None, Query(max_length=60)] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 50,
    ) -> list[NearbyListing]:
        """Active listings of other organisations within `radius_km` of (`lat`, `lon`), nearest first; `q` keeps
        those whose title, resource or family holds its words, `family` those of one family of resources."""
        span_lat = radius_km / KM_PER_DEGREE
        span_lon = radius_km / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
        query = select(IndexedListing).where(
            col(IndexedListing.active).is_(True),
            col(IndexedListing.held).is_(False),
            IndexedListing.organisation_id != caller.organisation_id,
            col(IndexedListing.lat).between(lat - span_lat, lat + span_lat),
            col(IndexedListing.lon).between(lon - span_lon, lon + span_lon),
        )
        if kind is not None:
            query = query.where(IndexedListing.kind == kind)
        rows = [
            (haversine_km(lat, lon, row.lat, row.lon), row)
            for row in session.exec(query)
            if row.lat is not None and row.lon is not None
        ]
        rows = sorted((pair for pair in rows if pair[0] <= radius_km), key=lambda pair: pair[0])[:MAX_CANDIDATES]
        asked = normalise_name(q or "").split()
        found: list[NearbyListing] = []
        for distance, row in rows:
            listing = seen(row, distance)
            text = " ".join(filter(None, (row.title, row.category, listing.resource, listing.family_label)))
            if (family is None or listing.family == family) and words_start(asked, normalise_name(text).split()):
                found.append(listing)
                if len(found) == limit:
                    break
        return found

    def seen(row: IndexedListing, distance: float) -> NearbyListing:
        profile = resolver.profile(as_input(row))
        node = knowledge.nodes[profile.nodes[0]] if profile.nodes else None
        family = knowledge.families.get(node.family) if node and node.family else None
        return NearbyListing(
            id=row.listing_id,
            kind=row.kind,
            title=row.title,
            resource=node.label if node else None,
            family=family.id if family else None,
            family_label=family.label if family else None,
            quantity_approx=None
            if row.quantity_private
            else quantity_text(row.quantity_value, row.quantity_unit, row.frequency, approximate=True),
            terms=row.terms,
            commune=row.commune,
            insee=row.insee,
            distance_km=shown_km(distance),
        )

    return router
