"""The animateur's dashboard behind a signed link, through the gateway: page, CSV export, PDF report.

One scenario on a PostgreSQL stack of its own: a territory of two communes, the cardboard synergy of
Nuits-Saint-Georges (3 heavy-truck trips a month of 360 km removed from 2025-01-01), a piste from a
workshop, and a sawmill whose offer was never matched. The same scenario runs on SQLite in
tests/browser/test_dashboard_browser.py, whose figures on screen come from the same queries: one stack per database
for the dashboard, not two (each costs the suite some 25 s).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from reporting.exports import CSV_HEADER

from shared.devstack import Stack
from shared.links import LinkSigner
from shared.settings import DEV_SECRET
from tests.conftest import animateur_of, declared_territory, wait_until
from tests.e2e.test_synergies import CARDBOARD_FLOW, accepted_match, animateur, insee
from tests.e2e.test_walking_skeleton import register

pytestmark = pytest.mark.parametrize("own_stack", ["postgresql"], indirect=True)


@pytest.fixture(scope="module")
def stack(own_stack: Stack) -> Stack:
    """A stack of this module's own: the dashboard counts everything in the territory's communes."""
    return own_stack


YEAR_2025 = {"from": "2025-01-01", "to": "2025-12-31"}
NNBSP = "\u202f"  # thousands separator of shared.units.format_number
ACTORS, GISEMENTS = 4, 2  # Dupont, Martin, Bernard, the sawmill; Dupont's and the sawmill's offers


def build_scenario(stack: Stack, client: httpx.Client) -> dict[str, Any]:
    """The territory, its synergies and listings; returns the ids, the animateur's headers and the dashboard URL."""
    cc_id, cc, territory = animateur(stack, client, [insee("Beaune"), insee("Nuits-Saint-Georges")])
    dupont_id, dupont = register(client, "Cartonnerie Dupont", "Nuits-Saint-Georges", "dupont@carton.example")
    martin_id, martin = register(client, "Emballages Martin", "Beaune", "martin@emballages.example")
    bernard_id, _ = register(client, "Menuiserie Bernard", "Beaune", "bernard@menuiserie.example")
    _, sawmill = register(client, "Scierie Voisine", "Beaune", "scierie@voisine.example")
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
    accepted_match(client, dupont, martin)
    sawdust = client.post(
        "/api/v1/listings",
        headers=sawmill,
        json={
            "kind": "offer",
            "title": "Sciure de hêtre",
            "category": "bois",
            "quantity": {"value": 7, "unit": "t"},
            "frequency": "monthly",
        },
    )
    assert sawdust.status_code == 201, sawdust.text

    synergy = wait_until(lambda: client.get("/api/v1/synergies", headers=martin).json(), timeout=15)[0]  # type: ignore[index]
    for body in ({"stage": "contractualised", "flow": CARDBOARD_FLOW}, {"stage": "operating"}):
        moved = client.post(f"/api/v1/synergies/{synergy['id']}/stage", headers=cc, json=body)
        assert moved.status_code == 200, moved.text
    wait_until(
        lambda: (
            client.post(
                "/api/v1/synergies",
                headers=cc,
                json={
                    "synergy_type": "mutualisation",
                    "resource": "Collecte mutualisée de palettes",
                    "parties": [martin_id, bernard_id],
                    "notes": "Atelier du 12 mars",
                },
            ).status_code
            == 201
        ),
        timeout=15,
    )

    link = client.post(f"/api/v1/territories/{territory}/dashboard-link", headers=cc)
    assert link.status_code == 200, link.text
    url = link.json()["url"]
    # Every listing and organisation has reached reporting once the map shows them all.
    wait_until(lambda: client.get(url).text.count('class="marker ') == ACTORS + GISEMENTS, timeout=15)
    return {"cc_id": cc_id, "cc": cc, "territory": territory, "dupont_id": dupont_id, "dupont": dupont, "url": url}


@pytest.fixture(scope="module")
def scenario(stack: Stack) -> dict[str, Any]:
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        return build_scenario(stack, client)


def path_of(url: str) -> str:
    return httpx.URL(url).raw_path.decode()


def flat(text: str) -> str:
    """Text with every kind of space as a plain space (PDF extraction and HTML alike)."""
    return re.sub(r"[\s\u202f\u00a0]+", " ", text)


def test_the_link_is_for_the_animateur_of_the_territory_only(stack: Stack, scenario: dict[str, Any]) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        assert scenario["url"].startswith(f"{stack.env['BOUCLE_PUBLIC_URL']}/liens/tableau/")
        party = client.post(f"/api/v1/territories/{scenario['territory']}/dashboard-link", headers=scenario["dupont"])
        assert party.status_code == 403  # not an animateur
        assert client.post("/api/v1/territories/nope/dashboard-link", headers=scenario["cc"]).status_code == 404
        assert client.post(f"/api/v1/territories/{scenario['territory']}/dashboard-link").status_code == 401


