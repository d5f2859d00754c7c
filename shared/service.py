"""What every service process runs besides its routes: database, outbox relay, consumer.

A service builds one `ServiceRuntime`, registers its consumer (if any), and hands
`runtime.lifespan` to FastAPI: the background threads start with the app and stop on
shutdown (SIGTERM/SIGINT through uvicorn) by setting an event, never by killing threads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, SQLModel

from shared import migrations
from shared.db import database_ok, make_engine
from shared.inbox import Handler, IdempotentConsumer, ProcessedEvent
from shared.kafka import broker_reachable
from shared.observability import ERRORS, OUTBOX_PENDING, configure_logging, metrics_text
from shared.outbox import OutboxMessage, OutboxRelay, pending_count
from shared.settings import ServiceName, Settings

log = logging.getLogger(__name__)
RETENTION_CHECK_SECONDS = 3600.0  # how often a service deletes what is past its retention: within the hour


class ServiceRuntime:
    """The database engine and background workers of one service process."""

    def __init__(self, name: ServiceName, settings: Settings, tables: list[type[SQLModel]]):
        self.name = name
        self.settings = settings
        self.engine: Engine = make_engine(settings.database_url(name))
        self.tables: list[type[SQLModel]] = [*tables, OutboxMessage, ProcessedEvent]
        self.relay = OutboxRelay(name, self.engine, settings)
        self.consumer: IdempotentConsumer | None = None
        self.workers: list[tuple[str, Callable[[threading.Event], None]]] = [("relay", self.relay.run)]
        # Called after each event the consumer applies, to wake whoever acts on it (the relay wakes after every
        # commit on the service's database, the consumer's included).
        self.on_commit: list[Callable[[], None]] = []
        self.on_start: list[Callable[[], None]] = []  # run once the database is migrated
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._wake = self._wake_relay  # one bound method: SQLAlchemy knows a listener by its identity

    def consume(self, topic_names: list[str], handlers: Mapping[str, Handler]) -> IdempotentConsumer:
        """Register the service's consumer (group id = service name)."""
        self.consumer = IdempotentConsumer(
            self.name, topic_names, handlers, self.engine, self.settings, after_commit=self._committed
        )
        self.workers.append(("consumer", self.consumer.run))
        return self.consumer

    def every(self, name: str, seconds: float, job: Callable[[Session], object]) -> None:
        """Register a worker that runs `job` in a session of its own every `seconds` (the first time after one
        wait); a failure (the database away…) is logged and counted, and the next round tries again."""

        def run(stop: threading.Event) -> None:
            while not stop.wait(seconds):
                try:
                    with Session(self.engine) as session:
                        job(session)
                except Exception as exc:
                    ERRORS.labels(self.name, name).inc()
                    log.warning("%s worker: %s; trying again in %.0f s", name, exc, seconds)

        self.workers.append((name, run))

    def _committed(self) -> None:
        for callback in self.on_commit:
            callback()

    def session(self) -> Iterator[Session]:
        """FastAPI dependency: one session per request."""
        with Session(self.engine) as session:
            yield session

    def _wake_relay(self, session: OrmSession) -> None:
        """After any commit on this service's database: what it staged in the outbox goes out now, not at the
        relay's next idle poll. (A commit that staged nothing costs the relay one empty query.)"""
        if session.bind is self.engine:
            self.relay.notify()

    def start(self) -> None:
        """Bring the database to the head revision and start the relay and consumer threads."""
        if self.settings.log_format == "json":
            configure_logging(self.name)
        migrations.upgrade(self.name, self.engine)  # services/<name>/migrations; the tables are <name>.models.TABLES
        for callback in self.on_start:
            callback()
        self._stop.clear()
        if not event.contains(OrmSession, "after_commit", self._wake):
            event.listen(OrmSession, "after_commit", self._wake)
        for label, target in self.workers:
            thread = threading.Thread(target=target, args=(self._stop,), name=f"{self.name}-{label}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Ask the workers to finish and wait for them."""
        self._stop.set()
        if event.contains(OrmSession, "after_commit", self._wake):
            event.remove(OrmSession, "after_commit", self._wake)
        self.relay.notify()  # an idle relay waits to be woken, not for `_stop`
        for thread in self._threads:
            thread.join(timeout=15)
        self._threads.clear()
        self.engine.dispose()

    @asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        self.start()
        try:
            yield
        finally:
            self.stop()

    def stalled(self) -> list[str]:
        """The background workers whose thread has ended while the service runs (they retry every error, so one
        that ended is a bug a restart may cure)."""
        if self._stop.is_set():
            return []
        return [thread.name for thread in self._threads if not thread.is_alive()]

    def health(self) -> dict[str, object]:
        """What /healthz reports: database, broker, consumer readiness, outbox."""
        report: dict[str, object] = {
            "service": self.name,
            "database": database_ok(self.engine),
            "broker": broker_reachable(self.settings),
            "outbox_published": self.relay.published,
        }
        if self.consumer is not None:
            report["consumer"] = {
                "joined": self.consumer.ready.is_set(),
                "applied": self.consumer.applied,
                "duplicates": self.consumer.duplicates,
                "dead_lettered": self.consumer.dead_lettered,
            }
        return report


def request_session(request: Request) -> Iterator[Session]:
    """FastAPI dependency: one session per request, on the database of the service the app belongs to
    (`app.state.runtime`, set by every service's `create_app`)."""
    runtime: ServiceRuntime = request.app.state.runtime
    yield from runtime.session()


SessionDep = Annotated[Session, Depends(request_session)]


def health_router(runtime: ServiceRuntime) -> APIRouter:
    """The probes and the metrics. `GET /livez` (liveness): the process and its workers run. `GET /readyz`
    (readiness): it can serve its own routes, which needs its database but not the broker (what it publishes
    waits in the outbox). `GET /healthz`: the whole report, 503 when the database or the broker is away."""
    router = APIRouter()

    @router.get("/livez", tags=["santé"])
    def livez() -> JSONResponse:
        """200 while the process and its background workers run; 503 names a worker that stopped."""
        stalled = runtime.stalled()
        return JSONResponse({"service": runtime.name, "stalled": stalled}, status_code=503 if stalled else 200)

    @router.get("/readyz", tags=["santé"])
    def readyz() -> JSONResponse:
        """200 when the service can answer its routes: its database is reachable."""
        ready = database_ok(runtime.engine)
        return JSONResponse({"service": runtime.name, "database": ready}, status_code=200 if ready else 503)

    @router.get("/metrics", tags=["santé"], response_class=PlainTextResponse)
    def metrics() -> Response:
        """Prometheus metrics of this process (events consumed, lag, errors, emails, match latency)."""
        OUTBOX_PENDING.labels(runtime.name).set(pending_count(runtime.engine))
        body, content_type = metrics_text()
        return Response(body, media_type=content_type)

    @router.get("/healthz", tags=["santé"])
    def healthz(_request: Request) -> JSONResponse:
        """State of the service: its database, the broker, its consumer and outbox."""
        report = runtime.health()
        ok = bool(report["database"]) and bool(report["broker"])
        return JSONResponse(report, status_code=200 if ok else 503)

    return router
