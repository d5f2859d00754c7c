"""HTTP helpers shared by the services: field errors and the caller's identity.

Every 4xx body has FastAPI's shape, `{"detail": ...}`; errors about one input field use
the same list form as request validation, so clients read both the same way:
`{"detail": [{"loc": ["body", "commune"], "msg": "…", "type": "value_error"}]}`.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import httpx
from fastapi import HTTPException, Request


def field_error(field: str | tuple[str, ...], message: str, *, status_code: int = 422,
                where: str = "body") -> HTTPException:
    """An HTTP error naming the input field at fault."""
    path = (field,) if isinstance(field, str) else field
    return HTTPException(status_code, detail=[{"loc": [where, *path], "msg": message, "type": "value_error"}])


def bearer_token(request: Request) -> str:
    """The token of `Authorization: Bearer <token>`, or 401."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, detail="Jeton d'accès manquant : en-tête « Authorization: Bearer <jeton> » attendu.",
                            headers={"WWW-Authenticate": "Bearer"})
    return token.strip()


def hash_token(token: str) -> str:
    """What is stored of a token: its SHA-256 (tokens are random, 256 bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Caller:
    """The organisation on whose behalf a request is made."""

    organisation_id: str
    name: str


class RemoteAuthenticator:
    """Resolves a bearer token through the offers service, which owns organisations.

    Used by the services that do not hold credentials; answers are cached briefly so a
    page of reads costs one call.
    """

    def __init__(self, offers_url: str, ttl_seconds: float = 30.0):
        self.offers_url = offers_url.rstrip("/")
        self.ttl = ttl_seconds
        self._cache: dict[str, tuple[float, Caller]] = {}

    async def __call__(self, request: Request) -> Caller:
        token = bearer_token(request)
        key = hash_token(token)
        hit = self._cache.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                response = await client.get(f"{self.offers_url}/api/v1/organisations/me",
                                            headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            raise HTTPException(503, detail="Service des organisations injoignable, réessayez.") from exc
        if response.status_code == 401:
            raise HTTPException(401, detail="Jeton d'accès invalide.", headers={"WWW-Authenticate": "Bearer"})
        if response.status_code != 200:
            raise HTTPException(503, detail="Service des organisations indisponible, réessayez.")
        body = response.json()
        caller = Caller(organisation_id=body["id"], name=body["name"])
        self._cache[key] = (time.monotonic() + self.ttl, caller)
        return caller
