"""The law through the running services: a forbidden exchange is never proposed, an allowed one says what it requires.

One case per rule family (animal by-products, waste on land, waste status, fitness for use), on SQLite and
PostgreSQL. Each forbidden need is posted together with an allowed one, before the offer (or, for the ash, the
need after both offers): both are weighed in the same transaction, so seeing the allowed proposal proves the
forbidden one absent. The run's stack is shared with other files: these organisations sit in the Cantal, around
Aurillac, where no other file posts.
"""

from __future__ import annotations

import httpx

from shared.devstack import Stack
from tests import web
from tests.conftest import mailbox, wait_until
from tests.e2e.test_matching_service import auth, matches, post, register


def obligations(match: dict) -> set[str]:
    return {o["id"] for o in match["obligations"]}


def test_catering_waste_never_feeds_pigs_and_goes_to_the_digester_with_its_papers(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        canteen = register(client, "Cuisine centrale d'Aurillac", "Aurillac", "15000")
        pigs = register(client, "Élevage porcin de Naucelles", "Naucelles", "15250")
        digester = register(client, "Méthanisation d'Arpajon", "Arpajon-sur-Cère", "15130")
        post(client, pigs, kind="need", title="Restes alimentaires pour nourrir nos porcs")
        post(client, digester, kind="need", title="Biodéchets pour notre méthaniseur")
        post(
            client,
            canteen,
            kind="offer",
            title="Restes de repas de la cantine",
            quantity={"value": 300, "unit": "kg"},
            frequency="weekly",
        )

        [match] = wait_until(lambda: matches(client, digester), timeout=20)
        assert obligations(match) == {"abp_commercial_document", "abp_approved_establishment", "waste_register"}
        for obligation in match["obligations"]:
            assert obligation["label"] and obligation["texts"]
            assert all(text["url"].startswith("https://") for text in obligation["texts"])
        assert "Ce que la loi demande" in match["explanation"]
        assert matches(client, pigs) == []  # the swill-feeding ban, whatever the similarity

        [summary] = wait_until(lambda: [m for m in mailbox(stack) if m["to"] == digester["email"]], timeout=20)
        alert = web.get(f"http://127.0.0.1:{stack.ports.mailbox}/api/messages/{summary['id']}", timeout=5).json()
        assert "Ce que la loi demande pour cet échange" in alert["text"]
        assert "document d'accompagnement commercial (DAC)" in alert["text"].replace("\n", " ")
        assert "https://eur-lex.europa.eu/eli/reg/2011/142/oj" in alert["text"]
        [offers_side] = matches(client, canteen)
        assert obligations(offers_side) == obligations(match)  # both parties read what the exchange requires


def test_treated_wood_ash_never_goes_on_fields_clean_ash_does_under_a_spreading_plan(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        joinery = register(client, "Menuiserie de Jussac", "Jussac", "15250")
        boiler = register(client, "Chaufferie bois de Sansac", "Sansac-de-Marmiesse", "15130")
        farmer = register(client, "GAEC du Puy d'Ytrac", "Ytrac", "15000")
        post(client, joinery, kind="offer", title="Cendres de chaudière bois B (panneaux, palettes broyées)")
        post(client, boiler, kind="offer", title="Cendres de chaudière à plaquettes forestières")
        post(client, farmer, kind="need", title="Cendres de bois pour amendement de mes parcelles")

        found = wait_until(lambda: matches(client, farmer), timeout=20)
        assert [m["counterpart"]["title"] for m in found] == ["Cendres de chaudière à plaquettes forestières"]
        assert "spreading_plan" in obligations(found[0])


def test_a_need_for_a_product_gets_no_declared_waste_and_the_waste_comes_with_its_register(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        demolition = register(client, "Démolition Cantal Est", "Aurillac", "15000")
        roads = register(client, "Routes du Cantal", "Giou-de-Mamou", "15130")
        builder = register(client, "Maçonnerie de Vézac", "Vézac", "15130")
        post(client, roads, kind="need", title="Granulats de béton concassé pour sous-couche", waste_status="produit")
        post(client, builder, kind="need", title="Granulats de béton concassé pour sous-couche")
        post(
            client,
            demolition,
            kind="offer",
            title="Granulats de béton concassé",
            waste_status="déchet",
            quantity={"value": 20, "unit": "t"},
            frequency="once",
        )

        [match] = wait_until(lambda: matches(client, builder), timeout=20)
        assert obligations(match) == {"waste_register", "transporter_declaration"}
        assert matches(client, roads) == []


def test_a_pellet_boiler_gets_no_sawdust_a_henhouse_does(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        sawmill = register(client, "Scierie de Naucelles", "Naucelles", "15250")
        school = register(client, "Chaufferie du collège de Jussac", "Jussac", "15250")
        hens = register(client, "Ferme avicole de Sansac", "Sansac-de-Marmiesse", "15130")
        post(client, school, kind="need", title="Combustible pour chaudière à granulés")
        post(client, hens, kind="need", title="Sciure pour litière de poulailler")
        post(
            client,
            sawmill,
            kind="offer",
            title="Sciure de bois humide",
            quantity={"value": 2, "unit": "t"},
            frequency="monthly",
        )

        [match] = wait_until(
            lambda: [m for m in matches(client, hens) if m["counterpart"]["title"] == "Sciure de bois humide"],
            timeout=20,
        )
        assert "by_product_conditions" in obligations(match)  # sawmill sawdust: a by-product to document
        assert "Sciure de bois humide" not in [m["counterpart"]["title"] for m in matches(client, school)]
        assert client.get("/api/v1/matches", headers=auth(school)).status_code == 200
