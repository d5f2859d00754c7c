"""Keeps reporting's view of organisations, listings and matches from the topics; opens synergies."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session, col, delete, select

from reporting import synergies
from reporting.models import Animateur, KnownListing, KnownMatch, KnownOrganisation, MatchParticipant
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
from shared.units import quantity_text


def on_organisation(session: Session, envelope: Envelope, payload: Payload) -> None:
    assert isinstance(payload, OrganisationProfile)
    row = session.get(KnownOrganisation, payload.organisation_id) or KnownOrganisation(
        organisation_id=payload.organisation_id, kind=payload.kind, registered_at=envelope.occurred_at)
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
    row = row or KnownListing(listing_id=payload.listing_id, organisation_id=payload.organisation_id, kind=kind,
                              revision=payload.revision, active=True, published_at=envelope.occurred_at)
    row.kind, row.revision, row.active = kind, payload.revision, isinstance(payload, ListingSnapshot)
    if isinstance(payload, ListingSnapshot):
        row.title, row.insee, row.waste_status = payload.title, payload.insee, payload.waste_status
        row.category, row.ewc_code = payload.category, payload.ewc_code
        row.quantity_text = None if "quantity" in payload.private_fields else quantity_text(
            payload.quantity_value, payload.quantity_unit, payload.frequency)
    session.add(row)


def on_match_proposed(session: Session, envelope: Envelope, payload: Payload) -> None:
    assert isinstance(payload, MatchProposed)
    if (known := session.get(KnownMatch, payload.match_id)) is not None:
        if known.held and not payload.held:  # announced to its parties: its organisations confirmed
            known.held, known.proposed_at = False, envelope.occurred_at
            session.add(known)
        return
    session.add(KnownMatch(match_id=payload.match_id, status="proposed", proposed_at=envelope.occurred_at,
                           obligations=[o.model_dump() for o in payload.obligations], kind=payload.kind,
                           score=payload.score, distance_km=payload.distance_km, explanation=payload.explanation,
                           held=payload.held))
    listing_of: dict[str, str] = {}
    for party in payload.parties:
        listing_of.setdefault(party.organisation_id, party.listing_id)
    for organisation_id, listing_id in listing_of.items():
        session.add(MatchParticipant(match_id=payload.match_id, organisation_id=organisation_id,
                                     listing_id=listing_id))


def conclude(status: str):
    def on_match_concluded(session: Session, envelope: Envelope, payload: Payload) -> None:
        assert isinstance(payload, (MatchConcluded, MatchRetracted))
        row = session.get(KnownMatch, payload.match_id)
        if row is not None and row.held and status == "retracted":  # no party ever knew of it: nothing to keep
            session.exec(delete(MatchParticipant).where(col(MatchParticipant.match_id) == payload.match_id))  # type: ignore[call-overload]
            session.delete(row)
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


def on_organisation_erased(session: Session, _envelope: Envelope, payload: Payload) -> None:
    """organisation.erased: an organisation never confirmed (an imported diagnostic refused) is forgotten, with its
    listings and the held proposals that named it; it was no territory's actor and no party knew of it."""
    assert isinstance(payload, OrganisationErased)
    named = select(MatchParticipant.match_id).where(MatchParticipant.organisation_id == payload.organisation_id)
    matches = list(session.exec(named).all())
    if matches:
        session.exec(delete(MatchParticipant).where(col(MatchParticipant.match_id).in_(matches)))  # type: ignore[call-overload]
        session.exec(delete(KnownMatch).where(col(KnownMatch.match_id).in_(matches)))  # type: ignore[call-overload]
    session.exec(delete(KnownListing).where(col(KnownListing.organisation_id) == payload.organisation_id))  # type: ignore[call-overload]
    session.exec(delete(KnownOrganisation).where(col(KnownOrganisation.organisation_id) == payload.organisation_id))  # type: ignore[call-overload]


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
