"""HTTP routes of accounts (API v1), how offers tells who calls, and the page of emailed account links.

A caller is an API token (`Authorization: Bearer …`) or a browser session (cookie
`boucle_session`, HttpOnly, Secure, SameSite=Lax). A cookie request that changes something
must carry the session's CSRF token in `X-CSRF-Token`. `GET /api/v1/organisations/me` applies
the same rules for the other services, which forward the method in `X-Boucle-Method`.
"""

import hmac
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session

from offers import accounts, diagnostics_service, erasure
from offers import accounts_service as service
from offers.accounts import NotAllowed, Principal
from offers.deps import GazetteerDep
from offers.domain import RuleBroken
from offers.models import (
    AccountCreate,
    AccountCreated,
    ApiToken,
    Credentials,
    Invitation,
    LinkRequest,
    Organisation,
    PasswordChange,
    RoleChange,
    RoleDecision,
    RoleRequest,
    RoleRequestCreate,
    RoleRequestPublic,
    SessionInfo,
    SessionOrganisation,
    SessionUser,
    TokenCreate,
    TokenCreated,
    TokenPublic,
    UserAccount,
    UserInvite,
    UserPublic,
)
from offers.service import NotFound, drafts
from shared.http import SESSION_COOKIE, bearer_token, from_another_origin, problems, refuse_nul
from shared.links import InvalidLink, LinkSigner
from shared.pages import page_environment
from shared.service import ServiceRuntime, SessionDep
from shared.settings import Settings
from shared.units import quantity_text

CSRF_HEADER = "X-CSRF-Token"
METHOD_HEADER = "X-Boucle-Method"  # the method of the request another service authenticates
LINK_PURPOSE = "account"  # signed with offers' own key (BOUCLE_ACCOUNT_LINK_SECRET), handed to the mailer
AFTER_LOGIN = "/espace"
SECURE_COOKIE = True  # `Settings.secure_cookies`, set by the app (`use_cookie_security`)


def use_cookie_security(secure: bool) -> None:
    global SECURE_COOKIE
    SECURE_COOKIE = secure


def clear_cookie() -> str:
    return f"{SESSION_COOKIE}=; Max-Age=0; Path=/;{' Secure;' if SECURE_COOKIE else ''} HttpOnly; SameSite=lax"


def now() -> datetime:
    return datetime.now(timezone.utc)


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
        path="/",
        secure=SECURE_COOKIE,
        httponly=True,
        samesite="lax",
    )


def delete_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=SECURE_COOKIE, httponly=True, samesite="lax")


@dataclass(frozen=True)
class Authenticated:
    """The caller, and its session when it came with the cookie (None for an API token)."""

    principal: Principal
    logged: service.LoggedIn | None = None


def authenticate(session: Session, request: Request, response: Response, method: str) -> Authenticated:
    """The caller of a request made with `method`, or 401 (no or bad credentials) / 403 (CSRF).

    `Authorization` wins over the cookie when both are sent.
    """
    if "authorization" in request.headers:
        principal = service.token_principal(session, bearer_token(request))
        if principal is None:
            raise HTTPException(401, detail="Jeton d'accès invalide.", headers={"WWW-Authenticate": "Bearer"})
        return Authenticated(principal)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        bearer_token(request)  # raises: no credentials at all
    logged = service.current_session(session, cookie or "", now())
    if logged is None:
        raise HTTPException(
            401,
            detail="Session expirée ou invalide : reconnectez-vous.",
            headers={"WWW-Authenticate": "Bearer", "Set-Cookie": clear_cookie()},
        )
    if not accounts.csrf_ok(method, True, request.headers.get(CSRF_HEADER), logged.web.csrf_token):
        raise HTTPException(403, detail="Jeton CSRF manquant ou invalide.")
    if logged.slid:
        set_session_cookie(response, cookie or "")  # the browser keeps it as long as the session lives
    return Authenticated(logged.principal, logged)


def authenticated(request: Request, response: Response, session: SessionDep) -> Authenticated:
    """FastAPI dependency: the caller of this request, by its own method."""
    return authenticate(session, request, response, request.method)


AuthDep = Annotated[Authenticated, Depends(authenticated)]


def session_info(logged: service.LoggedIn) -> SessionInfo:
    user, org = logged.user, logged.organisation
    return SessionInfo(
        user=SessionUser(id=user.id, name=user.name, email=user.email, role=user.role),
        organisation=SessionOrganisation(id=org.id, name=org.name, kind=org.kind),
        csrf_token=logged.web.csrf_token,
    )


