"""The reporting service: follows every topic and reports the territory's figures.

Run: `uvicorn --factory reporting.main:create_app --port 8004` (or `make run`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fastapi import FastAPI

from reporting.access import purge_old_accesses
from reporting.api import build_router
from reporting.consumer import handlers
from reporting.models import TABLES
from reporting.pages import build_link_router
from reporting.summary import stage_due_summaries
from reporting.synergies import stage_due_reminders
from reporting.workshops_api import FamilyReader, build_workshop_router
from shared import topics
from shared.geo import Gazetteer
from shared.http import RemoteAuthenticator, speak_french
from shared.links import LinkSigner
from shared.service import ServiceRuntime, health_router
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; its consumer of listings, organisations and matches (which opens synergies) runs alongside."""
    settings = settings or Settings()
    runtime = ServiceRuntime("reporting", settings, TABLES)
    runtime.consume([topics.ORGANISATIONS, topics.LISTINGS, topics.MATCHES], handlers())

    quiet_after = timedelta(days=settings.quiet_after_days)
    every = settings.summary_check_seconds
    # Each territory's weekly summary for its animateur, once per ISO week; synergies quiet for weeks, one
    # reminder to their parties and animateurs per quiet spell; what is past its retention goes.
    runtime.every(
        "summaries", every, lambda session: stage_due_summaries(session, send_hour_utc=settings.summary_send_hour_utc)
    )
    runtime.every(
        "reminders", every, lambda session: stage_due_reminders(session, datetime.now(timezone.utc), quiet_after)
    )
    runtime.every("retention", every, lambda session: purge_old_accesses(session, datetime.now(timezone.utc)))
    app = FastAPI(title="Boucle — rapports", version="1", lifespan=runtime.lifespan)
    speak_french(app)  # never pydantic's English
    app.state.runtime = runtime
    app.include_router(health_router(runtime))
    gazetteer, signer = Gazetteer.load(), LinkSigner(settings.secret_key)
    authenticate = RemoteAuthenticator(settings.offers_url)
    app.include_router(build_router(runtime, authenticate, gazetteer, signer))
    app.include_router(
        build_workshop_router(runtime, authenticate, gazetteer, FamilyReader(settings.service_url("matching")))
    )
    app.include_router(build_link_router(runtime, signer, gazetteer))
    return app
