"""An organisation's sites (issue 21): its other establishments, each with its commune, position and SIRET.

Its own address is its first site; a listing says the site it is posted from (`site_id`, None: that address), its
events carry the site's place, and matching measures distances from there. Other organisations see the site's
commune, as they saw the organisation's.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from offers.domain import LIVE_STATUSES, RuleBroken, check_siret
from offers.models import Listing, Organisation, Site, SiteCreate, SitePublic, SiteUpdate
from offers.service import LOCATION_FIELDS, NotFound, locate, stage_revision
from shared.geo import Gazetteer

WHOSE = "du site"


class SiteInUse(Exception):
    """The site still has live listings."""


def sites_of(session: Session, org: Organisation) -> list[SitePublic]:
    """The organisation's address first (id None), then its other sites by name, each with its active listings."""
    counts = dict(
        session.exec(
            select(Listing.site_id, func.count())
            .where(Listing.organisation_id == org.id, Listing.status == "active")
            .group_by(Listing.site_id)
        ).all()
    )
    first = SitePublic(
        id=None,
        name=org.name,
        active_listings=counts.get(None, 0),
        **{k: getattr(org, k) for k in ("siret", *LOCATION_FIELDS, "location_approximation")},
    )
    others = session.exec(select(Site).where(Site.organisation_id == org.id).order_by(Site.name)).all()
    return [first, *(public(site, counts.get(site.id, 0)) for site in others)]


def public(site: Site, active_listings: int = 0) -> SitePublic:
    return SitePublic(
        **site.model_dump(include=set(SitePublic.model_fields) - {"active_listings"}), active_listings=active_listings
    )


def add_site(session: Session, org: Organisation, data: SiteCreate, gazetteer: Gazetteer) -> tuple[Site, bool]:
    """A new site; the same request sent again (same name, same place) gives back the site it made, and False:
    (site, made now?). Another site of that name: RuleBroken on `name`."""
    site = Site(organisation_id=org.id, name=data.name)
    problems = []
    try:
        site.siret = check_siret(data.siret) if data.siret else None
    except RuleBroken as exc:
        problems.append(exc)
    try:
        locate(site, data, gazetteer, WHOSE)
    except RuleBroken as exc:
        problems.append(exc)
    if problems:
        raise RuleBroken.all_of(problems)  # type: ignore[misc]
    same_name = named(session, org, data.name)
    if same_name is not None:
        if (same_name.insee, same_name.lat, same_name.lon, same_name.siret) == (
            site.insee,
            site.lat,
            site.lon,
            site.siret,
        ):
            return same_name, False
        raise RuleBroken(
            "name",
            f"Votre organisation a déjà un site nommé « {same_name.name} » : choisissez un "
            "autre nom, ou modifiez celui-là.",
        )
    session.add(site)
    session.commit()
    session.refresh(site)
    return site, True


def named(session: Session, org: Organisation, name: str) -> Site | None:
    wanted = " ".join(name.split()).casefold()
    return next(
        (
            s
            for s in session.exec(select(Site).where(Site.organisation_id == org.id)).all()
            if " ".join(s.name.split()).casefold() == wanted
        ),
        None,
    )


def own_site(session: Session, org: Organisation, site_id: str) -> Site:
    site = session.get(Site, site_id)
    if site is None or site.organisation_id != org.id:
        raise NotFound(site_id)
    return site


def update_site(session: Session, org: Organisation, site_id: str, data: SiteUpdate, gazetteer: Gazetteer) -> Site:
    """Rename or move a site; after a move, its active listings are published again from the new place."""
    site = own_site(session, org, site_id)
    given = data.model_fields_set
    if "name" in given and data.name is not None:
        other = named(session, org, data.name)
        if other is not None and other.id != site.id:
            raise RuleBroken("name", f"Votre organisation a déjà un site nommé « {other.name} ».")
        site.name = data.name
    if "siret" in given:
        site.siret = check_siret(data.siret) if data.siret else None
    moved = bool(LOCATION_FIELDS & given)
    if moved:
        locate(site, data, gazetteer, WHOSE)
    session.add(site)
    if moved:
        session.flush()
        for listing in session.exec(
            select(Listing).where(Listing.site_id == site.id, Listing.status == "active")
        ).all():
            stage_revision(session, listing, org, "listing.updated")
    session.commit()
    session.refresh(site)
    return site


def delete_site(session: Session, org: Organisation, site_id: str) -> None:
    """Delete a site with no live listing (SiteInUse otherwise: move or withdraw them first); its withdrawn and
    expired listings fall back to the organisation's address."""
    site = own_site(session, org, site_id)
    listings = session.exec(select(Listing).where(Listing.site_id == site.id)).all()
    if any(listing.status in LIVE_STATUSES for listing in listings):
        raise SiteInUse
    for listing in listings:
        listing.site_id = None
        session.add(listing)
    session.delete(site)
    session.commit()
