"""Use cases of the offers service: each changes rows and stages its event in one transaction."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any, TypeGuard

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select, update

from offers.domain import (
    CLOSED_LISTING_RETENTION,
    DEFAULT_VALIDITY,
    LIVE_STATUSES,
    QUALITIES,
    RuleBroken,
    check_abp_category,
    check_calendar,
    check_dates,
    check_ewc,
    check_flow,
    check_naf,
    check_quality,
    check_radius,
    check_siret,
    check_terms,
    check_transition,
    check_transport,
    check_waste_status,
    expiry_reminder_due,
    renewed_expiry,
)
from offers.models import (
    ApiToken,
    DismissedSuggestion,
    ExpiryReminder,
    Listing,
    ListingCreate,
    ListingRequest,
    ListingUpdate,
    Organisation,
    OrganisationCreate,
    OrganisationUpdate,
    Site,
    SiteCreate,
)
from offers.typical_flows import Suggestion, typical_flows
from shared import topics
from shared.events import ListingClosed, ListingExpiring, ListingSnapshot, OrganisationProfile, new_event
from shared.geo import Gazetteer, PlaceError
from shared.http import hash_token
from shared.nomenclatures import LISTING_COMPLEMENT
from shared.outbox import add_event
from shared.units import UNITS, normalise_unit

PRODUCER = "offers"


class NotFound(Exception):
    """No such resource for this caller."""


FIRST_TOKEN_LABEL = "Jeton d'inscription"


def register_organisation(session: Session, data: OrganisationCreate, gazetteer: Gazetteer) -> tuple[Organisation, str]:
    """Create an organisation with its first API token, returned once (only its hash is kept); holding the token
    confirms it."""
    org = add_organisation(session, data, gazetteer, confirmed_at=datetime.now(timezone.utc))
    session.flush()  # the token refers to the organisation
    token = add_api_token(session, org.id, FIRST_TOKEN_LABEL)[1]
    session.commit()
    session.refresh(org)
    return org, token


def add_organisation(
    session: Session, data: OrganisationCreate, gazetteer: Gazetteer, confirmed_at: datetime | None = None
) -> Organisation:
    """Check and stage a new organisation with its `organisation.registered`; the caller commits."""
    org = Organisation(name=data.name, kind=data.kind, contact_email=str(data.contact_email), confirmed_at=confirmed_at)
    problem = RuleBroken.all_of(organisation_problems(data.model_dump(), gazetteer, into=org))
    if problem:
        raise problem
    stage_organisation(session, org)
    return org


def readable(raw: Any) -> TypeGuard[str]:
    """A text a message may quote back (a lone surrogate cannot be written in the answer)."""
    try:
        return isinstance(raw, str) and bool(raw.encode("utf-8"))
    except UnicodeEncodeError:
        return False


def organisation_problems(
    fields: Mapping[str, Any], gazetteer: Gazetteer, into: Organisation | None = None
) -> list[RuleBroken]:
    """Every rule a new organisation's SIRET, NAF code and place break, all at once; `fields` may be a raw body
    (values of the wrong type are left to the body's validation). With `into`, the checked values are set on it."""
    org = into or Organisation(name="", kind="company", contact_email="")
    problems = []
    for name, check in (("siret", check_siret), ("naf_code", check_naf)):
        raw = fields.get(name)
        if readable(raw) and raw.strip():
            try:
                setattr(org, name, check(raw))
            except RuleBroken as exc:
                problems.append(exc)
    place = SimpleNamespace(**{name: fields.get(name) for name in LOCATION_FIELDS})
    for name in ("commune", "postcode", "insee"):
        if not readable(getattr(place, name)):
            setattr(place, name, None)
    for name in ("lat", "lon"):
        if not isinstance(getattr(place, name), int | float) or isinstance(getattr(place, name), bool):
            setattr(place, name, None)
    try:
        locate(org, place, gazetteer)  # type: ignore[arg-type]
    except RuleBroken as exc:
        problems.append(exc)
    return problems


def stage_organisation(session: Session, org: Organisation) -> None:
    session.add(org)
    add_event(
        session, topics.ORGANISATIONS, new_event("organisation.registered", profile(org), producer=PRODUCER, key=org.id)
    )


def confirm_organisation(session: Session, org: Organisation, now: datetime) -> None:
    """One of its users confirmed an address: the organisation is confirmed (`organisation.updated`), once.

    For one an animateur imported, this confirmation is its consent to the diagnostic (the email and the page of
    its link say so): its draft flows are published too; from then on it is an organisation like any other."""
    if org.confirmed_at is not None:
        return
    org.confirmed_at = now
    session.add(org)
    add_event(
        session, topics.ORGANISATIONS, new_event("organisation.updated", profile(org), producer=PRODUCER, key=org.id)
    )
    for listing in drafts(session, org):
        listing.status = "active"
        listing.expires_at = max(listing.expires_at, now.date() + DEFAULT_VALIDITY)  # its validity starts now
        next_revision(session, listing)
        stage_snapshot(session, "listing.updated", listing, org)  # held no more: its proposals are announced


def drafts(session: Session, org: Organisation) -> list[Listing]:
    """The flows of an imported diagnostic the organisation has not confirmed yet, by kind and title."""
    return list(
        session.exec(
            select(Listing)
            .where(Listing.organisation_id == org.id, Listing.status == "draft")
            .order_by(col(Listing.kind), col(Listing.title))
        )
    )


LOCATION_FIELDS = {"commune", "postcode", "insee", "lat", "lon"}


def update_organisation(
    session: Session, org: Organisation, data: OrganisationUpdate, gazetteer: Gazetteer
) -> Organisation:
    """Change the profile (`organisation.updated`); after a move, active listings are published again from
    the new place (`listing.updated`), so matching measures distances from there."""
    given = data.model_fields_set
    for name in ("name", "kind"):
        if name in given:
            setattr(org, name, getattr(data, name))
    if "contact_email" in given:
        org.contact_email = str(data.contact_email)
    if "siret" in given:
        org.siret = check_siret(data.siret) if data.siret else None
    if "naf_code" in given:
        org.naf_code = check_naf(data.naf_code) if data.naf_code else None
    moved = bool(LOCATION_FIELDS & given)
    if moved:
        locate(org, data, gazetteer)
    session.add(org)
    add_event(
        session, topics.ORGANISATIONS, new_event("organisation.updated", profile(org), producer=PRODUCER, key=org.id)
    )
    if moved:  # the listings posted from its address, not from its other sites
        for listing in session.exec(
            select(Listing).where(
                Listing.organisation_id == org.id, col(Listing.site_id).is_(None), Listing.status == "active"
            )
        ).all():
            stage_revision(session, listing, org, "listing.updated")
    session.commit()
    session.refresh(org)
    return org


def add_api_token(session: Session, organisation_id: str, label: str) -> tuple[ApiToken, str]:
    """Stage a new API token of the organisation; the token itself is returned, never stored."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(organisation_id=organisation_id, token_hash=hash_token(token), label=label)
    session.add(row)
    return row, token


def locate(
    org: Organisation | Site,
    data: OrganisationCreate | OrganisationUpdate | SiteCreate,
    gazetteer: Gazetteer,
    whose: str = "de l'organisation",
) -> None:
    """Resolve the commune offline; given coordinates win over the commune's."""
    if (data.lat is None) != (data.lon is None):
        raise RuleBroken("lat" if data.lat is None else "lon", "Latitude et longitude vont ensemble.")
    if not (data.commune or data.postcode or data.insee):
        raise RuleBroken("commune", f"Indiquez la commune, le code postal ou le code INSEE {whose}.")
    try:
        place = gazetteer.resolve(commune=data.commune, postcode=data.postcode, insee=data.insee)
    except PlaceError as exc:
        field = "insee" if data.insee else ("commune" if data.commune else "postcode")
        raise RuleBroken(field, str(exc)) from exc
    org.commune, org.insee, org.epci = place.name, place.insee, place.epci
    org.postcode = data.postcode or (place.postcodes[0] if place.postcodes else None)
    if data.lat is not None and data.lon is not None:
        org.lat, org.lon, org.location_approximation = data.lat, data.lon, None
    else:
        org.lat, org.lon, org.location_approximation = place.lat, place.lon, place.approximation


def profile(org: Organisation) -> OrganisationProfile:
    return OrganisationProfile(
        organisation_id=org.id,
        name=org.name,
        kind=org.kind,
        naf_code=org.naf_code,
        siret=org.siret,
        commune=org.commune,
        postcode=org.postcode,
        insee=org.insee,
        lat=org.lat,
        lon=org.lon,
        contact_email=org.contact_email,
        confirmed=org.confirmed_at is not None,
    )


def organisation_by_token(session: Session, token: str) -> Organisation | None:
    """The organisation of a valid (not revoked) API token."""
    return session.exec(
        select(Organisation)
        .join(ApiToken, col(ApiToken.organisation_id) == Organisation.id)
        .where(ApiToken.token_hash == hash_token(token), col(ApiToken.revoked_at).is_(None))
    ).first()


class KeyReused(Exception):
    """An `Idempotency-Key` already used by the organisation for a request with another body."""


def publish_listing(
    session: Session, org: Organisation, data: ListingCreate, today: date, idempotency_key: str | None = None
) -> tuple[Listing, bool]:
    """Validate and publish a listing; matching learns of it through `listing.published`.

    With an idempotency key, a request made again (its answer lost, say) gives back the listing the
    first one published, and False: (listing, published now?).
    """
    # What the client sent, keys sorted: the same body gives the same fingerprint whatever fields or their
    # order the model gains later (a request retried across an upgrade is still recognised).
    sent = json.dumps(data.model_dump(mode="json", exclude_unset=True), sort_keys=True, ensure_ascii=False)
    fingerprint = hashlib.sha256(sent.encode()).hexdigest()
    if idempotency_key is not None:
        earlier = earlier_request(session, org, idempotency_key, fingerprint)
        if earlier is not None:
            return earlier, False
    listing = Listing(organisation_id=org.id, kind=data.kind, title=data.title, expires_at=today)
    apply_fields(listing, data, today)
    listing.site_id = check_site(session, org, data.site_id)
    listing.counterpart_id = check_counterpart(session, org, listing, data.counterpart_id)
    session.add(listing)
    stage_snapshot(session, "listing.published", listing, org)
    if idempotency_key is not None:
        session.add(
            ListingRequest(
                organisation_id=org.id, idempotency_key=idempotency_key, listing_id=listing.id, fingerprint=fingerprint
            )
        )
    try:
        session.commit()
    except IntegrityError:  # the same request, at the same time, committed first
        session.rollback()
        if idempotency_key is None:
            raise
        earlier = earlier_request(session, org, idempotency_key, fingerprint)
        if earlier is None:
            raise
        return earlier, False
    session.refresh(listing)
    return listing, True


def purge_closed_listings(session: Session, now: datetime) -> int:
    """Delete the withdrawn and expired listings past their retention, with what hangs on them; returns how many.
    Matching and reporting were told when they closed, and forget or keep their own copies by their own rules."""
    ids = list(
        session.exec(
            select(Listing.id)
            .where(
                col(Listing.status).in_(("withdrawn", "expired")),
                col(Listing.updated_at) < now - CLOSED_LISTING_RETENTION,
            )
            .limit(500)
        ).all()
    )
    if ids:
        session.exec(update(Listing).where(col(Listing.counterpart_id).in_(ids)).values(counterpart_id=None))
        for statement in (
            delete(ExpiryReminder).where(col(ExpiryReminder.listing_id).in_(ids)),
            delete(ListingRequest).where(col(ListingRequest.listing_id).in_(ids)),
            delete(Listing).where(col(Listing.id).in_(ids)),
        ):
            session.exec(statement)
    session.commit()
    return len(ids)


def open_suggestions(session: Session, org: Organisation) -> list[Suggestion]:
    """The typical flows of the organisation's activity it has neither posted (in any live status) nor dismissed."""
    posted = set(
        session.exec(
            select(Listing.ewc_code).where(Listing.organisation_id == org.id, col(Listing.status).in_(LIVE_STATUSES))
        ).all()
    )
    dismissed = set(
        session.exec(select(DismissedSuggestion.ewc_code).where(DismissedSuggestion.organisation_id == org.id)).all()
    )
    return [s for s in typical_flows(org.naf_code) if s.ewc_code not in posted | dismissed]


def dismiss_suggestion(session: Session, org: Organisation, ewc_code: str) -> Suggestion | None:
    """Set a typical flow aside for good (once; again changes nothing); None if it is not one of the organisation's."""
    found = next((s for s in typical_flows(org.naf_code) if s.ewc_code == ewc_code), None)
    if found is not None and session.get(DismissedSuggestion, (org.id, ewc_code)) is None:
        session.add(DismissedSuggestion(organisation_id=org.id, ewc_code=ewc_code))
        try:
            session.commit()
        except IntegrityError:  # dismissed at the same moment by another request
            session.rollback()
    return found


def earlier_request(session: Session, org: Organisation, key: str, fingerprint: str) -> Listing | None:
    """The listing an earlier request with this key published, or None; KeyReused if its body was another."""
    earlier = session.get(ListingRequest, (org.id, key))
    if earlier is None:
        return None
    if earlier.fingerprint != fingerprint:
        raise KeyReused
    return session.get_one(Listing, earlier.listing_id)


def update_listing(session: Session, org: Organisation, listing_id: str, data: ListingUpdate, today: date) -> Listing:
    """Change an active or paused listing; an active one's new revision is published as `listing.updated`."""
    listing = own_listing(session, org, listing_id)
    check_transition(listing.status, "modifier")
    apply_fields(listing, data, today)
    if "site_id" in data.model_fields_set:
        listing.site_id = check_site(session, org, data.site_id)
    if "counterpart_id" in data.model_fields_set:
        listing.counterpart_id = check_counterpart(session, org, listing, data.counterpart_id)
    return commit_revision(session, listing, org, "listing.updated" if listing.status == "active" else None)


def withdraw_listing(session: Session, org: Organisation, listing_id: str) -> Listing:
    """Withdraw a listing (`listing.withdrawn`); it stays visible to its owner."""
    listing = own_listing(session, org, listing_id)
    check_transition(listing.status, "retirer")
    listing.status = "withdrawn"
    return commit_revision(session, listing, org, "listing.withdrawn")


def pause_listing(session: Session, org: Organisation, listing_id: str) -> Listing:
    """Take an active listing out of matching for a while (`listing.paused`); the matches already proposed stand."""
    listing = own_listing(session, org, listing_id)
    check_transition(listing.status, "mettre en pause")
    listing.status = "paused"
    return commit_revision(session, listing, org, "listing.paused")


def resume_listing(session: Session, org: Organisation, listing_id: str, today: date) -> Listing:
    """Put a paused listing back (`listing.updated`); past its expiry it must be renewed first."""
    listing = own_listing(session, org, listing_id)
    check_transition(listing.status, "reprendre")
    if listing.expires_at < today:
        raise RuleBroken(
            "status", "Cette annonce a dépassé sa date d'expiration : renouvelez-la pour la remettre en ligne."
        )
    listing.status = "active"
    return commit_revision(session, listing, org, "listing.updated")


def commit_revision(session: Session, listing: Listing, org: Organisation, event_type: str | None) -> Listing:
    """A new revision of the listing and its event (if any), committed together."""
    stage_revision(session, listing, org, event_type)
    session.commit()
    session.refresh(listing)
    return listing


def stage_revision(session: Session, listing: Listing, org: Organisation, event_type: str | None) -> None:
    """Stage a new revision of the listing and its event (if any); the caller commits."""
    next_revision(session, listing)
    if event_type in ("listing.published", "listing.updated"):
        stage_snapshot(session, event_type, listing, org)
    elif event_type is not None:
        stage_closed(session, event_type, listing)


def next_revision(session: Session, listing: Listing) -> None:
    """Each change of a listing is a new revision: consumers keep the highest they have seen."""
    listing.revision += 1
    listing.updated_at = datetime.now(timezone.utc)
    session.add(listing)


def stage_closed(session: Session, event_type: str, listing: Listing) -> None:
    closed = ListingClosed(listing_id=listing.id, organisation_id=listing.organisation_id, revision=listing.revision)
    add_event(session, topics.LISTINGS, new_event(event_type, closed, producer=PRODUCER, key=listing.id))


def expire_due_listings(session: Session, today: date, limit: int = 500) -> int:
    """Listings past their validity expire (`listing.expired`): data must stay fresh."""
    due = session.exec(
        select(Listing).where(col(Listing.status).in_(("active", "paused")), Listing.expires_at < today).limit(limit)
    ).all()
    for listing in due:
        listing.status = "expired"
        next_revision(session, listing)
        stage_closed(session, "listing.expired", listing)
    session.commit()
    return len(due)


def remind_expiring_listings(session: Session, today: date, days: int, limit: int = 500) -> int:
    """Owners of listings expiring within `days` are reminded (`listing.expiring`), once per validity period.

    The reminder is remembered with the expiry date it was for, in the transaction that stages
    the event: a restart never sends it twice, and a renewed listing is reminded again later.
    """
    candidates = session.exec(
        select(Listing, ExpiryReminder)
        .join(
            ExpiryReminder,
            (col(ExpiryReminder.listing_id) == Listing.id) & (col(ExpiryReminder.expires_at) == Listing.expires_at),
            isouter=True,
        )
        .where(
            Listing.status == "active",
            col(Listing.expires_at) >= today,
            col(Listing.expires_at) <= today + timedelta(days=days),
        )
        .order_by(col(Listing.expires_at))
        .limit(limit)
    ).all()
    due = [
        listing
        for listing, reminder in candidates
        if expiry_reminder_due(listing.status, listing.expires_at, today, days, reminder is not None)
    ]
    for listing in due:
        session.add(ExpiryReminder(listing_id=listing.id, expires_at=listing.expires_at))
        expiring = ListingExpiring(
            listing_id=listing.id,
            organisation_id=listing.organisation_id,
            revision=listing.revision,
            title=listing.title,
            kind=listing.kind,  # type: ignore[arg-type]
            expires_at=listing.expires_at,
        )
        add_event(session, topics.LISTINGS, new_event("listing.expiring", expiring, producer=PRODUCER, key=listing.id))
    session.commit()
    return len(due)


def renew_listing(session: Session, org: Organisation, listing_id: str, today: date) -> Listing:
    """Confirm a listing for a new validity period; an expired one becomes active again (`listing.updated`).

    A paused listing stays paused: matching learns its new expiry when it is resumed."""
    listing = own_listing(session, org, listing_id)
    check_transition(listing.status, "renouveler")
    listing.expires_at = renewed_expiry(listing.expires_at, listing.available_from, today)
    if listing.status == "expired":
        listing.status = "active"
    return commit_revision(session, listing, org, "listing.updated" if listing.status == "active" else None)


def own_listing(session: Session, org: Organisation, listing_id: str) -> Listing:
    listing = session.get(Listing, listing_id)
    if listing is None or listing.organisation_id != org.id:
        raise NotFound(listing_id)
    return listing


def apply_fields(listing: Listing, data: ListingCreate | ListingUpdate, today: date) -> None:
    """Copy the given fields onto the listing, checking each rule on the way."""
    given = data.model_fields_set
    for name in ("title", "description", "category", "frequency"):
        if name in given:
            setattr(listing, name, getattr(data, name))
    if "ewc_code" in given:
        listing.ewc_code = check_ewc(data.ewc_code) if data.ewc_code else None
    if "quantity" in given:
        if data.quantity is None:
            listing.quantity_value = listing.quantity_unit = None
        else:
            unit = normalise_unit(data.quantity.unit)
            if unit is None:
                raise RuleBroken("quantity.unit", f"Unité « {data.quantity.unit} » inconnue : {', '.join(UNITS)}.")
            listing.quantity_value, listing.quantity_unit = data.quantity.value, unit
    if {"quantity", "frequency"} & given:
        check_flow(listing.quantity_unit, listing.frequency)
    for name in QUALITIES:
        if name in given:
            setattr(listing, name, check_quality(name, getattr(data, name)))
    if "radius_km" in given:
        listing.radius_km = check_radius(data.radius_km)
    if "waste_status" in given:
        listing.waste_status = check_waste_status(data.waste_status)
    if "abp_category" in given:
        listing.abp_category = check_abp_category(data.abp_category)
    if "organic_farming" in given:
        listing.organic_farming = data.organic_farming
    if "terms" in given:
        listing.terms = check_terms(data.terms)
    if "price" in given:
        listing.price = data.price or None
    if {"days", "months"} & given:
        listing.days, listing.months = check_calendar(
            data.days if "days" in given else listing.days, data.months if "months" in given else listing.months
        )
    if {"transport_by", "transport_means"} & given:
        listing.transport_by, listing.transport_means = check_transport(
            data.transport_by if "transport_by" in given else listing.transport_by,
            data.transport_means if "transport_means" in given else listing.transport_means,
        )
    if "private_fields" in given:
        listing.private_fields = sorted(set(data.private_fields or []))
    if {"available_from", "expires_at"} & given or isinstance(data, ListingCreate):
        available_from = data.available_from if "available_from" in given else listing.available_from
        expires_at = (
            data.expires_at
            if "expires_at" in given
            else (None if isinstance(data, ListingCreate) else listing.expires_at)
        )
        listing.available_from, listing.expires_at = check_dates(available_from, expires_at, today)


def check_site(session: Session, org: Organisation, site_id: str | None) -> str | None:
    """`site_id` if it is one of the organisation's sites (None: its own address), or RuleBroken."""
    if site_id is None:
        return None
    site = session.get(Site, site_id)
    if site is None or site.organisation_id != org.id:
        raise RuleBroken(
            "site_id",
            f"Site « {site_id} » inconnu de votre organisation : choisissez l'un de ses "
            "sites (GET /api/v1/organisations/me/sites), ou aucun pour son adresse.",
        )
    return site_id


def check_counterpart(session: Session, org: Organisation, listing: Listing, counterpart_id: str | None) -> str | None:
    """`counterpart_id` if it is another live listing of the organisation, of the complementary kind (what it gives
    for what it takes), or RuleBroken."""
    if counterpart_id is None:
        return None
    other = session.get(Listing, counterpart_id)
    if other is None or other.organisation_id != org.id or other.id == listing.id or other.status not in LIVE_STATUSES:
        raise RuleBroken(
            "counterpart_id",
            f"Annonce « {counterpart_id} » inconnue parmi les annonces en ligne de "
            "votre organisation : l'échange se fait contre l'une d'elles.",
        )
    if other.kind != LISTING_COMPLEMENT[listing.kind]:
        raise RuleBroken(
            "counterpart_id",
            "Un échange se fait entre une offre et un besoin, ou un prêt et une "
            f"mutualisation : « {other.title} » ne complète pas cette annonce.",
        )
    return counterpart_id


def place_of(session: Session, listing: Listing, org: Organisation) -> Site | Organisation:
    """Where a listing is posted from: its site, else its organisation's address."""
    site = session.get(Site, listing.site_id) if listing.site_id else None
    return site or org


def stage_snapshot(session: Session, event_type: str, listing: Listing, org: Organisation) -> None:
    """The listing as matching, notifications and reporting read it, placed at its site; a draft of an unconfirmed
    diagnostic is held (matched, its proposals shown to no party until its organisation confirms)."""
    place = place_of(session, listing, org)
    snapshot = ListingSnapshot(
        listing_id=listing.id,
        organisation_id=org.id,
        revision=listing.revision,
        kind=listing.kind,  # type: ignore[arg-type]
        title=listing.title,
        description=listing.description,
        ewc_code=listing.ewc_code,
        category=listing.category,
        quantity_value=listing.quantity_value,
        quantity_unit=listing.quantity_unit,
        frequency=listing.frequency,  # type: ignore[arg-type]
        radius_km=listing.radius_km,
        available_from=listing.available_from,
        expires_at=listing.expires_at,
        commune=place.commune,
        postcode=place.postcode,
        insee=place.insee,
        lat=place.lat,
        lon=place.lon,
        waste_status=listing.waste_status,
        abp_category=listing.abp_category,
        organic_farming=listing.organic_farming,
        private_fields=list(listing.private_fields),
        terms=listing.terms,
        price=listing.price,
        held=listing.status == "draft",
        transport_by=listing.transport_by,
        transport_means=listing.transport_means,
        days=list(listing.days),
        months=list(listing.months),
        counterpart_id=listing.counterpart_id,
        **{name: getattr(listing, name) for name in QUALITIES},
    )
    add_event(session, topics.LISTINGS, new_event(event_type, snapshot, producer=PRODUCER, key=listing.id))
