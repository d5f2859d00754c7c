"""A workshop (issue 17, point 4), and the pistes of invited organisations held for the animateur (point 2), through
the gateway, broker and every service, on SQLite and PostgreSQL: the
animateur gathers some of its territory's actors, reads the pistes among them ranked with their explanation and
their resources by family (what is private stays hidden), notes the room's choices, which open pistes in the
synergy lifecycle, and prints the summary. The organisations sit in the Creuse, where no other file posts."""

from __future__ import annotations

import io
import uuid

import httpx
from pypdf import PdfReader
from sqlalchemy import text

from shared.db import make_engine
from shared.devstack import Stack
from tests.conftest import account_link, animateur_of, declared_territory, mailbox, wait_until
from tests.e2e.test_synergies import insee
from tests.e2e.test_walking_skeleton import register

CARDBOARD = {
    "kind": "offer",
    "title": "Chutes de carton ondulé",
    "category": "carton",
    "quantity": {"value": 37, "unit": "t"},
    "frequency": "monthly",
    "radius_km": 60,
    "private_fields": ["quantity"],
}


def need(title: str) -> dict:
    return {
        "kind": "need",
        "title": title,
        "category": "carton",
        "quantity": {"value": 1.5, "unit": "t"},
        "frequency": "monthly",
    }


def collectivite(stack: Stack, client: httpx.Client, suffix: str) -> tuple[dict[str, str], str]:
    """A collectivité of Guéret whose animateur animates Guéret, Sainte-Feyre and Bourganeuf."""
    answer = client.post(
        "/api/v1/organisations",
        json={
            "name": f"Communauté d'agglomération du Grand Guéret {suffix}",
            "kind": "public_body",
            "commune": "Guéret",
            "contact_email": f"animation-{suffix}@grand-gueret.example",
        },
    )
    assert answer.status_code == 201, answer.text
    headers = {"Authorization": f"Bearer {answer.json()['token']}"}
    user = animateur_of(stack, client, headers, f"anim-{suffix}@grand-gueret.example")
    territory = declared_territory(
        stack,
        client,
        user,
        {
            "name": f"Creuse centrale {suffix}",
            "communes": [insee("Guéret"), insee("Sainte-Feyre"), insee("Bourganeuf")],
        },
    )
    return user, territory["id"]


