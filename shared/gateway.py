"""The public entry on :8000: the portal's pages (`shared.portal`), and `/api/v1/*` routed to the service that owns it.

Run: `uvicorn --factory shared.gateway:create_app --port 8000` (or `make run`).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.observability import REQUEST_SECONDS, REQUESTS, metrics_text
from shared.portal import install as install_portal
from shared.settings import SERVICES, ServiceName, Settings
from shared.status import status_router

log = logging.getLogger(__name__)

# First path segment after /api/v1/ → owning service (ARCHITECTURE.md, "Public API v1").
ROUTES: dict[str, ServiceName] = {
    "organisations": "offers",
    "listings": "offers",
    "communes": "offers",
    "epci": "offers",
    "accounts": "offers",
    "session": "offers",
    "users": "offers",
    "role-requests": "offers",
    "diagnostics": "offers",
    "matches": "matching",
    "resources": "matching",
    "notifications": "notifications",
    "synergies": "reporting",
    "reports": "reporting",
    "territories": "reporting",
    "access-log": "reporting",
    "workshops": "reporting",
}
LINKS: dict[str, ServiceName] = {
    "reponse": "matching",
    "desabonnement": "notifications",
    "annonce": "offers",
    "tableau": "reporting",
    "compte": "offers",
}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host", "content-length"}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The routing app; one HTTP client pool for all forwarded calls."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        if not settings.public_url.startswith("https://"):
            log.warning(
                "BOUCLE_PUBLIC_URL %s is not https: sessions travel in clear%s. Put Boucle behind a "
                "TLS-terminating proxy (deploy/README.md).",
                settings.public_url,
                "" if settings.secure_cookies else ", and their cookies lose Secure so that logins work",
            )
        async with httpx.AsyncClient(timeout=30.0) as client:
            app.state.client = client
            yield

    app = FastAPI(title="Boucle", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, https=settings.public_url.startswith("https://"))

    install_portal(app, settings)

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        """The gateway's request counts and latencies (Prometheus), for a scraper on a private network only."""
        if not private_client(request.client.host if request.client else None):
            return JSONResponse({"detail": "Ressource introuvable."}, status_code=404)
        body, content_type = metrics_text()
        return Response(body, media_type=content_type)

    app.include_router(status_router(settings))  # /healthz and the /etat page

    @app.get("/docs/{service}", include_in_schema=False)
    async def docs(service: str, request: Request) -> Response:
        """A service's API documentation, reading its OpenAPI document through the gateway too."""
        if service not in SERVICES:
            return JSONResponse({"detail": f"Service inconnu : {service}."}, status_code=404)
        page = await forward(request, settings.service_url(service), "/docs")
        if page.status_code != 200:
            return page
        body = bytes(page.body).replace(b"'/openapi.json'", f"'/docs/{service}/openapi.json'".encode())
        return HTMLResponse(body)

    @app.get("/docs/{service}/openapi.json", include_in_schema=False)
    async def openapi(service: str, request: Request) -> Response:
        if service not in SERVICES:
            return JSONResponse({"detail": f"Service inconnu : {service}."}, status_code=404)
        return await forward(request, settings.service_url(service), "/openapi.json")

    @app.api_route("/liens/{kind}/{token:path}", methods=["GET", "POST"], include_in_schema=False)
    async def signed_link(kind: str, token: str, request: Request) -> Response:
        """Links in emails: answer a match (matching), unsubscribe (notifications), renew or close a
        listing (offers); the territory's dashboard and its exports, `/liens/tableau/<token>/…` (reporting)."""
        service = LINKS.get(kind)
        if service is None or climbs_out(token):  # a link's sub-path never climbs out of /liens/<kind>/
            return HTMLResponse("<p>Lien inconnu.</p>", status_code=404)
        return await forward(request, settings.service_url(service), f"/liens/{kind}/{token}")

    @app.api_route("/api/v1/{path:path}", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
    async def route(path: str, request: Request) -> Response:
        service = ROUTES.get(path.split("/", 1)[0])
        if service is None or climbs_out(path):
            return JSONResponse({"detail": f"Aucune ressource « /api/v1/{path} »."}, status_code=404)
        return await forward(request, settings.service_url(service), f"/api/v1/{path}")

    pages = {route.path.strip("/").split("/", 1)[0] for route in app.routes if hasattr(route, "path")}
    app.add_middleware(RequestMetrics, pages=frozenset(pages))
    return app


class BodyLimit:
    """Refuses a request body over `max_bytes` with a French 413, before anyone buffers it: a declared
    Content-Length is checked at once, a chunked body as it comes (what was read is then replayed)."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self.refuse(send)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self.refuse(send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def refuse(self, send: Send) -> None:
        body: Any = {"detail": f"Requête trop volumineuse : {self.max_bytes // 1024} Kio au plus."}
        payload = json.dumps(body, ensure_ascii=False).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


# Every page's own scripts and styles only (the layouts carry a <style> block, no inline script), no framing,
# no plugin, no <base>. The API documentation (Swagger UI: an inline script, assets from a CDN) goes without.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


class SecurityHeaders:
    """What a browser is told with every answer of the public entry: the CSP above, no framing, no MIME
    sniffing, referrers kept on the site, HTTPS remembered (when served over it); a signed link's page is
    never cached nor sent on as a referrer (its token is in the URL). A header the service set stays."""

    def __init__(self, app: ASGIApp, https: bool):
        self.app = app
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
        ]
        if https:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        extra = list(self.headers)
        if not path.startswith("/docs/"):
            extra.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
        if path.startswith("/liens/"):
            extra = [
                (b"cache-control", b"no-store"),
                *[h for h in extra if h[0] != b"referrer-policy"],
                (b"referrer-policy", b"no-referrer"),
            ]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message = {
                    **message,
                    "headers": [*message.get("headers", []), *[(k, v) for k, v in extra if k not in present]],
                }
            await send(message)

        await self.app(scope, receive, with_headers)


def route_group(path: str, pages: frozenset[str]) -> str:
    """A request's route group for the metrics, from a bounded set: `api:<segment>` of an owned API path,
    `liens:<kind>`, a portal page's first segment, else `other` (an attacker's paths add no series)."""
    parts = path.strip("/").split("/")
    if parts[:2] == ["api", "v1"] and len(parts) > 2:
        return f"api:{parts[2]}" if parts[2] in ROUTES else "api:other"
    if parts[0] == "liens":
        return f"liens:{parts[1]}" if len(parts) > 1 and parts[1] in LINKS else "liens:other"
    if not parts[0]:
        return "accueil"
    return parts[0] if parts[0] in pages else "other"


def private_client(host: str | None) -> bool:
    """A loopback or private-network address (where a Prometheus scraper sits), not a visitor's."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    return address.is_loopback or address.is_private


