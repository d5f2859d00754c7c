"""Accounts in the offers API on SQLite and PostgreSQL: sign-up, emailed links, password login and its
throttling, sessions and CSRF, API tokens and their revocation, users and roles, the old token migrated."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from fastapi.testclient import TestClient
from offers import accounts, accounts_service
from offers.accounts_service import create_platform_admin, purge_expired_traces
from offers.main import create_app
from offers.models import Invitation, LoginAttempt, LoginLink, Organisation, UserAccount, WebSession
from sqlalchemy import Column, Index, MetaData, String, Table, inspect, select, update
from sqlmodel import Session, col

from shared.db import make_engine
from shared.events import AccountLinkRequested, Envelope, OrganisationProfile, payload_of
from shared.http import hash_token
from shared.links import LinkSigner
from shared.outbox import OutboxMessage
from shared.settings import Settings

PASSWORD = "la sciure part le mardi"
ORGANISATION = {
    "name": "Scierie Roux",
    "kind": "company",
    "commune": "Dole",
    "postcode": "39100",
    "contact_email": "contact@scierie.example",
}
LISTING = {"kind": "offer", "title": "Sciure de bois", "category": "sciure"}


class Offers:
    """The offers app under test, with what a test needs to reach behind it: its database and secret."""

    def __init__(self, client: TestClient, settings: Settings):
        self.client = client
        self.engine = client.app.state.runtime.engine  # type: ignore[attr-defined]
        self.settings = settings
        self.signer = LinkSigner(settings.account_link_key)

    def sign_up(
        self, email: str = "jean@scierie.example", password: str | None = PASSWORD, **organisation: object
    ) -> dict[str, str]:
        body: dict[str, object] = {
            "organisation": {**ORGANISATION, **organisation},
            "name": "Jean Roux",
            "email": email,
        }
        if password is not None:
            body["password"] = password
        answer = self.client.post("/api/v1/accounts", json=body)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def links(self, email: str) -> list[AccountLinkRequested]:
        """The account links requested for `email`, oldest first, as notifications receives them."""
        with Session(self.engine) as session:
            rows = (
                session.exec(
                    select(OutboxMessage)
                    .where(OutboxMessage.type == "account.link_requested")
                    .order_by(OutboxMessage.id)
                )
                .scalars()
                .all()
            )
        found = [payload_of(Envelope.from_bytes(row.value)) for row in rows]
        return [p for p in found if isinstance(p, AccountLinkRequested) and p.email == email]

    def link_path(self, link: AccountLinkRequested) -> str:
        """The link's path as the mailer gets it from offers when it sends the email."""
        answer = self.client.post(
            f"/internal/account-links/{link.link_id}",
            headers={"Authorization": f"Bearer {self.settings.internal_api_token}"},
        )
        assert answer.status_code == 200, answer.text
        return httpx.URL(answer.json()["url"]).raw_path.decode()

    def nonce_of(self, path: str) -> str:
        return str(self.signer.verify("account", path.rsplit("/", 1)[1])["n"])

    def confirm(self, email: str) -> str:
        """Follow the last emailed link: the session cookie it sets."""
        answer = self.client.post(self.link_path(self.links(email)[-1]), follow_redirects=False)
        assert answer.status_code == 303, answer.text
        return session_cookie(answer)

    def log_in(self, email: str = "jean@scierie.example", password: str = PASSWORD, **headers: str) -> tuple[int, dict]:  # type: ignore[type-arg]
        answer = self.client.post("/api/v1/session", json={"email": email, "password": password}, headers=headers)
        return answer.status_code, answer.json()

    def session(self, email: str = "jean@scierie.example", password: str = PASSWORD) -> dict[str, str]:
        """Headers of a logged-in browser: its cookie and its CSRF token."""
        answer = self.client.post("/api/v1/session", json={"email": email, "password": password})
        assert answer.status_code == 200, answer.text
        return {"Cookie": session_cookie(answer), "X-CSRF-Token": answer.json()["csrf_token"]}


def session_cookie(answer) -> str:  # type: ignore[no-untyped-def]
    """`boucle_session=…` from Set-Cookie (sent back by hand: the test client is on plain http, and the
    cookie is Secure)."""
    return answer.headers["set-cookie"].split(";")[0]


@pytest.fixture
def offers(backend: str, settings_for) -> Iterator[Offers]:  # type: ignore[no-untyped-def]
    settings = settings_for(backend)
    with TestClient(create_app(settings)) as client:
        yield Offers(client, settings)


def confirmed(offers: Offers, email: str = "jean@scierie.example", **organisation: object) -> dict[str, str]:
    created = offers.sign_up(email, **organisation)
    offers.confirm(email)
    return created


