"""Keeps reporting's own view of organisations, listings and matches from the topics."""

from __future__ import annotations

from sqlmodel import Session

from reporting.models import KnownListing, KnownMatch, KnownOrganisation
from shared.events import Envelope, ListingClosed, ListingSnapshot, MatchProposed, OrganisationProfile, Payload


def on_organisation(session: Session, envelope: Envelope, payload: Payload) -> None:
    assert isinstance(payload, OrganisationProfile)
    row = session.get(KnownOrganisation, payload.organisation_id) or KnownOrganisation(
        organisation_id=payload.organisation_id, kind=payload.kind, registered_at=envelope.occurred_at)
    row.kind, row.insee = payload.kind, payload.insee
    session.add(row)


def on_listing(session: Session, _envelope: Envelope, payload: Payload) -> None:
    assert isinstance(payload, (ListingSnapshot, ListingClosed))
    row = session.get(KnownListing, payload.listing_id)
    if row is not None and row.revision >= payload.revision:
        return  # late, older revision
    kind = payload.kind if isinstance(payload, ListingSnapshot) else (row.kind if row else "offer")
    row = row or KnownListing(listing_id=payload.listing_id, organisation_id=payload.organisation_id, kind=kind,
                              revision=payload.revision, active=True)
    row.kind, row.revision, row.active = kind, payload.revision, isinstance(payload, ListingSnapshot)
    session.add(row)


def on_match_proposed(session: Session, envelope: Envelope, payload: Payload) -> None:
    assert isinstance(payload, MatchProposed)
    if session.get(KnownMatch, payload.match_id) is None:
        session.add(KnownMatch(match_id=payload.match_id, status="proposed", proposed_at=envelope.occurred_at))


HANDLERS = {
    "organisation.registered": on_organisation,
    "organisation.updated": on_organisation,
    "listing.published": on_listing,
    "listing.updated": on_listing,
    "listing.withdrawn": on_listing,
    "listing.expired": on_listing,
    "match.proposed": on_match_proposed,
}
