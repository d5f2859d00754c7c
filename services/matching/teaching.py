"""The animateur teaches the engine: a phrase of a listing it could not place names a resource or a use.

A teaching is stored (table `teaching`) and announced (`matching.taught` on `boucle.teachings`); the consumer
that receives it matches the listings holding the phrase again, and every instance reads with it from its next
transaction on (`MatchingProcessor.catch_up`). The team exports the teachings to grow `taxonomy.toml`.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from matching.api import PRODUCER, require_reviewer
from matching.engine.text import tokens
from matching.knowledge import Knowledge
from matching.models import IndexedListing, Teaching
from shared import topics
from shared.events import Taught, new_event
from shared.http import Caller, RemoteAuthenticator, field_error, problems, refuse_nul
from shared.outbox import add_event
from shared.service import ServiceRuntime, SessionDep


class TeachingIn(BaseModel):
    phrase: str = Field(min_length=2, max_length=120, description="les mots d'une annonce, tels qu'écrits")
    node_id: str = Field(max_length=80, description="la ressource ou l'usage qu'ils désignent (`GET /resources`)")
    listing_id: str | None = Field(default=None, max_length=100, description="l'annonce d'où vient la leçon")


class TeachingOut(BaseModel):
    id: str
    phrase: str
    node_id: str
    node_label: str
    listing_id: str | None
    author_name: str
    created_at: datetime


def build_teaching_router(
    runtime: ServiceRuntime, authenticate: RemoteAuthenticator, knowledge: Knowledge
) -> APIRouter:
    router = APIRouter(
        prefix="/api/v1", responses=problems(400, 401, 403), dependencies=[Depends(refuse_nul)], tags=["ressources"]
    )
    CallerDep = Annotated[Caller, Depends(authenticate)]

    def out(row: Teaching) -> TeachingOut:
        node = knowledge.nodes.get(row.node_id)
        return TeachingOut(
            id=row.id,
            phrase=row.phrase,
            node_id=row.node_id,
            node_label=node.label if node else row.node_id,
            listing_id=row.listing_id,
            author_name=row.author_name,
            created_at=row.created_at,
        )

    @router.post("/resources/teachings", status_code=201, response_model=TeachingOut, responses=problems(409))
    def teach(data: TeachingIn, caller: CallerDep, session: SessionDep) -> TeachingOut:
        """Attach a phrase to a resource or a use, for everyone: the listings holding it are matched again. The
        same phrase taught twice for the same node is one teaching."""
        require_reviewer(caller)
        if data.node_id not in knowledge.nodes:
            raise field_error(
                "node_id",
                f"Ressource ou usage inconnu « {data.node_id} » : choisissez-en un de "
                "la liste (GET /api/v1/resources).",
            )
        phrase = " ".join(data.phrase.split()).lower()  # as the engine reads it: case is no part of a word
        if not tokens(phrase):
            raise field_error(
                "phrase",
                "Ces mots sont trop courants pour désigner une ressource : reprenez ceux de l'annonce qui la nomment.",
            )
        if data.listing_id is not None and session.get(IndexedListing, data.listing_id) is None:
            raise field_error("listing_id", "Annonce inconnue.")
        same = session.exec(select(Teaching).where(Teaching.phrase == phrase, Teaching.node_id == data.node_id)).first()
        if same is not None:
            return out(same)
        for attempt in range(3):  # two teachings at once take the same next seq: the second tries again
            seq = (session.exec(select(func.max(Teaching.seq))).one() or 0) + 1
            row = Teaching(
                seq=seq,
                phrase=phrase,
                node_id=data.node_id,
                listing_id=data.listing_id,
                author_organisation_id=caller.organisation_id,
                author_name=caller.name,
            )
            session.add(row)
            add_event(
                session,
                topics.TEACHINGS,
                new_event(
                    "matching.taught",
                    Taught(teaching_id=row.id, phrase=phrase, node_id=data.node_id),
                    producer=PRODUCER,
                    key=data.node_id,
                ),
            )
            try:
                session.commit()
                break
            except IntegrityError:
                session.rollback()
                if attempt == 2:
                    raise HTTPException(
                        409, detail="Une autre leçon s'enregistrait au même instant : réessayez."
                    ) from None
        session.refresh(row)
        return out(row)

    @router.get("/resources/teachings", response_model=list[TeachingOut])
    def teachings(caller: CallerDep, session: SessionDep) -> list[TeachingOut]:
        """Every teaching, oldest first: what the team exports to grow the knowledge base."""
        require_reviewer(caller)
        return [out(row) for row in session.exec(select(Teaching).order_by(col(Teaching.seq))).all()]

    return router