def test_dashboard_shows_the_figures_of_2025(stack: Stack, scenario: dict[str, Any]) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        page = client.get(path_of(scenario["url"]), params=YEAR_2025)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    html = page.text
    assert "Tableau de bord — Côte de Beaune et de Nuits" in html
    # 3 trips a month of 360 km for the 12 months of 2025 → 36 trips, 12 960 km; 24 t of cardboard.
    tile = {
        name: re.search(rf'data-indicator="{name}">.*?<span class="figure">([^<]*)</span>', html, re.S)
        for name in ("km_avoided", "truck_trips_avoided", "tonnes_diverted", "co2e_total_t", "euros_saved")
    }
    figures = {name: match.group(1) for name, match in tile.items() if match}
    assert figures == {
        "km_avoided": f"12{NNBSP}960",
        "truck_trips_avoided": "36",
        "tonnes_diverted": "24",
        "co2e_total_t": "16,3",
        "euros_saved": f"7{NNBSP}200",
    }
    assert "▲" not in html.split('data-indicator="km_avoided"')[1].split("</li>")[0]  # 2024 had nothing: « nouveau »
    assert "nouveau" in html.split('data-indicator="km_avoided"')[1].split("</li>")[0]
    # Month by month: 1 080 km in each month of the year.
    assert html.count(f'<td class="num">1{NNBSP}080</td>') == 12
    assert html.count('class="column"') == 24  # two charts of 12 months
    # The synergy, its parties and its trace back to the factors and their sources.
    assert "Chutes de carton ondulé" in html and "Cartonnerie Dupont, Emballages Martin" in html
    assert "en fonctionnement" in html
    assert "articulated_40t" in html and "cardboard" in html
    for source in ("fr_arrete_2012_info_co2_annex2", "fr_arrete_2017_info_ges_annex", "uk_desnz_2023_material_use"):
        assert source in html
    assert "13,9 t CO2e (transport)" in flat(html)
    # The map: the territory's two communes, four organisations and two gisements; no quantity of a listing.
    assert html.count('class="commune"') == 2
    assert html.count('class="marker marker-actor marker-') == ACTORS
    assert html.count('class="marker marker-gisement"') == 2
    assert "Sciure de hêtre" in html  # the animateur sees every listing of the territory, not its quantity
    assert "7 t par mois" not in flat(html) and "2 t par mois" not in flat(html)


def test_this_year_counts_the_piste_the_funnel_and_the_stages(stack: Stack, scenario: dict[str, Any]) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        html = client.get(path_of(scenario["url"])).text
    assert "Collecte mutualisée de palettes" in html and "Emballages Martin, Menuiserie Bernard" in html
    assert "mutualisation" in html and "détectée" in html
    stages = re.search(r'<desc id="chart-stages-d">([^<]*)</desc>', html)
    assert stages and "Détectée : 1" in stages.group(1) and "En fonctionnement : 1" in stages.group(1)
    funnel = re.search(r'<desc id="chart-funnel-d">([^<]*)</desc>', html)
    assert funnel and "Inscrites : 4" in funnel.group(1)
    assert "Avec une mise en relation acceptée : 2 (" in funnel.group(1)
    by_kind = re.search(r'<table class="funnel-kinds">.*?</table>', html, re.S)  # issue 21: the funnel by kind
    assert by_kind and re.search(r'<th scope="row">Entreprise</th><td class="num">4</td>', by_kind.group(0))
    engaged = re.search(r'data-indicator="organisations_engaged">.*?<span class="figure">([^<]*)</span>', html, re.S)
    assert engaged and engaged.group(1) == "3"


def test_csv_export(stack: Stack, scenario: dict[str, Any]) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        answer = client.get(path_of(scenario["url"]) + "/export.csv", params=YEAR_2025)
        this_year = client.get(path_of(scenario["url"]) + "/export.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "boucle-synergies-2025-01-01-2025-12-31.csv" in answer.headers["content-disposition"]
    assert answer.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: French Excel reads the accents
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == list(CSV_HEADER)
    assert rows[0][:5] == ["Synergie", "Type", "Étape actuelle", "Parties", "Ouverte le"]
    by_column = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert len(by_column) == 2  # the cardboard synergy (the piste opened after 2025, with no flow), the totals
    cardboard, totals = by_column
    assert cardboard["Synergie"] == "Chutes de carton ondulé" and cardboard["Type"] == "échange de matières"
    assert cardboard["Étape actuelle"] == "en fonctionnement"
    assert cardboard["Parties"] == "Cartonnerie Dupont, Emballages Martin"
    assert cardboard["Kilomètres parcourus évités (km)"] == "12960"
    assert cardboard["Trajets de camions et utilitaires évités"] == "36"
    assert cardboard["Déchets détournés de l'élimination (t)"] == "24"
    assert cardboard["Émissions de GES évitées — transport (t CO2e)"] == "13,886"
    assert cardboard["Économies réalisées (€)"] == "7200"
    assert totals["Synergie"] == "Total du 01/01/2025 au 31/12/2025"
    assert totals["Kilomètres parcourus évités (km)"] == "12960" and totals["Économies réalisées (€)"] == "7200"
    # Confidentiality: synergies only; nothing of the sawmill, whose offer nobody accepted.
    text = answer.content.decode("utf-8-sig") + this_year.content.decode("utf-8-sig")
    assert "Scierie" not in text and "Sciure" not in text and "par mois" not in text
    current = list(csv.reader(io.StringIO(this_year.content.decode("utf-8-sig")), delimiter=";"))
    assert [row[0] for row in current[1:-1]] == ["Chutes de carton ondulé", "Collecte mutualisée de palettes"]
    assert current[2][2] == "détectée" and current[2][3] == "Emballages Martin, Menuiserie Bernard"


def test_pdf_report(stack: Stack, scenario: dict[str, Any]) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=60) as client:
        printable = client.get(path_of(scenario["url"]) + "/rapport", params=YEAR_2025)
        answer = client.get(path_of(scenario["url"]) + "/rapport.pdf", params=YEAR_2025)
    assert printable.status_code == 200 and "Bilan des synergies" in printable.text
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(answer.content))
    text = flat(" ".join(page.extract_text() for page in reader.pages))
    assert "Bilan des synergies — Côte de Beaune et de Nuits" in text
    assert "12 960 km" in text and "Chutes de carton ondulé" in text
    assert "Méthode et sources" in text and "uk_desnz_2023_material_use" in text
    assert "Carte des acteurs et des gisements" in text and "Nuits-Saint-Georges" in text  # the map's label


