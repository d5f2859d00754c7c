"""Browser test of the mailbox viewer: list, open a message, read its HTML and text parts."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest
from playwright.sync_api import expect

from shared.devstack import free_port
from shared.mailsink import MailSink, MailStore, create_viewer_app
from tests.conftest import served

SUBJECT = "Nouvelle piste de synergie : chutes de carton"
TEXT_BODY = "Bonjour Élodie,\n\nCartonnages Rhône propose 3 t/mois de chutes de carton, à 12 km de chez vous.\n"
HTML_BODY = (
    "<h2 style='color:#2f7d4f'>Nouvelle piste de synergie</h2>"
    "<p>Bonjour Élodie,</p><p><strong>Cartonnages Rhône</strong> propose 3 t/mois de chutes de carton.</p>"
    "<script>document.body.innerHTML = 'script exécuté';</script>"
)
SCREENSHOT = "/tmp/mailsink.png"


@pytest.fixture
def mailbox_url(tmp_path):
    """Run the SMTP sink and the viewer on free ports, deliver one message, yield the viewer URL."""
    store = MailStore(tmp_path / "mail")
    sink = MailSink(store, "127.0.0.1", free_port())
    sink.start()
    message = EmailMessage()
    message["From"] = "Boucle <notifications@boucle.test>"
    message["To"] = "Élodie Martin <elodie.martin@recyclerie.test>"
    message["Subject"] = SUBJECT
    message.set_content(TEXT_BODY)
    message.add_alternative(HTML_BODY, subtype="html")
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as smtp:
        smtp.send_message(message)
    try:
        with served(create_viewer_app(store)) as url:
            yield url
    finally:
        sink.stop()


def test_open_a_message_and_read_both_parts(browser_page, mailbox_url):
    page = browser_page
    page.goto(mailbox_url)
    expect(page.get_by_role("heading", name="Messages reçus")).to_be_visible()
    page.get_by_role("link", name=SUBJECT).click()

    expect(page.get_by_role("heading", name=SUBJECT)).to_be_visible()
    html_part = page.frame_locator("iframe[title='Version HTML du message']")
    expect(html_part.get_by_role("heading", name="Nouvelle piste de synergie")).to_be_visible()
    expect(html_part.locator("strong")).to_have_text("Cartonnages Rhône")
    expect(html_part.get_by_text("script exécuté")).to_have_count(0)  # sandbox: no scripts
    expect(page.locator("pre.text-part")).to_contain_text("à 12 km de chez vous")
    page.screenshot(path=SCREENSHOT, full_page=True)


def test_clear_all_empties_the_list(browser_page, mailbox_url):
    page = browser_page
    page.goto(mailbox_url)
    page.get_by_role("button", name="Tout supprimer").click()
    expect(page.get_by_text("Aucun message reçu pour l'instant.")).to_be_visible()
