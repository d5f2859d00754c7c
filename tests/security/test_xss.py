"""XSS and formula payloads in every text field stay inert in emails, pages and exports (issue 6, item 6).

One scenario per stack: organisation names, a listing's title and description, a territory's name, piste
resources and notes, a stage note and a flow note all carry `<script>`, `<img onerror>`, `javascript:`
or spreadsheet-formula payloads; they travel to the alerts and stage emails, the answer page
(/liens/reponse), the listing page (/liens/annonce), the unsubscribe page, the animateur's dashboard,
its printable report, its PDF and its CSV. Each page and each email's HTML part is opened in Debian's
chromium: no dialog, no injected element or handler; the payloads show as text.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from shared.devstack import Stack
from shared.links import LinkSigner
from tests import web
from tests.conftest import wait_until
from tests.e2e.test_synergies import CARDBOARD_FLOW, insee
from tests.security.support import Org, declare_territory, match_between, messages_to, publish, register, secret_key

# Escaping is the templates' and the exports' work, the same whatever the database: on PostgreSQL only.
pytestmark = pytest.mark.parametrize("own_stack", ["postgresql"], indirect=True)


@pytest.fixture(scope="module")
def stack(own_stack: Stack) -> Stack:
    """A stack of this module's own: its checks read every email and page its world gives rise to."""
    return own_stack


SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
FORMULAS = (
    '=HYPERLINK("http://evil.example","clic")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
)
RAW = (SCRIPT, IMG[2:])  # what must never reach a page or an email's HTML unescaped
HANDLER_IN_TAG = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)  # an event handler inside a tag


@dataclass
class XssWorld:
    a: Org
    c: Org
    d: Org
    listing: str
    dashboard: str


@pytest.fixture(scope="module")
def xss(stack: Stack) -> XssWorld:
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        d = register(client, f"Collectivité {SCRIPT}", "Beaune", "animation@xss-d.example", kind="public_body")
        territory = declare_territory(
            stack, client, d, f"Territoire {IMG}", [insee("Beaune"), insee("Nuits-Saint-Georges")]
        )
        a = register(client, f"Alpha {IMG}", "Nuits-Saint-Georges", "alpha@xss-a.example")
        c = register(client, f"{FORMULAS[0]} Gamma {SCRIPT}", "Beaune", "gamma@xss-c.example")
        listing = publish(
            client,
            a,
            kind="offer",
            title=f"{SCRIPT} Chutes de carton ondulé",
            category="carton",
            description=f"{IMG} {JS_URL}",
            quantity={"value": 2, "unit": "t"},
            frequency="monthly",
        )
        need = publish(
            client, c, kind="need", title=f"{JS_URL} Carton pour calage", category="Cartons", description=SCRIPT
        )
        match = match_between(client, c, need)
        wait_until(lambda: messages_to(stack, c.email), timeout=30)  # C's alert, with its answer link
        for side in (a, c):
            assert client.post(f"/api/v1/matches/{match}/accept", headers=side.headers).status_code == 200
        synergy = wait_until(lambda: client.get("/api/v1/synergies", headers=c.headers).json(), timeout=20)[0]  # type: ignore[index]
        moved = client.post(
            f"/api/v1/synergies/{synergy['id']}/stage",
            headers=d.headers,
            json={"stage": "contractualised", "note": f"{SCRIPT} {IMG}", "flow": {**CARDBOARD_FLOW, "note": IMG}},
        )
        assert moved.status_code == 200, moved.text
        for formula in FORMULAS:
            piste = client.post(
                "/api/v1/synergies",
                headers=d.headers,
                json={"synergy_type": "mutualisation", "resource": formula, "parties": [c.id, a.id], "notes": IMG},
            )
            assert piste.status_code == 201, piste.text
        link = client.post(f"/api/v1/territories/{territory}/dashboard-link", headers=d.headers)
        assert link.status_code == 200, link.text
        # Every email is out once the animateur's weekly summary and A's stage email have arrived.
        wait_until(lambda: any("votre semaine" in m["subject"] for m in messages_to(stack, d.email)), timeout=30)
        wait_until(lambda: any(m["subject"].startswith("Synergie") for m in messages_to(stack, a.email)), timeout=30)
    return XssWorld(a=a, c=c, d=d, listing=listing, dashboard=httpx.URL(link.json()["url"]).raw_path.decode())


def pages(stack: Stack, world: XssWorld) -> dict[str, str]:
    """Every page that shows the payloads: name → URL through the gateway."""
    signer, gateway = LinkSigner(secret_key(stack)), stack.url("gateway")
    [alert] = [m for m in messages_to(stack, world.c.email) if m["subject"].startswith("Nouvelle piste")]
    [respond] = set(re.findall(r"https?://[^\s\"<>]+/liens/reponse/[\w.\-]+", alert["text"]))
    unsubscribe = signer.sign("unsubscribe", o=world.a.id, k={"match_proposed": 0})  # A's alerts, never changed
    return {
        "matching /liens/reponse (C answers A's offer)": respond,
        "offers /liens/annonce (A's listing)": f"{gateway}/liens/annonce/"
        f"{signer.sign('listing-renewal', l=world.listing, o=world.a.id)}",
        "notifications /liens/desabonnement (A)": f"{gateway}/liens/desabonnement/{unsubscribe}",
        "reporting /liens/tableau (dashboard)": f"{gateway}{world.dashboard}",
        "reporting /liens/tableau/…/rapport (printable report)": f"{gateway}{world.dashboard}/rapport",
    }


