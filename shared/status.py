"""The state of a Boucle: each service's /healthz and the broker, as JSON (`/healthz`) and as a page (`/etat`)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from shared.kafka import broker_reachable
from shared.pages import page_environment
from shared.settings import SERVICES, Settings


async def collect(settings: Settings, client: httpx.AsyncClient) -> dict[str, Any]:
    """Each service's own health report (or why it has none), the broker, and `ok` when all are well."""
    report: dict[str, Any] = {"ok": True}
    for name in SERVICES:
        try:
            answer = await client.get(f"{settings.service_url(name)}/healthz", timeout=3.0)
            report[name] = answer.json() if answer.status_code in (200, 503) else answer.status_code
            ok = answer.status_code == 200
        except httpx.HTTPError:
            report[name], ok = "injoignable", False
        report["ok"] = report["ok"] and ok
    report["broker"] = broker_reachable(settings)
    report["ok"] = report["ok"] and report["broker"]
    return report


def status_router(settings: Settings) -> APIRouter:
    router = APIRouter()
    env = page_environment("shared")

    @router.get("/healthz")
    async def healthz(request: Request) -> JSONResponse:
        """Each service's own /healthz and the broker; 200 only when all are well."""
        report = await collect(settings, request.app.state.client)
        return JSONResponse(report, status_code=200 if report["ok"] else 503)

    @router.get("/etat", response_class=HTMLResponse, include_in_schema=False)
    async def status_page(request: Request) -> HTMLResponse:
        """The same, for a person: one line per service and the broker."""
        report = await collect(settings, request.app.state.client)
        html = env.get_template("status/status.html").render(title="État de Boucle", report=report,
                                                             services=SERVICES)
        return HTMLResponse(html, status_code=200 if report["ok"] else 503)

    return router
