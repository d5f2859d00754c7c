"""The offers service: organisations and listings, published to Kafka through the outbox.

Run: `uvicorn --factory offers.main:create_app --port 8001` (or `make run` for the stack).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from functools import partial
from typing import Any

from fastapi import FastAPI
from sqlmodel import Session

from offers import api
from offers.accounts import SIGNED_LINK_LIFETIME
from offers.accounts_api import (
    account_router,
    build_account_link_router,
    build_internal_router,
    use_cookie_security,
)
from offers.accounts_service import purge_expired_traces, use_password_cost
from offers.api import build_link_router
from offers.communes import build_commune_router
from offers.diagnostics_api import build_diagnostics_router
from offers.diagnostics_service import purge_unanswered_invitations
from offers.models import TABLES
from offers.service import (
    expire_due_listings,
    organisation_problems,
    purge_closed_listings,
    remind_expiring_listings,
)
from shared.geo import Gazetteer
from shared.http import speak_french
from shared.links import LinkSigner
from shared.service import RETENTION_CHECK_SECONDS, ServiceRuntime, health_router
from shared.settings import Settings


def organisation_checks(gazetteer: Gazetteer, path: str, body: Any) -> list[dict[str, Any]]:
    """A sign-up or registration whose body failed validation: the organisation's own rules (SIRET key, NAF code,
    commune) are checked too, so that the form shows them with the rest rather than at the next try."""
    where = {"/api/v1/accounts": ("organisation",), "/api/v1/organisations": ()}.get(path)
    if where is None or not isinstance(body, dict):
        return []
    fields = body.get("organisation") if where else body
    if not isinstance(fields, dict):
        return []
    return [
        {"loc": ["body", *where, problem.field], "msg": problem.message, "type": "value_error"}
        for problem in organisation_problems(fields, gazetteer)
    ]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the database, relay and gazetteer come up with it."""
    settings = settings or Settings()
    runtime = ServiceRuntime("offers", settings, TABLES)
    use_password_cost(settings.password_hash_memory_kib, settings.password_hash_time_cost)
    use_cookie_security(settings.secure_cookies)

    def expire(session: Session) -> None:
        """Listings past their validity expire; owners of those about to are reminded."""
        expire_due_listings(session, date.today())
        remind_expiring_listings(session, date.today(), settings.expiry_reminder_days)

    def purge(session: Session) -> None:
        """Login traces, revoked tokens and closed listings past their retention are deleted, and diagnostics left
        unanswered erased."""
        now = datetime.now(timezone.utc)
        purge_expired_traces(session, now)
        purge_unanswered_invitations(session, now)
        purge_closed_listings(session, now)

    runtime.every("expiry", settings.expiry_check_seconds, expire)
    runtime.every("retention", RETENTION_CHECK_SECONDS, purge)
    app = FastAPI(title="Boucle — annonces", version="1", lifespan=runtime.lifespan)
    gazetteer = Gazetteer.load()
    speak_french(app, partial(organisation_checks, gazetteer))  # never pydantic's English, every error at once
    app.state.runtime = runtime
    app.state.gazetteer = gazetteer  # offers.deps
    app.include_router(health_router(runtime))
    app.include_router(api.router)
    app.include_router(build_commune_router(gazetteer))
    app.include_router(build_diagnostics_router(runtime, gazetteer))
    app.include_router(build_link_router(runtime, LinkSigner(settings.secret_key)))
    app.include_router(account_router)
    account_links = LinkSigner(settings.account_link_key, int(SIGNED_LINK_LIFETIME.total_seconds()))
    app.include_router(build_account_link_router(runtime, account_links))
    app.include_router(build_internal_router(runtime, account_links))
    return app
