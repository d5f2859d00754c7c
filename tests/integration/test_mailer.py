"""The mailer against real SMTP on loopback: digests, refused addresses, a server that comes back."""

from __future__ import annotations

import ssl
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from notifications.consumer import notify
from notifications.digest import build_due_digests, next_digest
from notifications.models import Contact, InAppNotification, KnownMatch, OutgoingEmail, Preference
from notifications.smtp import ANIMATEUR, Mailer
from sqlalchemy import Engine
from sqlmodel import Session, select

from shared.db import init_db, make_engine
from shared.devstack import free_port
from shared.mailsink import MailStore, MailStoreHandler
from shared.settings import Settings
from tests.conftest import wait_until

ANIMATEUR_EMAIL = "animation@territoire.example"


class RefusingHandler(MailStoreHandler):
    """Keeps what it accepts; refuses, like a real server, the mailboxes that do not exist."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address.startswith("inconnu@"):
            return "550 5.1.1 Utilisateur inconnu"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class CountingHandler(RefusingHandler):
    """Counts the connections opened to it (one EHLO each)."""

    ehlos = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # type: ignore[no-untyped-def]
        self.ehlos += 1
        session.host_name = hostname
        return responses


class Sink:
    def __init__(self, folder: Path, port: int, tls: ssl.SSLContext | None = None):
        self.store = MailStore(folder)
        self.handler = CountingHandler(self.store)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port, ssl_context=tls)

    def start(self) -> Sink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def to(self, address: str) -> list:
        return [m for m in self.store.list() if address in m.to]


@pytest.fixture
def mail(backend: str, settings_for, tmp_path: Path) -> Iterator[tuple[Mailer, Engine, int]]:  # type: ignore[no-untyped-def]
    port = free_port()
    settings = settings_for(
        backend, "notifications", SMTP_HOST="127.0.0.1", SMTP_PORT=port, BOUCLE_ANIMATEUR_EMAIL=ANIMATEUR_EMAIL
    )
    engine = make_engine(settings.database_url("notifications"))
    init_db(engine, [Contact, OutgoingEmail, Preference, KnownMatch, InAppNotification])
    with Session(engine) as session:
        session.add(Contact(organisation_id=ANIMATEUR, name="Animateur du territoire", email=ANIMATEUR_EMAIL))
        session.add(Contact(organisation_id="org-a", name="Scierie Roux", email="roux@scierie.example"))
        session.add(Contact(organisation_id="org-b", name="Ferme Morel", email="inconnu@ferme.example"))
        session.commit()
    mailer = Mailer(engine, settings)
    yield mailer, engine, port
    mailer.close()
    engine.dispose()


def alert(engine: Engine, organisation_id: str, match_id: str) -> None:
    context = {
        "match_id": match_id,
        "kind": "pair",
        "score_percent": 80,
        "distance_km": 4.2,
        "explanation": "Votre sciure peut servir de litière.",
        "own": {"title": "Sciure de bois", "kind": "offer", "commune": "Dole", "quantity_text": None},
        "others": [{"title": "Litière", "kind": "need", "commune": "Tavaux", "quantity_text": None}],
    }
    with Session(engine) as session:
        notify(session, f"match.proposed:{match_id}:{organisation_id}", organisation_id, "match_proposed", context)
        session.commit()


def rows(engine: Engine, organisation_id: str) -> list[OutgoingEmail]:
    """Short transactions: SQLite lets one writer at a time, and the mailer writes too."""
    with Session(engine) as session:
        found = session.exec(
            select(OutgoingEmail)
            .where(OutgoingEmail.organisation_id == organisation_id)
            .order_by(OutgoingEmail.created_at)
        ).all()
        return [row.model_copy() for row in found]


def digests(engine: Engine, now: datetime) -> int:
    with Session(engine) as session:
        return build_due_digests(session, now)


def test_digest_groups_the_waiting_messages_into_one_email(mail, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mailer, engine, port = mail
    sink = Sink(tmp_path / "mail", port).start()
    try:
        with Session(engine) as session:
            session.add(Preference(organisation_id="org-a", kind="match_proposed", mode="daily"))
            session.commit()
        alert(engine, "org-a", "m-1")
        alert(engine, "org-a", "m-2")
        assert [r.status for r in rows(engine, "org-a")] == ["digest", "digest"]
        assert mailer.send_due() == 0  # nothing goes out one by one
        now = datetime.now(timezone.utc)
        assert digests(engine, now) == 0  # not yet 07:00 of the next day
        assert digests(engine, now + timedelta(days=1, hours=8)) == 1
        assert mailer.send_due() == 1
        [digest] = sink.to("roux@scierie.example")
        assert digest.subject == "Votre résumé Boucle : 2 nouveautés"
        text = sink.store.get(digest.id).text or ""
        assert text.count("Nouvelle piste de synergie pour « Sciure de bois »") == 2
        with Session(engine) as session:  # the app shows them all the same
            assert len(session.exec(select(InAppNotification)).all()) == 2
    finally:
        sink.stop()


def test_next_digest_times() -> None:
    monday_9h = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    assert next_digest("daily", monday_9h) == datetime(2026, 11, 24, 7, 0, tzinfo=timezone.utc)
    assert next_digest("daily", monday_9h.replace(hour=6)) == datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)
    assert next_digest("weekly", monday_9h) == datetime(2026, 11, 30, 7, 0, tzinfo=timezone.utc)


def test_a_refused_address_is_marked_and_the_animateur_told(mail, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mailer, engine, port = mail
    sink = Sink(tmp_path / "mail", port).start()
    try:
        alert(engine, "org-b", "m-1")
        mailer.send_due()
        [row] = rows(engine, "org-b")
        assert row.status == "failed" and row.last_error.startswith("550")
        with Session(engine) as session:
            assert session.get(Contact, "org-b").bounced_at is not None
        mailer.send_due()
        [warning] = sink.to(ANIMATEUR_EMAIL)
        assert warning.subject == "Adresse en échec : Ferme Morel"
        assert "inconnu@ferme.example" in (sink.store.get(warning.id).text or "")

        alert(engine, "org-b", "m-2")  # no more attempts to a bounced address
        mailer.send_due()
        assert [r.status for r in rows(engine, "org-b")] == ["failed", "failed"]
        assert "adresse en échec" in (rows(engine, "org-b")[1].last_error or "")
    finally:
        sink.stop()


def test_smtp_down_for_a_while_then_up_delivers_each_message_once(mail, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mailer, engine, port = mail
    alert(engine, "org-a", "m-1")
    mailer.send_due()  # nothing listens yet
    [row] = rows(engine, "org-a")
    assert row.status == "pending" and row.attempts == 1 and row.last_error
    sink = Sink(tmp_path / "mail", port).start()
    try:
        wait_until(lambda: (mailer.send_due() and False) or rows(engine, "org-a")[0].status == "sent", timeout=15)
        time.sleep(0.5)
        mailer.send_due()
        assert len(sink.to("roux@scierie.example")) == 1
    finally:
        sink.stop()


def test_connections_are_kept_between_batches_and_replaced_when_the_server_closed_them(mail, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mailer, engine, port = mail
    sink = Sink(tmp_path / "mail", port).start()
    try:
        for batch in range(4):
            alert(engine, "org-a", f"m-{batch}")
            assert mailer.send_due() == 1
        assert len(sink.to("roux@scierie.example")) == 4
        assert sink.handler.ehlos == 1, "one connection for the four batches"
    finally:
        sink.stop()
    sink = Sink(tmp_path / "mail-2", port).start()  # a new server: the kept connection is dead
    try:
        alert(engine, "org-a", "m-after")
        wait_until(lambda: (mailer.send_due() and False) or rows(engine, "org-a")[-1].status == "sent", timeout=15)
        assert [m.subject for m in sink.to("roux@scierie.example")] == [
            "Nouvelle piste de synergie pour « Sciure de bois »"
        ]
    finally:
        sink.stop()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made by openssl (the relay's own CA, as a private relay has)."""
    cert, key = folder / "relay.pem", folder / "relay.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_implicit_tls_to_a_relay_whose_certificate_is_checked(settings_for, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Port 465 (issue 19, point 7): TLS from the first byte, the relay's certificate checked against SMTP_CA_FILE;
    without that CA the certificate is refused and the email waits for its next attempt."""
    cert, key = self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    port = free_port()
    sink = Sink(tmp_path / "mail", port, tls=server_tls).start()
    try:
        for trusted in (False, True):
            settings = settings_for(
                "sqlite",
                "notifications",
                SMTP_HOST="127.0.0.1",
                SMTP_PORT=port,
                SMTP_IMPLICIT_TLS=True,
                SMTP_CA_FILE=str(cert) if trusted else None,
            )
            engine = make_engine(settings.database_url("notifications"))
            init_db(engine, [Contact, OutgoingEmail, Preference, KnownMatch, InAppNotification])
            with Session(engine) as session:
                session.add(Contact(organisation_id="org-a", name="Scierie Roux", email="roux@scierie.example"))
                session.commit()
            mailer = Mailer(engine, settings)
            try:
                alert(engine, "org-a", f"m-tls-{trusted}")
                mailer.send_due()
                [row] = rows(engine, "org-a")
                if trusted:
                    assert row.status == "sent", row.last_error
                else:
                    assert row.status == "pending" and "CERTIFICATE_VERIFY_FAILED" in (row.last_error or "")
            finally:
                mailer.close()
                engine.dispose()
        assert len(sink.to("roux@scierie.example")) == 1  # the trusted attempt only
    finally:
        sink.stop()


def test_starttls_and_implicit_tls_exclude_each_other() -> None:
    with pytest.raises(ValueError, match="SMTP_IMPLICIT_TLS"):
        Settings(SMTP_STARTTLS=True, SMTP_IMPLICIT_TLS=True)  # type: ignore[call-arg]
