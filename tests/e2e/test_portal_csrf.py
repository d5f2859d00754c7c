"""The portal's forms through the gateway, without a browser: a form posted without the token of its page is
refused (403, in French) and changes nothing; pages behind a session send to the login page; bad values come back
as a 422 page with the error beside its field.

One stack on SQLite (the forms' checks do not depend on the database).
"""

from __future__ import annotations

import re
import time

import httpx
import pytest

from shared.devstack import Stack
from tests.conftest import PASSWORD, mailbox, signed_up


@pytest.fixture(scope="module")
def portal_stack(sqlite_stack: Stack) -> Stack:
    return sqlite_stack


def form_token(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "no CSRF field in the page"
    return found.group(1)


def test_anonymous_forms_carry_the_token_of_their_cookie(portal_stack: Stack) -> None:
    with httpx.Client(base_url=portal_stack.url("gateway"), timeout=30) as client:
        page = client.get("/inscription")
        assert page.status_code == 200
        cookie = page.headers["set-cookie"]
        assert cookie.startswith("boucle_portail=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
        visitor = cookie.split(";", 1)[0]
        assert visitor.split("=", 1)[1] == form_token(page)

        signup = {
            "organisation_name": "Scierie Sans Jeton",
            "kind": "company",
            "commune": "Beaune (21200)",
            "name": "Léa Sans Jeton",
            "email": "lea@sans-jeton.example",
            "password": PASSWORD,
        }
        refused = client.post("/inscription", data=signup, headers={"Cookie": visitor})
        assert refused.status_code == 403
        assert "Formulaire refusé" in refused.text and "n'a pas été pris en compte" in refused.text
        # another visitor's token does not fit this visitor's cookie
        other = form_token(client.get("/inscription"))
        assert (
            client.post("/inscription", data={**signup, "csrf_token": other}, headers={"Cookie": visitor}).status_code
            == 403
        )
        # nor does a token without its cookie
        assert client.post("/inscription", data={**signup, "csrf_token": form_token(page)}).status_code == 403
        assert (
            client.post(
                "/connexion",
                data={"email": "lea@sans-jeton.example", "password": PASSWORD},
                headers={"Cookie": visitor},
            ).status_code
            == 403
        )
        assert (
            client.post(
                "/connexion/lien", data={"email": "lea@sans-jeton.example"}, headers={"Cookie": visitor}
            ).status_code
            == 403
        )

        # Nothing was created: the same sign-up with the page's token goes through (else: address taken).
        accepted = client.post(
            "/inscription", data={**signup, "csrf_token": form_token(page)}, headers={"Cookie": visitor}
        )
        assert accepted.status_code == 200, accepted.text
        assert "Vérifiez votre boîte mail" in accepted.text
        time.sleep(1)
        assert [m["to"] for m in mailbox(portal_stack)].count("lea@sans-jeton.example") == 1


def test_signed_in_forms_carry_the_session_token(portal_stack: Stack) -> None:
    with httpx.Client(base_url=portal_stack.url("gateway"), timeout=30) as client:
        session = signed_up(
            portal_stack,
            client,
            {
                "name": "Cartonnerie Jeton",
                "kind": "company",
                "commune": "Beaune",
                "contact_email": "alertes@jeton.example",
            },
            "Jeanne Jeton",
            "jeanne@jeton.example",
        )
        cookie = {"Cookie": f"boucle_session={session}"}
        csrf = client.get("/api/v1/session", headers=cookie).json()["csrf_token"]
        page = client.get("/annonces/nouvelle", headers=cookie)
        assert page.status_code == 200 and form_token(page) == csrf

        listing = {
            "kind": "offer",
            "title": "Chutes de carton ondulé",
            "category": "Carton ondulé",
            "quantity_value": "2",
            "quantity_unit": "t",
            "frequency": "monthly",
        }
        refused = client.post("/annonces/nouvelle", data=listing, headers=cookie)
        assert refused.status_code == 403 and "Formulaire refusé" in refused.text
        assert (
            client.post("/annonces/nouvelle", data={**listing, "csrf_token": "pas-le-bon"}, headers=cookie).status_code
            == 403
        )
        assert client.get("/api/v1/listings?mine=true", headers=cookie).json() == []

        published = client.post("/annonces/nouvelle", data={**listing, "csrf_token": csrf}, headers=cookie)
        assert published.status_code == 303 and published.headers["location"] == "/annonces?avis=publiee"
        mine = client.get("/api/v1/listings?mine=true", headers=cookie).json()
        assert [(x["title"], x["quantity"]) for x in mine] == [("Chutes de carton ondulé", {"value": 2.0, "unit": "t"})]

        for path in (
            f"/annonces/{mine[0]['id']}/cloturer",
            f"/annonces/{mine[0]['id']}/renouveler",
            "/preferences",
            "/organisation/jetons",
            "/organisation/collegues",
            "/deconnexion",
        ):
            assert client.post(path, data={}, headers=cookie).status_code == 403, path
        assert client.get("/api/v1/listings?mine=true", headers=cookie).json()[0]["status"] == "active"
        assert client.get("/api/v1/session", headers=cookie).status_code == 200  # still signed in
        assert len(client.get("/api/v1/organisations/me/tokens", headers=cookie).json()) == 0

        out = client.post("/deconnexion", data={"csrf_token": csrf}, headers=cookie)
        assert out.status_code == 303
        assert any(c.startswith("boucle_session=") for c in out.headers.get_list("set-cookie"))
        assert client.get("/api/v1/session", headers=cookie).status_code == 401


def test_pages_behind_a_session_send_to_the_login_page(portal_stack: Stack) -> None:
    with httpx.Client(base_url=portal_stack.url("gateway"), timeout=30) as client:
        for path in (
            "/espace",
            "/annonces",
            "/annonces/nouvelle",
            "/mises-en-relation",
            "/synergies",
            "/preferences",
            "/animation",
        ):
            answer = client.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"] == f"/connexion?suite={path}"
        for path in ("/", "/inscription", "/connexion"):
            assert client.get(path).status_code == 200, path


def test_bad_values_come_back_beside_their_fields(portal_stack: Stack) -> None:
    with httpx.Client(base_url=portal_stack.url("gateway"), timeout=30) as client:
        page = client.get("/inscription")
        visitor = {"Cookie": page.headers["set-cookie"].split(";", 1)[0]}
        answer = client.post(
            "/inscription",
            headers=visitor,
            data={
                "csrf_token": form_token(page),
                "organisation_name": "Cartonnerie <b>Dupont</b>",
                "kind": "company",
                "siret": "73282932000075",
                "commune": "Beaune",
                "name": "J",
                "email": "pas-une-adresse",
                "password": "court",
            },
        )
        assert answer.status_code == 422
        html = answer.text
        assert re.search(
            r'<input type="text" id="siret" name="siret" value="73282932000075"\s+'
            r'aria-describedby="siret-error siret-hint" aria-invalid="true"',
            html,
        )
        assert 'id="siret-error">SIRET « 73282932000075 » invalide' in html  # offers' rule, with the others
        assert 'id="name-error">2 caractères au moins.' in html
        assert 'id="email-error">Adresse email invalide' in html
        assert 'value="Cartonnerie &lt;b&gt;Dupont&lt;/b&gt;"' in html  # kept, and inert
        assert "court" not in html  # a password is never sent back

        # the rest right: offers' own verdict on the SIRET, beside the field
        answer = client.post(
            "/inscription",
            headers=visitor,
            data={
                "csrf_token": form_token(page),
                "organisation_name": "Cartonnerie Dupont",
                "kind": "company",
                "siret": "73282932000075",
                "commune": "Beaune",
                "name": "Jeanne",
                "email": "jeanne@siret.example",
            },
        )
        assert answer.status_code == 422
        assert re.search(r'id="siret-error">SIRET « 73282932000075 » invalide', answer.text)


def test_a_new_listing_form_sent_twice_publishes_once(portal_stack: Stack) -> None:
    """A double click or a reload sends the page's form again: one listing. Changed, then sent: a second one."""
    with httpx.Client(base_url=portal_stack.url("gateway"), timeout=30) as client:
        session = signed_up(
            portal_stack,
            client,
            {
                "name": "Menuiserie Double",
                "kind": "company",
                "commune": "Beaune",
                "contact_email": "alertes@double.example",
            },
            "Paul Double",
            "paul@double.example",
        )
        cookie = {"Cookie": f"boucle_session={session}"}
        page = client.get("/annonces/nouvelle", headers=cookie)
        found = re.search(r'name="request_id" value="([0-9a-f]{32})"', page.text)
        assert found, "no request id in the new listing's page"
        form = {
            "csrf_token": form_token(page),
            "request_id": found.group(1),
            "kind": "offer",
            "title": "Chutes de chêne",
            "category": "Bois",
            "quantity_value": "3",
            "quantity_unit": "t",
        }
        for _ in range(2):
            sent = client.post("/annonces/nouvelle", data=form, headers=cookie)
            assert sent.status_code == 303 and sent.headers["location"] == "/annonces?avis=publiee"
        assert [x["title"] for x in client.get("/api/v1/listings?mine=true", headers=cookie).json()] == [
            "Chutes de chêne"
        ]

        changed = client.post("/annonces/nouvelle", data={**form, "title": "Chutes de hêtre"}, headers=cookie)
        assert changed.status_code == 303
        assert sorted(x["title"] for x in client.get("/api/v1/listings?mine=true", headers=cookie).json()) == [
            "Chutes de chêne",
            "Chutes de hêtre",
        ]
        # Another page, another id: the same values make a second listing on purpose.
        assert re.search(
            r'name="request_id" value="([0-9a-f]{32})"', client.get("/annonces/nouvelle", headers=cookie).text
        ).group(1) != found.group(1)  # type: ignore[union-attr]
