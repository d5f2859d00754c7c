"""Offers on SQLite and PostgreSQL: the reminder before expiry (once per validity period),
renewal through the API, and the signed page an email's link opens."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from offers.main import create_app
from offers.service import expire_due_listings, remind_expiring_listings
from sqlmodel import Session, select

from shared.links import LinkSigner
from shared.outbox import OutboxMessage
from shared.settings import Settings

TODAY = date.today()
SOON = TODAY + timedelta(days=5)
GOOD = {"kind": "offer", "title": "Palettes bois EUR", "quantity": {"value": 40, "unit": "pallet"}}


@pytest.fixture
def settings(backend: str, settings_for) -> Settings:  # type: ignore[no-untyped-def]
    return settings_for(backend)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def register(client: TestClient, name: str = "Menuiserie Blanc") -> dict[str, str]:
    answer = client.post(
        "/api/v1/organisations",
        json={
            "name": name,
            "kind": "company",
            "commune": "Dole",
            "postcode": "39100",
            "contact_email": "blanc@example.fr",
        },
    )
    assert answer.status_code == 201, answer.text
    token = answer.json()["token"]
    me = client.get("/api/v1/organisations/me", headers={"Authorization": f"Bearer {token}"}).json()
    return {"Authorization": f"Bearer {token}", "id": me["id"]}


def publish(client: TestClient, org: dict[str, str], **fields: object) -> str:
    answer = client.post("/api/v1/listings", headers=auth(org), json={**GOOD, **fields})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def auth(org: dict[str, str]) -> dict[str, str]:
    return {"Authorization": org["Authorization"]}


def events(client: TestClient, listing_id: str, event_type: str) -> list[dict]:
    with Session(client.app.state.runtime.engine) as session:  # type: ignore[attr-defined]
        rows = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.key == listing_id, OutboxMessage.type == event_type)
            .order_by(OutboxMessage.id)
        ).all()
        return [json.loads(row.value) for row in rows]


def remind(client: TestClient, today: date = TODAY) -> int:
    with Session(client.app.state.runtime.engine) as session:  # type: ignore[attr-defined]
        return remind_expiring_listings(session, today, days=14)


def test_owners_are_reminded_once_per_validity_period_across_restarts(settings: Settings, client: TestClient) -> None:
    org = register(client)
    soon = publish(client, org, expires_at=str(SOON))
    later = publish(client, org)  # six months ahead: not yet
    closed = publish(client, org, title="Chutes de contreplaqué", expires_at=str(SOON))
    assert client.delete(f"/api/v1/listings/{closed}", headers=auth(org)).status_code == 200

    assert remind(client) == 1
    assert remind(client) == 0  # the next round of the worker
    [event] = events(client, soon, "listing.expiring")
    assert event["key"] == soon and event["producer"] == "offers"
    assert event["payload"] == {
        "listing_id": soon,
        "organisation_id": org["id"],
        "revision": 1,
        "title": "Palettes bois EUR",
        "kind": "offer",
        "expires_at": str(SOON),
    }
    assert events(client, later, "listing.expiring") == events(client, closed, "listing.expiring") == []

    with TestClient(create_app(settings)) as restarted:  # same database, new process
        assert remind(restarted) == 0
        renewed = restarted.post(f"/api/v1/listings/{soon}/renew", headers=auth(org)).json()
        new_expiry = date.fromisoformat(renewed["expires_at"])
        assert new_expiry == TODAY + timedelta(days=182)
        assert remind(restarted) == 0
        assert remind(restarted, new_expiry - timedelta(days=10)) == 2  # the renewed one, and `later`
        assert [e["payload"]["expires_at"] for e in events(restarted, soon, "listing.expiring")] == [
            str(SOON),
            str(new_expiry),
        ]
        assert events(restarted, soon, "listing.expiring")[1]["payload"]["revision"] == 2


def test_renew_through_the_api(client: TestClient) -> None:
    owner, other = register(client), register(client, "Ferme Morel")
    listing_id = publish(client, owner, expires_at=str(SOON))

    assert client.post(f"/api/v1/listings/{listing_id}/renew", headers=auth(other)).status_code == 404
    assert client.post(f"/api/v1/listings/{listing_id}/renew").status_code == 401
    renewed = client.post(f"/api/v1/listings/{listing_id}/renew", headers=auth(owner))
    assert renewed.status_code == 200
    assert renewed.json()["expires_at"] == str(TODAY + timedelta(days=182))
    assert renewed.json()["status"] == "active" and renewed.json()["revision"] == 2
    [updated] = events(client, listing_id, "listing.updated")  # matching re-indexes the new revision
    assert updated["payload"]["revision"] == 2 and updated["payload"]["expires_at"] == str(TODAY + timedelta(days=182))

    with Session(client.app.state.runtime.engine) as session:  # type: ignore[attr-defined]
        assert expire_due_listings(session, TODAY + timedelta(days=200)) == 1
    assert client.get(f"/api/v1/listings/{listing_id}", headers=auth(owner)).json()["status"] == "expired"
    back = client.post(f"/api/v1/listings/{listing_id}/renew", headers=auth(owner)).json()
    assert back["status"] == "active" and back["revision"] == 4

    assert client.delete(f"/api/v1/listings/{listing_id}", headers=auth(owner)).status_code == 200
    refused = client.post(f"/api/v1/listings/{listing_id}/renew", headers=auth(owner))
    assert refused.status_code == 409 and "retirée" in str(refused.json()["detail"])


def test_the_signed_page_renews_or_closes_only_the_listing_it_names(settings: Settings, client: TestClient) -> None:
    signer = LinkSigner(settings.secret_key)
    owner, other = register(client), register(client, "Ferme Morel")
    mine = publish(client, owner, expires_at=str(SOON))
    theirs = publish(client, other, title="Fumier de bovins", expires_at=str(SOON))
    token = signer.sign("listing-renewal", l=mine, o=owner["id"])

    page = client.get(f"/liens/annonce/{token}")
    assert page.status_code == 200
    assert "« Palettes bois EUR »" in page.text and f"{SOON:%d/%m/%Y}" in page.text
    assert "Renouveler pour 6 mois" in page.text and "Clôturer l'annonce" in page.text
    assert client.get(f"/api/v1/listings/{mine}", headers=auth(owner)).json()["revision"] == 1  # GET never acts

    done = client.post(f"/liens/annonce/{token}", data={"action": "renew"})
    assert done.status_code == 200
    assert f"en ligne jusqu'au {TODAY + timedelta(days=182):%d/%m/%Y}" in html.unescape(done.text)
    assert client.get(f"/api/v1/listings/{mine}", headers=auth(owner)).json()["expires_at"] == str(
        TODAY + timedelta(days=182)
    )

    foreign = signer.sign("listing-renewal", l=theirs, o=owner["id"])  # org A's token on B's listing
    for attempt in (
        client.get(f"/liens/annonce/{foreign}"),
        client.post(f"/liens/annonce/{foreign}", data={"action": "close"}),
    ):
        assert attempt.status_code == 404 and "Annonce introuvable" in attempt.text
    # B's claims with the signature of A's token (`payload.timestamp.signature`, the payload maybe compressed)
    swapped = ".".join(
        [signer.sign("listing-renewal", l=theirs, o=other["id"]).rsplit(".", 2)[0], *token.rsplit(".", 2)[1:]]
    )
    for bad in (swapped, token[:-3] + "xyz", signer.sign("match-response", l=mine, o=owner["id"]), "nimporte"):
        answer = client.post(f"/liens/annonce/{bad}", data={"action": "close"})
        assert answer.status_code == 400 and "Lien invalide" in answer.text and "pas valide" in answer.text
    assert client.get(f"/api/v1/listings/{theirs}", headers=auth(other)).json()["status"] == "active"

    assert client.post(f"/liens/annonce/{token}", data={"action": "burn"}).status_code == 422
    closed = client.post(f"/liens/annonce/{token}", data={"action": "close"})
    assert closed.status_code == 200 and "votre annonce est clôturée" in closed.text
    assert "Renouveler" not in closed.text
    assert client.get(f"/api/v1/listings/{mine}", headers=auth(owner)).json()["status"] == "withdrawn"
    again = client.post(f"/liens/annonce/{token}", data={"action": "renew"})
    assert again.status_code == 409 and "renouveler une annonce retirée" in html.unescape(again.text)
