"""Workshops (ateliers de partage des ressources): the animateur gathers some of the territory's actors, projects
their resources and the pistes among them, and notes what the room decides.

A piste here is a proposal matching made whose every party takes part in the workshop, still standing (proposed,
or already accepted by all). The room keeps it (a piste opens in the synergy lifecycle, its parties named with
their listings), merges several into one piste (a collection or a purchase shared by more organisations), or
sets it aside; each choice carries the animateur's note. Only what every actor may already see of another's
listing is shown: titles, public quantities, communes; never a description, an exact private quantity or a contact.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlmodel import Session, col, select

from reporting import synergies
from reporting.models import (
    KnownListing,
    KnownMatch,
    KnownOrganisation,
    MatchParticipant,
    Synergy,
    Territory,
    Workshop,
    WorkshopChoice,
    WorkshopParticipant,
)
from shared.events import SynergyPartyRef
from shared.nomenclatures import LISTING_KINDS, SUPPLY_KINDS

CHOICES = {"kept": "retenue", "merged": "fusionnée", "set_aside": "écartée"}
STANDING = ("proposed", "accepted")  # a declined or retracted proposal is no piste any more
KIND_ORDER = {kind: index for index, kind in enumerate(LISTING_KINDS)}  # what is there, then what is sought
_WORKSHOP_PISTE = uuid.UUID("9b0c3f52-4f1e-4b7c-8d57-2a6e1e0c7a41")


class WorkshopError(Exception):
    """A choice the workshop cannot make; `field` names the input at fault."""

    def __init__(self, field: str, message: str, status_code: int = 422):
        super().__init__(message)
        self.field, self.message, self.status_code = field, message, status_code


@dataclass(frozen=True)
class Party:
    organisation_id: str
    name: str
    listing_id: str | None
    listing_title: str
    listing_kind: str


@dataclass
class Piste:
    match_id: str
    kind: str  # pair | group
    score: float | None
    distance_km: float | None
    explanation: str
    status: str
    parties: list[Party]
    obligations: list[str]  # their short titles
    choice: WorkshopChoice | None = None


@dataclass(frozen=True)
class Resource:
    listing_id: str
    organisation_id: str
    organisation: str
    kind: str
    title: str
    category: str | None
    ewc_code: str | None
    quantity_text: str | None


@dataclass
class Family:
    label: str
    resources: list[Resource] = field(default_factory=list)


def ranked(pistes: Iterable[Piste]) -> list[Piste]:
    """Best first: the higher score, then the nearer, then the larger group; a proposal without a score last."""
    return sorted(
        pistes,
        key=lambda p: (
            p.score is None,
            -(p.score or 0.0),
            p.distance_km if p.distance_km is not None else float("inf"),
            -len(p.parties),
            p.match_id,
        ),
    )


def synergy_type_of(pistes: Sequence[Piste]) -> str:
    """A group, a share or a pool, or several proposals merged into one, is a mutualisation; a pair a substitution."""
    parties = {party.organisation_id for piste in pistes for party in piste.parties}
    shared = any(
        piste.kind == "group" or any(party.listing_kind in ("share", "pool") for party in piste.parties)
        for piste in pistes
    )
    return "mutualisation" if shared or len(parties) > 2 else "substitution"


def resource_of(pistes: Sequence[Piste]) -> str:
    """What the piste is about: the first offer's title (the shared resource of a group), else the first listing."""
    parties = [party for piste in pistes for party in piste.parties]
    offer = next((party for party in parties if party.listing_kind in SUPPLY_KINDS), parties[0])
    return offer.listing_title[:200]


def piste_id(workshop_id: str, match_ids: Iterable[str]) -> str:
    """The synergy a choice opens, derived from the workshop and the proposals: a retry opens nothing new."""
    return str(uuid.uuid5(_WORKSHOP_PISTE, "\x1f".join((workshop_id, *sorted(match_ids)))))


def group_by_family(resources: Sequence[Resource], family_of: dict[str, str]) -> list[Family]:
    """Resources under their family label (`family_of`: listing id → label), families by size then name; the
    resources of no known family last, under « Autres ressources »."""
    other = "Autres ressources"
    families: dict[str, Family] = {}
    for resource in resources:
        label = family_of.get(resource.listing_id) or other
        families.setdefault(label, Family(label)).resources.append(resource)
    for family in families.values():
        family.resources.sort(
            key=lambda r: (KIND_ORDER.get(r.kind, len(KIND_ORDER)), r.title.casefold(), r.organisation.casefold())
        )
    return sorted(families.values(), key=lambda f: (f.label == other, -len(f.resources), f.label.casefold()))


# --- reading ---------------------------------------------------------------------------------------------------


def participant_ids(session: Session, workshop: Workshop) -> list[str]:
    return list(
        session.exec(
            select(WorkshopParticipant.organisation_id).where(WorkshopParticipant.workshop_id == workshop.workshop_id)
        ).all()
    )


