"""The animateur's diagnostics import through the offers API, on SQLite and PostgreSQL (issue 17, points 1 and 2): a
preview writes nothing, a file with one wrong cell imports nothing, the same file again changes nothing, a corrected
one updates; what a company posted itself is left alone. An imported organisation is only invited: its flows are
published held (matched, their proposals for the animateur only) until its contact confirms from the emailed link;
a refusal deletes it and withdraws them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from offers.accounts_service import appoint
from offers.diagnostics_service import INVITATION_RETENTION, purge_unanswered_invitations
from offers.main import create_app
from offers.models import Listing, Organisation, Site, UserAccount
from sqlalchemy import select
from sqlmodel import Session

from shared.outbox import OutboxMessage
from tests.integration.test_accounts_api import Offers, confirmed

HEADER = "Organisation;SIRET;Commune;Email du contact;Sens;Ressource;Quantité;Unité;Fréquence;Date du diagnostic"
FILE = f"""{HEADER}
Scierie du Val;73282932000074;Prémery;contact@scierie.example;sortant;Sciure de bois brut;40;t;par mois;15/03/2026
Scierie du Val;73282932000074;Prémery;contact@scierie.example;entrant;Palettes;200;palettes;par mois;15/03/2026
GAEC des Bertranges;;Champlemy;gaec@bertranges.example;sortant;Fumier de bovins;300;t;par an;02/04/2026
GAEC des Bertranges;;Champlemy;gaec@bertranges.example;partage;Épandeur à fumier;;;;02/04/2026
EHPAD Les Tilleuls;;La Charité-sur-Loire;direction@tilleuls.example;sortant;Biodéchets de cuisine;4;t;par mois;
"""
COLLECTIVITE = {
    "name": "Communauté de communes Les Bertranges",
    "kind": "public_body",
    "commune": "La Charité-sur-Loire",
    "postcode": "58400",
    "contact_email": "eit@bertranges.example",
}


@pytest.fixture
def offers(backend: str, settings_for) -> Iterator[Offers]:  # type: ignore[no-untyped-def]
    settings = settings_for(backend)
    with TestClient(create_app(settings)) as client:
        yield Offers(client, settings)


def animateur(offers: Offers) -> dict[str, str]:
    """The headers of the Bertranges' animateur, signed in."""
    confirmed(offers, "claire@bertranges.example", **COLLECTIVITE)
    with Session(offers.engine) as session:
        appoint(session, "claire@bertranges.example", "animateur")
    return offers.session("claire@bertranges.example")


def upload(
    offers: Offers,
    headers: dict[str, str],
    content: str,
    path: str = "/api/v1/diagnostics",
    name: str = "diagnostics.csv",
):  # type: ignore[no-untyped-def]
    return offers.client.post(path, headers=headers, files={"fichier": (name, content.encode("utf-8"), "text/csv")})


def imported(offers: Offers) -> tuple[list[Organisation], list[Listing]]:
    with Session(offers.engine) as session:
        orgs = session.exec(select(Organisation).where(Organisation.imported_by.is_not(None))).scalars().all()
        ids = [o.id for o in orgs]
        listings = session.exec(select(Listing).where(Listing.organisation_id.in_(ids))).scalars().all()
        return list(orgs), list(listings)


def events(offers: Offers) -> list[str]:
    with Session(offers.engine) as session:
        return list(session.exec(select(OutboxMessage.type).order_by(OutboxMessage.id)).scalars().all())


def listing_events(offers: Offers) -> list[tuple[str, str, bool | None]]:
    """(type, listing id, held) of each listing event staged, in order (held: None for a closing event)."""
    with Session(offers.engine) as session:
        rows = (
            session.exec(
                select(OutboxMessage).where(OutboxMessage.type.startswith("listing.")).order_by(OutboxMessage.id)
            )
            .scalars()
            .all()
        )
        return [(row.type, row.key, json.loads(row.value)["payload"].get("held")) for row in rows]


