"""Territory rights (#18, findings 1 and 3), replayed against a running stack on SQLite and PostgreSQL.

The attacks of the penetration test: an animateur claims another collectivité's EPCI by its SIREN, or a
list of other EPCIs' communes, then reads their companies and acts on them; a piste names a company
elsewhere (whose contact would then be emailed the piste's text); a synergy with a party outside the
territory is moved. And the role: a plain member of the collectivité, its API token and a demoted
animateur must not read what only the animateur reads.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import pytest

from shared.devstack import Stack
from shared.geo import Gazetteer
from tests.conftest import account_link, animateur_of, appoint, platform_admin, session_cookie, wait_until
from tests.security.support import Org, luhn_siret, match_between, messages_to, publish, register

GAZETTEER = Gazetteer.load()
# Two neighbouring intercommunalités no other file of the shared stacks uses (their companies would match ours).
QUIMPER = GAZETTEER.by_name("Quimper")[0]
CONCARNEAU = GAZETTEER.by_name("Concarneau")[0]
BREST = GAZETTEER.by_name("Brest")[0]
PHISHING = "Hameçon : confirmez vos coordonnées bancaires sur http://piege.example"


@dataclass
class Scene:
    cote: Org  # the Quimper agglomeration, whose animateur attacks
    anne: dict[str, str]  # her browser's headers
    anne_email: str
    nuits: Org  # the real Concarneau agglomeration
    alpha: Org  # a company in Concarneau (outside Anne's own EPCI)
    gamma: Org  # a company in Quimper (inside)
    own: dict  # Anne's own EPCI, approved at once
    claimed_epci: dict  # Concarneau's EPCI claimed by Anne
    claimed_communes: dict  # Concarneau and Brest claimed by Anne
    synergy: str  # between Alpha and Gamma


def collectivite(client: httpx.Client, name: str, commune: str, epci: str, email: str) -> Org:
    return register(client, name, commune, email, kind="public_body", siret=luhn_siret(f"{epci}0001"))


def claim(client: httpx.Client, animateur: dict[str, str], body: dict) -> dict:
    """A territory declared once reporting knows the organisation (403 until then)."""
    answer = wait_until(
        lambda: (r := client.post("/api/v1/territories", headers=animateur, json=body)).status_code == 201 and r,
        timeout=20,
    )
    assert isinstance(answer, httpx.Response)
    return answer.json()


@pytest.fixture(scope="module")
def scene(stack: Stack) -> Scene:
    tag = uuid.uuid4().hex[:6]
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        cote = collectivite(
            client, "Quimper Bretagne Occidentale", "Quimper", str(QUIMPER.epci), f"cote-{tag}@agglo.example"
        )
        anne_email = f"anne-{tag}@agglo.example"
        anne = animateur_of(stack, client, cote.headers, anne_email)
        claimed_epci = claim(client, anne, {"name": "Concarneau (usurpé)", "epci": CONCARNEAU.epci})
        claimed_communes = claim(client, anne, {"name": "Ailleurs", "communes": [CONCARNEAU.insee, BREST.insee]})
        nuits = collectivite(
            client, "Concarneau Cornouaille", "Concarneau", str(CONCARNEAU.epci), f"nuits-{tag}@cc.example"
        )
        nuits.animateur = animateur_of(stack, client, nuits.headers, f"nina-{tag}@cc.example")
        real = claim(client, nuits.animateur, {"name": "Concarneau", "epci": CONCARNEAU.epci})
        assert real["status"] == "approved", real  # the real one is not locked out by the usurper's claim
        own = claim(client, anne, {"name": "Quimper", "epci": QUIMPER.epci})

        alpha = register(client, "Cartonnerie Alpha", "Concarneau", f"alpha-{tag}@carton.example")
        gamma = register(client, "Emballages Gamma", "Quimper", f"gamma-{tag}@emballage.example")
        offer = publish(
            client,
            alpha,
            kind="offer",
            title="Chutes de carton ondulé",
            category="carton",
            quantity={"value": 3, "unit": "t"},
            frequency="monthly",
        )
        need = publish(client, gamma, kind="need", title="Carton pour calage", category="Cartons")
        match = match_between(client, alpha, offer)
        assert match_between(client, gamma, need) == match
        for side in (alpha, gamma):
            assert client.post(f"/api/v1/matches/{match}/accept", headers=side.headers).status_code == 200
        synergy = wait_until(lambda: client.get("/api/v1/synergies", headers=gamma.headers).json(), timeout=20)
    return Scene(
        cote=cote,
        anne=anne,
        anne_email=anne_email,
        nuits=nuits,
        alpha=alpha,
        gamma=gamma,
        own=own,
        claimed_epci=claimed_epci,
        claimed_communes=claimed_communes,
        synergy=synergy[0]["id"],
    )  # type: ignore[index]


def test_an_animateur_cannot_claim_another_territory_and_read_its_companies(stack: Stack, scene: Scene) -> None:
    assert scene.own["status"] == "approved"
    assert scene.claimed_epci["status"] == scene.claimed_communes["status"] == "pending"
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        for claimed in (scene.claimed_epci, scene.claimed_communes):
            tid = claimed["id"]
            for path in (f"/api/v1/territories/{tid}/actors", "/api/v1/reports/impact", "/api/v1/reports/funnel"):
                answer = client.get(path, headers=scene.anne, params={"territory": tid})
                assert answer.status_code == 404, (path, answer.text)
                assert "Cartonnerie Alpha" not in answer.text
            assert client.get("/api/v1/synergies", headers=scene.anne, params={"territory": tid}).status_code == 404
            assert client.post(f"/api/v1/territories/{tid}/dashboard-link", headers=scene.anne).status_code == 404
            assert (
                client.post(
                    f"/api/v1/territories/{tid}/prospects",
                    headers=scene.anne,
                    json={"name": "Prospect", "contacted_on": "2026-01-15"},
                ).status_code
                == 404
            )
        # Its own EPCI: Gamma (Quimper) is an actor, Alpha (Concarneau) is not.
        actors = {
            a["organisation_id"]
            for a in wait_until(
                lambda: client.get(f"/api/v1/territories/{scene.own['id']}/actors", headers=scene.anne).json(),
                timeout=20,
            )
        }  # type: ignore[union-attr]
        assert scene.gamma.id in actors and scene.alpha.id not in actors
        # The portal says the claim waits for the platform's team.
        page = client.get("/animation", headers={"Cookie": scene.anne["Cookie"]})
        assert page.status_code == 200 and "en attente de validation" in page.text
        assert "Acteurs du territoire Concarneau (usurpé)" not in page.text
        assert "Acteurs du territoire Quimper" in page.text


def test_only_the_platform_decides_a_claim_and_never_hands_over_a_taken_epci(stack: Stack, scene: Scene) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        tid = scene.claimed_communes["id"]
        assert (
            client.post(f"/api/v1/territories/{tid}/decision", headers=scene.anne, json={"approved": True}).status_code
            == 403
        )
        assert client.get("/api/v1/territories/claims", headers=scene.anne).status_code == 403
        admin = platform_admin(stack, client)
        waiting = {t["id"] for t in client.get("/api/v1/territories/claims", headers=admin).json()}
        assert {tid, scene.claimed_epci["id"]} <= waiting and scene.own["id"] not in waiting
        taken = client.post(
            f"/api/v1/territories/{scene.claimed_epci['id']}/decision", headers=admin, json={"approved": True}
        )
        assert taken.status_code == 409 and "déjà animé" in taken.json()["detail"]
        refused = client.post(f"/api/v1/territories/{tid}/decision", headers=admin, json={"approved": False})
        assert refused.status_code == 200 and refused.json()["status"] == "refused"
        assert client.get(f"/api/v1/territories/{tid}/actors", headers=scene.anne).status_code == 404


def test_pistes_and_moves_stay_inside_the_animateurs_territory(stack: Stack, scene: Scene) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        piste = client.post(
            "/api/v1/synergies",
            headers=scene.anne,
            json={
                "synergy_type": "mutualisation",
                "resource": "Collecte de palettes",
                "notes": PHISHING,
                "parties": [scene.gamma.id, scene.alpha.id],
            },
        )
        assert piste.status_code == 422, piste.text
        assert piste.json()["detail"][0]["loc"] == ["body", "parties", "1"]
        assert "pas dans un territoire que vous animez" in piste.json()["detail"][0]["msg"]
        assert not [
            s for s in client.get("/api/v1/synergies", headers=scene.alpha.headers).json() if s["origin"] == "piste"
        ]
        # The synergy between Alpha (Concarneau) and Gamma (Quimper): each animateur reads it, neither moves it.
        for animateur in (scene.anne, scene.nuits.animateur):
            assert client.get(f"/api/v1/synergies/{scene.synergy}", headers=animateur).status_code == 200
            moved = client.post(
                f"/api/v1/synergies/{scene.synergy}/stage", headers=animateur, json={"stage": "studied"}
            )
            assert moved.status_code == 403 and "hors de votre territoire" in moved.json()["detail"]
            flow = client.post(
                f"/api/v1/synergies/{scene.synergy}/flows",
                headers=animateur,
                json={"quantity": 1, "unit": "t", "period": "month", "start": "2026-01-01"},
            )
            assert flow.status_code == 403, flow.text
        # Its parties still move it.
        assert (
            client.post(
                f"/api/v1/synergies/{scene.synergy}/stage", headers=scene.gamma.headers, json={"stage": "studied"}
            ).status_code
            == 200
        )
    assert all(PHISHING not in m["text"] for m in messages_to(stack, scene.alpha.email))


def test_a_sign_up_nobody_confirmed_is_not_an_actor_until_confirmed(stack: Stack, scene: Scene) -> None:
    tag = uuid.uuid4().hex[:6]
    email = f"delta-{tag}@conserverie.example"
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        created = client.post(
            "/api/v1/accounts",
            json={
                "organisation": {
                    "name": f"Conserverie Delta {tag}",
                    "kind": "company",
                    "commune": "Quimper",
                    "contact_email": email,
                },
                "name": "Denis Delta",
                "email": email,
            },
        )
        assert created.status_code == 201, created.text
        delta = created.json()["organisation_id"]
        epsilon = register(client, f"Fromagerie Epsilon {tag}", "Quimper", f"epsilon-{tag}@fromage.example")

        def actors() -> set[str]:
            answer = client.get(f"/api/v1/territories/{scene.own['id']}/actors", headers=scene.anne)
            assert answer.status_code == 200, answer.text
            return {a["organisation_id"] for a in answer.json()}

        wait_until(lambda: epsilon.id in actors(), timeout=20)  # registered after Delta, with its token
        assert delta not in actors()
        confirmed = client.post(httpx.URL(account_link(stack, email)).raw_path.decode())
        assert confirmed.status_code == 303, confirmed.text
        wait_until(lambda: delta in actors(), timeout=20)


def test_territory_access_follows_the_role_not_the_organisation(stack: Stack, scene: Scene) -> None:
    tid = scene.own["id"]
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        link = client.post(f"/api/v1/territories/{tid}/dashboard-link", headers=scene.anne)
        assert link.status_code == 200, link.text
        dashboard = httpx.URL(link.json()["url"]).raw_path.decode()
        wait_until(lambda: client.get(dashboard).status_code == 200, timeout=20)
        # A colleague who is a plain member, and the collectivité's API token.
        email = f"marc-{uuid.uuid4().hex[:6]}@agglo.example"
        assert (
            client.post(
                "/api/v1/organisations/me/users", headers=scene.anne, json={"name": "Marc Collègue", "email": email}
            ).status_code
            == 201
        )
        joined = client.post(httpx.URL(account_link(stack, email)).raw_path.decode())
        member = {"Cookie": f"boucle_session={session_cookie(joined)}"}
        token = {"Authorization": f"Bearer {scene.cote.token}"}
        for who in (member, token):
            for path in (f"/api/v1/territories/{tid}/actors", "/api/v1/reports/impact", "/api/v1/reports/funnel"):
                answer = client.get(path, headers=who, params={"territory": tid})
                assert answer.status_code == 403, (path, answer.text)
                assert "Emballages Gamma" not in answer.text
            assert client.get("/api/v1/territories", headers=who).json() == []
        assert client.post(f"/api/v1/territories/{tid}/dashboard-link", headers=token).status_code == 403
        # Anne is demoted: she reads nothing more, and the link she was given dies with her role.
        appoint(stack, scene.anne_email, "org_admin")
        wait_until(
            lambda: client.get(f"/api/v1/territories/{tid}/actors", headers=scene.anne).status_code == 403, timeout=20
        )
        wait_until(lambda: client.get(dashboard).status_code == 403, timeout=20)
        assert "Emballages Gamma" not in client.get(dashboard).text


def test_an_epci_is_animated_once_and_the_platform_settles_a_dispute(stack: Stack) -> None:
    """An usurper got an EPCI approved; its rightful collectivité claims it, sees the dispute in its preview, and
    the platform hands it over only when told to transfer it (issue 15, point 1)."""
    tag = uuid.uuid4().hex[:6]
    morlaix, landerneau = GAZETTEER.by_name("Morlaix")[0], GAZETTEER.by_name("Landerneau")[0]
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        usurper = collectivite(client, "Morlaix Communauté", "Morlaix", str(morlaix.epci), f"m-{tag}@agglo.example")
        usurper.animateur = animateur_of(stack, client, usurper.headers, f"ursule-{tag}@agglo.example")
        taken = claim(client, usurper.animateur, {"name": "Landerneau (usurpé)", "epci": landerneau.epci})
        admin = platform_admin(stack, client)
        assert (
            client.post(f"/api/v1/territories/{taken['id']}/decision", headers=admin, json={"approved": True}).json()[
                "status"
            ]
            == "approved"
        )
        rightful = collectivite(client, "Landerneau Daoulas", "Landerneau", str(landerneau.epci), f"l-{tag}@cc.example")
        rightful.animateur = animateur_of(stack, client, rightful.headers, f"loic-{tag}@cc.example")
        body = {"name": "Pays de Landerneau-Daoulas", "epci": landerneau.epci}
        preview = wait_until(
            lambda: (
                (r := client.post("/api/v1/territories/preview", headers=rightful.animateur, json=body)).status_code
                == 200
                and r.json()
            ),
            timeout=20,
        )
        assert isinstance(preview, dict)
        assert preview["disputes"] == "Landerneau (usurpé)" and preview["status"] == "pending"
        assert {c["insee"] for c in preview["communes"]} == {p.insee for p in GAZETTEER.by_epci(str(landerneau.epci))}
        assert len(preview["map"]["communes"]) == len(preview["communes"])
        assert not [
            t for t in client.get("/api/v1/territories", headers=rightful.animateur).json() if t["name"] == body["name"]
        ]  # a preview writes nothing
        claimed = claim(client, rightful.animateur, body)
        assert claimed["status"] == "pending" and claimed["disputes"] == "Landerneau (usurpé)"
        assert client.get(f"/api/v1/territories/{claimed['id']}/actors", headers=rightful.animateur).status_code == 404
        kept = client.post(f"/api/v1/territories/{claimed['id']}/decision", headers=admin, json={"approved": True})
        assert kept.status_code == 409 and "confirmez le transfert" in kept.json()["detail"]
        handed = client.post(
            f"/api/v1/territories/{claimed['id']}/decision", headers=admin, json={"approved": True, "transfer": True}
        )
        assert handed.status_code == 200 and handed.json()["status"] == "approved", handed.text
        lost = {t["id"]: t for t in client.get("/api/v1/territories", headers=usurper.animateur).json()}
        assert lost[taken["id"]]["status"] == "transferred"
        assert client.get(f"/api/v1/territories/{taken['id']}/actors", headers=usurper.animateur).status_code == 404
        assert client.get(f"/api/v1/territories/{claimed['id']}/actors", headers=rightful.animateur).status_code == 200
