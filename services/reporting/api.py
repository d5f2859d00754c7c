"""HTTP routes of the reporting service (API v1)."""


from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from reporting.models import KnownListing, KnownMatch, KnownOrganisation
from shared.http import Caller, RemoteAuthenticator
from shared.service import ServiceRuntime

LISTING_KINDS = ("offer", "need", "share", "pool")


class ImpactReport(BaseModel):
    organisations: int
    active_listings: dict[str, int]
    matches_proposed: int


def build_router(runtime: ServiceRuntime, authenticate: RemoteAuthenticator) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    SessionDep = Annotated[Session, Depends(runtime.session)]

    @router.get("/reports/impact", response_model=ImpactReport, tags=["rapports"])
    def impact(_caller: Annotated[Caller, Depends(authenticate)], session: SessionDep) -> ImpactReport:
        """First counts of the territory: organisations, active listings by kind, matches proposed."""
        organisations = session.exec(select(func.count()).select_from(KnownOrganisation)).one()
        by_kind = dict(session.exec(select(KnownListing.kind, func.count()).where(col(KnownListing.active).is_(True))
                                    .group_by(KnownListing.kind)).all())
        matches = session.exec(select(func.count()).select_from(KnownMatch)).one()
        return ImpactReport(organisations=organisations,
                            active_listings={kind: by_kind.get(kind, 0) for kind in LISTING_KINDS},
                            matches_proposed=matches)

    return router
