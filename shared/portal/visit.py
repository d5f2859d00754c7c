"""Who is visiting, the token their forms carry, and how a page is answered.

A signed-in visitor's forms carry their session's CSRF token (the one the services check in the
`X-CSRF-Token` header). Before a session exists, forms carry a random token also kept in the cookie
`boucle_portail` (double submit): a page elsewhere can neither read it nor set it, so it cannot post
a form here in the visitor's name (sign-up, login).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.datastructures import FormData

from shared.http import SESSION_COOKIE
from shared.portal import vocabulary
from shared.portal.backend import Backend
from shared.settings import Settings
from shared.units import format_number

FORM_COOKIE = "boucle_portail"


class LoginRequired(Exception):
    """The page is for signed-in visitors: off to the login page, and back here after."""

    def __init__(self, path: str):
        self.path = path


class FormRefused(Exception):
    """A form came without the token of this visitor's pages (403)."""


class ServiceDown(Exception):
    """offers could not say who the visitor is (503)."""


@dataclass
class Visit:
    """One request to a page: the visitor's account (None when signed out) and their backend calls."""

    request: Request
    backend: Backend
    account: dict[str, Any] | None
    form_token: str
    new_form_cookie: str | None = None
    cookies: list[str] = field(default_factory=list)  # Set-Cookie values from the services, to pass on

    @property
    def role(self) -> str | None:
        return self.account["user"].get("role") if self.account else None

    def require_account(self) -> dict[str, Any]:
        if self.account is None:
            raise LoginRequired(self.request.url.path)
        return self.account

    async def form(self) -> FormData:
        """The posted form, once its CSRF token is checked against this visitor's."""
        form = await self.request.form()
        sent = form.get("csrf_token")
        if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), self.form_token.encode()):
            raise FormRefused()
        return form


async def open_visit(request: Request, settings: Settings) -> Visit:
    """Who is there: `GET /api/v1/session` with their cookie (no cookie, no call)."""
    backend = Backend(
        request.app.state.client,
        settings,
        request.cookies.get(SESSION_COOKIE),
        request.client.host if request.client else None,
    )
    account, cookies = None, []
    if backend.session:
        answer = await backend.get("offers", "/session")
        if answer.status >= 500:
            raise ServiceDown()
        if answer.status == 200 and isinstance(answer.body, dict):
            account = answer.body
            backend.csrf = account.get("csrf_token")
        cookies = answer.cookies  # a session slid forward, or a dead one cleared
    anonymous = request.cookies.get(FORM_COOKIE, "")
    new = None
    if len(anonymous) < 32:
        anonymous = new = secrets.token_urlsafe(32)
    token = account["csrf_token"] if account and account.get("csrf_token") else anonymous
    return Visit(request, backend, account, token, new, cookies)


def page_templates() -> Environment:
    """The portal's templates (`shared/templates/portal/`) over the shared base layout."""
    env = Environment(
        loader=PackageLoader("shared", "templates"),
        autoescape=select_autoescape(),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date_fr"] = date_fr
    env.filters["number_fr"] = lambda value: format_number(float(value)) if value is not None else ""
    env.filters["decimal_fr"] = decimal_fr
    env.filters["km"] = km
    env.globals["words"] = vocabulary
    return env


class Pages:
    """Renders the portal's pages for a visit: the layout's values, and the cookies to set."""

    def __init__(self, settings: Settings):
        self.env = page_templates()
        self.env.globals["operator"] = {  # the legal pages' details; « à renseigner » until the operator sets them
            name: getattr(settings, name) or ""
            for name in (
                "operator_name",
                "operator_address",
                "operator_email",
                "publication_director",
                "host_name",
                "host_address",
                "dpo_email",
            )
        }
        self.secure = settings.secure_cookies  # as the session cookie is

    def render(self, visit: Visit, name: str, title: str, *, status: int = 200, **values: Any) -> Response:
        html = self.env.get_template(f"portal/{name}.html").render(
            title=title,
            account=visit.account,
            role=visit.role,
            csrf=visit.form_token,
            here=visit.request.url.path,
            notice=visit.request.query_params.get("avis"),
            **values,
        )
        return self.finish(visit, HTMLResponse(html, status_code=status))

    def redirect(self, visit: Visit, url: str) -> Response:
        return self.finish(visit, RedirectResponse(url, status_code=303))

    def finish(self, visit: Visit, response: Response) -> Response:
        if visit.new_form_cookie:
            response.set_cookie(
                FORM_COOKIE, visit.new_form_cookie, httponly=True, secure=self.secure, samesite="strict", path="/"
            )
        for cookie in visit.cookies:
            response.headers.append("set-cookie", cookie)
        return response


def date_fr(value: str | date | datetime | None) -> str:
    """`2026-03-12` (or a datetime) → `12/03/2026`."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else date.fromisoformat(value)
    return value.strftime("%d/%m/%Y")


def km(value: float | None) -> str:
    """A distance as people say it: `800 m`, `4,5 km`, `38 km`."""
    if value is None:
        return ""
    if value < 1:
        return f"{round(value * 1000, -2):.0f} m"
    return f"{format_number(round(value, 1) if value < 10 else round(value))} km"


def next_page(raw: str | None, default: str = "/espace") -> str:
    """Where to go after signing in: a path of this site only (never `//elsewhere`)."""
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return default


def decimal_fr(value: float | None) -> str:
    """A number as a form field shows it for correction: every digit kept, a decimal comma (`1,25`, `360`)."""
    if value is None:
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number).replace(".", ",")
