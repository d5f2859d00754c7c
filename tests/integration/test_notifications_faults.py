"""Notifications under faults: a poison event, and the service killed in the middle of sending."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from kafka import KafkaProducer
from notifications.smtp import SMTP_CONNECTIONS

from shared import topics
from shared.events import MatchParty, MatchProposed, OrganisationProfile, new_event
from shared.kafka import read_topic
from tests import web
from tests.conftest import Databases, make_stack, wait_until


def publish_contacts_and_matches(producer: KafkaProducer, count: int) -> None:
    for i in range(count):
        for side in ("a", "b"):
            org = f"{side}{i}"
            event = new_event(
                "organisation.registered",
                OrganisationProfile(
                    organisation_id=org,
                    name=f"Organisation {org}",
                    kind="company",
                    contact_email=f"{org}@faults.example",
                ),
                producer="offers",
                key=org,
            )
            producer.send(topics.ORGANISATIONS, key=org.encode(), value=event.to_bytes())
    for i in range(count):
        parties = [
            MatchParty(organisation_id=f"a{i}", listing_id=f"la{i}", kind="offer", title=f"Lot {i}"),
            MatchParty(organisation_id=f"b{i}", listing_id=f"lb{i}", kind="need", title=f"Besoin {i}"),
        ]
        event = new_event(
            "match.proposed",
            MatchProposed(match_id=f"m{i}", score=0.8, distance_km=2.0, explanation="Même ressource.", parties=parties),
            producer="matching",
            key=f"m{i}",
        )
        producer.send(topics.MATCHES, key=event.key.encode(), value=event.to_bytes())
    producer.flush()


def test_killed_mid_batch_the_restart_sends_the_rest_and_nothing_is_lost(
    tmp_path: Path, databases: Databases, backend: str
) -> None:
    stack = make_stack(tmp_path, databases, backend)
    sink = f"http://127.0.0.1:{stack.ports.mailbox}/api/messages"
    try:
        stack.start(services=("notifications",), gateway=False)
        stack.wait_healthy(("notifications",), consumers_joined=True)
        producer = KafkaProducer(bootstrap_servers=stack.bootstrap_servers, acks="all")
        publish_contacts_and_matches(producer, 150)
        wait_until(lambda: len(web.get(sink).json()) >= 40, timeout=60)
        stack.kill_process("notifications-mailer")  # kill -9 while it is sending…
        stack.kill_process("notifications")  # …and the service, consuming the rest
        received_at_kill = len(web.get(sink).json())
        assert received_at_kill < 300, "the kill came too late to prove anything"

        stack.start_service("notifications")  # and its mailer
        expected = {f"{side}{i}@faults.example" for i in range(150) for side in ("a", "b")}
        wait_until(lambda: {m["to"] for m in web.get(sink).json()} >= expected, timeout=120)
        counts = Counter(m["to"] for m in web.get(sink).json())
        resent = {to: n for to, n in counts.items() if n > 1}
        # SMTP has no two-phase commit: only a message accepted by the server in the instant before
        # the kill, not yet marked sent, can go again — at most one per open SMTP connection.
        assert len(resent) <= SMTP_CONNECTIONS, resent
        assert all(n == 2 for n in resent.values())
        producer.close()
    finally:
        stack.stop()


def test_a_poison_event_goes_to_the_dead_letter_topic_and_the_next_is_sent(
    tmp_path: Path, databases: Databases, backend: str
) -> None:
    stack = make_stack(tmp_path, databases, backend)
    try:
        stack.start(services=("notifications",), gateway=False)
        stack.wait_healthy(("notifications",), consumers_joined=True)
        bootstrap = stack.bootstrap_servers
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
        poison = new_event(
            "match.proposed",
            MatchProposed(match_id="m-x", score=0.5, distance_km=1.0, explanation="x", parties=[]),
            producer="matching",
            key="m-x",
        )
        broken = poison.to_bytes().replace(b'"parties":[]', b'"parties":"not a list"')
        producer.send(topics.MATCHES, key=b"m-x", value=broken).get(timeout=10)
        publish_contacts_and_matches(producer, 1)
        sink = f"http://127.0.0.1:{stack.ports.mailbox}/api/messages"
        wait_until(lambda: len(web.get(sink).json()) == 2, timeout=30)

        [dead] = wait_until(
            lambda: [
                r
                for r in read_topic(
                    topics.dead_letter(topics.MATCHES),  # type: ignore[union-attr]
                    bootstrap_servers=bootstrap,
                )
                if r.key == b"m-x"
            ],
            timeout=20,
        )
        assert dead.value == broken
        assert b"invalid payload" in dict(dead.headers)["error"]
        assert dict(dead.headers)["consumer"] == b"notifications"
        producer.close()
    finally:
        stack.stop()