class RequestMetrics:
    """Counts every request the gateway answers and times it, by route group, method and status."""

    def __init__(self, app: ASGIApp, pages: frozenset[str]):
        self.app, self.pages = app, pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting)
        finally:
            group = route_group(scope.get("path", "/"), self.pages)
            REQUESTS.labels(group, scope.get("method", "GET"), str(status)).inc()
            REQUEST_SECONDS.labels(group).observe(time.perf_counter() - started)


def climbs_out(path: str) -> bool:
    """A decoded path with a « . » or « .. » segment (`%2e%2e`) or a control character: the client would
    reach the service's internal routes (/metrics, /healthz), so the gateway answers 404 itself."""
    return any(part in (".", "..") for part in path.split("/")) or any(ord(c) < 32 or c == "\x7f" for c in path)


async def forward(request: Request, base_url: str, path: str) -> Response:
    """Send the request on unchanged and relay the answer."""
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
    if request.client:  # the last hop is the one offers trusts to throttle logins per client address
        forwarded = request.headers.get("x-forwarded-for")
        headers["x-forwarded-for"] = f"{forwarded}, {request.client.host}" if forwarded else request.client.host
    try:
        answer = await request.app.state.client.request(
            request.method,
            f"{base_url}{path}",
            params=request.query_params,
            headers=headers,
            content=await request.body(),
        )
    except httpx.HTTPError:
        return JSONResponse({"detail": "Service momentanément indisponible, réessayez."}, status_code=503)
    relayed = Response(answer.content, status_code=answer.status_code)
    for name, value in answer.headers.multi_items():  # several Set-Cookie stay several
        if name.lower() not in HOP_BY_HOP | {"content-encoding"}:
            relayed.headers.append(name, value)
    return relayed