def user_public(user: UserAccount | Invitation) -> UserPublic:
    """A user, or a pending invitation (not confirmed, `invited_until` its expiry)."""
    if isinstance(user, Invitation):
        return UserPublic(
            id=user.id,
            organisation_id=user.organisation_id,
            name=user.name,
            email=user.email,
            role=user.role,
            confirmed=False,
            created_at=user.created_at,
            invited_until=service.utc(user.expires_at),
        )
    return UserPublic(
        id=user.id,
        organisation_id=user.organisation_id,
        name=user.name,
        email=user.email,
        role=user.role,
        confirmed=user.confirmed_at is not None,
        created_at=user.created_at,
    )


def token_public(row: ApiToken) -> TokenPublic:
    return TokenPublic(id=row.id, label=row.label, created_at=row.created_at, revoked_at=row.revoked_at)


def rule_error(exc: RuleBroken, where: str = "body") -> HTTPException:
    """Broken rules as field errors, every one of them; `organisation.commune` names a nested field."""
    status = 409 if isinstance(exc, service.Conflict) else 422
    return HTTPException(
        status,
        detail=[
            {"loc": [where, *each.field.split(".")], "msg": each.message, "type": "value_error"} for each in exc.each()
        ],
    )


# Sign-up (routes of `account_router`), login and logout, emailed login links, API tokens, users and roles.
account_router = APIRouter(
    prefix="/api/v1", tags=["comptes"], dependencies=[Depends(refuse_nul)], responses=problems(400)
)  # an unreadable body, or a NUL in the address


def logged_in(auth: Authenticated) -> service.LoggedIn:
    if auth.logged is None:
        raise HTTPException(401, detail="Aucune session ouverte : connectez-vous.")
    return auth.logged


@account_router.post("/accounts", status_code=201, response_model=AccountCreated)
def sign_up(data: AccountCreate, session: SessionDep, gazetteer: GazetteerDep) -> AccountCreated:
    """Sign up: a new organisation and its administrator; a confirmation link is emailed to `email`.

    An address that already has an account gets the same answer, and nothing is created: its owner is emailed
    that someone tried, with a login link (whether an address has an account is not told here)."""
    try:
        created = service.sign_up(session, data, gazetteer, now())
    except RuleBroken as exc:
        raise rule_error(exc) from exc
    return AccountCreated(organisation_id=created.organisation_id, user_id=created.user_id)


@account_router.post("/session", response_model=SessionInfo, responses=problems(401, 403, 429))
def log_in(data: Credentials, request: Request, response: Response, session: SessionDep) -> SessionInfo:
    """Log in with email and password: sets the session cookie; answer 401, 403 (address not confirmed:
    the link is sent again) or 429 (5 failures in 15 minutes for this email or this client)."""
    address = accounts.client_address(
        request.headers.get("x-forwarded-for"), request.client.host if request.client else None
    )
    try:
        logged = service.log_in(session, data.email, data.password, address, now())
    except service.Throttled as exc:
        raise HTTPException(
            429, detail=str(exc), headers={"Retry-After": str(int(accounts.LOGIN_WINDOW.total_seconds()))}
        ) from exc
    except service.Unconfirmed as exc:
        raise HTTPException(403, detail=str(exc)) from exc
    except service.LoginRefused as exc:
        raise HTTPException(401, detail=str(exc)) from exc
    set_session_cookie(response, logged.token or "")
    return session_info(logged)


@account_router.post("/session/link", status_code=202)
def request_link(data: LinkRequest, session: SessionDep) -> dict[str, str]:
    """Email a login link to this address if it has an account; the answer is the same either way."""
    service.request_login_link(session, data.email, now())
    return {"detail": "Si un compte existe pour cette adresse, un lien de connexion vient d'y être envoyé."}


@account_router.get("/session", response_model=SessionInfo, responses=problems(401))
def current(auth: AuthDep) -> SessionInfo:
    """The logged-in user, its organisation and the session's CSRF token (cookie only)."""
    return session_info(logged_in(auth))


@account_router.delete("/session", status_code=204, responses=problems(401, 403))
def log_out(auth: AuthDep, session: SessionDep) -> Response:
    """Log out: the session ends everywhere and the cookie is cleared."""
    service.log_out(session, logged_in(auth).web, now())
    response = Response(status_code=204)
    delete_session_cookie(response)
    return response


