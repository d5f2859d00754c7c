"""End to end through the gateway, the broker, every service and real SMTP.

The run's stack is shared with other test files: this file's organisations sit in communes no other file
uses (Lannion, Perros-Guirec: far from the others, beyond any radius), so that the matches it counts are its own."""

from __future__ import annotations

import httpx

from shared.devstack import Stack
from tests import web
from tests.conftest import mailbox, wait_until


def register(client: httpx.Client, name: str, commune: str, email: str) -> tuple[str, dict[str, str]]:
    answer = client.post(
        "/api/v1/organisations", json={"name": name, "kind": "company", "commune": commune, "contact_email": email}
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    return body["id"], {"Authorization": f"Bearer {body['token']}"}


def test_offer_and_complementary_need_alert_both_sides_by_email(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        _, dupont = register(client, "Cartonnerie Dupont", "Lannion", "dupont@cartonnerie-lannion.example")
        _, martin = register(client, "Emballages Martin", "Perros-Guirec", "martin@emballages-perros.example")
        offer = client.post(
            "/api/v1/listings",
            headers=dupont,
            json={
                "kind": "offer",
                "title": "Chutes de carton ondulé",
                "category": "carton",
                "quantity": {"value": 2, "unit": "t"},
                "frequency": "monthly",
                "radius_km": 40,
            },
        )
        need = client.post(
            "/api/v1/listings",
            headers=martin,
            json={
                "kind": "need",
                "title": "Carton pour calage",
                "category": "Cartons",
                "quantity": {"value": 1.5, "unit": "t"},
                "frequency": "monthly",
            },
        )
        assert offer.status_code == need.status_code == 201

        def alerts() -> list[dict]:
            got = [
                m
                for m in mailbox(stack)
                if m["to"] in ("dupont@cartonnerie-lannion.example", "martin@emballages-perros.example")
            ]
            return got if len(got) >= 2 else []

        received = wait_until(alerts, timeout=15)
        assert sorted(m["to"] for m in received) == [
            "dupont@cartonnerie-lannion.example",
            "martin@emballages-perros.example",
        ]

        sink = f"http://127.0.0.1:{stack.ports.mailbox}/api/messages"
        for message in received:
            detail = web.get(f"{sink}/{message['id']}").json()
            assert detail["subject"].startswith("Nouvelle piste de synergie")
            assert "Lannion" in detail["text"] or "Perros-Guirec" in detail["text"]
            assert detail["html"] and "km" in detail["text"]
            # Confidentiality: the other party's name never appears before acceptance.
            other = "Emballages Martin" if message["to"].startswith("dupont") else "Cartonnerie Dupont"
            assert other not in detail["text"] and other not in detail["html"]

        matches = client.get("/api/v1/matches", headers=martin).json()
        assert len(matches) == 1
        assert matches[0]["listing_id"] == need.json()["id"]
        assert matches[0]["counterpart"]["commune"] == "Lannion"
        assert matches[0]["counterpart"]["quantity_approx"] == "environ 2 t par mois"
        assert "Cartonnerie" not in str(matches[0])
        assert 0 <= matches[0]["score"] <= 1

        # The territory's figures are the animateur's (tests/e2e/test_synergies.py), not a company's.
        assert client.get("/api/v1/reports/impact", headers=dupont).status_code == 403


def test_withdrawn_listing_is_counted_out_and_not_matched(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        _, a = register(client, "Paysagiste Girard", "Dijon", "girard@paysage.example")
        _, b = register(client, "Ferme des Combes", "Chenôve", "combes@ferme.example")
        offer = client.post(
            "/api/v1/listings",
            headers=a,
            json={"kind": "offer", "title": "Broyat de déchets verts", "category": "broyat vert"},
        ).json()
        withdrawn = client.delete(f"/api/v1/listings/{offer['id']}", headers=a)
        assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
        client.post(
            "/api/v1/listings",
            headers=b,
            json={"kind": "need", "title": "Paillage pour maraîchage", "category": "broyat vert"},
        )
        # A later pair that does match proves the pipeline ran past both listings. (The
        # withdrawn offer may have been proposed, then retracted: listings of different
        # keys sit on different partitions, so their events may interleave either way.)
        client.post(
            "/api/v1/listings", headers=a, json={"kind": "offer", "title": "Broyat frais", "category": "broyat vert"}
        )

        def titles() -> list[str]:
            return [m["counterpart"]["title"] for m in client.get("/api/v1/matches", headers=b).json()]

        wait_until(lambda: "Broyat frais" in titles(), timeout=30)
        assert "Broyat de déchets verts" not in titles()