def test_bad_period_is_a_french_400(stack: Stack, scenario: dict[str, Any]) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        unreadable = client.get(path_of(scenario["url"]), params={"from": "2025-13-01", "to": "2025-12-31"})
        backwards = client.get(path_of(scenario["url"]), params={"from": "2025-12-31", "to": "2025-01-01"})
        csv_export = client.get(path_of(scenario["url"]) + "/export.csv", params={"from": "hier"})
    assert unreadable.status_code == 400 and "Date de début illisible « 2025-13-01 »" in unreadable.text
    assert 'aria-invalid="true"' in unreadable.text and 'value="2025-13-01"' in unreadable.text
    assert backwards.status_code == 400 and "La date de début suit la date de fin." in backwards.text
    assert csv_export.status_code == 400 and "illisible" in csv_export.text


def test_tampered_or_foreign_tokens_are_refused(stack: Stack, scenario: dict[str, Any]) -> None:
    path = path_of(scenario["url"])
    # Not the last character: in base64 its low bits are padding, so changing it may leave the signature intact.
    tampered = path[:-2] + ("A" if path[-2] != "A" else "B") + path[-1]
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        for suffix in ("", "/export.csv", "/rapport.pdf"):
            refused = client.get(tampered + suffix)
            assert refused.status_code == 400 and "Lien invalide" in refused.text, suffix
            assert "n&#39;est pas valide" in refused.text and "Chutes de carton" not in refused.text
        # Another collectivité, animating another territory: its own link opens its own dashboard only.
        other = client.post(
            "/api/v1/organisations",
            json={
                "name": "Dijon Métropole",
                "kind": "public_body",
                "commune": "Dijon",
                "contact_email": "animation@dijon.example",
            },
        ).json()
        other_headers = {"Authorization": f"Bearer {other['token']}"}
        other_animateur = animateur_of(stack, client, other_headers, "anne@dijon.example")
        other_territory = declared_territory(
            stack, client, other_animateur, {"name": "Dijon", "communes": [insee("Dijon")]}
        )
        assert other_territory["status"] == "approved"  # its own commune: no one needs to approve it
        assert (
            client.post(
                f"/api/v1/territories/{scenario['territory']}/dashboard-link", headers=other_animateur
            ).status_code
            == 404
        )
        # The collectivité's API token is not its animateur: no link (the territory is the animateur's to open).
        assert (
            client.post(
                f"/api/v1/territories/{other_territory['id']}/dashboard-link", headers=other_headers
            ).status_code
            == 403
        )
        own = client.post(f"/api/v1/territories/{other_territory['id']}/dashboard-link", headers=other_animateur)
        own_page = client.get(path_of(own.json()["url"]), params={**YEAR_2025, "territory": scenario["territory"]})
        assert own_page.status_code == 200 and "Tableau de bord — Dijon" in own_page.text
        assert "Chutes de carton" not in own_page.text and f"12{NNBSP}960" not in own_page.text
        # A correctly signed token naming this territory for the other organisation: refused by the database check.
        signer = LinkSigner(stack.env.get("BOUCLE_SECRET_KEY", DEV_SECRET))
        other_user = client.get("/api/v1/session", headers=other_animateur).json()["user"]["id"]
        forged = signer.sign("dashboard", t=scenario["territory"], o=other["id"], u=other_user)
        crossed = client.get(f"/liens/tableau/{forged}", params=YEAR_2025)
        assert crossed.status_code == 403 and "Chutes de carton" not in crossed.text
        assert "ne donne plus accès à ce territoire" in crossed.text
        wrong_purpose = signer.sign("match-response", t=scenario["territory"], o=scenario["cc_id"])
        assert client.get(f"/liens/tableau/{wrong_purpose}").status_code == 400
