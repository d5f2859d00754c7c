"""Unsubscribe links on SQLite and PostgreSQL (issue 18, low): the link of an email switches off the kind of that email
only, and stops working once that kind's preference changed after the email went out — replayed after the
organisation switched its emails back on, it changes nothing. The emails go through the mailer to real SMTP on
loopback; the preferences are read and changed through notifications' routes, their caller checked by offers."""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from notifications.consumer import notify
from notifications.digest import build_due_digests
from notifications.main import create_app as create_notifications
from notifications.models import MESSAGE_KINDS, Contact, OutgoingEmail, Preference
from notifications.smtp import Mailer
from offers.main import create_app as create_offers
from sqlalchemy import Engine
from sqlmodel import Session, select

from shared.devstack import free_port
from shared.links import LinkSigner
from tests.conftest import served, wait_until
from tests.integration.test_mailer import Sink

ONE_CLICK = {
    "content": b"List-Unsubscribe=One-Click",  # RFC 8058: what a mail client posts, without a page
    "headers": {"content-type": "application/x-www-form-urlencoded"},
}
ALERT = {
    "kind": "pair",
    "score_percent": 80,
    "distance_km": 4.2,
    "explanation": "Votre sciure peut servir de litière.",
    "own": {"title": "Sciure de bois", "kind": "offer", "commune": "Dole", "quantity_text": None},
    "others": [{"title": "Litière", "kind": "need", "commune": "Tavaux", "quantity_text": None}],
}
REMINDER = {
    "listing_id": "lst-1",
    "title": "Sciure de bois",
    "kind": "offer",
    "label": "offre",
    "expires_at": "2027-01-10T00:00:00+00:00",
    "expires_on": "10/01/2027",
}


def shown(answer: httpx.Response) -> str:
    """The page's text as read (its apostrophes are escaped in the HTML)."""
    return html.unescape(answer.text)


@dataclass
class World:
    client: TestClient  # notifications' routes
    engine: Engine
    mailer: Mailer
    sink: Sink
    organisation_id: str
    email: str
    admin: dict[str, str]  # the organisation's API token: its administrator
    sent: int = 0

    def preferences(self) -> dict[str, str]:
        answer = self.client.get("/api/v1/notifications/preferences", headers=self.admin)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def set(self, **modes: str) -> None:
        answer = self.client.put("/api/v1/notifications/preferences", headers=self.admin, json=modes)
        assert answer.status_code == 200, answer.text

    def send(self, kind: str, context: dict[str, object]) -> str:
        """Queue one message of `kind`, send it; the path of its List-Unsubscribe link."""
        self.sent += 1
        with Session(self.engine) as session:
            notify(
                session,
                f"test:{self.sent}:{self.organisation_id}",
                self.organisation_id,
                kind,
                {**context, "match_id": f"m-{self.sent}"},
            )
            session.commit()
        self.mailer.send_due()
        return self.last_link()

    def last_link(self) -> str:
        messages = wait_until(lambda: self.sink.to(self.email) if len(self.sink.to(self.email)) == self.sent else None)
        detail = self.sink.store.get(messages[0].id).as_json()  # newest first
        [header] = [value for key, value in detail["headers"] if key.lower() == "list-unsubscribe"]
        url = header.strip().strip("<>")  # folded: a long line
        assert url in detail["text"]  # the footer's link is the header's
        return httpx.URL(url).raw_path.decode()


@pytest.fixture
def world(backend: str, settings_for, tmp_path: Path) -> Iterator[World]:  # type: ignore[no-untyped-def]
    with served(create_offers(settings_for(backend, "offers"))) as offers_url:
        offers = httpx.Client(base_url=offers_url, timeout=30)
        email = "alertes@scierie-roux.example"
        created = offers.post(
            "/api/v1/organisations",
            json={"name": "Scierie Roux", "kind": "company", "commune": "Dole", "contact_email": email},
        )
        assert created.status_code == 201, created.text
        port = free_port()
        settings = settings_for(backend, "notifications", SMTP_HOST="127.0.0.1", SMTP_PORT=port, OFFERS_URL=offers_url)
        app = create_notifications(settings)  # its routes alone: no consumer on the session's broker
        engine = app.state.runtime.engine
        organisation_id = created.json()["id"]
        with Session(engine) as session:  # as organisation.registered leaves it
            session.add(Contact(organisation_id=organisation_id, name="Scierie Roux", email=email))
            session.commit()
        sink = Sink(tmp_path / "mail", port).start()
        mailer = Mailer(engine, settings)
        try:
            yield World(
                TestClient(app),
                engine,
                mailer,
                sink,
                organisation_id,
                email,
                {"Authorization": f"Bearer {created.json()['token']}"},
            )
        finally:
            mailer.close()
            sink.stop()
            offers.close()


