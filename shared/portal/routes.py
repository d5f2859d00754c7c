"""The portal's pages: each route reads the form, calls the owning service's API, and renders or redirects.

The copy lives in the templates (`shared/templates/portal/`), the French words of the API's codes in
`vocabulary`, the mapping between forms and API bodies in `forms`.
"""

import asyncio
import base64
import binascii
import functools
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile as StarletteUpload

from shared import maps
from shared.geo import Gazetteer
from shared.http import REQUIRED
from shared.portal import forms, vocabulary
from shared.portal.backend import Answer
from shared.portal.visit import Pages, Visit, next_page, open_visit
from shared.settings import ServiceName, Settings
from shared.units import format_number

EXPIRY_SOON = timedelta(days=30)  # « listings about to expire » on the visitor's space


EXPLORE_RADII = ("10", "25", "50", "100", "200")  # km, the choices of the explore page


@functools.cache
def communes() -> Gazetteer:
    """The communes' positions, for the explore page's map: loaded (half a second) when the first map is drawn."""
    return Gazetteer.load()


async def around_me(centre: tuple[float, float], radius_km: float, found: list[dict[str, Any]]) -> maps.AroundChart:
    """The explore page's map: each listing at its commune's chef-lieu (never closer: a match shows no more before
    both sides accept), numbered as in the list; one whose commune is unknown is in the list only."""
    gazetteer = await asyncio.to_thread(communes)
    places = [
        (place.lat, place.lon, item["kind"], item["title"], str(number))
        for number, item in enumerate(found, start=1)
        if (place := gazetteer.by_insee(item.get("insee") or "")) is not None
    ]
    return maps.around_map(centre, radius_km, places)


