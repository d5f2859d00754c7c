"""Synergies: the commands that change them and the projection of their events into tables.

A command checks the lifecycle rules, builds the event, applies it with `apply` and stages
it in the outbox, all in the caller's transaction. `apply` is also what a rebuild replays
from `boucle.synergies`, so the tables are always a function of the events.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlmodel import Session, col, select

from reporting.lifecycle import (
    CONTRACTED_STAGES,
    NEXT_STEPS,
    OPEN_STAGES,
    QUIET_AFTER,
    check_move,
    event_type_for,
    quiet_since,
)
from reporting.models import (
    KnownListing,
    KnownMatch,
    KnownOrganisation,
    Synergy,
    SynergyFlow,
    SynergyMove,
    SynergyParty,
    SynergyReminder,
    Territory,
    TerritoryCommune,
)
from reporting.territories import APPROVED
from shared import topics
from shared.events import (
    Envelope,
    MatchConcluded,
    MatchParty,
    SynergyFlowReported,
    SynergyMoved,
    SynergyOpened,
    SynergyPartyRef,
    SynergyQuiet,
    SynergyType,
    new_event,
    payload_of,
)
from shared.nomenclatures import SUPPLY_KINDS, WASTE_STATUSES
from shared.outbox import add_event

PRODUCER = "reporting"
_MATCH_SYNERGY = uuid.UUID("6c1f6f0e-3f5a-4c86-9d7e-0b8a5f1c2d3e")
MUTUALISING_KINDS = {"share", "pool"}


def synergy_id_for_match(match_id: str) -> str:
    """The synergy a match opens has an id derived from the match: a redelivery opens nothing new."""
    return str(uuid.uuid5(_MATCH_SYNERGY, match_id))


def emit(session: Session, event_type: str, payload: SynergyOpened | SynergyMoved | SynergyFlowReported) -> Envelope:
    """Apply the event to the tables and stage it for `boucle.synergies`, in one transaction."""
    envelope = new_event(event_type, payload, producer=PRODUCER, key=payload.synergy_id)
    apply(session, envelope)
    add_event(session, topics.SYNERGIES, envelope)
    return envelope


# The emission factors' vehicle (factors.toml) a listing's « avec quoi » (shared.nomenclatures.TRANSPORT_MEANS) starts
# the flow form from; the parties correct it if theirs differs.
VEHICLE_FOR_MEANS = {
    "van": "van_3_5t",
    "tractor_trailer": "tractor",
    "truck": "rigid_19t",
    "skip_lorry": "rigid_19t",
    "tanker": "rigid_19t",
    "refrigerated": "rigid_12t",
}


def suggested_flow(session: Session, parties: list[SynergyParty]) -> dict[str, Any]:
    """The transport with the exchange as its parties' listings said it (the giver's first), for a new flow."""
    listings = [session.get(KnownListing, party.listing_id) for party in parties if party.listing_id]
    said = sorted(
        (row.kind not in SUPPLY_KINDS, row.transport_means)
        for row in listings
        if row is not None and row.transport_means in VEHICLE_FOR_MEANS
    )
    return {"transport_after": {"vehicle": VEHICLE_FOR_MEANS[said[0][1]]}} if said else {}


def open_from_match(session: Session, payload: MatchConcluded) -> Synergy | None:
    """match.accepted: both sides said yes, a synergy opens at « détectée » (once per match)."""
    synergy_id = synergy_id_for_match(payload.match_id)
    if session.get(Synergy, synergy_id) is not None:
        return None
    kinds = {party.kind for party in payload.parties}
    # One party per organisation: in a swap each has two listings, and the one it gives stands for it.
    giving: dict[str, MatchParty] = {}
    for party in payload.parties:
        if party.organisation_id not in giving or party.kind in SUPPLY_KINDS:
            giving[party.organisation_id] = party
    synergy_type: SynergyType = "mutualisation" if kinds & MUTUALISING_KINDS or len(giving) > 2 else "substitution"
    swapped = len(giving) < len(payload.parties)  # « paille contre fumier »
    resource = (
        " contre ".join(p.title for p in giving.values())
        if swapped
        else next((p for p in payload.parties if p.kind == "offer"), payload.parties[0]).title
    )
    emit(
        session,
        "synergy.opened",
        SynergyOpened(
            synergy_id=synergy_id,
            origin="match",
            match_id=payload.match_id,
            synergy_type=synergy_type,
            resource=resource,
            parties=[
                SynergyPartyRef(organisation_id=p.organisation_id, listing_id=p.listing_id, role=p.kind)
                for p in giving.values()
            ],
        ),
    )
    return session.get(Synergy, synergy_id)


def open_piste(
    session: Session,
    *,
    synergy_id: str,
    actor_organisation_id: str,
    synergy_type: str,
    resource: str,
    parties: list[SynergyPartyRef],
    material: str | None = None,
    notes: str | None = None,
) -> Synergy:
    """A piste from a workshop, created by the animateur: parties (with their listing when the workshop kept a
    proposal), resource, notes."""
    emit(
        session,
        "synergy.opened",
        SynergyOpened(
            synergy_id=synergy_id,
            origin="piste",
            synergy_type=synergy_type,  # type: ignore[arg-type]
            resource=resource,
            material=material,
            notes=notes,
            actor_organisation_id=actor_organisation_id,
            parties=parties,
        ),
    )
    synergy = session.get(Synergy, synergy_id)
    assert synergy is not None
    return synergy


def move(
    session: Session,
    synergy: Synergy,
    *,
    target: str,
    reason: str | None,
    note: str | None,
    actor_organisation_id: str,
    actor_name: str,
) -> Envelope:
    """Move the synergy to `target` (LifecycleError when the lifecycle forbids it)."""
    check_move(synergy.stage, target, reason)
    parties = party_ids(session, synergy.synergy_id)
    return emit(
        session,
        event_type_for(target),
        SynergyMoved(
            synergy_id=synergy.synergy_id,
            from_stage=synergy.stage,  # type: ignore[arg-type]
            to_stage=target,  # type: ignore[arg-type]
            reason=reason,
            note=note,
            actor_organisation_id=actor_organisation_id,
            actor_name=actor_name,
            parties=parties,
            resource=synergy.resource,
            animateurs=sorted(animateurs_of(session, parties)),
        ),
    )


def record_flow(session: Session, flow: SynergyFlowReported) -> Envelope:
    """Record a flow on a synergy (validated by the caller)."""
    return emit(session, "synergy.flow_reported", flow)


def correct_flow(session: Session, row: SynergyFlow, flow: SynergyFlowReported) -> Envelope | None:
    """Replace a recorded flow by its correction (validated by the caller), a revision more; None when the
    correction says what the flow already says (sent again: nothing changes)."""
    ignored = {"revision", "actor_organisation_id"}
    corrected = flow.model_dump(mode="json")
    if {k: v for k, v in corrected.items() if k not in ignored} == {
        k: v for k, v in row.data.items() if k not in ignored
    }:
        return None
    return emit(
        session, "synergy.flow_corrected", flow.model_copy(update={"revision": int(row.data.get("revision", 1)) + 1})
    )


def apply(session: Session, envelope: Envelope) -> None:
    """Project one `boucle.synergies` event into the tables; applying it twice changes nothing."""
    payload = payload_of(envelope)
    if isinstance(payload, SynergyOpened):
        if session.get(Synergy, payload.synergy_id) is not None:
            return
        session.add(
            Synergy(
                synergy_id=payload.synergy_id,
                origin=payload.origin,
                match_id=payload.match_id,
                synergy_type=payload.synergy_type,
                resource=payload.resource,
                material=payload.material,
                stage="detected",
                notes=payload.notes,
                opened_at=envelope.occurred_at,
                updated_at=envelope.occurred_at,
                opened_by=payload.actor_organisation_id,
            )
        )
        for party in payload.parties:
            session.add(
                SynergyParty(
                    synergy_id=payload.synergy_id,
                    organisation_id=party.organisation_id,
                    listing_id=party.listing_id,
                    role=party.role,
                )
            )
        session.flush()
    elif isinstance(payload, SynergyMoved):
        event_id = str(envelope.event_id)
        if session.exec(select(SynergyMove).where(SynergyMove.event_id == event_id)).first() is not None:
            return
        synergy = session.get(Synergy, payload.synergy_id)
        if synergy is None:
            raise LookupError(f"synergy {payload.synergy_id} moved before it was opened")
        synergy.stage, synergy.updated_at = payload.to_stage, envelope.occurred_at
        synergy.abandon_reason = payload.reason if payload.to_stage == "abandoned" else None
        if payload.to_stage in CONTRACTED_STAGES and synergy.contractualised_at is None:
            synergy.contractualised_at = envelope.occurred_at
        session.add(synergy)
        session.add(
            SynergyMove(
                event_id=event_id,
                synergy_id=payload.synergy_id,
                from_stage=payload.from_stage,
                to_stage=payload.to_stage,
                reason=payload.reason,
                note=payload.note,
                actor_organisation_id=payload.actor_organisation_id,
                actor_name=payload.actor_name,
                at=envelope.occurred_at,
            )
        )
        session.flush()
    elif isinstance(payload, SynergyFlowReported):  # reported, or corrected: the latest revision holds
        row = session.get(SynergyFlow, payload.flow_id)
        if row is None:
            session.add(
                SynergyFlow(
                    flow_id=payload.flow_id,
                    synergy_id=payload.synergy_id,
                    recorded_at=envelope.occurred_at,
                    actor_organisation_id=payload.actor_organisation_id,
                    data=payload.model_dump(mode="json"),
                )
            )
        elif payload.revision > int(row.data.get("revision", 1)):
            row.data = payload.model_dump(mode="json")
            session.add(row)
        session.flush()


def party_ids(session: Session, synergy_id: str) -> list[str]:
    """The organisations taking part in a synergy."""
    return list(session.exec(select(SynergyParty.organisation_id).where(SynergyParty.synergy_id == synergy_id)).all())


def animateurs_by_party(session: Session, organisation_ids: Iterable[str]) -> dict[str, set[str]]:
    """For each organisation, the animateurs of the approved territories it is located in."""
    ids = list(organisation_ids)
    rows = session.exec(
        select(KnownOrganisation.organisation_id, Territory.animateur_organisation_id)
        .join(TerritoryCommune, col(TerritoryCommune.insee) == col(KnownOrganisation.insee))
        .join(Territory, col(Territory.territory_id) == col(TerritoryCommune.territory_id))
        .where(col(KnownOrganisation.organisation_id).in_(ids), Territory.status == APPROVED)
    )
    found: dict[str, set[str]] = {organisation_id: set() for organisation_id in ids}
    for organisation_id, animateur in rows:
        found[organisation_id].add(animateur)
    return found


def animateurs_of(session: Session, organisation_ids: Iterable[str]) -> set[str]:
    """The animateurs of every approved territory where one of these organisations is located (told of news)."""
    return set().union(*animateurs_by_party(session, organisation_ids).values())


def territory_actors(session: Session, territory: Territory) -> set[str]:
    """The territory's actors: confirmed organisations located in its communes, the collectivité that animates it
    excepted (a sign-up nobody confirmed is not an actor yet)."""
    unconfirmed = set(
        session.exec(select(KnownOrganisation.organisation_id).where(col(KnownOrganisation.confirmed).is_(False))).all()
    )
    return (
        territory_organisations(session, territory.territory_id) - unconfirmed - {territory.animateur_organisation_id}
    )


def territory_organisations(session: Session, territory_id: str) -> set[str]:
    """Organisations located in one of the territory's communes."""
    rows = session.exec(
        select(KnownOrganisation.organisation_id)
        .join(TerritoryCommune, col(TerritoryCommune.insee) == col(KnownOrganisation.insee))
        .where(TerritoryCommune.territory_id == territory_id)
    )
    return set(rows.all())


