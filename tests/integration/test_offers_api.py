"""The offers API on SQLite and PostgreSQL: every rule answers 4xx naming the field at fault."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from offers.main import create_app
from offers.models import Listing
from offers.service import expire_due_listings
from sqlmodel import Session, select

from shared.devstack import Stack
from shared.outbox import OutboxMessage
from tests.conftest import BACKENDS, Databases, settings_of

TODAY = date.today()


@pytest.fixture
def client(backend: str, settings_for) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(create_app(settings_for(backend))) as test_client:
        yield test_client


@pytest.fixture(scope="module", params=BACKENDS)
def validating(
    request: pytest.FixtureRequest, broker: Stack, databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """One app per database for the tests that only read its 422s: each registers an organisation of its own, and
    an app per test (a migrated database, a relay, a producer) cost a second each."""
    settings = settings_of(broker, databases, tmp_path_factory.mktemp("validating"), request.param)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def register(client: TestClient, **overrides: object) -> dict[str, str]:
    body = {
        "name": "Scierie Roux",
        "kind": "company",
        "commune": "Dole",
        "postcode": "39100",
        "contact_email": "roux@scierie.example",
        **overrides,
    }
    answer = client.post("/api/v1/organisations", json=body)
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def error_locations(answer) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return [item["loc"] for item in answer.json()["detail"]]


GOOD = {"kind": "offer", "title": "Sciure de bois", "quantity": {"value": 3, "unit": "t"}, "frequency": "monthly"}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"kind": "gift"}, ["body", "kind"], "Valeur inconnue : attendu 'offer', 'need', 'share' ou 'pool'"),
        ({"title": "ab"}, ["body", "title"], "3"),
        ({"quantity": {"value": 0, "unit": "t"}}, ["body", "quantity", "value"], "plus grande que zéro"),
        ({"quantity": {"value": -2, "unit": "kg"}}, ["body", "quantity", "value"], "plus grande que zéro"),
        ({"quantity": {"value": 2, "unit": "barrels"}}, ["body", "quantity.unit"], "Unité « barrels » inconnue"),
        ({"frequency": "hourly"}, ["body", "frequency"], "monthly"),
        ({"radius_km": 0}, ["body", "radius_km"], "rayon"),
        ({"radius_km": 5000}, ["body", "radius_km"], "rayon"),
        ({"expires_at": str(TODAY - timedelta(days=1))}, ["body", "expires_at"], "postérieure"),
        (
            {"available_from": str(TODAY + timedelta(days=30)), "expires_at": str(TODAY + timedelta(days=10))},
            ["body", "available_from"],
            "précéder",
        ),
        ({"expires_at": "9999-12-31"}, ["body", "expires_at"], "deux ans"),
        ({"available_from": str(TODAY + timedelta(days=731))}, ["body", "available_from"], "deux ans"),
        ({"ewc_code": "999999"}, ["body", "ewc_code"], "nomenclature européenne"),
        ({"waste_status": "recyclé"}, ["body", "waste_status"], "Statut « recyclé » inconnu : « waste » (déchet)"),
        ({"abp_category": 4}, ["body", "abp_category"], "1, 2 ou 3"),
        ({"frequency": "continuous"}, ["body", "frequency"], "« En continu » va avec un débit : kW, MW, m³/h ou t/h"),
        (
            {"quantity": {"value": 500, "unit": "kW"}, "frequency": "monthly"},
            ["body", "frequency"],
            "Un débit en kW court en continu ou sur une saison",
        ),
        (
            {"temperature_c": 2000},
            ["body", "temperature_c"],
            "La température (°C) doit être comprise entre -60 et 1500",
        ),
        ({"moisture_percent": 120}, ["body", "moisture_percent"], "L'humidité (%) doit être comprise entre 0 et 100"),
        ({"pressure_bar": -1}, ["body", "pressure_bar"], "La pression (bar) doit être comprise"),
        ({"abp_category": "C3"}, ["body", "abp_category"], "Catégorie de sous-produits animaux « C3 » inconnue"),
        ({"colour": "blue"}, ["body", "colour"], "Champ inconnu : retirez-le"),
        ({"terms": "troc"}, ["body", "terms"], "Conditions « troc » inconnues : « free » (gratuit)"),
        ({"transport_by": "voisin"}, ["body", "transport_by"], "Transport « voisin » inconnu : « giver »"),
        ({"transport_means": "brouette"}, ["body", "transport_means"], "Véhicule « brouette » inconnu : « van »"),
        ({"days": ["férié"]}, ["body", "days"], "Jour « férié » inconnu : « mon » (lundi)"),
        ({"months": [13]}, ["body", "months"], "Mois « 13 » inconnu : de 1 (janvier) à 12 (décembre)"),
        ({"price": "x" * 121}, ["body", "price"], "120"),
    ],
)
def test_each_listing_rule_names_its_field(
    validating: TestClient, change: dict, field: list[str], message: str
) -> None:
    answer = validating.post("/api/v1/listings", headers=register(validating), json={**GOOD, **change})
    assert answer.status_code == 422
    assert field in error_locations(answer)
    assert message in str(answer.json()["detail"])


def test_a_continuous_flow_and_its_qualities_are_stored_and_shown(client: TestClient) -> None:
    """500 kW of heat all year round at 60 °C, 4 bar: a rate with « en continu », qualities shown to others too."""
    owner, other = register(client), register(client, name="Serres Morel", contact_email="morel@serres.example")
    created = client.post(
        "/api/v1/listings",
        headers=owner,
        json={
            "kind": "offer",
            "title": "Chaleur fatale",
            "quantity": {"value": 500, "unit": "kW"},
            "frequency": "continuous",
            "temperature_c": 60,
            "pressure_bar": 4,
        },
    )
    assert created.status_code == 201, created.text
    mine = client.get(f"/api/v1/listings/{created.json()['id']}", headers=owner).json()
    assert (mine["quantity"], mine["frequency"]) == ({"value": 500.0, "unit": "kw"}, "continuous")
    seen = client.get(f"/api/v1/listings/{created.json()['id']}", headers=other).json()
    assert (seen["quantity_approx"], seen["temperature_c"], seen["pressure_bar"]) == ("environ 500 kW", 60.0, 4.0)
    seasonal = client.patch(
        f"/api/v1/listings/{created.json()['id']}",
        headers=owner,
        json={"quantity": {"value": 2, "unit": "m³/h"}, "frequency": "seasonal"},
    )
    assert seasonal.status_code == 200 and seasonal.json()["quantity"]["unit"] == "m3h"


def test_a_valid_listing_is_stored_in_full_for_its_owner(client: TestClient) -> None:
    owner = register(client)
    created = client.post(
        "/api/v1/listings",
        headers=owner,
        json={**GOOD, "ewc_code": "03 01 05", "description": "Sciure sèche, non traitée"},
    )
    assert created.status_code == 201 and created.json()["status"] == "active"
    listing = client.get(f"/api/v1/listings/{created.json()['id']}", headers=owner).json()
    assert listing["ewc_code"] == "030105"
    assert listing["quantity"] == {"value": 3.0, "unit": "t"}
    assert listing["expires_at"] == str(TODAY + timedelta(days=182))  # data stay fresh: 6 months by default
    assert listing["mine"] is True


def test_a_declared_legal_status_is_kept_shown_and_published(backend: str, settings_for) -> None:  # type: ignore[no-untyped-def]
    """Status (its French name accepted), animal by-product category and organic use: stored, shown to others
    (the partner's obligations follow from them), sent to matching, and emptied with null."""
    app = create_app(settings_for(backend))
    with TestClient(app) as client:
        owner, other = register(client), register(client, name="Ferme Morel", contact_email="morel@ferme.example")
        created = client.post(
            "/api/v1/listings",
            headers=owner,
            json={
                **GOOD,
                "title": "Lactosérum",
                "waste_status": "Sous-produit",
                "abp_category": "3",
                "organic_farming": True,
            },
        )
        assert created.status_code == 201, created.text
        listing_id = created.json()["id"]
        for reader in (owner, other):
            seen = client.get(f"/api/v1/listings/{listing_id}", headers=reader).json()
            assert (seen["waste_status"], seen["abp_category"], seen["organic_farming"]) == ("by_product", 3, True)
        changed = client.patch(
            f"/api/v1/listings/{listing_id}", headers=owner, json={"waste_status": None, "abp_category": None}
        )
        assert (changed.json()["waste_status"], changed.json()["abp_category"]) == (None, None)
        with Session(app.state.runtime.engine) as session:
            events = session.exec(
                select(OutboxMessage).where(OutboxMessage.topic == "boucle.listings").order_by(OutboxMessage.id)
            ).all()
        published, updated = payload(events[0]), payload(events[-1])
        assert (published["waste_status"], published["abp_category"], published["organic_farming"]) == (
            "by_product",
            3,
            True,
        )
        assert (updated["waste_status"], updated["abp_category"], updated["organic_farming"]) == (None, None, True)


def test_others_see_an_anonymised_listing(client: TestClient) -> None:
    owner = register(client)
    other = register(client, name="Ferme Morel", contact_email="morel@ferme.example")
    created = client.post(
        "/api/v1/listings",
        headers=owner,
        json={
            **GOOD,
            "quantity": {"value": 2300, "unit": "kg"},
            "description": "Appeler M. Roux",
            "terms": "à vendre",
            "price": "45 € la tonne",
        },
    ).json()
    assert client.get(f"/api/v1/listings/{created['id']}", headers=owner).json()["price"] == "45 € la tonne"
    seen = client.get(f"/api/v1/listings/{created['id']}", headers=other).json()
    assert seen["mine"] is False
    assert seen["terms"] == "for_sale" and "price" not in seen  # the terms are said, the price waits
    assert seen["quantity_approx"] == "environ 2\u202f000 kg"
    assert seen["commune"] == "Dole"
    assert "description" not in seen and "organisation_id" not in seen
    assert "Roux" not in str(seen)
    listed = client.get("/api/v1/listings", headers=other).json()
    assert [item["id"] for item in listed] == [created["id"]]
    assert client.get("/api/v1/listings?mine=true", headers=other).json() == []


def test_update_withdraw_and_their_refusals(client: TestClient) -> None:
    owner = register(client)
    other = register(client, name="Ferme Morel", contact_email="morel@ferme.example")
    listing_id = client.post("/api/v1/listings", headers=owner, json=GOOD).json()["id"]

    updated = client.patch(f"/api/v1/listings/{listing_id}", headers=owner, json={"title": "Sciure de chêne"})
    assert updated.status_code == 200 and updated.json()["revision"] == 2
    assert updated.json()["title"] == "Sciure de chêne"
    assert client.patch(f"/api/v1/listings/{listing_id}", headers=owner, json={"kind": "need"}).status_code == 422
    assert client.patch(f"/api/v1/listings/{listing_id}", headers=other, json={"title": "pris"}).status_code == 404
    assert client.delete(f"/api/v1/listings/{listing_id}", headers=other).status_code == 404

    assert client.delete(f"/api/v1/listings/{listing_id}", headers=owner).json()["status"] == "withdrawn"
    again = client.patch(f"/api/v1/listings/{listing_id}", headers=owner, json={"title": "Sciure"})
    assert again.status_code == 409 and "retirée" in str(again.json()["detail"])
    assert client.get(f"/api/v1/listings/{listing_id}", headers=other).status_code == 404


def test_authentication_is_required(client: TestClient) -> None:
    assert client.post("/api/v1/listings", json=GOOD).status_code == 401
    bad = client.get("/api/v1/listings", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401 and bad.json()["detail"] == "Jeton d'accès invalide."


def test_every_validation_error_is_in_french(client: TestClient) -> None:
    """Pydantic's own checks too: types, lengths, lists, dates, booleans, unknown fields — never its English."""
    answer = client.post(
        "/api/v1/listings",
        headers=register(client),
        json={
            "title": "x" * 300,
            "description": "d" * 5001,
            "quantity": {"value": "beaucoup", "unit": "t"},
            "expires_at": "demain",
            "organic_farming": "peut-être",
            "private_fields": "quantity",
            "colour": "bleu",
            "radius_km": [1],
        },
    )
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    by_field = {tuple(item["loc"][1:]): item["msg"] for item in detail}
    assert by_field[("kind",)] == "Ce champ est obligatoire."
    assert by_field[("title",)] == "200 caractères au plus."
    assert by_field[("description",)] == "5000 caractères au plus."
    assert by_field[("quantity", "value")] == "Un nombre est attendu (par exemple 2,5)."
    assert by_field[("expires_at",)] == "Date attendue au format AAAA-MM-JJ."
    assert by_field[("organic_farming",)] == "Oui ou non attendu (true ou false)."
    assert by_field[("private_fields",)] == "Une liste est attendue."
    assert by_field[("colour",)].startswith("Champ inconnu")
    for item in detail:
        assert not any(word in item["msg"] for word in ("Input", "should", "Field", "valid", "required")), item


def test_malformed_json_is_a_422_not_a_500(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/listings", headers={**register(client), "content-type": "application/json"}, content=b'{"kind": '
    )
    assert answer.status_code == 422


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"commune": "Trifouillis-les-Oies", "postcode": None}, ["body", "commune"], "Aucune commune"),
        ({"commune": None, "postcode": "21700"}, ["body", "postcode"], "précisez la commune"),
        ({"commune": None, "postcode": None}, ["body", "commune"], "Indiquez la commune"),
        ({"siret": "12345678901234"}, ["body", "siret"], "SIRET"),
        ({"naf_code": "99.99Z"}, ["body", "naf_code"], "NAF"),
        ({"contact_email": "pas-une-adresse"}, ["body", "contact_email"], "email"),
        ({"kind": "spaceship"}, ["body", "kind"], "company"),
    ],
)
def test_each_organisation_rule_names_its_field(
    validating: TestClient, change: dict, field: list[str], message: str
) -> None:
    body = {
        "name": "Scierie Roux",
        "kind": "company",
        "commune": "Dole",
        "postcode": "39100",
        "contact_email": "roux@scierie.example",
        **change,
    }
    answer = validating.post("/api/v1/organisations", json={k: v for k, v in body.items() if v is not None})
    assert answer.status_code == 422
    assert field in error_locations(answer)
    assert message in str(answer.json()["detail"])