def assert_escaped(html: str, where: str) -> None:
    for raw in RAW:
        assert raw not in html, f"{where}: « {raw} » unescaped"
    assert not HANDLER_IN_TAG.search(html), f"{where}: an event handler in a tag"
    assert not re.search(r"""(href|src|action|formaction)\s*=\s*["']?\s*javascript:""", html, re.I), where
    assert "&lt;script&gt;" in html or "&lt;img" in html or "&#34;&gt;&lt;img" in html, f"{where}: no payload shown"


INSPECT = """() => ({
  injected: document.querySelectorAll('img[src="x"], script:not([src]):not([type])').length,
  handlers: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on')))
             .length,
  jsLinks: document.querySelectorAll('a[href^="javascript:" i], [src^="javascript:" i]').length,
  text: document.body.innerText,
})"""


def open_inert(browser: Any, *, url: str | None = None, html: str | None = None) -> dict[str, Any]:
    """Load a page (or an email's HTML) in chromium; what it ran and what it shows."""
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        if url is not None:
            answer = page.goto(url, wait_until="load")
            assert answer is not None and answer.status == 200, (url, answer and answer.status)
        else:
            page.set_content(html or "", wait_until="load")
        page.wait_for_timeout(300)  # an onerror fires once the broken image fails: let it
        seen = page.evaluate(INSPECT)
        for link in page.query_selector_all("a"):
            box = link.bounding_box()
            if box is not None and box["x"] + box["width"] > 0:  # the skip link waits off-screen for the keyboard
                link.hover()
        return {**seen, "dialogs": dialogs}
    finally:
        context.close()


def test_pages_show_the_payloads_as_text_and_run_nothing(stack: Stack, xss: XssWorld, chromium_browser: Any) -> None:
    print("\nPages with payloads in every text field")
    for name, url in pages(stack, xss).items():
        html = web.get(url, timeout=30).text
        assert_escaped(html, name)
        seen = open_inert(chromium_browser, url=url)
        print(f"  {name:55} dialogs={len(seen['dialogs'])} injected={seen['injected']} handlers={seen['handlers']}")
        assert seen["dialogs"] == [] and seen["injected"] == 0 and seen["handlers"] == 0, (name, seen)
        assert seen["jsLinks"] == 0, name
        assert "alert(1)" in seen["text"], f"{name}: the payload should read as text"


def test_emails_escape_the_payloads_in_their_html_part(stack: Stack, xss: XssWorld, chromium_browser: Any) -> None:
    messages = [m for org in (xss.a, xss.c, xss.d) for m in messages_to(stack, org.email)]
    kinds = {m["subject"].split(" ")[0] for m in messages}
    assert len(messages) >= 6 and {"Nouvelle", "Synergie", "Mise"} <= kinds, kinds
    print(f"\nEmails with payloads ({len(messages)})")
    for message in messages:
        where = f"email to {message['to']}: {message['subject'][:60]}"
        assert message["html"], where
        for raw in RAW:
            assert raw not in message["html"], f"{where}: « {raw} » unescaped in the HTML part"
        assert not HANDLER_IN_TAG.search(message["html"]), f"{where}: an event handler in a tag"
        assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", message["html"], re.I), where
        seen = open_inert(chromium_browser, html=message["html"])
        print(f"  {where:90} dialogs={len(seen['dialogs'])} injected={seen['injected']}")
        assert seen["dialogs"] == [] and seen["injected"] == 0 and seen["handlers"] == 0, (where, seen)
    assert any(SCRIPT in m["text"] or IMG in m["text"] for m in messages)  # the text part keeps them as written


def test_csv_neutralises_formulas_and_pdf_holds_no_script(stack: Stack, xss: XssWorld) -> None:
    gateway = stack.url("gateway")
    exported = web.get(f"{gateway}{xss.dashboard}/export.csv", timeout=30)
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    text_columns = range(5)  # Synergie, Type, Étape, Parties, Ouverte le; the rest are numbers
    cells = [row[i] for row in rows[1:] for i in text_columns]
    dangerous = [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    print(f"\nCSV: {len(rows) - 1} rows, {len(cells)} text cells; starting with = + - @: {dangerous}")
    assert not dangerous
    for formula in FORMULAS:
        assert f"'{formula}" in cells, f"{formula} should be exported as text, behind a quote"
    assert any(cell.startswith(f"'{FORMULAS[0]} Gamma") for cell in cells)  # C's name leads the parties

    pdf = web.get(f"{gateway}{xss.dashboard}/rapport.pdf", timeout=60)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf.content))
    assert "/JavaScript" not in reader.trailer["/Root"] and "/OpenAction" not in reader.trailer["/Root"]
    uris = [
        str(a.get_object().get("/A", {}).get("/URI", "")) for page in reader.pages for a in page.get("/Annots") or []
    ]
    assert not [u for u in uris if u.lower().startswith("javascript:")], uris
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    assert "onerror=alert(1)" in text  # printed as text