@account_router.delete("/organisations/me", status_code=204, responses=problems(401, 403))
def delete_organisation(
    confirm: Annotated[str, Query(max_length=300, description="the organisation's name, typed again")],
    auth: AuthDep,
    session: SessionDep,
) -> Response:
    """Delete my organisation (its administrators, in person): its users, tokens, listings and events go; every
    service forgets it (`organisation.erased`), and the territory's figures keep its synergies, anonymous. The
    session ends and its cookie is cleared."""
    try:
        erasure.erase_own(session, logged_in(auth).principal, confirm)
    except NotAllowed as exc:
        raise HTTPException(403, detail=str(exc)) from exc
    except RuleBroken as exc:
        raise rule_error(exc, where="query") from exc
    response = Response(status_code=204)
    delete_session_cookie(response)
    return response


@account_router.delete("/users/me", status_code=204, responses=problems(401, 409))
def leave(auth: AuthDep, session: SessionDep) -> Response:
    """Delete my account (in person): my sessions, links and traces go; my organisation stays. The last user
    deletes the organisation instead, the last administrator names another first (409)."""
    principal = logged_in(auth).principal
    try:
        erasure.remove_user(session, principal, principal.user_id or "")
    except service.Conflict as exc:
        raise HTTPException(409, detail=exc.message) from exc
    response = Response(status_code=204)
    delete_session_cookie(response)
    return response


@account_router.delete("/organisations/me/users/{user_id}", status_code=204, responses=problems(401, 403, 404, 409))
def remove_colleague(user_id: str, auth: AuthDep, session: SessionDep) -> Response:
    """Remove a colleague from my organisation, or withdraw a pending invitation (its administrators, or an API
    token of it)."""
    try:
        if service.pending_invitation(session, auth.principal, user_id, now()) is not None:
            service.cancel_invitation(session, auth.principal, user_id, now())
            return Response(status_code=204)
        erasure.remove_user(session, auth.principal, user_id)
    except NotAllowed as exc:
        raise HTTPException(403, detail=str(exc)) from exc
    except NotFound as exc:
        raise HTTPException(404, detail="Utilisateur introuvable.") from exc
    except service.Conflict as exc:
        raise HTTPException(409, detail=exc.message) from exc
    return Response(status_code=204)


@account_router.put("/session/password", status_code=204, responses=problems(401, 403, 429))
def change_password(data: PasswordChange, auth: AuthDep, session: SessionDep) -> Response:
    """Set a password (or change it: `current_password` then required, throttled as a login: 429 after 5
    failures in 15 minutes); the user's other sessions and unused login links end."""
    try:
        service.change_password(session, logged_in(auth), data.password, data.current_password, now())
    except RuleBroken as exc:
        raise rule_error(exc) from exc
    except service.Throttled as exc:
        raise HTTPException(
            429, detail=str(exc), headers={"Retry-After": str(int(accounts.LOGIN_WINDOW.total_seconds()))}
        ) from exc
    return Response(status_code=204)


@account_router.get("/organisations/me/tokens", response_model=list[TokenPublic], responses=problems(401, 403))
def tokens(auth: AuthDep, session: SessionDep) -> list[TokenPublic]:
    """The organisation's API tokens, revoked ones included (administrators only)."""
    try:
        return [token_public(row) for row in service.list_tokens(session, auth.principal)]
    except NotAllowed as exc:
        raise HTTPException(403, detail=str(exc)) from exc


@account_router.post(
    "/organisations/me/tokens", status_code=201, response_model=TokenCreated, responses=problems(401, 403)
)
def create_token(data: TokenCreate, auth: AuthDep, session: SessionDep) -> TokenCreated:
    """A new API token for the organisation, shown this once (administrators only)."""
    try:
        row, token = service.create_token(session, auth.principal, data.label)
    except NotAllowed as exc:
        raise HTTPException(403, detail=str(exc)) from exc
    return TokenCreated(id=row.id, label=row.label, token=token)


@account_router.delete(
    "/organisations/me/tokens/{token_id}", response_model=TokenPublic, responses=problems(401, 403, 404)
)
def revoke_token(token_id: str, auth: AuthDep, session: SessionDep) -> TokenPublic:
    """Revoke an API token: every service refuses it from now on (administrators only)."""
    try:
        return token_public(service.revoke_token(session, auth.principal, token_id, now()))
    except NotAllowed as exc:
        raise HTTPException(403, detail=str(exc)) from exc
    except NotFound as exc:
        raise HTTPException(404, detail="Jeton introuvable.") from exc


