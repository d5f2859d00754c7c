"""Email contents: French, both parts, each side anonymised."""

from __future__ import annotations

from datetime import date

from notifications.messages import app_link, listing_expiring_context, match_proposed_contexts, render

from shared.events import ListingExpiring, MatchParty, MatchProposed

EVENT = MatchProposed(match_id="m-1", score=0.82, distance_km=4.2, explanation="Même ressource.", parties=[
    MatchParty(organisation_id="a", listing_id="la", kind="offer", title="Chutes de carton <ondulé>",
               commune="Nuits-Saint-Georges", quantity_text="environ 2 t par mois"),
    MatchParty(organisation_id="b", listing_id="lb", kind="need", title="Carton de calage", commune="Beaune",
               quantity_text="environ 1 t par mois"),
])


def test_each_side_sees_its_own_listing_and_the_other_anonymised() -> None:
    contexts = match_proposed_contexts(EVENT)
    supplier = render("match_proposed", contexts["a"], recipient_name="Cartonnerie Dupont",
                      public_url="https://boucle.example/")
    assert supplier.subject == "Nouvelle piste de synergie pour « Chutes de carton <ondulé> »"
    assert "Bonjour Cartonnerie Dupont" in supplier.text
    assert "Une demande : « Carton de calage »" in supplier.text
    assert "Beaune, à 4,2 km de chez vous" in supplier.text
    assert "https://boucle.example/matches/m-1" in supplier.text and "82 %" in supplier.text
    assert "&lt;ondulé&gt;" in supplier.html and "<ondulé>" not in supplier.html  # autoescaped

    buyer = render("match_proposed", contexts["b"], recipient_name="Emballages Martin",
                   public_url="https://boucle.example")
    assert "Une offre : « Chutes de carton <ondulé> »" in buyer.text
    assert "environ 2 t par mois" in buyer.text
    assert "environ 1 t par mois" not in buyer.text


def test_expiry_reminder_reads_in_french_with_the_signed_link() -> None:
    event = ListingExpiring(listing_id="l-1", organisation_id="a", revision=3, title="Palettes <EUR>", kind="offer",
                            expires_at=date(2026, 12, 7))
    context = listing_expiring_context(event)
    link = "https://boucle.example/liens/annonce/jeton-signé"
    message = render("listing_expiring", context, recipient_name="Menuiserie Blanc",
                     public_url="https://boucle.example", links={"listing:l-1": link})
    assert message.subject == "Votre annonce « Palettes <EUR> » expire le 07/12/2026"
    assert "Bonjour Menuiserie Blanc" in message.text
    assert "Votre offre « Palettes <EUR> » expire le 07/12/2026." in message.text
    assert f"Renouveler ou clôturer (sans mot de passe) : {link}" in message.text
    assert f'href="{link}"' in message.html and "&lt;EUR&gt;" in message.html
    assert app_link("listing_expiring", context) == "/listings/l-1"

    digest = render("digest", {"count": 1, "plural": "", "items": [
        {"subject": message.subject, "summary": "…", "match_id": "", "listing_id": "l-1", "link": "/listings/l-1"},
        {"subject": "Nouvelle piste", "summary": "…", "match_id": "m-1"}]},  # queued before listing links existed
        recipient_name="Menuiserie Blanc", public_url="https://boucle.example", links={"listing:l-1": link})
    assert link in digest.text and "https://boucle.example/matches/m-1" in digest.text