def test_the_templates_are_there_to_download(offers: Offers) -> None:
    csv_template = offers.client.get("/api/v1/diagnostics/modele.csv")
    assert csv_template.status_code == 200 and csv_template.headers["content-type"].startswith("text/csv")
    assert csv_template.content.decode("utf-8-sig").startswith("Organisation;SIRET;Code NAF;")
    xlsx = offers.client.get("/api/v1/diagnostics/modele.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert "modele-diagnostics-boucle.xlsx" in xlsx.headers["content-disposition"]


def test_a_preview_writes_nothing_and_a_file_with_one_wrong_cell_imports_nothing(offers: Offers) -> None:
    headers = animateur(offers)
    before = events(offers)
    broken = FILE.replace("Champlemy;gaec", "Champlemi;gaec", 1).replace(";300;t;", ";trois cents;t;")
    seen = upload(offers, headers, broken, "/api/v1/diagnostics/apercu")
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert (body["ok"], body["errors"], body["organisations"]) == (False, 2, 3)
    wrong = {row["line"]: row["errors"] for row in body["rows"] if row["errors"]}
    assert set(wrong) == {4} and set(wrong[4]) == {"commune", "quantity"}
    assert "Champlemy" in wrong[4]["commune"]  # the suggestion
    refused = upload(offers, headers, broken)
    assert refused.status_code == 422
    assert refused.json()["detail"] == [
        {
            "loc": ["body", "fichier"],
            "type": "value_error",
            "msg": "Rien n'est importé : 2 erreur(s) à corriger dans le fichier.",
        }
    ]
    assert refused.json()["preview"]["rows"][2]["errors"] == wrong[4]
    assert imported(offers) == ([], []) and events(offers) == before
    # The right file, previewed: nothing written either.
    assert upload(offers, headers, FILE, "/api/v1/diagnostics/apercu").json()["ok"] is True
    assert imported(offers) == ([], []) and events(offers) == before


def test_the_same_file_again_changes_nothing_and_a_corrected_one_updates_without_duplicates(offers: Offers) -> None:
    headers = animateur(offers)
    first = upload(offers, headers, FILE)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "organisations_created": 3,
        "organisations_updated": 0,
        "flows_created": 5,
        "flows_updated": 0,
        "unchanged": 0,
        "invited": 3,
        "left_alone": [],
    }
    orgs, listings = imported(offers)
    assert sorted(o.name for o in orgs) == ["EHPAD Les Tilleuls", "GAEC des Bertranges", "Scierie du Val"]
    assert {o.confirmed_at for o in orgs} == {None}  # not actors until they confirm
    assert {listing.status for listing in listings} == {"draft"}
    sawmill = next(o for o in orgs if o.siret == "73282932000074")
    assert (sawmill.insee, str(sawmill.diagnosed_on)) == ("58218", "2026-03-15")
    # Announced unconfirmed (as sign-ups not confirmed yet: no territory counts them), their flows published held
    # (matched, the proposals shown to the animateur only), each contact invited once to confirm or refuse.
    assert events(offers).count("organisation.registered") == 4  # the collectivité and the three imported
    assert sorted(listing_events(offers)) == sorted(("listing.published", x.id, True) for x in listings)
    assert [link.purpose for o in orgs for link in offers.links(o.contact_email)] == ["diagnostic"] * 3

    again = upload(offers, headers, FILE)
    assert again.json()["unchanged"] == 8 and again.json()["flows_created"] == 0 and again.json()["invited"] == 0
    assert len(listing_events(offers)) == 5  # nothing changed, nothing announced

    def kept(rows: list[Listing]) -> list[tuple]:  # type: ignore[type-arg]
        return sorted((x.id, x.title, x.quantity_value, x.status, str(x.expires_at)) for x in rows)

    assert kept(imported(offers)[1]) == kept(listings)

    corrected = (
        FILE.replace(";40;t;par mois;", ";45;t;par mois;")
        + "EHPAD Les Tilleuls;;La Charité-sur-Loire;direction@tilleuls.example;entrant;Cartons;;;;\n"
    )
    done = upload(offers, headers, corrected).json()
    assert (done["flows_updated"], done["flows_created"], done["organisations_created"]) == (1, 1, 0)
    orgs, listings = imported(offers)
    assert len(orgs) == 3 and len(listings) == 6
    sawdust = next(x for x in listings if x.title == "Sciure de bois brut")
    assert sawdust.quantity_value == 45 and sawdust.revision == 2
    assert [(kind, held) for kind, key, held in listing_events(offers)[5:]] == [
        ("listing.updated", True),
        ("listing.published", True),
    ]
    assert listing_events(offers)[5][1] == sawdust.id