class TestSignUp:
    def test_an_organisation_and_its_unconfirmed_administrator_with_a_confirmation_link(self, offers: Offers) -> None:
        created = offers.sign_up("Jean@Scierie.Example")
        with Session(offers.engine) as session:
            user = session.get(UserAccount, created["user_id"])
            assert user is not None and user.email == "jean@scierie.example"
            assert user.role == "org_admin" and user.confirmed_at is None
            assert user.password_hash and user.password_hash.startswith("$argon2id$")
            assert session.get(Organisation, created["organisation_id"]) is not None
            types = (
                session.exec(
                    select(OutboxMessage.type)
                    .where(OutboxMessage.key == created["organisation_id"])
                    .order_by(OutboxMessage.id)
                )
                .scalars()
                .all()
            )
        assert types == ["organisation.registered", "account.link_requested"]  # the contact is known first
        [link] = offers.links("jean@scierie.example")
        assert (link.purpose, link.name, link.user_id) == ("confirm", "Jean Roux", created["user_id"])
        assert link.organisation_id == created["organisation_id"]

    def test_the_organisation_is_confirmed_by_its_first_confirmed_address_or_its_api_token(
        self, offers: Offers
    ) -> None:
        def profiles(organisation_id: str) -> list[tuple[str, bool]]:
            with Session(offers.engine) as session:
                rows = (
                    session.exec(
                        select(OutboxMessage)
                        .where(
                            OutboxMessage.key == organisation_id, col(OutboxMessage.type).startswith("organisation.")
                        )
                        .order_by(OutboxMessage.id)
                    )
                    .scalars()
                    .all()
                )
            found = [(row.type, payload_of(Envelope.from_bytes(row.value))) for row in rows]
            return [(kind, p.confirmed) for kind, p in found if isinstance(p, OrganisationProfile)]

        created = offers.sign_up()
        assert profiles(created["organisation_id"]) == [("organisation.registered", False)]
        offers.confirm("jean@scierie.example")
        offers.client.post("/api/v1/session/link", json={"email": "jean@scierie.example"})
        offers.confirm("jean@scierie.example")  # a later login link confirms nothing more
        assert profiles(created["organisation_id"]) == [
            ("organisation.registered", False),
            ("organisation.updated", True),
        ]
        by_api = offers.client.post("/api/v1/organisations", json={**ORGANISATION, "name": "Scierie Blanc"})
        assert by_api.status_code == 201, by_api.text
        assert profiles(by_api.json()["id"]) == [("organisation.registered", True)]

    def test_one_account_per_address_whatever_its_case(self, offers: Offers) -> None:
        """Issue 18, low: a sign-up with a known address answered 409 (user enumeration). It now answers as for a new
        address and creates nothing; the address's owner is emailed a login link saying someone tried."""
        first = confirmed(offers, "jean@scierie.example")
        with Session(offers.engine) as session:
            before = (
                session.exec(select(Organisation.id)).scalars().all(),
                session.exec(select(OutboxMessage.type).order_by(OutboxMessage.id)).scalars().all(),
            )
        other = {"organisation": {**ORGANISATION, "name": "Scierie Usurpée"}, "name": "Autre", "password": PASSWORD}
        again = offers.client.post("/api/v1/accounts", json={**other, "email": "JEAN@scierie.example"})
        new = offers.client.post("/api/v1/accounts", json={**other, "email": "nouvelle@scierie.example"})
        assert again.status_code == new.status_code == 201, again.text
        assert again.json().keys() == new.json().keys() == first.keys()
        assert again.json()["organisation_id"] != first["organisation_id"]
        with Session(offers.engine) as session:  # nothing made for the known address: no user, organisation, event
            assert session.get(Organisation, again.json()["organisation_id"]) is None
            assert session.get(UserAccount, again.json()["user_id"]) is None
            [owner] = (
                session.exec(select(UserAccount).where(col(UserAccount.email) == "jean@scierie.example"))
                .scalars()
                .all()
            )
            assert owner.name == "Jean Roux" and owner.id == first["user_id"]
            after = session.exec(select(Organisation.id)).scalars().all()
            assert sorted(after) == sorted([*before[0], new.json()["organisation_id"]])
            types = session.exec(select(OutboxMessage.type).order_by(OutboxMessage.id)).scalars().all()
        assert types[: len(before[1])] == before[1]
        assert types[len(before[1]) :] == [
            "account.link_requested",  # the owner, told
            "organisation.registered",
            "account.link_requested",
        ]  # the new address
        told = offers.links("jean@scierie.example")[-1]
        assert (told.purpose, told.user_id, told.name) == ("signup_attempt", first["user_id"], "Jean Roux")
        path = offers.link_path(told)
        assert "votre adresse a déjà un compte sur Boucle" in offers.client.get(path).text
        assert offers.client.post(path, follow_redirects=False).status_code == 303  # it logs the owner in

    def test_an_address_someone_else_signed_up_with_is_its_owner_s_at_sign_up(self, offers: Offers) -> None:
        """Issue 18: a stranger signing up with Jean's address (never confirmed) held it, and since sign-ups stopped
        answering 409, Jean's own sign-up sent him a link into the stranger's organisation. The unconfirmed
        organisation is erased instead, and Jean's sign-up goes on: his link opens his own organisation."""
        squatter = offers.sign_up("jean@scierie.example", name="Scierie Usurpée")
        own = offers.client.post(
            "/api/v1/accounts",
            json={
                "organisation": ORGANISATION,
                "name": "Jean Roux",
                "email": "jean@scierie.example",
                "password": PASSWORD,
            },
        )
        assert own.status_code == 201, own.text
        with Session(offers.engine) as session:
            assert session.get(Organisation, squatter["organisation_id"]) is None
            assert session.get(UserAccount, squatter["user_id"]) is None
            [user] = (
                session.exec(select(UserAccount).where(col(UserAccount.email) == "jean@scierie.example"))
                .scalars()
                .all()
            )
            assert (user.id, user.organisation_id) == (own.json()["user_id"], own.json()["organisation_id"])
            erased = (
                session.exec(select(OutboxMessage.type).where(OutboxMessage.key == squatter["organisation_id"]))
                .scalars()
                .all()
            )
        assert erased == ["organisation.erased"]  # the other services forget it too
        link = offers.links("jean@scierie.example")[-1]
        assert (link.purpose, link.user_id) == ("confirm", own.json()["user_id"])
        cookie = offers.confirm("jean@scierie.example")
        me = offers.client.get("/api/v1/organisations/me", headers={"Cookie": cookie})
        assert me.status_code == 200 and me.json()["id"] == own.json()["organisation_id"], me.text

    def test_a_known_address_costs_a_sign_up_what_a_new_one_costs(
        self, offers: Offers, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The password is hashed for a known address too (a missing hash would tell it by the time taken), and the
        owner gets no more emails than its links' quota."""
        confirmed(offers, "jean@scierie.example")
        hashed: list[str] = []
        real = accounts_service.hash_password

        def counted(password: str) -> str:
            hashed.append(password)
            return real(password)

        monkeypatch.setattr(accounts_service, "hash_password", counted)
        for _ in range(6):
            answer = offers.client.post(
                "/api/v1/accounts",
                json={
                    "organisation": ORGANISATION,
                    "name": "Autre",
                    "email": "jean@scierie.example",
                    "password": "un autre mot de passe",
                },
            )
            assert answer.status_code == 201
        assert hashed == ["un autre mot de passe"] * 6
        assert len(offers.links("jean@scierie.example")) == 5  # the confirmation and four: the quota

    @pytest.mark.parametrize(
        ("change", "loc", "message"),
        [
            ({"password": "court"}, ["body", "password"], "12 caractères"),
            (
                {"organisation": {**ORGANISATION, "commune": "Trifouillis-les-Oies", "postcode": None}},
                ["body", "organisation", "commune"],
                "Aucune commune",
            ),
            ({"organisation": {**ORGANISATION, "siret": "12345678901234"}}, ["body", "organisation", "siret"], "SIRET"),
            ({"email": "pas-une-adresse"}, ["body", "email"], "email"),
            ({"role": "platform_admin"}, ["body", "role"], "Champ inconnu"),
            ({"name": "Jean\x00Roux"}, ["body", "name"], "caractère nul"),  # PostgreSQL text cannot hold it
            (
                {"organisation": {**ORGANISATION, "name": "Scierie\x00"}},
                ["body", "organisation", "name"],
                "caractère nul",
            ),
        ],
    )
    def test_each_rule_names_its_field(self, offers: Offers, change: dict, loc: list[str], message: str) -> None:
        body = {
            "organisation": ORGANISATION,
            "name": "Jean Roux",
            "email": "jean@scierie.example",
            "password": PASSWORD,
            **change,
        }
        answer = offers.client.post("/api/v1/accounts", json=body)
        assert answer.status_code == 422
        assert loc in [item["loc"] for item in answer.json()["detail"]]
        assert message in str(answer.json()["detail"])
        with Session(offers.engine) as session:  # nothing half-made
            assert session.exec(select(UserAccount)).first() is None

    def test_every_error_of_a_sign_up_comes_at_once(self, offers: Offers) -> None:
        """Issue 16: an empty sign-up flagged the name and the email, the commune only at the next try; a
        bad SIRET, an unknown NAF code and an unknown commune came one by one."""
        empty = offers.client.post(
            "/api/v1/accounts",
            json={"organisation": {"name": "", "kind": "company", "contact_email": ""}, "name": "", "email": ""},
        )
        assert empty.status_code == 422
        said = {tuple(item["loc"][1:]): item["msg"] for item in empty.json()["detail"]}
        assert said[("organisation", "name")] == "Ce champ est obligatoire."
        assert said[("name",)] == "Ce champ est obligatoire."
        assert ("email",) in said and ("organisation", "contact_email") in said
        assert said[("organisation", "commune")].startswith("Indiquez la commune")

        wrong = offers.client.post(
            "/api/v1/accounts",
            json={
                "organisation": {
                    **ORGANISATION,
                    "siret": "73282932000075",
                    "naf_code": "99.99Z",
                    "commune": "Trifouillis-les-Oies",
                    "postcode": None,
                },
                "name": "Jean Roux",
                "email": "jean@scierie.example",
                "password": "court",
            },
        )
        assert wrong.status_code == 422
        fields = {tuple(item["loc"][1:]) for item in wrong.json()["detail"]}
        assert fields == {
            ("organisation", "siret"),
            ("organisation", "naf_code"),
            ("organisation", "commune"),
            ("password",),
        }
        with Session(offers.engine) as session:  # nothing half-made
            assert session.exec(select(UserAccount)).first() is None


@pytest.mark.parametrize("extra", ['"lat": NaN, "lon": 4.8', '"lat": 47.0, "lon": -Infinity', '"naf_code": "\\ud800"'])
def test_json_beyond_the_standard_gets_a_french_422_not_a_500(offers: Offers, extra: str) -> None:
    """Issue 18, low: NaN, Infinity and lone surrogates gave a 500 on every service (the 422 echoed them)."""
    body = '{"name": "Scierie Roux", "kind": "company", "contact_email": "contact@scierie.example", ' + extra + "}"
    answer = offers.client.post("/api/v1/organisations", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][0] == "body"
    assert "NaN" not in answer.text and "Infinity" not in answer.text and "input" not in answer.text


class TestEmailedLinks:
    def test_get_only_shows_post_confirms_logs_in_once_and_sets_a_safe_cookie(self, offers: Offers) -> None:
        offers.sign_up()
        path = offers.link_path(offers.links("jean@scierie.example")[-1])
        page = offers.client.get(path)
        assert page.status_code == 200 and "Confirmer mon adresse et me connecter" in page.text
        assert offers.client.get(path).status_code == 200  # a mail scanner's visit spends nothing

        answer = offers.client.post(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/espace"
        cookie = answer.headers["set-cookie"]
        for attribute in ("HttpOnly", "Secure", "SameSite=lax", "Path=/", "Max-Age=1209600"):
            assert attribute in cookie
        me = offers.client.get("/api/v1/session", headers={"Cookie": session_cookie(answer)})
        assert me.status_code == 200
        assert me.json()["user"]["email"] == "jean@scierie.example" and me.json()["user"]["role"] == "org_admin"
        assert me.json()["organisation"]["name"] == "Scierie Roux" and me.json()["csrf_token"]

        again = offers.client.post(path, follow_redirects=False)
        assert again.status_code == 400 and "déjà servi" in again.text
        assert "déjà servi" in offers.client.get(path).text
        assert offers.log_in()[0] == 200  # confirmed: the password works now

    @pytest.mark.parametrize("tamper", ["forged", "other_user", "expired", "cross_site"])
    def test_refused_links(self, offers: Offers, tamper: str) -> None:
        offers.sign_up()
        link = offers.links("jean@scierie.example")[-1]
        path, headers = offers.link_path(link), {}
        if tamper == "forged":  # the platform's shared secret does not sign account links
            path = "/liens/compte/" + LinkSigner(offers.settings.secret_key).sign(
                "account", u=link.user_id, n=offers.nonce_of(path)
            )
        elif tamper == "other_user":
            path = "/liens/compte/" + offers.signer.sign("account", u="someone-else", n=offers.nonce_of(path))
        elif tamper == "expired":
            with Session(offers.engine) as session:
                session.exec(update(LoginLink).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
                session.commit()
        else:
            headers = {"Sec-Fetch-Site": "cross-site"}  # another site posting our form: login CSRF
        answer = offers.client.post(path, headers=headers, follow_redirects=False)
        assert answer.status_code in (400, 403) and "set-cookie" not in answer.headers
        assert "lien" in answer.text.lower()
        assert offers.log_in()[0] == 403  # still unconfirmed

    @pytest.mark.parametrize(
        "forged",
        [
            {"Origin": "https://attaquant.example"},  # another site's form, from a browser without Sec-Fetch-Site
            {"Origin": "null"},  # a sandboxed frame, or a redirect from elsewhere
            {"Origin": "https://attaquant.example", "Sec-Fetch-Site": "same-origin"},  # a lying Sec-Fetch-Site
            {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain, its Origin stripped
            {"Sec-Fetch-Site": "same-site", "Origin": "http://autre.127.0.0.1.nip.io:8000"},
            {"Origin": "http://127.0.0.1:8001"},  # the same host, another port: another origin
        ],
    )
    def test_a_page_of_another_origin_cannot_log_a_visitor_in(self, offers: Offers, forged: dict[str, str]) -> None:
        """Issue 18, low: login CSRF was refused only on `Sec-Fetch-Site: cross-site`; any foreign `Origin`, and a
        same-site request from another origin, are refused too."""
        offers.sign_up()
        path = offers.link_path(offers.links("jean@scierie.example")[-1])
        answer = offers.client.post(path, headers=forged, follow_redirects=False)
        assert answer.status_code == 403 and "set-cookie" not in answer.headers
        assert "depuis votre messagerie, pas depuis un autre site" in answer.text
        assert offers.log_in()[0] == 403  # the link was not spent: the address is still unconfirmed
        own = offers.settings.public_url.rstrip("/")  # our own page's button, as browsers send it
        for headers in (
            {"Origin": "null", "Sec-Fetch-Site": "same-origin"},  # the page is served no-referrer
            {"Origin": own, "Sec-Fetch-Site": "same-origin"},
            {"Origin": own + "/"},
        ):
            kept = offers.client.post(path, headers=headers, follow_redirects=False)
            assert kept.status_code in (303, 400), kept.text  # 400 after the first: already used
        assert offers.log_in()[0] == 200

    def test_no_secret_travels_and_the_link_is_made_as_the_email_goes(self, offers: Offers) -> None:
        """#18 finding 2: the event names the link; offers makes its nonce when the mailer asks, keeps only its
        hash, signs it with a key of its own, and answers only the mailer's token."""
        offers.sign_up()
        link = offers.links("jean@scierie.example")[-1]
        assert "nonce" not in link.model_dump()
        with Session(offers.engine) as session:
            stored = session.get(LoginLink, link.link_id)
            assert stored is not None and stored.nonce_hash is None  # no nonce exists yet
        internal = f"/internal/account-links/{link.link_id}"
        assert offers.client.post(internal).status_code == 401
        shared_secret = {"Authorization": f"Bearer {offers.settings.secret_key}"}
        assert offers.client.post(internal, headers=shared_secret).status_code == 401
        first, second = offers.link_path(link), offers.link_path(link)  # a mailer that crashed, then retried
        with Session(offers.engine) as session:
            stored = session.get(LoginLink, link.link_id)
            assert stored is not None and stored.nonce_hash == hash_token(offers.nonce_of(second))
            events = [row.value for row in session.exec(select(OutboxMessage)).scalars().all()]
        assert not any(offers.nonce_of(path).encode() in value for path in (first, second) for value in events)
        assert offers.client.post(first, follow_redirects=False).status_code == 400  # replaced by the second
        assert offers.client.post(second, follow_redirects=False).status_code == 303
        used = offers.client.post(internal, headers={"Authorization": f"Bearer {offers.settings.internal_api_token}"})
        assert used.status_code == 410  # spent: no new nonce for it

    def test_magic_link_login_answers_alike_for_unknown_addresses(self, offers: Offers) -> None:
        confirmed(offers)
        known = offers.client.post("/api/v1/session/link", json={"email": "Jean@scierie.example"})
        unknown = offers.client.post("/api/v1/session/link", json={"email": "personne@nulle.example"})
        assert known.status_code == unknown.status_code == 202
        assert known.json() == unknown.json()
        assert offers.links("personne@nulle.example") == []
        link = offers.links("jean@scierie.example")[-1]
        assert link.purpose == "login"
        assert "Me connecter" in offers.client.get(offers.link_path(link)).text
        cookie = offers.confirm("jean@scierie.example")
        assert offers.client.get("/api/v1/session", headers={"Cookie": cookie}).status_code == 200

    def test_a_few_links_per_quarter_hour_not_a_mail_bomb(self, offers: Offers) -> None:
        offers.sign_up()  # the confirmation link is the first of five
        for _ in range(7):
            assert offers.client.post("/api/v1/session/link", json={"email": "jean@scierie.example"}).status_code == 202
        assert len(offers.links("jean@scierie.example")) == 5

    def test_an_account_without_password_logs_in_by_link_only(self, offers: Offers) -> None:
        offers.sign_up(password=None)
        offers.confirm("jean@scierie.example")
        status, body = offers.log_in(password="")
        assert (status, body["detail"]) == (401, "Identifiants incorrects.")


class TestPasswordLogin:
    def test_the_hash_has_the_cost_of_the_settings_and_an_older_cost_is_rehashed_at_login(
        self, backend: str, settings_for
    ) -> None:  # type: ignore[no-untyped-def]
        """The argon2id cost is a setting (memory and passes, for a pod's limits): a hash keeps the cost it was made
        with, and a login under a new cost rewrites it with the new one."""

        def stored(offers: Offers) -> str:
            with Session(offers.engine) as session:
                user = session.exec(select(UserAccount)).scalars().one()
                assert user.password_hash
                return user.password_hash

        settings = settings_for(backend, PASSWORD_HASH_MEMORY_KIB=4096, PASSWORD_HASH_TIME_COST=1)
        with TestClient(create_app(settings)) as client:
            offers = Offers(client, settings)
            confirmed(offers)
            assert "$m=4096,t=1," in stored(offers)
        raised = settings.model_copy(update={"password_hash_memory_kib": 8192, "password_hash_time_cost": 2})
        with TestClient(create_app(raised)) as client:
            offers = Offers(client, raised)
            assert offers.log_in()[0] == 200
            assert "$m=8192,t=2," in stored(offers)
            assert offers.log_in()[0] == 200

    def test_the_same_answer_whatever_is_wrong(self, offers: Offers) -> None:
        confirmed(offers)
        assert offers.log_in(password="pas le bon mot de passe") == (401, {"detail": "Identifiants incorrects."})
        assert offers.log_in(email="inconnu@nulle.example") == (401, {"detail": "Identifiants incorrects."})
        status, body = offers.log_in(email=" JEAN@scierie.example ")
        assert status == 200 and body["user"]["name"] == "Jean Roux"

    def test_malformed_credentials_are_a_422_not_a_500(self, offers: Offers) -> None:
        for body in (
            {"email": "jean\x00@scierie.example", "password": PASSWORD},
            {"email": "x", "password": "\x00"},
            {"email": "x"},
            {"email": "x", "password": "p" * 1025},
        ):
            assert offers.client.post("/api/v1/session", json=body).status_code == 422, body
        assert offers.client.post("/api/v1/session/link", json={"email": "\x00"}).status_code == 422

    def test_an_unconfirmed_address_is_told_and_sent_its_link_again(self, offers: Offers) -> None:
        offers.sign_up()
        status, body = offers.log_in()
        assert status == 403 and "confirm" in body["detail"]
        assert len(offers.links("jean@scierie.example")) == 2
        assert offers.log_in(password="pas le bon mot de passe")[0] == 401  # the password first: nothing leaks

    def test_five_failures_for_an_email_then_429_even_with_the_right_password(self, offers: Offers) -> None:
        confirmed(offers)
        for _ in range(5):
            assert offers.log_in(password="pas le bon mot de passe")[0] == 401
        answer = offers.client.post("/api/v1/session", json={"email": "jean@scierie.example", "password": PASSWORD})
        assert answer.status_code == 429 and "réessayez" in answer.json()["detail"]
        assert answer.headers["retry-after"] == "900"
        assert offers.log_in(email="JEAN@scierie.example")[0] == 429  # the same address in other letters
        # The emailed link still works: proving control of the mailbox is not guessing.
        offers.client.post("/api/v1/session/link", json={"email": "jean@scierie.example"})
        assert offers.confirm("jean@scierie.example")

    def test_five_failures_from_one_client_address_whatever_the_emails(self, offers: Offers) -> None:
        confirmed(offers)
        for i in range(5):
            status, _ = offers.log_in(email=f"essai{i}@nulle.example", **{"X-Forwarded-For": "203.0.113.7"})
            assert status == 401
        assert offers.log_in(**{"X-Forwarded-For": "203.0.113.7"})[0] == 429
        assert offers.log_in(**{"X-Forwarded-For": "198.51.100.2"})[0] == 200  # another client is not blocked
        assert offers.log_in()[0] == 200  # nor the gateway itself (loopback: per email only)

    def test_a_logged_out_or_expired_session_is_refused(self, offers: Offers) -> None:
        confirmed(offers)
        browser = offers.session()
        assert offers.client.delete("/api/v1/session", headers={"Cookie": browser["Cookie"]}).status_code == 403
        out = offers.client.delete("/api/v1/session", headers=browser)
        assert out.status_code == 204 and "Max-Age=0" in out.headers["set-cookie"]
        refused = offers.client.get("/api/v1/session", headers=browser)
        assert refused.status_code == 401 and "reconnectez-vous" in refused.json()["detail"]

        other = offers.session()
        with Session(offers.engine) as session:
            session.exec(
                update(WebSession)
                .where(col(WebSession.revoked_at).is_(None))
                .values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1))
            )
            session.commit()
        assert offers.client.get("/api/v1/listings", headers=other).status_code == 401

    def test_changing_the_password_ends_the_other_sessions(self, offers: Offers) -> None:
        confirmed(offers)
        here, elsewhere = offers.session(), offers.session()
        wrong = offers.client.put(
            "/api/v1/session/password",
            headers=here,
            json={"password": "une toute nouvelle phrase", "current_password": "non"},
        )
        assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "current_password"]
        changed = offers.client.put(
            "/api/v1/session/password",
            headers=here,
            json={"password": "une toute nouvelle phrase", "current_password": PASSWORD},
        )
        assert changed.status_code == 204
        assert offers.client.get("/api/v1/session", headers=here).status_code == 200
        assert offers.client.get("/api/v1/session", headers=elsewhere).status_code == 401
        assert offers.log_in()[0] == 401 and offers.log_in(password="une toute nouvelle phrase")[0] == 200

    def test_password_changes_are_throttled_and_kill_unused_login_links(self, offers: Offers) -> None:
        """Issue 18: a wrong current password was never throttled (a CPU denial of service), and an unused
        login link survived a password change."""
        confirmed(offers)
        here = offers.session()
        offers.client.post("/api/v1/session/link", json={"email": "jean@scierie.example"})
        pending = offers.link_path(offers.links("jean@scierie.example")[-1])  # emailed
        for _ in range(5):
            wrong = offers.client.put(
                "/api/v1/session/password",
                headers=here,
                json={"password": "une toute nouvelle phrase", "current_password": "non"},
            )
            assert wrong.status_code == 422
        blocked = offers.client.put(
            "/api/v1/session/password",
            headers=here,
            json={"password": "une toute nouvelle phrase", "current_password": PASSWORD},
        )
        assert blocked.status_code == 429 and blocked.headers["retry-after"] == "900"
        with Session(offers.engine) as session:  # the window passes
            session.exec(update(LoginAttempt).values(attempted_at=datetime.now(timezone.utc) - timedelta(hours=1)))
            session.commit()
        changed = offers.client.put(
            "/api/v1/session/password",
            headers=here,
            json={"password": "une toute nouvelle phrase", "current_password": PASSWORD},
        )
        assert changed.status_code == 204
        used = offers.client.post(pending, follow_redirects=False)
        assert used.status_code == 400 and "set-cookie" not in used.headers  # the link died with the old password

    def test_password_hashes_run_two_at_a_time(self, offers: Offers, monkeypatch: pytest.MonkeyPatch) -> None:
        """Each argon2 hash takes 64 MiB: a burst of checks queues instead of exhausting the pod."""
        from offers import accounts_service

        running, peak, lock = 0, 0, threading.Lock()
        verify = accounts_service.PasswordHasher.verify

        def counted(self, stored, password):  # type: ignore[no-untyped-def]
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            try:
                return verify(self, stored, password)
            finally:
                with lock:
                    running -= 1

        monkeypatch.setattr(accounts_service.PasswordHasher, "verify", counted)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: accounts_service.password_matches(None, "devine"), range(16)))
        assert peak == 2


