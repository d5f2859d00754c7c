"""The mailer process's /healthz: 200 while its sending loop goes round, 503 once stalled; the rest is /metrics."""

from __future__ import annotations

import json
from typing import Any

from notifications.mailer_main import STALLED_AFTER_SECONDS, health_and_metrics


def call(app: Any, path: str) -> tuple[str, dict]:
    answered: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answered["status"], answered["headers"] = status, dict(headers)

    body = b"".join(app({"PATH_INFO": path, "REQUEST_METHOD": "GET"}, start_response))
    return answered["status"], {**answered["headers"], "body": body}


def metrics(environ: dict, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"boucle_emails_total 3\n"]


def test_healthz_is_200_while_the_loop_goes_round_and_503_once_stalled() -> None:
    status, answer = call(health_and_metrics(lambda: 0.3, metrics), "/healthz")
    assert status == "200 OK" and json.loads(answer["body"]) == {"status": "ok", "seconds_since_round": 0.3}
    status, answer = call(health_and_metrics(lambda: STALLED_AFTER_SECONDS + 1, metrics), "/healthz")
    assert status.startswith("503") and json.loads(answer["body"])["status"] == "stalled"


def test_every_other_path_is_the_metrics() -> None:
    status, answer = call(health_and_metrics(lambda: STALLED_AFTER_SECONDS + 1, metrics), "/metrics")
    assert status == "200 OK" and answer["body"] == b"boucle_emails_total 3\n"
