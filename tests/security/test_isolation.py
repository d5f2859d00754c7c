"""Isolation of organisations through every route of every service (issue 6, item 2).

One scenario per stack (SQLite, then PostgreSQL), through the gateway and real services:

- A (Cartonnerie Alpha) posts an offer, a need, a share and a pool request and withdraws one more;
- C (Emballages Gamma) needs A's cardboard (match M1, left pending) and A's green waste (match M2,
  accepted by both: synergy S1, moved and given a flow by the animateur);
- D (a collectivité) animates the territory of A and C, opened a piste S2 between them,
  recorded a prospect and prepared a workshop of A and C;
- B (Bêta Industries) is the intruder: it has a listing and preferences of its own, and tries
  every operation of every service's OpenAPI document on A's, C's and D's objects.

Routes come from each service's `/openapi.json`; each test prints its table of route → expected
→ observed status, so coverage is visible in the output (`pytest -s`).
"""

from __future__ import annotations

import base64
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from shared.devstack import Stack
from shared.links import LinkSigner
from tests import web
from tests.conftest import signed_up, wait_until
from tests.e2e.test_synergies import CARDBOARD_FLOW, insee
from tests.security.support import (
    ID_PARAMETERS,
    Operation,
    Org,
    body_for,
    declare_territory,
    fill_path,
    leaks,
    luhn_siret,
    match_between,
    messages_to,
    operations,
    path_kinds,
    publish,
    register,
    sample_bodies,
    secret_key,
)


@pytest.fixture(scope="module")
def stack(own_stack: Stack) -> Stack:
    """A stack of this module's own: it checks what each organisation sees of everyone else's."""
    return own_stack


EXACT_QUANTITY = ("31.415", "31,415")  # A's cardboard per month: only « environ 30 t » may show


@dataclass
class Obj:
    kind: str
    id: str
    owner: Org  # who may read it (a party, the animateur for territory objects)
    note: str
    anonymised_read: bool = False  # others may GET it, anonymised (another's active listing)


@dataclass
class World:
    a: Org
    b: Org
    c: Org
    d: Org
    territory: str
    victims: list[Obj]  # A's, C's and D's objects
    private_ids: set[str]  # ids B must never see in a list
    c_before_acceptance: list[tuple[str, httpx.Response]] = field(default_factory=list)
    c_mail_before_acceptance: list[dict] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Obj]:
        return [o for o in self.victims if o.kind == kind]


def build_world(stack: Stack, client: httpx.Client) -> World:
    beaune, nuits = insee("Beaune"), insee("Nuits-Saint-Georges")
    d = register(client, "Communauté de communes Delta", "Beaune", "animation@delta.example", kind="public_body")
    territory = declare_territory(stack, client, d, "Territoire Delta", [beaune, nuits])
    a = register(
        client,
        "Cartonnerie Alpha",
        "Nuits-Saint-Georges",
        "direction@alpha-secret.example",
        siret=luhn_siret("8123456780001"),
    )
    a.secrets = [*EXACT_QUANTITY, "Description confidentielle d'Alpha"]
    c = register(client, "Emballages Gamma", "Beaune", "contact@gamma-secret.example")
    b = register(client, "Bêta Industries", "Dijon", "intrus@beta.example")

    cardboard = publish(
        client,
        a,
        kind="offer",
        title="Chutes de carton ondulé",
        category="carton",
        description="Description confidentielle d'Alpha",
        radius_km=40,
        quantity={"value": 31.415, "unit": "t"},
        frequency="monthly",
    )
    green = publish(client, a, kind="offer", title="Broyat de déchets verts", category="broyat vert")
    need = publish(client, a, kind="need", title="Sciure pour litière", category="bois")
    share = publish(client, a, kind="share", title="Presse à balles à partager")
    pool = publish(client, a, kind="pool", title="Collecte mutualisée des huiles usagées")
    withdrawn = publish(client, a, kind="offer", title="Fûts métalliques vides")
    assert client.delete(f"/api/v1/listings/{withdrawn}", headers=a.headers).status_code == 200
    c_cardboard = publish(client, c, kind="need", title="Carton pour calage", category="Cartons")
    c_mulch = publish(client, c, kind="need", title="Paillage pour maraîchage", category="broyat vert")
    publish(client, b, kind="need", title="Huile de friture usagée pour chaudière")
    assert (
        client.put("/api/v1/notifications/preferences", headers=b.headers, json={"match_proposed": "daily"}).status_code
        == 200
    )
    assert (
        client.put(
            "/api/v1/notifications/preferences", headers=a.headers, json={"match_proposed": "weekly"}
        ).status_code
        == 200
    )

    m1 = match_between(client, a, cardboard)  # stays pending
    m2 = match_between(client, a, green)
    assert match_between(client, c, c_cardboard) == m1 and match_between(client, c, c_mulch) == m2
    wait_until(lambda: len(messages_to(stack, c.email)) >= 2, timeout=30)  # C's two alerts

    world = World(a=a, b=b, c=c, d=d, territory=territory, victims=[], private_ids=set())
    # Until both accept, this is all C receives about A: every GET of every service (A's listings for
    # those naming a listing), recorded now and checked in a test below.
    for operation in operations(stack):
        if operation.method != "GET" or operation.public:
            continue
        kinds = [kind for _, kind in path_kinds(operation)]
        if kinds and kinds != ["listing"]:
            continue  # C has no synergy, territory… of A's to name yet
        for listing in (cardboard, green, need) if kinds else (None,):
            path = fill_path(operation.path, {name: listing for name, _ in path_kinds(operation)})
            answer = call(stack, operation, path, c.headers)
            world.c_before_acceptance.append((f"{operation.service} GET {path}", answer))
    world.c_mail_before_acceptance = messages_to(stack, c.email)

    for side in (a, c):
        assert client.post(f"/api/v1/matches/{m2}/accept", headers=side.headers).status_code == 200
    s1 = wait_until(lambda: client.get("/api/v1/synergies", headers=c.headers).json(), timeout=20)[0]["id"]  # type: ignore[index]
    for body in (
        {"stage": "studied"},
        {"stage": "contractualised", "note": "Note de contrat Alpha-Gamma", "flow": CARDBOARD_FLOW},
    ):
        assert client.post(f"/api/v1/synergies/{s1}/stage", headers=d.headers, json=body).status_code == 200
    flow = client.post(
        f"/api/v1/synergies/{s1}/flows",
        headers=a.headers,
        json={**CARDBOARD_FLOW, "start": "2026-01-01", "note": "Note de flux Alpha"},
    )
    assert flow.status_code == 201, flow.text
    piste = client.post(
        "/api/v1/synergies",
        headers=d.headers,
        json={
            "synergy_type": "mutualisation",
            "resource": "Presse à balles partagée",
            "parties": [a.id, c.id],
            "notes": "Notes d'atelier confidentielles",
        },
    )
    assert piste.status_code == 201, piste.text
    prospect = client.post(
        f"/api/v1/territories/{territory}/prospects",
        headers=d.headers,
        json={"name": "Prospect confidentiel Epsilon", "contacted_on": "2026-01-15"},
    )
    assert prospect.status_code == 201, prospect.text
    workshop = client.post(
        f"/api/v1/territories/{territory}/workshops",
        headers=d.headers,
        json={"title": "Atelier confidentiel Delta", "held_on": "2026-12-10", "participants": [a.id, c.id]},
    )
    assert workshop.status_code == 201, workshop.text

    # A's second API token and an invited colleague: objects of the accounts' routes.
    token = client.post("/api/v1/organisations/me/tokens", headers=a.headers, json={"label": "Jeton de la compta"})
    assert token.status_code == 201, token.text
    colleague = client.post(
        "/api/v1/organisations/me/users",
        headers=a.headers,
        json={"name": "Collègue d'Alpha", "email": "collegue@alpha-secret.example"},
    )
    assert colleague.status_code == 201, colleague.text
    site = client.post(
        "/api/v1/organisations/me/sites",
        headers=a.headers,
        json={"name": "Dépôt confidentiel Alpha", "commune": "Chagny", "postcode": "71150", "siret": "73282932000082"},
    )
    assert site.status_code == 201, site.text

    # E, a collectivité, asks for the animateur role: an object of the platform team's routes.
    mairie = {
        "name": "Mairie Epsilon",
        "kind": "public_body",
        "commune": "Beaune",
        "contact_email": "mairie@epsilon.example",
    }
    e_cookie = {"Cookie": "boucle_session=" + signed_up(stack, client, mairie, "Eva Epsilon", "eva@epsilon.example")}
    e_session = client.get("/api/v1/session", headers=e_cookie).json()
    e = Org(
        id=e_session["organisation"]["id"],
        name="Mairie Epsilon",
        email="mairie@epsilon.example",
        token="",
        animateur={**e_cookie, "X-CSRF-Token": e_session["csrf_token"]},
    )
    asked = client.post("/api/v1/role-requests", headers=e.headers, json={"role": "animateur"})
    assert asked.status_code == 201, asked.text

    notes_of = {}
    for org in (a, c):
        notes_of[org.id] = wait_until(
            lambda org=org: client.get("/api/v1/notifications", headers=org.headers).json(), timeout=20
        )
    assert client.post(f"/api/v1/notifications/{notes_of[a.id][-1]['id']}/read", headers=a.headers).status_code == 200

    world.victims = [
        Obj("listing", cardboard, a, "A's offer (active)", anonymised_read=True),
        Obj("listing", need, a, "A's need (active)", anonymised_read=True),
        Obj("listing", share, a, "A's share (active)", anonymised_read=True),
        Obj("listing", pool, a, "A's pool request (active)", anonymised_read=True),
        Obj("listing", withdrawn, a, "A's withdrawn offer"),
        Obj("listing", c_cardboard, c, "C's need (active)", anonymised_read=True),
        Obj("match", m1, a, "A–C match, pending"),
        Obj("match", m2, a, "A–C match, accepted"),
        Obj("synergy", s1, a, "A–C synergy with a flow"),
        Obj("synergy", piste.json()["id"], a, "D's piste between A and C"),
        Obj("flow", flow.json()["flows"][-1]["flow_id"], a, "A's flow on the A–C synergy"),
        Obj("territory", territory, d, "D's territory"),
        Obj("token", token.json()["id"], a, "A's second API token"),
        Obj("user", colleague.json()["id"], a, "A's invited colleague"),
        Obj("site", site.json()["id"], a, "A's second site"),
        Obj("prospect", prospect.json()["prospect_id"], d, "D's prospect"),
        Obj("workshop", workshop.json()["id"], d, "D's workshop of A and C"),
        Obj("role_request", asked.json()["id"], e, "E's request for the animateur role"),
        *(Obj("notification", n["id"], org, "notification") for org in (a, c) for n in notes_of[org.id][:2]),
    ]
    a.secrets += [
        "Collègue d'Alpha",
        "collegue@alpha-secret.example",
        "Jeton de la compta",
        "Dépôt confidentiel Alpha",
        "Note de flux Alpha",
        "Note de contrat Alpha-Gamma",
        "Notes d'atelier confidentielles",
    ]
    d.secrets = ["Prospect confidentiel Epsilon", "eva@epsilon.example", "Atelier confidentiel Delta"]
    world.private_ids = {o.id for o in world.victims if not o.anonymised_read} | {a.id, c.id, d.id}
    return world


