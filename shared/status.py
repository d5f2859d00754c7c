"""The state of a Boucle: each service's /healthz and the broker, as JSON (`/healthz`) and as a page (`/etat`)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from shared.kafka import broker_reachable
from shared.pages import page_environment
from shared.settings import SERVICES, ServiceName, Settings


async def collect(settings: Settings, client: httpx.AsyncClient) -> dict[str, Any]:
    """Each service's own health report (or why it has none), the broker, and `ok` when all are well. The services
    are asked together, and the broker's socket is tried off the event loop."""

    async def one(name: ServiceName) -> tuple[Any, bool]:
        try:
            answer = await client.get(f"{settings.service_url(name)}/healthz", timeout=3.0)
        except httpx.HTTPError:
            return "injoignable", False
        return (answer.json() if answer.status_code in (200, 503) else answer.status_code), answer.status_code == 200

    answers = await asyncio.gather(*(one(name) for name in SERVICES))
    report: dict[str, Any] = {name: answer for name, (answer, _) in zip(SERVICES, answers, strict=True)}
    report["broker"] = await asyncio.to_thread(broker_reachable, settings)
    report["ok"] = all(ok for _, ok in answers) and report["broker"]
    return report


def status_router(settings: Settings) -> APIRouter:
    router = APIRouter()
    env = page_environment("shared")

    @router.get("/livez")
    @router.get("/readyz")
    async def live_and_ready() -> JSONResponse:
        """The gateway needs nothing else to answer: a page whose service is away says so (« momentanément
        indisponible »), the others are served as usual. One service down must not take the site out of the load
        balancer."""
        return JSONResponse({"service": "gateway"})

    @router.get("/healthz")
    async def healthz(request: Request) -> JSONResponse:
        """Each service's own /healthz and the broker; 200 only when all are well (for monitoring, not a probe)."""
        report = await collect(settings, request.app.state.client)
        return JSONResponse(report, status_code=200 if report["ok"] else 503)

    @router.get("/etat", response_class=HTMLResponse, include_in_schema=False)
    async def status_page(request: Request) -> HTMLResponse:
        """The same, for a person: one line per service and the broker."""
        report = await collect(settings, request.app.state.client)
        html = env.get_template("status/status.html").render(title="État de Boucle", report=report, services=SERVICES)
        return HTMLResponse(html, status_code=200 if report["ok"] else 503)

    return router
