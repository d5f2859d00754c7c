"""Schemathesis against each service's own OpenAPI document, on the live stack (issue 6, item 6).

Every operation of every service gets generated input (schemathesis' examples, coverage and fuzzing
phases; seeded, so a run is reproducible) with a valid bearer token of a collectivité that animates
a territory, twice: with path parameters as generated (unknown ids), then pinned to the caller's own
listing, territory, prospect and synergy, so that bodies reach the code behind the lookups (fuzzing only:
the coverage phase's boundary values test validation, which comes before the lookup).

Checks, on every response:
- no 5xx, whatever the input (`not_a_server_error`);
- the status code is one the operation documents (`status_code_conformance`), and input that breaks
  the schema is refused with a 4xx (`negative_data_rejection`, `missing_required_header`);
- content type, headers and body conform to the documented response (`content_type_conformance`,
  `response_headers_conformance`, `response_schema_conformance`).

Not checked: `positive_data_acceptance` (schema-valid input may still break a rule the JSON Schema
cannot say — an INSEE code that names no commune, a unit we do not know, « epci » or « communes » —
and 404 for an unknown id is right), the OPTIONS/405 `Allow` header (`unsupported_method`,
`allow_header_conformance`: Starlette lists one route's methods, reported), and the stateful phase
(DELETE withdraws a listing, which its owner still reads: not a « use after free »).

The generated runs are in `test_schemathesis_generated.py`, on a stack of their own (they take minutes:
beside the run's shared stacks, they go on the other worker); the targeted checks below use this module's
world on the shared stacks.

Bugs these runs found in offers (an offset beyond 64 bits, a null title, a NUL in an id: 500s;
undocumented 4xx) are fixed; each keeps a regression test of its own below. `KNOWN` lists the
known bugs left out of the generated runs (none today).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.engine import Status, events

from shared.devstack import Stack
from tests import web
from tests.conftest import wait_until
from tests.e2e.test_synergies import insee
from tests.security.support import Org, declare_territory, operations, publish, register

SEED = 20260611
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)


@pytest.fixture(scope="module", autouse=True)
def hypothesis_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Hypothesis' caches in the test's temporary directory, not a `.hypothesis/` in the work tree."""
    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))


@dataclass
class FuzzWorld:
    caller: Org
    objects: dict[str, str]  # path parameter → one of the caller's own objects


@pytest.fixture(scope="module")
def fuzz_world(stack: Stack) -> FuzzWorld:
    return build_world(stack)


def build_world(stack: Stack) -> FuzzWorld:
    """The caller (a collectivité animating a territory) and its own objects, on `stack`."""
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        caller = register(client, "Communauté de communes Zêta", "Beaune", "animation@zeta.example", kind="public_body")
        territory = declare_territory(stack, client, caller, "Territoire Zêta", [insee("Beaune")])
        company = register(client, "Menuiserie Êta", "Beaune", "contact@eta.example")
        listing = publish(
            client,
            caller,
            kind="offer",
            title="Compost de déchets verts",
            category="compost",
            quantity={"value": 12, "unit": "t"},
            frequency="yearly",
        )
        publish(client, company, kind="need", title="Amendement organique", category="compost")
        piste = wait_until(
            lambda: (
                (
                    r := client.post(
                        "/api/v1/synergies",
                        headers=caller.headers,
                        json={"synergy_type": "substitution", "resource": "Compost", "parties": [company.id]},
                    )
                ).status_code
                == 201
                and r
            ),
            timeout=20,
        )  # 422 until reporting has heard of the company
        assert isinstance(piste, httpx.Response)
        prospect = client.post(
            f"/api/v1/territories/{territory}/prospects",
            headers=caller.headers,
            json={"name": "Garage Thêta", "contacted_on": "2026-01-15"},
        )
        assert prospect.status_code == 201, prospect.text
    # Fuzzed with the collectivité's API token, not its animateur's session (a generated `DELETE /session`
    # would log the rest of the run out): the territory's routes answer it their documented 403.
    caller.animateur = None
    return FuzzWorld(
        caller,
        {
            "listing_id": listing,
            "territory_id": territory,
            "synergy_id": piste.json()["id"],
            "prospect_id": prospect.json()["prospect_id"],
        },
    )


def load(stack: Stack, world: FuzzWorld, service: str, *, pinned: bool) -> Any:
    """The service's schema, configured: seed, checks, the caller's token, pinned ids if asked."""
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "cache": {"enabled": False},
            "generation": {"max-examples": 25, "deterministic": True, "database": "none"},
            # With the caller's own ids, fuzzing reaches the code behind the lookups; the coverage phase's
            # boundary values are about validation, which the run with generated ids already covers.
            "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": not pinned}},
            # Correcting a flow takes the body of recording one (FlowIn), whose boundaries the coverage phase walks on
            # `POST …/flows`: the correction is fuzzed, not walked again (about 290 cases, 16 s).
            "operations": [
                {
                    "include-path": "/api/v1/synergies/{synergy_id}/flows/{flow_id}",
                    "include-method": "PUT",
                    "phases": {"coverage": {"enabled": False}},
                }
            ],
            "checks": {
                "enabled": False,
                **{
                    name: {"enabled": True}
                    for name in CHECKS
                    if not (service in UNDOCUMENTED_ERRORS and name == "status_code_conformance")
                },
            },
            "headers": world.caller.headers,
            "parameters": {f"path.{name}": value for name, value in world.objects.items()} if pinned else {},
        }
    )
    schema = schemathesis.openapi.from_url(f"{stack.url(service)}/openapi.json", config=config)
    known = [applies for service_of, _, applies in KNOWN if service_of == service]

    def filter_case(ctx: Any, case: Any) -> bool:
        """Leave out what only reproduces a known bug (each has its own test below)."""
        return not any(applies(case) for applies in known)

    schema.hook(filter_case)
    return schema


