"""What an operator sees of a process: JSON logs that carry event ids, and Prometheus metrics.

Every process calls `configure_logging(name)` once; log records then go to stdout as one JSON
object per line (`service`, `level`, `message`, and whatever `extra` a call gives, such as
`event_id`, `event_type`, `topic`). Metrics are module-level prometheus_client collectors, labelled
by service, served at `GET /metrics` by every service (`shared.service.health_router`), by the
mailer process on `MAILER_METRICS_PORT`, and by the gateway (its requests, to private addresses only).
Every timestamp is UTC ISO 8601.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from datetime import datetime, timezone

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from pythonjsonlogger.json import JsonFormatter

EVENTS = Counter(
    "boucle_events_consumed", "Events read by a consumer, by outcome", ["service", "topic", "type", "outcome"]
)  # applied, duplicate, ignored, dead_lettered
CONSUMER_LAG = Gauge(
    "boucle_consumer_lag", "Records not yet consumed, per partition", ["service", "topic", "partition"]
)
ERRORS = Counter("boucle_errors", "Failures a process recovered from, by where they happened", ["service", "where"])
OUTBOX_PUBLISHED = Counter("boucle_outbox_published", "Events published from the outbox", ["service"])
OUTBOX_PENDING = Gauge("boucle_outbox_pending", "Events in the outbox not yet published", ["service"])
EMAILS = Counter("boucle_emails", "Emails handed to SMTP, by outcome", ["outcome"])  # sent, postponed, failed
MATCH_LATENCY = Histogram(
    "boucle_match_latency_seconds",
    "From a listing's event to its match.proposed staged",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


REQUESTS = Counter(
    "boucle_gateway_requests",
    "Requests answered by the gateway, by route group, method and status",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "boucle_gateway_request_seconds",
    "Time the gateway took to answer, by route group",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def _utc_time(_formatter: logging.Formatter, record: logging.LogRecord, _datefmt: str | None = None) -> str:
    """`2026-12-07T10:10:20.456+00:00`, whatever the host's zone (logging's `formatTime`)."""
    return datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")


class UtcJsonFormatter(JsonFormatter):
    """JSON lines whose `time` is UTC ISO 8601."""

    formatTime = _utc_time  # type: ignore[assignment]


class UtcTextFormatter(logging.Formatter):
    """Plain lines stamped in UTC ISO 8601, for the text log format."""

    formatTime = _utc_time  # type: ignore[assignment]


class _ServiceFilter(logging.Filter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        return True


SIGNED_LINK = re.compile(r"(/liens/[^/?\s]+/)[^/?\s]+")


class AccessLogRedaction(logging.Filter):
    """uvicorn's access lines without what identifies a person or opens an account (issue 18, RGPD): the client
    address is dropped, and the token of a signed link (/liens/<kind>/<token>…, a login or an answer by email)
    replaced by « … ». Method, route, status remain, for operations."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:  # client, method, path, version, status
            _client, method, path, version, status = record.args
            record.args = ("-", method, SIGNED_LINK.sub(r"\1…", str(path)), version, status)
        return True


def configure_logging(service: str) -> None:
    """JSON lines on stdout for this process, uvicorn's loggers included; level from LOG_LEVEL."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        UtcJsonFormatter(
            "{asctime}{levelname}{name}{message}", style="{", rename_fields={"levelname": "level", "asctime": "time"}
        )
    )
    handler.addFilter(_ServiceFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, AccessLogRedaction) for f in access.filters):
        access.addFilter(AccessLogRedaction())
    logging.getLogger("kafka").setLevel(logging.WARNING)  # kafka-python's connection chatter


def metrics_text() -> tuple[bytes, str]:
    """The Prometheus exposition of this process's metrics, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST
