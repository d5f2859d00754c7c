"""The animateur's diagnostics file (issue 17, point 1): read from XLSX and CSV, every cell checked, the plan keyed
so that the same file again changes nothing."""

from __future__ import annotations

import io
from datetime import date

import pytest
from offers import diagnostics, diagnostics_files
from openpyxl import Workbook, load_workbook

from shared.geo import Gazetteer

GAZETTEER = Gazetteer.load()
CCLNB = "200068088"  # Communauté de communes Les Bertranges
TODAY = date(2026, 12, 7)
HEADER = "Organisation;SIRET;Code NAF;Commune;Email du contact;Sens;Ressource;Quantité;Unité;Fréquence"


def preview_of(csv_text: str, epci: str | None = CCLNB) -> diagnostics.Preview:
    headers, lines = diagnostics_files.read(csv_text.encode("utf-8"), "diagnostics.csv")
    return diagnostics.preview(headers, lines, GAZETTEER, epci, TODAY)


def test_the_templates_read_back_as_a_plan_without_error() -> None:
    for content, name in (
        (diagnostics_files.template_csv(), "modele.csv"),
        (diagnostics_files.template_xlsx(), "modele.xlsx"),
    ):
        headers, lines = diagnostics_files.read(content, name)
        assert headers == [column.header for column in diagnostics.COLUMNS]
        plan = diagnostics.preview(headers, lines, GAZETTEER, CCLNB, TODAY)
        assert plan.ok, [row.errors for row in plan.rows]
        assert len(plan.organisations) == 2 and len(plan.flows) == 4
        assert {flow.kind for flow in plan.flows.values()} == {"offer", "need", "share", "pool"}


def test_the_xlsx_template_explains_each_column_and_offers_the_lists() -> None:
    book = load_workbook(io.BytesIO(diagnostics_files.template_xlsx()))
    sheet = book["Diagnostics"]
    assert sheet["A1"].comment is not None and sheet["A1"].comment.text.startswith("Obligatoire.")
    lists = {str(rule.sqref).split(":")[0]: rule.formula1 for rule in sheet.data_validations.dataValidation}
    assert "sortant" in lists["I2"] and "Exploitation agricole" in lists["D2"]
    assert [row[0].value for row in book["Aide"].iter_rows(min_row=2, max_row=3)] == ["Organisation", "SIRET"]


def test_each_wrong_cell_gets_its_own_french_error_and_nothing_is_planned_from_its_row() -> None:
    plan = preview_of(f"""{HEADER}
Scierie du Val;73282932000075;99.99Z;Prémerie;pas-un-email;sortant;Sciure;douze;t;par mois
Ferme des Prés;;;Dijon;ferme@pres.example;besoin;Fumier;12,5;tonnes;hebdomadaire
Menuiserie;;;Guérigny;m@menuiserie.example;vendu;Chutes;3;kilos;tous les jours
""")
    assert not plan.ok and plan.error_count == 8 and not plan.organisations and not plan.flows
    first, second, third = plan.rows
    assert first.line == 2 and set(first.errors) == {"siret", "naf", "commune", "contact_email", "quantity"}
    assert "clé de contrôle" in first.errors["siret"] and "Prémery (58700)" in first.errors["commune"]
    assert "douze" in first.errors["quantity"]
    assert set(second.errors) == {"commune"}  # « tonnes » and « hebdomadaire » are understood
    assert "pas dans votre intercommunalité" in second.errors["commune"]
    assert set(third.errors) == {"direction", "frequency"} and "« sortant »" in third.errors["direction"]


def test_a_missing_column_or_an_empty_required_cell_is_said() -> None:
    plan = preview_of("Organisation;Commune;Sens\nScierie;Prémery;sortant\n")
    assert any("« Ressource » absente" in problem for problem in plan.problems)
    assert any("« Email du contact » absente" in problem for problem in plan.problems)
    plan = preview_of(f"{HEADER}\n;;;Prémery;a@b.example;sortant;;;;\n")
    assert plan.rows[0].errors == {"organisation": "Obligatoire.", "resource": "Obligatoire."}
    assert preview_of(HEADER + "\n").problems == ["Aucune ligne de diagnostic sous la ligne des colonnes."]


def test_organisations_are_keyed_by_siret_else_by_name_and_commune_and_their_rows_must_agree() -> None:
    plan = preview_of(f"""{HEADER}
Scierie du Val;732 829 320 00074;16.10A;Prémery;contact@scierie.example;sortant;Sciure de bois;40;t;par mois
SCIERIE DU VAL;73282932000074;;Prémery;contact@scierie.example;entrant;Palettes;200;palettes;par mois
Gaec des Prés;;;Champlemy;gaec@pres.example;partage;Épandeur à fumier;;;
Gaec des Prés;;;Champlemy;autre@pres.example;mutualisation;Collecte des bâches;;;
Scierie du Val;73282932000074;;Prémery;contact@scierie.example;sortant;sciure de BOIS;41;t;par mois
""")
    assert set(plan.organisations) == {"siret:73282932000074", "nom:gaec des pres|58053"}
    assert plan.rows[1].errors == {"organisation": "Différent de la ligne 2 pour la même organisation."}
    assert plan.rows[3].errors == {"contact_email": "Différent de la ligne 4 pour la même organisation."}
    assert plan.rows[4].errors == {"resource": "Déjà à la ligne 2 pour cette organisation et ce sens."}
    assert len(plan.flows) == 2