class TestRetention:
    def test_login_traces_are_kept_no_longer_than_needed(self, offers: Offers) -> None:
        """Issue 18, point 10: login attempts kept emails and addresses for ever, and spent links and ended
        sessions stayed. A month for attempts and sessions, a day for links; what is recent stays."""
        created = confirmed(offers)
        offers.session()  # one live session, one recent attempt
        now = datetime.now(timezone.utc)
        old, user = now - timedelta(days=31), created["user_id"]
        with Session(offers.engine) as session:
            session.add(
                LoginAttempt(email="ancien@scierie.example", address="203.0.113.5", succeeded=False, attempted_at=old)
            )
            session.add(
                LoginLink(
                    user_id=user,
                    purpose="login",
                    created_at=now - timedelta(days=2),
                    expires_at=now - timedelta(days=2) + timedelta(hours=1),
                )
            )
            session.add(
                WebSession(
                    id="ancienne", user_id=user, csrf_token="x", created_at=old - timedelta(days=14), expires_at=old
                )
            )
            session.add(
                WebSession(id="fermee", user_id=user, csrf_token="x", created_at=old, expires_at=now, revoked_at=old)
            )
            session.commit()
            assert purge_expired_traces(session, now) == 4
            assert [a.email for a in session.exec(select(LoginAttempt)).scalars()] == ["jean@scierie.example"]
            assert {w.id for w in session.exec(select(WebSession)).scalars()}.isdisjoint({"ancienne", "fermee"})
            assert len(session.exec(select(WebSession)).scalars().all()) == 2  # the confirmation's and the login's
            assert all(link.expires_at > now - timedelta(days=1) for link in session.exec(select(LoginLink)).scalars())
        assert offers.log_in()[0] == 200  # the account itself is untouched


