"""Account emails in notifications, on SQLite and PostgreSQL with real SMTP on loopback: queued once per
event whatever the preferences, sent to the user's own address with the link offers (a real one, served on
loopback) makes as the email goes, and a refused user address never marks the organisation's contact as
bounced."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from notifications.consumer import HANDLERS
from notifications.models import MESSAGE_KINDS, Contact, InAppNotification, OutgoingEmail, Preference
from notifications.models import TABLES as NOTIFICATION_TABLES
from notifications.smtp import Mailer
from offers.accounts_service import new_link
from offers.main import create_app as create_offers
from offers.models import LoginLink, Organisation, UserAccount
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from shared.db import init_db, make_engine
from shared.devstack import free_port
from shared.events import AccountLinkRequested, Envelope, new_event, payload_of
from shared.http import hash_token
from shared.links import LinkSigner
from tests.conftest import served, wait_until
from tests.integration.test_mailer import Sink


@dataclass
class Mail:
    mailer: Mailer
    engine: Engine
    sink: Sink
    offers: Engine  # offers' database, where the links are
    user_id: str


@pytest.fixture
def mail(backend: str, settings_for, tmp_path: Path) -> Iterator[Mail]:  # type: ignore[no-untyped-def]
    offers_settings = settings_for(backend, "offers")
    with served(create_offers(offers_settings)) as offers_url:
        offers = make_engine(offers_settings.database_url("offers"))
        with Session(offers) as session:
            org = Organisation(name="Scierie Roux", kind="company", contact_email="contact@scierie.example")
            user = UserAccount(
                organisation_id=org.id,
                name="Léa Petit",
                email="lea@scierie.example",
                role="org_admin",
                created_at=datetime.now(timezone.utc),
            )
            session.add(org)
            session.flush()
            session.add(user)
            user_id = user.id
            session.commit()
        port = free_port()
        settings = settings_for(backend, "notifications", SMTP_HOST="127.0.0.1", SMTP_PORT=port, OFFERS_URL=offers_url)
        engine = make_engine(settings.database_url("notifications"))
        init_db(engine, NOTIFICATION_TABLES)
        with Session(engine) as session:
            session.add(Contact(organisation_id="org-a", name="Scierie Roux", email="contact@scierie.example"))
            for kind in MESSAGE_KINDS:  # the organisation wants no email at all: account links still go
                session.add(Preference(organisation_id="org-a", kind=kind, mode="off"))
            session.commit()
        sink = Sink(tmp_path / "mail", port).start()
        mailer = Mailer(engine, settings)
        yield Mail(mailer, engine, sink, offers, user_id)
        mailer.close()
        sink.stop()
        engine.dispose()
        offers.dispose()


def requested(mail: Mail, email: str, purpose: str = "confirm") -> Envelope:
    """What offers publishes when a user asks for a link: the link is made in offers' database."""
    with Session(mail.offers) as session:
        user = session.get(UserAccount, mail.user_id)
        assert user is not None
        link = new_link(session, user, purpose, datetime.now(timezone.utc))
        session.commit()
        link_id = link.id
    payload = AccountLinkRequested(
        user_id=mail.user_id, organisation_id="org-a", email=email, name="Léa Petit", purpose=purpose, link_id=link_id
    )  # type: ignore[arg-type]
    return new_event("account.link_requested", payload, producer="offers", key="org-a")


def consume(engine: Engine, envelope: Envelope) -> None:
    with Session(engine) as session:
        HANDLERS[envelope.type](session, envelope, payload_of(envelope))
        session.commit()


def test_one_email_per_event_to_the_user_whatever_the_preferences(mail: Mail) -> None:
    mailer, engine, sink = mail.mailer, mail.engine, mail.sink
    event = requested(mail, "lea@scierie.example")
    consume(engine, event)
    consume(engine, event)  # redelivered
    consume(engine, requested(mail, "lea@scierie.example", "login"))  # another request, another email
    with Session(engine) as session:
        rows = session.exec(select(OutgoingEmail)).all()
        assert [(r.kind, r.status) for r in rows] == [("account_link", "pending")] * 2
        assert session.exec(select(InAppNotification)).all() == []  # nothing to show the organisation

    mailer.send_due()
    messages = wait_until(lambda: sink.to("lea@scierie.example") if len(sink.to("lea@scierie.example")) == 2 else None)
    assert sink.to("contact@scierie.example") == []
    subjects = sorted(sink.store.get(m.id).subject for m in messages)  # type: ignore[union-attr]
    assert subjects == ["Confirmez votre adresse sur Boucle", "Votre lien de connexion à Boucle"]
    detail = sink.store.get(messages[0].id).as_json()  # type: ignore[union-attr]
    assert "Léa Petit" in detail["text"]
    assert not any(key.lower() == "list-unsubscribe" for key, _ in detail["headers"])
    [token] = set(re.findall(r"/liens/compte/([\w.\-]+)", detail["text"]))
    claims = LinkSigner(mailer.settings.account_link_key, 3600).verify("account", token)
    with Session(mail.offers) as session:  # the nonce offers made as the email went, kept hashed
        assert claims["u"] == mail.user_id
        assert session.exec(select(LoginLink).where(LoginLink.nonce_hash == hash_token(claims["n"]))).first()
    with Session(engine) as session:
        rows = session.exec(select(OutgoingEmail)).all()
        assert {r.recipient for r in rows} == {"lea@scierie.example"}
        assert all(claims["n"] not in str(r.context) and token not in str(r.context) for r in rows)


