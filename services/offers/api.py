"""HTTP routes of the offers service: organisations and listings (API v1)."""

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlmodel import Session, col, select

from offers import service, sites
from offers.accounts import NotAllowed, check_can_manage_organisation
from offers.accounts_api import METHOD_HEADER, AuthDep, Authenticated, authenticate, rule_error
from offers.deps import GazetteerDep
from offers.domain import RuleBroken
from offers.models import (
    Listing,
    ListingAnonymised,
    ListingCreate,
    ListingCreated,
    ListingPublic,
    ListingUpdate,
    Organisation,
    OrganisationCreate,
    OrganisationCreated,
    OrganisationMe,
    OrganisationPublic,
    OrganisationUpdate,
    QuantityOut,
    Site,
    SiteCreate,
    SitePublic,
    SiteUpdate,
    SuggestionDismissed,
    SuggestionOut,
)
from shared.http import IdempotencyKey, field_error, problems, refuse_nul
from shared.links import InvalidLink, LinkSigner
from shared.pages import page_environment
from shared.service import ServiceRuntime, SessionDep
from shared.units import quantity_text

# Routes of organisations, their sites and listings; the process's gazetteer comes from the app (`offers.main`).
# Every error these routes may answer besides 422: bad body, no caller, CSRF, not yours, wrong state.
router = APIRouter(prefix="/api/v1", responses=problems(400, 401, 403, 404, 409), dependencies=[Depends(refuse_nul)])


def current_organisation(auth: AuthDep, session: SessionDep) -> Organisation:
    org = session.get(Organisation, auth.principal.organisation_id)
    assert org is not None  # users and tokens belong to an organisation
    return org


OrgDep = Annotated[Organisation, Depends(current_organisation)]


@router.post("/organisations", status_code=201, response_model=OrganisationCreated, tags=["organisations"])
def register(data: OrganisationCreate, session: SessionDep, gazetteer: GazetteerDep) -> OrganisationCreated:
    """Register an organisation; the token is shown once, only its hash is stored."""
    try:
        org, token = service.register_organisation(session, data, gazetteer)
    except RuleBroken as exc:
        raise rule_error(exc) from exc
    return OrganisationCreated(id=org.id, token=token)


@router.get("/organisations/me", response_model=OrganisationMe, tags=["organisations"])
def me(request: Request, response: Response, session: SessionDep) -> OrganisationMe:
    """The caller's own organisation, its role and user (null for an API token). Also how the other
    services authenticate their callers: they forward the credentials, `X-CSRF-Token` and, in
    `X-Boucle-Method`, the method of their request (a cookie request that changes something needs
    its CSRF token: 403 otherwise)."""
    auth = authenticate(session, request, response, request.headers.get(METHOD_HEADER, "GET"))
    org = session.get(Organisation, auth.principal.organisation_id)
    return OrganisationMe(
        **OrganisationPublic.model_validate(org, from_attributes=True).model_dump(),
        role=auth.principal.role,
        user_id=auth.principal.user_id,
    )


@router.patch("/organisations/me", response_model=OrganisationPublic, tags=["organisations"])
def update_profile(
    data: OrganisationUpdate, auth: AuthDep, org: OrgDep, session: SessionDep, gazetteer: GazetteerDep
) -> OrganisationPublic:
    """Change the organisation's profile (its administrators); a move republishes its active listings."""
    try:
        check_can_manage_organisation(auth.principal.role)
    except NotAllowed as exc:
        raise HTTPException(403, detail=str(exc)) from exc
    try:
        org = service.update_organisation(session, org, data, gazetteer)
    except RuleBroken as exc:
        raise field_error(exc.field, exc.message) from exc
    return OrganisationPublic.model_validate(org, from_attributes=True)


