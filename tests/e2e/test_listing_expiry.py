"""The reminder before a listing expires, through the running services and real SMTP: one email
to the owner, renewal from its signed link, no second reminder after a restart, and links that
cannot be tampered with or turned on another organisation's listing."""

from __future__ import annotations

import html
from datetime import date, timedelta

import httpx

from shared.devstack import Stack
from shared.links import LinkSigner
from tests import web
from tests.conftest import TEST_STACK_ENV, wait_until
from tests.e2e.test_notifications import link, messages_to, post, register

REMINDER = "Votre annonce « "


def listing(client: httpx.Client, org: dict[str, str], listing_id: str) -> dict:
    return client.get(f"/api/v1/listings/{listing_id}", headers={"Authorization": org["auth"]}).json()


def organisation_id(client: httpx.Client, org: dict[str, str]) -> str:
    return client.get("/api/v1/organisations/me", headers={"Authorization": org["auth"]}).json()["id"]


def test_owner_is_reminded_once_and_renews_from_the_email(stack: Stack) -> None:
    soon = date.today() + timedelta(days=5)
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        owner = register(client, "Menuiserie Blanc", "Vesoul", "70000")
        listing_id = post(
            client,
            owner,
            kind="offer",
            title="Palettes bois EUR",
            expires_at=str(soon),
            quantity={"value": 40, "unit": "pallet"},
        )

        [reminder] = wait_until(lambda: messages_to(stack, owner, REMINDER), timeout=20)
        assert reminder["subject"] == f"Votre annonce « Palettes bois EUR » expire le {soon:%d/%m/%Y}"
        assert "Bonjour Menuiserie Blanc" in reminder["text"]
        assert f"Votre offre « Palettes bois EUR » expire le {soon:%d/%m/%Y}." in reminder["text"]
        renew = link(reminder, "annonce")
        assert renew.startswith(stack.url("gateway"))
        assert f'href="{renew}"' in reminder["html"] and "Renouveler ou clôturer" in reminder["html"]

        [note] = client.get("/api/v1/notifications", headers={"Authorization": owner["auth"]}).json()
        assert note["kind"] == "listing_expiring" and note["title"] == reminder["subject"]
        assert note["link"] == f"/annonces#a-{listing_id}"  # the portal page, at its card

        page = web.get(renew)  # a GET only shows: mail scanners follow links
        assert page.status_code == 200 and "Renouveler pour 6 mois" in page.text
        assert "Clôturer l'annonce" in page.text and "« Palettes bois EUR »" in page.text
        assert listing(client, owner, listing_id)["expires_at"] == str(soon)

        # Offers restarts; its worker runs again and reminds of a second listing, not the first again.
        stack.stop_process("offers")
        stack.start_service("offers")
        stack.wait_healthy(("offers",))
        post(client, owner, kind="need", title="Sciure pour litière", expires_at=str(soon - timedelta(days=2)))
        wait_until(lambda: messages_to(stack, owner, "Votre annonce « Sciure"), timeout=20)
        assert len(messages_to(stack, owner, "Votre annonce « Palettes")) == 1
        # (its need may meet another file's sawdust on the shared stack: a match notification is no reminder)
        notes = client.get("/api/v1/notifications", headers={"Authorization": owner["auth"]}).json()
        assert sorted(n["title"] for n in notes if n["kind"] == "listing_expiring") == [
            f"Votre annonce « Palettes bois EUR » expire le {soon:%d/%m/%Y}",
            f"Votre annonce « Sciure pour litière » expire le {soon - timedelta(days=2):%d/%m/%Y}",
        ]

        done = web.post(renew, data={"action": "renew"})
        renewed_until = date.today() + timedelta(days=182)
        assert done.status_code == 200
        assert f"votre annonce est en ligne jusqu'au {renewed_until:%d/%m/%Y}" in html.unescape(done.text)
        after = listing(client, owner, listing_id)
        assert after["expires_at"] == str(renewed_until)
        assert after["status"] == "active" and after["revision"] == 2


def test_tampered_or_foreign_listing_links_are_refused(stack: Stack) -> None:
    soon = date.today() + timedelta(days=5)
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        a = register(client, "Scierie Roux", "Lure", "70200")
        b = register(client, "Ferme Morel", "Lure", "70200")
        theirs = post(client, b, kind="offer", title="Fumier de bovins", expires_at=str(soon))
        [reminder] = wait_until(lambda: messages_to(stack, b, REMINDER), timeout=20)
        genuine = link(reminder, "annonce")

        tampered = genuine[:-4] + ("AAAA" if not genuine.endswith("AAAA") else "BBBB")
        for answer in (
            web.get(tampered),
            web.post(tampered, data={"action": "close"}),
            client.get("/liens/annonce/pas-un-jeton"),
        ):
            assert answer.status_code == 400 and "Lien invalide" in answer.text
        # Signed with the platform's key, but for A: it cannot act on B's listing.
        signer = LinkSigner(TEST_STACK_ENV["BOUCLE_SECRET_KEY"])
        foreign = signer.sign("listing-renewal", l=theirs, o=organisation_id(client, a))
        refused = client.post(f"/liens/annonce/{foreign}", data={"action": "close"})
        assert refused.status_code == 404 and "Annonce introuvable" in refused.text
        assert listing(client, b, theirs)["status"] == "active"

        closed = web.post(genuine, data={"action": "close"})  # B's own link works
        assert closed.status_code == 200 and "votre annonce est clôturée" in html.unescape(closed.text)
        assert listing(client, b, theirs)["status"] == "withdrawn"