def test_organisation_location_is_resolved_offline(client: TestClient) -> None:
    headers = register(client, commune="Nuits-Saint-Georges", postcode=None, siret="73282932000074", naf_code="3821Z")
    me = client.get("/api/v1/organisations/me", headers=headers).json()
    assert me["insee"] == "21464" and me["postcode"] == "21700"
    assert 47.0 < me["lat"] < 47.3 and 4.8 < me["lon"] < 5.1
    assert me["naf_code"] == "38.21Z"


def test_the_profile_changes_and_a_move_republishes_active_listings(backend: str, settings_for) -> None:  # type: ignore[no-untyped-def]
    app = create_app(settings_for(backend))
    with TestClient(app) as client:
        headers = register(client)
        active = client.post("/api/v1/listings", headers=headers, json=GOOD).json()["id"]
        paused = client.post("/api/v1/listings", headers=headers, json=GOOD).json()["id"]
        client.post(f"/api/v1/listings/{paused}/pause", headers=headers)

        renamed = client.patch(
            "/api/v1/organisations/me",
            headers=headers,
            json={"name": "Scierie Roux et fils", "naf_code": "1610A", "siret": "732 829 320 00074"},
        )
        assert renamed.status_code == 200, renamed.text
        assert (renamed.json()["name"], renamed.json()["naf_code"], renamed.json()["siret"]) == (
            "Scierie Roux et fils",
            "16.10A",
            "73282932000074",
        )
        assert renamed.json()["commune"] == "Dole"
        moved = client.patch(
            "/api/v1/organisations/me", headers=headers, json={"commune": "Nuits-Saint-Georges", "siret": None}
        )
        assert moved.status_code == 200, moved.text
        me = client.get("/api/v1/organisations/me", headers=headers).json()
        assert (me["insee"], me["postcode"], me["siret"]) == ("21464", "21700", None)

        with Session(app.state.runtime.engine) as session:
            events = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [e.type for e in events if e.topic == "boucle.organisations"] == [
            "organisation.registered",
            "organisation.updated",
            "organisation.updated",
        ]
        last = payload(events[-2])
        assert last["name"] == "Scierie Roux et fils" and last["insee"] == "21464"
        republished = [payload(e) for e in events if e.type == "listing.updated"]
        assert [(p["listing_id"], p["insee"], p["revision"]) for p in republished] == [(active, "21464", 2)]


