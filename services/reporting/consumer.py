"""Keeps reporting's view of organisations, listings and matches from the topics; opens synergies."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session, col, delete, select

from reporting import synergies
from reporting.models import (
    AccessLog,
    Animateur,
    KnownListing,
    KnownMatch,
    KnownOrganisation,
    MatchParticipant,
    SynergyMove,
    SynergyParty,
    WorkshopParticipant,
)
from reporting.territories import acts_as_animateur
from shared.events import (
    Envelope,
    ListingClosed,
    ListingSnapshot,
    MatchConcluded,
    MatchProposed,
    MatchRetracted,
    OrganisationErased,
    OrganisationProfile,
    Payload,
    UserRoleChanged,
)
from shared.inbox import Handler
from shared.outbox import forget_sent
from shared.units import quantity_text


def on_organisation(session: Session, envelope: Envelope, payload: Payload) -> None:
    assert isinstance(payload, OrganisationProfile)
    row = session.get(KnownOrganisation, payload.organisation_id) or KnownOrganisation(
        organisation_id=payload.organisation_id, kind=payload.kind, registered_at=envelope.occurred_at
    )
    row.name, row.kind, row.insee, row.siret = payload.name, payload.kind, payload.insee, payload.siret
    row.confirmed = payload.confirmed
    session.add(row)


def on_role_changed(session: Session, envelope: Envelope, payload: Payload) -> None:
    """Follow who holds the animateur role: its dashboard links die with it."""
    assert isinstance(payload, UserRoleChanged)
    row = session.get(Animateur, payload.user_id)
    if acts_as_animateur(payload.role):
        row = row or Animateur(user_id=payload.user_id, organisation_id=payload.organisation_id)
        row.organisation_id = payload.organisation_id
        session.add(row)
    elif row is not None:
        session.delete(row)


def on_listing(session: Session, envelope: Envelope, payload: Payload) -> None:
    assert isinstance(payload, (ListingSnapshot, ListingClosed))
    if isinstance(payload, ListingSnapshot) and payload.held:
        return  # an unconfirmed diagnostic's flow: counted once its organisation confirms (listing.updated)
    row = session.get(KnownListing, payload.listing_id)
    if row is not None and row.revision >= payload.revision:
        return  # late, older revision
    kind = payload.kind if isinstance(payload, ListingSnapshot) else (row.kind if row else "offer")
    row = row or KnownListing(
        listing_id=payload.listing_id,
        organisation_id=payload.organisation_id,
        kind=kind,
        revision=payload.revision,
        active=True,
        published_at=envelope.occurred_at,
    )
    row.kind, row.revision, row.active = kind, payload.revision, isinstance(payload, ListingSnapshot)
    if isinstance(payload, ListingSnapshot):
        row.title, row.insee, row.waste_status = payload.title, payload.insee, payload.waste_status
        row.category, row.ewc_code, row.transport_means = payload.category, payload.ewc_code, payload.transport_means
        row.quantity_text = (
            None
            if "quantity" in payload.private_fields
            else quantity_text(payload.quantity_value, payload.quantity_unit, payload.frequency)
        )
    session.add(row)


def on_match_proposed(session: Session, envelope: Envelope, payload: Payload) -> None:
    assert isinstance(payload, MatchProposed)
    if (known := session.get(KnownMatch, payload.match_id)) is not None:
        if known.held and not payload.held:  # announced to its parties: its organisations confirmed
            known.held, known.proposed_at = False, envelope.occurred_at
            session.add(known)
        return
    session.add(
        KnownMatch(
            match_id=payload.match_id,
            status="proposed",
            proposed_at=envelope.occurred_at,
            obligations=[o.model_dump() for o in payload.obligations],
            kind=payload.kind,
            score=payload.score,
            distance_km=payload.distance_km,
            explanation=payload.explanation,
            held=payload.held,
        )
    )
    listing_of: dict[str, str] = {}
    for party in payload.parties:
        listing_of.setdefault(party.organisation_id, party.listing_id)
    for organisation_id, listing_id in listing_of.items():
        session.add(MatchParticipant(match_id=payload.match_id, organisation_id=organisation_id, listing_id=listing_id))


def forget_matches(session: Session, match_ids: list[str]) -> None:
    """Delete proposals and their participants (held ones: no party ever knew of them, nothing to count)."""
    if match_ids:
        session.exec(delete(MatchParticipant).where(col(MatchParticipant.match_id).in_(match_ids)))
        session.exec(delete(KnownMatch).where(col(KnownMatch.match_id).in_(match_ids)))


def conclude(status: str) -> Handler:
    def on_match_concluded(session: Session, envelope: Envelope, payload: Payload) -> None:
        assert isinstance(payload, (MatchConcluded, MatchRetracted))
        row = session.get(KnownMatch, payload.match_id)
        if row is not None and row.held and status == "retracted":  # no party ever knew of it: nothing to keep
            forget_matches(session, [payload.match_id])
            return
        if row is None:  # the proposal was missed (e.g. topics trimmed): record what is known
            row = KnownMatch(match_id=payload.match_id, status=status, proposed_at=envelope.occurred_at)
        row.status, row.concluded_at = status, envelope.occurred_at
        session.add(row)

    return on_match_concluded


def on_match_accepted_opening(session: Session, envelope: Envelope, payload: Payload) -> None:
    """match.accepted: record it and open the synergy (this service owns the lifecycle)."""
    conclude("accepted")(session, envelope, payload)
    assert isinstance(payload, MatchConcluded)
    synergies.open_from_match(session, payload)


ERASED_NAME = "Organisation supprimée"


def on_organisation_erased(session: Session, _envelope: Envelope, payload: Payload) -> None:
    """organisation.erased: what reporting knows of the organisation goes — its name, listings, the pistes held for
    it, who read its records, its workshops' seats, its users' role — but the synergies it took part in and the
    proposals made to it still count, anonymous: the territory's figures do not change."""
    assert isinstance(payload, OrganisationErased)
    org_id = payload.organisation_id
    named = list(session.exec(select(MatchParticipant.match_id).where(MatchParticipant.organisation_id == org_id)))
    matches = list(session.exec(select(KnownMatch).where(col(KnownMatch.match_id).in_(named)))) if named else []
    held = [match.match_id for match in matches if match.held]  # no party ever knew of them: nothing to count
    forget_matches(session, held)
    for match in matches:
        if not match.held:
            match.explanation = ""  # it named the organisation's listing
            session.add(match)
    for model, column in (
        (KnownListing, KnownListing.organisation_id),
        (AccessLog, AccessLog.owner_organisation_id),
        (WorkshopParticipant, WorkshopParticipant.organisation_id),
        (Animateur, Animateur.organisation_id),
    ):
        session.exec(delete(model).where(col(column) == org_id))
    for entry in session.exec(select(AccessLog).where(AccessLog.reader_organisation_id == org_id)):
        entry.reader_name, entry.reader_user_id = ERASED_NAME, None
        session.add(entry)
    for move in session.exec(select(SynergyMove).where(SynergyMove.actor_organisation_id == org_id)):
        move.actor_name = ERASED_NAME
        session.add(move)
    row = session.get(KnownOrganisation, org_id)
    forget_sent(session, org_id, row.name if row is not None else "")  # e.g. the weekly summary that named it
    if row is None:
        return
    counted = (
        len(matches) > len(held)
        or session.exec(select(SynergyParty).where(SynergyParty.organisation_id == org_id)).first() is not None
    )
    if counted:  # its commune keeps its synergies in the territory's figures; it is no actor any more
        row.name, row.siret, row.confirmed = ERASED_NAME, None, False
        session.add(row)
    else:
        session.delete(row)


def handlers(*, open_synergies: bool = True) -> Mapping[str, Handler]:
    """The live consumer opens synergies on match.accepted; a rebuild takes them from boucle.synergies instead."""
    return {
        "organisation.registered": on_organisation,
        "organisation.updated": on_organisation,
        "organisation.erased": on_organisation_erased,
        "user.role_changed": on_role_changed,
        "listing.published": on_listing,
        "listing.updated": on_listing,
        "listing.withdrawn": on_listing,
        "listing.expired": on_listing,
        "listing.paused": on_listing,
        "match.proposed": on_match_proposed,
        "match.accepted": on_match_accepted_opening if open_synergies else conclude("accepted"),
        "match.declined": conclude("declined"),
        "match.retracted": conclude("retracted"),
    }
