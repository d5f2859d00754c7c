"""The services' APIs as the portal's visitor: their session cookie, and the CSRF header on unsafe calls.

The portal runs in the gateway and calls each service directly (not through :8000 again).
A service that cannot be reached answers like a 503 of its own, so pages have one path for failures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from shared.http import SESSION_COOKIE
from shared.settings import ServiceName, Settings

CSRF_HEADER = "X-CSRF-Token"
UNAVAILABLE = "Ce service est momentanément indisponible. Réessayez dans un instant."


@dataclass(frozen=True)
class Answer:
    """A service's answer: status, JSON body (or None) and headers (for `Set-Cookie`)."""

    status: int
    body: Any
    headers: httpx.Headers

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def cookies(self) -> list[str]:
        """The `Set-Cookie` values, to pass on to the browser."""
        return self.headers.get_list("set-cookie")

    def detail(self) -> str:
        """The error's French message when it is a sentence (not a list of field errors)."""
        detail = self.body.get("detail") if isinstance(self.body, dict) else None
        return detail if isinstance(detail, str) else UNAVAILABLE if self.status >= 500 else ""


class Backend:
    """One visitor's calls to the services, with their cookie; `csrf` is added to unsafe calls."""

    def __init__(
        self, client: httpx.AsyncClient, settings: Settings, session: str | None, client_address: str | None = None
    ):
        self.client = client
        self.settings = settings
        self.session = session
        self.csrf: str | None = None
        self.client_address = client_address

    def headers(self, method: str) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.session:
            headers["Cookie"] = f"{SESSION_COOKIE}={self.session}"
        if self.csrf and method not in ("GET", "HEAD"):
            headers[CSRF_HEADER] = self.csrf
        if self.client_address:  # offers throttles logins per client address
            headers["X-Forwarded-For"] = self.client_address
        return headers

    async def call(
        self,
        method: str,
        service: ServiceName,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> Answer:
        """`method` on `/api/v1<path>` of `service`; `files`: a multipart body (name → file name, content, type)."""
        try:
            response = await self.client.request(
                method,
                f"{self.settings.service_url(service)}/api/v1{path}",
                json=json,
                params=params,
                files=files,
                headers={**self.headers(method), **(headers or {})},
            )
        except httpx.HTTPError:
            return Answer(503, {"detail": UNAVAILABLE}, httpx.Headers())
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        return Answer(response.status_code, body, response.headers)

    async def get(self, service: ServiceName, path: str, **params: Any) -> Answer:
        return await self.call("GET", service, path, params={k: v for k, v in params.items() if v is not None})

    async def post(self, service: ServiceName, path: str, json: Any = None) -> Answer:
        return await self.call("POST", service, path, json=json)
