"""The notifications service: queues emails from events and sends them through SMTP.

Run: `uvicorn --factory notifications.main:create_app --port 8003` (or `make run`).
"""

from __future__ import annotations

from fastapi import FastAPI

from notifications.consumer import HANDLERS
from notifications.models import Contact, OutgoingEmail
from notifications.smtp import Mailer
from shared import topics
from shared.service import ServiceRuntime, health_router
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the consumer and the mailer run alongside the routes."""
    settings = settings or Settings()
    runtime = ServiceRuntime("notifications", settings, [Contact, OutgoingEmail])
    runtime.consume([topics.ORGANISATIONS, topics.MATCHES], HANDLERS)
    mailer = Mailer(runtime.engine, settings)
    runtime.workers.append(("mailer", mailer.run))
    runtime.on_commit.append(mailer.notify)
    app = FastAPI(title="Boucle — notifications", version="1", lifespan=runtime.lifespan)
    app.state.runtime = runtime
    app.state.mailer = mailer
    app.include_router(health_router(runtime))
    return app