def payload(message: OutboxMessage) -> dict:
    return json.loads(message.value)["payload"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": None}, ["body", "name"], "pas être vidé"),
        ({"contact_email": None}, ["body", "contact_email"], "pas être vidé"),
        ({"siret": "12345678901234"}, ["body", "siret"], "SIRET"),
        ({"naf_code": "99.99Z"}, ["body", "naf_code"], "NAF"),
        ({"commune": "Trifouillis-les-Oies"}, ["body", "commune"], "Aucune commune"),
        ({"lat": 47.0}, ["body", "lon"], "vont ensemble"),
        ({"lat": 47.0, "lon": 5.0}, ["body", "commune"], "Indiquez la commune"),
        ({"website": "x"}, ["body", "website"], "Champ inconnu : retirez-le"),
    ],
)
def test_each_profile_rule_names_its_field(
    validating: TestClient, change: dict, field: list[str], message: str
) -> None:
    headers = register(validating)
    answer = validating.patch("/api/v1/organisations/me", headers=headers, json=change)
    assert answer.status_code == 422, answer.text
    assert field in error_locations(answer)
    assert message in str(answer.json()["detail"])
    assert validating.get("/api/v1/organisations/me", headers=headers).json()["name"] == "Scierie Roux"


def test_listings_past_their_validity_expire_with_an_event(backend: str, settings_for) -> None:  # type: ignore[no-untyped-def]
    app = create_app(settings_for(backend))
    with TestClient(app) as client:
        headers = register(client)
        listing_id = client.post("/api/v1/listings", headers=headers, json=GOOD).json()["id"]
        engine = app.state.runtime.engine
        with Session(engine) as session:
            assert expire_due_listings(session, TODAY) == 0
            assert expire_due_listings(session, TODAY + timedelta(days=183)) == 1
            assert session.get(Listing, listing_id).status == "expired"
            events = session.exec(
                select(OutboxMessage).where(OutboxMessage.key == listing_id).order_by(OutboxMessage.id)
            ).all()
            assert [e.type for e in events] == ["listing.published", "listing.expired"]
        assert client.get(f"/api/v1/listings/{listing_id}", headers=headers).json()["status"] == "expired"


