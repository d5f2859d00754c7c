"""The mailer as its own process: `python -m notifications.mailer_main`.

With `NOTIFICATIONS_MAILER=process` the notifications service only consumes events and queues
emails; this process sends them. Rendering and SMTP then run beside the consumer instead of
sharing its interpreter lock, and mailers can be scaled on their own. It finds work by polling
the queue (a cheap indexed query) every `MAILER_POLL_SECONDS`.
"""

from __future__ import annotations

import logging
import signal
import threading

from prometheus_client import start_http_server

from notifications.smtp import Mailer
from shared import migrations
from shared.db import make_engine
from shared.observability import configure_logging
from shared.settings import Settings


def main() -> None:
    settings = Settings()
    if settings.log_format == "json":
        configure_logging("notifications-mailer")
    else:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s mailer %(levelname)s %(message)s")
    if settings.mailer_metrics_port:
        start_http_server(settings.mailer_metrics_port)  # Prometheus: emails sent, postponed, failed
    engine = make_engine(settings.database_url("notifications"))
    migrations.upgrade("notifications", engine)  # whichever of service and mailer starts first migrates
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    Mailer(engine, settings, idle_wait=settings.mailer_poll_seconds).run(stop)
    engine.dispose()


if __name__ == "__main__":
    main()