@pytest.fixture(scope="module")
def world(stack: Stack) -> World:
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        return build_world(stack, client)


@pytest.fixture(scope="module")
def ops(stack: Stack) -> list[Operation]:
    found = operations(stack)
    assert len(found) > 20, found  # four services, each with its routes
    return found


class Table:
    """Route → expected → observed, printed at the end of each test (run with -s to read it)."""

    def __init__(self, title: str):
        self.title = title
        self.rows: list[tuple[str, ...]] = []
        self.failures: list[str] = []

    def add(self, service: str, label: str, case: str, expected: str, observed: int, problem: str | None) -> None:
        self.rows.append((service, label, case, expected, str(observed), "FAIL: " + problem if problem else "ok"))
        if problem:
            self.failures.append(f"{service} {label} [{case}] expected {expected}, got {observed}: {problem}")

    def print_and_check(self) -> None:
        widths = [max(len(r[i]) for r in self.rows) for i in range(5)]
        print(f"\n{self.title} ({len(self.rows)} calls)")
        for row in self.rows:
            print("  " + "  ".join(cell.ljust(widths[i]) if i < 5 else cell for i, cell in enumerate(row)))
        assert not self.failures, "\n".join(self.failures)


def call(
    stack: Stack,
    operation: Operation,
    path: str,
    headers: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    body: Any = None,
) -> httpx.Response:
    return web.request(
        operation.method,
        f"{stack.url(operation.service)}{path}",
        headers=headers or {},
        params={**operation.required_query(), **(params or {})},
        json=body,
        timeout=30,
    )