@router.get("/organisations/me/suggestions", response_model=list[SuggestionOut], tags=["organisations"])
def suggestions(org: OrgDep, session: SessionDep) -> list[SuggestionOut]:
    """The flows typical of my activity (by my NAF code, from the European List of Waste) that I have neither
    posted nor set aside: each to publish as an offer, or to dismiss, with one click."""
    return [
        SuggestionOut(ewc_code=s.ewc_code, title=s.title, kind="offer") for s in service.open_suggestions(session, org)
    ]


@router.post("/organisations/me/suggestions/dismissed", response_model=SuggestionOut, tags=["organisations"])
def dismiss(data: SuggestionDismissed, org: OrgDep, session: SessionDep) -> SuggestionOut:
    """« Pas chez nous »: not offered again (again: nothing more); 404 for a code not suggested to me."""
    found = service.dismiss_suggestion(session, org, data.ewc_code)
    if found is None:
        raise HTTPException(404, detail="Ce flux n'est pas suggéré à votre organisation.")
    return SuggestionOut(ewc_code=found.ewc_code, title=found.title, kind="offer")


@router.get("/organisations/me/sites", response_model=list[SitePublic], tags=["organisations"])
def list_sites(org: OrgDep, session: SessionDep) -> list[SitePublic]:
    """The organisation's sites: its own address first (`id` null), then its other establishments, each with
    its number of active listings."""
    return sites.sites_of(session, org)


def manager(auth: Authenticated) -> None:
    try:
        check_can_manage_organisation(auth.principal.role)
    except NotAllowed as exc:
        raise HTTPException(403, detail=str(exc)) from exc


@router.post("/organisations/me/sites", status_code=201, response_model=SitePublic, tags=["organisations"])
def add_site(
    data: SiteCreate, auth: AuthDep, org: OrgDep, session: SessionDep, response: Response, gazetteer: GazetteerDep
) -> SitePublic:
    """Add an establishment (its administrators): listings may then be posted from it, and matching measures
    their distances from there. The same request sent again gives back the same site
    (`Idempotent-Replayed: true`)."""
    manager(auth)
    try:
        site, made = sites.add_site(session, org, data, gazetteer)
    except RuleBroken as exc:
        raise rule_error(exc) from exc
    if not made:
        response.headers["Idempotent-Replayed"] = "true"
    return sites.public(site)


def own_site_changed(change: Callable[[], Site | None]) -> Site | None:
    try:
        return change()
    except service.NotFound as exc:
        raise HTTPException(404, detail="Site introuvable.") from exc
    except RuleBroken as exc:
        raise rule_error(exc) from exc
    except sites.SiteInUse as exc:
        raise HTTPException(
            409,
            detail="Ce site a encore des annonces en ligne, en pause ou en attente : "
            "retirez-les ou postez-les d'un autre site avant de le supprimer.",
        ) from exc


@router.patch("/organisations/me/sites/{site_id}", response_model=SitePublic, tags=["organisations"])
def update_site(
    site_id: str, data: SiteUpdate, auth: AuthDep, org: OrgDep, session: SessionDep, gazetteer: GazetteerDep
) -> SitePublic:
    """Rename or move a site (its administrators); a move republishes its active listings from there."""
    manager(auth)
    site = own_site_changed(lambda: sites.update_site(session, org, site_id, data, gazetteer))
    assert site is not None
    return sites.public(site)


@router.delete("/organisations/me/sites/{site_id}", status_code=204, tags=["organisations"])
def delete_site(site_id: str, auth: AuthDep, org: OrgDep, session: SessionDep) -> Response:
    """Delete a site with no live listing (its administrators); 409 while it has some."""
    manager(auth)
    own_site_changed(lambda: sites.delete_site(session, org, site_id))
    return Response(status_code=204)


