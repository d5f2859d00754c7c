"""Helpers of the security tests: organisations, the services' own OpenAPI documents, request bodies.

Routes are never listed by hand: `operations(stack)` reads each service's `/openapi.json`, so a
route added later is attacked by the same tests without anyone remembering to add it.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
from offers.domain import siret_is_valid

from shared.devstack import Stack
from shared.settings import DEV_SECRET, SERVICES
from tests import web
from tests.conftest import animateur_of, declared_territory, mailbox, wait_until

# A path or query parameter named like this takes the id of an object of that kind.
ID_PARAMETERS = {
    "listing_id": "listing",
    "match_id": "match",
    "notification_id": "notification",
    "synergy_id": "synergy",
    "territory_id": "territory",
    "prospect_id": "prospect",
    "token_id": "token",
    "user_id": "user",
    "territory": "territory",
    "request_id": "role_request",
    "flow_id": "flow",
    "workshop_id": "workshop",
    "site_id": "site",
}

# Routes anyone may call without a token; any other route must answer 401 to an anonymous caller.
# Sign-up, logging in, health, the probes and metrics (checked below to hold nobody's data), and the reference data of
# the forms (the offline commune table, the taxonomy, how the taxonomy reads a text sent), the diagnostics templates.
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/livez"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("POST", "/api/v1/organisations"),
    ("POST", "/api/v1/accounts"),
    ("POST", "/api/v1/session"),
    ("POST", "/api/v1/session/link"),
    ("GET", "/api/v1/communes"),
    ("GET", "/api/v1/resources"),
    ("POST", "/api/v1/resources/read"),
    ("GET", "/api/v1/epci"),
    ("GET", "/api/v1/diagnostics/modele.csv"),
    ("GET", "/api/v1/diagnostics/modele.xlsx"),
}


def luhn_siret(prefix: str) -> str:
    """A 14-digit SIRET starting with the 13 digits of `prefix`, with the key offers' own check accepts."""
    return next(siret for last in "0123456789" if siret_is_valid(siret := prefix + last))


@dataclass
class Org:
    """An organisation of the scenario, with what must never reach anyone it has not accepted."""

    id: str
    name: str
    email: str
    token: str
    siret: str | None = None
    secrets: list[str] = field(default_factory=list)  # exact quantities, descriptions, notes…
    animateur: dict[str, str] | None = None  # a collectivité acts through its animateur's browser once appointed

    @property
    def headers(self) -> dict[str, str]:
        return self.animateur or {"Authorization": f"Bearer {self.token}"}

    def private_strings(self) -> list[str]:
        """Name, contact email, SIRET and the other private strings (exact quantities, descriptions)."""
        return [s for s in (self.name, self.email, self.siret, *self.secrets) if s]


def register(
    client: httpx.Client, name: str, commune: str, email: str, *, kind: str = "company", siret: str | None = None
) -> Org:
    body: dict[str, Any] = {"name": name, "kind": kind, "commune": commune, "contact_email": email}
    if siret:
        body["siret"] = siret
    answer = client.post("/api/v1/organisations", json=body)
    assert answer.status_code == 201, answer.text
    return Org(id=answer.json()["id"], name=name, email=email, token=answer.json()["token"], siret=siret)


def publish(client: httpx.Client, org: Org, **listing: Any) -> str:
    answer = client.post("/api/v1/listings", headers=org.headers, json=listing)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def declare_territory(stack: Stack, client: httpx.Client, org: Org, name: str, communes: list[str]) -> str:
    """The territory `org` (a public body) animates, declared by its animateur (a user the platform appointed)
    and approved by the platform's team; returns its id."""
    user = animateur_of(stack, client, org.headers, f"animateur-{org.id[:8]}@{org.email.split('@')[1]}")
    org.animateur = user
    return str(declared_territory(stack, client, user, {"name": name, "communes": communes})["id"])


def match_between(client: httpx.Client, org: Org, listing_id: str, timeout: float = 30) -> str:
    """The id of the match proposed to `org` for its listing `listing_id`."""

    def found() -> str | None:
        for match in client.get("/api/v1/matches", headers=org.headers).json():
            if match["listing_id"] == listing_id:
                return match["id"]
        return None

    return str(wait_until(found, timeout=timeout))


def secret_key(stack: Stack) -> str:
    return stack.env.get("BOUCLE_SECRET_KEY") or DEV_SECRET


def messages_to(stack: Stack, email: str) -> list[dict]:
    """The full messages (subject, text, html) the stack's sink received for `email`."""
    sink = f"http://127.0.0.1:{stack.ports.mailbox}/api/messages"
    return [web.get(f"{sink}/{m['id']}", timeout=5).json() for m in mailbox(stack) if m["to"] == email]


def leaks(text: str, private: list[str]) -> list[str]:
    """Which of the `private` strings appear in `text` (case-insensitive; JSON escapes undone)."""
    with contextlib.suppress(ValueError):
        text = json.dumps(json.loads(text), ensure_ascii=False)
    lowered = text.lower()
    return [s for s in private if s.lower() in lowered]


