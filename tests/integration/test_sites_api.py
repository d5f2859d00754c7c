"""An organisation's sites through the offers API, on SQLite and PostgreSQL (issue 21, point 2): a listing posted from
a site carries the site's place in its events and shows the site's commune to others; rules answer French 422s."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from offers.main import create_app
from sqlmodel import Session, select

from shared.outbox import OutboxMessage
from tests.integration.test_offers_api import GOOD, error_locations, register

BRIANCON = {"name": "Atelier de Briançon", "commune": "Briançon", "siret": "732 829 320 00082"}


@pytest.fixture
def app(backend: str, settings_for):  # type: ignore[no-untyped-def]
    return create_app(settings_for(backend))


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as test_client:
        yield test_client


def snapshots(app, listing_id: str) -> list[dict]:  # type: ignore[no-untyped-def]
    with Session(app.state.runtime.engine) as session:
        rows = session.exec(
            select(OutboxMessage).where(OutboxMessage.key == listing_id).order_by(OutboxMessage.id)
        ).all()
    return [{"type": row.type, **json.loads(row.value)["payload"]} for row in rows]


def test_a_listing_posted_from_a_site_is_placed_there_for_matching_and_for_others(app, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    cuma = register(client, name="CUMA du Champsaur", kind="cuma", commune="Gap", postcode=None)
    made = client.post("/api/v1/organisations/me/sites", headers=cuma, json=BRIANCON)
    assert made.status_code == 201, made.text
    site = made.json()
    assert (site["commune"], site["insee"], site["siret"]) == ("Briançon", "05023", "73282932000082")
    again = client.post("/api/v1/organisations/me/sites", headers=cuma, json=BRIANCON)  # a retry
    assert again.status_code == 201 and again.json()["id"] == site["id"]
    assert again.headers["idempotent-replayed"] == "true"

    from_site = client.post("/api/v1/listings", headers=cuma, json={**GOOD, "site_id": site["id"]}).json()["id"]
    from_address = client.post("/api/v1/listings", headers=cuma, json=GOOD).json()["id"]
    [published] = snapshots(app, from_site)
    assert (published["insee"], published["commune"]) == ("05023", "Briançon")
    assert abs(published["lat"] - 44.9) < 0.05 and abs(published["lon"] - 6.64) < 0.05
    assert snapshots(app, from_address)[0]["insee"] == "05061"  # Gap, the organisation's address
    mine = client.get(f"/api/v1/listings/{from_site}", headers=cuma).json()
    assert mine["site_id"] == site["id"]

    other = register(client, name="Ferme du Lautaret", contact_email="lautaret@ferme.example")
    seen = {item["id"]: item["commune"] for item in client.get("/api/v1/listings", headers=other).json()}
    assert seen == {from_site: "Briançon", from_address: "Gap"}
    assert client.get(f"/api/v1/listings/{from_site}", headers=other).json()["commune"] == "Briançon"

    listed = client.get("/api/v1/organisations/me/sites", headers=cuma).json()
    assert [(s["id"], s["commune"], s["active_listings"]) for s in listed] == [
        (None, "Gap", 1),
        (site["id"], "Briançon", 1),
    ]


def test_a_site_moves_with_its_listings_and_the_organisation_moves_without_them(app, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    cuma = register(client, name="CUMA du Champsaur", kind="cuma", commune="Gap", postcode=None)
    site = client.post("/api/v1/organisations/me/sites", headers=cuma, json=BRIANCON).json()["id"]
    listing = client.post("/api/v1/listings", headers=cuma, json={**GOOD, "site_id": site}).json()["id"]

    moved = client.patch(f"/api/v1/organisations/me/sites/{site}", headers=cuma, json={"commune": "Guillestre"})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["commune"], moved.json()["name"]) == ("Guillestre", "Atelier de Briançon")
    assert [(e["type"], e["insee"], e["revision"]) for e in snapshots(app, listing)] == [
        ("listing.published", "05023", 1),
        ("listing.updated", "05065", 2),
    ]

    assert client.patch("/api/v1/organisations/me", headers=cuma, json={"commune": "Embrun"}).status_code == 200
    assert len(snapshots(app, listing)) == 2  # posted from its site, it did not move with the address

    back_home = client.patch(f"/api/v1/listings/{listing}", headers=cuma, json={"site_id": None})
    assert back_home.status_code == 200 and back_home.json()["site_id"] is None
    assert snapshots(app, listing)[-1]["insee"] == "05046"  # Embrun


def test_a_site_with_live_listings_is_not_deleted(client: TestClient) -> None:
    cuma = register(client, name="CUMA du Champsaur", kind="cuma", commune="Gap", postcode=None)
    site = client.post("/api/v1/organisations/me/sites", headers=cuma, json=BRIANCON).json()["id"]
    listing = client.post("/api/v1/listings", headers=cuma, json={**GOOD, "site_id": site}).json()["id"]
    refused = client.delete(f"/api/v1/organisations/me/sites/{site}", headers=cuma)
    assert refused.status_code == 409 and "annonces" in refused.json()["detail"]
    client.delete(f"/api/v1/listings/{listing}", headers=cuma)
    assert client.delete(f"/api/v1/organisations/me/sites/{site}", headers=cuma).status_code == 204
    assert client.get(f"/api/v1/listings/{listing}", headers=cuma).json()["site_id"] is None
    assert [s["id"] for s in client.get("/api/v1/organisations/me/sites", headers=cuma).json()] == [None]
    assert client.delete(f"/api/v1/organisations/me/sites/{site}", headers=cuma).status_code == 404


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "Dépôt", "commune": "Trifouillis-les-Oies"}, ["body", "commune"], "Aucune commune"),
        ({"name": "Dépôt"}, ["body", "commune"], "Indiquez la commune, le code postal ou le code INSEE du site"),
        ({"name": "Dépôt", "commune": "Gap", "siret": "12345678901234"}, ["body", "siret"], "SIRET"),
        ({"name": "Dépôt", "commune": "Gap", "lat": 44.5}, ["body", "lon"], "vont ensemble"),
        ({"name": "D", "commune": "Gap"}, ["body", "name"], "2"),
        ({"name": "Dépôt", "commune": "Gap", "surface": 3}, ["body", "surface"], "Champ inconnu"),
        ({**BRIANCON, "commune": "Embrun"}, ["body", "name"], "déjà un site nommé « Atelier de Briançon »"),
    ],
)
def test_each_site_rule_names_its_field(client: TestClient, body: dict, field: list[str], message: str) -> None:
    cuma = register(client, name="CUMA du Champsaur", kind="cuma", commune="Gap", postcode=None)
    assert client.post("/api/v1/organisations/me/sites", headers=cuma, json=BRIANCON).status_code == 201
    answer = client.post("/api/v1/organisations/me/sites", headers=cuma, json=body)
    assert answer.status_code == 422, answer.text
    assert field in error_locations(answer)
    assert message in str(answer.json()["detail"])


def test_a_listing_names_only_a_site_of_its_own_organisation(client: TestClient) -> None:
    cuma = register(client, name="CUMA du Champsaur", kind="cuma", commune="Gap", postcode=None)
    other = register(client, name="Ferme du Lautaret", contact_email="lautaret@ferme.example")
    theirs = client.post("/api/v1/organisations/me/sites", headers=other, json=BRIANCON).json()["id"]
    for site_id in (theirs, "pas-un-site"):
        answer = client.post("/api/v1/listings", headers=cuma, json={**GOOD, "site_id": site_id})
        assert answer.status_code == 422 and ["body", "site_id"] in error_locations(answer)
        assert "inconnu de votre organisation" in str(answer.json()["detail"])
    assert (
        client.patch(f"/api/v1/organisations/me/sites/{theirs}", headers=cuma, json={"name": "Volé"}).status_code == 404
    )
    assert client.delete(f"/api/v1/organisations/me/sites/{theirs}", headers=cuma).status_code == 404
