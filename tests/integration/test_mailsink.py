"""Integration tests of the development SMTP sink and its mailbox viewer, over real sockets."""

from __future__ import annotations

import contextlib
import os
import signal
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from shared.devstack import free_port, free_ports
from shared.mailsink import MailSink, MailStore, MessageNotFound, create_viewer_app
from tests import web
from tests.conftest import served

REPO_ROOT = Path(__file__).resolve().parents[2]
SUBJECT = "Nouvelle piste de synergie : chutes de carton"
TEXT_BODY = "Bonjour,\n\nLa société Cartonnages Rhône propose 3 t/mois de chutes de carton.\n"
HTML_BODY = "<p>Bonjour,</p><p>La société <strong>Cartonnages Rhône</strong> propose 3 t/mois de chutes de carton.</p>"
BCC = "veille@boucle.test"


def send_mail(smtp_port: int, subject: str = SUBJECT) -> None:
    """Send a multipart text+HTML message, with one envelope-only (Bcc) recipient."""
    message = EmailMessage()
    message["From"] = "Boucle <notifications@boucle.test>"
    message["To"] = "Élodie Martin <elodie.martin@recyclerie.test>"
    message["Subject"] = subject
    message.set_content(TEXT_BODY)
    message.add_alternative(HTML_BODY, subtype="html")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
        smtp.send_message(message, to_addrs=["elodie.martin@recyclerie.test", BCC])


@contextlib.contextmanager
def running_sink(store_dir: Path):
    """Run the SMTP sink and the viewer on one store directory; yield (smtp_port, http client)."""
    store = MailStore(store_dir)
    sink = MailSink(store, "127.0.0.1", free_port())
    sink.start()
    try:
        with served(create_viewer_app(store)) as base_url, httpx.Client(base_url=base_url, timeout=10) as client:
            yield sink.port, client
    finally:
        sink.stop()


def test_received_message_is_listed_and_detailed_over_http(tmp_path):
    with running_sink(tmp_path / "mail") as (smtp_port, client):
        assert client.get("/healthz").status_code == 200
        send_mail(smtp_port)

        listing = client.get("/api/messages").json()
        assert len(listing) == 1
        summary = listing[0]
        assert summary["subject"] == SUBJECT
        assert summary["from"] == "Boucle <notifications@boucle.test>"
        assert summary["to"] == "Élodie Martin <elodie.martin@recyclerie.test>"
        assert summary["size"] > 0 and summary["date"]

        detail = client.get(f"/api/messages/{summary['id']}").json()
        assert detail["subject"] == SUBJECT
        assert detail["text"] == TEXT_BODY
        assert detail["html"].strip() == HTML_BODY
        assert detail["envelope_to"] == ["elodie.martin@recyclerie.test", BCC]
        headers = dict(detail["headers"])
        assert headers["Subject"] == SUBJECT
        assert headers["Content-Type"].startswith("multipart/alternative")
        assert "=?utf-8?" in detail["raw"]  # the accented subject travelled RFC 2047-encoded

        page = client.get("/")
        assert page.status_code == 200 and SUBJECT in page.text
        assert f'href="/messages/{summary["id"]}"' in page.text
        message_page = client.get(f"/messages/{summary['id']}")
        assert message_page.status_code == 200
        assert "<iframe" in message_page.text and " sandbox " in message_page.text
        assert "&lt;strong&gt;Cartonnages Rhône&lt;/strong&gt;" in message_page.text  # escaped into srcdoc
        assert "Destinataires (enveloppe)" in message_page.text and BCC in message_page.text


def test_messages_survive_a_restart_and_are_listed_newest_first(tmp_path):
    store_dir = tmp_path / "mail"
    with running_sink(store_dir) as (smtp_port, client):
        send_mail(smtp_port, subject="Premier message")
    with running_sink(store_dir) as (smtp_port, client):
        assert [m["subject"] for m in client.get("/api/messages").json()] == ["Premier message"]
        send_mail(smtp_port, subject="Second message")
        assert [m["subject"] for m in client.get("/api/messages").json()] == ["Second message", "Premier message"]


def test_clear_deletes_every_message(tmp_path):
    with running_sink(tmp_path / "mail") as (smtp_port, client):
        send_mail(smtp_port)
        send_mail(smtp_port)
        assert client.delete("/api/messages").json() == {"deleted": 2}
        assert client.get("/api/messages").json() == []
        assert "Aucun message reçu pour l'instant." in client.get("/").text

        send_mail(smtp_port)
        forged = client.post("/clear", headers={"Sec-Fetch-Site": "cross-site"})  # another site's form (issue 18)
        assert forged.status_code == 403 and len(client.get("/api/messages").json()) == 1
        own = str(client.base_url).rstrip("/")
        for headers in (
            {"Origin": "https://attaquant.example"},
            {"Origin": "null"},  # a browser without Fetch metadata
            {"Origin": own.replace("127.0.0.1", "localhost")},  # another origin of this machine
            {"Sec-Fetch-Site": "same-site"},
            {"Sec-Fetch-Site": "same-origin", "Origin": "https://attaquant.example"},
        ):
            forged = client.post("/clear", headers=headers)
            assert forged.status_code == 403 and "Vidage refusé" in forged.text, headers
            assert len(client.get("/api/messages").json()) == 1
        response = client.post("/clear", headers={"Sec-Fetch-Site": "same-origin", "Origin": own})  # « Tout supprimer »
        assert response.status_code == 303 and response.headers["location"] == "/"
        assert client.get("/api/messages").json() == []


@pytest.mark.parametrize(
    "path",
    [
        "/messages/00000000000000000000-00000000000000000000000000000000",
        "/api/messages/00000000000000000000-00000000000000000000000000000000",
        "/messages/inconnu",
        "/messages/..%2F..%2Fetc%2Fpasswd",
        "/api/messages/..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_unknown_or_malicious_ids_are_404(tmp_path, path):
    with running_sink(tmp_path / "mail") as (_smtp_port, client):
        response = client.get(path)
        assert response.status_code == 404
        if not path.startswith("/api/"):
            assert "Message introuvable" in response.text


def test_store_rejects_ids_outside_its_pattern(tmp_path):
    store = MailStore(tmp_path / "mail")
    (tmp_path / "secret.eml").write_text("Subject: secret\n\nsecret\n")
    for bad_id in ["../secret", "../../etc/passwd", "secret", ""]:
        with pytest.raises(MessageNotFound):
            store.get(bad_id)


def wait_until_serving(base_url: str, process: subprocess.Popen) -> None:
    """Poll /healthz until the CLI answers, failing fast if it died."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        with contextlib.suppress(httpx.TransportError):
            if web.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    pytest.fail("the mailsink CLI did not start in time")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_runs_smtp_and_viewer_and_stops_cleanly(tmp_path, stop_signal):
    smtp_port, http_port = free_ports(2)
    command = [
        sys.executable,
        "-m",
        "shared.mailsink",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(smtp_port),
        "--http-port",
        str(http_port),
        "--store",
        str(tmp_path / "mail"),
    ]
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        base_url = f"http://127.0.0.1:{http_port}"
        wait_until_serving(base_url, process)
        send_mail(smtp_port)
        assert [m["subject"] for m in web.get(f"{base_url}/api/messages").json()] == [SUBJECT]
        assert len(list((tmp_path / "mail").glob("*.eml"))) == 1

        process.send_signal(stop_signal)
        _, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "Arrêté." in stderr
