"""Two notifications instances (each with its mailer process) sharing the topics' partitions email
what one would: each party of each match once, even when every event arrives twice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from kafka import KafkaProducer
from notifications.models import OutgoingEmail
from sqlmodel import Session, select

from shared import topics
from shared.db import make_engine
from shared.events import MatchParty, MatchProposed, OrganisationProfile, new_event
from tests import web
from tests.conftest import Databases, mailbox, make_stack, wait_until

MATCHES = 20


def test_two_instances_share_the_work_and_email_each_party_once(
    tmp_path: Path, databases: Databases, backend: str
) -> None:
    stack = make_stack(tmp_path, databases, backend)
    try:
        stack.start(services=("notifications",), gateway=False)
        stack.start_service("notifications", instance="notifications-2")
        stack.wait_healthy(("notifications", "notifications-2"), consumers_joined=True)
        producer = KafkaProducer(bootstrap_servers=stack.bootstrap_servers, acks="all")

        def publish_twice(topic: str, event) -> None:  # type: ignore[no-untyped-def]
            for _ in range(2):  # redelivered: same event id
                producer.send(topic, key=event.key.encode(), value=event.to_bytes()).get(timeout=10)

        expected = []
        for i in range(MATCHES):
            parties = []
            for side, kind in (("fournisseur", "offer"), ("preneur", "need")):
                org_id, email = f"org-{side}-{i}", f"{side}{i}@boucle.example"
                expected.append(email)
                publish_twice(
                    topics.ORGANISATIONS,
                    new_event(
                        "organisation.registered",
                        OrganisationProfile(
                            organisation_id=org_id,
                            name=f"{side.title()} {i}",
                            kind="company",
                            commune="Dole",
                            contact_email=email,
                        ),
                        producer="offers",
                        key=org_id,
                    ),
                )
                parties.append(
                    MatchParty(
                        organisation_id=org_id,
                        listing_id=f"l-{side}-{i}",
                        kind=kind,
                        title="Palettes bois",
                        commune="Dole",
                    )
                )
            proposed = MatchProposed(
                match_id=f"m-{i}", score=0.8, distance_km=3.0, explanation="Même ressource.", parties=parties
            )
            publish_twice(topics.MATCHES, new_event("match.proposed", proposed, producer="matching", key=f"m-{i}"))
        producer.close()

        engine = make_engine(stack.env["NOTIFICATIONS_DATABASE_URL"])

        def all_sent() -> bool:
            with Session(engine) as session:
                rows = session.exec(select(OutgoingEmail)).all()
                return len(rows) == len(expected) and all(row.status == "sent" for row in rows)

        wait_until(all_sent, timeout=60)
        wait_until(lambda: len(mailbox(stack)) >= len(expected), timeout=15)
        received = Counter(message["to"] for message in mailbox(stack))
        assert received == Counter(expected), "each party emailed exactly once"

        consumers = [
            web.get(f"{stack.url(name)}/healthz").json()["consumer"] for name in ("notifications", "notifications-2")
        ]
        assert all(c["applied"] > 0 for c in consumers), f"both instances should have worked: {consumers}"
        # 3 events per match (two registrations, the proposal), each delivered twice: applied once in all
        assert sum(c["applied"] for c in consumers) == 3 * MATCHES
        assert sum(c["duplicates"] for c in consumers) >= 3 * MATCHES
        engine.dispose()
    finally:
        stack.stop()