class TestCookieRequests:
    def test_unsafe_cookie_requests_need_the_csrf_token_bearer_ones_do_not(self, offers: Offers) -> None:
        confirmed(offers)
        browser = offers.session()
        cookie_only = {"Cookie": browser["Cookie"]}
        refused = offers.client.post("/api/v1/listings", headers=cookie_only, json=LISTING)
        assert refused.status_code == 403 and refused.json() == {"detail": "Jeton CSRF manquant ou invalide."}
        assert (
            offers.client.post(
                "/api/v1/listings", json=LISTING, headers={**cookie_only, "X-CSRF-Token": "devine"}
            ).status_code
            == 403
        )
        created = offers.client.post("/api/v1/listings", headers=browser, json=LISTING)
        assert created.status_code == 201
        assert (
            offers.client.get("/api/v1/listings?mine=true", headers=cookie_only).json()[0]["id"] == created.json()["id"]
        )  # reads need no token

        token = offers.client.post("/api/v1/organisations/me/tokens", headers=browser, json={"label": "ERP"}).json()
        bearer = {"Authorization": f"Bearer {token['token']}"}
        assert offers.client.post("/api/v1/listings", headers=bearer, json=LISTING).status_code == 201

    def test_organisations_me_tells_the_other_services_who_calls_and_checks_csrf_for_them(self, offers: Offers) -> None:
        created = confirmed(offers)
        browser = offers.session()
        cookie_only = {"Cookie": browser["Cookie"]}
        me = offers.client.get("/api/v1/organisations/me", headers=cookie_only).json()
        assert (me["id"], me["role"], me["user_id"]) == (created["organisation_id"], "org_admin", created["user_id"])
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            refused = offers.client.get("/api/v1/organisations/me", headers={**cookie_only, "X-Boucle-Method": method})
            assert refused.status_code == 403
            assert (
                offers.client.get(
                    "/api/v1/organisations/me", headers={**browser, "X-Boucle-Method": method}
                ).status_code
                == 200
            )
        assert (
            offers.client.get("/api/v1/organisations/me", headers={**cookie_only, "X-Boucle-Method": "GET"}).status_code
            == 200
        )
        garbage = offers.client.get("/api/v1/organisations/me", headers={"Cookie": "boucle_session=devine"})
        assert garbage.status_code == 401

    def test_the_token_wins_when_both_are_sent(self, offers: Offers) -> None:
        confirmed(offers)
        browser = offers.session()
        answer = offers.client.get("/api/v1/organisations/me", headers={**browser, "Authorization": "Bearer faux"})
        assert answer.status_code == 401