def build_router(settings: Settings) -> APIRouter:
    """The pages, bound to the settings (where the services are)."""
    router = APIRouter(include_in_schema=False)
    pages = Pages(settings)

    async def visit(request: Request) -> Visit:
        return await open_visit(request, settings)

    VisitDep = Annotated[Visit, Depends(visit)]

    def listing_of(answer: Answer) -> list[dict[str, Any]]:
        return answer.body if answer.ok and isinstance(answer.body, list) else []

    # --- public pages --------------------------------------------------------------------------

    @router.get("/", response_class=HTMLResponse)
    async def home(v: VisitDep) -> Response:
        """Boucle in one screen."""
        return pages.render(v, "home", "La bourse aux ressources de votre territoire")

    @router.get("/inscription", response_class=HTMLResponse)
    async def signup_form(v: VisitDep) -> Response:
        return pages.render(v, "signup", "Créer un compte", values={}, errors={}, general=[])

    @router.post("/inscription", response_class=HTMLResponse)
    async def signup(v: VisitDep) -> Response:
        """`POST /api/v1/accounts`; the confirmation email goes out, the page says where to look."""
        form = await v.form()
        body = forms.signup_body(form)
        answer = await v.backend.post("offers", "/accounts", body)
        if answer.status == 201:
            return pages.render(v, "check_mail", "Vérifiez votre boîte mail", email=body["email"])
        errors, general = forms.field_errors(
            answer.body.get("detail") if isinstance(answer.body, dict) else None, forms.SIGNUP_FIELDS
        )
        if not forms.text(form, "contact_email"):  # it was the user's own address: its error is said there
            errors.pop("contact_email", None)
        if not errors and not general:
            general = [answer.detail() or "Inscription impossible pour le moment, réessayez."]
        values = {k: val for k, val in form.items() if k not in ("password", "csrf_token")}
        return pages.render(
            v,
            "signup",
            "Créer un compte",
            status=422 if answer.status < 500 else answer.status,
            values=values,
            errors=errors,
            general=general,
        )

    @router.get("/connexion", response_class=HTMLResponse)
    async def login_form(v: VisitDep, suite: str | None = None) -> Response:
        if v.account:
            return pages.redirect(v, next_page(suite))
        return pages.render(v, "login", "Se connecter", values={}, errors={}, general=[], suite=next_page(suite))

    @router.post("/connexion", response_class=HTMLResponse)
    async def login(v: VisitDep) -> Response:
        """`POST /api/v1/session`; its cookie is passed on to the browser."""
        form = await v.form()
        email, suite = forms.text(form, "email"), next_page(forms.optional(form, "suite"))
        answer = await v.backend.post("offers", "/session", {"email": email, "password": form.get("password") or ""})
        if answer.status == 200:
            v.cookies = answer.cookies
            return pages.redirect(v, suite)
        errors, general = forms.field_errors(
            answer.body.get("detail") if isinstance(answer.body, dict) else None, forms.LOGIN_FIELDS
        )
        status = answer.status if answer.status in (401, 403, 429, 503) else 422
        return pages.render(
            v,
            "login",
            "Se connecter",
            status=status,
            values={"email": email},
            errors=errors,
            general=general or [answer.detail()],
            suite=suite,
            refused=answer.status,
        )

    @router.post("/connexion/lien", response_class=HTMLResponse)
    async def login_link(v: VisitDep) -> Response:
        """`POST /api/v1/session/link`: the same answer whether the address has an account or not."""
        form = await v.form()
        email = forms.text(form, "email")
        answer = await v.backend.post("offers", "/session/link", {"email": email})
        if answer.status == 422 or not email:
            errors, general = forms.field_errors(
                answer.body.get("detail") if isinstance(answer.body, dict) else None, {"email": "link_email"}
            )
            if not email:
                errors = {"link_email": "Indiquez l'adresse de votre compte."}
            return pages.render(
                v,
                "login",
                "Se connecter",
                status=422,
                values={"link_email": email},
                errors=errors,
                general=general,
                suite="/espace",
            )
        if not answer.ok:
            return pages.render(
                v,
                "login",
                "Se connecter",
                status=answer.status,
                values={"link_email": email},
                errors={},
                general=[answer.detail()],
                suite="/espace",
            )
        return pages.render(v, "link_sent", "Vérifiez votre boîte mail", email=email)

    @router.post("/deconnexion")
    async def logout(v: VisitDep) -> Response:
        """`DELETE /api/v1/session`; the cleared cookie is passed on."""
        await v.form()
        if v.account:
            answer = await v.backend.call("DELETE", "offers", "/session")
            v.cookies = answer.cookies
        return pages.redirect(v, "/?avis=deconnecte")

    # --- legal pages: their details are the operator's settings (BOUCLE_OPERATOR_…) ------------------

    @router.get("/mentions-legales", response_class=HTMLResponse)
    async def legal(v: VisitDep) -> Response:
        return pages.render(v, "legal", "Mentions légales")

    @router.get("/confidentialite", response_class=HTMLResponse)
    async def privacy(v: VisitDep) -> Response:
        return pages.render(v, "privacy", "Politique de confidentialité")

    @router.get("/accessibilite", response_class=HTMLResponse)
    async def accessibility(v: VisitDep) -> Response:
        return pages.render(v, "accessibility", "Déclaration d'accessibilité")

    # --- my space --------------------------------------------------------------------------------

    @router.get("/espace", response_class=HTMLResponse)
    async def space(v: VisitDep) -> Response:
        """Counts and what to do next: matches awaiting my answer, listings about to expire."""
        v.require_account()
        listings, matches, synergies, territories, suggested = await asyncio.gather(
            v.backend.get("offers", "/listings", mine="true"),
            v.backend.get("matching", "/matches"),
            v.backend.get("reporting", "/synergies"),
            v.backend.get("reporting", "/territories"),
            v.backend.get("offers", "/organisations/me/suggestions"),
        )
        mine, found, joined = listing_of(listings), listing_of(matches), listing_of(synergies)
        titles = {listing["id"]: listing["title"] for listing in mine}
        soon = (date.today() + EXPIRY_SOON).isoformat()
        return pages.render(
            v,
            "space",
            "Mon espace",
            titles=titles,
            active=[x for x in mine if x["status"] == "active"],
            waiting=[m for m in found if m["status"] == "proposed" and not m.get("my_response")],
            accepted=[m for m in found if m["status"] == "accepted"],
            open_synergies=[s for s in joined if s["stage"] not in ("ended", "abandoned")],
            expiring=[
                x for x in mine if x["status"] == "expired" or (x["status"] == "active" and x["expires_at"] <= soon)
            ],
            territories=listing_of(territories),
            suggestions=listing_of(suggested),
            unavailable=[a.detail() for a in (listings, matches, synergies) if a.status >= 500][:1],
        )

    @router.post("/espace/suggestions", response_class=HTMLResponse)
    async def suggestion(v: VisitDep) -> Response:
        """A flow typical of my activity: « Publier » posts it as an offer (once, whatever the clicks: its
        Idempotency-Key is the organisation's and the code's), « Pas chez nous » sets it aside for good."""
        account = v.require_account()
        form = await v.form()
        code, title = forms.text(form, "ewc_code"), forms.text(form, "title")
        if form.get("action") == "ecarter":
            answer = await v.backend.call(
                "POST", "offers", "/organisations/me/suggestions/dismissed", json={"ewc_code": code}
            )
            notice = "suggestion-ecartee"
        else:
            key = uuid.uuid5(uuid.NAMESPACE_URL, f"suggestion:{account['organisation']['id']}:{code}")
            answer = await v.backend.call(
                "POST",
                "offers",
                "/listings",
                headers={"Idempotency-Key": key.hex},
                json={"kind": "offer", "title": title, "ewc_code": code},
            )
            notice = "publiee"
        if answer.ok:
            return pages.redirect(v, f"/espace?avis={notice}")
        return pages.render(
            v,
            "message",
            "Impossible pour l'instant",
            status=answer.status if answer.status >= 400 else 422,
            message=problem_of(answer),
        )

    # --- my organisation: profile, colleagues, API tokens -------------------------------------------

    async def organisation_page(v: Visit, *, status: int = 200, **values: Any) -> Response:
        profile, users, tokens, accesses, sites = await asyncio.gather(
            v.backend.get("offers", "/organisations/me"),
            v.backend.get("offers", "/organisations/me/users"),
            v.backend.get("offers", "/organisations/me/tokens"),
            v.backend.get("reporting", "/access-log"),
            v.backend.get("offers", "/organisations/me/sites"),
        )
        values = {"values": {}, "errors": {}, "general": [], **values}
        return pages.render(
            v,
            "organisation",
            "Mon organisation",
            status=status,
            profile=profile.body if profile.ok else {},
            users=listing_of(users),
            tokens=listing_of(tokens),
            accesses=listing_of(accesses),
            sites=listing_of(sites),
            admin=users.ok,
            **values,
        )

    @router.get("/organisation", response_class=HTMLResponse)
    async def organisation(v: VisitDep) -> Response:
        """My organisation as the others will know it; its administrators add colleagues and API tokens."""
        v.require_account()
        return await organisation_page(v)

    async def profile_form(
        v: Visit,
        *,
        status: int = 200,
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        general: list[str] | None = None,
    ) -> Response:
        if values is None:
            answer = await v.backend.get("offers", "/organisations/me")
            current = answer.body if answer.ok else {}
            values = {**current, "organisation_name": current.get("name", "")}
        return pages.render(
            v,
            "profile",
            "Profil de l'organisation",
            status=status,
            values=values,
            errors=errors or {},
            general=general or [],
        )

    @router.get("/organisation/donnees.json")
    async def export_data(v: VisitDep) -> Response:
        """Everything Boucle holds of my organisation, from each service's own API, in one JSON file (RGPD: the
        right of access and to portability). Colleagues and tokens are its administrators' to read: a member's file
        says so instead."""
        v.require_account()
        parts: dict[str, tuple[ServiceName, str, dict[str, str]]] = {
            "organisation": ("offers", "/organisations/me", {}),
            "utilisateurs": ("offers", "/organisations/me/users", {}),
            "jetons_api": ("offers", "/organisations/me/tokens", {}),
            "sites": ("offers", "/organisations/me/sites", {}),
            "annonces": ("offers", "/listings", {"mine": "true"}),
            "mises_en_relation": ("matching", "/matches", {}),
            "notifications": ("notifications", "/notifications", {}),
            "preferences": ("notifications", "/notifications/preferences", {}),
            "synergies": ("reporting", "/synergies", {"history": "true"}),
            "consultations_de_vos_donnees": ("reporting", "/access-log", {}),
        }
        answers = await asyncio.gather(
            *(v.backend.get(service, path, **params) for service, path, params in parts.values())
        )
        if any(answer.status >= 500 for answer in answers):
            return pages.render(v, "unavailable", "Service indisponible", status=503)
        body = {
            "exporte_le": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **{
                key: answer.body if answer.ok else {"non_fourni": answer.detail() or "réservé aux administrateurs"}
                for key, answer in zip(parts, answers, strict=True)
            },
        }
        name = f"boucle-donnees-{date.today().isoformat()}.json"
        return pages.finish(
            v,
            Response(
                json.dumps(body, ensure_ascii=False, indent=2),
                media_type="application/json",
                headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
            ),
        )

    @router.post("/organisation/supprimer", response_class=HTMLResponse)
    async def delete_organisation(v: VisitDep) -> Response:
        """`DELETE /api/v1/organisations/me?confirm=`: the organisation erased, the session's cookie cleared."""
        v.require_account()
        form = await v.form()
        confirm = forms.text(form, "confirm")
        answer = await v.backend.call("DELETE", "offers", "/organisations/me", params={"confirm": confirm})
        if answer.ok:
            v.cookies = answer.cookies
            return pages.redirect(v, "/?avis=organisation-supprimee")
        errors, general = forms.field_errors(
            answer.body.get("detail") if isinstance(answer.body, dict) else None, {"confirm": "confirm"}
        )
        return await organisation_page(
            v,
            status=answer.status,
            values={"confirm": confirm},
            errors=errors,
            general=general or ([] if errors else [problem_of(answer)]),
        )

    @router.get("/organisation/profil", response_class=HTMLResponse)
    async def profile(v: VisitDep) -> Response:
        """The profile, as a form (its administrators may change it)."""
        v.require_account()
        return await profile_form(v)

    @router.post("/organisation/profil", response_class=HTMLResponse)
    async def update_profile(v: VisitDep) -> Response:
        """`PATCH /api/v1/organisations/me`."""
        v.require_account()
        form = await v.form()
        current = await v.backend.get("offers", "/organisations/me")
        answer = await v.backend.call(
            "PATCH", "offers", "/organisations/me", json=forms.profile_body(form, current.body if current.ok else {})
        )
        if answer.ok:
            return pages.redirect(v, "/organisation?avis=profil")
        errors, general = forms.field_errors(
            answer.body.get("detail") if isinstance(answer.body, dict) else None, forms.PROFILE_FIELDS
        )
        if not errors and not general:
            general = [problem_of(answer)]
        return await profile_form(
            v,
            status=422 if answer.status in (400, 422) else answer.status,
            values={k: val for k, val in form.items() if k != "csrf_token"},
            errors=errors,
            general=general,
        )

    @router.post("/organisation/collegues", response_class=HTMLResponse)
    async def invite(v: VisitDep) -> Response:
        """`POST /api/v1/organisations/me/users`: the colleague confirms by an emailed link."""
        v.require_account()
        form = await v.form()
        body = {
            "name": forms.text(form, "colleague_name"),
            "email": forms.text(form, "colleague_email"),
            "role": forms.text(form, "colleague_role") or "member",
        }
        answer = await v.backend.post("offers", "/organisations/me/users", body)
        if answer.status == 201:
            return pages.redirect(v, "/organisation?avis=invitation")
        errors, general = forms.field_errors(
            answer.body.get("detail") if isinstance(answer.body, dict) else None, forms.COLLEAGUE_FIELDS
        )
        return await organisation_page(
            v,
            status=422 if answer.status in (409, 422) else answer.status,
            values={k: val for k, val in form.items() if k != "csrf_token"},
            errors=errors,
            general=general or [problem_of(answer)],
        )

    @router.post("/organisation/collegues/{user_id}/retirer", response_class=HTMLResponse)
    async def remove_colleague(user_id: str, v: VisitDep) -> Response:
        """`DELETE /api/v1/organisations/me/users/{id}` (its administrators): a colleague removed, or a pending
        invitation withdrawn."""
        v.require_account()
        form = await v.form()
        answer = await v.backend.call("DELETE", "offers", f"/organisations/me/users/{quote(user_id, safe='')}")
        if answer.ok:
            done = "invitation-annulee" if forms.text(form, "invitation") else "collegue-retire"
            return pages.redirect(v, f"/organisation?avis={done}")
        return await organisation_page(v, status=answer.status, general=[problem_of(answer)])

    @router.post("/organisation/quitter", response_class=HTMLResponse)
    async def leave(v: VisitDep) -> Response:
        """`DELETE /api/v1/users/me`: my account goes, my organisation stays; the cleared cookie is passed on."""
        v.require_account()
        await v.form()
        answer = await v.backend.call("DELETE", "offers", "/users/me")
        if answer.ok:
            v.cookies = answer.cookies
            return pages.redirect(v, "/?avis=compte-supprime")
        return await organisation_page(v, status=answer.status, general=[problem_of(answer)])

    @router.post("/organisation/sites", response_class=HTMLResponse)
    async def new_site(v: VisitDep) -> Response:
        """`POST /api/v1/organisations/me/sites` (its administrators)."""
        v.require_account()
        form = await v.form()
        body = {
            "name": forms.text(form, "site_name"),
            "commune": forms.optional(form, "site_commune"),
            "postcode": forms.optional(form, "site_postcode"),
            "siret": forms.optional(form, "site_siret"),
        }
        answer = await v.backend.post("offers", "/organisations/me/sites", {k: x for k, x in body.items() if x})
        if answer.status == 201:
            return pages.redirect(v, "/organisation?avis=site")
        errors, general = forms.field_errors(
            answer.body.get("detail") if isinstance(answer.body, dict) else None, forms.SITE_FIELDS
        )
        return await organisation_page(
            v,
            status=422 if answer.status == 422 else answer.status,
            values={k: val for k, val in form.items() if k != "csrf_token"},
            errors=errors,
            general=general or ([] if errors else [problem_of(answer)]),
        )

    @router.post("/organisation/sites/{site_id}/supprimer")
    async def delete_site(site_id: str, v: VisitDep) -> Response:
        """`DELETE /api/v1/organisations/me/sites/{id}`: refused while listings are posted from it."""
        return await act(
            v,
            "DELETE",
            "offers",
            f"/organisations/me/sites/{quote(site_id, safe='')}",
            "/organisation?avis=site-supprime",
            organisation_page,
        )

    @router.post("/organisation/jetons", response_class=HTMLResponse)
    async def new_token(v: VisitDep) -> Response:
        """`POST /api/v1/organisations/me/tokens`: the token is shown on this page, this once."""
        v.require_account()
        form = await v.form()
        answer = await v.backend.post("offers", "/organisations/me/tokens", {"label": forms.text(form, "label")})
        if answer.status == 201:
            return await organisation_page(v, created=answer.body)
        errors, general = forms.field_errors(
            answer.body.get("detail") if isinstance(answer.body, dict) else None, {"label": "label"}
        )
        return await organisation_page(
            v,
            status=422 if answer.status == 422 else answer.status,
            values={"label": forms.text(form, "label")},
            errors=errors,
            general=general or ([] if errors else [problem_of(answer)]),
        )

    @router.post("/organisation/jetons/{token_id}/revoquer")
    async def revoke_token(token_id: str, v: VisitDep) -> Response:
        """`DELETE /api/v1/organisations/me/tokens/{id}`: refused by every service from now on."""
        return await act(
            v,
            "DELETE",
            "offers",
            f"/organisations/me/tokens/{token_id}",
            "/organisation?avis=jeton-revoque",
            organisation_page,
        )

    # --- listings --------------------------------------------------------------------------------

    async def my_listings(v: Visit, *, status: int = 200, problem: str | None = None) -> Response:
        answer = await v.backend.get("offers", "/listings", mine="true")
        order = {"active": 0, "paused": 1, "expired": 2, "withdrawn": 3}
        found = sorted(listing_of(answer), key=lambda x: order.get(x["status"], 3))
        live = [
            {key: x.get(key) for key in ("id", "kind", "title", "category", "description")}
            for x in found
            if x["status"] in ("active", "paused")
        ][:100]
        reading = await v.backend.post("matching", "/resources/read", live) if live else None
        readings = {r["id"]: r for r in listing_of(reading)} if reading is not None else {}
        return pages.render(
            v,
            "listings",
            "Mes annonces",
            status=status,
            listings=found,
            readings=readings,
            problem=problem or (answer.detail() if not answer.ok else None),
        )

    @router.get("/annonces", response_class=HTMLResponse)
    async def listings(v: VisitDep) -> Response:
        """My listings, with edit, renew and close."""
        v.require_account()
        return await my_listings(v)

    async def site_choices(v: Visit) -> dict[str, str]:
        """The organisation's other sites a listing may be posted from, by id (none: the select is not shown)."""
        answer = await v.backend.get("offers", "/organisations/me/sites")
        return {site["id"]: f"{site['name']} ({site['commune']})" for site in listing_of(answer) if site["id"]}

    async def choices(v: Visit, listing_id: str | None = None) -> dict[str, Any]:
        """What the listing form offers to choose: the sites, and the organisation's live listings it may be
        swapped against (« en échange de… »; offers checks the kinds)."""
        sites, mine = await asyncio.gather(site_choices(v), v.backend.get("offers", "/listings", mine="true"))
        kinds = vocabulary.LISTING_KINDS
        swaps = {
            x["id"]: f"{kinds[x['kind']][1]} « {x['title']} »"
            for x in listing_of(mine)
            if x["status"] in ("active", "paused") and x["id"] != listing_id
        }
        return {"sites": sites, "swaps": swaps}

    @router.get("/annonces/nouvelle", response_class=HTMLResponse)
    async def new_listing_form(v: VisitDep) -> Response:
        v.require_account()
        return pages.render(
            v,
            "listing_form",
            "Publier une annonce",
            listing=None,
            values={"request_id": uuid.uuid4().hex},  # no kind nor unit chosen for the user
            errors={},
            general=[],
            **await choices(v),
        )

    @router.post("/annonces/nouvelle", response_class=HTMLResponse)
    async def new_listing(v: VisitDep) -> Response:
        """`POST /api/v1/listings`, with the page's id as its Idempotency-Key: a form sent twice (a double
        click, a reload, the back button) publishes one listing; sent again after a change, a new one."""
        v.require_account()
        form = await v.form()
        body = forms.listing_body(form)

        async def publish(key: str | None) -> Answer:
            return await v.backend.call(
                "POST", "offers", "/listings", json=body, headers={"Idempotency-Key": key} if key else None
            )

        answer = await publish(forms.request_key(form))
        if answer.status == 422 and forms.key_reused(answer.body):
            answer = await publish(uuid.uuid4().hex)
        if answer.status == 201:
            return pages.redirect(v, "/annonces?avis=publiee")
        return await listing_form_again(v, form, answer, None, "Publier une annonce")

    @router.get("/annonces/{listing_id}/modifier", response_class=HTMLResponse)
    async def edit_listing_form(listing_id: str, v: VisitDep) -> Response:
        v.require_account()
        answer = await v.backend.get("offers", f"/listings/{listing_id}")
        if not answer.ok or not answer.body.get("mine"):
            return pages.render(
                v,
                "message",
                "Annonce introuvable",
                status=404,
                message="Cette annonce n'existe pas ou n'est pas la vôtre.",
            )
        listing = answer.body
        quantity = listing.get("quantity") or {}
        values = {
            **listing,
            "quantity_value": shown(quantity.get("value")),
            "quantity_unit": quantity.get("unit", "t"),
            "radius_km": shown(listing.get("radius_km")),
            "quantity_private": "quantity" in listing.get("private_fields", []),
            "abp_category": shown(listing.get("abp_category")),
            **{
                name: shown(listing.get(name))
                for name in ("temperature_c", "pressure_bar", "purity_percent", "moisture_percent")
            },
        }
        return pages.render(
            v,
            "listing_form",
            "Modifier l'annonce",
            listing=listing,
            values=values,
            errors={},
            general=[],
            **await choices(v, listing_id),
        )

    @router.post("/annonces/{listing_id}/modifier", response_class=HTMLResponse)
    async def edit_listing(listing_id: str, v: VisitDep) -> Response:
        """`PATCH /api/v1/listings/{id}`."""
        v.require_account()
        form = await v.form()
        answer = await v.backend.call(
            "PATCH", "offers", f"/listings/{listing_id}", json=forms.listing_body(form, editing=True)
        )
        if answer.ok:
            return pages.redirect(v, "/annonces?avis=modifiee")
        current = await v.backend.get("offers", f"/listings/{listing_id}")
        return await listing_form_again(
            v, form, answer, current.body if current.ok else {"id": listing_id}, "Modifier l'annonce"
        )

    async def listing_form_again(
        v: Visit, form: Any, answer: Answer, listing: dict[str, Any] | None, title: str
    ) -> Response:
        """The form again, the visitor's values kept and the API's errors beside their fields."""
        errors, general = forms.field_errors(
            answer.body.get("detail") if isinstance(answer.body, dict) else None, forms.LISTING_FIELDS
        )
        if not errors and not general:
            general = [answer.detail() or "L'annonce n'a pas pu être enregistrée, réessayez."]
        values = {k: val for k, val in form.items() if k != "csrf_token"}
        values.update(forms.calendar_of(form))
        status = 422 if answer.status in (400, 422) else answer.status
        return pages.render(
            v,
            "listing_form",
            title,
            status=status,
            listing=listing,
            values=values,
            errors=errors,
            general=general,
            **await choices(v, listing.get("id") if listing else None),
        )

    async def act(
        v: Visit, method: str, service: ServiceName, path: str, done: str, refused: Callable[..., Awaitable[Response]]
    ) -> Response:
        """A button's action: the API call, then the page it leads to, or `refused` saying why not."""
        v.require_account()
        await v.form()
        answer = await v.backend.call(method, service, path)
        if answer.ok:
            return pages.redirect(v, done)
        return await refused(v, status=answer.status, problem=problem_of(answer))

    # Each listing button: its API call on `/api/v1/listings/{id}` and the notice shown after.
    listing_actions = {
        "renouveler": ("POST", "/renew", "renouvelee"),  # six more months
        "cloturer": ("DELETE", "", "cloturee"),  # withdrawn, its pending matches dropped
        "pause": ("POST", "/pause", "en-pause"),  # out of matching for a while
        "reprendre": ("POST", "/resume", "reprise"),
    }

    @router.post("/annonces/{listing_id}/{action}")
    async def listing_action(listing_id: str, action: str, v: VisitDep) -> Response:
        """Renew, close, pause or resume one of my listings."""
        if action not in listing_actions:
            return pages.render(v, "message", "Action inconnue", status=404, message="Cette action n'existe pas.")
        method, suffix, notice = listing_actions[action]
        return await act(
            v, method, "offers", f"/listings/{listing_id}{suffix}", f"/annonces?avis={notice}", my_listings
        )

    # --- matches and synergies -------------------------------------------------------------------

    async def my_matches(v: Visit, *, status: int = 200, problem: str | None = None) -> Response:
        matches, listings, contacts = await asyncio.gather(
            v.backend.get("matching", "/matches"),
            v.backend.get("offers", "/listings", mine="true"),
            v.backend.get("notifications", "/notifications/contacts"),
        )
        found = listing_of(matches)
        waiting_first = sorted(
            found, key=lambda m: (m["status"] != "proposed" or bool(m.get("my_response")), m["status"] != "accepted")
        )
        revealed: dict[str, list[dict[str, Any]]] = {}
        for contact in listing_of(contacts):
            revealed.setdefault(contact["match_id"], []).append(contact)
        return pages.render(
            v,
            "matches",
            "Mes mises en relation",
            status=status,
            matches=waiting_first,
            titles={x["id"]: x["title"] for x in listing_of(listings)},
            revealed=revealed,
            problem=problem or (matches.detail() if not matches.ok else None),
        )

    @router.get("/mises-en-relation", response_class=HTMLResponse)
    async def matches(v: VisitDep) -> Response:
        """My matches, the French explanation, the counterpart anonymous until everyone accepts."""
        v.require_account()
        return await my_matches(v)

    @router.post("/mises-en-relation/{match_id}/{answer}")
    async def respond(match_id: str, answer: str, v: VisitDep) -> Response:
        """`POST /api/v1/matches/{id}/accept` or `/decline`."""
        action = {"accepter": "accept", "decliner": "decline"}.get(answer)
        if action is None:
            return pages.render(v, "message", "Réponse inconnue", status=404, message="Cette réponse n'existe pas.")
        return await act(
            v,
            "POST",
            "matching",
            f"/matches/{match_id}/{action}",
            f"/mises-en-relation?avis={'acceptee' if action == 'accept' else 'declinee'}",
            my_matches,
        )

    async def my_synergies(
        v: Visit,
        *,
        status: int = 200,
        refused: dict[str, str] | None = None,
        refused_flows: dict[str, str] | None = None,
    ) -> Response:
        answer, options = await asyncio.gather(
            v.backend.get("reporting", "/synergies", history="true"),  # the notes of each move, the impact
            v.backend.get("reporting", "/reports/factors"),
        )
        found = listing_of(answer)
        return pages.render(
            v,
            "synergies",
            "Mes synergies",
            status=status,
            synergies=found,
            refused=refused or {},
            refused_flows=refused_flows or {},
            flow_request_ids={s["id"]: uuid.uuid4().hex for s in found},
            flow_options=options.body if options.ok else {"vehicles": {}, "materials": {}},
            problem=answer.detail() if not answer.ok else None,
        )

    @router.get("/synergies", response_class=HTMLResponse)
    async def synergies(v: VisitDep) -> Response:
        """My synergies, the stage each has reached, and a form to move it on."""
        v.require_account()
        return await my_synergies(v)

    @router.post("/synergies/{synergy_id}/etape", response_class=HTMLResponse)
    async def move_synergy(synergy_id: str, v: VisitDep) -> Response:
        """`POST /api/v1/synergies/{id}/stage`; a refusal is said in the synergy's own card."""
        v.require_account()
        form = await v.form()
        body = {
            "stage": forms.text(form, "stage"),
            "reason": forms.optional(form, "reason"),
            "note": forms.optional(form, "note"),
        }
        answer = await v.backend.post("reporting", f"/synergies/{synergy_id}/stage", body)
        if answer.ok:
            return pages.redirect(v, "/synergies?avis=etape")
        status = 422 if answer.status in (400, 409, 422) else answer.status
        return await my_synergies(v, status=status, refused={synergy_id: problem_of(answer)})

    @router.post("/synergies/{synergy_id}/flux", response_class=HTMLResponse)
    async def record_flow(synergy_id: str, v: VisitDep) -> Response:
        """`POST /api/v1/synergies/{id}/flows` with the page's id as its Idempotency-Key: a double click or a
        reload records one flow."""
        v.require_account()
        form = await v.form()
        key = forms.request_key(form)
        answer = await v.backend.call(
            "POST",
            "reporting",
            f"/synergies/{synergy_id}/flows",
            json=forms.flow_body(form),
            headers={"Idempotency-Key": key} if key else None,
        )
        if answer.ok:
            return pages.redirect(v, f"/synergies?avis=flux#s-{synergy_id}")
        status = 422 if answer.status in (400, 409, 422) else answer.status
        return await my_synergies(v, status=status, refused_flows={synergy_id: problem_of(answer)})

    @router.post("/synergies/{synergy_id}/flux/{flow_id}", response_class=HTMLResponse)
    async def correct_flow(synergy_id: str, flow_id: str, v: VisitDep) -> Response:
        """`PUT /api/v1/synergies/{id}/flows/{flow_id}`: a recorded flow corrected (sent again, nothing changes)."""
        v.require_account()
        form = await v.form()
        synergy = await v.backend.get("reporting", f"/synergies/{synergy_id}")
        flows = synergy.body.get("flows", []) if synergy.ok and isinstance(synergy.body, dict) else []
        recorded = next((flow for flow in flows if flow.get("flow_id") == flow_id), None)
        if recorded is None:
            return pages.render(
                v,
                "message",
                "Flux introuvable",
                status=404,
                message="Ce flux n'existe pas sur cette synergie, ou vous n'y avez pas accès.",
            )
        answer = await v.backend.call(
            "PUT", "reporting", f"/synergies/{synergy_id}/flows/{flow_id}", json=forms.corrected_flow(form, recorded)
        )
        if answer.ok:
            return pages.redirect(v, f"/synergies?avis=flux-corrige#s-{synergy_id}")
        status = 422 if answer.status in (400, 409, 422) else answer.status
        return await my_synergies(v, status=status, refused_flows={flow_id: problem_of(answer)})

    # --- exploring ---------------------------------------------------------------------------------

    @router.get("/explorer", response_class=HTMLResponse)
    async def explore(v: VisitDep, q: str = "", type: str = "", rayon: str = "50") -> Response:
        """`GET /api/v1/resources/nearby` around my organisation: what others offer and seek, as far as a match
        shows it before both sides accept."""
        v.require_account()
        values = {
            "q": q.strip()[:120],
            "type": type if type in vocabulary.LISTING_KINDS else "",
            "rayon": rayon if rayon in EXPLORE_RADII else "50",
        }
        me = await v.backend.get("offers", "/organisations/me")
        where = me.body if me.ok and isinstance(me.body, dict) else {}
        if where.get("lat") is None or where.get("lon") is None:
            return pages.render(
                v, "explore", "Explorer autour de moi", values=values, radii=EXPLORE_RADII, found=None, located=False
            )
        answer = await v.backend.get(
            "matching",
            "/resources/nearby",
            lat=where["lat"],
            lon=where["lon"],
            radius_km=values["rayon"],
            kind=values["type"] or None,
            q=values["q"] or None,
        )
        found = listing_of(answer)
        chart = await around_me((where["lat"], where["lon"]), float(values["rayon"]), found)
        return pages.render(
            v,
            "explore",
            "Explorer autour de moi",
            values=values,
            radii=EXPLORE_RADII,
            found=found,
            located=True,
            commune=where.get("commune"),
            map=chart,
            problem=answer.detail() if not answer.ok else None,
        )

    @router.post("/explorer/interet", response_class=HTMLResponse)
    async def interested(v: VisitDep) -> Response:
        """« Ça m'intéresse » on a listing seen nearby: my organisation publishes the listing that answers it (a
        need for an offer or a share, an offer for a need, the same pooling), named by the resource Boucle read
        and reaching as far as that listing; the engine then proposes the match to both, through the usual
        lifecycle (each accepts or declines, names stay hidden until both accept). Clicked again, nothing more."""
        account = v.require_account()
        form = await v.form()
        body = forms.interest_body(form)
        if body is None:
            return pages.render(
                v,
                "message",
                "Annonce introuvable",
                status=422,
                message="Cette annonce ne peut pas recevoir d'intérêt : revenez à la page Explorer.",
            )
        key = uuid.uuid5(uuid.NAMESPACE_URL, f"interet:{account['organisation']['id']}:{forms.text(form, 'id')}")
        answer = await v.backend.call("POST", "offers", "/listings", json=body, headers={"Idempotency-Key": key.hex})
        if answer.status == 201:
            return pages.redirect(v, "/annonces?avis=interet")
        return pages.render(
            v,
            "message",
            "Impossible de publier",
            status=answer.status if answer.status >= 400 else 422,
            message=problem_of(answer),
        )

    # --- preferences -----------------------------------------------------------------------------

    @router.get("/preferences", response_class=HTMLResponse)
    async def preferences_form(v: VisitDep) -> Response:
        """How each kind of message reaches me: at once, in a digest, or not at all."""
        v.require_account()
        answer = await v.backend.get("notifications", "/notifications/preferences")
        return pages.render(
            v,
            "preferences",
            "Mes préférences de notification",
            preferences=answer.body if answer.ok else {},
            errors={},
            problem=answer.detail() if not answer.ok else None,
        )

    @router.post("/preferences", response_class=HTMLResponse)
    async def preferences(v: VisitDep) -> Response:
        """`PUT /api/v1/notifications/preferences`."""
        v.require_account()
        form = await v.form()
        changes = {kind: form.get(kind) for kind in vocabulary.MESSAGE_KINDS if isinstance(form.get(kind), str)}
        answer = await v.backend.call("PUT", "notifications", "/notifications/preferences", json=changes)
        if answer.ok:
            return pages.redirect(v, "/preferences?avis=preferences")
        errors, general = forms.field_errors(
            answer.body.get("detail") if isinstance(answer.body, dict) else None,
            {kind: kind for kind in vocabulary.MESSAGE_KINDS},
        )
        return pages.render(
            v,
            "preferences",
            "Mes préférences de notification",
            status=422 if errors else answer.status,
            preferences=changes,
            errors=errors,
            problem=" ".join(general) or (answer.detail() if not errors else None),
        )

    # --- the animateur's area ---------------------------------------------------------------------

    @router.get("/animation", response_class=HTMLResponse)
    async def animation(v: VisitDep) -> Response:
        """The territory I animate: its actors and their listings, pistes and synergies, the dashboard; the form
        that declares it; for the platform's team, the claims to decide."""
        v.require_account()
        return await animation_page(v)

    async def animation_page(
        v: Visit,
        *,
        status: int = 200,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        general: list[str] | None = None,
        preview: dict[str, Any] | None = None,
    ) -> Response:
        answer = await v.backend.get("reporting", "/territories")
        territories = listing_of(answer)
        if not territories and v.role not in vocabulary.ANIMATION_ROLES:  # a collectivité asks for the role
            asked = await v.backend.get("offers", "/role-requests")
            return pages.render(
                v,
                "role_request",
                "Animer le territoire de votre collectivité",
                status=status,
                requests=listing_of(asked),
                general=general or [],
            )
        views = []
        for territory in territories:
            if territory.get("status") != "approved":
                views.append({**territory, "actors": [], "synergies": []})
                continue
            actors, synergies = await asyncio.gather(
                v.backend.get("reporting", f"/territories/{territory['id']}/actors"),
                v.backend.get("reporting", "/synergies", territory=territory["id"]),
            )
            views.append({**territory, "actors": listing_of(actors), "synergies": listing_of(synergies)})
        if views:  # the listings of its actors the engine cannot place: the animateur teaches it their words
            unplaced = await v.backend.get("matching", "/matches/unplaced")
            unknown = {u["listing_id"]: u for u in listing_of(unplaced)}
            for view in views:
                view["unplaced"] = [
                    {**unknown[listing["listing_id"]], "organisation": actor["name"]}
                    for actor in view["actors"]
                    for listing in actor.get("listings", [])
                    if listing["listing_id"] in unknown
                ]
        own = await v.backend.get("reporting", "/territories/own") if v.role == "animateur" else None
        claims = await v.backend.get("reporting", "/territories/claims") if v.role == "platform_admin" else None
        role_requests = await v.backend.get("offers", "/role-requests") if v.role == "platform_admin" else None
        own_body = own.body if own is not None and own.ok and isinstance(own.body, dict) else None
        mine = own_body or {}
        defaults = {
            "territory_name": f"Territoire de {mine['commune_name']}" if mine.get("commune_name") else "",
            "scope": "epci" if mine.get("epci") else "communes",
            "communes": mine.get("commune_insee") or "",
        }
        return pages.render(
            v,
            "animation",
            "Animation du territoire",
            status=status,
            territories=views,
            own=own_body,
            claims=listing_of(claims) if claims is not None else [],
            role_requests=listing_of(role_requests) if role_requests is not None else [],
            values=values or defaults,
            errors=errors or {},
            general=general or [],
            preview=preview,
            problem=answer.detail() if not answer.ok else None,
        )

    # --- diagnostics ---------------------------------------------------------------------------------

    def animateurs_only(v: Visit) -> Response | None:
        v.require_account()
        if v.role in vocabulary.ANIMATION_ROLES:
            return None
        return pages.render(
            v,
            "message",
            "Réservé à l'animateur",
            status=403,
            message="Seul l'animateur d'un territoire importe des diagnostics.",
        )

    @router.get("/animation/diagnostics", response_class=HTMLResponse)
    async def diagnostics_page(v: VisitDep) -> Response:
        """The diagnostics of the territory, brought in from a spreadsheet: the template, then a file to preview."""
        if (refused := animateurs_only(v)) is not None:
            return refused
        return await diagnostics_view(v, preview=None, file=None)

    async def diagnostics_view(v: Visit, *, status: int = 200, **values: Any) -> Response:
        """The page, with the organisations imported so far and where their consent stands."""
        answer = await v.backend.get("offers", "/diagnostics/organisations")
        held = [
            piste
            for territory in await animated_territories(v)
            for piste in listing_of(
                await v.backend.get("reporting", f"/territories/{quote(territory['id'], safe='')}/held-pistes")
            )
        ]
        return pages.render(
            v,
            "diagnostics",
            "Importer des diagnostics",
            status=status,
            organisations=listing_of(answer),
            held_pistes=held,
            **values,
        )

    @router.post("/animation/diagnostics", response_class=HTMLResponse)
    async def diagnostics_upload(v: VisitDep) -> Response:
        """A file sent: its preview (offers writes nothing), with « Importer » when no cell is wrong; sent again
        with « Importer » (the file rides along in the page), the import, all of it or nothing."""
        if (refused := animateurs_only(v)) is not None:
            return refused
        form = await v.form()
        upload, kept = form.get("fichier"), forms.text(form, "contenu")
        if kept:  # « Importer » on a preview: the same bytes the preview read (altered: an empty file, refused)
            name = forms.text(form, "nom") or "diagnostics.csv"
            try:
                content = base64.b64decode(kept, validate=True)
            except (binascii.Error, ValueError):
                content = b""
        elif isinstance(upload, StarletteUpload) and upload.filename:
            name, content = upload.filename, await upload.read()
        else:
            return await diagnostics_view(
                v, status=422, preview=None, file=None, problem="Choisissez le fichier des diagnostics (.xlsx ou .csv)."
            )
        files = {"fichier": (name, content, "application/octet-stream")}
        importing = bool(kept) and form.get("action") == "importer"
        answer = await v.backend.call(
            "POST", "offers", "/diagnostics" if importing else "/diagnostics/apercu", files=files
        )
        if importing and answer.ok and isinstance(answer.body, dict):
            return await diagnostics_view(v, preview=None, file=None, imported=answer.body)
        body = answer.body if isinstance(answer.body, dict) else {}
        preview = body.get("preview") if importing else body if answer.ok else None
        return await diagnostics_view(
            v,
            status=200 if answer.ok else answer.status,
            preview=preview,
            problem=None if preview else problem_of(answer),
            file={"name": name, "content": base64.b64encode(content).decode()},
        )

    @router.post("/animation/diagnostics/revues", response_class=HTMLResponse)
    async def diagnostics_reviews(v: VisitDep) -> Response:
        """One action: every organisation whose diagnostic is over a year old is asked to review its flows."""
        if (refused := animateurs_only(v)) is not None:
            return refused
        await v.form()
        answer = await v.backend.call("POST", "offers", "/diagnostics/revues")
        asked = answer.body.get("asked", []) if answer.ok and isinstance(answer.body, dict) else None
        return await diagnostics_view(
            v,
            status=200 if answer.ok else answer.status,
            preview=None,
            file=None,
            asked=asked,
            problem=None if answer.ok else problem_of(answer),
        )

    # --- workshops (ateliers de partage des ressources) --------------------------------------------------

    async def animated_territories(v: Visit) -> list[dict[str, Any]]:
        territories = listing_of(await v.backend.get("reporting", "/territories"))
        return [territory for territory in territories if territory.get("status") == "approved"]

    @router.get("/animation/ateliers", response_class=HTMLResponse)
    async def workshops_page(v: VisitDep) -> Response:
        """The territory's workshops, and the form that prepares one from its actors."""
        if (refused := animateurs_only(v)) is not None:
            return refused
        return await workshops_view(v)

    async def workshops_view(
        v: Visit,
        *,
        status: int = 200,
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        general: list[str] | None = None,
    ) -> Response:
        territories = await animated_territories(v)
        views = []
        for territory in territories:
            actors, held = await asyncio.gather(
                v.backend.get("reporting", f"/territories/{territory['id']}/actors"),
                v.backend.get("reporting", f"/territories/{territory['id']}/workshops"),
            )
            views.append({**territory, "actors": listing_of(actors), "workshops": listing_of(held)})
        return pages.render(
            v,
            "workshops",
            "Ateliers de partage des ressources",
            status=status,
            territories=views,
            values=values or {"held_on": date.today().isoformat(), "request_id": uuid.uuid4().hex},
            errors=errors or {},
            general=general or [],
        )

    @router.post("/animation/ateliers", response_class=HTMLResponse)
    async def create_workshop(v: VisitDep) -> Response:
        """`POST /api/v1/territories/{id}/workshops`, then the workshop's page."""
        if (refused := animateurs_only(v)) is not None:
            return refused
        form = await v.form()
        chosen = [value for value in form.getlist("participants") if isinstance(value, str)]
        values = {
            "title": forms.text(form, "title"),
            "held_on": forms.text(form, "held_on"),
            "place": forms.text(form, "place"),
            "participants": chosen,
            "request_id": uuid.uuid4().hex,
        }
        path = f"/territories/{quote(forms.text(form, 'territory_id'), safe='')}/workshops"

        async def prepare(key: str | None) -> Answer:  # the page's id as Idempotency-Key: a double click, one workshop
            return await v.backend.call(
                "POST",
                "reporting",
                path,
                headers={"Idempotency-Key": key} if key else None,
                json={
                    "title": values["title"],
                    "held_on": values["held_on"],
                    "place": values["place"] or None,
                    "participants": chosen,
                },
            )

        answer = await prepare(forms.request_key(form))
        if answer.status == 422 and forms.key_reused(answer.body):
            answer = await prepare(uuid.uuid4().hex)
        if answer.ok and isinstance(answer.body, dict):
            return pages.redirect(v, f"/animation/ateliers/{answer.body['id']}?avis=atelier")
        errors, general = forms.field_errors(
            answer.body.get("detail") if isinstance(answer.body, dict) else None,
            {"title": "title", "held_on": "held_on", "place": "place", "participants": "participants"},
        )
        return await workshops_view(
            v,
            status=answer.status,
            values=values,
            errors=errors,
            general=general or ([] if errors else [problem_of(answer)]),
        )

    @router.get("/animation/ateliers/{workshop_id}", response_class=HTMLResponse)
    async def workshop_page(workshop_id: str, v: VisitDep) -> Response:
        """The page projected in the room: the participants on the map, the pistes among them ranked, their
        resources by family; the animateur notes each choice as it is made."""
        if (refused := animateurs_only(v)) is not None:
            return refused
        return await workshop_view(v, workshop_id)

    async def workshop_view(v: Visit, workshop_id: str, *, status: int = 200, problem: str | None = None) -> Response:
        answer = await v.backend.get("reporting", f"/workshops/{quote(workshop_id, safe='')}")
        if not answer.ok or not isinstance(answer.body, dict):
            return pages.render(
                v,
                "message",
                "Atelier introuvable",
                status=answer.status if answer.status >= 400 else 502,
                message=problem_of(answer),
            )
        return pages.render(v, "workshop", answer.body["title"], status=status, view=answer.body, problem=problem)

    @router.post("/animation/ateliers/{workshop_id}/choix", response_class=HTMLResponse)
    async def workshop_choice(workshop_id: str, v: VisitDep) -> Response:
        """A piste kept or set aside, or the ticked ones merged into one, with the room's note."""
        if (refused := animateurs_only(v)) is not None:
            return refused
        form = await v.form()
        matches = [value for value in form.getlist("matches") if isinstance(value, str)]
        choice = forms.text(form, "choice")
        answer = await v.backend.call(
            "POST",
            "reporting",
            f"/workshops/{quote(workshop_id, safe='')}/choices",
            json={"matches": matches, "choice": choice, "note": forms.text(form, "note") or None},
        )
        if answer.ok:
            anchor = f"#piste-{matches[0]}" if matches else ""
            return pages.redirect(v, f"/animation/ateliers/{quote(workshop_id, safe='')}?avis=choix-{choice}{anchor}")
        return await workshop_view(v, workshop_id, status=answer.status, problem=problem_of(answer))

    @router.post("/animation/territoire", response_class=HTMLResponse)
    async def declare_territory(v: VisitDep) -> Response:
        """`POST /api/v1/territories`: the collectivité's own EPCI, another EPCI chosen by its name, or communes by
        INSEE code; with « Voir sur la carte », `POST /api/v1/territories/preview` first, nothing written."""
        v.require_account()
        form = await v.form()
        values = {k: forms.text(form, k) for k in ("territory_name", "scope", "epci_name", "communes")}
        body: dict[str, Any] = {"name": values["territory_name"]}
        if values["scope"] == "epci":
            own = await v.backend.get("reporting", "/territories/own")
            body["epci"] = own.body.get("epci") if own.ok and isinstance(own.body, dict) else None
        elif values["scope"] == "autre_epci":
            found = await v.backend.get("offers", "/epci", q=values["epci_name"] or "-", limit=2)
            named = listing_of(found)
            if len(named) != 1:
                return await animation_page(
                    v,
                    status=422,
                    values=values,
                    errors={
                        "epci_name": (
                            "Choisissez l'intercommunalité dans la liste proposée : tapez quelques mots de son nom "
                            "ou le nom d'une de ses communes."
                            if values["epci_name"]
                            else REQUIRED
                        )
                    },
                )
            body["epci"], values["epci_name"] = named[0]["siren"], named[0]["value"]
        else:
            body["communes"] = [code for code in values["communes"].replace(",", " ").split() if code]
        if "apercu" in form:
            answer = await v.backend.post("reporting", "/territories/preview", body)
            if answer.ok and isinstance(answer.body, dict):
                return await animation_page(v, values=values, preview=answer.body)
        else:
            answer = await v.backend.post("reporting", "/territories", body)
            if answer.status == 201:
                return pages.redirect(v, "/animation?avis=territoire")
        errors, general = forms.field_errors(
            answer.body.get("detail") if isinstance(answer.body, dict) else None, forms.TERRITORY_FIELDS
        )
        return await animation_page(
            v,
            status=422 if answer.status in (409, 422) else answer.status,
            values=values,
            errors=errors,
            general=general or ([] if errors else [problem_of(answer)]),
        )

    @router.post("/animation/role")
    async def request_animateur_role(v: VisitDep) -> Response:
        """`POST /api/v1/role-requests`: a collectivité's user asks the platform's team to make it animateur."""
        v.require_account()
        await v.form()
        answer = await v.backend.post("offers", "/role-requests", {"role": "animateur"})
        if answer.ok:
            return pages.redirect(v, "/animation?avis=role-demande")
        return await animation_page(v, status=answer.status, general=[problem_of(answer)])

    async def decide(
        v: Visit,
        decision: str,
        words: tuple[str, str],
        service: ServiceName,
        path: str,
        field: str,
        notices: tuple[str, str],
        **more: bool,
    ) -> Response:
        """A platform team's yes or no (`words`: the page's two verbs), then the animation page with its notice."""
        v.require_account()
        await v.form()
        if decision not in words:
            return pages.render(v, "message", "Action inconnue", status=404, message="Cette action n'existe pas.")
        yes = decision == words[0]
        answer = await v.backend.post(service, path, {field: yes, **more})
        if answer.ok:
            return pages.redirect(v, f"/animation?avis={notices[0] if yes else notices[1]}")
        return await animation_page(v, status=answer.status, general=[problem_of(answer)])

    @router.post("/animation/roles/{request_id}/{decision}")
    async def decide_role_request(request_id: str, decision: str, v: VisitDep) -> Response:
        """`POST /api/v1/role-requests/{id}/decision`: the platform's team grants or refuses the role."""
        return await decide(
            v,
            decision,
            ("accorder", "refuser"),
            "offers",
            f"/role-requests/{request_id}/decision",
            "granted",
            ("role-accorde", "role-refuse"),
        )

    @router.post("/animation/lecons", response_class=HTMLResponse)
    async def teach(v: VisitDep) -> Response:
        """`POST /api/v1/resources/teachings`: the words of a listing Boucle could not place name this resource."""
        v.require_account()
        form = await v.form()
        label = forms.text(form, "resource")
        found = await v.backend.get("matching", "/resources", q=label, limit=5) if label else None
        node = next((r["id"] for r in listing_of(found) if r["label"] == label), None) if found else None
        if node is None:
            return await animation_page(
                v,
                status=422,
                general=[
                    f"Ressource « {label} » inconnue : choisissez-la dans la liste proposée en tapant."
                    if label
                    else "Indiquez la ressource que désignent ces mots."
                ],
            )
        answer = await v.backend.post(
            "matching",
            "/resources/teachings",
            {"phrase": forms.text(form, "phrase"), "node_id": node, "listing_id": forms.optional(form, "listing_id")},
        )
        if answer.ok:
            return pages.redirect(v, "/animation?avis=lecon")
        return await animation_page(v, status=answer.status, general=[problem_of(answer)])

    @router.post("/animation/demandes/{territory_id}/{decision}")
    async def decide_claim(territory_id: str, decision: str, v: VisitDep) -> Response:
        """`POST /api/v1/territories/{id}/decision`: the platform's team approves or refuses a claim, or settles a
        dispute by handing the EPCI over (« transferer »)."""
        path = f"/territories/{territory_id}/decision"
        if decision == "transferer":
            return await decide(
                v,
                "valider",
                ("valider", "refuser"),
                "reporting",
                path,
                "approved",
                ("territoire-transfere", "territoire-refuse"),
                transfer=True,
            )
        return await decide(
            v,
            decision,
            ("valider", "refuser"),
            "reporting",
            path,
            "approved",
            ("territoire-valide", "territoire-refuse"),
        )

    @router.post("/animation/tableau")
    async def dashboard(v: VisitDep) -> Response:
        """`POST /api/v1/territories/{id}/dashboard-link`, then off to the dashboard."""
        v.require_account()
        form = await v.form()
        territory = forms.text(form, "territory_id")
        answer = await v.backend.post("reporting", f"/territories/{territory}/dashboard-link")
        if answer.ok and isinstance(answer.body, dict) and "url" in answer.body:
            return pages.redirect(v, answer.body["url"])
        return pages.render(
            v, "message", "Tableau de bord indisponible", status=answer.status, message=problem_of(answer)
        )

    return router


def shown(value: float | None) -> str:
    """A number as the visitor would type it back (`1,5`)."""
    return format_number(value) if value is not None else ""


def problem_of(answer: Answer) -> str:
    """A refused action in one French sentence."""
    detail = answer.body.get("detail") if isinstance(answer.body, dict) else None
    if isinstance(detail, list):
        _, general = forms.field_errors(detail, {})
        return " ".join(general)
    return answer.detail() or "Cette action n'a pas abouti, réessayez."
