"""HTTP routes of the workshops (API v1): the animateur prepares an atelier from the territory's actors, projects
it, notes the room's choices, and prints its summary (reporting.workshops holds the rules)."""

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, HTTPException, Response
from sqlmodel import Session

from reporting import access, dashboard, exports, pages, synergies, territories, workshops
from reporting.api import animated_territory, approved_territories
from reporting.models import KnownOrganisation, Territory, Workshop
from reporting.schemas import (
    HeldPisteOut,
    WorkshopChoiceIn,
    WorkshopCreate,
    WorkshopFamilyOut,
    WorkshopOut,
    WorkshopParticipantOut,
    WorkshopPartyOut,
    WorkshopPisteOut,
    WorkshopResourceOut,
    WorkshopView,
)
from shared import maps
from shared.geo import Gazetteer
from shared.http import (
    Caller,
    IdempotencyKey,
    RemoteAuthenticator,
    field_error,
    idempotent_id,
    problems,
    refuse_nul,
    replayed,
    tls_context,
)
from shared.nomenclatures import LISTING_KINDS, ORGANISATION_KINDS, waste_codes
from shared.service import ServiceRuntime, SessionDep

READ_AT_ONCE = 100  # matching's /resources/read takes at most 100 listings per request


class FamilyReader:
    """Each resource's family as the matching engine reads its words (its knowledge base is the one vocabulary of
    resources); when matching cannot be reached, the List of Waste chapter or the category typed, and it is said."""

    def __init__(self, matching_url: str):
        self.url = f"{matching_url.rstrip('/')}/api/v1/resources/read"

    def __call__(self, resources: list[workshops.Resource]) -> tuple[dict[str, str], str | None]:
        families: dict[str, str] = {}
        try:
            with httpx.Client(timeout=5.0, verify=tls_context()) as client:
                for start in range(0, len(resources), READ_AT_ONCE):
                    batch = resources[start : start + READ_AT_ONCE]
                    answer = client.post(
                        self.url,
                        json=[
                            {
                                "id": r.listing_id,
                                "kind": r.kind,
                                "title": r.title[:200],
                                "category": (r.category or "")[:120] or None,
                            }
                            for r in batch
                        ],
                    )
                    answer.raise_for_status()
                    for reading in answer.json():
                        labels = [found["family_label"] for found in reading["understood"] if found["family_label"]]
                        if labels:
                            families[reading["id"]] = labels[0]
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return self.fallback(resources), (
                "Familles approximatives : le moteur de mise en relation ne répond pas, "
                "les ressources sont rangées par chapitre de la liste des déchets ou "
                "par catégorie saisie."
            )
        return families, None

    @staticmethod
    def fallback(resources: list[workshops.Resource]) -> dict[str, str]:
        codes = waste_codes()
        found = {}
        for resource in resources:
            code = codes.get(resource.ewc_code or "")
            label = code.chapter_label.capitalize() if code else (resource.category or "").strip().capitalize()
            if label:
                found[resource.listing_id] = label
        return found


