"""The probes of a service process (issue 19, point 2): liveness is whether its workers run, readiness whether it
can serve its routes. A broker away leaves it ready (tests/integration/test_outbox.py); a service away leaves the
gateway and the others ready (tests/chaos/test_process_kills.py)."""

from __future__ import annotations

import threading

from fastapi import FastAPI
from fastapi.testclient import TestClient
from offers.models import TABLES

from shared.service import ServiceRuntime, health_router


def test_a_worker_that_stopped_fails_liveness_and_only_it(settings_for) -> None:  # type: ignore[no-untyped-def]
    runtime = ServiceRuntime("offers", settings_for("sqlite"), TABLES)
    ended = threading.Event()
    runtime.workers.append(("broken", lambda _stop: ended.set()))  # as a worker whose loop let an error out
    app = FastAPI(lifespan=runtime.lifespan)
    app.include_router(health_router(runtime))
    with TestClient(app) as client:
        ended.wait(5)
        for thread in runtime._threads:
            if thread.name == "offers-broken":
                thread.join(5)
        live = client.get("/livez")
        assert live.status_code == 503 and live.json()["stalled"] == ["offers-broken"]
        assert client.get("/readyz").status_code == 200  # its routes still work: restarted, not taken out
    # Stopping is not stalling.
    assert runtime.stalled() == []


def test_the_gateway_is_ready_while_every_service_is_away(settings_for) -> None:  # type: ignore[no-untyped-def]
    from shared.gateway import create_app

    # The services' URLs point at ports where nothing listens.
    settings = settings_for(
        "sqlite",
        OFFERS_URL="http://127.0.0.1:9",
        MATCHING_URL="http://127.0.0.1:9",
        NOTIFICATIONS_URL="http://127.0.0.1:9",
        REPORTING_URL="http://127.0.0.1:9",
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").status_code == 200 and client.get("/livez").status_code == 200
        status = client.get("/healthz")
        assert status.status_code == 503 and status.json()["offers"] == "injoignable"
        assert client.get("/mentions-legales").status_code == 200
        down = client.get("/api/v1/listings")
        assert down.status_code == 503 and "momentanément indisponible" in down.json()["detail"]
