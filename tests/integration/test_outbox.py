"""Outbox: a listing posted while the broker is down is published once it is back, exactly once."""

from __future__ import annotations

from pathlib import Path

import httpx

from shared import topics
from shared.db import make_engine
from shared.events import Envelope
from shared.kafka import read_topic
from shared.outbox import pending_count
from tests.conftest import Databases, make_stack, wait_until


def published_for(bootstrap: str, listing_id: str) -> list[Envelope]:
    """Every event of `listing_id` on the listings topic, read from the start."""
    events = [Envelope.from_bytes(r.value) for r in read_topic(topics.LISTINGS, bootstrap_servers=bootstrap)]
    return [e for e in events if e.key == listing_id]


def test_events_wait_in_the_outbox_while_the_broker_is_down(tmp_path: Path, databases: Databases, backend: str) -> None:
    stack = make_stack(tmp_path, databases, backend, OUTBOX_MAX_BACKOFF_SECONDS="1")  # back soon after the broker
    bootstrap = stack.bootstrap_servers
    engine = make_engine(stack.env["OFFERS_DATABASE_URL"])
    try:
        stack.start_service("offers")  # no broker yet
        offers = httpx.Client(base_url=stack.url("offers"), timeout=10)
        wait_until(lambda: _answers(offers), timeout=30)
        assert offers.get("/healthz").status_code == 503  # honest: the broker is unreachable
        # …but it serves its routes (what it publishes waits in the outbox): ready, and alive.
        assert offers.get("/readyz").status_code == 200 and offers.get("/livez").json()["stalled"] == []

        org = offers.post(
            "/api/v1/organisations",
            json={
                "name": "Brasserie du Val",
                "kind": "company",
                "postcode": "21200",
                "commune": "Beaune",
                "contact_email": "val@brasserie.example",
            },
        )
        assert org.status_code == 201, org.text
        auth = {"Authorization": f"Bearer {org.json()['token']}"}
        first = offers.post("/api/v1/listings", headers=auth, json={"kind": "offer", "title": "Drêches de brasserie"})
        assert first.status_code == 201
        assert pending_count(engine) == 2  # organisation.registered + listing.published

        stack.start_broker()
        wait_until(lambda: pending_count(engine) == 0, timeout=30)
        events = published_for(bootstrap, first.json()["id"])
        assert [e.type for e in events] == ["listing.published"]

        # The embedded broker loses its memory on restart; what was posted meanwhile still arrives, once.
        stack.stop_broker()
        second = offers.post("/api/v1/listings", headers=auth, json={"kind": "offer", "title": "Levures usagées"})
        assert second.status_code == 201
        assert pending_count(engine) == 1
        stack.start_broker()
        wait_until(lambda: pending_count(engine) == 0, timeout=30)
        events = published_for(bootstrap, second.json()["id"])
        assert [e.type for e in events] == ["listing.published"]
        assert events[0].payload["title"] == "Levures usagées"
    finally:
        stack.stop()
        engine.dispose()


def _answers(client: httpx.Client) -> bool:
    try:
        client.get("/healthz")
        return True
    except httpx.HTTPError:
        return False
