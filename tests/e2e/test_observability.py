"""What an operator sees: /metrics of every process, JSON logs carrying event ids, the /etat page."""

from __future__ import annotations

import json
import re

import httpx

from shared.devstack import Stack
from tests import web
from tests.conftest import mailbox, wait_until
from tests.e2e.test_walking_skeleton import register


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{name}(?:{{(.*)}})? (\S+)$", line)
        if match and all(f'{k}="{v}"' in (match.group(1) or "") for k, v in labels.items()):
            total += float(match.group(2))
    return total


def test_metrics_logs_and_status_page_follow_a_listing_to_its_email(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url("gateway"), timeout=10) as client:
        _, a = register(client, "Brasserie du Canal", "Dijon", "brasserie@canal.example")
        _, b = register(client, "Ferme du Plateau", "Chenôve", "plateau@ferme.example")
        client.post(
            "/api/v1/listings",
            headers=a,
            json={"kind": "offer", "title": "Drêches de brasserie", "category": "drêches", "radius_km": 30},
        )
        client.post(
            "/api/v1/listings", headers=b, json={"kind": "need", "title": "Aliment pour bovins", "category": "drêches"}
        )
        wait_until(lambda: any(m["to"] == "plateau@ferme.example" for m in mailbox(stack)), timeout=20)

    matching = web.get(f"{stack.url('matching')}/metrics").text
    assert metric(matching, "boucle_events_consumed_total", type="listing.published", outcome="applied") >= 2
    assert metric(matching, "boucle_match_latency_seconds_count") >= 1
    assert metric(matching, "boucle_outbox_published_total", service="matching") >= 1
    # Lag is reported once a second, for the partitions a fetch has answered: it may come after the email.
    wait_until(lambda: "boucle_consumer_lag{" in web.get(f"{stack.url('matching')}/metrics").text, timeout=10)
    notifications = web.get(f"{stack.url('notifications')}/metrics").text
    assert metric(notifications, "boucle_events_consumed_total", type="match.proposed", outcome="applied") >= 1
    mailer_port = stack.mailer_metrics_ports["notifications-mailer"]
    mailer = web.get(f"http://127.0.0.1:{mailer_port}/metrics").text
    assert metric(mailer, "boucle_emails_total", outcome="sent") >= 2
    health = web.get(f"http://127.0.0.1:{mailer_port}/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"

    # The gateway's own requests, by route group (issue 19): to a scraper on the machine, not to visitors.
    gateway = web.get(f"{stack.url('gateway')}/metrics").text
    assert metric(gateway, "boucle_gateway_requests_total", route="api:listings", method="POST", status="201") >= 2
    assert metric(gateway, "boucle_gateway_request_seconds_count", route="api:listings") >= 2

    # Logs: one JSON object per line, stamped in UTC ISO 8601, the applied events named by their ids.
    lines = [
        json.loads(line)
        for line in (stack.var_dir / "log" / "matching.log").read_text().splitlines()
        if line.startswith("{")
    ]
    applied = [line for line in lines if line.get("message") == "event applied"]
    assert applied and all(line["service"] == "matching" and line["event_id"] for line in applied)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"]) for line in lines)
    assert {line["event_type"] for line in applied} >= {"listing.published"}

    # Access lines keep neither the client's address nor a signed link's token (issue 18, finding 10).
    token = "eyJ1IjoiZXNzYWkifQ.c2lnbmF0dXJlLWVzc2Fp"
    web.get(f"{stack.url('gateway')}/liens/compte/{token}")

    def access_lines() -> list[dict]:
        return [
            json.loads(line)
            for line in (stack.var_dir / "log" / "offers.log").read_text().splitlines()
            if line.startswith("{") and '"uvicorn.access"' in line
        ]

    wait_until(lambda: any("/liens/compte/…" in line["message"] for line in access_lines()), timeout=10)
    assert not any(token in line["message"] or "127.0.0.1" in line["message"] for line in access_lines())

    page = web.get(f"{stack.url('gateway')}/etat")
    assert page.status_code == 200 and "Tout fonctionne." in page.text
    for name in ("offers", "matching", "notifications", "reporting", "bus Kafka"):
        assert name in page.text


def test_the_gateway_never_lets_a_path_climb_to_a_service_s_internal_routes(stack: Stack) -> None:
    """Issue 18, finding 7: `/api/v1/listings/%2e%2e/%2e%2e/%2e%2e/metrics` reached offers' /metrics."""
    gateway = stack.url("gateway")
    for path in (
        "/api/v1/listings/%2e%2e/%2e%2e/%2e%2e/metrics",
        "/api/v1/matches/%2E%2E/%2E%2E/healthz",
        "/api/v1/listings/%2e%2e%2f%2e%2e%2f%2e%2e%2fmetrics",
        "/api/v1/listings/%01",
        "/liens/reponse/%2e%2e/%2e%2e/metrics",
    ):
        answer = web.get(gateway + path, timeout=10)
        assert answer.status_code == 404, (path, answer.status_code)
        assert "boucle_" not in answer.text and "process_" not in answer.text  # no metrics leaked


def test_each_service_s_api_documentation_loads_its_openapi_document_through_the_gateway(stack: Stack) -> None:
    gateway = stack.url("gateway")
    page = web.get(f"{gateway}/docs/offers", timeout=10)
    assert page.status_code == 200 and "'/docs/offers/openapi.json'" in page.text
    document = web.get(f"{gateway}/docs/offers/openapi.json", timeout=10)
    assert document.status_code == 200 and "/api/v1/listings" in document.json()["paths"]
    assert web.get(f"{gateway}/docs/inconnu/openapi.json", timeout=10).status_code == 404


def test_a_body_too_large_is_refused_before_anyone_buffers_it(stack: Stack) -> None:
    """Issue 18, finding 9: a 100 MB body was buffered by the gateway and echoed back in the 422."""
    gateway = stack.url("gateway")
    declared = web.post(
        f"{gateway}/api/v1/listings",
        content=b"x" * (2 * 1024 * 1024),
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert declared.status_code == 413 and declared.json()["detail"].startswith("Requête trop volumineuse")

    def chunks():  # no Content-Length: counted as it comes
        for _ in range(40):
            yield b"y" * 65536

    streamed = web.post(
        f"{gateway}/api/v1/listings", content=chunks(), headers={"content-type": "application/json"}, timeout=10
    )
    assert streamed.status_code == 413 and "yyyy" not in streamed.text
    small = web.post(f"{gateway}/api/v1/listings", json={"kind": "offer"}, timeout=10)
    assert small.status_code == 401  # an ordinary body still reaches offers


def test_every_answer_tells_the_browser_to_keep_it_safe(stack: Stack) -> None:
    """Issue 18, low findings: no Content-Security-Policy, frame protection, nosniff or Referrer-Policy, and
    signed-link pages that could be cached."""
    gateway = stack.url("gateway")
    for path in ("/", "/connexion", "/api/v1/listings", "/api/v1/communes?q=Beaune", "/page-inconnue"):
        answer = web.get(f"{gateway}{path}", timeout=10)
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], path
        assert "script-src 'self';" in answer.headers["content-security-policy"], path
        assert answer.headers["x-frame-options"] == "DENY" and answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin", path
        assert "strict-transport-security" not in answer.headers  # served over plain HTTP here
    link = web.get(f"{gateway}/liens/compte/un-jeton-quelconque", timeout=10)
    assert link.headers["cache-control"] == "no-store" and link.headers["referrer-policy"] == "no-referrer"
    assert "content-security-policy" in link.headers


def test_an_unknown_address_answers_in_french_a_page_for_a_browser_json_for_a_program(stack: Stack) -> None:
    """Issue 16: any unknown page answered a JSON 404 (`{"detail": "Not Found"}`) to a browser."""
    gateway = stack.url("gateway")
    page = web.get(f"{gateway}/une-page-qui-n-existe-pas", headers={"Accept": "text/html,*/*;q=0.8"}, timeout=10)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Page introuvable" in page.text and 'href="/"' in page.text
    program = web.get(f"{gateway}/une-page-qui-n-existe-pas", headers={"Accept": "application/json"}, timeout=10)
    assert program.status_code == 404 and program.json() == {"detail": "Ressource introuvable."}
    home = web.get(f"{gateway}/", timeout=10).text
    assert 'href="/etat"' in home and 'href="/healthz"' not in home  # the status page, not the JSON
