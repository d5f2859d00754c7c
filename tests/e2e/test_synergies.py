"""A synergy followed from mutual acceptance to operation, through the gateway, broker and every service."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date

import httpx
import pytest
from pypdf import PdfReader

from shared.devstack import Stack
from shared.geo import Gazetteer
from tests import web
from tests.conftest import animateur_of, declared_territory, mailbox, platform_admin, wait_until
from tests.e2e.test_walking_skeleton import register
from tests.security.support import luhn_siret


@pytest.fixture(scope="module")
def stack(own_stack: Stack) -> Stack:
    """A stack of this module's own: the territory's figures count every synergy in its communes."""
    return own_stack


CARDBOARD_FLOW = {
    "quantity": 2,
    "unit": "t",
    "period": "month",
    "start": "2025-01-01",
    "material": "cardboard",
    "transport_before": {"trips_per_month": 3, "km_per_trip": 360, "vehicle": "articulated_40t"},
    "disposal_cost_avoided_eur": 4800,
    "purchase_cost_avoided_eur": 2400,
}


def insee(name: str) -> str:
    place = Gazetteer.load().by_name(name)[0]
    return place.insee


def animateur(stack: Stack, client: httpx.Client, communes: list[str]) -> tuple[str, dict[str, str], str]:
    """A collectivité whose animateur declares its territory (approved by the platform's team): returns its id,
    the animateur's headers (the collectivité acts through them) and the territory id."""
    answer = client.post(
        "/api/v1/organisations",
        json={
            "name": "Communauté de communes de la Côte",
            "kind": "public_body",
            "commune": "Beaune",
            "contact_email": "animation@cc-cote.example",
        },
    )
    assert answer.status_code == 201, answer.text
    org_id, headers = answer.json()["id"], {"Authorization": f"Bearer {answer.json()['token']}"}
    user = animateur_of(stack, client, headers, f"anne-{uuid.uuid4().hex[:6]}@cc-cote.example")
    territory = declared_territory(stack, client, user, {"name": "Côte de Beaune et de Nuits", "communes": communes})
    return org_id, user, territory["id"]


def accepted_match(client: httpx.Client, a: dict[str, str], b: dict[str, str]) -> str:
    def proposed() -> str | None:
        found = client.get("/api/v1/matches", headers=a).json()
        return found[0]["id"] if found else None

    match_id = wait_until(proposed, timeout=15)
    for side in (a, b):
        answer = client.post(f"/api/v1/matches/{match_id}/accept", headers=side)
        assert answer.status_code == 200, answer.text
    return str(match_id)


def test_synergy_from_accepted_match_to_operation_with_its_impact(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        _, cc, territory = animateur(stack, client, [insee("Beaune"), insee("Nuits-Saint-Georges")])
        dupont_id, dupont = register(client, "Cartonnerie Dupont", "Nuits-Saint-Georges", "dupont@carton.example")
        martin_id, martin = register(client, "Emballages Martin", "Beaune", "martin@emballages.example")
        _, stranger = register(client, "Scierie Lointaine", "Dijon", "scierie@lointaine.example")
        client.post(
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
        client.post(
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
        match_id = accepted_match(client, dupont, martin)

        # Both accepted: reporting opens the synergy at « détectée », visible to both parties.
        def opened() -> list[dict]:
            return client.get("/api/v1/synergies", headers=martin).json()

        synergy = wait_until(opened, timeout=15)[0]  # type: ignore[index]
        assert synergy["match_id"] == match_id and synergy["stage"] == "detected"
        assert synergy["next_stages"] == ["studied", "contractualised", "operating", "abandoned"]
        assert synergy["synergy_type"] == "substitution" and synergy["resource"] == "Chutes de carton ondulé"
        assert {p["organisation_id"] for p in synergy["parties"]} == {dupont_id, martin_id}
        sid = synergy["id"]

        # Only the parties and the territory's animateur see or move it.
        assert client.get(f"/api/v1/synergies/{sid}", headers=stranger).status_code == 404
        assert (
            client.post(f"/api/v1/synergies/{sid}/stage", headers=stranger, json={"stage": "studied"}).status_code
            == 404
        )
        assert client.get("/api/v1/synergies", headers=stranger).json() == []

        studied = client.post(f"/api/v1/synergies/{sid}/stage", headers=martin, json={"stage": "studied"})
        assert studied.status_code == 200 and studied.json()["stage_label"] == "à l'étude"
        assert studied.json()["next_stages"] == ["contractualised", "operating", "abandoned"]
        backwards = client.post(f"/api/v1/synergies/{sid}/stage", headers=dupont, json={"stage": "detected"})
        assert backwards.status_code == 409 and backwards.json()["detail"][0]["loc"] == ["body", "stage"]
        no_reason = client.post(f"/api/v1/synergies/{sid}/stage", headers=dupont, json={"stage": "abandoned"})
        assert no_reason.status_code == 422 and no_reason.json()["detail"][0]["loc"] == ["body", "reason"]
        bad_vehicle = client.post(
            f"/api/v1/synergies/{sid}/stage",
            headers=cc,
            json={
                "stage": "contractualised",
                "flow": {
                    **CARDBOARD_FLOW,
                    "transport_before": {"trips_per_month": 3, "km_per_trip": 360, "vehicle": "fusée"},
                },
            },
        )
        assert bad_vehicle.status_code == 422
        assert bad_vehicle.json()["detail"][0]["loc"] == ["body", "flow", "transport_before", "vehicle"]

        # The animateur records the contract and its flow; the parties operate it.
        contract = client.post(
            f"/api/v1/synergies/{sid}/stage",
            headers=cc,
            json={"stage": "contractualised", "note": "Convention signée", "flow": CARDBOARD_FLOW},
        )
        assert contract.status_code == 200, contract.text
        operating = client.post(f"/api/v1/synergies/{sid}/stage", headers=dupont, json={"stage": "operating"})
        assert operating.status_code == 200
        detail = client.get(f"/api/v1/synergies/{sid}", headers=cc).json()
        assert [(m["from_stage"], m["to_stage"]) for m in detail["history"]] == [
            ("detected", "studied"),
            ("studied", "contractualised"),
            ("contractualised", "operating"),
        ]
        assert [m["by"] for m in detail["history"]] == [
            "Emballages Martin",
            "Communauté de communes de la Côte",
            "Cartonnerie Dupont",
        ]
        assert detail["flows"][0]["transport_before"]["km_per_trip"] == 360
        # What it avoids, for the parties as for the animateur: 3 trips of 360 km a month removed make 36 trips
        # and 12,960 km a year (issue 15, the Nuits-Saint-Georges case), with the factors' sources.
        for viewer in (dupont, martin, cc):
            impact = client.get(f"/api/v1/synergies/{sid}", headers=viewer).json()["impact"]
            yearly = {f["field"]: f["yearly"] for f in impact["figures"]}
            assert (yearly["truck_trips_avoided"], yearly["km_avoided"], yearly["tonnes_diverted"]) == (36, 12960, 24)
            assert yearly["co2e_total_t"] > 0 and yearly["euros_saved"] == 7200
            assert impact["since"] == "2025-01-01" and impact["sources"][0]["url"].startswith("http")
            to_date = {f["field"]: f["to_date"] for f in impact["figures"]}
            assert to_date["km_avoided"] > 12960  # running since January 2025
        # Each party downloads a one-page attestation for its CSR report; nobody else can.
        attestation = client.get(f"/api/v1/synergies/{sid}/attestation.pdf", headers=martin)
        assert attestation.status_code == 200 and attestation.content.startswith(b"%PDF")
        assert attestation.headers["content-type"] == "application/pdf"
        pdf = PdfReader(io.BytesIO(attestation.content))
        text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
        assert len(pdf.pages) == 1 and "Emballages Martin" in text and "Cartonnerie Dupont" in text
        assert "Trajets de camions et utilitaires évités 36" in text
        assert client.get(f"/api/v1/synergies/{sid}/attestation.pdf", headers=stranger).status_code == 404
        # The regulatory side: 2 t of cardboard a month, a waste unless declared otherwise.
        law = detail["regulatory"]
        assert (law["declared_status"], law["declared_status_label"]) == (None, "non déclaré")
        assert {o["id"] for o in law["obligations"]} == {"waste_register", "transporter_declaration"}
        assert all(o["texts"] and o["texts"][0]["url"].startswith("https://") for o in law["obligations"])
        assert law["missing"][0].startswith("Statut de la matière non déclaré")

        # Each move is emailed to the other parties and to the animateur, never to whoever made it.
        def stage_mails() -> list[tuple[str, str]] | None:
            got = sorted(
                (m["to"], m["subject"])
                for m in mailbox(stack)
                if m["subject"].startswith("Synergie « Chutes de carton ondulé »")
            )
            return got if len(got) >= 6 else None

        assert wait_until(stage_mails, timeout=15) == sorted(
            [
                ("dupont@carton.example", "Synergie « Chutes de carton ondulé » : à l'étude"),
                ("animation@cc-cote.example", "Synergie « Chutes de carton ondulé » : à l'étude"),
                ("dupont@carton.example", "Synergie « Chutes de carton ondulé » : contractualisée"),
                ("martin@emballages.example", "Synergie « Chutes de carton ondulé » : contractualisée"),
                ("martin@emballages.example", "Synergie « Chutes de carton ondulé » : en fonctionnement"),
                ("animation@cc-cote.example", "Synergie « Chutes de carton ondulé » : en fonctionnement"),
            ]
        )
        sink = f"http://127.0.0.1:{stack.ports.mailbox}/api/messages"
        contract_mail = next(
            m
            for m in mailbox(stack)
            if m["to"] == "martin@emballages.example" and m["subject"].endswith("contractualisée")
        )
        text = web.get(f"{sink}/{contract_mail['id']}").json()["text"]
        assert "Communauté de communes de la Côte" in text and "Convention signée" in text
        # The animateur's weekly summary went out once for the territory.
        summaries = wait_until(
            lambda: [
                m
                for m in mailbox(stack)
                if m["to"] == "animation@cc-cote.example" and "votre semaine sur Boucle" in m["subject"]
            ],
            timeout=15,
        )
        assert len(summaries) == 1  # type: ignore[arg-type]
        summary = web.get(f"{sink}/{summaries[0]['id']}").json()  # type: ignore[index]
        assert summary["subject"].startswith("Côte de Beaune et de Nuits : votre semaine sur Boucle")
        assert "Nouveaux acteurs" in summary["text"] and "Nouvelles annonces" in summary["text"]
        dashboard = re.search(r"http://\S+/liens/tableau/\S+", summary["text"])
        assert dashboard is not None  # the summary opens the territory's dashboard without a password
        page = web.get(dashboard.group(0))
        assert page.status_code == 200 and "Côte de Beaune et de Nuits" in page.text
        assert "Échanges de matières par statut réglementaire" in page.text and "Devenir des propositions" in page.text

        # 2025 as a whole: 3 trips a month of 360 km removed → 36 trips and 12,960 km avoided.
        report = client.get(
            "/api/v1/reports/impact",
            headers=cc,
            params={"territory": territory, "from": "2025-01-01", "to": "2025-12-31"},
        ).json()
        assert report["indicators"]["truck_trips_avoided"] == 36
        assert report["indicators"]["km_avoided"] == 12960
        assert report["indicators"]["tonnes_diverted"] == 24
        assert report["indicators"]["euros_saved"] == 7200
        assert report["previous"]["km_avoided"] == 0 and report["change"]["km_avoided"]["percent"] is None
        # Stages are counted as they stood at the end of the period: this year, it operates.
        this_year = client.get("/api/v1/reports/impact", headers=cc, params={"territory": territory}).json()
        assert this_year["synergies_by_stage"]["operating"] == 1 and this_year["synergies"] == 1
        assert this_year["exchanges_by_status"] == {
            "waste": 0,
            "by_product": 0,
            "end_of_waste": 0,
            "product": 0,
            "undeclared": 1,
        }
        assert this_year["proposal_outcomes"] == {
            "proposed": 1,
            "accepted": 1,
            "contracted": 1,
            "accepted_share": 1.0,
            "contracted_share": 1.0,
        }
        assert this_year["organisations_engaged"] == 2 and this_year["matches_proposed"] == 1
        assert this_year["organisations"] == 2  # Dijon's sawmill is outside; the collectivité is not counted
        assert this_year["active_listings"] == {"offer": 1, "need": 1, "share": 0, "pool": 0}
        assert this_year["change"]["km_avoided"]["previous"] > 0  # the flow ran through the previous period
        # A party is not the animateur: the territory's report is not theirs to read.
        assert client.get("/api/v1/reports/impact", headers=dupont).status_code == 403


def test_piste_by_the_animateur_and_the_funnel(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        _, cc, territory = animateur(stack, client, [insee("Chenôve")])
        girard_id, girard = register(client, "Paysagiste Girard", "Chenôve", "girard@paysage.example")
        farm = client.post(
            "/api/v1/organisations",
            json={
                "name": "Ferme des Combes",
                "kind": "farm",
                "commune": "Chenôve",
                "contact_email": "combes@ferme.example",
            },
        )
        assert farm.status_code == 201, farm.text
        combes_id = farm.json()["id"]
        wait_until(
            lambda: (
                client.post(
                    "/api/v1/synergies",
                    headers=cc,
                    json={
                        "synergy_type": "substitution",
                        "resource": "Broyat de déchets verts",
                        "parties": [girard_id, combes_id],
                        "notes": "Atelier du 12 mars",
                    },
                ).status_code
                == 201
            ),
            timeout=15,
        )
        # A company cannot open a piste; an unknown party is named in the error.
        assert (
            client.post(
                "/api/v1/synergies",
                headers=girard,
                json={"synergy_type": "substitution", "resource": "x y", "parties": [combes_id]},
            ).status_code
            == 403
        )
        unknown = client.post(
            "/api/v1/synergies",
            headers=cc,
            json={"synergy_type": "substitution", "resource": "Broyat", "parties": [combes_id, "nope"]},
        )
        assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "parties", "1"]

        pistes = client.get("/api/v1/synergies", headers=cc, params={"territory": territory}).json()
        assert [p["origin"] for p in pistes] == ["piste"] and pistes[0]["notes"] == "Atelier du 12 mars"
        assert pistes[0]["regulatory"]["obligations"] == []
        assert pistes[0]["regulatory"]["missing"][-1].startswith("Piste ouverte par l'animateur")
        sid = pistes[0]["id"]
        abandoned = client.post(
            f"/api/v1/synergies/{sid}/stage", headers=girard, json={"stage": "abandoned", "reason": "logistic"}
        )
        assert abandoned.status_code == 200 and abandoned.json()["abandon_reason"] == "logistic"
        final = client.post(f"/api/v1/synergies/{sid}/stage", headers=cc, json={"stage": "studied"})
        assert final.status_code == 409

        for name, met in (("Garage Roux", "2026-02-03"), ("Boulangerie Petit", None), ("Ferme des Combes", None)):
            answer = client.post(
                f"/api/v1/territories/{territory}/prospects",
                headers=cc,
                json={"name": name, "contacted_on": "2026-01-15", "met_on": met},
            )
            assert answer.status_code == 201, answer.text
        wrong = client.post(
            f"/api/v1/territories/{territory}/prospects",
            headers=cc,
            json={"name": "Garage", "contacted_on": "2026-01-15", "met_on": "2025-12-01"},
        )
        assert wrong.status_code == 422
        # Territory filter: the cardboard synergy of the Côte (other test) is not Chenôve's.
        chenove = client.get("/api/v1/reports/impact", headers=cc, params={"territory": territory}).json()
        assert chenove["synergies"] == 1 and chenove["synergies_by_stage"]["abandoned"] == 1
        assert chenove["indicators"]["km_avoided"] == 0 and chenove["organisations"] == 2

        funnel = client.get("/api/v1/reports/funnel", headers=cc, params={"territory": territory}).json()["steps"]
        steps = {s["step"]: s["count"] for s in funnel}
        assert steps["contacted"] == 3 and steps["met"] == 1 and steps["registered"] == 2
        assert steps["with_listing"] == 0 and steps["with_contract"] == 0
        # Counted by kind of actor too (issue 21), from registration on: prospects have no kind.
        by_kind = {s["step"]: s["by_kind"] for s in funnel}
        assert by_kind["registered"] == {"company": 1, "farm": 1} and by_kind["contacted"] == {}


def test_a_territory_by_epci_takes_its_communes_from_the_offline_table(stack: Stack) -> None:
    gazetteer = Gazetteer.load()
    beaune = gazetteer.by_insee(insee("Beaune"))
    assert beaune is not None and beaune.epci
    members = [p.insee for p in gazetteer if p.epci == beaune.epci]
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        answer = client.post(
            "/api/v1/organisations",
            json={
                "name": "Communauté d'agglomération Beaune Côte et Sud",
                "kind": "public_body",
                "commune": "Beaune",
                "siret": luhn_siret(f"{beaune.epci}0001"),
                "contact_email": "animation@beaune-agglo.example",
            },
        )
        token = {"Authorization": f"Bearer {answer.json()['token']}"}
        refused = client.post("/api/v1/territories", headers=token, json={"name": "Beaune", "epci": beaune.epci})
        assert refused.status_code == 403 and "animateur" in refused.json()["detail"]  # a public body is not enough
        headers = animateur_of(stack, client, token, "animation@beaune-agglo.example")
        unknown = wait_until(
            lambda: (
                (
                    r := client.post(
                        "/api/v1/territories", headers=headers, json={"name": "Nulle part", "epci": "000000000"}
                    )
                ).status_code
                == 422
                and r
            ),
            timeout=15,
        )
        assert unknown.json()["detail"][0]["loc"] == ["body", "epci"]  # type: ignore[union-attr]
        both = client.post(
            "/api/v1/territories",
            headers=headers,
            json={"name": "Beaune", "epci": beaune.epci, "communes": [beaune.insee]},
        )
        assert both.status_code == 422  # one definition or the other
        created = client.post("/api/v1/territories", headers=headers, json={"name": "Beaune", "epci": beaune.epci})
        assert created.status_code == 201 and created.json()["communes"] == len(members) > 10
        assert created.json()["status"] == "approved"  # its own EPCI: its SIRET starts with the EPCI's SIREN
        again = client.post("/api/v1/territories", headers=headers, json={"name": "Bis", "epci": beaune.epci})
        assert again.status_code == 409


def test_indicators_rebuilt_from_the_topics_equal_the_database(stack: Stack, tmp_path, monkeypatch) -> None:
    """Replays the history the tests above recorded on the broker into an empty database and compares."""
    from reporting import rebuild

    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", stack.bootstrap_servers)
    live_url = stack.env["REPORTING_DATABASE_URL"]
    rebuilt_url = f"sqlite:///{tmp_path / 'rebuilt.db'}"
    assert rebuild.main(["--from-db", live_url, "--into", rebuilt_url, "--check"]) == 0
    figures = rebuild.figures(rebuild.make_engine(rebuilt_url), date(2025, 1, 1), date(2025, 12, 31))
    km = sorted(f["impact"]["indicators"]["km_avoided"] for f in figures.values())
    assert km[-1] == 12960  # the cardboard synergy, rebuilt from synergy.flow_reported alone
    today = date.today()
    this_year = rebuild.figures(rebuild.make_engine(rebuilt_url), today.replace(month=1, day=1), today)
    stages = sorted(
        tuple(sorted((s, n) for s, n in f["impact"]["synergies_by_stage"].items() if n)) for f in this_year.values()
    )
    # The Côte (and the Beaune EPCI, which holds one of its parties) has the operating synergy, Chenôve the piste.
    assert stages == [(("abandoned", 1),), (("operating", 1),), (("operating", 1),)]


def test_the_animateurs_creating_posts_are_safe_to_retry(stack: Stack) -> None:
    """Issue 15: a retried `POST /synergies/{id}/flows` recorded the flow twice (and doubled the tonnes); pistes,
    prospects and territories alike. With an `Idempotency-Key`, a retry finds what its first try made."""
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        _, cc, _ = animateur(stack, client, [insee("Chenôve")])
        again = {**cc, "Idempotency-Key": "territoire-longvic"}
        longvic = {"name": "Longvic", "communes": [insee("Longvic")]}
        first = client.post("/api/v1/territories", headers=again, json=longvic)
        second = client.post("/api/v1/territories", headers=again, json=longvic)
        assert first.status_code == second.status_code == 201 and first.json()["id"] == second.json()["id"]
        assert second.headers["idempotent-replayed"] == "true"
        territory = first.json()["id"]
        assert (
            client.post(
                f"/api/v1/territories/{territory}/decision",
                headers=platform_admin(stack, client),
                json={"approved": True},
            ).status_code
            == 200
        )
        a_id, _ = register(client, "Menuiserie de Longvic", "Longvic", "menuiserie@longvic.example")
        b_id, b = register(client, "Jardins de Longvic", "Longvic", "jardins@longvic.example")
        piste = {"synergy_type": "substitution", "resource": "Sciure pour paillage", "parties": [a_id, b_id]}
        key = {**cc, "Idempotency-Key": "piste-atelier-1"}
        made = wait_until(
            lambda: (r := client.post("/api/v1/synergies", headers=key, json=piste)).status_code == 201 and r,
            timeout=15,
        )  # retried, with its key, until reporting knows both companies
        replayed = client.post("/api/v1/synergies", headers=key, json=piste)
        assert replayed.status_code == 201 and replayed.json()["id"] == made.json()["id"]  # type: ignore[union-attr]
        other = client.post("/api/v1/synergies", headers=key, json={**piste, "resource": "Autre chose"})
        assert other.status_code == 422 and other.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
        assert len(client.get("/api/v1/synergies", headers=cc, params={"territory": territory}).json()) == 1
        sid = replayed.json()["id"]
        flow = {**CARDBOARD_FLOW, "material": None, "start": "2026-01-01"}
        for _ in range(2):  # the answer was lost: the party sends it again
            sent = client.post(
                f"/api/v1/synergies/{sid}/flows", headers={**b, "Idempotency-Key": "flux-janvier"}, json=flow
            )
            assert sent.status_code == 201, sent.text
        [recorded] = client.get(f"/api/v1/synergies/{sid}", headers=b).json()["flows"]
        # A flow is corrected later (issue 15, point 2): the latest revision holds; sent again, nothing changes.
        corrected = {**flow, "quantity": flow["quantity"] * 2}
        for _ in range(2):
            put = client.put(f"/api/v1/synergies/{sid}/flows/{recorded['flow_id']}", headers=b, json=corrected)
            assert put.status_code == 200, put.text
        [now] = put.json()["flows"]
        assert (now["flow_id"], now["quantity"], now["revision"]) == (recorded["flow_id"], corrected["quantity"], 2)
        assert client.put(f"/api/v1/synergies/{sid}/flows/inconnu", headers=b, json=corrected).status_code == 404
        _, outsider = register(client, "Garage de Chenôve", "Chenôve", "garage@chenove.example")
        assert (
            client.put(
                f"/api/v1/synergies/{sid}/flows/{recorded['flow_id']}",
                headers=outsider,
                json={**corrected, "quantity": 1},
            ).status_code
            == 404
        )
        for _ in range(2):
            prospect = client.post(
                f"/api/v1/territories/{territory}/prospects",
                json={"name": "Garage de Longvic", "contacted_on": "2026-01-15"},
                headers={**cc, "Idempotency-Key": "contact-garage"},
            )
            assert prospect.status_code == 201
        funnel = client.get("/api/v1/reports/funnel", headers=cc, params={"territory": territory}).json()["steps"]
        assert funnel[0]["count"] == 1