@account_router.get("/organisations/me/users", response_model=list[UserPublic], responses=problems(401, 403))
def users(auth: AuthDep, session: SessionDep) -> list[UserPublic]:
    """The organisation's users, then its pending invitations (administrators only)."""
    try:
        users = service.list_users(session, auth.principal)
        invitations = service.list_invitations(session, auth.principal, now())
    except NotAllowed as exc:
        raise HTTPException(403, detail=str(exc)) from exc
    return [*map(user_public, users), *map(user_public, invitations)]


@account_router.post(
    "/organisations/me/users", status_code=201, response_model=UserPublic, responses=problems(401, 403, 409)
)
def invite(data: UserInvite, auth: AuthDep, session: SessionDep) -> UserPublic:
    """Invite a colleague (member or org_admin): a pending invitation, valid a week, whose emailed link makes
    their account and logs them in; its `id` is then the user's. Inviting again sends it anew.

    An address that already has an account in another organisation gets the same answer (whether an address has
    an account is not told here): its owner is emailed that a user belongs to one organisation, and that the
    link makes the new account once the other is deleted. 409 only for one of the organisation's own users."""
    try:
        invitation = service.invite_user(session, auth.principal, data, now())
    except NotAllowed as exc:
        raise HTTPException(403, detail=str(exc)) from exc
    except RuleBroken as exc:
        raise rule_error(exc) from exc
    return user_public(invitation)


@account_router.post("/users/{user_id}/role", response_model=UserPublic, responses=problems(401, 403, 404, 409))
def set_role(user_id: str, data: RoleChange, auth: AuthDep, session: SessionDep) -> UserPublic:
    """Change a user's role: a platform admin any user's and any role (animateur, platform_admin…);
    an organisation's administrator its own users' between member and org_admin (and its pending
    invitations')."""
    try:
        return user_public(service.set_member_role(session, auth.principal, user_id, data.role, now()))
    except NotAllowed as exc:
        raise HTTPException(403, detail=str(exc)) from exc
    except NotFound as exc:
        raise HTTPException(404, detail="Utilisateur introuvable.") from exc
    except RuleBroken as exc:
        raise rule_error(exc) from exc


def role_request_public(session: Session, request: RoleRequest) -> RoleRequestPublic:
    user, org = session.get(UserAccount, request.user_id), session.get(Organisation, request.organisation_id)
    return RoleRequestPublic(
        **request.model_dump(),
        user_name=user.name if user else "",
        user_email=user.email if user else "",
        organisation_name=org.name if org else "",
    )


@account_router.post("/role-requests", status_code=201, response_model=RoleRequestPublic, responses=problems(401, 403))
def request_role(data: RoleRequestCreate, auth: AuthDep, session: SessionDep) -> RoleRequestPublic:
    """A collectivité's user asks the platform's team for the animateur role (again: the pending request)."""
    try:
        made = service.request_role(session, auth.principal, data.role, now())
    except NotAllowed as exc:
        raise HTTPException(403, detail=str(exc)) from exc
    except RuleBroken as exc:
        raise rule_error(exc) from exc
    return role_request_public(session, made)


@account_router.get("/role-requests", response_model=list[RoleRequestPublic], responses=problems(401))
def role_requests(auth: AuthDep, session: SessionDep) -> list[RoleRequestPublic]:
    """Pending requests for a platform admin; the caller's own otherwise."""
    return [role_request_public(session, r) for r in service.role_requests(session, auth.principal)]


@account_router.post(
    "/role-requests/{request_id}/decision", response_model=RoleRequestPublic, responses=problems(401, 403, 404, 409)
)
def decide_role_request(request_id: str, data: RoleDecision, auth: AuthDep, session: SessionDep) -> RoleRequestPublic:
    """A platform admin grants or refuses a role request; granted, the user's role changes at once."""
    try:
        decided = service.decide_role_request(session, auth.principal, request_id, data.granted, now())
    except NotAllowed as exc:
        raise HTTPException(403, detail=str(exc)) from exc
    except NotFound as exc:
        raise HTTPException(404, detail="Demande introuvable.") from exc
    except RuleBroken as exc:
        raise rule_error(exc) from exc
    return role_request_public(session, decided)


def account_link_url(settings: Settings, signer: LinkSigner, user_id: str, nonce: str) -> str:
    """The emailed `/liens/compte/…` link."""
    return f"{settings.public_url.rstrip('/')}/liens/compte/{signer.sign(LINK_PURPOSE, u=user_id, n=nonce)}"


