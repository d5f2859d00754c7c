"""Accounts through the gateway, the broker, every service and real SMTP: sign-up confirmed by the emailed
link, the session cookie and its CSRF token in every service, magic-link login, single-use links, login
throttling, revoked API tokens refused everywhere, one organisation's user never acting for another."""

from __future__ import annotations

import re
import uuid

import httpx

from shared.devstack import Stack
from tests import web
from tests.conftest import mailbox, wait_until
from tests.e2e.test_portal_csrf import form_token

PASSWORD = "la sciure part le mardi"
LISTING = {"kind": "offer", "title": "Sciure de bois", "category": "sciure"}


def address() -> str:
    return f"{uuid.uuid4().hex[:8]}@scierie.example"


def sign_up(client: httpx.Client, email: str, name: str = "Scierie Roux") -> dict[str, str]:
    answer = client.post(
        "/api/v1/accounts",
        json={
            "organisation": {
                "name": name,
                "kind": "company",
                "commune": "Dole",
                "postcode": "39100",
                "contact_email": f"contact-{email}",
            },
            "name": "Jean Roux",
            "email": email,
            "password": PASSWORD,
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def emails_to(stack: Stack, email: str, subject_start: str) -> list[dict]:
    sink = f"http://127.0.0.1:{stack.ports.mailbox}/api/messages"
    found = [m for m in mailbox(stack) if m["to"] == email and m["subject"].startswith(subject_start)]
    return [web.get(f"{sink}/{m['id']}").json() for m in found]


def account_link(message: dict) -> str:
    [url] = set(re.findall(r"https?://[^\s\"<>]+/liens/compte/[\w.\-]+", message["text"]))
    return url


def follow(link: str) -> httpx.Response:
    """The button of the link's page: a POST, not followed to /espace (the portal's page)."""
    return web.post(link, follow_redirects=False, timeout=10)


def browser(client: httpx.Client, answer: httpx.Response) -> dict[str, str]:
    """Headers of the browser that got `answer`'s cookie: the cookie and the session's CSRF token. (Sent by
    hand: the cookie is Secure and the test stack speaks plain http.)"""
    cookie = {"Cookie": answer.headers["set-cookie"].split(";")[0]}
    session = client.get("/api/v1/session", headers=cookie)
    assert session.status_code == 200, session.text
    return {**cookie, "X-CSRF-Token": session.json()["csrf_token"]}


def logged_in(client: httpx.Client, stack: Stack, email: str, name: str = "Scierie Roux") -> dict[str, str]:
    """A confirmed user, logged in by password."""
    sign_up(client, email, name)
    [confirmation] = wait_until(lambda: emails_to(stack, email, "Confirmez"), timeout=20)
    assert follow(account_link(confirmation)).status_code == 303
    answer = client.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return browser(client, answer)


def test_sign_up_confirm_by_email_then_the_cookie_and_its_csrf_token_work_in_every_service(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        email = address()
        created = sign_up(client, email)
        [message] = wait_until(lambda: emails_to(stack, email, "Confirmez votre adresse"), timeout=20)
        assert message["to"] == email  # the user's own address, not the organisation's contact
        assert "Jean Roux" in message["text"] and message["html"]
        assert not any(key.lower() == "list-unsubscribe" for key, _ in message["headers"])
        link = account_link(message)
        assert link.startswith(stack.url("gateway"))

        page = web.get(link, timeout=10)
        assert page.status_code == 200 and "Confirmer mon adresse et me connecter" in page.text
        assert client.post("/api/v1/session", json={"email": email, "password": PASSWORD}).status_code == 403

        answer = follow(link)
        assert answer.status_code == 303 and answer.headers["location"] == "/espace"
        for attribute in ("HttpOnly", "Secure", "SameSite=lax", "Path=/"):
            assert attribute in answer.headers["set-cookie"]
        assert follow(link).status_code == 400  # the nonce is spent

        user = browser(client, answer)
        cookie_only = {"Cookie": user["Cookie"]}
        me = client.get("/api/v1/session", headers=cookie_only).json()
        assert (me["user"]["id"], me["organisation"]["id"]) == (created["user_id"], created["organisation_id"])

        # offers checks its own routes…
        refused = client.post("/api/v1/listings", headers=cookie_only, json=LISTING)
        assert refused.status_code == 403 and refused.json() == {"detail": "Jeton CSRF manquant ou invalide."}
        assert client.post("/api/v1/listings", headers=user, json=LISTING).status_code == 201
        # …and the other services ask offers, with the method.
        prefs = {"match_proposed": "daily"}
        refused = client.put("/api/v1/notifications/preferences", headers=cookie_only, json=prefs)
        assert refused.status_code == 403 and refused.json() == {"detail": "Jeton CSRF manquant ou invalide."}
        bad_token = {**cookie_only, "X-CSRF-Token": "devine"}
        assert client.put("/api/v1/notifications/preferences", headers=bad_token, json=prefs).status_code == 403
        assert (
            client.get("/api/v1/notifications/preferences", headers=cookie_only).json()["match_proposed"] == "instant"
        )
        changed = client.put("/api/v1/notifications/preferences", headers=user, json=prefs)
        assert changed.status_code == 200 and changed.json()["match_proposed"] == "daily"
        assert client.get("/api/v1/matches", headers=cookie_only).status_code == 200
        assert client.get("/api/v1/synergies", headers=cookie_only).status_code == 200

        # Logging out closes the session for writes everywhere at once.
        assert client.delete("/api/v1/session", headers=user).status_code == 204
        assert client.get("/api/v1/session", headers=cookie_only).status_code == 401
        assert client.put("/api/v1/notifications/preferences", headers=user, json=prefs).status_code == 401


def test_magic_link_login_once(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        email = address()
        logged_in(client, stack, email)
        unknown = client.post("/api/v1/session/link", json={"email": address()})
        asked = client.post("/api/v1/session/link", json={"email": email.upper()})
        assert asked.status_code == unknown.status_code == 202 and asked.json() == unknown.json()
        [message] = wait_until(lambda: emails_to(stack, email, "Votre lien de connexion"), timeout=20)
        link = account_link(message)
        assert "Me connecter" in web.get(link, timeout=10).text
        answer = follow(link)
        assert answer.status_code == 303
        user = browser(client, answer)
        assert client.get("/api/v1/notifications", headers={"Cookie": user["Cookie"]}).status_code == 200
        again = follow(link)
        assert again.status_code == 400 and "déjà servi" in again.text and "set-cookie" not in again.headers


def test_login_is_throttled_after_five_failures(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        email = address()
        logged_in(client, stack, email)
        for _ in range(5):
            wrong = client.post("/api/v1/session", json={"email": email, "password": "pas le bon mot de passe"})
            assert wrong.status_code == 401 and wrong.json() == {"detail": "Identifiants incorrects."}
        blocked = client.post("/api/v1/session", json={"email": email, "password": PASSWORD})
        assert blocked.status_code == 429 and "set-cookie" not in blocked.headers
        # Another user behind the same gateway is not locked out.
        other = address()
        logged_in(client, stack, other, name="Ferme Morel")


def test_a_forwarded_for_header_sent_by_a_client_changes_nothing(stack: Stack) -> None:
    """#18 finding 6: the gateway believes X-Forwarded-For only from the proxies it is told to trust (none here).
    A fresh address per try does not escape the account's limit, and posing as the victim's address does not
    lock the victim out."""
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        victim, target = address(), address()
        logged_in(client, stack, victim)
        logged_in(client, stack, target, name="Ferme Morel")
        for i in range(5):  # guesses at other accounts, each posing as the victim's address
            spoofed = {"X-Forwarded-For": "203.0.113.9"}
            assert (
                client.post(
                    "/api/v1/session",
                    headers=spoofed,
                    json={"email": f"personne{i}-{target}", "password": "pas le bon"},
                ).status_code
                == 401
            )
        mine = client.post(
            "/api/v1/session", headers={"X-Forwarded-For": "203.0.113.9"}, json={"email": victim, "password": PASSWORD}
        )
        assert mine.status_code == 200  # the victim, from the address the attacker posed as
        for i in range(5):  # one account, a new address per try
            assert (
                client.post(
                    "/api/v1/session",
                    headers={"X-Forwarded-For": f"198.51.100.{i + 1}"},
                    json={"email": target, "password": "pas le bon"},
                ).status_code
                == 401
            )
        assert (
            client.post(
                "/api/v1/session",
                headers={"X-Forwarded-For": "198.51.100.99"},
                json={"email": target, "password": PASSWORD},
            ).status_code
            == 429
        )


def test_a_revoked_api_token_is_refused_everywhere(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        admin = logged_in(client, stack, address())
        made = client.post("/api/v1/organisations/me/tokens", headers=admin, json={"label": "ERP"})
        assert made.status_code == 201
        bearer = {"Authorization": f"Bearer {made.json()['token']}"}
        reads = ["/api/v1/listings", "/api/v1/matches", "/api/v1/notifications", "/api/v1/synergies"]
        for path in reads:
            assert client.get(path, headers=bearer).status_code == 200, path

        revoked = client.delete(f"/api/v1/organisations/me/tokens/{made.json()['id']}", headers=admin)
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        # Writes ask offers every time: refused at once, in every service.
        assert client.post("/api/v1/listings", headers=bearer, json=LISTING).status_code == 401
        assert (
            client.put("/api/v1/notifications/preferences", headers=bearer, json={"match_proposed": "off"}).status_code
            == 401
        )
        assert client.post("/api/v1/matches/any/accept", headers=bearer).status_code == 401
        assert (
            client.post("/api/v1/territories", headers=bearer, json={"name": "X", "epci": "200070464"}).status_code
            == 401
        )
        # Reads elsewhere may be answered from a few seconds' cache, then no more.
        for path in reads:
            wait_until(lambda path=path: client.get(path, headers=bearer).status_code == 401, timeout=15)


def test_a_user_of_one_organisation_never_acts_for_another(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        a = logged_in(client, stack, address(), name="Scierie Roux")
        b = logged_in(client, stack, address(), name="Ferme Morel")
        listing_b = client.post("/api/v1/listings", headers=b, json=LISTING).json()["id"]
        assert client.patch(f"/api/v1/listings/{listing_b}", headers=a, json={"title": "Pris"}).status_code == 404
        assert client.delete(f"/api/v1/listings/{listing_b}", headers=a).status_code == 404
        assert client.get(f"/api/v1/listings/{listing_b}", headers=b).json()["title"] == "Sciure de bois"

        tokens_b = client.get("/api/v1/organisations/me/tokens", headers=b).json()
        made_b = client.post("/api/v1/organisations/me/tokens", headers=b, json={"label": "B"}).json()
        assert client.delete(f"/api/v1/organisations/me/tokens/{made_b['id']}", headers=a).status_code == 404
        assert len(client.get("/api/v1/organisations/me/tokens", headers=b).json()) == len(tokens_b) + 1

        # A's cookie with B's CSRF token is refused in offers and in the other services.
        crossed = {"Cookie": a["Cookie"], "X-CSRF-Token": b["X-CSRF-Token"]}
        assert client.post("/api/v1/listings", headers=crossed, json=LISTING).status_code == 403
        assert (
            client.put("/api/v1/notifications/preferences", headers=crossed, json={"match_proposed": "off"}).status_code
            == 403
        )
        me_a = client.get("/api/v1/organisations/me", headers=a).json()
        me_b = client.get("/api/v1/organisations/me", headers=b).json()
        assert me_a["id"] != me_b["id"] and me_a["role"] == me_b["role"] == "org_admin"


def test_a_stranger_s_invitation_reserves_nothing_and_the_portal_shows_it_pending(stack: Stack) -> None:
    """Issue 18, low: an administrator invited someone else's address, and the unconfirmed user this made kept its
    owner from signing up. The invitation now makes no account, its owner's sign-up works, the stale link says why
    it cannot be accepted, and the inviting organisation sees it pending until it withdraws it or it expires."""
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        squatter = logged_in(client, stack, address(), name="Squatteur Indélicat")
        victim = address()
        invited = client.post(
            "/api/v1/organisations/me/users", headers=squatter, json={"name": "Léa Petit", "email": victim}
        )
        assert invited.status_code == 201, invited.text
        [invitation] = wait_until(lambda: emails_to(stack, victim, "Vous êtes invité"), timeout=20)
        assert "Squatteur Indélicat vous invite à la rejoindre sur Boucle" in invitation["text"]

        sign_up(client, victim, name="Scierie Petit")  # the owner's own sign-up works
        [confirmation] = wait_until(lambda: emails_to(stack, victim, "Confirmez"), timeout=20)
        assert follow(account_link(confirmation)).status_code == 303
        assert client.post("/api/v1/session", json={"email": victim, "password": PASSWORD}).status_code == 200

        stale = account_link(invitation)
        page = web.get(stale, timeout=10)
        assert page.status_code == 200 and "rattaché à une autre organisation" in page.text
        refused = follow(stale)
        assert refused.status_code == 409 and "set-cookie" not in refused.headers

        portal = {"Cookie": squatter["Cookie"]}
        page = client.get("/organisation", headers=portal)
        assert "invitation envoyée, valable jusqu'au" in page.text
        assert "Annuler l'invitation de Léa Petit" in page.text
        withdrawn = client.post(
            f"/organisation/collegues/{invited.json()['id']}/retirer",
            headers=portal,
            data={"csrf_token": form_token(page), "invitation": "1"},
            follow_redirects=False,
        )
        assert withdrawn.status_code == 303 and withdrawn.headers["location"] == "/organisation?avis=invitation-annulee"
        page = client.get("/organisation?avis=invitation-annulee", headers=portal)
        assert "Invitation annulée" in page.text and "Léa Petit" not in page.text
        assert follow(stale).status_code == 400  # withdrawn: spent


def test_an_invitation_does_not_tell_whether_the_address_has_an_account(stack: Stack) -> None:
    """Issue 18, low: inviting an address with an account answered 409 (user enumeration). Both addresses are now
    answered alike; the owner of the known one is told by email what it takes to join."""
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        curious = logged_in(client, stack, address(), name="Curieux et Fils")
        known, unknown = address(), address()
        logged_in(client, stack, known, name="Scierie Connue")
        answers = [
            client.post("/api/v1/organisations/me/users", headers=curious, json={"name": "Quelqu'un", "email": email})
            for email in (known, unknown)
        ]
        assert [a.status_code for a in answers] == [201, 201], answers[0].text
        assert sorted(answers[0].json()) == sorted(answers[1].json())
        assert [(a.json()["confirmed"], a.json()["role"]) for a in answers] == [(False, "member")] * 2
        listed = client.get("/api/v1/organisations/me/users", headers=curious).json()
        assert [u["id"] for u in listed[1:]] == [a.json()["id"] for a in answers]
        [told] = wait_until(lambda: emails_to(stack, known, "Vous êtes invité"), timeout=20)
        [plain] = wait_until(lambda: emails_to(stack, unknown, "Vous êtes invité"), timeout=20)
        assert "un compte n'appartient qu'à une seule organisation" in told["text"]
        assert "Curieux et Fils vous invite" in told["text"] and "Curieux et Fils vous invite" in plain["text"]
        assert "déjà un compte" not in plain["text"]
        assert follow(account_link(told)).status_code == 409  # nothing changes while the other account exists
        assert follow(account_link(plain)).status_code == 303  # the new address's account is made


def test_every_service_refuses_bad_input_in_french(stack: Stack) -> None:
    """Issue 16, point 2: a 422 of any service names the field at fault in French, never pydantic's English."""
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        made = client.post(
            "/api/v1/organisations",
            json={
                "name": "Scierie Française",
                "kind": "company",
                "commune": "Dijon",
                "contact_email": "fr@scierie.example",
            },
        )
        assert made.status_code == 201, made.text
        bearer = {"Authorization": f"Bearer {made.json()['token']}"}
        bad = [  # (service, method, path, body or query, the field, words of its French message)
            ("offers", "POST", "/api/v1/listings", {"kind": "offer", "title": "ab"}, ["body", "title"], "3"),
            (
                "matching",
                "POST",
                "/api/v1/resources/read",
                [{"id": "x", "kind": "gift", "title": "Sciure"}],
                ["body", 0, "kind"],
                "Valeur inconnue",
            ),
            ("matching", "GET", "/api/v1/resources/nearby", {"lat": "nord", "lon": 4.8}, ["query", "lat"], "nombre"),
            (
                "notifications",
                "PUT",
                "/api/v1/notifications/preferences",
                {"match_proposed": "hourly"},
                ["body", "match_proposed"],
                "Mode « hourly » inconnu",
            ),
            (
                "reporting",
                "POST",
                "/api/v1/territories/preview",
                {"name": "T", "communes": ["21054"]},
                ["body", "name"],
                "2 caractères",
            ),
        ]
        for service, method, path, data, field, words in bad:
            answer = client.request(
                method, path, headers=bearer, **({"params": data} if method == "GET" else {"json": data})
            )
            assert answer.status_code == 422, (service, path, answer.text)
            details = answer.json()["detail"]
            assert any(d["loc"] == field and words in d["msg"] for d in details), (service, path, details)
            english = ("Input should", "Field required", "String should", "value is not")
            assert not any(phrase in d["msg"] for d in details for phrase in english), (service, path, details)
