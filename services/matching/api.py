"""HTTP routes of the matching service (API v1)."""


from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlmodel import Session, col, or_, select

from matching.models import IndexedListing, Match
from shared.http import Caller, RemoteAuthenticator
from shared.service import ServiceRuntime
from shared.units import quantity_text


class Counterpart(BaseModel):
    """The other side of a match, anonymised until both sides accept."""

    kind: str
    title: str
    commune: str | None
    quantity_approx: str | None
    distance_km: float | None


class MatchPublic(BaseModel):
    id: str
    score: float
    explanation: str
    listing_id: str
    status: str
    counterpart: Counterpart


def build_router(runtime: ServiceRuntime, authenticate: RemoteAuthenticator) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    SessionDep = Annotated[Session, Depends(runtime.session)]
    CallerDep = Annotated[Caller, Depends(authenticate)]

    @router.get("/matches", response_model=list[MatchPublic], tags=["mises en relation"])
    def my_matches(caller: CallerDep, session: SessionDep, status: str | None = None) -> list[MatchPublic]:
        """The caller's matches, best first; the counterpart stays anonymous.

        Retracted matches (a listing withdrawn or changed) are left out unless asked for
        with `status=retracted`.
        """
        me = caller.organisation_id
        query = select(Match).where(or_(Match.supply_organisation_id == me, Match.demand_organisation_id == me))
        query = query.where(Match.status == status) if status else query.where(Match.status != "retracted")
        matches = session.exec(query.order_by(col(Match.score).desc())).all()
        return [present(session, match, me) for match in matches]

    return router


def present(session: Session, match: Match, me: str) -> MatchPublic:
    mine_is_supply = match.supply_organisation_id == me
    own_id = match.supply_listing_id if mine_is_supply else match.demand_listing_id
    other = session.get(IndexedListing, match.demand_listing_id if mine_is_supply else match.supply_listing_id)
    counterpart = Counterpart(
        kind=other.kind if other else "?", title=other.title if other else "", commune=other.commune if other else None,
        quantity_approx=quantity_text(other.quantity_value, other.quantity_unit, other.frequency, approximate=True)
        if other else None, distance_km=match.distance_km)
    return MatchPublic(id=match.id, score=match.score, explanation=match.explanation, listing_id=own_id,
                       status=match.status, counterpart=counterpart)