def test_a_workshop_shows_the_pistes_among_its_participants_and_turns_choices_into_pistes(stack: Stack) -> None:
    suffix = uuid.uuid4().hex[:6]
    with httpx.Client(base_url=stack.url("gateway"), timeout=20) as client:
        anne, territory = collectivite(stack, client, suffix)
        names = [
            f"Cartonnerie de la Creuse {suffix}",
            f"Ébénisterie de Sainte-Feyre {suffix}",
            f"Expéditions Bourganeuf {suffix}",
        ]
        mill_id, mill = register(client, names[0], "Guéret", f"carton-{suffix}@creuse.example")
        shop_id, shop = register(client, names[1], "Sainte-Feyre", f"ebene-{suffix}@creuse.example")
        shipper_id, shipper = register(client, names[2], "Bourganeuf", f"exp-{suffix}@creuse.example")
        absent_id, absent = register(
            client, f"Imprimerie absente {suffix}", "Guéret", f"absent-{suffix}@creuse.example"
        )
        for headers, body in (
            (shop, need("Carton pour caler nos meubles")),
            (shipper, need("Cartons pour nos expéditions")),
            (absent, need("Carton pour emballer nos impressions")),
            (mill, CARDBOARD),
        ):
            assert client.post("/api/v1/listings", headers=headers, json=body).status_code == 201

        # Only the territory's actors take part (once reporting has learnt of them); the answer says which one is not.
        outsider_id, _ = register(client, f"Scierie de Tulle {suffix}", "Tulle", f"tulle-{suffix}@correze.example")
        participants = [mill_id, shop_id, shipper_id]
        wait_until(
            lambda: (
                set(participants)
                <= {
                    a["organisation_id"]
                    for a in client.get(f"/api/v1/territories/{territory}/actors", headers=anne).json()
                }
            ),
            timeout=20,
        )
        refused = client.post(
            f"/api/v1/territories/{territory}/workshops",
            headers=anne,
            json={"title": "Atelier ressources", "held_on": "2026-12-10", "participants": [*participants, outsider_id]},
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"] == ["body", "participants", "3"]
        assert "n'est pas un acteur de votre territoire" in refused.json()["detail"][0]["msg"]

        key = {"Idempotency-Key": uuid.uuid4().hex}
        body = {
            "title": "Atelier ressources de décembre",
            "held_on": "2026-12-10",
            "place": "Salle des fêtes, Guéret",
            "participants": participants,
        }
        created = client.post(f"/api/v1/territories/{territory}/workshops", headers={**anne, **key}, json=body)
        assert created.status_code == 201, created.text
        workshop = created.json()
        again = client.post(f"/api/v1/territories/{territory}/workshops", headers={**anne, **key}, json=body)
        assert again.status_code == 201 and again.json()["id"] == workshop["id"]
        assert again.headers["Idempotent-Replayed"] == "true"
        listed = client.get(f"/api/v1/territories/{territory}/workshops", headers=anne).json()
        assert [w["id"] for w in listed] == [workshop["id"]] and listed[0]["participants"] == 3

        # The pistes among the participants, and only those: the absent printer's match stays out.
        def both_pistes() -> dict | None:
            view = client.get(f"/api/v1/workshops/{workshop['id']}", headers=anne).json()
            return view if len(view["piste_list"]) == 2 else None

        view = wait_until(both_pistes, timeout=30)
        assert isinstance(view, dict)
        assert [p["rank"] for p in view["piste_list"]] == [1, 2]
        scores = [p["score"] for p in view["piste_list"]]
        assert scores == sorted(scores, reverse=True)
        for piste in view["piste_list"]:
            assert {party["organisation_id"] for party in piste["parties"]} <= set(participants)
            assert mill_id in {party["organisation_id"] for party in piste["parties"]}
            assert "Chutes de carton ondulé" in piste["explanation"] and piste["choice"] is None
        assert absent_id not in str(view)
        assert sorted(p["name"] for p in view["participant_list"]) == sorted(names)
        assert {p["kind_label"] for p in view["participant_list"]} == {"Entreprise"}
        assert len(view["map"]["markers"]) == 3 and {m["kind"] for m in view["map"]["markers"]} == {"company"}
        assert len(view["map"]["communes"]) == 3
        # Resources grouped by the engine's family, the offer's private quantity hidden, the needs' public ones shown.
        [family] = view["families"]
        assert view["families_note"] is None and family["label"] != "Autres ressources"
        by_title = {r["title"]: r for r in family["resources"]}
        assert by_title["Chutes de carton ondulé"]["quantity_text"] is None
        assert by_title["Cartons pour nos expéditions"]["quantity_text"]

        # Someone else's workshop does not exist for them; a company is no animateur.
        other, _ = collectivite(stack, client, f"{suffix}b")
        assert client.get(f"/api/v1/workshops/{workshop['id']}", headers=other).status_code == 404
        assert client.get(f"/api/v1/workshops/{workshop['id']}", headers=mill).status_code == 403

        # The room sets one piste aside, then merges both into one shared collection; sent again, nothing new.
        first, second = (p["match_id"] for p in view["piste_list"])
        aside = client.post(
            f"/api/v1/workshops/{workshop['id']}/choices",
            headers=anne,
            json={"matches": [second], "choice": "set_aside", "note": "Trop loin pour l'instant"},
        )
        assert aside.status_code == 200, aside.text
        assert aside.json()[0]["choice_label"] == "écartée" and aside.json()[0]["synergy_id"] is None
        alone = client.post(
            f"/api/v1/workshops/{workshop['id']}/choices", headers=anne, json={"matches": [first], "choice": "merged"}
        )
        assert alone.status_code == 422 and "au moins deux pistes" in alone.json()["detail"][0]["msg"]
        choice = {"matches": [first, second], "choice": "merged", "note": "Une tournée commune de collecte"}
        merged = client.post(f"/api/v1/workshops/{workshop['id']}/choices", headers=anne, json=choice)
        assert merged.status_code == 200, merged.text
        [synergy_id] = {p["synergy_id"] for p in merged.json()}
        assert synergy_id and {p["choice"] for p in merged.json()} == {"merged"}
        replay = client.post(f"/api/v1/workshops/{workshop['id']}/choices", headers=anne, json=choice)
        assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
        kept_twice = client.post(
            f"/api/v1/workshops/{workshop['id']}/choices", headers=anne, json={"matches": [first], "choice": "kept"}
        )
        assert kept_twice.status_code == 409 and "déjà retenue" in kept_twice.json()["detail"][0]["msg"]
        unknown = client.post(
            f"/api/v1/workshops/{workshop['id']}/choices",
            headers=anne,
            json={"matches": ["pas-une-piste"], "choice": "kept"},
        )
        assert unknown.status_code == 404

        # The merged piste lives in the synergy lifecycle: three parties named with their listings, the note kept.
        synergy = client.get(f"/api/v1/synergies/{synergy_id}", headers=anne).json()
        assert synergy["origin"] == "piste" and synergy["stage"] == "detected"
        assert synergy["synergy_type"] == "mutualisation" and synergy["resource"] == "Chutes de carton ondulé"
        assert {p["organisation_id"] for p in synergy["parties"]} == set(participants)
        assert "Une tournée commune de collecte" in (synergy["notes"] or "")
        assert [s["id"] for s in client.get("/api/v1/synergies", headers=shop).json()] == [synergy_id]
        assert client.get(f"/api/v1/territories/{territory}/workshops", headers=anne).json()[0]["kept"] == 1

        # Each participant reads who looked at its records; the summary prints the choices, not the secrets.
        assert any("atelier" in entry["what"] for entry in client.get("/api/v1/access-log", headers=shop).json())
        pdf = client.get(f"/api/v1/workshops/{workshop['id']}/synthese.pdf", headers=anne)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
        flat = " ".join(text.split())
        assert "Atelier ressources de décembre" in flat and "Pistes retenues (2)" in flat
        assert "Une tournée commune de collecte" in flat and names[1] in flat
        assert "37 t" not in flat and absent_id not in flat


def rows(stack: Stack, service: str, sql: str, **values: object) -> list[tuple]:  # type: ignore[type-arg]
    engine = make_engine(stack.env[f"{service.upper()}_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), values)]
    finally:
        engine.dispose()


def test_an_invited_organisations_pistes_are_held_for_the_animateur_until_it_confirms(stack: Stack) -> None:
    """Issue 17, point 2: the flows of an imported diagnostic are matched at once, but the pistes are shown to the
    territory's animateur only — not to the other party, not by email, not on the explore map — until the invited
    organisation confirms; then the same proposal reaches both parties. One that refuses leaves nothing behind."""
    suffix = uuid.uuid4().hex[:6]
    with httpx.Client(base_url=stack.url("gateway"), timeout=20) as client:
        anne, territory = collectivite(stack, client, suffix)
        shipper_email = f"expe-{suffix}@sainte-feyre.example"
        shipper_id, shipper = register(client, f"Expéditions de Sainte-Feyre {suffix}", "Sainte-Feyre", shipper_email)
        assert (
            client.post(
                "/api/v1/listings",
                headers=shipper,
                json={
                    "kind": "need",
                    "title": "Palettes pour nos expéditions",
                    "quantity": {"value": 100, "unit": "pallet"},
                    "frequency": "monthly",
                },
            ).status_code
            == 201
        )
        emails = {"confirms": f"palettes-{suffix}@creuse.example", "refuses": f"caisses-{suffix}@creuse.example"}
        names = {"confirms": f"Palettes de la Creuse {suffix}", "refuses": f"Caisserie de Guéret {suffix}"}
        csv = (
            "Organisation;SIRET;Commune;Email du contact;Sens;Ressource;Quantité;Unité;Fréquence;"
            "Date du diagnostic\n"
            f"{names['confirms']};;Saint-Vaury;{emails['confirms']};sortant;Palettes Europe en bon état;200;"
            "palettes;par mois;01/12/2026\n"
            f"{names['refuses']};;Guéret;{emails['refuses']};sortant;Palettes bois réutilisables;50;palettes;"
            "par mois;01/12/2026\n"
        )
        done = client.post(
            "/api/v1/diagnostics", headers=anne, files={"fichier": ("diagnostics.csv", csv.encode("utf-8"), "text/csv")}
        )
        assert done.status_code == 200, done.text
        assert done.json()["invited"] == 2

        # Matched at once: the animateur sees both pistes, named.
        def held() -> list[dict]:
            return client.get(f"/api/v1/territories/{territory}/held-pistes", headers=anne).json()

        pistes = wait_until(lambda: held() if len(held()) == 2 else None, timeout=30)
        assert isinstance(pistes, list)
        for piste in pistes:
            assert shipper_id in {p["organisation_id"] for p in piste["parties"]} and piste["explanation"]
        parties = {p["name"]: p["organisation_id"] for piste in pistes for p in piste["parties"]}
        assert {names["confirms"], names["refuses"]} <= set(parties)
        confirming_match = next(
            p["match_id"] for p in pistes if names["confirms"] in {party["name"] for party in p["parties"]}
        )

        # No party knows: not the shipper's matches, not its explore map, no email, nothing in notifications.
        assert client.get("/api/v1/matches", headers=shipper).json() == []
        nearby = client.get(
            "/api/v1/resources/nearby", headers=shipper, params={"lat": 46.139, "lon": 1.91517, "radius_km": 30}
        ).json()
        assert not {n["title"] for n in nearby} & {"Palettes Europe en bon état", "Palettes bois réutilisables"}
        held_events = [
            event_id
            for event_id, value in rows(
                stack, "matching", "SELECT event_id, value FROM outbox WHERE type = 'match.proposed'"
            )
            if shipper_id in bytes(value).decode()
        ]
        assert len(held_events) == 2
        wait_until(
            lambda: (
                len(
                    rows(
                        stack,
                        "notifications",
                        "SELECT event_id FROM processed_event WHERE event_id IN (:a, :b)",
                        a=held_events[0],
                        b=held_events[1],
                    )
                )
                == 2
            ),
            timeout=20,
        )
        assert (
            rows(stack, "notifications", "SELECT match_id FROM known_match WHERE match_id = :m", m=confirming_match)
            == []
        )
        assert [m for m in mailbox(stack) if m["to"] == shipper_email] == []

        # The crate maker refuses: its piste goes, and matching keeps nothing it said.
        refusal = client.post(
            httpx.URL(account_link(stack, emails["refuses"])).raw_path.decode(), data={"action": "refuser"}
        )
        assert refusal.status_code == 200, refusal.text
        wait_until(lambda: len(held()) == 1, timeout=20)
        wait_until(
            lambda: (
                rows(
                    stack,
                    "matching",
                    "SELECT title FROM indexed_listing WHERE organisation_id = :o",
                    o=parties[names["refuses"]],
                )
                == [("",)]
            ),
            timeout=20,
        )

        # The pallet maker confirms: the same proposal reaches the shipper, by email too; nothing is held any more.
        confirmed = client.post(
            httpx.URL(account_link(stack, emails["confirms"])).raw_path.decode(),
            data={"action": "confirmer"},
            follow_redirects=False,
        )
        assert confirmed.status_code == 303, confirmed.text
        found = wait_until(lambda: client.get("/api/v1/matches", headers=shipper).json() or None, timeout=30)
        assert isinstance(found, list) and [m["id"] for m in found] == [confirming_match]
        wait_until(lambda: [m for m in mailbox(stack) if m["to"] == shipper_email], timeout=30)
        wait_until(lambda: held() == [], timeout=20)  # reporting hears of the release on its own