class TestApiTokens:
    def test_the_registration_token_is_the_first_api_token_and_can_be_revoked(self, offers: Offers) -> None:
        registered = offers.client.post("/api/v1/organisations", json=ORGANISATION).json()
        bearer = {"Authorization": f"Bearer {registered['token']}"}
        me = offers.client.get("/api/v1/organisations/me", headers=bearer).json()
        assert (me["role"], me["user_id"]) == ("org_admin", None)
        [first] = offers.client.get("/api/v1/organisations/me/tokens", headers=bearer).json()
        assert first["label"] == "Jeton d'inscription" and first["revoked_at"] is None

        made = offers.client.post("/api/v1/organisations/me/tokens", headers=bearer, json={"label": "ERP"})
        assert made.status_code == 201 and made.json()["label"] == "ERP"
        revoked = offers.client.delete(f"/api/v1/organisations/me/tokens/{first['id']}", headers=bearer)
        assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
        assert offers.client.get("/api/v1/listings", headers=bearer).status_code == 401
        second = {"Authorization": f"Bearer {made.json()['token']}"}
        assert offers.client.get("/api/v1/listings", headers=second).status_code == 200
        tokens = offers.client.get("/api/v1/organisations/me/tokens", headers=second).json()
        assert [t["label"] for t in tokens] == ["Jeton d'inscription", "ERP"]
        assert "token" not in str(tokens).replace("tokens", "")  # shown once, never again

    def test_another_organisations_token_is_out_of_reach(self, offers: Offers) -> None:
        def register(**change: str) -> dict[str, str]:
            token = offers.client.post("/api/v1/organisations", json={**ORGANISATION, **change}).json()["token"]
            return {"Authorization": f"Bearer {token}"}

        mine, theirs = register(), register(name="Ferme Morel")
        [their_first] = offers.client.get("/api/v1/organisations/me/tokens", headers=theirs).json()
        assert (
            offers.client.delete(f"/api/v1/organisations/me/tokens/{their_first['id']}", headers=mine).status_code
            == 404
        )
        assert offers.client.get("/api/v1/listings", headers=theirs).status_code == 200

    def test_members_do_not_manage_tokens_or_users(self, offers: Offers) -> None:
        confirmed(offers)
        admin = offers.session()
        invited = offers.client.post(
            "/api/v1/organisations/me/users", headers=admin, json={"name": "Léa Petit", "email": "lea@scierie.example"}
        )
        assert invited.status_code == 201 and invited.json()["role"] == "member"
        assert invited.json()["confirmed"] is False
        link = offers.links("lea@scierie.example")[-1]
        assert link.purpose == "invite"
        path = offers.link_path(link)
        assert offers.client.post(path, follow_redirects=False).status_code == 303
        assert offers.client.post(path).status_code == 400  # spent already
        offers.client.post("/api/v1/session/link", json={"email": "lea@scierie.example"})
        cookie = offers.confirm("lea@scierie.example")
        csrf = offers.client.get("/api/v1/session", headers={"Cookie": cookie}).json()["csrf_token"]
        member = {"Cookie": cookie, "X-CSRF-Token": csrf}
        assert offers.client.get("/api/v1/organisations/me", headers=member).json()["role"] == "member"
        assert offers.client.post("/api/v1/listings", headers=member, json=LISTING).status_code == 201
        for method, path, body in [
            ("GET", "/api/v1/organisations/me/tokens", None),
            ("POST", "/api/v1/organisations/me/tokens", {"label": "x"}),
            ("GET", "/api/v1/organisations/me/users", None),
            ("POST", "/api/v1/organisations/me/users", {"name": "Zoé", "email": "z@s.example"}),
            ("PATCH", "/api/v1/organisations/me", {"name": "Scierie Petit"}),
        ]:
            answer = offers.client.request(method, path, headers=member, json=body)
            assert answer.status_code == 403, (method, path)
            assert "administrateurs" in answer.json()["detail"]
        users = offers.client.get("/api/v1/organisations/me/users", headers=admin).json()
        assert [(u["email"], u["role"], u["confirmed"]) for u in users] == [
            ("jean@scierie.example", "org_admin", True),
            ("lea@scierie.example", "member", True),
        ]


def platform_admin_session(offers: Offers) -> dict[str, str]:
    """Headers of a platform admin's session (made from the command line, signed in by its link)."""
    with Session(offers.engine) as session:
        root, nonce = create_platform_admin(
            session, "root@boucle.example", "Alice Admin", "Équipe Boucle", datetime.now(timezone.utc)
        )
    answer = offers.client.post(
        f"/liens/compte/{offers.signer.sign('account', u=root.id, n=nonce)}", follow_redirects=False
    )
    cookie = session_cookie(answer)
    csrf = offers.client.get("/api/v1/session", headers={"Cookie": cookie}).json()["csrf_token"]
    platform = {"Cookie": cookie, "X-CSRF-Token": csrf}
    assert offers.client.get("/api/v1/organisations/me", headers=platform).json()["role"] == "platform_admin"
    return platform


