"""A rehearsal of the production path on this machine (issue 19, point 8): every process in production mode with
real secrets and the settings of deploy/k8s/config.yaml, on PostgreSQL, behind a reverse proxy that terminates
nothing but forwards the client's address, as an ingress does.

What differs from a cluster, and why: the broker is the embedded stand-in, one node (so one replica per topic,
not deploy's three, and its 2 s consumer session); mail goes to the stack's SMTP sink, in clear; the public URL
is deploy's own (links and cookies as in production), but the proxy listens on loopback over http; clients are
told apart by their loopback source address (127.0.0.2, 127.0.0.3), which the proxy forwards as public
addresses (203.0.113.2, 203.0.113.3).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shared.devstack import Stack
from tests.conftest import Databases, make_stack, served, signed_up, wait_until

DEPLOY_CONFIG = Path(__file__).parents[2] / "deploy" / "k8s" / "config.yaml"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length"}
WRONG = "pas le bon mot de passe"


def production_env() -> dict[str, str]:
    """deploy's ConfigMap, with real secrets, less what names the cluster's own machines."""
    [config] = [doc for doc in yaml.safe_load_all(DEPLOY_CONFIG.read_text()) if doc["kind"] == "ConfigMap"]
    elsewhere = {
        "KAFKA_BOOTSTRAP_SERVERS",
        "KAFKA_REPLICATION_FACTOR",
        "KAFKA_MIN_INSYNC_REPLICAS",
        "SMTP_HOST",
        "SMTP_PORT",
        "SMTP_STARTTLS",
        "FORWARDED_ALLOW_IPS",
        "OFFERS_URL",
        "MATCHING_URL",
        "NOTIFICATIONS_URL",
        "REPORTING_URL",
    }
    env = {name: str(value) for name, value in config["data"].items() if name not in elsewhere}
    assert env["BOUCLE_ENV"] == "production" and env["NOTIFICATIONS_MAILER"] == "process"
    return {
        **env,
        "FORWARDED_ALLOW_IPS": "127.0.0.1",  # the proxy, and no one else
        "PASSWORD_HASH_MEMORY_KIB": "65536",
        "PASSWORD_HASH_TIME_COST": "3",  # argon2 at its production cost
        **{
            name: secrets.token_hex(32)
            for name in ("BOUCLE_SECRET_KEY", "BOUCLE_ACCOUNT_LINK_SECRET", "BOUCLE_INTERNAL_TOKEN")
        },
    }


def forwarding_proxy(upstream: str) -> Starlette:
    """A reverse proxy as an ingress is: the request on to `upstream`, the client's address added to
    X-Forwarded-For (after whatever the client claimed), X-Forwarded-Proto https."""
    client = httpx.AsyncClient(base_url=upstream, timeout=30)

    async def forward(request: Request) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        claimed = request.headers.get("x-forwarded-for")
        # Each loopback client stands for a machine on the Internet: 127.0.0.N is forwarded as 203.0.113.N (offers
        # throttles per address only beyond loopback, where the gateway itself calls from).
        peer = (request.client.host if request.client else "127.0.0.0").replace("127.0.0.", "203.0.113.", 1)
        headers["x-forwarded-for"] = f"{claimed}, {peer}" if claimed else peer
        headers["x-forwarded-proto"] = "https"
        answer = await client.request(
            request.method, request.url.path, params=request.query_params, headers=headers, content=await request.body()
        )
        relayed = Response(answer.content, status_code=answer.status_code)
        for name, value in answer.headers.multi_items():
            if name.lower() not in HOP_BY_HOP | {"content-encoding"}:
                relayed.headers.append(name, value)
        return relayed

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)])


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory, databases: Databases) -> Iterator[tuple[Stack, str]]:
    stack = make_stack(tmp_path_factory.mktemp("production"), databases, "postgresql", **production_env())
    try:
        stack.start()
        stack.wait_healthy(consumers_joined=True)
        with served(forwarding_proxy(stack.url("gateway"))) as proxy:
            yield stack, proxy
    finally:
        stack.stop()


def client_at(proxy: str, source: str) -> httpx.Client:
    """A browser on the machine `source` (a loopback address of its own), through the proxy."""
    return httpx.Client(base_url=proxy, timeout=30, transport=httpx.HTTPTransport(local_address=source))


def test_logins_are_throttled_per_real_client_behind_the_proxy(production: tuple[Stack, str]) -> None:
    stack, proxy = production
    with client_at(proxy, "127.0.0.2") as alice, client_at(proxy, "127.0.0.3") as mallory:
        signed_up(
            stack,
            alice,
            {
                "name": "Scierie Roux",
                "kind": "company",
                "commune": "Dole",
                "postcode": "39100",
                "contact_email": "contact@roux.example",
            },
            "Alice Roux",
            "alice@roux.example",
        )
        # Mallory guesses at other accounts, posing as Alice's address: the proxy adds Mallory's own.
        for i in range(5):
            guess = mallory.post(
                "/api/v1/session",
                headers={"X-Forwarded-For": "203.0.113.2"},
                json={"email": f"personne{i}@roux.example", "password": WRONG},
            )
            assert guess.status_code == 401, guess.text
        blocked = mallory.post("/api/v1/session", json={"email": "alice@roux.example", "password": WRONG})
        assert blocked.status_code == 429 and "réessayez" in blocked.json()["detail"]
        # Alice, from her own machine, is not locked out by what Mallory did.
        mine = alice.post("/api/v1/session", json={"email": "alice@roux.example", "password": "un mot de passe solide"})
        assert mine.status_code == 200, mine.text
        assert "Secure" in mine.headers["set-cookie"]  # deploy's public URL is https


def test_a_service_down_leaves_the_site_ready_and_its_other_pages_served(production: tuple[Stack, str]) -> None:
    stack, proxy = production
    stack.stop_process("matching")
    try:
        assert httpx.get(f"{stack.url('gateway')}/readyz").status_code == 200
        assert httpx.get(f"{stack.url('offers')}/readyz").status_code == 200
        assert httpx.get(f"{stack.url('gateway')}/healthz").status_code == 503  # monitoring sees it
        with client_at(proxy, "127.0.0.4") as visitor:
            for page in ("/", "/connexion", "/inscription", "/mentions-legales"):
                assert visitor.get(page).status_code == 200, page
            token = visitor.post(
                "/api/v1/organisations",
                json={
                    "name": "Ferme Morel",
                    "kind": "farm",
                    "commune": "Dole",
                    "postcode": "39100",
                    "contact_email": "morel@ferme.example",
                },
            )
            assert token.status_code == 201, token.text  # offers takes writes while matching is away
            auth = {"Authorization": f"Bearer {token.json()['token']}"}
            down = visitor.get("/api/v1/matches", headers=auth)
            assert down.status_code == 503 and "momentanément indisponible" in down.json()["detail"]
    finally:
        stack.start_service("matching")
        stack.wait_healthy(("matching",), consumers_joined=True)
    with client_at(proxy, "127.0.0.4") as visitor:
        assert wait_until(lambda: visitor.get("/api/v1/matches", headers=auth).status_code == 200, timeout=20)