def participants_of(session: Session, workshop: Workshop) -> list[KnownOrganisation]:
    ids = participant_ids(session, workshop)
    return (
        list(
            session.exec(
                select(KnownOrganisation)
                .where(col(KnownOrganisation.organisation_id).in_(list(ids)))
                .order_by(col(KnownOrganisation.name))
            ).all()
        )
        if ids
        else []
    )


def resources_of(session: Session, organisations: Sequence[KnownOrganisation]) -> list[Resource]:
    """The active listings of these organisations, with only what any actor may see of them."""
    names = {org.organisation_id: org.name for org in organisations}
    rows = (
        session.exec(
            select(KnownListing).where(
                col(KnownListing.organisation_id).in_(list(names)), col(KnownListing.active).is_(True)
            )
        ).all()
        if names
        else []
    )
    return [
        Resource(
            listing_id=row.listing_id,
            organisation_id=row.organisation_id,
            organisation=names[row.organisation_id],
            kind=row.kind,
            title=row.title,
            category=row.category,
            ewc_code=row.ewc_code,
            quantity_text=row.quantity_text,
        )
        for row in rows
    ]


def pistes_among(session: Session, workshop_id: str, organisation_ids: set[str]) -> list[Piste]:
    """The standing proposals whose every party takes part, ranked, each with the workshop's choice on it."""
    members = members_of(session, organisation_ids)
    inside = [
        match_id
        for match_id, rows in members.items()
        if len(rows) > 1 and all(row.organisation_id in organisation_ids for row in rows)
    ]
    matches = (
        session.exec(
            select(KnownMatch).where(
                col(KnownMatch.match_id).in_(inside),
                col(KnownMatch.held).is_(False),
                col(KnownMatch.status).in_(STANDING),
            )
        ).all()
        if inside
        else []
    )
    choices = {
        row.match_id: row
        for row in session.exec(select(WorkshopChoice).where(WorkshopChoice.workshop_id == workshop_id))
    }
    return ranked(built(session, matches, members, choices))


def held_pistes(session: Session, organisation_ids: set[str]) -> list[Piste]:
    """The proposals held for an unconfirmed diagnostic with a party among these organisations, ranked: the
    animateur who made the diagnostics sees them, no party does until every organisation in them confirms."""
    members = members_of(session, organisation_ids)
    matches = (
        session.exec(
            select(KnownMatch).where(
                col(KnownMatch.match_id).in_(list(members)),
                col(KnownMatch.held).is_(True),
                KnownMatch.status == "proposed",
            )
        ).all()
        if members
        else []
    )
    return ranked(built(session, matches, members, {}))


def members_of(session: Session, organisation_ids: set[str]) -> dict[str, list[MatchParticipant]]:
    """Every participant of each proposal naming one of these organisations, by proposal."""
    if not organisation_ids:
        return {}
    touching = select(MatchParticipant.match_id).where(
        col(MatchParticipant.organisation_id).in_(list(organisation_ids))
    )
    members: dict[str, list[MatchParticipant]] = {}
    for row in session.exec(select(MatchParticipant).where(col(MatchParticipant.match_id).in_(touching))):
        members.setdefault(row.match_id, []).append(row)
    return members


def built(
    session: Session,
    matches: Sequence[KnownMatch],
    members: dict[str, list[MatchParticipant]],
    choices: dict[str, WorkshopChoice],
) -> list[Piste]:
    """The proposals as pistes: their parties named, with their listings' titles (those reporting knows)."""
    rows = [row for match in matches for row in members[match.match_id]]
    listing_ids = [row.listing_id for row in rows if row.listing_id]
    listings = (
        {
            row.listing_id: row
            for row in session.exec(select(KnownListing).where(col(KnownListing.listing_id).in_(listing_ids)))
        }
        if listing_ids
        else {}
    )
    organisation_ids = list({row.organisation_id for row in rows})
    names = (
        dict(
            session.exec(
                select(KnownOrganisation.organisation_id, KnownOrganisation.name).where(
                    col(KnownOrganisation.organisation_id).in_(organisation_ids)
                )
            ).all()
        )
        if organisation_ids
        else {}
    )
    pistes = []
    for match in matches:
        parties = []
        for row in sorted(members[match.match_id], key=lambda r: names.get(r.organisation_id, "")):
            listing = listings.get(row.listing_id or "")
            parties.append(
                Party(
                    organisation_id=row.organisation_id,
                    name=names.get(row.organisation_id, ""),
                    listing_id=row.listing_id,
                    listing_title=listing.title if listing else "",
                    listing_kind=listing.kind if listing else "member",
                )
            )
        pistes.append(
            Piste(
                match_id=match.match_id,
                kind=match.kind,
                score=match.score,
                distance_km=match.distance_km,
                explanation=match.explanation,
                status=match.status,
                parties=parties,
                obligations=[o.get("title", "") for o in match.obligations],
                choice=choices.get(match.match_id),
            )
        )
    return pistes


