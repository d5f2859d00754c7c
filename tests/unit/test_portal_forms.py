"""The portal's pure parts: forms to API bodies, API errors back to fields in French,
where to go after login, how distances read."""

from __future__ import annotations

from shared.portal.forms import (
    LISTING_FIELDS,
    SIGNUP_FIELDS,
    field_errors,
    french,
    listing_body,
    number,
    signup_body,
)
from shared.portal.visit import date_fr, km, next_page


def test_sign_up_body_nests_the_organisation_and_leaves_out_what_is_empty() -> None:
    body = signup_body(
        {
            "organisation_name": " Cartonnerie Dupont ",
            "kind": "company",
            "siret": "",
            "commune": "Nuits-Saint-Georges (21700)",
            "contact_email": "",
            "name": "Jeanne",
            "email": "jeanne@dupont.example",
            "password": "",
        }
    )
    assert body == {
        "organisation": {
            "name": "Cartonnerie Dupont",
            "kind": "company",
            "commune": "Nuits-Saint-Georges (21700)",
            "contact_email": "jeanne@dupont.example",
        },
        "name": "Jeanne",
        "email": "jeanne@dupont.example",
    }
    assert signup_body({"password": "un mot de passe solide"})["password"] == "un mot de passe solide"


def test_listing_body_reads_french_numbers() -> None:
    body = listing_body(
        {
            "kind": "offer",
            "title": "Chutes de carton",
            "category": "Carton ondulé",
            "quantity_value": "1,5",
            "quantity_unit": "t",
            "frequency": "monthly",
            "radius_km": "",
        }
    )
    assert body == {
        "kind": "offer",
        "title": "Chutes de carton",
        "category": "Carton ondulé",
        "quantity": {"value": 1.5, "unit": "t"},
        "frequency": "monthly",
    }
    assert number("1\u202f500") == 1500.0 and number("deux") == "deux" and number("") is None
    # an edit sends every field, so that emptying one clears it
    assert listing_body({"title": "Chutes"}, editing=True) == {
        "title": "Chutes",
        "category": None,
        "quantity": None,
        "frequency": None,
        "radius_km": None,
        "description": None,
        "private_fields": [],
        "temperature_c": None,
        "pressure_bar": None,
        "purity_percent": None,
        "moisture_percent": None,
        "waste_status": None,
        "abp_category": None,
        "organic_farming": None,
        "terms": None,
        "price": None,
        "transport_by": None,
        "transport_means": None,
        "site_id": None,
        "counterpart_id": None,
        "days": [],
        "months": [],
    }
    assert listing_body({"title": "Chutes", "quantity_private": "1"})["private_fields"] == ["quantity"]
    declared = listing_body(
        {
            "kind": "offer",
            "title": "Lactosérum",
            "waste_status": "by_product",
            "abp_category": "3",
            "organic_farming": "1",
        }
    )
    assert (declared["waste_status"], declared["abp_category"], declared["organic_farming"]) == (
        "by_product",
        "3",
        True,
    )


def test_api_errors_land_next_to_their_field_in_french() -> None:
    detail = [
        {"type": "value_error", "loc": ["body", "organisation", "siret"], "msg": "SIRET « 1 » invalide."},
        {
            "type": "string_too_short",
            "loc": ["body", "name"],
            "msg": "String should have at least 2 characters",
            "ctx": {"min_length": 2},
        },
        {
            "type": "value_error",
            "loc": ["body", "email"],
            "msg": "value is not a valid email address: An email address must have an @-sign.",
        },
        {"type": "extra_forbidden", "loc": ["body", "surprise"], "msg": "Extra inputs are not permitted"},
    ]
    errors, general = field_errors(detail, SIGNUP_FIELDS)
    assert errors == {
        "siret": "SIRET « 1 » invalide.",
        "name": "2 caractères au moins.",
        "email": "Adresse email invalide (par exemple prenom.nom@entreprise.fr).",
    }
    assert general == ["Champ inattendu."]
    errors, _ = field_errors(
        [
            {
                "type": "greater_than",
                "loc": ["body", "quantity", "value"],
                "ctx": {"gt": 0},
                "msg": "Input should be greater than 0",
            }
        ],
        LISTING_FIELDS,
    )
    assert errors == {"quantity_value": "Indiquez une valeur plus grande que zéro."}
    assert field_errors("Identifiants incorrects.", {}) == ({}, ["Identifiants incorrects."])
    assert french({"type": "float_parsing", "msg": "Input should be a valid number"}).startswith("Un nombre")
    assert french({"type": "value_error", "msg": "Value error, Unité inconnue."}) == "Unité inconnue."


def test_after_login_only_a_path_of_this_site() -> None:
    assert next_page("/annonces") == "/annonces"
    assert next_page("//evil.example/") == "/espace"
    assert next_page("https://evil.example/") == "/espace"
    assert next_page(None) == "/espace"


def test_dates_and_distances_read_the_french_way() -> None:
    assert date_fr("2026-03-12") == "12/03/2026"
    assert date_fr("2026-03-12T10:00:00Z") == "12/03/2026"
    assert km(0.4) == "400 m" and km(4.46) == "4,5 km" and km(38.2) == "38 km"


def test_days_and_months_are_read_from_the_boxes_ticked() -> None:
    """Issue 21, point 3: one entry per box ticked; none ticked says « any day », and an edit clears them."""
    from starlette.datastructures import FormData

    form = FormData(
        [("kind", "share"), ("title", "Broyeur"), ("days", "tue"), ("days", "wed"), ("months", "6"), ("months", "juin")]
    )
    body = listing_body(form)
    assert (body["days"], body["months"]) == (["tue", "wed"], [6])
    assert "days" not in listing_body(FormData([("kind", "share"), ("title", "Broyeur")]))
    assert listing_body(FormData([("title", "Broyeur")]), editing=True)["days"] == []