def test_a_sign_up_with_a_known_address_tells_its_owner_with_a_login_link(mail: Mail) -> None:
    """Issue 18, low: sign-up no longer says an address is known (409); offers asks for this email instead."""
    consume(mail.engine, requested(mail, "lea@scierie.example", "signup_attempt"))
    mail.mailer.send_due()
    [message] = wait_until(lambda: mail.sink.to("lea@scierie.example"))
    detail = mail.sink.store.get(message.id).as_json()  # type: ignore[union-attr]
    assert detail["subject"] == "Quelqu'un a tenté de créer un compte Boucle avec votre adresse"
    for part in (detail["text"], detail["html"]):
        assert "Quelqu'un a tenté de créer un compte sur Boucle avec votre adresse, qui en a déjà un" in part
        assert "Si c'est vous, connectez-vous avec votre mot de passe, ou avec ce lien" in part
        assert "aucun compte n'a été créé et le vôtre n'a pas changé" in part
    assert "Me connecter" in detail["html"]
    [token] = set(re.findall(r"/liens/compte/([\w.\-]+)", detail["text"]))
    assert LinkSigner(mail.mailer.settings.account_link_key, 3600).verify("account", token)["u"] == mail.user_id


def test_an_invitation_names_the_organisation_that_invites_and_lasts_a_week(mail: Mail) -> None:
    """Issue 18, low: an invitation makes no account before its link is used, and expires unused in a week."""
    consume(mail.engine, requested(mail, "lea@scierie.example", "invite"))
    mail.mailer.send_due()
    [message] = wait_until(lambda: mail.sink.to("lea@scierie.example"))
    detail = mail.sink.store.get(message.id).as_json()  # type: ignore[union-attr]
    assert detail["subject"] == "Vous êtes invité·e sur Boucle"
    for part in (detail["text"], detail["html"]):
        assert "Scierie Roux vous invite à la rejoindre sur Boucle" in part  # the inviting organisation's name
        assert "expire dans sept jours" in part
        assert "aucun compte n'est créé et l'invitation expirera d'elle-même" in part
    assert "Accepter l'invitation" in detail["html"]


def test_an_invitation_to_an_address_with_an_account_tells_its_owner_what_to_do(mail: Mail) -> None:
    """Issue 18, low: the invitation is answered as for a new address; its owner alone learns why it cannot join
    yet (one organisation per user) and how, and that the inviting organisation was not told."""
    consume(mail.engine, requested(mail, "lea@scierie.example", "invite_existing"))
    mail.mailer.send_due()
    [message] = wait_until(lambda: mail.sink.to("lea@scierie.example"))
    detail = mail.sink.store.get(message.id).as_json()  # type: ignore[union-attr]
    assert detail["subject"] == "Vous êtes invité·e sur Boucle"
    for part in (detail["text"], detail["html"]):
        assert "Scierie Roux vous invite à la rejoindre sur Boucle" in part
        assert "un compte n'appartient qu'à une seule organisation" in part
        assert "bouton « Supprimer mon compte »" in part and "supprimez plutôt l'organisation" in part
        assert "Boucle n'a pas dit à Scierie Roux que votre adresse avait déjà un compte" in part
        assert "expire dans sept jours" in part and "votre compte ne change pas" in part
    assert "Accepter l'invitation" in detail["html"]


def test_an_expired_link_is_not_emailed_and_offers_away_postpones(mail: Mail) -> None:
    consume(mail.engine, requested(mail, "lea@scierie.example"))
    with Session(mail.offers) as session:
        session.exec(update(LoginLink).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
        session.commit()
    mail.mailer.send_due()
    with Session(mail.engine) as session:
        [row] = session.exec(select(OutgoingEmail)).all()
        assert row.status == "failed" and "expiré" in (row.last_error or "")
    consume(mail.engine, requested(mail, "lea@scierie.example", "login"))
    mail.mailer.settings = mail.mailer.settings.model_copy(update={"offers_url": f"http://127.0.0.1:{free_port()}"})
    mail.mailer.send_due()
    with Session(mail.engine) as session:
        pending = [r for r in session.exec(select(OutgoingEmail)).all() if r.status == "pending"]
        assert len(pending) == 1 and "offers injoignable" in (pending[0].last_error or "")
    assert mail.sink.to("lea@scierie.example") == []


def test_a_refused_user_address_leaves_the_organisations_contact_alone(mail: Mail) -> None:
    mailer, engine, sink = mail.mailer, mail.engine, mail.sink
    with Session(engine) as session:  # and a bounced contact does not stop a user's own email
        contact = session.get(Contact, "org-a")
        assert contact is not None
        contact.bounced_at = datetime.now(timezone.utc)
        session.add(contact)
        session.commit()
    consume(engine, requested(mail, "inconnu@scierie.example"))
    consume(engine, requested(mail, "lea@scierie.example", "login"))
    mailer.send_due()
    wait_until(lambda: sink.to("lea@scierie.example"))
    with Session(engine) as session:
        statuses = {r.context["email"]: r.status for r in session.exec(select(OutgoingEmail)).all()}
        assert statuses == {"inconnu@scierie.example": "failed", "lea@scierie.example": "sent"}
        contact = session.get(Contact, "org-a")
        assert contact is not None and contact.bounce_reason is None
