"""Confidentiality beyond anonymity: fields kept private for good, and the access log of what the animateur reads."""

from __future__ import annotations

import re

import httpx

from shared.devstack import Stack
from tests import web
from tests.conftest import mailbox, wait_until
from tests.e2e.test_synergies import animateur, insee
from tests.e2e.test_walking_skeleton import register


def test_a_quantity_kept_private_is_shown_to_no_one_and_the_animateur_reads_are_logged(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        _, cc, territory = animateur(stack, client, [insee("Dole"), insee("Tavaux")])
        secret_id, secret = register(client, "Fonderie Discrète", "Dole", "fonderie@discrete.example")
        open_id, public = register(client, "Menuiserie Ouverte", "Tavaux", "menuiserie@ouverte.example")
        buyer_id, buyer = register(client, "Pépinière du Doubs", "Tavaux", "pepiniere@doubs.example")
        private = client.post(
            "/api/v1/listings",
            headers=secret,
            json={
                "kind": "offer",
                "title": "Sable de fonderie",
                "category": "sable de fonderie",
                "quantity": {"value": 37, "unit": "t"},
                "frequency": "monthly",
                "private_fields": ["quantity"],
            },
        )
        assert private.status_code == 201, private.text
        client.post(
            "/api/v1/listings",
            headers=public,
            json={
                "kind": "offer",
                "title": "Sciure de bois",
                "category": "sciure",
                "quantity": {"value": 3, "unit": "t"},
                "frequency": "monthly",
            },
        )
        client.post(
            "/api/v1/listings",
            headers=buyer,
            json={"kind": "need", "title": "Sable pour substrat", "category": "sable de fonderie"},
        )

        # The owner sees its quantity and what it keeps private; others see neither quantity nor band.
        own = client.get(f"/api/v1/listings/{private.json()['id']}", headers=secret).json()
        assert own["quantity"] == {"value": 37, "unit": "t"} and own["private_fields"] == ["quantity"]
        seen = client.get(f"/api/v1/listings/{private.json()['id']}", headers=buyer).json()
        assert seen["quantity_approx"] is None and "37" not in str({k: v for k, v in seen.items() if k != "id"})

        matches = wait_until(lambda: client.get("/api/v1/matches", headers=buyer).json(), timeout=20)
        assert matches[0]["counterpart"]["quantity_approx"] is None  # type: ignore[index]
        alert = wait_until(lambda: [m for m in mailbox(stack) if m["to"] == "pepiniere@doubs.example"], timeout=20)
        text = web.get(f"http://127.0.0.1:{stack.ports.mailbox}/api/messages/{alert[0]['id']}").json()["text"]  # type: ignore[index]
        words = re.sub(r"https?://\S+", "", text)  # links carry ports and tokens, where « 37 » may well appear
        assert "Sable de fonderie" in text and "37" not in words and "environ 40 t" not in words

        # The animateur sees the territory's listings, without the private quantity, and each read is logged.
        def actors() -> list[dict]:  # this test's (the run's stack has others in these communes)
            found = [
                a
                for a in client.get(f"/api/v1/territories/{territory}/actors", headers=cc).json()
                if a["organisation_id"] in (secret_id, open_id, buyer_id)
            ]
            return found if sum(len(a["listings"]) for a in found) >= 3 else []

        listings = {li["title"]: li for a in wait_until(actors, timeout=15) for li in a["listings"]}  # type: ignore[union-attr]
        assert listings["Sable de fonderie"]["quantity_text"] is None
        assert listings["Sciure de bois"]["quantity_text"] == "3 t par mois"
        log = client.get("/api/v1/access-log", headers=secret).json()
        assert log and log[0]["reader"] == "Communauté de communes de la Côte"
        assert "liste des acteurs" in log[0]["what"]
        assert client.get("/api/v1/access-log", headers=cc).json() == []  # the reader's own data was not read
        assert {e["reader"] for e in client.get("/api/v1/access-log", headers=public).json()} == {
            "Communauté de communes de la Côte"
        }
        assert open_id != secret_id