def test_a_request_sent_again_with_its_idempotency_key_publishes_once(client: TestClient) -> None:
    owner = register(client)
    once = {**owner, "Idempotency-Key": "lot-sciure-2026-11"}
    first = client.post("/api/v1/listings", headers=once, json=GOOD)
    again = client.post("/api/v1/listings", headers=once, json=GOOD)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert "idempotent-replayed" not in first.headers and again.headers["idempotent-replayed"] == "true"
    other_key = client.post("/api/v1/listings", headers={**owner, "Idempotency-Key": "lot-2"}, json=GOOD)
    assert other_key.status_code == 201 and other_key.json()["id"] != first.json()["id"]
    # The key is the organisation's own: another one using the same name publishes its listing.
    stranger = client.post(
        "/api/v1/listings",
        headers={**register(client, name="Ferme Bio"), "Idempotency-Key": "lot-sciure-2026-11"},
        json=GOOD,
    )
    assert stranger.status_code == 201 and stranger.json()["id"] != first.json()["id"]

    mine = client.get("/api/v1/listings", headers=owner, params={"mine": "true"}).json()
    assert sorted(x["id"] for x in mine) == sorted((first.json()["id"], other_key.json()["id"]))
    with Session(client.app.state.runtime.engine) as session:  # type: ignore[attr-defined]
        published = session.exec(select(OutboxMessage).where(OutboxMessage.key == first.json()["id"])).all()
    assert [m.type for m in published] == ["listing.published"]


