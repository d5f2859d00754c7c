"""Chaos: a poison record on every partition of every topic lands on the topic's dead-letter topic, once
per consumer of that topic, and each consumer goes on: the valid event behind it is applied.

(tests/integration/test_inbox.py covers the consumer alone, test_notifications_faults.py notifications
on boucle.matches; here every topic and every service that consumes it, on PostgreSQL.)
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from kafka import KafkaProducer

from shared import topics
from shared.events import (
    ListingExpiring,
    ListingSnapshot,
    MatchParty,
    MatchProposed,
    OrganisationProfile,
    Payload,
    SynergyMoved,
    TerritoryWeeklySummary,
    new_event,
)
from shared.kafka import read_topic
from shared.settings import Settings
from tests.chaos.harness import ServiceDatabases, wait_until
from tests.conftest import Databases, make_stack

pytestmark = pytest.mark.chaos

CONSUMERS = {  # who reads each topic (the services' main.py)
    topics.ORGANISATIONS: {"matching", "notifications", "reporting"},  # matching: erasures only
    topics.LISTINGS: {"matching", "notifications", "reporting"},
    topics.MATCHES: {"notifications", "reporting"},
    topics.SYNERGIES: {"notifications"},
    topics.TERRITORIES: {"notifications"},
}
PARTITIONS = Settings.model_fields["kafka_partitions"].default


def valid_events(p: int) -> list[tuple[str, str, Payload]]:
    """(topic, type, payload) of the valid events sent behind the poison on partition `p`."""
    org, listing, today = f"p-org-{p}", f"p-listing-{p}", date.today()
    return [
        (
            topics.ORGANISATIONS,
            "organisation.registered",
            OrganisationProfile(
                organisation_id=org, name=f"Poison {p}", kind="company", contact_email=f"poison{p}@chaos.example"
            ),
        ),
        (
            topics.LISTINGS,
            "listing.published",
            ListingSnapshot(
                listing_id=listing,
                organisation_id=org,
                revision=1,
                kind="offer",
                title=f"Palettes {p}",
                category="palettes bois",
            ),
        ),
        (
            topics.LISTINGS,
            "listing.expiring",
            ListingExpiring(
                listing_id=listing,
                organisation_id=org,
                revision=1,
                title=f"Palettes {p}",
                kind="offer",
                expires_at=today + timedelta(days=10),
            ),
        ),
        (
            topics.MATCHES,
            "match.proposed",
            MatchProposed(
                match_id=f"p-match-{p}",
                score=0.8,
                distance_km=2.0,
                explanation="Même ressource.",
                parties=[
                    MatchParty(organisation_id=org, listing_id=listing, kind="offer", title=f"Palettes {p}"),
                    MatchParty(organisation_id=f"p-other-{p}", listing_id=f"p-need-{p}", kind="need", title="Palettes"),
                ],
            ),
        ),
        (
            topics.SYNERGIES,
            "synergy.stage_changed",
            SynergyMoved(
                synergy_id=f"p-synergy-{p}",
                from_stage="detected",
                to_stage="studied",
                actor_organisation_id="p-actor",
                actor_name="Acteur",
                parties=[org],
            ),
        ),
        (
            topics.TERRITORIES,
            "territory.weekly_summary",
            TerritoryWeeklySummary(
                territory_id=f"p-territory-{p}",
                territory_name="Territoire",
                animateur_organisation_id=org,
                week=f"2026-W{10 + p}",
                period_from=today - timedelta(days=7),
                period_to=today,
                new_organisations=[],
                new_listings={},
                matches_proposed=0,
                matches_accepted=0,
                synergies_opened=0,
                synergy_moves=[],
            ),
        ),
    ]


def applied(dbs: ServiceDatabases) -> dict[str, set[str]]:
    """What each consumer made of the valid events, by the ids it recorded."""

    def ids(service: str, sql: str) -> set[str]:
        return {str(x) for (x,) in dbs.rows(service, sql)}

    return {
        "notifications contacts": ids("notifications", "SELECT organisation_id FROM contact"),
        "notifications in-app": ids("notifications", "SELECT dedup_key FROM in_app_notification"),
        "reporting organisations": ids("reporting", "SELECT organisation_id FROM known_organisation"),
        "matching listings": ids("matching", "SELECT listing_id FROM indexed_listing"),
        "reporting listings": ids("reporting", "SELECT listing_id FROM known_listing"),
        "reporting matches": ids("reporting", "SELECT match_id FROM reported_match"),
    }


def expected(p: int) -> dict[str, set[str]]:
    org = f"p-org-{p}"
    return {
        "notifications contacts": {org},
        "notifications in-app": {
            f"listing.expiring:p-listing-{p}:{date.today() + timedelta(days=10)}:{org}",
            f"match.proposed:p-match-{p}:{org}",
            # synergy and summary keys carry the event id: counted below by prefix
        },
        "reporting organisations": {org},
        "matching listings": {f"p-listing-{p}"},
        "reporting listings": {f"p-listing-{p}"},
        "reporting matches": {f"p-match-{p}"},
    }


@pytest.mark.timeout(300)
def test_a_poison_record_on_every_topic_is_dead_lettered_by_each_consumer_which_goes_on(
    tmp_path: Path, databases: Databases
) -> None:
    stack = make_stack(tmp_path, databases, "postgresql")
    dbs: ServiceDatabases | None = None
    try:
        stack.start(services=("matching", "notifications", "reporting"), gateway=False)
        stack.wait_healthy(("matching", "notifications", "reporting"), consumers_joined=True)
        dbs = ServiceDatabases(stack)
        bootstrap = stack.bootstrap_servers
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
        for p in range(PARTITIONS):
            for topic in CONSUMERS:  # the poison first on each partition…
                producer.send(topic, partition=p, key=b"poison", value=f"not an event ({topic}, {p})".encode())
            for topic, kind, payload in valid_events(p):  # …then valid events behind it, on the same partition
                event = new_event(kind, payload, producer="chaos", key=f"valid-{p}")
                producer.send(topic, partition=p, key=event.key.encode(), value=event.to_bytes())
        producer.flush()

        def all_applied() -> bool:
            got = applied(dbs)  # type: ignore[arg-type]
            keys = got["notifications in-app"]
            return (
                all(expected(p)[k] <= got[k] for p in range(PARTITIONS) for k in got)
                and sum(k.startswith("synergy.stage_changed:") for k in keys) == PARTITIONS
                and sum(k.startswith("territory.weekly_summary:") for k in keys) == PARTITIONS
            )

        wait_until(all_applied, 60, "every valid event behind a poison applied by every consumer")

        for topic, consumers in CONSUMERS.items():
            dead = [
                (dict(r.headers)["consumer"].decode(), r.value)
                for r in read_topic(topics.dead_letter(topic), bootstrap_servers=bootstrap)
            ]
            wanted = {(c, f"not an event ({topic}, {p})".encode()) for c in consumers for p in range(PARTITIONS)}
            assert sorted(dead) == sorted(wanted), topic  # each poison once per consumer, nothing else
        producer.close()
    finally:
        stack.stop()
        if dbs is not None:
            dbs.dispose()
