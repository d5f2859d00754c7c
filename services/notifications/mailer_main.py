"""The mailer as its own process: `python -m notifications.mailer_main`.

With `NOTIFICATIONS_MAILER=process` the notifications service only consumes events and queues
emails; this process sends them. Rendering and SMTP then run beside the consumer instead of
sharing its interpreter lock, and mailers can be scaled on their own. It finds work by polling
the queue (a cheap indexed query) every `MAILER_POLL_SECONDS`.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app

from notifications.smtp import Mailer
from shared import migrations
from shared.db import make_engine
from shared.observability import UtcTextFormatter, configure_logging
from shared.settings import Settings

# A round takes milliseconds; one stuck this long (a database connection hanging, say) is cured by a restart.
STALLED_AFTER_SECONDS = 120.0

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def health_and_metrics(seconds_since_round: Callable[[], float], metrics: WSGIApp) -> WSGIApp:
    """`/healthz` (200 while the sending loop goes round, 503 once it is stalled) and the rest to `metrics`."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/healthz":
            return metrics(environ, start_response)
        since = seconds_since_round()
        alive = since < STALLED_AFTER_SECONDS
        body = json.dumps({"status": "ok" if alive else "stalled", "seconds_since_round": round(since, 1)}).encode()
        start_response(
            "200 OK" if alive else "503 Service Unavailable",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    return app


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Probes every few seconds: no access log."""


def serve_health_and_metrics(host: str, port: int, mailer: Mailer) -> None:
    app = health_and_metrics(lambda: time.monotonic() - mailer.last_round, make_wsgi_app())
    server = make_server(host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="health-and-metrics", daemon=True).start()


def main() -> None:
    settings = Settings()
    if settings.log_format == "json":
        configure_logging("notifications-mailer")
    else:
        handler = logging.StreamHandler()
        handler.setFormatter(UtcTextFormatter("%(asctime)s mailer %(levelname)s %(message)s"))
        logging.basicConfig(level=logging.INFO, handlers=[handler])
    engine = make_engine(settings.database_url("notifications"))
    migrations.upgrade("notifications", engine)  # whichever of service and mailer starts first migrates
    mailer = Mailer(engine, settings, idle_wait=settings.mailer_poll_seconds)
    if settings.mailer_metrics_port:  # /metrics (emails sent, postponed, failed) and /healthz
        serve_health_and_metrics(settings.mailer_metrics_host, settings.mailer_metrics_port, mailer)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    mailer.run(stop)
    engine.dispose()


if __name__ == "__main__":
    main()
