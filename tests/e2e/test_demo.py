"""`make demo` (issue 16, point 6): the demo territory loads through the running services, once, and the
animateur's dashboard shows real figures; its accounts sign in with the printed password."""

from __future__ import annotations

import re
import tomllib
from datetime import date

import httpx

from shared.demo import DEMO_FILE, PASSWORD, load
from shared.devstack import Stack
from tests.conftest import wait_until

DEMO = tomllib.loads(DEMO_FILE.read_text(encoding="utf-8"))


def test_the_demo_territory_has_actors_synergies_and_figures(sqlite_stack: Stack) -> None:
    printed = load(sqlite_stack)
    assert load(sqlite_stack) == printed  # loaded once: a restart finds it as it was
    for email in (
        "animation@demo.boucle.example",
        "plateforme@demo.boucle.example",
        "scierie@demo.boucle.example",
        "gaec@demo.boucle.example",
    ):
        assert email in printed
    with httpx.Client(base_url=sqlite_stack.url("gateway"), timeout=30) as client:
        sessions = {}
        for email in ("animation@demo.boucle.example", "plateforme@demo.boucle.example"):
            answer = client.post("/api/v1/session", json={"email": email, "password": PASSWORD})
            assert answer.status_code == 200, answer.text
            sessions[email] = ({"Cookie": answer.headers["set-cookie"].split(";")[0]}, answer.json())
        cookie, session = sessions["animation@demo.boucle.example"]
        assert session["user"]["role"] == "animateur"
        assert sessions["plateforme@demo.boucle.example"][1]["user"]["role"] == "platform_admin"
        [territory] = client.get("/api/v1/territories", headers=cookie).json()
        assert (territory["epci"], territory["status"], territory["communes"]) == (
            DEMO["territory"]["epci"],
            "approved",
            32,
        )
        actors = client.get(f"/api/v1/territories/{territory['id']}/actors", headers=cookie).json()
        assert len(actors) == len(DEMO["organisations"])  # the collectivité and the platform's team aside
        kinds = {actor["kind"] for actor in actors}
        assert {"company", "farm", "cuma", "care_home", "hospital", "insertion", "ressourcerie"} <= kinds
        # The CUMA's spreader is kept at its second site, and placed there (issue 21); others post shredders too.
        seen: dict[str, set[str]] = {}
        for listing in client.get("/api/v1/listings", headers=cookie, params={"limit": 500}).json():
            seen.setdefault(listing["title"], set()).add(listing["commune"])
        assert seen["Épandeur à fumier disponible"] == {"Guérigny"}
        assert "Prémery" in seen["Broyeur de végétaux à prêter"]
        # The grain farm gives its straw for the GAEC's manure: one swap, for the GAEC to answer (issue 21).
        gaec = client.post("/api/v1/session", json={"email": "gaec@demo.boucle.example", "password": PASSWORD})
        gaec_cookie = {"Cookie": gaec.headers["set-cookie"].split(";")[0]}
        swaps = wait_until(
            lambda: [m for m in client.get("/api/v1/matches", headers=gaec_cookie).json() if m["kind"] == "swap"],
            timeout=30,
        )
        assert sorted(m["title"] for m in swaps[0]["members"]) == ["Fumier pour nos terres", "Paille de blé en bottes"]
        impact = client.get(
            "/api/v1/reports/impact", headers=cookie, params={"territory": territory["id"], "from": "2026-01-01"}
        ).json()
        stages = impact["synergies_by_stage"]
        assert (stages["operating"], stages["contractualised"], stages["studied"]) == (3, 1, 1)
        assert stages["detected"] == 1 + len(DEMO["pistes"])
        figures = impact["indicators"]
        assert figures["tonnes_diverted"] > 100 and figures["km_avoided"] > 1000 and figures["truck_trips_avoided"] > 0
        # The dashboard the animateur opens shows them: its tiles are not zero.
        link = client.post(
            f"/api/v1/territories/{territory['id']}/dashboard-link",
            headers={**cookie, "X-CSRF-Token": session["csrf_token"]},
        )
        assert link.status_code == 200, link.text
        this_year = {"from": "2026-01-01", "to": date.today().isoformat()}
        html = client.get(httpx.URL(link.json()["url"]).raw_path.decode(), params=this_year).text
        tiles = {
            name: re.search(rf'data-indicator="{name}">.*?<span class="figure">([^<]*)</span>', html, re.S)
            for name in ("km_avoided", "tonnes_diverted", "co2e_total_t")
        }
        assert all(tile is not None and tile.group(1) not in ("0", "") for tile in tiles.values()), tiles
