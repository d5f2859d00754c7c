"""A workshop (issue 17, point 4) through the gateway, broker and every service, on SQLite and PostgreSQL: the
animateur gathers some of its territory's actors, reads the pistes among them ranked with their explanation and
their resources by family (what is private stays hidden), notes the room's choices, which open pistes in the
synergy lifecycle, and prints the summary. The organisations sit in the Creuse, where no other file posts."""

from __future__ import annotations

import io
import uuid

import httpx
from pypdf import PdfReader

from shared.devstack import Stack
from tests.conftest import animateur_of, declared_territory, wait_until
from tests.e2e.test_synergies import insee
from tests.e2e.test_walking_skeleton import register

CARDBOARD = {"kind": "offer", "title": "Chutes de carton ondulé", "category": "carton",
             "quantity": {"value": 37, "unit": "t"}, "frequency": "monthly", "radius_km": 60,
             "private_fields": ["quantity"]}


def need(title: str) -> dict:
    return {"kind": "need", "title": title, "category": "carton", "quantity": {"value": 1.5, "unit": "t"},
            "frequency": "monthly"}


def collectivite(stack: Stack, client: httpx.Client, suffix: str) -> tuple[dict[str, str], str]:
    """A collectivité of Guéret whose animateur animates Guéret, Sainte-Feyre and Bourganeuf."""
    answer = client.post("/api/v1/organisations", json={
        "name": f"Communauté d'agglomération du Grand Guéret {suffix}", "kind": "public_body", "commune": "Guéret",
        "contact_email": f"animation-{suffix}@grand-gueret.example"})
    assert answer.status_code == 201, answer.text
    headers = {"Authorization": f"Bearer {answer.json()['token']}"}
    user = animateur_of(stack, client, headers, f"anim-{suffix}@grand-gueret.example")
    territory = declared_territory(stack, client, user, {
        "name": f"Creuse centrale {suffix}", "communes": [insee("Guéret"), insee("Sainte-Feyre"), insee("Bourganeuf")]})
    return user, territory["id"]


def test_a_workshop_shows_the_pistes_among_its_participants_and_turns_choices_into_pistes(stack: Stack) -> None:
    suffix = uuid.uuid4().hex[:6]
    with httpx.Client(base_url=stack.url("gateway"), timeout=20) as client:
        anne, territory = collectivite(stack, client, suffix)
        names = [f"Cartonnerie de la Creuse {suffix}", f"Ébénisterie de Sainte-Feyre {suffix}",
                 f"Expéditions Bourganeuf {suffix}"]
        mill_id, mill = register(client, names[0], "Guéret", f"carton-{suffix}@creuse.example")
        shop_id, shop = register(client, names[1], "Sainte-Feyre", f"ebene-{suffix}@creuse.example")
        shipper_id, shipper = register(client, names[2], "Bourganeuf", f"exp-{suffix}@creuse.example")
        absent_id, absent = register(client, f"Imprimerie absente {suffix}", "Guéret",
                                     f"absent-{suffix}@creuse.example")
        for headers, body in ((shop, need("Carton pour caler nos meubles")),
                              (shipper, need("Cartons pour nos expéditions")),
                              (absent, need("Carton pour emballer nos impressions")), (mill, CARDBOARD)):
            assert client.post("/api/v1/listings", headers=headers, json=body).status_code == 201

        # Only the territory's actors take part; the answer says which one is not, in French.
        outsider_id, _ = register(client, f"Scierie de Tulle {suffix}", "Tulle", f"tulle-{suffix}@correze.example")
        participants = [mill_id, shop_id, shipper_id]
        refused = client.post(f"/api/v1/territories/{territory}/workshops", headers=anne, json={
            "title": "Atelier ressources", "held_on": "2026-12-10", "participants": [*participants, outsider_id]})
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"] == ["body", "participants", "3"]
        assert "n'est pas un acteur de votre territoire" in refused.json()["detail"][0]["msg"]

        key = {"Idempotency-Key": uuid.uuid4().hex}
        body = {"title": "Atelier ressources de décembre", "held_on": "2026-12-10", "place": "Salle des fêtes, Guéret",
                "participants": participants}

        def prepared() -> httpx.Response | None:  # reporting learns the sign-ups from the broker
            answer = client.post(f"/api/v1/territories/{territory}/workshops", headers={**anne, **key}, json=body)
            return answer if answer.status_code == 201 else None

        created = wait_until(prepared, timeout=20)
        assert isinstance(created, httpx.Response)
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
        aside = client.post(f"/api/v1/workshops/{workshop['id']}/choices", headers=anne,
                            json={"matches": [second], "choice": "set_aside", "note": "Trop loin pour l'instant"})
        assert aside.status_code == 200, aside.text
        assert aside.json()[0]["choice_label"] == "écartée" and aside.json()[0]["synergy_id"] is None
        alone = client.post(f"/api/v1/workshops/{workshop['id']}/choices", headers=anne,
                            json={"matches": [first], "choice": "merged"})
        assert alone.status_code == 422 and "au moins deux pistes" in alone.json()["detail"][0]["msg"]
        choice = {"matches": [first, second], "choice": "merged", "note": "Une tournée commune de collecte"}
        merged = client.post(f"/api/v1/workshops/{workshop['id']}/choices", headers=anne, json=choice)
        assert merged.status_code == 200, merged.text
        [synergy_id] = {p["synergy_id"] for p in merged.json()}
        assert synergy_id and {p["choice"] for p in merged.json()} == {"merged"}
        replay = client.post(f"/api/v1/workshops/{workshop['id']}/choices", headers=anne, json=choice)
        assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
        kept_twice = client.post(f"/api/v1/workshops/{workshop['id']}/choices", headers=anne,
                                 json={"matches": [first], "choice": "kept"})
        assert kept_twice.status_code == 409 and "déjà retenue" in kept_twice.json()["detail"][0]["msg"]
        unknown = client.post(f"/api/v1/workshops/{workshop['id']}/choices", headers=anne,
                              json={"matches": ["pas-une-piste"], "choice": "kept"})
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