def first_objects(world: World, operation: Operation) -> dict[str, str]:
    return {name: world.of_kind(kind)[0].id for name, kind in path_kinds(operation)}


def expired_token(stack: Stack, org: Org) -> str:
    """A token signed with the platform key, for A, whose signature date is a year old."""

    class YearOld(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 365 * 24 * 3600

    return URLSafeTimedSerializer(secret_key(stack), salt="match-response", signer=YearOld).dumps({"o": org.id})


def test_every_route_refuses_a_missing_forged_or_expired_token(
    stack: Stack, world: World, ops: list[Operation]
) -> None:
    a = world.a
    tampered = a.token[:-2] + ("AA" if not a.token.endswith("AA") else "BB")
    credentials = {
        "no token": {},
        "forged token": {"Authorization": f"Bearer {secrets.token_urlsafe(32)}"},
        "A's token altered": {"Authorization": f"Bearer {tampered}"},
        "expired signed token": {"Authorization": f"Bearer {expired_token(stack, a)}"},
        "A's token, Basic scheme": {
            "Authorization": "Basic " + base64.b64encode(f"{a.id}:{a.token}".encode()).decode()
        },
        "Bearer without token": {"Authorization": "Bearer"},
    }
    samples = sample_bodies({"a": a.id, "c": world.c.id})
    table = Table("Without a valid token")
    for operation in ops:
        path = fill_path(operation.path, first_objects(world, operation))
        body, _ = body_for(operation, samples)
        for case, headers in credentials.items():
            if operation.public and operation.method != "GET":
                continue  # registering needs no token: nothing to refuse (checked below for leaks)
            answer = call(
                stack, operation, path, headers, params={"token": a.token} if case == "no token" else None, body=body
            )
            problem = None
            if operation.public:
                expected = "200, no private data"
                if answer.status_code >= 500 or leaks(answer.text, [*a.private_strings(), *world.private_ids]):
                    problem = f"public route leaks or fails: {answer.text[:200]}"
            else:
                expected = "401"
                if answer.status_code != 401:
                    problem = answer.text[:200]
                elif leaks(answer.text, a.private_strings()):
                    problem = "401 body names A"
            table.add(operation.service, operation.label, case, expected, answer.status_code, problem)
    table.print_and_check()


def snapshot(client: httpx.Client, world: World) -> dict[str, Any]:
    """What B might try to change: A's and C's listings, matches, notifications, preferences; synergies;
    D's territory and prospects (through the funnel's count)."""
    state: dict[str, Any] = {}
    for org in (world.a, world.c):
        state[f"{org.name} listings"] = sorted(
            (x["id"], x["status"], x["revision"], x["title"], str(x["expires_at"]))
            for x in client.get("/api/v1/listings", headers=org.headers, params={"mine": "true"}).json()
        )
        state[f"{org.name} matches"] = sorted(
            (m["id"], m["status"], m["my_response"]) for m in client.get("/api/v1/matches", headers=org.headers).json()
        )
        state[f"{org.name} read"] = sorted(
            (n["id"], n["read"])
            for n in client.get("/api/v1/notifications", headers=org.headers).json()
            if n["id"] in {o.id for o in world.of_kind("notification")}
        )
        state[f"{org.name} preferences"] = client.get("/api/v1/notifications/preferences", headers=org.headers).json()
    for synergy in world.of_kind("synergy"):
        got = client.get(f"/api/v1/synergies/{synergy.id}", headers=world.a.headers).json()
        state[f"synergy {synergy.note}"] = (
            got["stage"],
            len(got["history"]),
            got["resource"],
            got["notes"],
            [(f["flow_id"], f.get("revision", 1), f["quantity"]) for f in got["flows"]],
        )
    state["A's tokens"] = client.get("/api/v1/organisations/me/tokens", headers=world.a.headers).json()
    state["A's users"] = client.get("/api/v1/organisations/me/users", headers=world.a.headers).json()
    state["territories of D"] = client.get("/api/v1/territories", headers=world.d.headers).json()
    funnel = client.get("/api/v1/reports/funnel", headers=world.d.headers, params={"territory": world.territory})
    state["funnel"] = funnel.json()["steps"][0]
    return state


def test_b_can_neither_read_nor_change_what_is_not_its_own(stack: Stack, world: World, ops: list[Operation]) -> None:
    b = world.b
    samples = sample_bodies({"a": world.a.id, "c": world.c.id})
    private = [*world.a.private_strings(), *world.c.private_strings(), *world.d.private_strings()]
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        before = snapshot(client, world)
    table = Table("B on A's, C's and D's objects")
    for operation in ops:
        kinds = path_kinds(operation)
        if not kinds:
            continue
        body, origin = body_for(operation, samples)
        for combination in itertools.product(*(world.of_kind(kind) for _, kind in kinds)):
            path = fill_path(operation.path, {name: obj.id for (name, _), obj in zip(kinds, combination, strict=True)})
            target = combination[-1]
            # Control: the owner reads it (so a 404 to B proves a refusal, not a wrong id).
            if operation.method == "GET":
                own = call(stack, operation, path, target.owner.headers)
                table.add(
                    operation.service,
                    operation.label,
                    f"owner, {target.note}",
                    "200",
                    own.status_code,
                    None if own.status_code == 200 else own.text[:200],
                )
            answer = call(stack, operation, path, b.headers, body=body)
            anonymised_ok = operation.method == "GET" and target.anonymised_read
            expected = "200 anonymised" if anonymised_ok else "403/404"
            problem = None
            if answer.status_code >= 500:
                problem = f"server error {answer.text[:200]}"
            elif answer.status_code in (403, 404):
                if leaks(answer.text, private):
                    problem = f"refusal names a private value: {answer.text[:200]}"
            elif anonymised_ok and answer.status_code == 200:
                shown = answer.json()
                found = leaks(answer.text, [*private, target.owner.id])
                extra = {"organisation_id", "description", "quantity", "radius_km"} & set(shown)
                if found or extra:
                    problem = f"not anonymised: {found} {sorted(extra)}"
            else:
                problem = f"B got {answer.status_code} on {target.note} (body: {origin}): {answer.text[:200]}"
            table.add(operation.service, operation.label, f"B, {target.note}", expected, answer.status_code, problem)
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        after = snapshot(client, world)
    table.print_and_check()
    assert after == before, "B changed what is not its own"


def query_variants(world: World, operation: Operation) -> list[tuple[str, dict[str, Any]]]:
    """No query; then each query parameter naming an object set to a victim's id; each boolean set to true."""
    variants: list[tuple[str, dict[str, Any]]] = [("no query", {})]
    for parameter in operation.parameters("query"):
        kind = ID_PARAMETERS.get(parameter["name"])
        schema = parameter.get("schema", {})
        types = {s.get("type") for s in schema.get("anyOf", [schema])}
        if kind:
            variants += [(f"{parameter['name']}={o.note}", {parameter["name"]: o.id}) for o in world.of_kind(kind)]
        elif "boolean" in types:
            variants.append((f"{parameter['name']}=true", {parameter["name"]: "true"}))
    return variants


def test_lists_and_creations_of_b_hold_nothing_of_others(stack: Stack, world: World, ops: list[Operation]) -> None:
    b = world.b
    samples = sample_bodies({"a": world.a.id, "c": world.c.id})
    private = [*world.a.private_strings(), *world.c.private_strings(), *world.d.private_strings()]
    table = Table("B's own lists and creations")
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        before = snapshot(client, world)
    for operation in ops:
        if path_kinds(operation) or operation.public:
            continue
        if operation.method == "GET":
            for case, params in query_variants(world, operation):
                answer = call(stack, operation, operation.path, b.headers, params=params)
                problem = None
                expected = "200 without others' data" if case == "no query" else "200 without others' data, 403/404"
                # 401: the cookie session's own routes (GET /session) know no bearer token.
                if answer.status_code >= 500 or (case == "no query" and answer.status_code not in (200, 401, 403)):
                    problem = answer.text[:200]
                # Others' active listings may show, anonymised (id, kind, title, commune, band): not the rest.
                elif answer.status_code == 200 and (found := leaks(answer.text, [*private, *world.private_ids])):
                    problem = f"shows {found}"
                table.add(operation.service, operation.label, f"B, {case}", expected, answer.status_code, problem)
        else:
            body, origin = body_for(operation, samples)
            answer = call(stack, operation, operation.path, b.headers, body=body)
            problem = None
            if answer.status_code >= 500:
                problem = answer.text[:200]
            elif leaks(answer.text, [*private, *(i for i in world.private_ids if i not in (world.a.id, world.c.id))]):
                problem = f"answer shows others' data: {answer.text[:200]}"
            table.add(
                operation.service,
                operation.label,
                f"B, own ({origin} body)",
                "<500, nothing of others",
                answer.status_code,
                problem,
            )
    # B's own list shows B's listing: the lists above were not empty by accident.
    with httpx.Client(base_url=stack.url("gateway"), timeout=30) as client:
        mine = client.get("/api/v1/listings", headers=b.headers, params={"mine": "true"}).json()
        assert {x["title"] for x in mine} >= {"Huile de friture usagée pour chaudière"}
        after = snapshot(client, world)
    table.print_and_check()
    assert after == before, "B's own calls changed others' data"


def test_until_both_accept_c_sees_only_resource_band_commune_and_distance(world: World) -> None:
    a = world.a
    private = [*a.private_strings(), a.id]
    table = Table("C before accepting A's match")
    for route, answer in world.c_before_acceptance:
        # 403: reports, C animates no territory; 401: the cookie session's routes know no bearer token.
        problem = None if answer.status_code in (200, 401, 403) else answer.text[:200]
        if found := leaks(answer.text, private):
            problem = f"C sees {found}"
        service, label = route.split(" ", 1)
        table.add(service, label, "C", "200/401/403, anonymised", answer.status_code, problem)
    for message in world.c_mail_before_acceptance:
        found = leaks(message["text"] + message["html"] + message["subject"], a.private_strings())
        table.add("mail", message["subject"][:60], "C's alert", "no A data", 250, f"shows {found}" if found else None)
    table.print_and_check()
    matches = dict(world.c_before_acceptance)["matching GET /api/v1/matches"].json()
    counterparts = [m["counterpart"] for m in matches]
    assert len(counterparts) >= 2  # A's cardboard for C's cardboard (and mulch), A's green waste for C's mulch
    for counterpart in counterparts:
        assert set(counterpart) == {
            "kind",
            "title",
            "commune",
            "quantity_approx",
            "distance_km",
            "terms",
            "transport_by",
            "transport_means",  # who carries: said, like the terms
            "description",
            "quantity",
            "price",
        }
        assert counterpart["description"] is None and counterpart["quantity"] is None  # shown once both accept
        assert counterpart["price"] is None
        assert counterpart["commune"] == "Nuits-Saint-Georges"
    cardboard = next(c for c in counterparts if c["title"] == "Chutes de carton ondulé")
    assert cardboard["quantity_approx"] == "environ 30 t par mois"
    listing = dict(world.c_before_acceptance)[f"offers GET /api/v1/listings/{world.victims[0].id}"].json()
    assert listing["quantity_approx"].startswith("environ 30 t") and "description" not in listing
    assert len(world.c_mail_before_acceptance) >= 2


def tamper(token: str, other: str) -> str:
    """`token`'s timestamp and signature on `other`'s payload (a compressed payload starts with a dot)."""
    return ".".join([other.rsplit(".", 2)[0], *token.rsplit(".", 2)[1:]])


def test_signed_links_act_only_on_the_object_they_were_signed_for(stack: Stack, world: World) -> None:
    signer = LinkSigner(secret_key(stack))
    a, b, d = world.a, world.b, world.d
    m1 = next(o.id for o in world.of_kind("match") if "pending" in o.note)
    cardboard = world.victims[0].id
    b_listing = None
    table = Table("Signed links")
    with httpx.Client(base_url=stack.url("gateway"), timeout=60) as client:
        b_listing = client.get("/api/v1/listings", headers=b.headers, params={"mine": "true"}).json()[0]["id"]
        before = snapshot(client, world)
        foreign = [
            ("reponse", signer.sign("match-response", m=m1, o=b.id), "B's link on A's match", 404, "accept"),
            ("annonce", signer.sign("listing-renewal", l=cardboard, o=b.id), "B's link on A's listing", 404, "close"),
            ("annonce", signer.sign("listing-renewal", l=b_listing, o=a.id), "A's link on B's listing", 404, "close"),
            ("tableau", signer.sign("dashboard", t=world.territory, o=b.id), "B's link on D's territory", 403, None),
            ("reponse", signer.sign("listing-renewal", m=m1, o=a.id), "A's link, another purpose", 400, "accept"),
            (
                "reponse",
                tamper(signer.sign("match-response", m="x", o=b.id), signer.sign("match-response", m=m1, o=a.id)),
                "B's signature on A's claims",
                400,
                "accept",
            ),
            (
                "annonce",
                tamper(
                    signer.sign("listing-renewal", l=b_listing, o=b.id),
                    signer.sign("listing-renewal", l=cardboard, o=a.id),
                ),
                "B's signature on A's claims",
                400,
                "close",
            ),
            (
                "tableau",
                tamper(signer.sign("dashboard", t="x", o=b.id), signer.sign("dashboard", t=world.territory, o=d.id)),
                "B's signature on D's claims",
                400,
                None,
            ),
            (
                "desabonnement",
                tamper(signer.sign("unsubscribe", o=b.id), signer.sign("unsubscribe", o=a.id)),
                "B's signature on A's claims",
                400,
                "unsubscribe",
            ),
        ]
        private = [*a.private_strings(), *d.private_strings(), *world.c.private_strings()]
        for kind, token, case, expected, action in foreign:
            paths = [f"/liens/{kind}/{token}"]
            if kind == "tableau":
                paths += [
                    f"/liens/{kind}/{token}/export.csv",
                    f"/liens/{kind}/{token}/rapport",
                    f"/liens/{kind}/{token}/rapport.pdf",
                ]
            for path in paths:
                answers = [("GET", client.get(path))]
                if action:
                    answers.append(("POST", client.post(path, data={"action": action})))
                for method, answer in answers:
                    problem = None
                    if answer.status_code != expected:
                        problem = answer.text[:200]
                    elif found := leaks(answer.text, private):
                        problem = f"shows {found}"
                    label = f"{method} /liens/{kind}/…{path.split(token)[1]}"
                    table.add("gateway", label, case, str(expected), answer.status_code, problem)
        after = snapshot(client, world)
    table.print_and_check()
    assert after == before, "a foreign or tampered link changed something"