class TestRoles:
    def test_a_platform_admin_appoints_an_animateur_an_organisation_admin_cannot(self, offers: Offers) -> None:
        created = confirmed(offers, kind="public_body", name="Communauté de communes")
        admin = offers.session()
        mine = offers.client.post(f"/api/v1/users/{created['user_id']}/role", headers=admin, json={"role": "animateur"})
        assert mine.status_code == 403

        platform = platform_admin_session(offers)

        granted = offers.client.post(
            f"/api/v1/users/{created['user_id']}/role", headers=platform, json={"role": "animateur"}
        )
        assert granted.status_code == 200 and granted.json()["role"] == "animateur"
        assert offers.client.get("/api/v1/organisations/me", headers=admin).json()["role"] == "animateur"
        unknown = offers.client.post(f"/api/v1/users/{created['user_id']}/role", headers=platform, json={"role": "roi"})
        assert unknown.status_code == 422
        assert (
            offers.client.post("/api/v1/users/nobody/role", headers=platform, json={"role": "member"}).status_code
            == 404
        )

    def test_a_collectivite_asks_for_the_animateur_role_and_the_platform_decides(self, offers: Offers) -> None:
        """Issue 15: becoming an animateur needed a shell command. A collectivité's user asks; a platform admin
        sees the pending requests and grants or refuses; a company cannot ask, nor anyone decide but the team."""
        created = confirmed(offers, kind="public_body", name="Communauté de communes")
        cc = offers.session()
        asked = offers.client.post("/api/v1/role-requests", headers=cc, json={"role": "animateur"})
        assert asked.status_code == 201 and asked.json()["status"] == "pending"
        again = offers.client.post("/api/v1/role-requests", headers=cc, json={"role": "animateur"})
        assert again.status_code == 201 and again.json()["id"] == asked.json()["id"]  # one pending request
        assert (
            offers.client.post(
                f"/api/v1/role-requests/{asked.json()['id']}/decision", headers=cc, json={"granted": True}
            ).status_code
            == 403
        )
        confirmed(offers, "marie@ferme.example", name="Ferme Morel", kind="farm")
        farm = offers.client.post(
            "/api/v1/role-requests", headers=offers.session("marie@ferme.example"), json={"role": "animateur"}
        )
        assert farm.status_code == 422 and "collectivité" in farm.json()["detail"][0]["msg"]
        wrong = offers.client.post("/api/v1/role-requests", headers=cc, json={"role": "platform_admin"})
        assert wrong.status_code == 422 and "animateur" in wrong.json()["detail"][0]["msg"]

        platform = platform_admin_session(offers)
        [pending] = offers.client.get("/api/v1/role-requests", headers=platform).json()
        assert (pending["user_email"], pending["organisation_name"]) == (
            "jean@scierie.example",
            "Communauté de communes",
        )
        granted = offers.client.post(
            f"/api/v1/role-requests/{pending['id']}/decision", headers=platform, json={"granted": True}
        )
        assert granted.status_code == 200 and granted.json()["status"] == "granted"
        assert offers.client.get("/api/v1/organisations/me", headers=cc).json()["role"] == "animateur"
        twice = offers.client.post(
            f"/api/v1/role-requests/{pending['id']}/decision", headers=platform, json={"granted": False}
        )
        assert twice.status_code == 409
        assert offers.client.get("/api/v1/role-requests", headers=platform).json() == []
        with Session(offers.engine) as session:  # reporting learns who animates
            types = (
                session.exec(select(OutboxMessage.type).where(OutboxMessage.key == created["organisation_id"]))
                .scalars()
                .all()
            )
        assert "user.role_changed" in types

    def test_organisation_admins_act_on_their_own_users_only_and_keep_one_admin(self, offers: Offers) -> None:
        a = confirmed(offers)
        b = confirmed(offers, "marie@ferme.example", name="Ferme Morel")
        admin_a = offers.session()
        admin_b = offers.session("marie@ferme.example")
        # B's user does not exist for A.
        assert (
            offers.client.post(
                f"/api/v1/users/{b['user_id']}/role", headers=admin_a, json={"role": "member"}
            ).status_code
            == 404
        )
        last = offers.client.post(f"/api/v1/users/{a['user_id']}/role", headers=admin_a, json={"role": "member"})
        assert last.status_code == 409 and "au moins un administrateur" in str(last.json()["detail"])
        lea = offers.client.post(
            "/api/v1/organisations/me/users",
            headers=admin_a,
            json={"name": "Léa Petit", "email": "lea@scierie.example"},
        ).json()
        promoted = offers.client.post(f"/api/v1/users/{lea['id']}/role", headers=admin_a, json={"role": "org_admin"})
        assert promoted.status_code == 200 and promoted.json()["role"] == "org_admin"
        # A pending invitation is nobody yet: the last administrator stays one until Léa has accepted.
        assert (
            offers.client.post(
                f"/api/v1/users/{a['user_id']}/role", headers=admin_a, json={"role": "member"}
            ).status_code
            == 409
        )
        offers.confirm("lea@scierie.example")
        assert (
            offers.client.post(
                f"/api/v1/users/{a['user_id']}/role", headers=admin_a, json={"role": "member"}
            ).status_code
            == 200
        )
        assert (
            offers.client.get("/api/v1/organisations/me/users", headers=admin_b).json()[0]["email"]
            == "marie@ferme.example"
        )