def territory_synergies(session: Session, territory_id: str) -> list[Synergy]:
    """Synergies with at least one party in the territory."""
    members = territory_organisations(session, territory_id)
    if not members:
        return []
    ids = set(
        session.exec(select(SynergyParty.synergy_id).where(col(SynergyParty.organisation_id).in_(list(members)))).all()
    )
    return (
        list(
            session.exec(
                select(Synergy).where(col(Synergy.synergy_id).in_(list(ids))).order_by(col(Synergy.opened_at))
            ).all()
        )
        if ids
        else []
    )


def supply_statuses(session: Session, synergies: list[Synergy]) -> dict[str, str | None]:
    """The legal status the supplying party declared for each synergy's listing (None: not declared)."""
    ids = [s.synergy_id for s in synergies]
    if not ids:
        return {}
    rows = session.exec(
        select(SynergyParty.synergy_id, KnownListing.waste_status)
        .join(KnownListing, col(KnownListing.listing_id) == col(SynergyParty.listing_id))
        .where(col(SynergyParty.synergy_id).in_(ids), SynergyParty.role == "supply")
    ).all()
    found = dict(rows)
    return {synergy_id: found.get(synergy_id) for synergy_id in ids}


def regulatory_view(session: Session, synergy: Synergy) -> dict[str, object]:
    """What the law asks of the exchange and what is still missing, for the parties and the animateur."""
    status = supply_statuses(session, [synergy])[synergy.synergy_id]
    match = session.get(KnownMatch, synergy.match_id) if synergy.match_id else None
    obligations = list(match.obligations) if match else []
    missing = []
    if synergy.synergy_type == "substitution" and status is None:
        missing.append(
            "Statut de la matière non déclaré par l'offre (déchet, sous-produit, sortie du statut de "
            "déchet ou produit) : il décide des obligations."
        )
    if match is None:
        missing.append("Piste ouverte par l'animateur : obligations réglementaires à établir avec les parties.")
    return {
        "declared_status": status,
        "declared_status_label": WASTE_STATUSES.get(status or "", "non déclaré"),
        "obligations": obligations,
        "missing": missing,
    }


