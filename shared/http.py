"""HTTP helpers shared by the services: field errors and the caller's identity.

Every 4xx body has FastAPI's shape, `{"detail": ...}`; errors about one input field use
the same list form as request validation, so clients read both the same way:
`{"detail": [{"loc": ["body", "commune"], "msg": "…", "type": "value_error"}]}`.
"""

from __future__ import annotations

import functools
import hashlib
import re
import ssl
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel


class Problem(BaseModel):
    """An error: a French message, or the input fields at fault (`loc`, `msg`, `type`)."""

    detail: str | list[dict[str, Any]]


PROBLEMS = {
    400: "Corps de requête illisible (pas du JSON en UTF-8).",
    401: "Jeton d'accès ou session manquant ou invalide.",
    403: "Pas permis à cet appelant (rôle, jeton CSRF, adresse non confirmée, territoire d'un autre).",
    404: "Introuvable, ou pas à vous : l'existence de ce qui n'est pas à vous reste privée.",
    409: "Contraire à l'état présent (déjà répondu, étape passée, déjà existant…).",
    413: "Trop lourd : le corps ou le fichier envoyé dépasse la taille permise.",
    429: "Trop de tentatives : réessayez plus tard.",
}


# A client's own name for one creating POST (a UUID, say); printable ASCII, as in the IETF Idempotency-Key
# draft. The same key again, from the same caller on the same route, finds what the first try made.
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[!-~]+$")
]
_IDEMPOTENT_IDS = uuid.UUID("6f2c1d3e-8a4b-5c6d-9e0f-1a2b3c4d5e6f")


def idempotent_id(key: str | None, *scope: str) -> str:
    """The id of what a creating POST makes: new each time, or, with an `Idempotency-Key`, derived from the key
    and its scope (caller, route, parent), so that a retry lands on the row its first try made."""
    return str(uuid.uuid4()) if key is None else str(uuid.uuid5(_IDEMPOTENT_IDS, "\x1f".join((*scope, key))))


def replayed(response: Response, same_request: bool) -> None:
    """A retry found what its first try made: mark the answer `Idempotent-Replayed`, or refuse (422 naming the
    header) a key this caller already used for another request."""
    if not same_request:
        raise field_error(
            "Idempotency-Key",
            "Cette clé d'idempotence a déjà servi pour une autre requête : "
            "prenez-en une nouvelle pour chaque création.",
            where="header",
        )
    response.headers["Idempotent-Replayed"] = "true"


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the errors a route may answer besides 422 (which FastAPI documents)."""
    return {code: {"model": Problem, "description": PROBLEMS[code]} for code in codes}


def refuse_nul(request: Request) -> None:
    """A NUL character in the path or the query is refused before any lookup: PostgreSQL cannot compare
    text holding one (it was a 500 there). Routers add it as a dependency."""
    if "\x00" in request.url.path or any("\x00" in key + value for key, value in request.query_params.multi_items()):
        raise HTTPException(400, detail="Caractère NUL interdit dans l'adresse.")


def origin_of(url: str) -> str:
    """The origin of a URL as a browser writes it in `Origin`: scheme and host in lower case, the port only when it
    is not the scheme's default (`https://Boucle.example:443/x` → `https://boucle.example`); "" if unreadable."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if not scheme or not host:
        return ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" if port is None or port == default else f"{scheme}://{host}:{port}"


def from_another_origin(request: Request, own_origin: str) -> bool:
    """Whether a browser sent this request from a page that is not ours (`own_origin`, e.g. the public URL's): a
    form that acts on a visitor's behalf refuses it (login CSRF, issue 18).

    Foreign: `Sec-Fetch-Site: cross-site`; an `Origin` header naming another origin; `Sec-Fetch-Site: same-site`
    (a sibling subdomain) unless its `Origin` is ours. `Origin: null` (a sandboxed frame, a redirect, or any page
    served with `Referrer-Policy: no-referrer`, as the gateway serves the `/liens/` pages) is ours only with
    `Sec-Fetch-Site: same-origin`, which a page cannot forge (a browser too old to send it is refused). A request
    with neither header is no browser's form from another page (every current browser sends `Origin` with a
    POST): scripts and tests pass."""
    site = (request.headers.get("sec-fetch-site") or "").strip().lower()
    origin = request.headers.get("origin")
    ours = origin_of(own_origin)
    if site == "cross-site":
        return True
    if origin is not None and origin.strip().lower() == "null":
        return site != "same-origin"
    if origin is not None and (not ours or origin_of(origin) != ours):
        return True
    return site == "same-site" and origin is None


