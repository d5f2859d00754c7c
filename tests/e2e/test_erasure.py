"""An organisation's administrator deletes its organisation (issue 18, RGPD), through the gateway, broker and every
service, on SQLite and PostgreSQL: offers forgets it, matching keeps nothing its listings said, notifications
forgets its contact, reporting keeps its synergy in the territory's figures under « Organisation supprimée ».
The organisations sit in the Haute-Loire, where no other file posts."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import inspect, text

from shared.db import make_engine
from shared.devstack import Stack
from tests.conftest import account_link, animateur_of, declared_territory, session_cookie, signed_up, wait_until
from tests.e2e.test_portal_csrf import form_token
from tests.e2e.test_synergies import CARDBOARD_FLOW, accepted_match, insee
from tests.e2e.test_walking_skeleton import register

SERVICES = ("offers", "matching", "notifications", "reporting")


def found_in(stack: Stack, service: str, needles: list[str], *, skip: set[str] = frozenset()) -> list[str]:
    """Every `table.column` of a service's database where one of `needles` appears in a row (`skip`: tables left
    out, said in the test)."""
    engine = make_engine(stack.env[f"{service.upper()}_DATABASE_URL"])
    hits = []
    try:
        with engine.connect() as connection:
            for table in inspect(connection).get_table_names():
                if table in skip or table == "alembic_version":
                    continue
                result = connection.execute(text(f'SELECT * FROM "{table}"'))
                for row in result:
                    for column, value in zip(result.keys(), row, strict=True):
                        shown = (
                            bytes(value).decode(errors="replace")
                            if isinstance(value, (bytes, memoryview))
                            else str(value)
                        )
                        hits += [
                            f"{table}.{column}" + (f" {row.type}:{needle[:12]}" if table == "outbox" else "")
                            for needle in needles
                            if needle in shown
                        ]
    finally:
        engine.dispose()
    return sorted(set(hits))


def test_a_deleted_organisation_leaves_no_trace_but_its_anonymous_figures(stack: Stack) -> None:
    suffix = uuid.uuid4().hex[:6]
    name, email = f"Cartonnerie Yssingelaise {suffix}", f"admin-{suffix}@yssingeaux.example"
    secret = f"Chutes confidentielles de l'atelier {suffix}"
    with httpx.Client(base_url=stack.url("gateway"), timeout=20) as client:
        made = client.post(
            "/api/v1/organisations",
            json={
                "name": f"Communauté de communes des Sucs {suffix}",
                "kind": "public_body",
                "commune": "Yssingeaux",
                "contact_email": f"eit-{suffix}@sucs.example",
            },
        )
        assert made.status_code == 201, made.text
        anne = animateur_of(
            stack, client, {"Authorization": f"Bearer {made.json()['token']}"}, f"anne-{suffix}@sucs.example"
        )
        territory = declared_territory(
            stack,
            client,
            anne,
            {"name": f"Les Sucs {suffix}", "communes": [insee("Yssingeaux"), insee("Monistrol-sur-Loire")]},
        )["id"]
        session = signed_up(
            stack,
            client,
            {"name": name, "kind": "company", "commune": "Yssingeaux", "contact_email": email},
            "Paul Cartonnier",
            email,
        )
        cookie = {"Cookie": f"boucle_session={session}"}
        paul = {**cookie, "X-CSRF-Token": client.get("/api/v1/session", headers=cookie).json()["csrf_token"]}
        org_id = client.get("/api/v1/session", headers=cookie).json()["organisation"]["id"]
        _, buyer = register(
            client, f"Emballages de Monistrol {suffix}", "Monistrol-sur-Loire", f"achats-{suffix}@monistrol.example"
        )
        depot = f"Dépôt de Bas-en-Basset {suffix}"
        site = client.post(
            "/api/v1/organisations/me/sites", headers=paul, json={"name": depot, "commune": "Bas-en-Basset"}
        )
        assert site.status_code == 201, site.text
        assert (
            client.post(
                "/api/v1/listings",
                headers=paul,
                json={
                    "kind": "offer",
                    "title": "Chutes de carton ondulé",
                    "description": secret,
                    "category": "carton",
                    "quantity": {"value": 2, "unit": "t"},
                    "frequency": "monthly",
                    "radius_km": 40,
                    "site_id": site.json()["id"],
                },
            ).status_code
            == 201
        )
        assert (
            client.post(
                "/api/v1/listings",
                headers=buyer,
                json={
                    "kind": "need",
                    "title": "Carton pour calage",
                    "category": "carton",
                    "quantity": {"value": 1.5, "unit": "t"},
                    "frequency": "monthly",
                },
            ).status_code
            == 201
        )
        accepted_match(client, paul, buyer)
        synergy = wait_until(lambda: client.get("/api/v1/synergies", headers=buyer).json(), timeout=20)[0]  # type: ignore[index]
        assert (
            client.post(
                f"/api/v1/synergies/{synergy['id']}/stage",
                headers=anne,
                json={"stage": "contractualised", "flow": CARDBOARD_FLOW},
            ).status_code
            == 200
        )
        figures = {"territory": territory, "from": "2025-01-01"}
        before = client.get("/api/v1/reports/impact", headers=anne, params=figures).json()["indicators"]

        # Its administrator downloads everything Boucle holds of it, from every service, in one file.
        exported = client.get("/organisation/donnees.json", headers=cookie)
        assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
        data = exported.json()
        assert data["organisation"]["name"] == name and data["utilisateurs"][0]["email"] == email
        assert [x["description"] for x in data["annonces"]] == [secret]
        assert [x["name"] for x in data["sites"]] == [name, depot]
        assert len(data["mises_en_relation"]) == 1 and data["synergies"][0]["id"] == synergy["id"]
        assert isinstance(data["notifications"], list) and "consultations_de_vos_donnees" in data

        # Only in person, naming it again: a wrong name is a French 422 on `confirm`; an API token cannot.
        wrong = client.delete("/api/v1/organisations/me", headers=paul, params={"confirm": "Cartonnerie"})
        assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["query", "confirm"]
        assert "recopiez le nom de l'organisation" in wrong.json()["detail"][0]["msg"]
        by_token = client.delete(
            "/api/v1/organisations/me", headers=buyer, params={"confirm": f"Emballages de Monistrol {suffix}"}
        )
        assert by_token.status_code == 401
        gone = client.delete("/api/v1/organisations/me", headers=paul, params={"confirm": f"  {name.upper()} "})
        assert gone.status_code == 204, gone.text
        assert client.get("/api/v1/session", headers=cookie).status_code == 401

        # Every service forgets it (their consumers catch up), none keeps its name, address or description...
        needles = [name, email, secret, depot]

        def traces() -> dict[str, list[str]]:
            return {
                service: hits
                for service in SERVICES
                if (hits := found_in(stack, service, needles, skip={"outgoing_email"}))
            }

        try:
            wait_until(lambda: not traces(), timeout=30, interval=0.5)
        except AssertionError:
            raise AssertionError(f"still there: {traces()}") from None
        # ... except the emails already sent to the buyer, which named it once both had accepted (kept as sent).
        assert found_in(stack, "notifications", needles) == ["outgoing_email.context"]

        # The territory's figures are unchanged; the synergy stays, its party anonymous.
        after = client.get("/api/v1/reports/impact", headers=anne, params=figures).json()["indicators"]
        assert after == before and after["tonnes_diverted"] > 0
        kept = client.get(f"/api/v1/synergies/{synergy['id']}", headers=buyer).json()
        assert "Organisation supprimée" in {party["name"] for party in kept["parties"]}
        assert org_id in {party["organisation_id"] for party in kept["parties"]}


def test_the_portal_deletes_the_organisation_once_its_name_is_typed_again(stack: Stack) -> None:
    suffix = uuid.uuid4().hex[:6]
    name, email = f"Atelier témoin {suffix}", f"temoin-{suffix}@retournac.example"
    with httpx.Client(base_url=stack.url("gateway"), timeout=20) as client:
        cookie = {
            "Cookie": "boucle_session="
            + signed_up(
                stack,
                client,
                {"name": name, "kind": "company", "commune": "Retournac", "contact_email": email},
                "Léa Témoin",
                email,
            )
        }
        page = client.get("/organisation", headers=cookie)
        assert page.status_code == 200 and "Supprimer définitivement l'organisation" in page.text
        token = form_token(page)
        refused = client.post(
            "/organisation/supprimer", headers=cookie, data={"csrf_token": token, "confirm": "Atelier"}
        )
        assert refused.status_code == 422
        assert f"recopiez le nom de l&#39;organisation : « {name} »" in refused.text
        deleted = client.post(
            "/organisation/supprimer",
            headers=cookie,
            data={"csrf_token": token, "confirm": name},
            follow_redirects=False,
        )
        assert deleted.status_code == 303 and deleted.headers["location"] == "/?avis=organisation-supprimee"
        assert 'boucle_session=""' in deleted.headers.get("set-cookie", "")
        assert client.get("/api/v1/session", headers=cookie).status_code == 401
        home = client.get("/?avis=organisation-supprimee")
        assert "Votre organisation est supprimée" in home.text


def test_the_portal_removes_a_colleague_and_a_user_leaves(stack: Stack) -> None:
    suffix = uuid.uuid4().hex[:6]
    email = f"chef-{suffix}@retournac.example"
    with httpx.Client(base_url=stack.url("gateway"), timeout=20) as client:
        admin = {
            "Cookie": "boucle_session="
            + signed_up(
                stack,
                client,
                {
                    "name": f"Menuiserie témoin {suffix}",
                    "kind": "company",
                    "commune": "Retournac",
                    "contact_email": email,
                },
                "Marc Chef",
                email,
            )
        }
        csrf = {"X-CSRF-Token": client.get("/api/v1/session", headers=admin).json()["csrf_token"]}
        for name, local in (("Léa", "lea"), ("Paul", "paul")):
            invited = client.post(
                "/api/v1/organisations/me/users",
                headers={**admin, **csrf},
                json={"name": f"{name} {suffix}", "email": f"{local}-{suffix}@retournac.example"},
            )
            assert invited.status_code == 201, invited.text
        joined = client.post(httpx.URL(account_link(stack, f"lea-{suffix}@retournac.example")).raw_path.decode())
        lea_cookie = "boucle_session=" + session_cookie(joined)
        # A member reads the organisation's email settings, its administrators change them (issue 18, low).
        lea_csrf = client.get("/api/v1/session", headers={"Cookie": lea_cookie}).json()["csrf_token"]
        off = client.put(
            "/api/v1/notifications/preferences",
            json={"match_proposed": "off"},
            headers={"Cookie": lea_cookie, "X-CSRF-Token": lea_csrf},
        )
        assert off.status_code == 403 and "Seuls les administrateurs" in off.json()["detail"]
        assert (
            client.get("/api/v1/notifications/preferences", headers={"Cookie": lea_cookie}).json()["match_proposed"]
            == "instant"
        )
        assert (
            client.put(
                "/api/v1/notifications/preferences", json={"match_proposed": "daily"}, headers={**admin, **csrf}
            ).json()["match_proposed"]
            == "daily"
        )
        page = client.get("/organisation", headers=admin)
        paul_id = next(
            u["id"]
            for u in client.get("/api/v1/organisations/me/users", headers=admin).json()
            if u["name"].startswith("Paul")
        )
        removed = client.post(
            f"/organisation/collegues/{paul_id}/retirer",
            headers=admin,
            data={"csrf_token": form_token(page)},
            follow_redirects=False,
        )
        assert removed.status_code == 303 and removed.headers["location"] == "/organisation?avis=collegue-retire"
        assert [u["name"] for u in client.get("/api/v1/organisations/me/users", headers=admin).json()] == [
            "Marc Chef",
            f"Léa {suffix}",
        ]
        lea = {"Cookie": lea_cookie}
        left = client.post(
            "/organisation/quitter",
            headers=lea,
            data={"csrf_token": form_token(client.get("/organisation", headers=lea))},
            follow_redirects=False,
        )
        assert left.status_code == 303 and left.headers["location"] == "/?avis=compte-supprime"
        assert client.get("/api/v1/session", headers=lea).status_code == 401
        assert [u["name"] for u in client.get("/api/v1/organisations/me/users", headers=admin).json()] == ["Marc Chef"]
