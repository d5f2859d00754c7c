"""The offers service: organisations and listings, published to Kafka through the outbox.

Run: `uvicorn --factory offers.main:create_app --port 8001` (or `make run` for the stack).
"""

from __future__ import annotations

from fastapi import FastAPI

from offers.api import build_router
from offers.models import Listing, Organisation
from shared.geo import Gazetteer
from shared.service import ServiceRuntime, health_router
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the database, relay and gazetteer come up with it."""
    settings = settings or Settings()
    runtime = ServiceRuntime("offers", settings, [Organisation, Listing])
    app = FastAPI(title="Boucle — annonces", version="1", lifespan=runtime.lifespan)
    app.state.runtime = runtime
    app.include_router(health_router(runtime))
    app.include_router(build_router(runtime, Gazetteer.load()))
    return app