class TestInvitations:
    """Issue 18, low: any organisation administrator could invite someone else's address, and the unconfirmed user
    the invitation made reserved it: its owner could neither sign up nor be invited elsewhere. An invitation now
    makes no account until its link is used, and expires unused."""

    def invite(
        self, offers: Offers, admin: dict[str, str], email: str, name: str = "Léa Petit", role: str = "member"
    ) -> httpx.Response:
        return offers.client.post(
            "/api/v1/organisations/me/users", headers=admin, json={"name": name, "email": email, "role": role}
        )

    def accounts(self, offers: Offers, email: str) -> list[UserAccount]:
        with Session(offers.engine) as session:
            return list(session.exec(select(UserAccount).where(col(UserAccount.email) == email)).scalars().all())

    def test_a_stranger_s_invitation_does_not_stop_the_owner_signing_up(self, offers: Offers) -> None:
        confirmed(offers, "chef@squatteur.example", name="Squatteur")
        squatter = offers.session("chef@squatteur.example")
        invited = self.invite(offers, squatter, "lea@scierie.example")
        assert invited.status_code == 201, invited.text
        assert invited.json()["confirmed"] is False and invited.json()["invited_until"] is not None
        assert self.accounts(offers, "lea@scierie.example") == []  # nothing reserved
        [stale] = offers.links("lea@scierie.example")
        assert (stale.purpose, stale.user_id) == ("invite", invited.json()["id"])

        mine = offers.sign_up("lea@scierie.example", name="Scierie Petit")  # the owner's own sign-up works
        [owner] = self.accounts(offers, "lea@scierie.example")
        assert (owner.id, owner.organisation_id) == (mine["user_id"], mine["organisation_id"])
        assert offers.links("lea@scierie.example")[-1].purpose == "confirm"
        offers.confirm("lea@scierie.example")
        assert offers.log_in("lea@scierie.example")[0] == 200

        # The stale invitation's link says why it cannot be accepted, and changes nothing.
        path = offers.link_path(stale)
        page = offers.client.get(path)
        assert page.status_code == 200 and "Squatteur" in page.text
        assert "un compte n&#39;appartient qu&#39;à une seule organisation" in page.text
        assert "Accepter l" not in page.text
        refused = offers.client.post(path, follow_redirects=False)
        assert refused.status_code == 409 and "Supprimer mon compte" in refused.text
        [owner] = self.accounts(offers, "lea@scierie.example")
        assert owner.organisation_id == mine["organisation_id"]

    def test_another_organisation_s_invitation_works_and_the_stale_one_expires(self, offers: Offers) -> None:
        confirmed(offers, "chef@squatteur.example", name="Squatteur")
        confirmed(offers)
        squatter, scierie = offers.session("chef@squatteur.example"), offers.session()
        stale = self.invite(offers, squatter, "lea@scierie.example", name="Usurpée", role="org_admin")
        invited = self.invite(offers, scierie, "LEA@scierie.example")
        assert stale.status_code == invited.status_code == 201
        assert invited.json()["id"] != stale.json()["id"]
        [stale_link, link] = offers.links("lea@scierie.example")
        assert link.user_id == invited.json()["id"]
        joined = offers.client.post(offers.link_path(link), follow_redirects=False)
        assert joined.status_code == 303 and joined.headers["location"] == "/espace"
        [lea] = self.accounts(offers, "lea@scierie.example")
        assert (lea.id, lea.name, lea.role) == (invited.json()["id"], "Léa Petit", "member")
        assert lea.confirmed_at is not None
        users = offers.client.get("/api/v1/organisations/me/users", headers=scierie).json()
        assert [(u["email"], u["confirmed"], u["invited_until"]) for u in users] == [
            ("jean@scierie.example", True, None),
            ("lea@scierie.example", True, None),
        ]
        assert offers.client.post(offers.link_path(stale_link), follow_redirects=False).status_code == 409

        # The squatter's invitation waits, unusable, until it expires; then it goes.
        [pending] = offers.client.get("/api/v1/organisations/me/users", headers=squatter).json()[1:]
        assert (pending["id"], pending["confirmed"]) == (stale.json()["id"], False)
        now = datetime.now(timezone.utc)
        later = now + accounts.INVITATION_LIFETIME + timedelta(seconds=1)
        with Session(offers.engine) as session:
            assert [i.id for i in session.exec(select(Invitation)).scalars()] == [stale.json()["id"]]
            purge_expired_traces(session, later)
            assert session.exec(select(Invitation)).scalars().all() != []  # expired, kept a day as its links
            purge_expired_traces(session, later + accounts.LINK_RETENTION)
            assert session.exec(select(Invitation)).scalars().all() == []
            assert session.exec(select(LoginLink).where(col(LoginLink.invitation_id).is_not(None))).all() == []
        assert len(offers.client.get("/api/v1/organisations/me/users", headers=squatter).json()) == 1

    def test_an_expired_or_withdrawn_invitation_is_not_listed_and_its_link_is_dead(self, offers: Offers) -> None:
        confirmed(offers)
        admin = offers.session()
        first = self.invite(offers, admin, "lea@scierie.example").json()
        again = self.invite(offers, admin, "lea@scierie.example", name="Léa Petit-Roux", role="org_admin").json()
        assert again["id"] == first["id"] and (again["name"], again["role"]) == ("Léa Petit-Roux", "org_admin")
        assert len(offers.links("lea@scierie.example")) == 2  # sent anew
        listed = offers.client.get("/api/v1/organisations/me/users", headers=admin).json()
        assert [(u["id"], u["name"], u["confirmed"]) for u in listed[1:]] == [(first["id"], "Léa Petit-Roux", False)]
        link = offers.links("lea@scierie.example")[-1]
        path = offers.link_path(link)
        withdrawn = offers.client.delete(f"/api/v1/organisations/me/users/{first['id']}", headers=admin)
        assert withdrawn.status_code == 204
        assert len(offers.client.get("/api/v1/organisations/me/users", headers=admin).json()) == 1
        assert offers.client.post(path, follow_redirects=False).status_code == 400  # spent by the withdrawal
        reissued = offers.client.post(
            f"/internal/account-links/{link.link_id}",
            headers={"Authorization": f"Bearer {offers.settings.internal_api_token}"},
        )
        assert reissued.status_code == 410  # the mailer sends it no more
        assert self.accounts(offers, "lea@scierie.example") == []

        paul = self.invite(offers, admin, "paul@scierie.example").json()
        with Session(offers.engine) as session:
            session.exec(update(Invitation).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
            session.exec(update(LoginLink).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
            session.commit()
        assert len(offers.client.get("/api/v1/organisations/me/users", headers=admin).json()) == 1
        assert offers.client.delete(f"/api/v1/organisations/me/users/{paul['id']}", headers=admin).status_code == 404

    def test_an_address_with_an_account_is_invited_as_any_other(self, offers: Offers) -> None:
        """Issue 18, low: inviting an address that had an account answered 409, so an administrator learnt which
        addresses have one. It is now answered, listed, re-roled and withdrawn as a new address's invitation; only
        its owner learns, by email, that a user belongs to one organisation and must delete the other first."""
        created = confirmed(offers)
        confirmed(offers, "marie@ferme.example", name="Ferme Morel")
        ferme, scierie = offers.session("marie@ferme.example"), offers.session()
        assert self.invite(offers, ferme, "lea@ferme.example").status_code == 201
        lea_cookie = offers.confirm("lea@ferme.example")  # Léa has an account, at the farm
        [before] = self.accounts(offers, "lea@ferme.example")

        known = self.invite(offers, scierie, "lea@ferme.example", name="Léa")
        new = self.invite(offers, scierie, "paul@scierie.example", name="Paul")
        assert known.status_code == new.status_code == 201, known.text
        shape = {key: type(value) for key, value in new.json().items()}
        assert {key: type(value) for key, value in known.json().items()} == shape
        assert (known.json()["confirmed"], known.json()["role"]) == (False, "member")
        listed = offers.client.get("/api/v1/organisations/me/users", headers=scierie).json()
        assert [(u["id"], u["confirmed"], u["invited_until"] is not None) for u in listed] == [
            (created["user_id"], True, False),
            (known.json()["id"], False, True),
            (new.json()["id"], False, True),
        ]
        for invited in (known, new):
            changed = offers.client.post(
                f"/api/v1/users/{invited.json()['id']}/role", headers=scierie, json={"role": "org_admin"}
            )
            assert changed.status_code == 200 and changed.json()["role"] == "org_admin"
        [after] = self.accounts(offers, "lea@ferme.example")  # her account is untouched
        assert (after.id, after.organisation_id, after.name, after.role) == (
            before.id,
            before.organisation_id,
            before.name,
            before.role,
        )
        told, plain = offers.links("lea@ferme.example")[-1], offers.links("paul@scierie.example")[-1]
        assert (told.purpose, told.user_id, told.organisation_id, told.name) == (
            "invite_existing",
            known.json()["id"],
            created["organisation_id"],
            "Léa",
        )
        assert (plain.purpose, plain.user_id) == ("invite", new.json()["id"])

        # Her link says what to do, and makes nothing while she is the farm's.
        path = offers.link_path(told)
        assert "rattaché à une autre organisation" in offers.client.get(path).text
        assert offers.client.post(path, follow_redirects=False).status_code == 409
        # She leaves the farm: the same link now makes her account at the sawmill, with the answered id.
        csrf = offers.client.get("/api/v1/session", headers={"Cookie": lea_cookie}).json()["csrf_token"]
        assert (
            offers.client.delete("/api/v1/users/me", headers={"Cookie": lea_cookie, "X-CSRF-Token": csrf}).status_code
            == 204
        )
        page = offers.client.get(path)
        assert "Scierie Roux" in page.text and "Accepter l'invitation et me connecter" in page.text
        assert offers.client.post(path, follow_redirects=False).status_code == 303
        [lea] = self.accounts(offers, "lea@ferme.example")
        assert (lea.id, lea.organisation_id, lea.role) == (known.json()["id"], created["organisation_id"], "org_admin")

        # One of the organisation's own users is refused: its administrators see them listed anyway.
        mine = self.invite(offers, scierie, "LEA@ferme.example")
        assert mine.status_code == 409
        assert mine.json()["detail"] == [
            {
                "loc": ["body", "email"],
                "type": "value_error",
                "msg": "Cette personne fait déjà partie de votre organisation.",
            }
        ]

    def test_invitations_to_one_address_share_its_links_quota(self, offers: Offers) -> None:
        """Several organisations, or one inviting again and again, email an address no more than its quota."""
        for n in range(3):
            confirmed(offers, f"chef{n}@squatteur.example", name=f"Squatteur {n}")
            admin = offers.session(f"chef{n}@squatteur.example")
            for _ in range(2):
                assert self.invite(offers, admin, "lea@scierie.example").status_code == 201
        assert len(offers.links("lea@scierie.example")) == accounts.LINKS_PER_WINDOW


class TestIsolation:
    def test_a_user_of_a_acts_only_for_a(self, offers: Offers) -> None:
        confirmed(offers)
        b = confirmed(offers, "marie@ferme.example", name="Ferme Morel")
        user_a = offers.session()
        user_b = offers.session("marie@ferme.example")
        listing_b = offers.client.post("/api/v1/listings", headers=user_b, json=LISTING).json()["id"]
        assert (
            offers.client.patch(f"/api/v1/listings/{listing_b}", headers=user_a, json={"title": "Pris"}).status_code
            == 404
        )
        assert offers.client.delete(f"/api/v1/listings/{listing_b}", headers=user_a).status_code == 404
        assert offers.client.post(f"/api/v1/listings/{listing_b}/renew", headers=user_a).status_code == 404
        seen = offers.client.get(f"/api/v1/listings/{listing_b}", headers=user_a).json()
        assert seen["mine"] is False and "organisation_id" not in seen
        assert offers.client.get("/api/v1/organisations/me", headers=user_a).json()["id"] != b["organisation_id"]
        # B's CSRF token with A's cookie is no token at all.
        crossed = {"Cookie": user_a["Cookie"], "X-CSRF-Token": user_b["X-CSRF-Token"]}
        assert offers.client.post("/api/v1/listings", headers=crossed, json=LISTING).status_code == 403


def test_a_database_from_before_keeps_its_organisations_tokens(backend: str, settings_for) -> None:  # type: ignore[no-untyped-def]
    """The token an organisation got at registration, stored then in `organisation.token_hash`, still works."""
    settings = settings_for(backend, migrated=False)
    engine = make_engine(settings.database_url("offers"))
    old = MetaData()
    columns = [
        Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
        for c in Organisation.__table__.columns  # type: ignore[attr-defined]
        if c.name not in ("confirmed_at", "imported_by", "diagnosed_on")
    ]  # added later (offers_0009, 0011)
    table = Table("organisation", old, *columns, Column("token_hash", String, nullable=False))
    Index("ix_organisation_token_hash", table.c.token_hash, unique=True)
    old.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            table.insert().values(
                id="org-1",
                name="Scierie Roux",
                kind="company",
                contact_email="contact@scierie.example",
                token_hash=hash_token("ancien-jeton"),
                created_at=datetime(2025, 1, 6, tzinfo=timezone.utc),
            )
        )
    engine.dispose()

    for _ in range(2):  # and a second start changes nothing
        with TestClient(create_app(settings)) as client:
            bearer = {"Authorization": "Bearer ancien-jeton"}
            assert client.get("/api/v1/organisations/me", headers=bearer).json()["id"] == "org-1"
            [token] = client.get("/api/v1/organisations/me/tokens", headers=bearer).json()
            assert token["label"] == "Jeton d'inscription"
            assert client.post("/api/v1/organisations", json=ORGANISATION).status_code == 201
            columns_now = {c["name"] for c in inspect(client.app.state.runtime.engine).get_columns("organisation")}  # type: ignore[attr-defined]
            assert "token_hash" not in columns_now
            with Session(client.app.state.runtime.engine) as session:  # type: ignore[attr-defined]
                org = session.get(Organisation, "org-1")
                assert org is not None and org.confirmed_at is not None  # registered with a token: confirmed


class TestLeaving:
    """RGPD (issue 18): a user deletes its account, an administrator removes a colleague; an organisation always
    keeps an administrator, and its last user deletes the organisation instead."""

    def colleague(self, offers: Offers, admin: dict[str, str], email: str, role: str = "member") -> dict[str, str]:
        invited = offers.client.post(
            "/api/v1/organisations/me/users", headers=admin, json={"name": "Léa Petit", "email": email, "role": role}
        )
        assert invited.status_code == 201, invited.text
        cookie = offers.confirm(email)
        csrf = offers.client.get("/api/v1/session", headers={"Cookie": cookie}).json()["csrf_token"]
        return {"Cookie": cookie, "X-CSRF-Token": csrf, "user_id": invited.json()["id"]}

    def test_a_user_leaves_and_an_administrator_removes_a_colleague(self, offers: Offers) -> None:
        confirmed(offers)
        admin = offers.session()
        lea = self.colleague(offers, admin, "lea@scierie.example")
        lea_id = lea.pop("user_id")
        paul = self.colleague(offers, admin, "paul@scierie.example")
        paul_id = paul.pop("user_id")
        # A member removes nobody but itself.
        assert offers.client.delete(f"/api/v1/organisations/me/users/{paul_id}", headers=lea).status_code == 403
        left = offers.client.delete("/api/v1/users/me", headers=lea)
        assert left.status_code == 204 and 'boucle_session=""' in left.headers["set-cookie"]
        assert offers.client.get("/api/v1/session", headers=lea).status_code == 401
        removed = offers.client.delete(f"/api/v1/organisations/me/users/{paul_id}", headers=admin)
        assert removed.status_code == 204
        with Session(offers.engine) as session:
            assert not session.exec(
                select(UserAccount).where(
                    UserAccount.email.in_(  # type: ignore[attr-defined]
                        ["lea@scierie.example", "paul@scierie.example"]
                    )
                )
            ).all()
            changed = [
                payload_of(Envelope.from_bytes(row.value))
                for row in session.exec(
                    select(OutboxMessage).where(OutboxMessage.type == "user.role_changed")
                ).scalars()
            ]
        assert {(c.user_id, c.role) for c in changed} >= {(lea_id, "removed"), (paul_id, "removed")}  # type: ignore[attr-defined]
        assert offers.client.delete("/api/v1/organisations/me/users/nobody", headers=admin).status_code == 404

    def test_the_last_administrator_and_the_last_user_stay(self, offers: Offers) -> None:
        created = confirmed(offers)
        admin = offers.session()
        alone = offers.client.delete("/api/v1/users/me", headers=admin)
        assert alone.status_code == 409 and "supprimez plutôt l'organisation" in alone.json()["detail"]
        self.colleague(offers, admin, "lea@scierie.example")
        last_admin = offers.client.delete(f"/api/v1/organisations/me/users/{created['user_id']}", headers=admin)
        assert last_admin.status_code == 409 and "dernier administrateur" in last_admin.json()["detail"]


@pytest.mark.parametrize(
    ("public_url", "secure"),
    [("https://boucle.cc-exemple.fr", True), ("http://127.0.0.1:8000", True), ("http://serveur.local:8000", False)],
)
def test_the_session_cookie_is_secure_unless_the_public_url_is_plain_http_elsewhere(
    settings_for, public_url: str, secure: bool
) -> None:  # type: ignore[no-untyped-def]
    """Issue 19, point 5: opened as http://server:8000 from another machine, a Secure cookie is dropped by the
    browser and no one can log in; https (or loopback, where browsers accept Secure over http) keeps Secure."""
    settings = settings_for("sqlite", BOUCLE_PUBLIC_URL=public_url)
    with TestClient(create_app(settings)) as client:
        offers = Offers(client, settings)
        offers.sign_up()
        answer = client.post(offers.link_path(offers.links("jean@scierie.example")[-1]), follow_redirects=False)
        assert answer.status_code == 303
        assert ("Secure" in answer.headers["set-cookie"]) is secure
        expired = client.get("/api/v1/session", headers={"Cookie": "boucle_session=nope"})
        assert expired.status_code == 401 and ("Secure" in expired.headers["set-cookie"]) is secure


def test_the_gateway_warns_at_start_up_when_the_public_url_is_not_https(settings_for, caplog) -> None:  # type: ignore[no-untyped-def]
    from shared.gateway import create_app as create_gateway

    with (
        caplog.at_level("WARNING", logger="shared.gateway"),
        TestClient(create_gateway(settings_for("sqlite", BOUCLE_PUBLIC_URL="http://serveur.local:8000"))),
    ):
        pass
    [warning] = [r.getMessage() for r in caplog.records if r.name == "shared.gateway"]
    assert "not https" in warning and "lose Secure" in warning
    caplog.clear()
    with (
        caplog.at_level("WARNING", logger="shared.gateway"),
        TestClient(create_gateway(settings_for("sqlite", BOUCLE_PUBLIC_URL="https://boucle.cc-exemple.fr"))),
    ):
        pass
    assert not [r for r in caplog.records if r.name == "shared.gateway"]