# --- the services' OpenAPI documents ---------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    service: str
    method: str
    path: str
    spec: dict[str, Any]
    components: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def public(self) -> bool:
        return (self.method, self.path) in PUBLIC

    def parameters(self, where: str) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", []) if p["in"] == where]

    def required_query(self) -> dict[str, Any]:
        """A value for each required query parameter (`q` of an autocompletion…)."""
        return {
            p["name"]: synthesise(p.get("schema", {}), self.components)
            for p in self.parameters("query")
            if p.get("required")
        }

    @property
    def body_schema(self) -> dict[str, Any] | None:
        content = self.spec.get("requestBody", {}).get("content", {})
        return content.get("application/json", {}).get("schema")


def openapi(stack: Stack, service: str) -> dict[str, Any]:
    answer = web.get(f"{stack.url(service)}/openapi.json", timeout=10)
    assert answer.status_code == 200, f"{service}: no OpenAPI document ({answer.status_code})"
    return answer.json()


def operations(stack: Stack) -> list[Operation]:
    """Every operation of every service, as each service's OpenAPI document declares it."""
    found = []
    for service in SERVICES:
        doc = openapi(stack, service)
        components = doc.get("components", {}).get("schemas", {})
        for path, methods in doc["paths"].items():
            for method, spec in methods.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    found.append(Operation(service, method.upper(), path, spec, components))
    return found


def path_kinds(operation: Operation) -> list[tuple[str, str]]:
    """(parameter, kind of object) for each path parameter; fails loudly on a parameter nobody taught us."""
    kinds = []
    for parameter in operation.parameters("path"):
        kind = ID_PARAMETERS.get(parameter["name"])
        assert kind, (
            f"{operation.service} {operation.label}: path parameter « {parameter['name']} » unknown to "
            "tests/security/support.py ID_PARAMETERS — say which kind of object it names"
        )
        kinds.append((parameter["name"], kind))
    return kinds


def fill_path(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


# --- request bodies ------------------------------------------------------------------------------------
# Valid bodies (by schema name), so that a refusal proves the authorisation check and not a 422.
# A schema not listed here gets a body built from its JSON Schema (`synthesise`).


def sample_bodies(victims: dict[str, str]) -> dict[str, Any]:
    """Bodies that would succeed if the caller were allowed; `victims` names the parties to use."""
    return {
        "OrganisationCreate": {
            "name": "Organisation de passage",
            "kind": "company",
            "commune": "Dijon",
            "contact_email": "passage@example.fr",
        },
        "ListingCreate": {"kind": "need", "title": "Verre plat de fenêtres déposées"},
        "ListingUpdate": {"title": "Titre changé par un intrus"},
        "TerritoryCreate": {"name": "Territoire d'un intrus", "communes": ["21054"]},
        "PisteCreate": {
            "synergy_type": "substitution",
            "resource": "Piste d'un intrus",
            "parties": [victims["a"], victims["c"]],
        },
        "StageChange": {"stage": "abandoned", "reason": "other", "note": "abandon par un intrus"},
        "FlowIn": {"quantity": 9, "unit": "t", "period": "month", "start": "2025-01-01"},
        "ProspectCreate": {"name": "Prospect d'un intrus", "contacted_on": "2026-01-15"},
        "WorkshopCreate": {
            "title": "Atelier d'un intrus",
            "held_on": "2026-12-10",
            "participants": [victims["a"], victims["c"]],
        },
        "ProspectUpdate": {"notes": "modifié par un intrus"},
        "Changes": {"match_proposed": "off", "match_accepted": "off"},
        "TokenCreate": {"label": "Jeton d'un intrus"},
        "SiteCreate": {"name": "Site d'un intrus", "commune": "Dijon"},
        "SiteUpdate": {"name": "Site renommé par un intrus"},
        "UserInvite": {"name": "Collègue d'un intrus", "email": "collegue@intrus.example"},
        "RoleChange": {"role": "org_admin"},
        "PasswordChange": {"password": "un mot de passe d'intrus"},
    }


def schema_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else schema.get("title")


def synthesise(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A minimal value valid for `schema`: required properties only, lowest bounds, first choices."""
    if "$ref" in schema:
        return synthesise(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return synthesise(options[0], components)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type", "object")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: synthesise(properties[name], components) for name in schema.get("required", [])}
    if kind == "array":
        return [synthesise(schema.get("items", {}), components) for _ in range(schema.get("minItems", 0))]
    if kind == "string":
        if schema.get("format") == "date":
            return date.today().isoformat()
        if schema.get("format") == "email":
            return "intrus@example.fr"
        return "x" * max(schema.get("minLength", 1), 3)
    if kind in ("number", "integer"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        return low + 1 if "exclusiveMinimum" in schema else low
    if kind == "boolean":
        return True
    return None


def body_for(operation: Operation, samples: dict[str, Any]) -> tuple[Any, str]:
    """The JSON body to send and where it came from (`sample`, `synthesised` or `none`)."""
    schema = operation.body_schema
    if schema is None:
        return None, "none"
    name = schema_name(schema)
    if name in samples:
        return samples[name], "sample"
    return synthesise(schema, operation.components), "synthesised"