# --- commands --------------------------------------------------------------------------------------------------


def create(
    session: Session,
    *,
    workshop_id: str,
    territory: Territory,
    title: str,
    held_on: date,
    place: str | None,
    participants: Sequence[str],
) -> Workshop:
    """A workshop of some of the territory's actors (WorkshopError naming the one that is not)."""
    actors = synergies.territory_actors(session, territory)
    for index, organisation_id in enumerate(participants):
        if organisation_id not in actors:
            raise WorkshopError(
                f"participants.{index}",
                f"Cette organisation n'est pas un acteur de votre territoire (organisation {organisation_id[:40]}).",
            )
    workshop = Workshop(
        workshop_id=workshop_id,
        territory_id=territory.territory_id,
        title=title,
        held_on=held_on,
        place=place,
        created_at=datetime.now(timezone.utc),
    )
    session.add(workshop)
    for organisation_id in dict.fromkeys(participants):
        session.add(WorkshopParticipant(workshop_id=workshop_id, organisation_id=organisation_id))
    return workshop


def choose(
    session: Session,
    workshop: Workshop,
    *,
    match_ids: Sequence[str],
    choice: str,
    note: str | None,
    actor_organisation_id: str,
) -> tuple[list[WorkshopChoice], bool]:
    """Record the room's choice on one proposal (kept, set aside) or several (merged into one piste): returns the
    choices and whether anything changed. Keeping or merging opens the piste; the same choice again changes
    nothing. A proposal already kept or merged stays so (its piste lives in the synergies); one set aside may
    still be kept."""
    participants = set(participant_ids(session, workshop))
    pistes = {piste.match_id: piste for piste in pistes_among(session, workshop.workshop_id, participants)}
    wanted = list(dict.fromkeys(match_ids))
    for index, match_id in enumerate(wanted):
        if match_id not in pistes:
            raise WorkshopError(
                f"matches.{index}",
                "Cette piste n'est pas (ou plus) une piste entre les participants de l'atelier.",
                status_code=404,
            )
    if choice == "merged" and len(wanted) < 2:
        raise WorkshopError("matches", "Pour fusionner, choisissez au moins deux pistes.")
    if choice != "merged" and len(wanted) != 1:
        raise WorkshopError(
            "matches", "Retenir ou écarter se fait piste par piste ; pour en réunir plusieurs, fusionnez-les."
        )
    chosen = [pistes[match_id] for match_id in wanted]
    synergy_id = piste_id(workshop.workshop_id, wanted) if choice != "set_aside" else None
    earlier = [piste.choice for piste in chosen if piste.choice is not None]
    if len(earlier) == len(chosen) and all(c.choice == choice and c.synergy_id == synergy_id for c in earlier):
        return earlier, False  # sent again
    for index, piste in enumerate(chosen):
        if piste.status == "accepted":
            raise WorkshopError(
                f"matches.{index}",
                "Les parties ont déjà accepté cette mise en relation : elle est suivie dans les synergies.",
                status_code=409,
            )
        if piste.choice is not None and piste.choice.choice in ("kept", "merged"):
            raise WorkshopError(
                f"matches.{index}", "Cette piste est déjà retenue : suivez-la dans les synergies.", status_code=409
            )
    now = datetime.now(timezone.utc)
    if synergy_id is not None and session.get(Synergy, synergy_id) is None:
        parties = {
            party.organisation_id: SynergyPartyRef(
                organisation_id=party.organisation_id, listing_id=party.listing_id, role=party.listing_kind
            )
            for piste in chosen
            for party in piste.parties
        }
        synergies.open_piste(
            session,
            synergy_id=synergy_id,
            actor_organisation_id=actor_organisation_id,
            synergy_type=synergy_type_of(chosen),
            resource=resource_of(chosen),
            parties=list(parties.values()),
            notes=f"Atelier « {workshop.title} » du {workshop.held_on.strftime('%d/%m/%Y')}"
            + (f" : {note}" if note else ""),
        )
    rows = []
    for piste in chosen:
        row = piste.choice or WorkshopChoice(
            workshop_id=workshop.workshop_id, match_id=piste.match_id, choice=choice, decided_at=now
        )
        row.choice, row.note, row.synergy_id, row.decided_at = choice, note, synergy_id, now
        session.add(row)
        rows.append(row)
    return rows, True


def of_territory(session: Session, territory_id: str) -> list[Workshop]:
    return list(
        session.exec(
            select(Workshop)
            .where(Workshop.territory_id == territory_id)
            .order_by(col(Workshop.held_on).desc(), col(Workshop.created_at).desc())
        ).all()
    )
