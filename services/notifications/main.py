"""The notifications service: in-app notifications and emails from events, through SMTP.

Run: `uvicorn --factory notifications.main:create_app --port 8003` (or `make run`).
"""

from datetime import datetime, timezone

from fastapi import FastAPI
from sqlmodel import Session

from notifications.api import build_router
from notifications.consumer import HANDLERS
from notifications.models import TABLES, Contact
from notifications.retention import purge_past_retention
from notifications.smtp import ANIMATEUR, Mailer
from shared import topics
from shared.http import RemoteAuthenticator, speak_french
from shared.links import LinkSigner
from shared.service import RETENTION_CHECK_SECONDS, ServiceRuntime, health_router
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the consumer (and, with NOTIFICATIONS_MAILER=thread, the mailer) run alongside the routes."""
    settings = settings or Settings()
    runtime = ServiceRuntime("notifications", settings, TABLES)
    runtime.consume(
        [topics.ORGANISATIONS, topics.MATCHES, topics.LISTINGS, topics.SYNERGIES, topics.TERRITORIES], HANDLERS
    )
    if settings.notifications_mailer == "thread":  # else `python -m notifications.mailer_main` sends
        mailer = Mailer(runtime.engine, settings)
        runtime.workers.append(("mailer", mailer.run))
        runtime.on_commit.append(mailer.notify)

    def animateur_contact() -> None:
        """The animateur receives alerts (refused addresses) like any contact."""
        if settings.animateur_email:
            with Session(runtime.engine) as session:
                session.merge(
                    Contact(organisation_id=ANIMATEUR, name="Animateur du territoire", email=settings.animateur_email)
                )
                session.commit()

    runtime.on_start.append(animateur_contact)
    runtime.every(
        "retention", RETENTION_CHECK_SECONDS, lambda session: purge_past_retention(session, datetime.now(timezone.utc))
    )
    app = FastAPI(title="Boucle — notifications", version="1", lifespan=runtime.lifespan)
    speak_french(app)  # never pydantic's English

    app.state.runtime = runtime
    app.include_router(health_router(runtime))
    app.include_router(build_router(runtime, RemoteAuthenticator(settings.offers_url), LinkSigner(settings.secret_key)))
    return app
