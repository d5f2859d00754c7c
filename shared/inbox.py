"""Idempotent consumer: each event applied once, whatever the redeliveries.

For every record the consumer opens one transaction, skips the event if its
`(consumer, event_id)` is already in `processed_event`, otherwise runs the handler and
inserts that row, then commits. Kafka offsets are committed only after the whole polled
batch is applied, so a crash redelivers and the table drops what was already done.

Failures, by kind:
- malformed record, unknown version, invalid payload → dead-letter topic at once;
- handler error → retried `consumer_max_attempts` times, then dead-lettered with the error;
- database or broker unreachable → not the event's fault: nothing is committed, the
  consumer backs off and reconnects, and the batch is redelivered.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from datetime import datetime, timezone

from kafka import KafkaConsumer, KafkaProducer
from kafka.consumer.fetcher import ConsumerRecord
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlmodel import Field, Session, SQLModel

from shared import topics
from shared.events import Envelope, Payload, payload_of
from shared.kafka import close_quietly, ensure_topics, make_consumer, make_producer
from shared.observability import CONSUMER_LAG, ERRORS, EVENTS
from shared.settings import Settings

log = logging.getLogger(__name__)

Handler = Callable[[Session, Envelope, Payload], None]
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


class ProcessedEvent(SQLModel, table=True):
    """An event a consumer has applied; its primary key makes a second apply impossible."""

    __tablename__ = "processed_event"

    consumer: str = Field(primary_key=True)
    event_id: str = Field(primary_key=True)
    processed_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))


class PoisonEvent(Exception):
    """A record that can never be applied as it is."""


class IdempotentConsumer:
    """Applies events from `topic_names` with `handlers` (by event type); run with `run(stop)`."""

    def __init__(self, name: str, topic_names: list[str], handlers: Mapping[str, Handler], engine: Engine,
                 settings: Settings, *, after_commit: Callable[[], None] | None = None):
        self.name = name
        self.topic_names = topic_names
        self.handlers = handlers
        self.engine = engine
        self.settings = settings
        self.after_commit = after_commit
        self.applied = 0
        self.duplicates = 0
        self.dead_lettered = 0
        self.ready = threading.Event()  # set once the consumer has joined its group
        self._dlq: KafkaProducer | None = None

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set; on infrastructure errors reconnect with backoff."""
        backoff = 0.5
        while not stop.is_set():
            consumer: KafkaConsumer | None = None
            try:
                ensure_topics(self.settings)
                consumer = make_consumer(self.settings, self.name, self.topic_names)
                next_lag_report = 0.0
                while not stop.is_set():
                    batch = consumer.poll(timeout_ms=200)
                    if consumer.assignment():
                        self.ready.set()
                    for records in batch.values():
                        for record in records:
                            self.handle_record(record)
                    if batch:
                        consumer.commit()
                    if time.monotonic() >= next_lag_report:
                        self.report_lag(consumer)
                        next_lag_report = time.monotonic() + 1.0
                    backoff = 0.5
            except Exception as exc:
                ERRORS.labels(self.name, "consumer").inc()
                log.warning("consumer %s: %s; reconnecting in %.1fs", self.name, exc, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                if consumer is not None:
                    with contextlib.suppress(Exception):
                        consumer.close(autocommit=False)
        close_quietly(self._dlq)

    def report_lag(self, consumer: KafkaConsumer) -> None:
        """Records behind the end of each assigned partition (known once a fetch has answered)."""
        for partition in consumer.assignment():
            end = consumer.highwater(partition)
            if end is not None:
                CONSUMER_LAG.labels(self.name, partition.topic, str(partition.partition)).set(
                    max(0, end - consumer.position(partition)))

    def handle_record(self, record: ConsumerRecord) -> None:
        """Apply one record once, or dead-letter it; raises only on infrastructure errors."""
        try:
            envelope = Envelope.from_bytes(record.value)
            handler = self.handlers.get(envelope.type)
            if handler is None:
                EVENTS.labels(self.name, record.topic, envelope.type, "ignored").inc()
                return  # tolerant reader: not an event this consumer cares about
            try:
                payload = payload_of(envelope)
            except Exception as exc:
                raise PoisonEvent(f"invalid payload for {envelope.type} v{envelope.version}: {exc}") from exc
        except PoisonEvent as exc:
            self.dead_letter(record, str(exc), attempts=0)
            return
        except Exception as exc:
            self.dead_letter(record, f"malformed envelope: {exc}", attempts=0)
            return

        attempts = self.settings.consumer_max_attempts
        for attempt in range(1, attempts + 1):
            try:
                outcome = self.apply(envelope, payload, handler)
                EVENTS.labels(self.name, record.topic, envelope.type, outcome).inc()
                log.info("event %s", outcome, extra={"event_id": str(envelope.event_id), "event_type": envelope.type,
                                                      "topic": record.topic, "partition": record.partition,
                                                      "offset": record.offset, "consumer": self.name})
                return
            except TRANSIENT_ERRORS:
                raise
            except Exception as exc:
                log.warning("consumer %s: event %s failed (attempt %d/%d): %s",
                            self.name, envelope.event_id, attempt, attempts, exc)
                if attempt == attempts:
                    self.dead_letter(record, "".join(traceback.format_exception_only(exc)).strip(), attempts)
                    return
                time.sleep(0.05 * 2 ** attempt)

    def apply(self, envelope: Envelope, payload: Payload, handler: Handler) -> str:
        """Run the handler and record the event in one transaction, unless already done."""
        event_id = str(envelope.event_id)
        with Session(self.engine) as session:
            if session.get(ProcessedEvent, (self.name, event_id)) is not None:
                self.duplicates += 1
                return "duplicate"
            handler(session, envelope, payload)
            session.add(ProcessedEvent(consumer=self.name, event_id=event_id))
            try:
                session.commit()
            except IntegrityError:
                # Another instance applied the same event concurrently; its effect stands.
                session.rollback()
                self.duplicates += 1
                return "duplicate"
        self.applied += 1
        if self.after_commit is not None:
            self.after_commit()
        return "applied"

    def dead_letter(self, record: ConsumerRecord, error: str, attempts: int) -> None:
        """Publish the original record to `<topic>.dlq` with the error in its headers."""
        if self._dlq is None:
            self._dlq = make_producer(self.settings)
        headers = [
            ("error", error[:4000].encode()),
            ("consumer", self.name.encode()),
            ("source.topic", record.topic.encode()),
            ("source.partition", str(record.partition).encode()),
            ("source.offset", str(record.offset).encode()),
            ("attempts", str(attempts).encode()),
        ]
        try:
            self._dlq.send(topics.dead_letter(record.topic), key=record.key, value=record.value,
                           headers=headers).get(timeout=20)
        except Exception:
            close_quietly(self._dlq)  # a fresh producer next time; the record is redelivered
            self._dlq = None
            raise
        self.dead_lettered += 1
        EVENTS.labels(self.name, record.topic, record_type(record), "dead_lettered").inc()
        log.error("consumer %s: dead-lettered %s[%d]@%d: %s", self.name, record.topic,
                  record.partition, record.offset, error,
                  extra={"topic": record.topic, "partition": record.partition, "offset": record.offset,
                         "consumer": self.name})


def record_type(record: ConsumerRecord) -> str:
    """The event type a record's headers name (set by the outbox relay), or "unknown"."""
    for key, value in record.headers or []:
        if key == "type":
            return value.decode(errors="replace")
    return "unknown"
