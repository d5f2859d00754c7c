"""A match alert is emailed once per organisation, however often its event arrives."""

from __future__ import annotations

from pathlib import Path

from kafka import KafkaProducer
from notifications.models import OutgoingEmail
from sqlmodel import Session, select

from shared import topics
from shared.db import make_engine
from shared.events import MatchParty, MatchProposed, OrganisationProfile, new_event
from tests import web
from tests.conftest import Databases, mailbox, make_stack, wait_until


def test_redelivered_and_republished_match_gives_one_email_per_side(
    tmp_path: Path, databases: Databases, backend: str
) -> None:
    stack = make_stack(tmp_path, databases, backend)
    try:
        stack.start(services=("notifications",), gateway=False)
        stack.wait_healthy(("notifications",), consumers_joined=True)
        producer = KafkaProducer(bootstrap_servers=stack.bootstrap_servers, acks="all")

        def publish(topic: str, event) -> None:  # type: ignore[no-untyped-def]
            producer.send(topic, key=event.key.encode(), value=event.to_bytes()).get(timeout=10)

        for org_id, name, email in (
            ("org-a", "Scierie Roux", "roux@scierie.example"),
            ("org-b", "Élevage Morel", "morel@elevage.example"),
        ):
            publish(
                topics.ORGANISATIONS,
                new_event(
                    "organisation.registered",
                    OrganisationProfile(
                        organisation_id=org_id, name=name, kind="company", commune="Dole", contact_email=email
                    ),
                    producer="offers",
                    key=org_id,
                ),
            )
        parties = [
            MatchParty(
                organisation_id="org-a",
                listing_id="l-a",
                kind="offer",
                title="Sciure de bois sec",
                commune="Dole",
                quantity_text="environ 3 t par mois",
            ),
            MatchParty(
                organisation_id="org-b", listing_id="l-b", kind="need", title="Litière pour bovins", commune="Tavaux"
            ),
        ]
        proposed = MatchProposed(
            match_id="m-1", score=0.8, distance_km=6.2, explanation="Même ressource.", parties=parties
        )
        event = new_event("match.proposed", proposed, producer="matching", key="m-1")
        publish(topics.MATCHES, event)
        publish(topics.MATCHES, event)  # redelivered: same event_id
        publish(topics.MATCHES, new_event("match.proposed", proposed, producer="matching", key="m-1"))  # republished

        def consumed() -> bool:
            body = web.get(f"{stack.url('notifications')}/healthz").json()["consumer"]
            return body["applied"] + body["duplicates"] >= 5

        wait_until(consumed, timeout=20)
        wait_until(lambda: len(mailbox(stack)) >= 2, timeout=15)
        health = web.get(f"{stack.url('notifications')}/healthz").json()
        assert health["consumer"]["duplicates"] >= 1
        # Give a would-be duplicate every chance to arrive before counting.
        wait_until(lambda: _mailer_idle(stack), timeout=10)
        received = mailbox(stack)
        assert sorted(m["to"] for m in received) == ["morel@elevage.example", "roux@scierie.example"]
        producer.close()
    finally:
        stack.stop()


def _mailer_idle(stack) -> bool:  # type: ignore[no-untyped-def]

    engine = make_engine(stack.env["NOTIFICATIONS_DATABASE_URL"])
    try:
        with Session(engine) as session:
            rows = session.exec(select(OutgoingEmail)).all()
            return len(rows) == 2 and all(r.status == "sent" for r in rows)
    finally:
        engine.dispose()
