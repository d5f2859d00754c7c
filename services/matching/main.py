"""The matching service: keeps an index of listings from Kafka and proposes matches.

Run: `uvicorn --factory matching.main:create_app --port 8002` (or `make run` for the stack).
"""

from datetime import datetime, timezone

from fastapi import FastAPI

from matching.api import build_link_router, build_router
from matching.consumer import MatchingProcessor
from matching.explore import build_explore_router
from matching.knowledge import Knowledge
from matching.models import TABLES
from matching.resources import build_resource_router
from matching.retention import forget_closed_listings
from matching.teaching import build_teaching_router
from shared import topics
from shared.http import RemoteAuthenticator, speak_french
from shared.links import LinkSigner
from shared.service import RETENTION_CHECK_SECONDS, ServiceRuntime, health_router
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; its consumer of `boucle.listings` (and of erasures on `boucle.organisations`) runs alongside
    the routes."""
    settings = settings or Settings()
    runtime = ServiceRuntime("matching", settings, TABLES)
    knowledge = Knowledge.load()
    processor = MatchingProcessor(knowledge, meaning=settings.matching_meaning_fallback)
    consumer = runtime.consume(
        [topics.LISTINGS, topics.TEACHINGS, topics.ORGANISATIONS],  # erasures only
        processor.handlers,  # type: ignore[arg-type]
    )
    consumer.after_rollback = processor.forget  # its in-memory index follows the database
    runtime.every(
        "retention",
        RETENTION_CHECK_SECONDS,
        lambda session: forget_closed_listings(session, datetime.now(timezone.utc)),
    )
    app = FastAPI(title="Boucle — mises en relation", version="1", lifespan=runtime.lifespan)
    speak_french(app)  # never pydantic's English
    app.state.runtime = runtime
    app.state.processor = processor
    app.include_router(health_router(runtime))
    signer = LinkSigner(settings.secret_key)
    app.include_router(build_router(runtime, RemoteAuthenticator(settings.offers_url)))
    app.include_router(build_link_router(runtime, signer))
    app.include_router(build_resource_router(knowledge))
    app.include_router(build_explore_router(runtime, RemoteAuthenticator(settings.offers_url), knowledge))
    app.include_router(build_teaching_router(runtime, RemoteAuthenticator(settings.offers_url), knowledge))
    return app
