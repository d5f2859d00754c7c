"""HTTP routes of the reporting service (API v1): territories, synergies, flows, reports."""

import uuid
from dataclasses import asdict
from datetime import date, datetime, timedelta, timezone
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from sqlmodel import Session, col, select

from reporting import access, exports, indicators, pages, report, synergies, territories
from reporting.lifecycle import (
    NEXT_STEPS,
    QUIET_AFTER,
    STAGE_LABELS,
    TYPE_LABELS,
    LifecycleError,
    may_act,
    next_stages,
    quiet_since,
)
from reporting.models import (
    Animateur,
    KnownListing,
    KnownOrganisation,
    Prospect,
    Synergy,
    SynergyFlow,
    SynergyMove,
    SynergyParty,
    Territory,
    TerritoryCommune,
)
from reporting.schemas import (
    AccessOut,
    ActorListingOut,
    ActorOut,
    ClaimDecision,
    CommunePoint,
    Day,
    FlowIn,
    MoveOut,
    OwnTerritoryOut,
    PartyOut,
    PisteCreate,
    ProspectCreate,
    ProspectOut,
    ProspectUpdate,
    RegulatoryOut,
    StageChange,
    SynergyImpactOut,
    SynergyOut,
    TerritoryCreate,
    TerritoryOut,
    TerritoryPreview,
)
from shared import maps
from shared.events import SynergyFlowReported, SynergyPartyRef, TransportLeg
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
)
from shared.links import LinkSigner
from shared.nomenclatures import ANIMATING_KINDS
from shared.service import ServiceRuntime, SessionDep

ANIMATEUR_KINDS = ANIMATING_KINDS
EARLIEST = date(2000, 1, 1)