def build_workshop_router(
    runtime: ServiceRuntime, authenticate: RemoteAuthenticator, gazetteer: Gazetteer, read_families: FamilyReader
) -> APIRouter:
    router = APIRouter(
        prefix="/api/v1", responses=problems(400, 401), dependencies=[Depends(refuse_nul)], tags=["ateliers"]
    )
    CallerDep = Annotated[Caller, Depends(authenticate)]

    def animated_workshop(session: Session, caller: Caller, workshop_id: str) -> tuple[Workshop, Territory]:
        """A workshop of a territory the caller animates, else 404 (or 403 for who animates nothing)."""
        workshop = session.get(Workshop, workshop_id)
        if workshop is not None and workshop.territory_id in {
            t.territory_id for t in approved_territories(session, caller)
        }:
            return workshop, animated_territory(session, caller, workshop.territory_id)
        if not territories.acts_as_animateur(caller.role):
            animated_territory(session, caller, None)  # 403, said as for every territory's page
        raise HTTPException(404, detail="Atelier introuvable.")

    @router.post(
        "/territories/{territory_id}/workshops",
        status_code=201,
        response_model=WorkshopOut,
        responses=problems(403, 404),
    )
    def create_workshop(
        territory_id: str,
        data: WorkshopCreate,
        caller: CallerDep,
        session: SessionDep,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> WorkshopOut:
        """Prepare an atelier: some of the territory's actors (confirmed organisations of its communes)."""
        territory = animated_territory(session, caller, territory_id)
        workshop_id = idempotent_id(idempotency_key, "workshop", caller.organisation_id, territory_id)
        if (earlier := session.get(Workshop, workshop_id)) is not None:
            before = (earlier.title, earlier.held_on, earlier.place, set(workshops.participant_ids(session, earlier)))
            replayed(response, before == (data.title, data.held_on, data.place, set(data.participants)))
            return summary(session, earlier)
        try:
            workshop = workshops.create(
                session,
                workshop_id=workshop_id,
                territory=territory,
                title=data.title,
                held_on=data.held_on,
                place=data.place,
                participants=data.participants,
            )
        except workshops.WorkshopError as exc:
            raise field_error(tuple(exc.field.split(".")), exc.message, status_code=exc.status_code) from exc
        session.commit()
        return summary(session, workshop)

    @router.get("/territories/{territory_id}/workshops", response_model=list[WorkshopOut], responses=problems(403, 404))
    def list_workshops(territory_id: str, caller: CallerDep, session: SessionDep) -> list[WorkshopOut]:
        """The territory's workshops, the latest first."""
        territory = animated_territory(session, caller, territory_id)
        return [summary(session, w) for w in workshops.of_territory(session, territory.territory_id)]

    @router.get(
        "/territories/{territory_id}/held-pistes", response_model=list[HeldPisteOut], responses=problems(403, 404)
    )
    def held(territory_id: str, caller: CallerDep, session: SessionDep) -> list[HeldPisteOut]:
        """The pistes Boucle found for the territory's invited organisations (imported diagnostics not confirmed
        yet), best first: the animateur who made the diagnostics sees them; their parties will, once every
        organisation in them has confirmed. Read access is logged for each party."""
        territory = animated_territory(session, caller, territory_id)
        pistes = workshops.held_pistes(session, synergies.territory_organisations(session, territory.territory_id))
        access.record_access(
            session,
            owners={p.organisation_id for piste in pistes for p in piste.parties},
            reader_organisation_id=caller.organisation_id,
            reader_name=caller.name,
            reader_user_id=caller.user_id,
            what="pistes des diagnostics en attente de confirmation",
            territory_id=territory.territory_id,
        )
        session.commit()
        return [
            HeldPisteOut(
                match_id=p.match_id,
                kind=p.kind,
                score=p.score,
                distance_km=None if p.distance_km is None else round(p.distance_km),
                explanation=p.explanation,
                parties=[party_out(party) for party in p.parties],
            )
            for p in pistes
        ]

    @router.get("/workshops/{workshop_id}", response_model=WorkshopView, responses=problems(403, 404))
    def show_workshop(workshop_id: str, caller: CallerDep, session: SessionDep) -> WorkshopView:
        """The page projected in the room: participants on the map by kind, their resources by family, the pistes
        among them ranked with their one-line explanation and the choices made. Read access is logged for each
        participant."""
        workshop, territory = animated_workshop(session, caller, workshop_id)
        view = view_of(session, workshop, territory)
        access.record_access(
            session,
            owners=[p.organisation_id for p in view.participant_list],
            reader_organisation_id=caller.organisation_id,
            reader_name=caller.name,
            reader_user_id=caller.user_id,
            what=f"annonces et pistes de l'atelier « {workshop.title} »",
            territory_id=territory.territory_id,
        )
        session.commit()
        return view

    @router.post(
        "/workshops/{workshop_id}/choices", response_model=list[WorkshopPisteOut], responses=problems(403, 404, 409)
    )
    def choose(
        workshop_id: str, data: WorkshopChoiceIn, caller: CallerDep, session: SessionDep, response: Response
    ) -> list[WorkshopPisteOut]:
        """The room's choice: keep a piste (it opens in the synergies, its parties named with their listings), merge
        several into one piste, or set one aside; with a note. Sent again, it changes nothing
        (`Idempotent-Replayed`)."""
        workshop, _ = animated_workshop(session, caller, workshop_id)
        try:
            _, changed = workshops.choose(
                session,
                workshop,
                match_ids=data.matches,
                choice=data.choice,
                note=data.note,
                actor_organisation_id=caller.organisation_id,
            )
        except workshops.WorkshopError as exc:
            raise field_error(tuple(exc.field.split(".")), exc.message, status_code=exc.status_code) from exc
        if changed:
            session.commit()
        else:
            response.headers["Idempotent-Replayed"] = "true"
        participants = set(workshops.participant_ids(session, workshop))
        pistes = workshops.pistes_among(session, workshop.workshop_id, participants)
        return [piste_out(rank, piste) for rank, piste in enumerate(pistes, 1) if piste.match_id in data.matches]

    @router.get("/workshops/{workshop_id}/synthese.pdf", response_class=Response, responses=problems(403, 404))
    def workshop_pdf(workshop_id: str, caller: CallerDep, session: SessionDep) -> Response:
        """The workshop's summary to send to its participants: who took part, the resources by family, the pistes
        kept, merged and set aside with their notes, and those left to discuss."""
        workshop, territory = animated_workshop(session, caller, workshop_id)
        view = view_of(session, workshop, territory)
        html = (
            pages.environment()
            .get_template("pages/workshop.html")
            .render(title=f"Atelier « {workshop.title} »", view=view, today=date.today(), printed=True)
        )
        name = f"boucle-atelier-{workshop.held_on.isoformat()}-{workshop_id[:8]}.pdf"
        return Response(
            exports.pdf(html),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private"},
        )

    def view_of(session: Session, workshop: Workshop, territory: Territory) -> WorkshopView:
        organisations = workshops.participants_of(session, workshop)
        resources = workshops.resources_of(session, organisations)
        family_of, families_note = read_families(resources)
        pistes = workshops.pistes_among(session, workshop.workshop_id, {o.organisation_id for o in organisations})
        base = summary(session, workshop, pistes)
        return WorkshopView(
            **base.model_dump(),
            territory_name=territory.name,
            participant_list=[
                WorkshopParticipantOut(
                    organisation_id=o.organisation_id,
                    name=o.name,
                    kind=o.kind,
                    kind_label=ORGANISATION_KINDS.get(o.kind, o.kind),
                    commune=place.name if o.insee and (place := gazetteer.by_insee(o.insee)) else None,
                )
                for o in organisations
            ],
            families=[
                WorkshopFamilyOut(
                    label=family.label,
                    resources=[
                        WorkshopResourceOut(
                            listing_id=r.listing_id,
                            organisation_id=r.organisation_id,
                            organisation=r.organisation,
                            kind=r.kind,
                            kind_label=LISTING_KINDS.get(r.kind, r.kind),
                            title=r.title,
                            quantity_text=r.quantity_text,
                        )
                        for r in family.resources
                    ],
                )
                for family in workshops.group_by_family(resources, family_of)
            ],
            families_note=families_note,
            piste_list=[piste_out(rank, piste) for rank, piste in enumerate(pistes, 1)],
            map=map_of(session, territory, organisations),
        )

    def map_of(session: Session, territory: Territory, organisations: list[KnownOrganisation]) -> dict[str, Any]:
        """The territory's communes, each participant at its commune, its marker's kind its organisation's kind."""
        chart = maps.territory_map(
            dashboard.territory_communes(session, territory, gazetteer),
            [(o.insee or "", o.kind, o.name) for o in organisations],
        )
        return asdict(chart)

    return router


def summary(session: Session, workshop: Workshop, pistes: list[workshops.Piste] | None = None) -> WorkshopOut:
    participants = workshops.participant_ids(session, workshop)
    if pistes is None:
        pistes = workshops.pistes_among(session, workshop.workshop_id, set(participants))
    return WorkshopOut(
        id=workshop.workshop_id,
        territory_id=workshop.territory_id,
        title=workshop.title,
        held_on=workshop.held_on,
        place=workshop.place,
        participants=len(participants),
        pistes=len(pistes),
        kept=len({p.choice.synergy_id for p in pistes if p.choice and p.choice.synergy_id}),
    )


def piste_out(rank: int, piste: workshops.Piste) -> WorkshopPisteOut:
    choice = piste.choice
    return WorkshopPisteOut(
        match_id=piste.match_id,
        rank=rank,
        kind=piste.kind,
        score=piste.score,
        distance_km=None if piste.distance_km is None else round(piste.distance_km),
        explanation=piste.explanation,
        status=piste.status,
        parties=[party_out(party) for party in piste.parties],
        obligations=piste.obligations,
        choice=choice.choice if choice else None,
        choice_label=workshops.CHOICES[choice.choice] if choice else None,
        note=choice.note if choice else None,
        synergy_id=choice.synergy_id if choice else None,
    )


def party_out(party: workshops.Party) -> WorkshopPartyOut:
    return WorkshopPartyOut(
        organisation_id=party.organisation_id,
        name=party.name,
        listing_id=party.listing_id,
        listing_title=party.listing_title,
        listing_kind=party.listing_kind,
    )
