"""Two matching instances sharing the topic's partitions propose what one would: each match once."""

from __future__ import annotations

from pathlib import Path

import httpx
from matching.models import Match, MatchMember
from sqlmodel import Session, select

from shared import topics
from shared.db import make_engine
from shared.events import Envelope
from shared.kafka import read_topic
from shared.outbox import pending_count
from tests import web
from tests.conftest import Databases, make_stack, wait_until

PLACES = [  # (supplier commune, postcode), (buyer commune, postcode): far apart from the other pairs
    (("Nuits-Saint-Georges", "21700"), ("Beaune", "21200")),
    (("Lyon", "69003"), ("Villeurbanne", "69100")),
    (("Grenoble", "38000"), ("Échirolles", "38130")),
    (("Rennes", "35000"), ("Cesson-Sévigné", "35510")),
    (("Nantes", "44000"), ("Rezé", "44400")),
    (("Lille", "59000"), ("Roubaix", "59100")),
    (("Strasbourg", "67000"), ("Schiltigheim", "67300")),
    (("Toulouse", "31000"), ("Blagnac", "31700")),
    (("Bordeaux", "33000"), ("Mérignac", "33700")),
    (("Montpellier", "34000"), ("Castelnau-le-Lez", "34170")),
]


def test_two_instances_share_the_work_and_propose_each_match_once(
    tmp_path: Path, databases: Databases, backend: str
) -> None:
    stack = make_stack(tmp_path, databases, backend)
    try:
        stack.start(services=("offers", "matching"), gateway=False)
        stack.start_service("matching", instance="matching-2")
        stack.wait_healthy(("offers", "matching", "matching-2"), consumers_joined=True)
        offers = httpx.Client(base_url=stack.url("offers"), timeout=10)

        def organisation(name: str, place: tuple[str, str]) -> dict[str, str]:
            answer = offers.post(
                "/api/v1/organisations",
                json={
                    "name": name,
                    "kind": "company",
                    "commune": place[0],
                    "postcode": place[1],
                    "contact_email": f"{name.lower().replace(' ', '.')}@example.fr",
                },
            )
            assert answer.status_code == 201, answer.text
            return {"Authorization": f"Bearer {answer.json()['token']}"}

        expected = set()
        for i, (supplier_place, buyer_place) in enumerate(PLACES):
            supplier = organisation(f"Fournisseur {i}", supplier_place)
            buyer = organisation(f"Preneur {i}", buyer_place)
            offer = offers.post(
                "/api/v1/listings",
                headers=supplier,
                json={
                    "kind": "offer",
                    "title": "Chutes de carton ondulé",
                    "quantity": {"value": 3, "unit": "t"},
                    "frequency": "monthly",
                },
            ).json()
            need = offers.post(
                "/api/v1/listings",
                headers=buyer,
                json={
                    "kind": "need",
                    "title": "Carton pour calage",
                    "quantity": {"value": 1, "unit": "t"},
                    "frequency": "monthly",
                },
            ).json()
            expected.add((offer["id"], need["id"]))

        engine = make_engine(stack.env["MATCHING_DATABASE_URL"])

        def proposed_pairs() -> set[tuple[str, str]]:
            with Session(engine) as session:
                pairs = set()
                for match in session.exec(select(Match).where(Match.kind == "pair")).all():
                    roles = {
                        m.role: m.listing_id
                        for m in session.exec(select(MatchMember).where(MatchMember.match_id == match.id))
                    }
                    pairs.add((roles["supply"], roles["demand"]))
                return pairs

        wait_until(lambda: proposed_pairs() >= expected, timeout=60)
        assert proposed_pairs() == expected

        applied = [
            web.get(f"{stack.url(name)}/healthz").json()["consumer"]["applied"] for name in ("matching", "matching-2")
        ]
        assert all(n > 0 for n in applied), f"both instances should have worked: {applied}"

        wait_until(lambda: pending_count(engine) == 0, timeout=30)  # every proposal published
        events = [
            Envelope.from_bytes(r.value) for r in read_topic(topics.MATCHES, bootstrap_servers=stack.bootstrap_servers)
        ]
        proposed = [e.payload["match_id"] for e in events if e.type == "match.proposed"]
        assert len(proposed) == len(set(proposed)) == len(expected)
        engine.dispose()
    finally:
        stack.stop()