@router.post("/listings", status_code=201, response_model=ListingCreated, tags=["annonces"])
def publish(
    data: ListingCreate,
    org: OrgDep,
    session: SessionDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ListingCreated:
    """Publish an offer, need, share or pool request.

    With an `Idempotency-Key` header, the same request sent again (after a lost answer) gives back
    the same listing, marked `Idempotent-Replayed: true`, instead of publishing it twice."""
    try:
        listing, published = service.publish_listing(session, org, data, date.today(), idempotency_key)
    except RuleBroken as exc:
        raise field_error(exc.field, exc.message) from exc
    except service.KeyReused as exc:
        raise field_error(
            "Idempotency-Key",
            "Cette clé d'idempotence a déjà servi à publier une autre annonce ; "
            "choisissez-en une nouvelle pour chaque annonce.",
            where="header",
        ) from exc
    if not published:
        response.headers["Idempotent-Replayed"] = "true"
    return ListingCreated(id=listing.id, status=listing.status)


@router.get("/listings", tags=["annonces"])
def list_listings(
    org: OrgDep,
    session: SessionDep,
    mine: bool = False,
    kind: Annotated[str | None, Query(pattern="^(offer|need|share|pool)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ListingPublic | ListingAnonymised]:
    """Own listings in full (all statuses with `mine=true`); others' active ones anonymised."""
    query = (
        select(Listing, Organisation, Site)
        .join(Organisation, col(Organisation.id) == col(Listing.organisation_id))
        .outerjoin(Site, col(Site.id) == col(Listing.site_id))
    )
    query = query.where(Listing.organisation_id == org.id) if mine else query.where(Listing.status == "active")
    if kind:
        query = query.where(Listing.kind == kind)
    rows = session.exec(query.order_by(col(Listing.created_at).desc()).offset(offset).limit(limit)).all()
    return [present(listing, owner, org, site) for listing, owner, site in rows]


@router.get("/listings/{listing_id}", tags=["annonces"])
def get_listing(listing_id: str, org: OrgDep, session: SessionDep) -> ListingPublic | ListingAnonymised:
    """One listing: in full if it is the caller's, anonymised if active and another's."""
    listing = session.get(Listing, listing_id)
    if listing is None or (listing.organisation_id != org.id and listing.status != "active"):
        raise HTTPException(404, detail="Annonce introuvable.")
    owner = session.get_one(Organisation, listing.organisation_id)
    return present(listing, owner, org, service.place_of(session, listing, owner))


def changed(change: Callable[[], Listing]) -> ListingPublic:
    """Run a use case on one's own listing: 404 if it is not, 409 if its state forbids it, 422 for a value."""
    try:
        listing = change()
    except service.NotFound as exc:
        raise HTTPException(404, detail="Annonce introuvable.") from exc
    except RuleBroken as exc:
        raise field_error(exc.field, exc.message, status_code=409 if exc.field == "status" else 422) from exc
    return full(listing)


@router.patch("/listings/{listing_id}", response_model=ListingPublic, tags=["annonces"])
def update(listing_id: str, data: ListingUpdate, org: OrgDep, session: SessionDep) -> ListingPublic:
    """Change one's own active or paused listing."""
    return changed(lambda: service.update_listing(session, org, listing_id, data, date.today()))


@router.delete("/listings/{listing_id}", response_model=ListingPublic, tags=["annonces"])
def withdraw(listing_id: str, org: OrgDep, session: SessionDep) -> ListingPublic:
    """Withdraw one's own listing; its pending matches are dropped by matching."""
    return changed(lambda: service.withdraw_listing(session, org, listing_id))


@router.post("/listings/{listing_id}/renew", response_model=ListingPublic, tags=["annonces"])
def renew(listing_id: str, org: OrgDep, session: SessionDep) -> ListingPublic:
    """Confirm one's own listing for a new validity period (6 months); an expired one comes back."""
    return changed(lambda: service.renew_listing(session, org, listing_id, date.today()))


@router.post("/listings/{listing_id}/pause", response_model=ListingPublic, tags=["annonces"])
def pause(listing_id: str, org: OrgDep, session: SessionDep) -> ListingPublic:
    """Take one's own active listing out of matching for a while; its pending matches are dropped."""
    return changed(lambda: service.pause_listing(session, org, listing_id))


@router.post("/listings/{listing_id}/resume", response_model=ListingPublic, tags=["annonces"])
def resume(listing_id: str, org: OrgDep, session: SessionDep) -> ListingPublic:
    """Put one's own paused listing back into matching."""
    return changed(lambda: service.resume_listing(session, org, listing_id, date.today()))


def build_link_router(runtime: ServiceRuntime, signer: LinkSigner) -> APIRouter:
    """The page the expiry reminder links to: renew or close a listing without a password.

    GET only shows (mail scanners follow links); renewing or closing is a POST from the page's
    buttons. The token names the listing and its organisation; both must match.
    """
    router = APIRouter(include_in_schema=False)
    template = page_environment("offers").get_template("pages/listing.html")

    def render(status_code: int = 200, **values: object) -> HTMLResponse:
        return HTMLResponse(template.render(title="Votre annonce", **values), status_code=status_code)

    def page(session: Session, token: str, action: str | None) -> HTMLResponse:
        try:
            listing_id, organisation_id = signer.claims("listing-renewal", token, "l", "o")
        except InvalidLink as exc:
            return HTMLResponse(template.render(title="Lien invalide", error=str(exc)), status_code=400)
        org = session.get(Organisation, organisation_id)
        listing = session.get(Listing, listing_id)
        if org is None or listing is None or listing.organisation_id != org.id:
            return render(404, error="Annonce introuvable.")
        done = None
        if action is not None:
            try:
                if action == "renew":
                    listing = service.renew_listing(session, org, listing_id, date.today())
                    state = "en pause, valable" if listing.status == "paused" else "en ligne"
                    done = f"C'est fait : votre annonce est {state} jusqu'au {listing.expires_at:%d/%m/%Y}."
                elif action == "close":
                    listing = service.withdraw_listing(session, org, listing_id)
                    done = "C'est fait : votre annonce est clôturée."
                else:
                    return render(422, error="Action inconnue.")
            except RuleBroken as exc:
                return render(409, error=exc.message)
        return render(listing=listing, done=done)

    @router.get("/liens/annonce/{token}", response_class=HTMLResponse)
    def show(token: str, session: SessionDep) -> HTMLResponse:
        return page(session, token, None)

    @router.post("/liens/annonce/{token}", response_class=HTMLResponse)
    def act(token: str, session: SessionDep, action: Annotated[str, Form()]) -> HTMLResponse:
        return page(session, token, action)

    return router


def full(listing: Listing) -> ListingPublic:
    quantity = (
        QuantityOut(value=listing.quantity_value, unit=listing.quantity_unit)
        if listing.quantity_value is not None and listing.quantity_unit
        else None
    )
    return ListingPublic(**listing.model_dump(exclude={"quantity_value", "quantity_unit"}), quantity=quantity)


def present(
    listing: Listing, owner: Organisation, caller: Organisation, place: Site | Organisation | None
) -> ListingPublic | ListingAnonymised:
    """Confidentiality rule: only the owner sees name-level detail before a match is accepted; others see the
    commune of the site it is posted from (`place`; None: the owner's address)."""
    if owner.id == caller.id:
        return full(listing)
    return ListingAnonymised(
        id=listing.id,
        kind=listing.kind,
        status=listing.status,
        title=listing.title,
        ewc_code=listing.ewc_code,
        category=listing.category,
        frequency=listing.frequency,
        commune=(place or owner).commune,
        expires_at=listing.expires_at,
        waste_status=listing.waste_status,
        abp_category=listing.abp_category,
        organic_farming=listing.organic_farming,
        temperature_c=listing.temperature_c,
        pressure_bar=listing.pressure_bar,
        purity_percent=listing.purity_percent,
        moisture_percent=listing.moisture_percent,
        terms=listing.terms,
        transport_by=listing.transport_by,
        transport_means=listing.transport_means,
        days=list(listing.days),
        months=list(listing.months),
        quantity_approx=None
        if "quantity" in listing.private_fields
        else quantity_text(listing.quantity_value, listing.quantity_unit, approximate=True),
    )