def test_site_swap_and_transport_reach_the_imported_flows(offers: Offers) -> None:
    """Issue 21, point 6: the file's « Site », « En échange de », « Qui transporte » and « Avec quoi »."""
    done = upload(
        offers,
        animateur(offers),
        "Organisation;Commune;Email du contact;Sens;Ressource;Site;"
        "Commune du site;En échange de;Qui transporte;Avec quoi\n"
        "GAEC des Bertranges;Champlemy;gaec@bertranges.example;sortant;Fumier de bovins;"
        "Stabulation de Prémery;Prémery;PAILLE;le cédant livre;tracteur et remorque\n"
        "GAEC des Bertranges;Champlemy;gaec@bertranges.example;entrant;Paille;;;;;\n",
    )
    assert done.status_code == 200 and done.json()["flows_created"] == 2, done.text
    manure, straw = sorted(imported(offers)[1], key=lambda listing: listing.kind != "offer")
    assert (manure.transport_by, manure.transport_means) == ("giver", "tractor_trailer")
    assert manure.counterpart_id == straw.id and straw.site_id is None
    with Session(offers.engine) as session:
        site = session.get(Site, manure.site_id)
        assert site is not None and (site.name, site.commune) == ("Stabulation de Prémery", "Prémery")
        published = [
            json.loads(e.value)["payload"]
            for e in session.exec(select(OutboxMessage).where(OutboxMessage.key == manure.id)).scalars()
        ]
    assert published[-1]["insee"] == site.insee and published[-1]["counterpart_id"] == straw.id


def test_only_an_animateur_imports_and_what_a_company_did_itself_stays_its_own(offers: Offers) -> None:
    company = confirmed(
        offers,
        "sophie@scierie.example",
        name="Scierie du Val",
        siret="73282932000074",
        commune="Prémery",
        postcode="58700",
    )
    assert company
    sophie = offers.session("sophie@scierie.example")
    refused = upload(offers, sophie, FILE)
    assert refused.status_code == 403 and "animateur" in refused.json()["detail"]
    done = upload(offers, animateur(offers), FILE).json()
    assert done["organisations_created"] == 2
    assert done["left_alone"] == [
        "Scierie du Val est inscrite sur Boucle par elle-même : ses données et ses annonces restent les siennes."
    ]
    with Session(offers.engine) as session:
        mine = session.exec(select(Organisation).where(Organisation.siret == "73282932000074")).scalars().all()
        assert len(mine) == 1 and mine[0].imported_by is None
        assert not session.exec(select(Listing).where(Listing.organisation_id == mine[0].id)).scalars().all()


def test_an_animateur_imports_only_in_its_own_intercommunality(offers: Offers) -> None:
    elsewhere = FILE + "Brasserie de Dijon;;Dijon;b@brasserie.example;sortant;Drêches;2;t;par semaine;\n"
    refused = upload(offers, animateur(offers), elsewhere)
    assert refused.status_code == 422
    [row] = [row for row in refused.json()["preview"]["rows"] if row["errors"]]
    assert row["line"] == 7 and "pas dans votre intercommunalité" in row["errors"]["commune"]
    assert imported(offers) == ([], [])


def test_an_invited_organisation_confirms_from_its_link_or_refuses_and_is_deleted(offers: Offers) -> None:
    headers = animateur(offers)
    assert upload(offers, headers, FILE).json()["invited"] == 3
    before = len(events(offers))
    # The sawmill's contact opens the emailed link: its flows, nothing published yet; then confirms.
    path = offers.link_path(offers.links("contact@scierie.example")[-1])
    page = offers.client.get(path)
    assert (
        page.status_code == 200
        and "Scierie du Val" in page.text
        and "Communauté de communes Les Bertranges" in page.text
    )
    assert "Sciure de bois brut</strong>, 40 t par mois" in page.text and "Palettes</strong>" in page.text
    confirmed_page = offers.client.post(path, data={"action": "confirmer"}, follow_redirects=False)
    assert confirmed_page.status_code == 303 and "boucle_session=" in confirmed_page.headers["set-cookie"]
    new = events(offers)[before:]
    assert new.count("organisation.updated") == 1 and new.count("listing.updated") == 2
    assert [(kind, held) for kind, _, held in listing_events(offers)[5:]] == [("listing.updated", False)] * 2
    orgs, listings = imported(offers)
    sawmill = next(o for o in orgs if o.siret == "73282932000074")
    assert sawmill.confirmed_at is not None
    assert {x.status for x in listings if x.organisation_id == sawmill.id} == {"active"}
    assert {x.status for x in listings if x.organisation_id != sawmill.id} == {"draft"}
    # Imported again, the file leaves the sawmill alone: its data are its own now.
    again = upload(offers, headers, FILE).json()
    assert again["left_alone"] == [
        "Scierie du Val a confirmé son diagnostic : ses données et ses annonces sont désormais les siennes."
    ]

    # The EHPAD refuses: it is deleted, its contact, flows and events with it; one event has the others forget it.
    ehpad = next(o for o in imported(offers)[0] if o.name == "EHPAD Les Tilleuls").id
    path = offers.link_path(offers.links("direction@tilleuls.example")[-1])
    gone = offers.client.post(path, data={"action": "refuser"})
    assert gone.status_code == 200 and "EHPAD Les Tilleuls, ses flux et son contact sont supprimés" in gone.text
    with Session(offers.engine) as session:
        assert not session.exec(select(UserAccount).where(UserAccount.email == "direction@tilleuls.example")).all()
        assert session.exec(select(OutboxMessage.type).where(OutboxMessage.key == ehpad)).scalars().all() == [
            "organisation.erased"
        ]
    # Its held flow leaves matching: withdrawn; the event that carried its content is gone from the outbox.
    [(_, draft)] = [(kind, key) for kind, key, _ in listing_events(offers) if kind == "listing.withdrawn"]
    assert [kind for kind, key, _ in listing_events(offers) if key == draft] == ["listing.withdrawn"]
    listed = offers.client.get("/api/v1/diagnostics/organisations", headers=headers).json()
    assert [(o["name"], o["confirmed"], o["flows"]) for o in listed] == [
        ("GAEC des Bertranges", False, 2),
        ("Scierie du Val", True, 2),
    ]
    assert offers.client.post(path, data={"action": "refuser"}).status_code == 400  # a link serves once


