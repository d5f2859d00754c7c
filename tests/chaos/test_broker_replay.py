"""Chaos: the embedded broker restarted mid-stream (its memory storage loses every topic), then
`python -m shared.replay --all` (README, "Operations") restores everything from the outboxes; and
every event delivered a second time changes nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shared import topics
from shared.devstack import Stack
from shared.settings import SERVICES
from tests import web
from tests.chaos.harness import ListingStream, ServiceDatabases, Sink, check_exactly_once, events, settle, wait_until
from tests.conftest import Databases, make_stack

pytestmark = pytest.mark.chaos

PAIRS = 100

# What a second delivery must leave as it is: every row a consumer writes (timestamps included).
EFFECTS = {
    "matching": ["indexed_listing", "match", "match_member"],
    "notifications": ["contact", "known_match", "in_app_notification", "outgoing_email"],
    "reporting": ["known_organisation", "known_listing", "reported_match", "match_participant", "synergy"],
}


def replay_all(stack: Stack) -> dict[str, int]:
    """The documented command, run as an operator would, with the services' environment."""
    done = subprocess.run(
        [sys.executable, "-m", "shared.replay", "--all"],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    counts = dict(line.split(": ") for line in done.stdout.splitlines())
    return {service: int(text.split()[0]) for service, text in counts.items()}


def snapshot(dbs: ServiceDatabases) -> dict[str, list[tuple]]:
    return {
        table: sorted(map(repr, dbs.rows(service, f"SELECT * FROM {table}")))  # type: ignore[misc]
        for service, tables in EFFECTS.items()
        for table in tables
    }


def duplicates_dropped(stack: Stack) -> int:
    return sum(
        web.get(f"{stack.url(s)}/healthz", timeout=5).json()["consumer"]["duplicates"]
        for s in SERVICES
        if s != "offers"
    )


@pytest.mark.timeout(600)
def test_broker_restart_then_replay_restores_everything_and_a_second_delivery_changes_nothing(
    tmp_path: Path, databases: Databases
) -> None:
    # Kafka's own 6 s consumer session, not the test stacks' 2 s: with the shorter one, a consumer that rejoins the
    # restarted broker sooner was twice seen to miss rewinding a partition whose log was lost (rewind_lost_logs).
    stack = make_stack(tmp_path, databases, "postgresql", KAFKA_SESSION_TIMEOUT_MS="6000")
    dbs: ServiceDatabases | None = None
    try:
        stack.start()
        stack.wait_healthy(consumers_joined=True)
        dbs = ServiceDatabases(stack)
        sink = Sink(stack.var_dir / "mail")
        bootstrap = stack.bootstrap_servers
        stream = ListingStream(stack.url("gateway"), PAIRS, "replay", organisations=10)
        stream.register()

        thread = stream.start()
        wait_until(lambda: stream.posted >= 0.4 * 2 * PAIRS or stream.failure, 120, "40 % posted", interval=0.1)
        stack.stop_broker()  # memory storage: every topic, offset and group is gone
        stack.start_broker()
        thread.join(timeout=300)
        stream.check_posted()

        # The restart did lose events: what the relays had published before it is not on the topic.
        wait_until(
            lambda: all(
                not dbs.scalar(s, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")  # type: ignore[union-attr]
                for s in SERVICES
            ),
            60,
            "outboxes published",
        )
        on_topic = [e for e in events(bootstrap, topics.LISTINGS) if e.type == "listing.published"]
        assert len(on_topic) < 2 * PAIRS

        replayed = replay_all(stack)
        assert replayed["offers"] >= 2 * PAIRS + len(stream.organisations())
        settle(stack, dbs, sink, stream)
        check_exactly_once(stack, dbs, sink, stream)
        published = [e for e in events(bootstrap, topics.LISTINGS) if e.type == "listing.published"]
        assert {e.key for e in published} == stream.listings()

        # Every event a second time: the outboxes replayed again, consumers see each event twice.
        before, dropped = snapshot(dbs), duplicates_dropped(stack)
        replay_all(stack)
        # matching takes listings; notifications organisations and matches; reporting all three.
        outbox = dict(dbs.rows("offers", "SELECT split_part(type, '.', 1), count(*) FROM outbox GROUP BY 1"))
        matches = dbs.scalar("matching", "SELECT count(*) FROM outbox WHERE type LIKE 'match.%'")
        expected_again = 2 * outbox["listing"] + 2 * outbox["organisation"] + 2 * matches
        assert set(outbox) == {"listing", "organisation"} and matches == PAIRS
        wait_until(lambda: duplicates_dropped(stack) - dropped >= expected_again, 120, "every event seen a second time")
        settle(stack, dbs, sink, stream)
        assert snapshot(dbs) == before
        check_exactly_once(stack, dbs, sink, stream)
    finally:
        stack.stop()
        if dbs is not None:
            dbs.dispose()
