"""From page forms to API bodies, and from API errors back to the form's fields; pure functions.

A 422 from a service lists `detail[].loc/msg/type`. Messages the services write are French
already; pydantic's own (too short, not a number…) are in English and are put into French here
by their `type`, so every error a visitor reads is French.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from shared import http

FieldErrors = dict[str, str]


def text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: Mapping[str, Any], name: str) -> str | None:
    return text(form, name) or None


def number(raw: str) -> float | str | None:
    """A French number (`1,5`, `1 500`) as a float; unreadable text is passed on for the API to refuse."""
    if not raw:
        return None
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", raw).replace(",", ".")
    try:
        return float(cleaned)
    except ValueError:
        return raw


def signup_body(form: Mapping[str, Any]) -> dict[str, Any]:
    """`POST /api/v1/accounts`: the organisation and its first user; no password → sign in by emailed link."""
    email = text(form, "email")
    organisation = {
        "name": text(form, "organisation_name"),
        "kind": text(form, "kind") or "company",
        "siret": optional(form, "siret"),
        "naf_code": optional(form, "naf_code"),
        "commune": optional(form, "commune"),
        "contact_email": text(form, "contact_email") or email,
    }
    body: dict[str, Any] = {
        "organisation": {k: v for k, v in organisation.items() if v is not None},
        "name": text(form, "name"),
        "email": email,
    }
    password = form.get("password") if isinstance(form.get("password"), str) else ""
    if password:
        body["password"] = password
    return body


def chosen(form: Mapping[str, Any], name: str) -> list[str]:
    """The values of a group of checkboxes (a posted form holds one entry per box ticked)."""
    values = form.getlist(name) if hasattr(form, "getlist") else form.get(name) or []
    return [value for value in ([values] if isinstance(values, str) else values) if isinstance(value, str)]


def calendar_of(form: Mapping[str, Any]) -> dict[str, Any]:
    """The days and months ticked (months as numbers), for the API and for the form shown again."""
    return {"days": chosen(form, "days"), "months": [int(m) for m in chosen(form, "months") if m.isdigit()]}


def listing_body(form: Mapping[str, Any], *, editing: bool = False) -> dict[str, Any]:
    """`POST /api/v1/listings` (or the PATCH of an edit: every field sent, an empty one clears it)."""
    quantity = number(text(form, "quantity_value"))
    body: dict[str, Any] = {
        "title": text(form, "title"),
        "category": optional(form, "category"),
        "quantity": quantity_of(quantity, text(form, "quantity_unit")),
        "frequency": optional(form, "frequency"),
        "radius_km": number(text(form, "radius_km")),
        "description": optional(form, "description"),
        "private_fields": ["quantity"] if form.get("quantity_private") else [],
        "temperature_c": number(text(form, "temperature_c")),
        "pressure_bar": number(text(form, "pressure_bar")),
        "purity_percent": number(text(form, "purity_percent")),
        "moisture_percent": number(text(form, "moisture_percent")),
        "waste_status": optional(form, "waste_status"),
        "abp_category": optional(form, "abp_category"),
        "organic_farming": True if form.get("organic_farming") else None,
        "terms": optional(form, "terms"),
        "price": optional(form, "price"),
        "transport_by": optional(form, "transport_by"),
        "transport_means": optional(form, "transport_means"),
        "site_id": optional(form, "site_id"),  # empty: the organisation's address
        "counterpart_id": optional(form, "counterpart_id"),  # « en échange de… »; empty: none
        **calendar_of(form),
    }
    if editing:
        return body
    body["kind"] = optional(form, "kind")  # not chosen: missing, « obligatoire »
    return {k: v for k, v in body.items() if v is not None and v != []}


def quantity_of(value: float | str | None, unit: str) -> dict[str, Any] | None:
    """The quantity as the API takes it; without a chosen unit it lacks one, and the API says the unit is missing
    (no silent « t »: 40 pallets must not become 40 t)."""
    if value is None:
        return None
    return {"value": value, "unit": unit} if unit else {"value": value}


FLOW_FORM_FIELDS = (
    "quantity",
    "unit",
    "period",
    "start",
    "end",
    "material",
    "transport_before",
    "transport_after",
    "disposal_cost_avoided_eur",
    "purchase_cost_avoided_eur",
    "jobs",
)
FLOW_FIELDS = (
    *FLOW_FORM_FIELDS,
    "density_t_per_unit",
    "shared_cost_saving_eur",
    "diverted_from_disposal",
    "substitutes_virgin",
    "shared_what",
    "members",
    "note",
)  # what `PUT …/flows/{id}` takes


def flow_body(form: Mapping[str, Any]) -> dict[str, Any]:
    """`POST /api/v1/synergies/{id}/flows` from the synergy page's form: a transport leg counts once its trips
    are given; empty amounts are left out."""
    body: dict[str, Any] = {
        "quantity": number(text(form, "quantity")),
        "unit": text(form, "unit"),
        "period": text(form, "period") or "month",
        "start": text(form, "start"),
        "end": optional(form, "end"),
        "material": optional(form, "material"),
    }
    for side in ("before", "after"):
        trips = number(text(form, f"{side}_trips"))
        if trips is not None:
            body[f"transport_{side}"] = {
                "trips_per_month": trips,
                "km_per_trip": number(text(form, f"{side}_km")) or 0,
                "vehicle": text(form, f"{side}_vehicle"),
            }
    for name in ("disposal_cost_avoided_eur", "purchase_cost_avoided_eur", "jobs"):
        body[name] = number(text(form, name))
    return {k: v for k, v in body.items() if v is not None and v != ""}


def corrected_flow(form: Mapping[str, Any], recorded: Mapping[str, Any]) -> dict[str, Any]:
    """`PUT /api/v1/synergies/{id}/flows/{flow_id}`: the flow as recorded, its form's fields as now filled in (an
    emptied field is emptied); what the form does not show (members, density…) is kept."""
    kept = {k: v for k, v in recorded.items() if k in FLOW_FIELDS and k not in FLOW_FORM_FIELDS and v is not None}
    return {**kept, **flow_body(form)}


ANSWERING_KIND = {"offer": "need", "share": "need", "need": "offer", "pool": "pool"}


def interest_body(form: Mapping[str, Any]) -> dict[str, Any] | None:
    """`POST /api/v1/listings`: the listing that answers one seen on the explore page (its kind, resource,
    title and distance sent back by the page's form), or None when the form does not say which."""
    kind = ANSWERING_KIND.get(text(form, "kind"))
    resource = text(form, "resource") or text(form, "title")
    distance = number(text(form, "distance_km"))
    if kind is None or len(resource) < 3 or not isinstance(distance, float):
        return None
    return {
        "kind": kind,
        "title": resource[:200],
        "category": text(form, "resource")[:120] or None,
        "radius_km": float(max(10, math.ceil(distance) + 5)),
        "description": f"Publiée depuis « Explorer » : intéressé·e par « {text(form, 'title')[:150]} ».",
    }


def request_key(form: Mapping[str, Any]) -> str | None:
    """The `Idempotency-Key` of a new listing's form: the id its page was given, if it is one of ours."""
    key = text(form, "request_id")
    return key if re.fullmatch(r"[0-9a-f]{32}", key) else None


def key_reused(answer_body: Any) -> bool:
    """Offers refused the form's key as used for another listing (the page sent again after a change)."""
    detail = answer_body.get("detail") if isinstance(answer_body, dict) else None
    return isinstance(detail, list) and any(
        isinstance(item, dict) and item.get("loc") == ["header", "Idempotency-Key"] for item in detail
    )


def profile_body(form: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """`PATCH /api/v1/organisations/me`: every field of the form; the commune only when it changed (sent again,
    a homonym could move the organisation). An emptied SIRET or NAF code is removed."""
    body: dict[str, Any] = {
        "name": text(form, "organisation_name"),
        "kind": text(form, "kind"),
        "siret": optional(form, "siret"),
        "naf_code": optional(form, "naf_code"),
        "contact_email": text(form, "contact_email"),
    }
    commune = text(form, "commune")
    if commune != (current.get("commune") or ""):
        body["commune"] = commune or None
    return body


PROFILE_FIELDS = {
    "name": "organisation_name",
    "kind": "kind",
    "siret": "siret",
    "naf_code": "naf_code",
    "commune": "commune",
    "postcode": "commune",
    "insee": "commune",
    "contact_email": "contact_email",
}
SIGNUP_FIELDS = {
    "organisation.name": "organisation_name",
    "organisation.kind": "kind",
    "organisation.siret": "siret",
    "organisation.naf_code": "naf_code",
    "organisation.commune": "commune",
    "organisation.postcode": "commune",
    "organisation.contact_email": "contact_email",
    "name": "name",
    "email": "email",
    "password": "password",
}
LISTING_FIELDS = {
    "kind": "kind",
    "title": "title",
    "category": "category",
    "quantity": "quantity_value",
    "quantity.value": "quantity_value",
    "quantity.unit": "quantity_unit",
    "frequency": "frequency",
    "radius_km": "radius_km",
    "description": "description",
    "ewc_code": "category",
    "private_fields": "quantity_private",
    "waste_status": "waste_status",
    "temperature_c": "temperature_c",
    "pressure_bar": "pressure_bar",
    "purity_percent": "purity_percent",
    "moisture_percent": "moisture_percent",
    "abp_category": "abp_category",
    "organic_farming": "organic_farming",
    "terms": "terms",
    "price": "price",
    "transport_by": "transport_by",
    "transport_means": "transport_means",
    "days": "days",
    "months": "months",
    "site_id": "site_id",
    "counterpart_id": "counterpart_id",
}
LOGIN_FIELDS = {"email": "email", "password": "password"}
SITE_FIELDS = {"name": "site_name", "commune": "site_commune", "postcode": "site_postcode", "siret": "site_siret"}
COLLEAGUE_FIELDS = {"name": "colleague_name", "email": "colleague_email", "role": "colleague_role"}


# The territory form's fields, by the API's body names (POST /api/v1/territories).
TERRITORY_FIELDS = {"name": "territory_name", "epci": "epci_name", "communes": "communes"}


def field_errors(detail: Any, fields: Mapping[str, str]) -> tuple[FieldErrors, list[str]]:
    """The API's error detail as messages per form field, and those that belong to no field."""
    if isinstance(detail, str):
        return {}, [detail]
    errors: FieldErrors = {}
    general: list[str] = []
    for item in detail if isinstance(detail, list) else []:
        if not isinstance(item, dict):
            continue
        loc = [str(part) for part in item.get("loc", []) if part not in ("body", "query", "path")]
        message = french(item)
        field = next((fields[".".join(loc[:n])] for n in range(len(loc), 0, -1) if ".".join(loc[:n]) in fields), None)
        if field is None:
            general.append(message)
        else:
            errors.setdefault(field, message)
    return errors, general


def french(item: Mapping[str, Any]) -> str:
    """One error of the API, worded for the person filling the form (shared.http.french)."""
    return http.french(item, form=True)
