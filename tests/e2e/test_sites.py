"""A CUMA with two sites posts from the second one and is matched by distance from it (issue 21, point 2), through
the portal, the gateway, the broker and matching, on SQLite and PostgreSQL.

The run's stack is shared with other files: these organisations sit in the Hautes-Alpes, where no other file posts.
The CUMA's address is in Gap; its workshop in Briançon, 57 km away; the farm in Saint-Chaffrey, 4 km from Briançon,
looks no further than 15 km."""

from __future__ import annotations

import re
import uuid

import httpx

from shared.devstack import Stack
from tests.conftest import signed_up, wait_until
from tests.e2e.test_portal_csrf import form_token
from tests.e2e.test_walking_skeleton import register


def test_a_cuma_posts_from_its_second_site_and_is_matched_by_distance_from_it(stack: Stack) -> None:
    suffix = uuid.uuid4().hex[:6]
    email = f"cuma-{suffix}@champsaur.example"
    with httpx.Client(base_url=stack.url("gateway"), timeout=20) as client:
        cookie = {
            "Cookie": "boucle_session="
            + signed_up(
                stack,
                client,
                {"name": f"CUMA du Champsaur {suffix}", "kind": "cuma", "commune": "Gap", "contact_email": email},
                "Marc Berger",
                email,
            )
        }
        page = client.get("/organisation", headers=cookie)
        assert page.status_code == 200 and "Ajouter ce site" in page.text
        refused = client.post(
            "/organisation/sites",
            headers=cookie,
            data={"csrf_token": form_token(page), "site_name": "Atelier", "site_commune": "Trifouillis-les-Oies"},
        )
        assert refused.status_code == 422 and "Aucune commune" in refused.text
        added = client.post(
            "/organisation/sites",
            headers=cookie,
            follow_redirects=False,
            data={"csrf_token": form_token(page), "site_name": "Atelier de Briançon", "site_commune": "Briançon"},
        )
        assert added.status_code == 303 and added.headers["location"] == "/organisation?avis=site"
        listed = client.get("/organisation", headers=cookie).text
        assert "Atelier de Briançon" in listed and "(adresse de l'organisation)" in listed

        form = client.get("/annonces/nouvelle", headers=cookie)
        [(site_id, label)] = re.findall(r'<option value="([0-9a-f-]{36})">([^<]+)</option>', form.text)
        assert label == "Atelier de Briançon (Briançon)"
        _, farm = register(
            client, f"Maraîchers du Lautaret {suffix}", "Saint-Chaffrey", f"lautaret-{suffix}@ferme.example"
        )
        need = client.post(
            "/api/v1/listings",
            headers=farm,
            json={"kind": "need", "title": "Fumier pour nos planches de légumes", "radius_km": 15},
        )
        assert need.status_code == 201, need.text
        posted = client.post(
            "/annonces/nouvelle",
            headers=cookie,
            follow_redirects=False,
            data={
                "csrf_token": form_token(form),
                "request_id": uuid.uuid4().hex,
                "kind": "offer",
                "title": "Fumier de bovins composté",
                "site_id": site_id,
            },
        )
        assert posted.status_code == 303, posted.text

        # Matched from Briançon, 4 km away; from Gap, 57 km away, the farm's 15 km would have ruled it out.
        [match] = wait_until(lambda: client.get("/api/v1/matches", headers=farm).json(), timeout=30)
        distance = re.search(r"à (\d+(?:,\d+)?) km", match["explanation"])
        assert distance and float(distance.group(1).replace(",", ".")) < 10, match["explanation"]
        assert "Briançon" in match["explanation"] and "Champsaur" not in str(match)
        mine = client.get("/api/v1/listings", headers=cookie, params={"mine": "true"}).json()
        assert [listing["site_id"] for listing in mine] == [site_id]
