"""Applies `boucle.listings` to the matching index and proposes matches through the outbox."""

from __future__ import annotations

from sqlmodel import Session, col, or_, select

from matching.engine import COMPLEMENT, Candidate, bounding_box, explain, fit, normalise_category, supply_and_demand
from matching.models import IndexedListing, Match
from shared import topics
from shared.events import Envelope, ListingClosed, ListingSnapshot, MatchParty, MatchProposed, Payload, new_event
from shared.outbox import add_event
from shared.units import quantity_text

PRODUCER = "matching"
MAX_RADIUS_KM = 1000.0


def on_listing_changed(session: Session, _envelope: Envelope, payload: Payload) -> None:
    """listing.published / listing.updated: index the revision, retract what no longer fits, propose."""
    assert isinstance(payload, ListingSnapshot)
    row = session.get(IndexedListing, payload.listing_id)
    if row is not None and row.revision >= payload.revision:
        return  # an older revision arriving late
    row = row or IndexedListing(listing_id=payload.listing_id, organisation_id=payload.organisation_id,
                                revision=payload.revision, kind=payload.kind, title=payload.title)
    row.revision, row.active, row.title = payload.revision, True, payload.title
    row.category = normalise_category(payload.category)
    row.ewc_code = payload.ewc_code
    row.quantity_value, row.quantity_unit, row.frequency = (payload.quantity_value, payload.quantity_unit,
                                                            payload.frequency)
    row.radius_km, row.commune, row.lat, row.lon = payload.radius_km, payload.commune, payload.lat, payload.lon
    session.add(row)
    session.flush()
    retract_stale(session, row)
    for other in candidates(session, row):
        propose(session, row, other)


def on_listing_closed(session: Session, _envelope: Envelope, payload: Payload) -> None:
    """listing.withdrawn / listing.expired: leave the index and retract open proposals."""
    assert isinstance(payload, ListingClosed)
    row = session.get(IndexedListing, payload.listing_id)
    if row is None:
        row = IndexedListing(listing_id=payload.listing_id, organisation_id=payload.organisation_id,
                             revision=payload.revision, kind="offer", title="")
    elif row.revision >= payload.revision:
        return
    row.revision, row.active = payload.revision, False
    session.add(row)
    for match in open_matches_of(session, row.listing_id):
        match.status = "retracted"
        session.add(match)


HANDLERS = {
    "listing.published": on_listing_changed,
    "listing.updated": on_listing_changed,
    "listing.withdrawn": on_listing_closed,
    "listing.expired": on_listing_closed,
}


def as_candidate(row: IndexedListing) -> Candidate:
    return Candidate(row.listing_id, row.organisation_id, row.kind, row.category, row.ewc_code,
                     row.lat, row.lon, row.radius_km)


def candidates(session: Session, row: IndexedListing) -> list[IndexedListing]:
    """Active complementary listings on the same resource inside the listing's box (index lookup)."""
    if row.lat is None or row.lon is None or not (row.category or row.ewc_code):
        return []
    same_resource = []
    if row.category:
        same_resource.append(IndexedListing.category == row.category)
    if row.ewc_code:
        same_resource.append(IndexedListing.ewc_code == row.ewc_code)
    min_lat, max_lat, min_lon, max_lon = bounding_box(row.lat, row.lon, min(row.radius_km or MAX_RADIUS_KM,
                                                                            MAX_RADIUS_KM))
    query = select(IndexedListing).where(
        IndexedListing.kind == COMPLEMENT[row.kind], col(IndexedListing.active).is_(True),
        IndexedListing.organisation_id != row.organisation_id, or_(*same_resource),
        col(IndexedListing.lat).between(min_lat, max_lat), col(IndexedListing.lon).between(min_lon, max_lon))
    return list(session.exec(query).all())


def propose(session: Session, a: IndexedListing, b: IndexedListing) -> None:
    """Record a match for a fitting pair not proposed before, and stage `match.proposed`."""
    found = fit(as_candidate(a), as_candidate(b))
    if found is None:
        return
    supply, demand = (a, b) if supply_and_demand(as_candidate(a), as_candidate(b))[0].listing_id == a.listing_id \
        else (b, a)
    existing = session.exec(select(Match).where(Match.supply_listing_id == supply.listing_id,
                                                Match.demand_listing_id == demand.listing_id)).first()
    if existing is not None:
        return  # never proposed twice; a declined pair stays declined
    match = Match(supply_listing_id=supply.listing_id, demand_listing_id=demand.listing_id,
                  supply_organisation_id=supply.organisation_id, demand_organisation_id=demand.organisation_id,
                  score=found.score, distance_km=found.distance_km,
                  explanation=explain(supply.title, demand.title, found, demand.commune))
    session.add(match)
    session.flush()
    event = MatchProposed(match_id=match.id, score=match.score, distance_km=match.distance_km,
                          explanation=match.explanation, parties=[party(supply), party(demand)])
    add_event(session, topics.MATCHES, new_event("match.proposed", event, producer=PRODUCER, key=match.id))


def party(row: IndexedListing) -> MatchParty:
    return MatchParty(organisation_id=row.organisation_id, listing_id=row.listing_id, kind=row.kind,  # type: ignore[arg-type]
                      title=row.title, commune=row.commune,
                      quantity_text=quantity_text(row.quantity_value, row.quantity_unit, row.frequency,
                                                  approximate=True))


def open_matches_of(session: Session, listing_id: str) -> list[Match]:
    return list(session.exec(select(Match).where(
        or_(Match.supply_listing_id == listing_id, Match.demand_listing_id == listing_id),
        Match.status == "proposed")).all())


def retract_stale(session: Session, row: IndexedListing) -> None:
    """After a change, proposals the listing no longer fits are retracted."""
    for match in open_matches_of(session, row.listing_id):
        other_id = match.demand_listing_id if match.supply_listing_id == row.listing_id else match.supply_listing_id
        other = session.get(IndexedListing, other_id)
        if other is None or not other.active or fit(as_candidate(row), as_candidate(other)) is None:
            match.status = "retracted"
            session.add(match)