def test_an_idempotency_key_reused_for_another_listing_or_malformed_is_refused(client: TestClient) -> None:
    owner = register(client)
    assert client.post("/api/v1/listings", headers={**owner, "Idempotency-Key": "k1"}, json=GOOD).status_code == 201
    reused = client.post(
        "/api/v1/listings", headers={**owner, "Idempotency-Key": "k1"}, json={**GOOD, "title": "Copeaux de bois"}
    )
    assert reused.status_code == 422
    assert error_locations(reused) == [["header", "Idempotency-Key"]]
    assert "déjà servi" in reused.json()["detail"][0]["msg"]
    too_long = client.post("/api/v1/listings", headers={**owner, "Idempotency-Key": "k" * 256}, json=GOOD)
    assert too_long.status_code == 422 and error_locations(too_long) == [["header", "Idempotency-Key"]]
    assert len(client.get("/api/v1/listings", headers=owner, params={"mine": "true"}).json()) == 1


def test_the_same_request_sent_at_once_from_many_clients_publishes_once(client: TestClient) -> None:
    owner = {**register(client), "Idempotency-Key": "rafale"}
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: client.post("/api/v1/listings", headers=owner, json=GOOD), range(16)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(client.get("/api/v1/listings", headers=owner, params={"mine": "true"}).json()) == 1