def field_error(
    field: str | tuple[str, ...], message: str, *, status_code: int = 422, where: str = "body"
) -> HTTPException:
    """An HTTP error naming the input field at fault."""
    path = (field,) if isinstance(field, str) else field
    return HTTPException(status_code, detail=[{"loc": [where, *path], "msg": message, "type": "value_error"}])


REQUIRED = "Ce champ est obligatoire."


def french(item: Mapping[str, Any], *, form: bool = False) -> str:
    """One validation error in French: the service's own sentence, or pydantic's put into French.

    `form`: worded for a person filling the portal's form (« Choisissez l'une des valeurs proposées »)
    rather than for an API client (which is told the values allowed)."""
    kind = str(item.get("type", ""))
    ctx = item.get("ctx") or {}
    message = str(item.get("msg", ""))
    if kind == "missing":
        return REQUIRED
    if kind == "string_too_short":
        least = ctx.get("min_length", 1)
        # blank: the input is empty, or (an error relayed by a service, without its input) was said to be
        blank = not str(item.get("input", "x")).strip() or message == REQUIRED
        return REQUIRED if least == 1 or blank else f"{least} caractères au moins."
    if kind == "string_too_long":
        return f"{ctx.get('max_length')} caractères au plus."
    if kind == "too_long":  # a constrained text's length is checked after its validators: also « too_long »
        what = "caractères" if isinstance(item.get("input"), str) else "éléments"
        return f"{ctx.get('max_length')} {what} au plus."
    if kind in ("float_parsing", "float_type"):
        return "Un nombre est attendu (par exemple 2,5)."
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "Un nombre entier est attendu."
    if kind in ("bool_parsing", "bool_type"):
        return "Oui ou non attendu (true ou false)."
    if kind in ("string_type", "string_sub_type"):
        return "Un texte est attendu."
    if kind in ("list_type", "tuple_type", "set_type"):
        return "Une liste est attendue."
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "Un objet JSON est attendu ({…})."
    if kind in ("greater_than", "greater_than_equal"):
        return (
            "Indiquez une valeur plus grande que zéro."
            if ctx.get("gt") == 0
            else f"La valeur doit être au moins {ctx.get('ge', ctx.get('gt'))}."
        )
    if kind in ("less_than", "less_than_equal"):
        return f"La valeur doit être au plus {ctx.get('le', ctx.get('lt'))}."
    if kind in ("literal_error", "enum"):
        if form:
            return "Choisissez l'une des valeurs proposées."
        expected = re.sub(r"\bor\b", "ou", str(ctx.get("expected", "")))
        return f"Valeur inconnue : attendu {expected}." if expected else "Valeur inconnue."
    if kind == "string_pattern_mismatch":
        return "Format inattendu."
    if kind.startswith("date"):
        return "Date attendue (jj/mm/aaaa)." if form else "Date attendue au format AAAA-MM-JJ."
    if kind.startswith("datetime"):
        return "Date et heure attendues (AAAA-MM-JJTHH:MM:SS)."
    if kind == "extra_forbidden":
        return "Champ inattendu." if form else "Champ inconnu : retirez-le ou vérifiez son nom."
    if kind in ("json_invalid", "json_type"):
        return "JSON illisible."
    if "email address" in message:
        return "Adresse email invalide (par exemple prenom.nom@entreprise.fr)."
    if kind in ("value_error", "assertion_error"):
        return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")  # the service's own French
    if form or not message.isascii():
        return message  # already French (a service's answer, read by the portal)
    return "Valeur invalide."


# More checks for a body that failed validation: (path, raw body) → further errors as {loc, msg, type}.
FurtherChecks = Callable[[str, Any], list[dict[str, Any]]]