def test_a_link_switches_off_the_kind_of_its_email_only(world: World) -> None:
    path = world.send("match_proposed", ALERT)
    page = world.client.get(path)
    assert page.status_code == 200 and "Me désabonner" in page.text
    assert "Ne plus recevoir les alertes de nouvelles pistes de synergie à l'adresse de" in shown(page)
    assert set(world.preferences().values()) == {"instant"}  # a GET only shows (mail scanners follow links)

    done = world.client.post(path, **ONE_CLICK)
    assert done.status_code == 200
    assert "vous ne recevrez plus les alertes de nouvelles pistes de synergie à l'adresse de Scierie Roux" in shown(
        done
    )
    assert world.preferences() == {kind: "off" if kind == "match_proposed" else "instant" for kind in MESSAGE_KINDS}

    # the link of another kind's email switches off that kind, though match_proposed changed meanwhile
    reminder = world.send("listing_expiring", REMINDER)
    assert "les alertes d'expiration de vos annonces" in shown(world.client.get(reminder))
    assert world.client.post(reminder, **ONE_CLICK).status_code == 200
    assert {kind for kind, mode in world.preferences().items() if mode == "off"} == {
        "match_proposed",
        "listing_expiring",
    }


def test_a_link_replayed_after_the_preferences_changed_changes_nothing(world: World) -> None:
    path = world.send("match_proposed", ALERT)
    assert world.client.post(path, **ONE_CLICK).status_code == 200
    again = world.client.post(path, **ONE_CLICK)  # a mail client retrying: already done, said so
    assert again.status_code == 200 and "Vous ne recevez déjà plus les alertes de nouvelles pistes" in shown(again)

    world.set(match_proposed="instant")  # the administrator switches the alerts back on
    for answer in (world.client.get(path), world.client.post(path, **ONE_CLICK), world.client.post(path)):
        assert answer.status_code == 410
        assert "Ce lien de désabonnement n'est plus valable" in shown(answer)
        assert "ont changé depuis l'envoi de ce message" in shown(answer) and 'href="/preferences"' in answer.text
    assert world.preferences()["match_proposed"] == "instant"

    # A link issued before a change (here: to a daily digest) is refused as well, unused.
    unused = world.send("match_proposed", ALERT)
    world.set(match_proposed="daily")
    assert world.client.post(unused, **ONE_CLICK).status_code == 410
    assert world.preferences()["match_proposed"] == "daily"
    # The same mode saved again (the preferences form sends every kind) is no change: a fresh link still works.
    fresh = world.send("listing_expiring", REMINDER)
    world.set(**world.preferences())
    assert world.client.post(fresh, **ONE_CLICK).status_code == 200


def test_a_digest_link_switches_off_the_kinds_it_gathers(world: World) -> None:
    world.set(match_proposed="daily", listing_expiring="daily")
    with Session(world.engine) as session:
        notify(
            session,
            f"test:a:{world.organisation_id}",
            world.organisation_id,
            "match_proposed",
            {**ALERT, "match_id": "m-a"},
        )
        notify(session, f"test:b:{world.organisation_id}", world.organisation_id, "listing_expiring", REMINDER)
        session.commit()
        assert build_due_digests(session, datetime.now(timezone.utc) + timedelta(days=2)) == 1
    world.sent += 1
    world.mailer.send_due()
    path = world.last_link()
    what = "les alertes de nouvelles pistes de synergie ni les alertes d'expiration de vos annonces"
    assert what in shown(world.client.get(path))
    assert world.client.post(path, **ONE_CLICK).status_code == 200
    assert {kind for kind, mode in world.preferences().items() if mode == "off"} == {
        "match_proposed",
        "listing_expiring",
    }


def test_links_of_before_and_forged_ones_are_refused(world: World) -> None:
    signer = LinkSigner(world.mailer.settings.secret_key)
    before = f"/liens/desabonnement/{signer.sign('unsubscribe', o=world.organisation_id)}"  # every kind, no revision
    answer = world.client.post(before, **ONE_CLICK)
    assert answer.status_code == 410 and "version précédente" in shown(answer)
    for claims in ({"k": {"spam": 0}}, {"k": {"match_proposed": "0"}}, {"k": []}, {"o": 3, "k": {"match_proposed": 0}}):
        token = signer.sign("unsubscribe", **{"o": world.organisation_id, **claims})
        assert world.client.post(f"/liens/desabonnement/{token}").status_code == 400, claims
    other = LinkSigner("un autre secret").sign("unsubscribe", o=world.organisation_id, k={"match_proposed": 0})
    assert world.client.post(f"/liens/desabonnement/{other}").status_code == 400
    erased = signer.sign("unsubscribe", o="organisation-supprimee", k={"match_proposed": 0})
    assert world.client.post(f"/liens/desabonnement/{erased}").status_code == 410
    assert set(world.preferences().values()) == {"instant"}
    with Session(world.engine) as session:  # nothing written for anyone
        assert session.exec(select(Preference).where(Preference.mode == "off")).all() == []
        assert len(session.exec(select(OutgoingEmail)).all()) == 0