def test_a_company_is_offered_the_flows_of_its_activity_to_publish_or_dismiss(client: TestClient) -> None:
    """Issue 17, point 3: a sawmill gets sawdust and bark (and packaging) to confirm in one click, not a blank form;
    what it publishes or dismisses is not offered again."""
    auth = register(client, naf_code="16.10A")
    offered = client.get("/api/v1/organisations/me/suggestions", headers=auth).json()
    assert [(s["ewc_code"], s["kind"]) for s in offered] == [
        ("030105", "offer"),
        ("030101", "offer"),
        ("150101", "offer"),
        ("150103", "offer"),
    ]
    sawdust = offered[0]
    published = client.post(
        "/api/v1/listings",
        headers=auth,
        json={"kind": sawdust["kind"], "title": sawdust["title"], "ewc_code": sawdust["ewc_code"]},
    )
    assert published.status_code == 201, published.text
    for _ in range(2):  # set aside, twice: the same answer
        dismissed = client.post(
            "/api/v1/organisations/me/suggestions/dismissed", headers=auth, json={"ewc_code": "150101"}
        )
        assert dismissed.status_code == 200 and dismissed.json()["title"] == "Cartons et papiers d'emballage"
    left = [s["ewc_code"] for s in client.get("/api/v1/organisations/me/suggestions", headers=auth).json()]
    assert left == ["030101", "150103"]
    unknown = client.post("/api/v1/organisations/me/suggestions/dismissed", headers=auth, json={"ewc_code": "200108"})
    assert unknown.status_code == 404 and "suggéré" in unknown.json()["detail"]
    other = register(client, name="Conseil informatique", naf_code="62.02A", contact_email="it@conseil.example")
    assert client.get("/api/v1/organisations/me/suggestions", headers=other).json() == []


def test_a_listing_is_swapped_only_against_a_live_listing_of_its_own_of_the_complementary_kind(
    client: TestClient,
) -> None:
    """« En échange de… » (issue 21, point 4): straw offered for manure."""
    farm = register(client, name="EARL des Coteaux", contact_email="earl@coteaux.example")
    other = register(client, name="GAEC voisin", contact_email="gaec@voisin.example")
    manure = client.post("/api/v1/listings", headers=farm, json={"kind": "need", "title": "Fumier"}).json()["id"]
    straw = client.post(
        "/api/v1/listings", headers=farm, json={"kind": "offer", "title": "Paille", "counterpart_id": manure}
    )
    assert straw.status_code == 201, straw.text
    assert client.get(f"/api/v1/listings/{straw.json()['id']}", headers=farm).json()["counterpart_id"] == manure
    hay = client.post("/api/v1/listings", headers=farm, json={"kind": "offer", "title": "Foin"}).json()["id"]
    theirs = client.post("/api/v1/listings", headers=other, json={"kind": "need", "title": "Paille"}).json()["id"]
    for counterpart, message in (
        (hay, "ne complète pas"),
        (theirs, "inconnue parmi les annonces en ligne"),
        ("pas-une-annonce", "inconnue parmi les annonces en ligne"),
    ):
        refused = client.post(
            "/api/v1/listings", headers=farm, json={"kind": "offer", "title": "Paille", "counterpart_id": counterpart}
        )
        assert refused.status_code == 422 and ["body", "counterpart_id"] in error_locations(refused)
        assert message in str(refused.json()["detail"])
    client.delete(f"/api/v1/listings/{manure}", headers=farm)
    withdrawn = client.patch(f"/api/v1/listings/{hay}", headers=farm, json={"counterpart_id": manure})
    assert withdrawn.status_code == 422 and "inconnue parmi" in str(withdrawn.json()["detail"])
