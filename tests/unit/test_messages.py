"""Email contents: French, both parts, each side anonymised."""

from __future__ import annotations

from datetime import date

from notifications.messages import (
    app_link,
    listing_expiring_context,
    match_proposed_contexts,
    render,
    synergy_stage_context,
    weekly_summary_context,
)

from shared.events import (
    ListingExpiring,
    MatchParty,
    MatchProposed,
    SummaryMove,
    SynergyMoved,
    TerritoryWeeklySummary,
)

EVENT = MatchProposed(
    match_id="m-1",
    score=0.82,
    distance_km=4.2,
    explanation="Même ressource.",
    parties=[
        MatchParty(
            organisation_id="a",
            listing_id="la",
            kind="offer",
            title="Chutes de carton <ondulé>",
            commune="Nuits-Saint-Georges",
            quantity_text="environ 2 t par mois",
        ),
        MatchParty(
            organisation_id="b",
            listing_id="lb",
            kind="need",
            title="Carton de calage",
            commune="Beaune",
            quantity_text="environ 1 t par mois",
        ),
    ],
)


def test_each_side_sees_its_own_listing_and_the_other_anonymised() -> None:
    contexts = match_proposed_contexts(EVENT)
    supplier = render(
        "match_proposed", contexts["a"], recipient_name="Cartonnerie Dupont", public_url="https://boucle.example/"
    )
    assert supplier.subject == "Nouvelle piste de synergie pour « Chutes de carton <ondulé> »"
    assert "Bonjour Cartonnerie Dupont" in supplier.text
    assert "Une demande : « Carton de calage »" in supplier.text
    assert "Beaune, à 4,2 km de chez vous" in supplier.text
    assert "https://boucle.example/mises-en-relation#m-m-1" in supplier.text and "82 %" in supplier.text
    assert "&lt;ondulé&gt;" in supplier.html and "<ondulé>" not in supplier.html  # autoescaped

    buyer = render(
        "match_proposed", contexts["b"], recipient_name="Emballages Martin", public_url="https://boucle.example"
    )
    assert "Une offre : « Chutes de carton <ondulé> »" in buyer.text
    assert "environ 2 t par mois" in buyer.text
    assert "environ 1 t par mois" not in buyer.text


def test_expiry_reminder_reads_in_french_with_the_signed_link() -> None:
    event = ListingExpiring(
        listing_id="l-1",
        organisation_id="a",
        revision=3,
        title="Palettes <EUR>",
        kind="offer",
        expires_at=date(2026, 12, 7),
    )
    context = listing_expiring_context(event)
    link = "https://boucle.example/liens/annonce/jeton-signé"
    message = render(
        "listing_expiring",
        context,
        recipient_name="Menuiserie Blanc",
        public_url="https://boucle.example",
        links={"listing:l-1": link},
    )
    assert message.subject == "Votre annonce « Palettes <EUR> » expire le 07/12/2026"
    assert "Bonjour Menuiserie Blanc" in message.text
    assert "Votre offre « Palettes <EUR> » expire le 07/12/2026." in message.text
    assert f"Renouveler ou clôturer (sans mot de passe) : {link}" in message.text
    assert f'href="{link}"' in message.html and "&lt;EUR&gt;" in message.html
    assert app_link("listing_expiring", context) == "/annonces#a-l-1"

    digest = render(
        "digest",
        {
            "count": 1,
            "plural": "",
            "items": [
                {
                    "subject": message.subject,
                    "summary": "…",
                    "match_id": "",
                    "listing_id": "l-1",
                    "link": "/annonces#a-l-1",
                },
                {"subject": "Nouvelle piste", "summary": "…", "match_id": "m-1"},
            ],
        },  # queued before listing links existed
        recipient_name="Menuiserie Blanc",
        public_url="https://boucle.example",
        links={"listing:l-1": link},
    )
    assert link in digest.text and "https://boucle.example/mises-en-relation#m-m-1" in digest.text


def test_synergy_abandon_says_who_and_why() -> None:
    event = SynergyMoved(
        synergy_id="s-1",
        from_stage="studied",
        to_stage="abandoned",
        reason="logistic",
        note="Trop loin <vraiment>",
        actor_organisation_id="a",
        actor_name="Ferme des Combes",
        parties=["a", "b"],
        resource="Broyat vert",
        animateurs=["cc"],
    )
    message = render(
        "synergy_stage",
        synergy_stage_context(event),
        recipient_name="CC de la Côte",
        public_url="https://boucle.example",
    )
    assert message.subject == "Synergie « Broyat vert » : abandonnée"
    assert "de l'étape « à l'étude » à « abandonnée » (Ferme des Combes)" in message.text
    assert "Raison de l'abandon : logistique." in message.text
    assert "&lt;vraiment&gt;" in message.html and "<vraiment>" not in message.html
    assert "https://boucle.example/synergies#s-s-1" in message.text


def test_weekly_summary_lists_the_week_of_the_territory() -> None:
    event = TerritoryWeeklySummary(
        territory_id="t",
        territory_name="Côte",
        animateur_organisation_id="cc",
        week="2026-W48",
        period_from=date(2026, 11, 16),
        period_to=date(2026, 11, 22),
        new_organisations=["Ferme neuve"],
        new_listings={"offer": 2, "need": 1},
        matches_proposed=3,
        matches_accepted=1,
        synergies_opened=1,
        synergy_moves=[SummaryMove(resource="Palettes", from_stage="detected", to_stage="studied", by="CC")],
    )
    message = render(
        "weekly_summary",
        weekly_summary_context(event),
        recipient_name="CC de la Côte",
        public_url="https://boucle.example",
        links={"dashboard": "https://boucle.example/liens/tableau/x"},
    )
    assert message.subject == "Côte : votre semaine sur Boucle (2026-W48)"
    assert "du 16/11/2026 au 22/11/2026" in message.text
    assert "Nouveaux acteurs : 1 (Ferme neuve)" in message.text
    assert "Nouvelles annonces : 3 (1 demande, 2 offres)" in message.text
    assert "« Palettes » : détectée → à l'étude (CC)" in message.text
    assert "https://boucle.example/liens/tableau/x" in message.html


def test_every_link_to_the_app_opens_a_page_of_the_portal() -> None:
    """Issue 15: « Voir la synergie » and the in-app notifications pointed at `/synergies/<id>`, `/matches/<id>`,
    `/listings/<id>`: JSON 404s. Each now names a page the portal serves, at the card concerned."""
    from shared.portal.routes import build_router
    from shared.settings import Settings

    pages = {route.path for route in build_router(Settings()).routes if "GET" in getattr(route, "methods", ())}
    contexts = {
        "listing_expiring": {"listing_id": "l-1"},
        "synergy_stage": {"synergy_id": "s-1"},
        "weekly_summary": {"territory_id": "t-1"},
        "match_proposed": {"match_id": "m-1"},
    }
    for kind, context in contexts.items():
        path, _, card = app_link(kind, context).partition("#")
        assert path in pages, (kind, path)
        assert not card or card.endswith(next(iter(context.values()))), (kind, card)