def french_validation_errors(further: FurtherChecks | None = None) -> Callable[..., Any]:
    """The handler answering FastAPI's 422 with every message in French (same shape: `loc`, `msg`, `type`).

    `further` adds the errors of a service's own rules on the same body (a commune unknown, a SIRET's key), so
    that a form gets every error at once rather than in waves."""

    async def handler(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = []
        for error in exc.errors():
            item: dict[str, Any] = {
                "loc": list(error.get("loc", ())),
                "msg": french(error),
                "type": error.get("type", "value_error"),
            }
            ctx = {
                key: value
                for key, value in (error.get("ctx") or {}).items()
                if isinstance(value, str | int | float | bool)
            }  # the limits (min_length, gt…) a form may word
            if ctx:
                item["ctx"] = ctx
            detail.append(item)
        if further is not None:
            reported = {tuple(item["loc"]) for item in detail}
            detail += [item for item in further(request.url.path, exc.body) if tuple(item["loc"]) not in reported]
        return JSONResponse(status_code=422, content={"detail": detail})

    return handler


def speak_french(app: FastAPI, further: FurtherChecks | None = None) -> None:
    """Every request validation error of `app` answers in French, never pydantic's English."""
    app.add_exception_handler(RequestValidationError, french_validation_errors(further))


def bearer_token(request: Request) -> str:
    """The token of `Authorization: Bearer <token>`, or 401."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(
            401,
            detail="Jeton d'accès manquant : en-tête « Authorization: Bearer <jeton> » attendu.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


def hash_token(token: str) -> str:
    """What is stored of a token: its SHA-256 (tokens are random, 256 bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Caller:
    """Who a request is made by: an organisation, through one of its users or an API token."""

    organisation_id: str
    name: str
    role: str = "org_admin"  # member | org_admin | animateur | platform_admin; org_admin for an API token
    user_id: str | None = None  # None for an API token


SESSION_COOKIE = "boucle_session"


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The certificate store for calls between services, loaded once per process: an httpx client made without
    it loads the CA bundle again, some 20 ms of CPU, which a per-request client paid on every call."""
    return ssl.create_default_context()


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class RemoteAuthenticator:
    """Resolves the caller through the offers service, which owns organisations, users and sessions.

    Forwards the credentials (`Authorization`, or the `boucle_session` cookie with `X-CSRF-Token`)
    and the request's method in `X-Boucle-Method`: offers answers 401 for bad credentials and
    403 for a cookie request that changes something without its CSRF token. Used by the
    services that do not hold credentials. Answers to safe methods are cached a few seconds, so
    a page of reads costs one call; an unsafe request always asks, so a revoked token or a closed
    session changes nothing anywhere from the moment it is revoked.
    """

    def __init__(self, offers_url: str, ttl_seconds: float = 5.0):
        self.offers_url = offers_url.rstrip("/")
        self.ttl = ttl_seconds
        self._cache: dict[tuple[str, str], tuple[float, Caller]] = {}

    async def __call__(self, request: Request) -> Caller:
        headers = {"X-Boucle-Method": request.method.upper()}
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie and "authorization" not in request.headers:
            credential = headers["Cookie"] = f"{SESSION_COOKIE}={cookie}"
            if request.headers.get("x-csrf-token"):
                headers["X-CSRF-Token"] = request.headers["x-csrf-token"]
        else:  # the token wins when both are sent, as in offers; 401 when there is neither
            credential = headers["Authorization"] = f"Bearer {bearer_token(request)}"
        safe = request.method.upper() in SAFE_METHODS
        key = (hash_token(credential), hash_token(headers.get("X-CSRF-Token", "")))
        hit = self._cache.get(key) if safe else None
        if hit and hit[0] > time.monotonic():
            return hit[1]
        try:
            async with httpx.AsyncClient(timeout=5.0, verify=tls_context()) as client:
                response = await client.get(f"{self.offers_url}/api/v1/organisations/me", headers=headers)
        except httpx.HTTPError as exc:
            raise HTTPException(503, detail="Service des organisations injoignable, réessayez.") from exc
        if response.status_code in (401, 403):
            detail = (
                response.json().get("detail")
                if response.headers.get("content-type", "").startswith("application/json")
                else None
            )
            fallback = "Jeton d'accès invalide." if response.status_code == 401 else "Accès refusé."
            raise HTTPException(
                response.status_code,
                detail=detail or fallback,
                headers={"WWW-Authenticate": "Bearer"} if response.status_code == 401 else None,
            )
        if response.status_code != 200:
            raise HTTPException(503, detail="Service des organisations indisponible, réessayez.")
        body = response.json()
        caller = Caller(
            organisation_id=body["id"],
            name=body["name"],
            role=body.get("role", "org_admin"),
            user_id=body.get("user_id"),
        )
        if safe:
            now = time.monotonic()
            if len(self._cache) > 10_000:  # forget the stale entries now and then
                self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            self._cache[key] = (now + self.ttl, caller)
        return caller