def build_router(
    runtime: ServiceRuntime, authenticate: RemoteAuthenticator, gazetteer: Gazetteer, signer: LinkSigner
) -> APIRouter:
    router = APIRouter(prefix="/api/v1", responses=problems(400, 401), dependencies=[Depends(refuse_nul)])
    CallerDep = Annotated[Caller, Depends(authenticate)]
    out = partial(synergy_out, quiet_after=timedelta(days=runtime.settings.quiet_after_days))

    # --- territories ---------------------------------------------------------------------------

    @router.post(
        "/territories",
        status_code=201,
        response_model=TerritoryOut,
        responses=problems(400, 403, 409),
        tags=["territoires"],
    )
    def create_territory(
        data: TerritoryCreate,
        caller: CallerDep,
        session: SessionDep,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> TerritoryOut:
        """The animateur of a collectivité declares the territory it animates: an EPCI or a list of communes.

        The role is given by a platform admin (`POST /api/v1/users/{id}/role`, or `python -m offers.admin
        set-role`). A collectivité's own EPCI (its SIRET starts with the EPCI's SIREN), communes of that EPCI,
        or the commune where it is registered are approved at once; any other claim is `pending` until a
        platform admin decides (`POST /api/v1/territories/{id}/decision`)."""
        org = declaring_organisation(session, caller)
        territory_id = idempotent_id(idempotency_key, "territory", caller.organisation_id)
        if (earlier := session.get(Territory, territory_id)) is not None:
            replayed(response, (earlier.name, earlier.epci) == (data.name, data.epci))
            return territory_out(session, earlier)
        communes, status, _holder = claim_of(session, org, data)
        now = datetime.now(timezone.utc)
        territory = Territory(
            territory_id=territory_id,
            name=data.name,
            epci=data.epci,
            animateur_organisation_id=caller.organisation_id,
            created_at=now,
            status=status,
            decided_at=now if status == territories.APPROVED else None,
        )
        session.add(territory)
        for code in communes:
            session.add(TerritoryCommune(territory_id=territory.territory_id, insee=code))
        session.commit()
        return territory_out(session, territory)

    @router.post(
        "/territories/preview", response_model=TerritoryPreview, responses=problems(400, 403), tags=["territoires"]
    )
    def preview_territory(data: TerritoryCreate, caller: CallerDep, session: SessionDep) -> TerritoryPreview:
        """What `POST /api/v1/territories` would declare, written nowhere: its communes on a map, and whether it
        would be approved at once, wait for the platform's team, or dispute an EPCI another collectivité
        animates."""
        org = declaring_organisation(session, caller)
        communes, status, holder = claim_of(session, org, data)
        places = [place for code in communes if (place := gazetteer.by_insee(code)) is not None]
        epci = gazetteer.epci(data.epci) if data.epci else None
        return TerritoryPreview(
            name=data.name,
            epci=data.epci,
            epci_name=epci.name if epci else None,
            status=status,
            status_label=territories.STATUS_LABELS[status],
            disputes=holder.name if holder else None,
            communes=[CommunePoint(insee=p.insee, name=p.name) for p in places],
            map=asdict(maps.territory_map([(p.insee, p.name, p.lat, p.lon) for p in places], [])),
        )

    def declaring_organisation(session: Session, caller: Caller) -> KnownOrganisation:
        if not territories.acts_as_animateur(caller.role):
            raise HTTPException(
                403, detail="Seul un animateur déclare un territoire : demandez ce rôle à l'équipe de la plateforme."
            )
        org = session.get(KnownOrganisation, caller.organisation_id)
        if org is None or org.kind not in ANIMATEUR_KINDS:
            raise HTTPException(
                403, detail="Seule une collectivité (organisation de type « public_body ») peut animer un territoire."
            )
        return org

    def claim_of(
        session: Session, org: KnownOrganisation, data: TerritoryCreate
    ) -> tuple[list[str], str, Territory | None]:
        """The declared territory's communes, the status it would get, and the territory that animates its EPCI
        already (a dispute), if any."""
        holder = None
        if data.epci:
            communes = [p.insee for p in gazetteer.by_epci(data.epci)]
            if not communes:
                raise field_error("epci", f"Aucune commune de la table officielle n'appartient à l'EPCI {data.epci}.")
            holder = epci_holder(session, data.epci)
            if holder is not None and holder.animateur_organisation_id == org.organisation_id:
                raise HTTPException(
                    409, detail=f"Votre collectivité anime déjà l'EPCI {data.epci} (territoire « {holder.name} »)."
                )
        else:
            communes = list(dict.fromkeys(data.communes or []))
            for index, code in enumerate(communes):
                if gazetteer.by_insee(code) is None:
                    raise field_error(("communes", str(index)), f"Commune inconnue : code INSEE {code}.")
        status = territories.claim_status(
            siret=org.siret,
            insee=org.insee,
            epci=data.epci,
            communes=communes,
            epci_of={code: place.epci for code in communes if (place := gazetteer.by_insee(code))},
            epci_taken=holder is not None,
        )
        return communes, status, holder

    @router.get("/territories", response_model=list[TerritoryOut], tags=["territoires"])
    def my_territories(caller: CallerDep, session: SessionDep) -> list[TerritoryOut]:
        """The territories the caller animates (any status); none for a user who is not an animateur."""
        if not territories.acts_as_animateur(caller.role):
            return []
        rows = session.exec(
            select(Territory)
            .where(Territory.animateur_organisation_id == caller.organisation_id)
            .order_by(col(Territory.created_at))
        )
        return [territory_out(session, t) for t in rows]

    @router.get("/territories/own", response_model=OwnTerritoryOut, responses=problems(403), tags=["territoires"])
    def own_territory(caller: CallerDep, session: SessionDep) -> OwnTerritoryOut:
        """What the animateur's collectivité may declare at once: its commune, and that commune's EPCI (approved
        at once when the collectivité's SIRET is the EPCI's)."""
        if not territories.acts_as_animateur(caller.role):
            raise HTTPException(403, detail="Réservé à l'animateur d'une collectivité.")
        org = session.get(KnownOrganisation, caller.organisation_id)
        place = gazetteer.by_insee(org.insee) if org and org.insee else None
        epci = place.epci if place else None
        return OwnTerritoryOut(
            commune_insee=place.insee if place else None,
            commune_name=place.name if place else None,
            epci=epci,
            epci_communes=len(gazetteer.by_epci(epci)) if epci else 0,
            epci_is_own=bool(epci and org and territories.siren_of(org.siret) == epci),
        )

    @router.get("/territories/claims", response_model=list[TerritoryOut], responses=problems(403), tags=["territoires"])
    def pending_claims(caller: CallerDep, session: SessionDep) -> list[TerritoryOut]:
        """The claims awaiting a platform admin's decision, oldest first."""
        if not territories.decides_claims(caller.role):
            raise HTTPException(403, detail="Réservé aux administrateurs de la plateforme.")
        rows = session.exec(
            select(Territory).where(Territory.status == territories.PENDING).order_by(col(Territory.created_at))
        )
        return [territory_out(session, t) for t in rows]

    @router.post(
        "/territories/{territory_id}/decision",
        response_model=TerritoryOut,
        responses=problems(403, 404, 409),
        tags=["territoires"],
    )
    def decide_claim(territory_id: str, data: ClaimDecision, caller: CallerDep, session: SessionDep) -> TerritoryOut:
        """A platform admin approves or refuses a territory its animateur could not claim by the rule."""
        if not territories.decides_claims(caller.role):
            raise HTTPException(403, detail="Réservé aux administrateurs de la plateforme.")
        territory = session.get(Territory, territory_id)
        if territory is None:
            raise HTTPException(404, detail="Territoire inconnu.")
        now = datetime.now(timezone.utc)
        if data.approved and territory.epci and territory.status != territories.APPROVED:
            holder = epci_holder(session, territory.epci)
            if holder is not None and not data.transfer:
                raise HTTPException(
                    409,
                    detail=f"L'EPCI {territory.epci} est déjà animé (territoire « {holder.name} »)"
                    " : pour le confier à cette collectivité, confirmez le transfert.",
                )
            if holder is not None:
                holder.status, holder.decided_at = territories.TRANSFERRED, now
                session.add(holder)
        territory.status = territories.APPROVED if data.approved else territories.REFUSED
        territory.decided_at = now
        session.add(territory)
        session.commit()
        return territory_out(session, territory)

    # --- synergies -----------------------------------------------------------------------------

    @router.get("/synergies", response_model=list[SynergyOut], responses=problems(403, 404), tags=["synergies"])
    def list_synergies(
        caller: CallerDep,
        session: SessionDep,
        territory: str | None = None,
        stage: str | None = None,
        history: bool = False,
    ) -> list[SynergyOut]:
        """The caller's synergies; the animateur's whole territory with `territory=`; `history=true` adds each
        one's moves and their notes, and its recorded flows."""
        if territory is not None:
            rows = synergies.territory_synergies(session, animated_territory(session, caller, territory).territory_id)
        else:
            ids = session.exec(
                select(SynergyParty.synergy_id).where(SynergyParty.organisation_id == caller.organisation_id)
            ).all()
            rows = (
                list(
                    session.exec(
                        select(Synergy).where(col(Synergy.synergy_id).in_(list(ids))).order_by(col(Synergy.opened_at))
                    ).all()
                )
                if ids
                else []
            )
        if stage is not None:
            rows = [s for s in rows if s.stage == stage]
        return [out(session, s, detail=history) for s in rows]

    @router.post(
        "/synergies", status_code=201, response_model=SynergyOut, responses=problems(400, 403), tags=["synergies"]
    )
    def create_piste(
        data: PisteCreate,
        caller: CallerDep,
        session: SessionDep,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> SynergyOut:
        """A piste from a workshop, entered by the territory's animateur: every party lies in its territory."""
        if not territories.acts_as_animateur(caller.role) or not approved_territories(session, caller):
            raise HTTPException(403, detail="Seul l'animateur d'un territoire validé crée une piste.")
        for index, org_id in enumerate(data.parties):
            if session.get(KnownOrganisation, org_id) is None:
                raise field_error(("parties", str(index)), f"Organisation inconnue : {org_id}.")
        inside = synergies.animateurs_by_party(session, data.parties)
        for index, org_id in enumerate(data.parties):
            if caller.organisation_id not in inside[org_id]:
                raise field_error(
                    ("parties", str(index)), "Cette organisation n'est pas dans un territoire que vous animez."
                )
        check_material(data.material, "material")
        synergy_id = idempotent_id(idempotency_key, "piste", caller.organisation_id)
        if (earlier := session.get(Synergy, synergy_id)) is not None:
            replayed(
                response,
                (earlier.synergy_type, earlier.resource, earlier.notes, set(synergies.party_ids(session, synergy_id)))
                == (data.synergy_type, data.resource, data.notes, set(data.parties)),
            )
            return out(session, earlier)
        synergy = synergies.open_piste(
            session,
            synergy_id=synergy_id,
            actor_organisation_id=caller.organisation_id,
            synergy_type=data.synergy_type,
            resource=data.resource,
            parties=[SynergyPartyRef(organisation_id=org_id) for org_id in dict.fromkeys(data.parties)],
            material=data.material,
            notes=data.notes,
        )
        session.commit()
        return out(session, synergy)

    def visible_synergy(session: Session, caller: Caller, synergy_id: str, *, to_act: bool = False) -> Synergy:
        """A synergy the caller is party to or animates, else 404 (its existence stays private).

        The animateur reads a synergy with a party in its territory, and acts on it only when every party is."""
        synergy = session.get(Synergy, synergy_id)
        if synergy is None:
            raise HTTPException(404, detail="Synergie introuvable.")
        parties = synergies.party_ids(session, synergy_id)
        # For each party, the animateurs of its territories (one query): the animateur of any of them reads
        # the synergy, only one whose territories hold them all acts on it.
        by_party = synergies.animateurs_by_party(session, parties) if territories.acts_as_animateur(caller.role) else {}
        if not may_act(caller.organisation_id, parties, set().union(*by_party.values())):
            raise HTTPException(404, detail="Synergie introuvable.")
        if to_act and not may_act(caller.organisation_id, parties, territories.covering(by_party, parties)):
            raise HTTPException(
                403,
                detail="Une partie de cette synergie est hors de votre territoire : seules "
                "ses parties la font avancer.",
            )
        return synergy

    @router.get("/synergies/{synergy_id}", response_model=SynergyOut, responses=problems(404), tags=["synergies"])
    def get_synergy(synergy_id: str, caller: CallerDep, session: SessionDep) -> SynergyOut:
        """One synergy with its history and recorded flows."""
        return out(session, visible_synergy(session, caller, synergy_id), detail=True)

    @router.get(
        "/synergies/{synergy_id}/attestation.pdf", response_class=Response, responses=problems(404), tags=["synergies"]
    )
    def attestation(synergy_id: str, caller: CallerDep, session: SessionDep) -> Response:
        """A one-page PDF of what the synergy avoids, for a party's CSR report (or the animateur's files); before any
        flow is recorded, it says so."""
        synergy = visible_synergy(session, caller, synergy_id)
        impact = report.synergy_impact(report.flows_for(session, [synergy]), date.today())
        parties = [
            org.name
            for party in session.exec(select(SynergyParty).where(SynergyParty.synergy_id == synergy_id))
            if (org := session.get(KnownOrganisation, party.organisation_id))
        ]
        holder = session.get(KnownOrganisation, caller.organisation_id)
        html = (
            pages.environment()
            .get_template("pages/attestation.html")
            .render(
                title=f"Attestation d'impact — {synergy.resource}",
                synergy=synergy,
                impact=impact,
                parties=parties,
                holder=holder.name if holder else caller.name,
                stage_label=STAGE_LABELS[synergy.stage],
                type_label=TYPE_LABELS.get(synergy.synergy_type, synergy.synergy_type),
                today=date.today(),
                printed=True,
            )
        )
        name = f"boucle-attestation-{synergy_id[:8]}-{date.today().isoformat()}.pdf"
        return Response(
            exports.pdf(html),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private"},
        )

    @router.post(
        "/synergies/{synergy_id}/stage",
        response_model=SynergyOut,
        responses=problems(400, 404, 409),
        tags=["synergies"],
    )
    def change_stage(synergy_id: str, data: StageChange, caller: CallerDep, session: SessionDep) -> SynergyOut:
        """Move a synergy (parties and the territory's animateur only), optionally recording its flow."""
        synergy = visible_synergy(session, caller, synergy_id, to_act=True)
        try:
            synergies.move(
                session,
                synergy,
                target=data.stage,
                reason=data.reason,
                note=data.note,
                actor_organisation_id=caller.organisation_id,
                actor_name=caller.name,
            )
        except LifecycleError as exc:
            raise field_error(
                exc.field, exc.message, status_code=409 if exc.field == "stage" and data.stage in STAGE_LABELS else 422
            ) from exc
        if data.flow is not None:
            synergies.record_flow(
                session, flow_of(session, synergy, data.flow, caller, prefix=("flow",), flow_id=str(uuid.uuid4()))
            )
        session.commit()
        return out(session, synergy, detail=True)

    @router.post(
        "/synergies/{synergy_id}/flows",
        status_code=201,
        response_model=SynergyOut,
        responses=problems(400, 404, 409),
        tags=["synergies"],
    )
    def report_flow(
        synergy_id: str,
        data: FlowIn,
        caller: CallerDep,
        session: SessionDep,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> SynergyOut:
        """Record the flow of a synergy: quantity per period, dates, transport before and after, savings.

        With an `Idempotency-Key` header, the same request sent again (after a lost answer) records nothing more
        and answers `Idempotent-Replayed: true`."""
        synergy = visible_synergy(session, caller, synergy_id, to_act=True)
        flow = flow_of(
            session,
            synergy,
            data,
            caller,
            prefix=(),
            flow_id=idempotent_id(idempotency_key, "flow", caller.organisation_id, synergy_id),
        )
        if (earlier := session.get(SynergyFlow, flow.flow_id)) is not None:
            replayed(response, earlier.data == flow.model_dump(mode="json"))
            return out(session, synergy, detail=True)
        if synergy.stage == "abandoned":
            raise HTTPException(409, detail="Synergie abandonnée : aucun flux ne s'y enregistre.")
        synergies.record_flow(session, flow)
        session.commit()
        return out(session, synergy, detail=True)

    @router.put(
        "/synergies/{synergy_id}/flows/{flow_id}",
        response_model=SynergyOut,
        responses=problems(400, 404, 409),
        tags=["synergies"],
    )
    def correct_flow(synergy_id: str, flow_id: str, data: FlowIn, caller: CallerDep, session: SessionDep) -> SynergyOut:
        """Correct a recorded flow: the whole flow as it should read (`synergy.flow_corrected`, a revision more).
        The same correction sent again changes nothing."""
        synergy = visible_synergy(session, caller, synergy_id, to_act=True)
        row = session.get(SynergyFlow, flow_id)
        if row is None or row.synergy_id != synergy.synergy_id:
            raise HTTPException(404, detail="Flux inconnu sur cette synergie.")
        if synergy.stage == "abandoned":
            raise HTTPException(409, detail="Synergie abandonnée : ses flux ne se corrigent plus.")
        if synergies.correct_flow(session, row, flow_of(session, synergy, data, caller, prefix=(), flow_id=flow_id)):
            session.commit()
        return out(session, synergy, detail=True)

    def flow_of(
        session: Session, synergy: Synergy, data: FlowIn, caller: Caller, prefix: tuple[str, ...], flow_id: str
    ) -> SynergyFlowReported:
        """The `synergy.flow_reported` a flow makes, once checked (a 422 naming the field at fault)."""
        check_material(data.material, (*prefix, "material"))
        for side in ("transport_before", "transport_after"):
            leg = getattr(data, side)
            vehicles = indicators.default_factors().vehicles
            if leg is not None and leg.vehicle not in vehicles:
                raise field_error(
                    (*prefix, side, "vehicle"),
                    f"Véhicule inconnu « {leg.vehicle} » : attendu l'un de {', '.join(vehicles)}.",
                )
        for index, member in enumerate(data.members):
            if session.get(KnownOrganisation, member) is None:
                raise field_error((*prefix, "members", str(index)), f"Organisation inconnue : {member}.")
        fields = data.model_dump(exclude={"transport_before", "transport_after"})
        return SynergyFlowReported(
            synergy_id=synergy.synergy_id,
            flow_id=flow_id,
            actor_organisation_id=caller.organisation_id,
            transport_before=TransportLeg(**data.transport_before.model_dump()) if data.transport_before else None,
            transport_after=TransportLeg(**data.transport_after.model_dump()) if data.transport_after else None,
            **fields,
        )

    @router.get(
        "/territories/{territory_id}/actors",
        response_model=list[ActorOut],
        responses=problems(403, 404),
        tags=["territoires"],
    )
    def territory_actors(territory_id: str, caller: CallerDep, session: SessionDep) -> list[ActorOut]:
        """The organisations of the animateur's territory and their active listings, by name."""
        territory = animated_territory(session, caller, territory_id)
        members = synergies.territory_actors(session, territory)
        if not members:
            return []
        organisations = session.exec(
            select(KnownOrganisation)
            .where(col(KnownOrganisation.organisation_id).in_(list(members)))
            .order_by(col(KnownOrganisation.name))
        ).all()
        listings = session.exec(
            select(KnownListing)
            .where(col(KnownListing.organisation_id).in_(list(members)), col(KnownListing.active).is_(True))
            .order_by(col(KnownListing.published_at))
        ).all()
        actors = {
            org.organisation_id: ActorOut(
                organisation_id=org.organisation_id,
                name=org.name,
                kind=org.kind,
                insee=org.insee,
                commune=place.name if org.insee and (place := gazetteer.by_insee(org.insee)) else None,
                listings=[],
            )
            for org in organisations
        }
        for listing in listings:
            actors[listing.organisation_id].listings.append(
                ActorListingOut(
                    listing_id=listing.listing_id,
                    kind=listing.kind,
                    title=listing.title,
                    quantity_text=listing.quantity_text,
                    published_at=listing.published_at,
                )
            )
        access.record_access(
            session,
            owners=actors,
            reader_organisation_id=caller.organisation_id,
            reader_name=caller.name,
            reader_user_id=caller.user_id,
            what="annonces actives (liste des acteurs du territoire)",
            territory_id=territory.territory_id,
        )
        session.commit()
        return list(actors.values())

    @router.get("/access-log", response_model=list[AccessOut], tags=["confidentialité"])
    def access_log(caller: CallerDep, session: SessionDep) -> list[AccessOut]:
        """Who read my organisation's records beyond their anonymised form (the animateur, exports), newest first."""
        return [
            AccessOut(at=synergies.aware(entry.at), reader=entry.reader_name, what=entry.what)
            for entry in access.accesses_to(session, caller.organisation_id)
        ]

    # --- funnel: prospects recorded by the animateur ----------------------------------------------

    @router.post(
        "/territories/{territory_id}/prospects",
        status_code=201,
        response_model=ProspectOut,
        responses=problems(400, 403, 404),
        tags=["territoires"],
    )
    def add_prospect(
        territory_id: str,
        data: ProspectCreate,
        caller: CallerDep,
        session: SessionDep,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> ProspectOut:
        """An organisation contacted (and perhaps met) by the animateur: the top of the funnel."""
        territory = animated_territory(session, caller, territory_id)
        prospect_id = idempotent_id(idempotency_key, "prospect", territory.territory_id)
        if (earlier := session.get(Prospect, prospect_id)) is not None:
            replayed(response, (earlier.name, earlier.contacted_on) == (data.name, data.contacted_on))
            return prospect_out(session, earlier)
        prospect = Prospect(prospect_id=prospect_id, territory_id=territory.territory_id, **data.model_dump())
        session.add(prospect)
        session.commit()
        return prospect_out(session, prospect)

    @router.patch(
        "/territories/{territory_id}/prospects/{prospect_id}",
        response_model=ProspectOut,
        responses=problems(400, 403, 404),
        tags=["territoires"],
    )
    def update_prospect(
        territory_id: str, prospect_id: str, data: ProspectUpdate, caller: CallerDep, session: SessionDep
    ) -> ProspectOut:
        """Record the meeting, or link the prospect to the organisation it registered as."""
        territory = animated_territory(session, caller, territory_id)
        prospect = session.get(Prospect, prospect_id)
        if prospect is None or prospect.territory_id != territory.territory_id:
            raise HTTPException(404, detail="Contact introuvable.")
        changes = data.model_dump(exclude_unset=True)
        if changes.get("met_on") and changes["met_on"] < prospect.contacted_on:
            raise field_error("met_on", "La rencontre précède le premier contact.")
        for key, value in changes.items():
            setattr(prospect, key, value)
        session.add(prospect)
        session.commit()
        return prospect_out(session, prospect)

    # --- reports -------------------------------------------------------------------------------

    @router.post("/territories/{territory_id}/dashboard-link", responses=problems(403, 404), tags=["territoires"])
    def dashboard_link(territory_id: str, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
        """A link to the territory's dashboard (page, CSV export, PDF report) for its animateur, valid 30 days."""
        territory = animated_territory(session, caller, territory_id)
        assert caller.user_id is not None  # an animateur is a user: an API token's role is org_admin
        # Offers has just said this user animates: the link works at once, before `user.role_changed` arrives.
        session.merge(Animateur(user_id=caller.user_id, organisation_id=caller.organisation_id))
        session.commit()
        token = pages.sign_dashboard_link(signer, territory, caller.user_id)
        expires = datetime.now(timezone.utc) + timedelta(seconds=signer.max_age)
        return {
            "url": f"{runtime.settings.public_url.rstrip('/')}/liens/{pages.LINK_KIND}/{token}",
            "expires_at": expires.isoformat(timespec="seconds"),
        }

    def period_of(first: date | None, last: date | None, default_first: date) -> report.Period:
        last = last or date.today()
        first = first or default_first
        for name, day in (("from", first), ("to", last)):
            if report.out_of_range(day):
                raise field_error(
                    name,
                    f"Date hors des rapports : du {report.FIRST_DAY:%d/%m/%Y} au {report.LAST_DAY:%d/%m/%Y}.",
                    where="query",
                )
        if first > last:
            raise field_error("from", "La date de début (from) suit la date de fin (to).", where="query")
        return report.Period(first, last)

    FromQ = Annotated[Day | None, Query(alias="from")]
    ToQ = Annotated[Day | None, Query(alias="to")]

    @router.get("/reports/factors", tags=["rapports"])
    def factor_choices(_caller: CallerDep) -> dict[str, dict[str, str]]:
        """The vehicles and materials a flow may name (keys and French labels), from the cited factors."""
        factors = indicators.default_factors()
        return {
            "vehicles": {key: v.label_fr for key, v in factors.vehicles.items()},
            "materials": {key: m.label_fr for key, m in factors.materials.items()},
        }

    @router.get("/reports/impact", responses=problems(403, 404), tags=["rapports"])
    def impact(
        caller: CallerDep, session: SessionDep, territory: str | None = None, first: FromQ = None, last: ToQ = None
    ) -> dict[str, Any]:
        """Indicators of the territory for the period (this calendar year by default), with the previous period."""
        scope = animated_territory(session, caller, territory)
        return report.impact(session, scope, period_of(first, last, date(date.today().year, 1, 1)))

    @router.get("/reports/funnel", responses=problems(403, 404), tags=["rapports"])
    def funnel(
        caller: CallerDep, session: SessionDep, territory: str | None = None, first: FromQ = None, last: ToQ = None
    ) -> dict[str, Any]:
        """Organisations contacted → met → registered → … → with a contractualised synergy."""
        scope = animated_territory(session, caller, territory)
        return report.funnel(session, scope, period_of(first, last, EARLIEST))

    return router


def approved_territories(session: Session, caller: Caller) -> list[Territory]:
    return list(
        session.exec(
            select(Territory).where(
                Territory.animateur_organisation_id == caller.organisation_id, Territory.status == territories.APPROVED
            )
        ).all()
    )


def animated_territory(session: Session, caller: Caller, territory_id: str | None) -> Territory:
    """The approved territory the caller's animateur animates (the only one when not named), else 403/404."""
    if not territories.acts_as_animateur(caller.role):
        raise HTTPException(
            403, detail="Réservé à l'animateur du territoire (rôle donné par l'équipe de la plateforme)."
        )
    mine = approved_territories(session, caller)
    if territory_id is None:
        if len(mine) == 1:
            return mine[0]
        if not mine:
            raise HTTPException(403, detail="Les rapports sont réservés à l'animateur d'un territoire validé.")
        raise field_error("territory", "Vous animez plusieurs territoires : précisez lequel.", where="query")
    for territory in mine:
        if territory.territory_id == territory_id:
            return territory
    raise HTTPException(404, detail="Territoire inconnu, pas encore validé, ou que vous n'animez pas.")


def check_material(material: str | None, field: str | tuple[str, ...]) -> None:
    materials = indicators.default_factors().materials
    if material is not None and material not in materials:
        raise field_error(field, f"Matière inconnue « {material} » : attendu l'une de {', '.join(materials)}, ou rien.")


def prospect_out(session: Session, prospect: Prospect) -> ProspectOut:
    """The prospect as stored (reloaded: a commit expires the row, whose dump would be empty)."""
    session.refresh(prospect)
    return ProspectOut.model_validate(prospect, from_attributes=True)


def territory_out(session: Session, territory: Territory) -> TerritoryOut:
    org = session.get(KnownOrganisation, territory.animateur_organisation_id)
    holder = (
        epci_holder(session, territory.epci) if territory.epci and territory.status == territories.PENDING else None
    )
    return TerritoryOut(
        id=territory.territory_id,
        name=territory.name,
        epci=territory.epci,
        communes=commune_count(session, territory),
        animateur_organisation_id=territory.animateur_organisation_id,
        status=territory.status,
        status_label=territories.STATUS_LABELS[territory.status],
        animateur_name=org.name if org else "",
        disputes=holder.name if holder else None,
    )


def epci_holder(session: Session, epci: str) -> Territory | None:
    """The approved territory that animates this EPCI, if any."""
    return session.exec(
        select(Territory).where(Territory.epci == epci, Territory.status == territories.APPROVED)
    ).first()


def commune_count(session: Session, territory: Territory) -> int:
    return len(
        session.exec(
            select(TerritoryCommune.insee).where(TerritoryCommune.territory_id == territory.territory_id)
        ).all()
    )


def synergy_out(
    session: Session, synergy: Synergy, *, detail: bool = False, quiet_after: timedelta = QUIET_AFTER
) -> SynergyOut:
    parties = []
    party_rows = list(session.exec(select(SynergyParty).where(SynergyParty.synergy_id == synergy.synergy_id)))
    for party in party_rows:
        org = session.get(KnownOrganisation, party.organisation_id)
        parties.append(
            PartyOut(
                organisation_id=party.organisation_id,
                name=org.name if org else "",
                role=party.role,
                commune_insee=org.insee if org else None,
            )
        )
    out = SynergyOut(
        id=synergy.synergy_id,
        origin=synergy.origin,
        match_id=synergy.match_id,
        synergy_type=synergy.synergy_type,
        resource=synergy.resource,
        material=synergy.material,
        stage=synergy.stage,
        stage_label=STAGE_LABELS[synergy.stage],
        next_stages=next_stages(synergy.stage),
        quiet_since=quiet_since(
            synergy.stage, synergies.aware(synergy.updated_at), datetime.now(timezone.utc), quiet_after
        ),
        next_steps=list(NEXT_STEPS.get(synergy.stage, ())),
        abandon_reason=synergy.abandon_reason,
        notes=synergy.notes,
        opened_at=synergies.aware(synergy.opened_at),
        updated_at=synergies.aware(synergy.updated_at),
        parties=parties,
        regulatory=RegulatoryOut.model_validate(synergies.regulatory_view(session, synergy)),
        suggested_flow=synergies.suggested_flow(session, party_rows),
    )
    if detail:
        out.history = [
            MoveOut(
                from_stage=m.from_stage,
                to_stage=m.to_stage,
                reason=m.reason,
                note=m.note,
                by=m.actor_name,
                at=synergies.aware(m.at),
            )
            for m in session.exec(
                select(SynergyMove).where(SynergyMove.synergy_id == synergy.synergy_id).order_by(col(SynergyMove.at))
            )
        ]
        rows = session.exec(
            select(SynergyFlow)
            .where(SynergyFlow.synergy_id == synergy.synergy_id)
            .order_by(col(SynergyFlow.recorded_at))
        ).all()
        out.flows = [{**row.data, "recorded_at": synergies.aware(row.recorded_at).isoformat()} for row in rows]
        ended = report.ended_on(session, synergy) if rows else None
        impact = report.synergy_impact([report.flow_of(row, synergy, ended) for row in rows], date.today())
        out.impact = SynergyImpactOut.model_validate(impact) if impact else None
    return out
