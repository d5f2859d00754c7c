"""The animateur brings in the territory's diagnostics and runs a workshop, in headless Chromium (issue 17).

The example file of the Bertranges (shared/data/diagnostics_bertranges.csv, 31 organisations): the template
downloaded, a broken copy previewed with each error under its cell and nothing imported, the file imported, the
same file again changing nothing; an invited company confirms from its emailed link, another refuses.

On the run's shared stack, after the demo (tests/conftest.py): the demo animates the Bertranges and counts their
actors, which a company confirming here would change.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import httpx
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import text

from shared.db import make_engine
from shared.demo import PASSWORD, load
from shared.devstack import Stack
from tests.browser.portal import PHONE, Console, shot
from tests.conftest import account_link, appoint, signed_up, wait_until


def copies_of(stack: Stack, name: str, email: str) -> tuple[int, int]:
    """How many contacts notifications keeps at `email`, and organisations reporting knows by `name`."""
    found = []
    for service, sql, value in (
        ("notifications", "SELECT count(*) FROM contact WHERE email = :v", email),
        ("reporting", "SELECT count(*) FROM known_organisation WHERE name = :v", name),
    ):
        engine = make_engine(stack.env[f"{service.upper()}_DATABASE_URL"])
        try:
            with engine.connect() as connection:
                found.append(int(connection.execute(text(sql), {"v": value}).scalar() or 0))
        finally:
            engine.dispose()
    return found[0], found[1]


EXAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "diagnostics_bertranges.csv"


def test_the_animateur_imports_the_territorys_diagnostics(
    portal: Stack, new_visitor: Callable[..., Page], console: Console, tmp_path: Path
) -> None:
    """Issue 17, points 1 and 2: the template downloaded, a broken file previewed with each error under its cell and
    nothing imported, the corrected file imported (31 organisations of the Bertranges), the same file again changing
    nothing; an invited company confirms from its emailed link (its flows go online), another refuses (it is gone).
    No territory is declared here: the demo animates the Bertranges."""
    gateway = portal.url("gateway")
    email = f"animation-{time.monotonic_ns()}@bertranges-diagnostics.example"
    with httpx.Client(base_url=gateway, timeout=30) as client:
        session = signed_up(
            portal,
            client,
            {
                "name": "Syndicat mixte des diagnostics",
                "kind": "public_body",
                "commune": "La Charité-sur-Loire",
                "contact_email": email,
            },
            "Claire Diagnostic",
            email,
        )
    appoint(portal, email)
    page = new_visitor()
    page.context.add_cookies([{"name": "boucle_session", "url": gateway, "value": session}])
    page.goto(gateway + "/animation/diagnostics")
    expect(page.get_by_role("heading", level=1)).to_have_text("Importer des diagnostics")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le modèle Excel (.xlsx)").click()
    assert Path(download.value.path()).read_bytes()[:2] == b"PK"
    assert download.value.suggested_filename == "modele-diagnostics-boucle.xlsx"

    example = EXAMPLE.read_text(encoding="utf-8-sig")
    broken = tmp_path / "diagnostics-a-corriger.csv"
    broken.write_text(
        example.replace(";Prémery;", ";Prémerie;", 1).replace("90000001000018", "90000001000019", 1), encoding="utf-8"
    )
    page.get_by_label("Fichier des diagnostics", exact=True).set_input_files(broken)
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.get_by_role("alert")).to_contain_text("2 erreurs : rien ne sera importé")
    wrong = page.get_by_role("table", name=re.compile("^Les lignes à corriger")).locator("td.cell-error")
    expect(wrong).to_have_count(2)
    expect(wrong.filter(has_text="Prémerie")).to_contain_text("Vouliez-vous dire : Prémery (58700)")
    expect(wrong.filter(has_text="90000001000019")).to_contain_text("clé de contrôle")
    expect(page.get_by_role("button", name=re.compile("^Importer"))).to_have_count(0)
    shot(page, "diagnostics-erreurs")
    serious = [v["id"] for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "telephone-diagnostics-erreurs")
    page.set_viewport_size({"width": 1280, "height": 900})

    right = tmp_path / "diagnostics-bertranges.csv"
    right.write_text(example, encoding="utf-8")
    for imported_before in (False, True):
        page.get_by_label("Fichier des diagnostics", exact=True).set_input_files(right)
        page.get_by_role("button", name="Voir l'aperçu").click()
        expect(page.get_by_role("status")).to_have_text(
            "31 organisations et 67 flux, aucune erreur. Rien n'est encore écrit."
        )
        shot(page, "diagnostics-apercu")
        page.get_by_role("button", name="Importer 31 organisations et 67 flux").click()
        done = page.get_by_role("status")
        if imported_before:  # the same file again: found again, nothing duplicated
            expect(done).to_contain_text("0 organisation créée, 0 mise à jour ; 0 flux créé, 0 mis à jour ; 98 déjà")
        else:  # nothing came from the broken file
            expect(done).to_contain_text("31 organisations créées, 0 mise à jour ; 67 flux créés, 0 mis à jour")
            expect(done).to_contain_text("31 contacts invités par email")
            shot(page, "diagnostics-importes")
    imported = page.get_by_role("table", name=re.compile("^Organisations importées"))
    expect(imported.get_by_role("row", name=re.compile("Scierie du Val de Nièvre"))).to_contain_text(
        "invitée, sans réponse"
    )

    # The sawmill's boss opens the invitation: its flows, nothing shown to anyone yet; confirms.
    invited = new_visitor()
    invited.goto(account_link(portal, "scierie@diagnostic.boucle.example"))
    expect(invited.get_by_role("heading", level=1)).to_have_text("Le bilan de flux de votre organisation")
    expect(invited.locator("main")).to_contain_text(
        "Vous avez en trop : Sciure de bois brut (chêne, douglas), 40 t par mois"
    )
    assert [v["id"] for v in Axe().run(invited).response["violations"] if v["impact"] in ("serious", "critical")] == []
    shot(invited, "diagnostic-invitation")
    invited.set_viewport_size(PHONE)
    assert invited.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(invited, "telephone-diagnostic-invitation")
    invited.get_by_role("button", name="Confirmer et ouvrir mon espace").click()
    expect(invited).to_have_url(re.compile(r"/espace$"))
    invited.goto(gateway + "/annonces")
    card = invited.locator(".card", has_text="Sciure de bois brut (chêne, douglas)")
    expect(card).to_contain_text("En ligne")

    # The garage refuses: it is deleted, and the services that knew it unconfirmed forget it (organisation.erased).
    garage = ("Garage de Giry", "garage-giry@diagnostic.boucle.example")
    wait_until(lambda: copies_of(portal, *garage) == (1, 1), timeout=20)
    refusing = new_visitor()
    refusing.goto(account_link(portal, garage[1]))
    refusing.get_by_role("button", name="Refuser et supprimer nos données").click()
    expect(refusing.locator("main")).to_contain_text("Garage de Giry, ses flux et son contact sont supprimés")
    wait_until(lambda: copies_of(portal, *garage) == (0, 0), timeout=20)

    page.goto(gateway + "/animation/diagnostics")
    expect(imported.get_by_role("row")).to_have_count(31)  # the header and 30 organisations
    expect(imported.get_by_role("row", name=re.compile("Scierie du Val de Nièvre"))).to_contain_text("a confirmé")
    expect(imported).not_to_contain_text("Garage de Giry")

    # Two years on (the diagnostic's date moved back), the animateur asks for a review in one action.
    engine = make_engine(portal.env["OFFERS_DATABASE_URL"])
    try:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE organisation SET diagnosed_on = :day WHERE name = :name"),
                {"day": date.today() - timedelta(days=730), "name": "Scierie du Val de Nièvre"},
            )
    finally:
        engine.dispose()
    page.goto(gateway + "/animation/diagnostics")
    expect(imported.get_by_role("row", name=re.compile("Scierie du Val de Nièvre"))).to_contain_text("à actualiser")
    page.get_by_role("button", name="Demander la mise à jour des 1 diagnostic de plus d'un an").click()
    expect(page.get_by_role("status")).to_contain_text("Demande envoyée à 1 organisation : Scierie du Val de Nièvre")
    shot(page, "diagnostics-revue-demandee")
    reviewing = new_visitor()
    reviewing.goto(account_link(portal, "scierie@diagnostic.boucle.example"))
    reviewing.get_by_role("button", name="Voir mes flux").click()
    expect(reviewing).to_have_url(re.compile(r"/annonces\?avis=revue$"))
    expect(reviewing.get_by_role("status")).to_contain_text("renouvelez ce qui est toujours d'actualité")
    assert console.unexpected() == []


def test_the_animateur_runs_a_workshop_of_the_territorys_actors(
    portal: Stack, new_visitor: Callable[..., Page], console: Console
) -> None:
    """Issue 17, points 2 and 4: the demo's animateur sees the pistes held for the organisations still invited, then
    prepares a workshop of the Bertranges' actors (the sawmill confirmed above among them), projects the pistes among
    them on the map, keeps one with a note, merges two, and downloads the summary for the participants; nothing
    private is projected."""
    load(portal)  # the Bertranges and their animateur (already there when the demo's file ran first)
    gateway = portal.url("gateway")
    with httpx.Client(base_url=gateway, timeout=30) as client:
        answer = client.post("/api/v1/session", json={"email": "animation@demo.boucle.example", "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        session = answer.cookies["boucle_session"]
    page = new_visitor()
    page.context.add_cookies([{"name": "boucle_session", "url": gateway, "value": session}])
    # The pistes found for the organisations still invited are the animateur's alone, on the diagnostics page.
    page.goto(gateway + "/animation/diagnostics")
    held = page.get_by_role("region", name=re.compile("^Pistes en attente de confirmation"))
    expect(held.locator("li.piste").first).to_be_visible()
    expect(held).to_contain_text("vous seul les voyez")
    page.goto(gateway + "/animation")
    page.get_by_role("link", name="Ateliers de partage des ressources").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ateliers de partage des ressources")
    participants = page.get_by_role("group", name=re.compile("^Participants"))
    # The demo's sawmill, and the one of the diagnostics example confirmed above (the example copies the demo's names).
    sawmills = participants.get_by_label(re.compile("^Scierie du Val de Nièvre"))
    expect(sawmills).to_have_count(2)
    for index in (0, 1):
        expect(sawmills.nth(index)).to_be_checked()
    ticked = participants.get_by_role("checkbox").count()
    assert ticked >= 30  # every actor of the territory, ready to take part
    page.get_by_label("Titre de l'atelier").fill("Atelier ressources des Bertranges")
    page.get_by_label("Lieu").fill("Salle polyvalente, La Charité-sur-Loire")
    page.get_by_role("button", name="Préparer l'atelier").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Atelier ressources des Bertranges")
    expect(page.get_by_role("status")).to_contain_text("L'atelier est prêt")
    expect(page.locator("svg.map .marker")).to_have_count(ticked)
    expect(page.locator("svg.map desc")).to_contain_text("Scierie du Val de Nièvre")
    pistes = page.locator("li.piste")
    wait_until(lambda: pistes.count() >= 3, timeout=20)
    undecided = page.locator("li.piste", has=page.get_by_role("button", name="Retenir"))
    assert undecided.count() >= 3
    expect(page.get_by_role("heading", name="Leurs ressources, par famille")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("@")  # no contact is projected
    serious = [v["id"] for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
    shot(page, "atelier-projete")

    first = undecided.first
    kept_id = first.get_attribute("id")
    first.get_by_label("Note de l'atelier").fill("Visite du site en janvier")
    first.get_by_role("button", name="Retenir").click()
    expect(page.get_by_role("status")).to_contain_text("Piste retenue")
    kept = page.locator(f"li#{kept_id}")
    expect(kept).to_contain_text("retenue")
    expect(kept).to_contain_text("Note : Visite du site en janvier")
    expect(kept.get_by_role("button", name="Retenir")).to_have_count(0)

    for index in (0, 1):
        undecided.nth(index).get_by_label("à fusionner").check()
    page.get_by_role("button", name="Fusionner les pistes cochées en une seule").click()
    expect(page.get_by_role("status")).to_contain_text("Pistes fusionnées en une seule")
    expect(page.locator("li.piste .badge", has_text="fusionnée")).to_have_count(2)
    shot(page, "atelier-choix")

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger la synthèse (PDF)").click()
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "telephone-atelier")
    page.goto(gateway + "/animation/ateliers")
    expect(page.get_by_role("link", name="Atelier ressources des Bertranges")).to_be_visible()
    assert console.unexpected() == []