def test_one_contact_address_belongs_to_one_organisation() -> None:
    plan = preview_of(f"""{HEADER}
Scierie du Val;;;Prémery;contact@val.example;sortant;Sciure;;;
Menuiserie du Val;;;Prémery;contact@val.example;sortant;Copeaux;;;
""")
    assert plan.rows[1].errors == {
        "contact_email": "Déjà le contact d'une autre organisation (ligne 2) : une adresse "
        "ne peut être celle que d'une organisation."
    }


def test_quantities_dates_and_confidentiality_as_people_type_them() -> None:
    plan = preview_of("""Organisation;Commune;Email du contact;Sens;Ressource;Quantité;Unité;Fréquence;\
Quantité confidentielle;Date du diagnostic
Laiterie;Prémery;l@laiterie.example;sortant;Lactosérum;1 200,5;m³;par an;oui;15/03/2026
Laiterie;Prémery;l@laiterie.example;sortant;Chaleur fatale;150;kW;en continu;non;2026-03-15
Laiterie;Prémery;l@laiterie.example;entrant;Eau chaude;3;kW;par mois;peut-être;31/12/2027
""")
    whey, heat = (
        plan.flows[("nom:laiterie|58218", "offer", "lactoserum")],
        plan.flows[("nom:laiterie|58218", "offer", "chaleur fatale")],
    )
    assert (whey.quantity_value, whey.quantity_unit, whey.frequency, whey.quantity_private) == (
        1200.5,
        "m3",
        "yearly",
        True,
    )
    assert (heat.quantity_unit, heat.frequency, heat.quantity_private) == ("kw", "continuous", False)
    assert plan.organisations["nom:laiterie|58218"].diagnosed_on == date(2026, 3, 15)
    assert set(plan.rows[2].errors) == {"frequency", "private", "diagnosed_on"}
    assert "en continu" in plan.rows[2].errors["frequency"]


def test_who_carries_and_with_what_are_read_from_their_labels_or_common_words() -> None:
    """Issue 21, point 5: « Qui transporte » and « Avec quoi » in the diagnostics file."""
    plan = preview_of("""Organisation;Commune;Email du contact;Sens;Ressource;Qui transporte;Avec quoi
Ferme;Prémery;f@ferme.example;sortant;Fumier;le cédant livre;Tracteur et remorque
Ferme;Prémery;f@ferme.example;entrant;Paille;preneur;camion
Ferme;Prémery;f@ferme.example;entrant;Sciure;le voisin;brouette
""")
    manure, straw = (
        plan.flows[("nom:ferme|58218", kind, title)] for kind, title in (("offer", "fumier"), ("need", "paille"))
    )
    assert (manure.transport_by, manure.transport_means) == ("giver", "tractor_trailer")
    assert (straw.transport_by, straw.transport_means) == ("taker", "truck")
    assert set(plan.rows[2].errors) == {"transport_by", "transport_means"}
    assert "« le voisin » inconnu : « le cédant livre »" in plan.rows[2].errors["transport_by"]


def test_a_site_needs_its_commune_and_a_swap_names_a_flow_of_the_organisation_the_other_way() -> None:
    plan = preview_of("""Organisation;Commune;Email du contact;Sens;Ressource;Site;Commune du site;En échange de
Ferme;Prémery;f@ferme.example;sortant;Fumier;Stabulation;;Paille
Ferme;Prémery;f@ferme.example;sortant;Foin;;;Fumier
Ferme;Prémery;f@ferme.example;entrant;Paille;Hangar;Trifouillis-les-Oies;
""")
    assert plan.rows[0].errors == {"site_commune": "Obligatoire avec un site."}
    assert plan.rows[1].errors == {
        "swap": "Aucune ligne de cette organisation en sens inverse pour la ressource « fumier »."
    }  # Fumier is an offer too: no exchange between two offers
    assert set(plan.rows[2].errors) == {"site_commune"}


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "vide.csv", "vide"),
        (b"PK\x03\x04pas un zip", "faux.xlsx", "illisible"),
        (b"\xd0\xcf\x11\xe0", "ancien.xls", ".xlsx ou en .csv"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(content: bytes, name: str, message: str) -> None:
    with pytest.raises(diagnostics_files.Unreadable, match=message):
        diagnostics_files.read(content, name)


def test_excel_cells_read_as_the_animateur_sees_them() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        [
            "Organisation",
            "SIRET",
            "Commune",
            "Email du contact",
            "Sens",
            "Ressource",
            "Quantité",
            "Unité",
            "Date du diagnostic",
        ]
    )
    sheet.append(
        ["Scierie", 73282932000074, "Prémery", "s@scierie.example", "sortant", "Sciure", 2.5, "t", date(2026, 3, 15)]
    )
    out = io.BytesIO()
    book.save(out)
    headers, lines = diagnostics_files.read(out.getvalue(), "d.xlsx")
    assert lines == [
        (
            2,
            [
                "Scierie",
                "73282932000074",
                "Prémery",
                "s@scierie.example",
                "sortant",
                "Sciure",
                "2,5",
                "t",
                "15/03/2026",
            ],
        )
    ]
    assert diagnostics.preview(headers, lines, GAZETTEER, CCLNB, TODAY).ok


def test_a_windows_csv_with_semicolons_reads_as_well() -> None:
    content = "Organisation;Commune;Email du contact;Sens;Ressource\nÉcurie;Prémery;e@ecurie.example;sortant;Fumier\n"
    headers, lines = diagnostics_files.read(content.encode("cp1252"), "export.csv")
    assert headers[-1] == "Ressource"
    assert lines == [(2, ["Écurie", "Prémery", "e@ecurie.example", "sortant", "Fumier"])]