def build_internal_router(runtime: ServiceRuntime, signer: LinkSigner) -> APIRouter:
    """`POST /internal/account-links/{id}`: notifications' mailer gets the link of an account email as it sends
    it. Not routed by the gateway, out of the public OpenAPI; the caller shows `BOUCLE_INTERNAL_TOKEN`."""
    router = APIRouter(include_in_schema=False)
    expected = runtime.settings.internal_api_token.encode()

    @router.post("/internal/account-links/{link_id}")
    def issue(link_id: str, request: Request, session: SessionDep) -> dict[str, str]:
        if not hmac.compare_digest(bearer_token(request).encode(), expected):
            raise HTTPException(401, detail="Jeton interne invalide.")
        try:
            link, nonce = service.issue_link(session, link_id, now())
        except service.LinkRefused as exc:
            raise HTTPException(410, detail=str(exc)) from exc
        return {"url": account_link_url(runtime.settings, signer, service.link_recipient(link), nonce)}

    return router


def build_account_link_router(runtime: ServiceRuntime, signer: LinkSigner) -> APIRouter:
    """`/liens/compte/{token}`: the page of an emailed account link (confirm the address, log in, join).

    GET only shows a button (mail scanners follow links); the POST spends the single-use nonce,
    confirms the address, opens the session and sends the browser to its space.
    """
    router = APIRouter(include_in_schema=False)
    template = page_environment("offers").get_template("pages/account_link.html")
    titles = {
        "confirm": "Confirmer votre adresse",
        "invite": "Rejoindre Boucle",
        "invite_existing": "Rejoindre Boucle",
        "login": "Connexion à Boucle",
        "signup_attempt": "Connexion à Boucle",
        "diagnostic": "Le bilan de flux de votre organisation",
        "review": "Mettre à jour vos flux",
    }

    def refused(message: str, status_code: int = 400, title: str = "Lien invalide") -> HTMLResponse:
        return HTMLResponse(template.render(title=title, error=message), status_code=status_code)

    def claims(token: str) -> tuple[str, ...]:
        return signer.claims(LINK_PURPOSE, token, "u", "n")

    @router.get("/liens/compte/{token}", response_class=HTMLResponse)
    def show(token: str, session: SessionDep) -> HTMLResponse:
        try:
            user_id, nonce = claims(token)
            link = service.check_link(session, user_id, nonce, now())
        except (InvalidLink, service.LinkRefused) as exc:
            return refused(str(exc))
        if link.invitation_id is not None:
            invitation = service.invitation_view(session, link.invitation_id)
            if invitation is None:
                return refused("Cette invitation n'existe plus.")
            return HTMLResponse(
                template.render(
                    title=titles["invite"], purpose=link.purpose, name=invitation.name, invitation=invitation
                )
            )
        user = session.get(UserAccount, user_id)
        invited = diagnostics_service.invited_organisation(session, user) if link.purpose == "diagnostic" else None
        return HTMLResponse(
            template.render(
                title=titles.get(link.purpose, "Boucle"),
                purpose=link.purpose,
                name=user.name if user else "",
                organisation=invited,
                flows=drafts(session, invited) if invited else [],
                importer=session.get(Organisation, invited.imported_by) if invited else None,
                quantity_text=quantity_text,
            )
        )

    @router.post("/liens/compte/{token}")
    def use(
        token: str, request: Request, session: SessionDep, action: Annotated[str | None, Form()] = None
    ) -> Response:
        # Only our own page's button: another site, or another origin of ours (a sibling subdomain), must not log a
        # visitor into an account of its choosing.
        if from_another_origin(request, runtime.settings.public_url):
            return refused("Ce lien s'ouvre depuis votre messagerie, pas depuis un autre site.", 403)
        try:
            user_id, nonce = claims(token)
            if action == "refuser":  # an imported diagnostic refused: its organisation is deleted
                name = diagnostics_service.refuse(session, user_id, nonce, now())
                return HTMLResponse(template.render(title="Données supprimées", refused=name))
            logged, purpose = service.use_link(session, user_id, nonce, now())
        except (InvalidLink, service.LinkRefused) as exc:
            return refused(str(exc))
        except service.Conflict as exc:  # a diagnostic confirmed already; an invitation to an address of another
            return refused(exc.message, 409, "Impossible pour l'instant")  # organisation's user
        # A review request lands on the listings, where each flow is renewed, changed or closed.
        response = RedirectResponse("/annonces?avis=revue" if purpose == "review" else AFTER_LOGIN, status_code=303)
        set_session_cookie(response, logged.token or "")
        return response

    return router
