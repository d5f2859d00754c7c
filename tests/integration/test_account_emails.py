"""Account emails in notifications, on SQLite and PostgreSQL with real SMTP on loopback: queued once per
event whatever the preferences, sent to the user's own address with its signed link, and a refused user
address never marks the organisation's contact as bounced."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from notifications.consumer import HANDLERS
from notifications.models import MESSAGE_KINDS, Contact, InAppNotification, OutgoingEmail, Preference
from notifications.models import TABLES as NOTIFICATION_TABLES
from notifications.smtp import Mailer
from sqlalchemy import Engine
from sqlmodel import Session, select

from shared.db import init_db, make_engine
from shared.devstack import free_port
from shared.events import AccountLinkRequested, Envelope, new_event, payload_of
from shared.links import LinkSigner
from tests.conftest import wait_until
from tests.integration.test_mailer import Sink


@pytest.fixture
def mail(backend: str, settings_for, tmp_path: Path) -> Iterator[tuple[Mailer, Engine, Sink]]:  # type: ignore[no-untyped-def]
    port = free_port()
    settings = settings_for(backend, "notifications", SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    engine = make_engine(settings.database_url("notifications"))
    init_db(engine, NOTIFICATION_TABLES)
    with Session(engine) as session:
        session.add(Contact(organisation_id="org-a", name="Scierie Roux", email="contact@scierie.example"))
        for kind in MESSAGE_KINDS:  # the organisation wants no email at all: account links still go
            session.add(Preference(organisation_id="org-a", kind=kind, mode="off"))
        session.commit()
    sink = Sink(tmp_path / "mail", port).start()
    mailer = Mailer(engine, settings)
    yield mailer, engine, sink
    mailer.close()
    sink.stop()
    engine.dispose()


def requested(email: str, purpose: str = "confirm") -> Envelope:
    payload = AccountLinkRequested(user_id="user-1", organisation_id="org-a", email=email, name="Léa Petit",
                                   purpose=purpose, nonce="nonce-1")  # type: ignore[arg-type]
    return new_event("account.link_requested", payload, producer="offers", key="org-a")


def consume(engine: Engine, envelope: Envelope) -> None:
    with Session(engine) as session:
        HANDLERS[envelope.type](session, envelope, payload_of(envelope))
        session.commit()


def test_one_email_per_event_to_the_user_whatever_the_preferences(mail: tuple[Mailer, Engine, Sink]) -> None:
    mailer, engine, sink = mail
    event = requested("lea@scierie.example")
    consume(engine, event)
    consume(engine, event)  # redelivered
    consume(engine, requested("lea@scierie.example", "login"))  # another request, another email
    with Session(engine) as session:
        rows = session.exec(select(OutgoingEmail)).all()
        assert [(r.kind, r.status) for r in rows] == [("account_link", "pending")] * 2
        assert session.exec(select(InAppNotification)).all() == []  # nothing to show the organisation

    mailer.send_due()
    messages = wait_until(lambda: sink.to("lea@scierie.example") if len(sink.to("lea@scierie.example")) == 2
                          else None)
    assert sink.to("contact@scierie.example") == []
    subjects = sorted(sink.store.get(m.id).subject for m in messages)  # type: ignore[union-attr]
    assert subjects == ["Confirmez votre adresse sur Boucle", "Votre lien de connexion à Boucle"]
    detail = sink.store.get(messages[0].id).as_json()  # type: ignore[union-attr]
    assert "Léa Petit" in detail["text"]
    assert not any(key.lower() == "list-unsubscribe" for key, _ in detail["headers"])
    [token] = set(re.findall(r"/liens/compte/([\w.\-]+)", detail["text"]))
    assert LinkSigner(mailer.settings.secret_key, 3600).verify("account", token) == {"u": "user-1", "n": "nonce-1"}
    with Session(engine) as session:
        assert {r.recipient for r in session.exec(select(OutgoingEmail)).all()} == {"lea@scierie.example"}


def test_a_refused_user_address_leaves_the_organisations_contact_alone(mail: tuple[Mailer, Engine, Sink]) -> None:
    mailer, engine, sink = mail
    with Session(engine) as session:  # and a bounced contact does not stop a user's own email
        contact = session.get(Contact, "org-a")
        assert contact is not None
        contact.bounced_at = datetime.now(timezone.utc)
        session.add(contact)
        session.commit()
    consume(engine, requested("inconnu@scierie.example"))
    consume(engine, requested("lea@scierie.example", "login"))
    mailer.send_due()
    wait_until(lambda: sink.to("lea@scierie.example"))
    with Session(engine) as session:
        statuses = {r.context["email"]: r.status for r in session.exec(select(OutgoingEmail)).all()}
        assert statuses == {"inconnu@scierie.example": "failed", "lea@scierie.example": "sent"}
        contact = session.get(Contact, "org-a")
        assert contact is not None and contact.bounce_reason is None
