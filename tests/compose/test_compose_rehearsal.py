"""deploy/compose.yaml started for real (`make test-compose`, after `make containers`), with the local substitutes of
deploy/compose.local.yaml: the images built here, the broker stand-in (the embedded Kafka-protocol broker, Tansu, in
memory: no Apache Kafka can be had here), Boucle's SMTP sink for Mailpit, Debian's PostgreSQL 15.

Not part of `make test` (pyproject's `norecursedirs`): it builds six images and runs them in production mode, with
production password hashing, for a few minutes. A company's journey goes through the gateway's container; the
containers run as non-root with their health checks green; stopping one service's container loses nothing.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from tests import web
from tests.conftest import animateur_of, declared_territory, mailbox, wait_until
from tests.e2e.test_synergies import CARDBOARD_FLOW, accepted_match, insee
from tests.e2e.test_walking_skeleton import register

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "boucle-rehearsal"  # not "boucle": a deployment of the machine's own stays untouched
COMPOSE = [
    "docker",
    "compose",
    "-p",
    PROJECT,
    "-f",
    str(ROOT / "deploy/compose.yaml"),
    "-f",
    str(ROOT / "deploy/compose.local.yaml"),
]
# What deploy/compose.local.yaml listens on: the broker, PostgreSQL, the sink (SMTP, mailbox), the services, the mailer.
PORTS = (19092, 15432, 11025, 18025, 8000, 8001, 8002, 8003, 8004, 9100)
SERVICES = ("offers", "matching", "notifications", "notifications-mailer", "reporting", "gateway")
SERVICE_PORTS = {"gateway": 8000, "offers": 8001, "matching": 8002, "notifications": 8003, "reporting": 8004}


class Deployment:
    """The compose project seen as the tests' helpers see a stack: its URLs, its mailbox, its command line."""

    var_dir = ROOT / "var" / "containers" / PROJECT
    ports = SimpleNamespace(mailbox=18025)
    admin_command = (*COMPOSE, "exec", "-T", "offers", "python", "-m", "offers.admin")

    def __init__(self, env: dict[str, str]):
        self.env = env

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{SERVICE_PORTS[name]}"

    def compose(self, *args: str, timeout: float = 600) -> str:
        done = subprocess.run([*COMPOSE, *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def container(self, service: str) -> str:
        return f"{PROJECT}-{service}-1"

    def inspect(self, service: str, template: str) -> str:
        return subprocess.run(
            ["docker", "inspect", "-f", template, self.container(service)], capture_output=True, text=True, check=True
        ).stdout.strip()


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1 as /proc/net/tcp* write them


def listening(port: int) -> set[str]:
    """The addresses that listen on `port` on this host (the containers share its network)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.rpartition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def consumer_joined(url: str) -> bool:
    try:
        return bool(web.get(f"{url}/healthz", timeout=5).json().get("consumer", {}).get("joined", True))
    except (httpx.HTTPError, ValueError):
        return False


def taken(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    busy = [port for port in PORTS if taken(port)]
    assert not busy, f"ports already in use on this machine, needed by deploy/compose.local.yaml: {busy}"
    env = {
        **os.environ,
        "POSTGRES_PASSWORD": secrets.token_hex(16),
        **{
            name: secrets.token_hex(32)
            for name in ("BOUCLE_SECRET_KEY", "BOUCLE_ACCOUNT_LINK_SECRET", "BOUCLE_INTERNAL_TOKEN")
        },
    }
    deployment = Deployment(env)
    deployment.var_dir.mkdir(parents=True, exist_ok=True)
    try:
        deployment.compose("up", "--detach", "--build", "--wait", "--wait-timeout", "300", timeout=1200)
        # Healthy means ready to serve; a consumer joins its group later (about half of Kafka's session, 45 s in
        # production settings, on the stand-in): the journey's emails wait for notifications' consumer.
        for service in ("offers", "matching", "notifications", "reporting"):
            wait_until(lambda service=service: consumer_joined(deployment.url(service)), timeout=120, interval=1)
        yield deployment
    finally:
        (deployment.var_dir / "compose.log").write_text(
            subprocess.run([*COMPOSE, "logs", "--no-color"], env=env, capture_output=True, text=True).stdout
        )
        subprocess.run([*COMPOSE, "down", "--volumes"], env=env, capture_output=True, timeout=300)


def post_listings(client: httpx.Client, *listings: tuple[dict[str, str], dict]) -> None:
    """Each (organisation's headers, listing) posted through the gateway."""
    for headers, listing in listings:
        answer = client.post("/api/v1/listings", headers=headers, json=listing)
        assert answer.status_code == 201, answer.text


def test_every_container_runs_as_non_root_with_its_health_check_green(deployment: Deployment) -> None:
    for service in (*SERVICES, "kafka", "postgres", "mailpit"):
        assert deployment.inspect(service, "{{.State.Status}}") == "running", service
        uid = subprocess.run(
            ["docker", "exec", deployment.container(service), "id", "-u"], capture_output=True, text=True, check=True
        ).stdout.strip()
        assert uid != "0", service
    for service in (*SERVICES, "kafka", "postgres", "mailpit"):
        assert deployment.inspect(service, "{{.State.Health.Status}}") == "healthy", service
    # On the host's network, listening on its loopback only: nothing reaches them from another machine.
    assert {deployment.inspect(service, "{{.HostConfig.NetworkMode}}") for service in SERVICES} == {"host"}
    assert {port: listening(port) <= LOOPBACK and bool(listening(port)) for port in PORTS} == dict.fromkeys(PORTS, True)
    assert web.get(f"{deployment.url('gateway')}/readyz").status_code == 200


def test_a_company_journey_through_the_containers(deployment: Deployment) -> None:
    with httpx.Client(base_url=deployment.url("gateway"), timeout=30) as client:
        # The collectivité, its animateur (a role given by the platform's command line, in the offers container)
        # and its territory.
        answer = client.post(
            "/api/v1/organisations",
            json={
                "name": "Communauté de communes de la Côte",
                "kind": "public_body",
                "commune": "Beaune",
                "contact_email": "animation@cc-cote.example",
            },
        )
        assert answer.status_code == 201, answer.text
        collectivite = {"Authorization": f"Bearer {answer.json()['token']}"}
        animateur = animateur_of(
            deployment,
            client,
            collectivite,  # type: ignore[arg-type]
            f"anne-{uuid.uuid4().hex[:6]}@cc-cote.example",
        )
        territory = declared_territory(
            deployment,
            client,
            animateur,  # type: ignore[arg-type]
            {"name": "Côte de Beaune et de Nuits", "communes": [insee("Beaune"), insee("Nuits-Saint-Georges")]},
        )

        # Two companies, an offer and a need: both are emailed the match, both accept.
        _, dupont = register(client, "Cartonnerie Dupont", "Nuits-Saint-Georges", "dupont@carton.example")
        _, martin = register(client, "Emballages Martin", "Beaune", "martin@emballages.example")
        post_listings(
            client,
            (
                dupont,
                {
                    "kind": "offer",
                    "title": "Chutes de carton ondulé",
                    "category": "carton",
                    "quantity": {"value": 2, "unit": "t"},
                    "frequency": "monthly",
                    "radius_km": 40,
                },
            ),
            (
                martin,
                {
                    "kind": "need",
                    "title": "Carton pour calage",
                    "category": "Cartons",
                    "quantity": {"value": 1.5, "unit": "t"},
                    "frequency": "monthly",
                },
            ),
        )
        parties = {"dupont@carton.example", "martin@emballages.example"}
        wait_until(
            lambda: (
                parties
                <= {
                    m["to"]
                    for m in mailbox(deployment)  # type: ignore[arg-type]
                    if m["subject"].startswith("Nouvelle piste de synergie")
                }
            ),
            timeout=60,
        )
        accepted_match(client, dupont, martin)

        # The synergy, its flow recorded by the animateur, and the territory's dashboard.
        synergy = wait_until(lambda: client.get("/api/v1/synergies", headers=martin).json(), timeout=60)[0]  # type: ignore[index]
        moved = client.post(
            f"/api/v1/synergies/{synergy['id']}/stage",
            headers=animateur,
            json={"stage": "contractualised", "flow": CARDBOARD_FLOW},
        )
        assert moved.status_code == 200, moved.text
        report = wait_until(
            lambda: client.get(
                "/api/v1/reports/impact",
                headers=animateur,
                params={"territory": territory["id"], "from": "2025-01-01", "to": "2025-12-31"},
            ).json(),
            timeout=30,
        )
        assert report["indicators"]["truck_trips_avoided"] == 36  # type: ignore[index]
        assert report["indicators"]["km_avoided"] == 12960  # type: ignore[index]
        link = client.post(f"/api/v1/territories/{territory['id']}/dashboard-link", headers=animateur)
        assert link.status_code == 200, link.text
        page = client.get(
            httpx.URL(link.json()["url"]).raw_path.decode(), params={"from": "2025-01-01", "to": "2025-12-31"}
        )
        km = re.search(r'data-indicator="km_avoided">.*?<span class="figure">([^<]*)</span>', page.text, re.S)
        assert page.status_code == 200 and km is not None and km.group(1) == "12\u202f960"


def test_stopping_and_starting_a_service_container_loses_nothing(deployment: Deployment) -> None:
    """Notifications stopped while a match is made: started again, it emails each side of it once. (In Quimper, far
    from the other tests' companies: this pair makes one match and no other.)"""
    with httpx.Client(base_url=deployment.url("gateway"), timeout=30) as client:
        suffix = uuid.uuid4().hex[:6]
        ours = (f"roux-{suffix}@menuiserie.example", f"perrin-{suffix}@elevage.example")
        _, giver = register(client, "Menuiserie Roux", "Quimper", ours[0])
        _, taker = register(client, "Élevage Perrin", "Quimper", ours[1])
        deployment.compose("stop", "notifications")
        post_listings(
            client,
            (
                giver,
                {
                    "kind": "offer",
                    "title": "Copeaux de bois brut",
                    "category": "copeaux",
                    "quantity": {"value": 3, "unit": "t"},
                    "frequency": "monthly",
                    "radius_km": 30,
                },
            ),
            (
                taker,
                {
                    "kind": "need",
                    "title": "Litière pour bovins",
                    "category": "copeaux",
                    "quantity": {"value": 2, "unit": "t"},
                    "frequency": "monthly",
                },
            ),
        )
        matches = wait_until(lambda: client.get("/api/v1/matches", headers=taker).json(), timeout=60)
        assert len(matches) == 1  # type: ignore[arg-type]
        deployment.compose("start", "notifications")

        def alerts() -> list[dict]:
            return sorted(
                (
                    m
                    for m in mailbox(deployment)  # type: ignore[arg-type]
                    if m["to"] in ours and m["subject"].startswith("Nouvelle piste de synergie")
                ),
                key=lambda m: m["to"],
            )

        # Its consumer joins the group again after Kafka's session (production settings), then catches up.
        wait_until(lambda: len(alerts()) >= 2, timeout=120)
        time.sleep(5)  # what a redelivery would send twice has arrived by now
        assert [m["to"] for m in alerts()] == sorted(ours), alerts()