def stage_due_reminders(session: Session, now: datetime, after: timedelta = QUIET_AFTER) -> int:
    """Stage one `synergy.quiet` for each open synergy that has not moved for `after` and was not reminded of this
    quiet spell yet; the reminder row and the event commit together. How many were staged."""
    staged = 0
    candidates = session.exec(
        select(Synergy).where(col(Synergy.stage).in_(OPEN_STAGES), col(Synergy.updated_at) <= now - after)
    ).all()
    for synergy in candidates:
        since = quiet_since(synergy.stage, aware(synergy.updated_at), now, after)
        if since is None or session.get(SynergyReminder, (synergy.synergy_id, since)) is not None:
            continue
        parties = party_ids(session, synergy.synergy_id)
        session.add(SynergyReminder(synergy_id=synergy.synergy_id, quiet_since=since, sent_at=now))
        add_event(
            session,
            topics.SYNERGIES,
            new_event(
                "synergy.quiet",
                SynergyQuiet(
                    synergy_id=synergy.synergy_id,
                    resource=synergy.resource,
                    stage=synergy.stage,  # type: ignore[arg-type]
                    quiet_since=since,
                    weeks=int((now - since).days // 7),
                    next_steps=list(NEXT_STEPS[synergy.stage]),
                    parties=parties,
                    animateurs=sorted(animateurs_of(session, parties)),
                ),
                producer=PRODUCER,
                key=synergy.synergy_id,
            ),
        )
        staged += 1
    session.commit()
    return staged


def aware(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back: they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