def test_what_another_collectivite_imported_stays_as_it_imported_it(offers: Offers) -> None:
    assert upload(offers, animateur(offers), FILE).json()["organisations_created"] == 3
    confirmed(
        offers,
        "mairie@premery.example",
        name="Mairie de Prémery",
        kind="public_body",
        commune="Prémery",
        postcode="58700",
    )
    with Session(offers.engine) as session:
        appoint(session, "mairie@premery.example", "animateur")
    done = upload(offers, offers.session("mairie@premery.example"), FILE).json()
    assert (done["organisations_created"], done["flows_created"]) == (0, 0)
    assert (
        "Scierie du Val a été importée par une autre collectivité : elle reste comme celle-ci l'a importée."
        in done["left_alone"]
    )


def test_diagnostics_over_a_year_old_are_sent_for_review_in_one_action(offers: Offers) -> None:
    """Issue 17, point 5: the animateur asks, in one action, the organisations whose diagnostic is over a year old to
    review their flows; the link signs the contact in on its listings and dates the diagnostic today."""
    headers = animateur(offers)
    upload(offers, headers, FILE)
    offers.client.post(offers.link_path(offers.links("contact@scierie.example")[-1]), data={"action": "confirmer"})
    with Session(offers.engine) as session:  # a diagnostic made two years ago
        for org in session.exec(select(Organisation).where(Organisation.imported_by.is_not(None))).scalars():
            org.diagnosed_on = date.today() - timedelta(days=730)
            session.add(org)
        session.commit()
    asked = offers.client.post("/api/v1/diagnostics/revues", headers=headers)
    assert asked.status_code == 200 and asked.json() == {"asked": ["Scierie du Val"]}  # the others never confirmed
    assert offers.client.post("/api/v1/diagnostics/revues", headers=headers).json() == {"asked": []}  # link waiting
    review = [link for link in offers.links("contact@scierie.example") if link.purpose == "review"]
    assert len(review) == 1
    opened = offers.client.post(offers.link_path(review[0]), follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/annonces?avis=revue"
    listed = offers.client.get("/api/v1/diagnostics/organisations", headers=headers).json()
    assert {o["name"]: o["diagnosed_on"] for o in listed}["Scierie du Val"] == date.today().isoformat()


def test_a_diagnostic_left_unanswered_is_erased_after_its_retention(offers: Offers) -> None:
    """RGPD: an invitation nobody answered is not kept for ever; the organisation is erased as if it had refused,
    its held flows withdrawn, three months after the import. One that confirmed is its own."""
    headers = animateur(offers)
    upload(offers, headers, FILE)
    path = offers.link_path(offers.links("contact@scierie.example")[-1])
    assert offers.client.post(path, data={"action": "confirmer"}, follow_redirects=False).status_code == 303
    now = datetime.now(timezone.utc)
    with Session(offers.engine) as session:
        assert purge_unanswered_invitations(session, now + timedelta(days=89)) == []
        erased = purge_unanswered_invitations(session, now + INVITATION_RETENTION + timedelta(hours=1))
    assert sorted(erased) == ["EHPAD Les Tilleuls", "GAEC des Bertranges"]
    orgs, listings = imported(offers)
    assert [o.name for o in orgs] == ["Scierie du Val"] and {x.organisation_id for x in listings} == {orgs[0].id}
    with Session(offers.engine) as session:
        assert not session.exec(
            select(UserAccount).where(UserAccount.email.in_(["gaec@bertranges.example", "direction@tilleuls.example"]))
        ).all()
    assert events(offers).count("organisation.erased") == 2
    withdrawn = [kind for kind, _, _ in listing_events(offers)].count("listing.withdrawn")
    assert withdrawn == 3  # the GAEC's two flows, the EHPAD's one