# Known bugs left out of the generated runs: (service, bug, which cases reproduce it); each with its own test.
KNOWN: list[tuple[str, str, Any]] = []
# Services whose status codes are not checked against their OpenAPI (none: every service documents its 4xx).
UNDOCUMENTED_ERRORS: set[str] = set()


def run(schema: Any) -> tuple[dict[str, int], list[str]]:
    """Schemathesis' engine on `schema`: the cases tried per operation, and each failure with how to replay it."""
    tried: dict[str, int] = {}
    failures: list[str] = []
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            tried[recorder.label] = tried.get(recorder.label, 0) + len(recorder.cases)
            for nodes in recorder.checks.values():
                for node in nodes:
                    if node.status == Status.FAILURE and node.failure_info is not None:
                        failure = node.failure_info.failure
                        failures.append(
                            f"{recorder.label} [{event.phase.value}] {node.name}: {failure.title}\n"
                            f"    {failure.message.strip()[:300]}\n    {node.failure_info.code_sample}"
                        )
        elif isinstance(event, events.NonFatalError):
            failures.append(f"{event.label}: error {event.info.title}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            raise event.exception
    return tried, failures


# --- regressions: bugs of offers these runs found, now fixed ---


def test_offers_refuses_an_offset_beyond_64_bits(stack: Stack, fuzz_world: FuzzWorld) -> None:
    answer = web.get(
        f"{stack.url('offers')}/api/v1/listings", headers=fuzz_world.caller.headers, params={"offset": 2**70}
    )
    assert answer.status_code == 422, answer.text


def test_offers_refuses_a_null_title(stack: Stack, fuzz_world: FuzzWorld) -> None:
    answer = web.patch(
        f"{stack.url('offers')}/api/v1/listings/{fuzz_world.objects['listing_id']}",
        headers=fuzz_world.caller.headers,
        json={"title": None},
    )
    assert answer.status_code == 422, answer.text


def test_offers_documents_the_errors_it_answers(stack: Stack, fuzz_world: FuzzWorld) -> None:
    doc = web.get(f"{stack.url('offers')}/openapi.json").json()["paths"]
    base, headers = stack.url("offers"), fuzz_world.caller.headers
    withdrawn = web.post(f"{base}/api/v1/listings", headers=headers, json={"kind": "need", "title": "Bidons"})
    web.delete(f"{base}/api/v1/listings/{withdrawn.json()['id']}", headers=headers)
    seen = {
        ("/api/v1/listings", "post"): web.post(
            f"{base}/api/v1/listings", headers={**headers, "content-type": "application/json"}, content=b"\xff\xfe"
        ).status_code,
        ("/api/v1/organisations/me", "get"): web.get(f"{base}/api/v1/organisations/me").status_code,
        ("/api/v1/listings/{listing_id}", "get"): web.get(f"{base}/api/v1/listings/nope", headers=headers).status_code,
        ("/api/v1/listings/{listing_id}/renew", "post"): web.post(
            f"{base}/api/v1/listings/{withdrawn.json()['id']}/renew", headers=headers
        ).status_code,
    }
    bad_body = seen.pop(("/api/v1/listings", "post"))
    assert bad_body in (400, 422) and sorted(seen.values()) == [401, 404, 409]
    seen[("/api/v1/listings", "post")] = bad_body
    undocumented = {
        route: status for route, status in seen.items() if str(status) not in doc[route[0]][route[1]]["responses"]
    }
    assert not undocumented, undocumented


def operations_of(stack: Stack, service: str) -> list[Any]:
    return [o for o in operations(stack) if o.service == service]


@pytest.mark.parametrize("service", ["offers", "matching", "notifications", "reporting"])
def test_a_nul_character_in_an_id_or_a_query_is_a_4xx(stack: Stack, fuzz_world: FuzzWorld, service: str) -> None:
    """PostgreSQL refuses NUL in text: an id or a query value holding one must not reach it as a query (500)."""
    answers = {}
    for operation in operations_of(stack, service):
        path = re.sub(r"\{\w+\}", "%00", operation.path)
        params = {p["name"]: "\x00" for p in operation.parameters("query")}
        if path == operation.path and not params:
            continue
        answer = web.request(
            operation.method,
            f"{stack.url(service)}{path}",
            params=params,
            headers=fuzz_world.caller.headers,
            json=None,
            timeout=30,
        )
        answers[operation.label] = answer.status_code
    print(f"\n{service}: {answers}")
    assert answers and all(status < 500 for status in answers.values()), answers
