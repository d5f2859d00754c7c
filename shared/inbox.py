"""Idempotent consumer: each event applied once, whatever the redeliveries.

A polled batch is applied in one transaction: events whose `(consumer, event_id)` is
already in `processed_event` are skipped, the others go through their handler and get that
row, then one commit (one transaction per event cost more than most handlers under load).
Kafka offsets are committed only after the whole polled batch is applied, so a crash
redelivers and the table drops what was already done.

Failures, by kind:
- malformed record, unknown version, invalid payload → dead-letter topic at once;
- handler error → the batch's transaction is rolled back and its events are applied again
  one transaction each, so only the failing one is retried `consumer_max_attempts` times,
  then dead-lettered with the error;
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

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlmodel import Field, Session, SQLModel, col, select

from shared import topics
from shared.events import Envelope, Payload, payload_of
from shared.kafka import close_quietly, ensure_topics, make_consumer, make_producer
from shared.observability import CONSUMER_LAG, ERRORS, EVENTS
from shared.settings import Settings

log = logging.getLogger(__name__)

Handler = Callable[[Session, Envelope, Payload], None]
Decoded = tuple[ConsumerRecord, Envelope, Payload, Handler]
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

    def __init__(
        self,
        name: str,
        topic_names: list[str],
        handlers: Mapping[str, Handler],
        engine: Engine,
        settings: Settings,
        *,
        after_commit: Callable[[], None] | None = None,
        after_rollback: Callable[[], None] | None = None,
    ):
        self.name = name
        self.topic_names = topic_names
        self.handlers = handlers
        self.engine = engine
        self.settings = settings
        self.after_commit = after_commit
        # Called when a transaction that ran handlers is rolled back: state a handler keeps
        # outside the database (matching's in-memory index) must be dropped with it.
        self.after_rollback = after_rollback
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
                ends_seen: dict[TopicPartition, int] = {}
                while not stop.is_set():
                    batch = consumer.poll(timeout_ms=200)
                    if consumer.assignment():
                        self.ready.set()
                    if self.rewind_lost_logs(consumer, ends_seen):
                        continue  # what was polled sits beyond a lost log: read it again from the start
                    if batch:
                        self.handle_batch([record for records in batch.values() for record in records])
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

    def rewind_lost_logs(self, consumer: KafkaConsumer, ends_seen: dict[TopicPartition, int]) -> bool:
        """Read again from the start any partition whose log the broker lost; True if one was rewound.

        A broker that loses its log (the embedded one keeps it in memory) starts each partition again at
        offset 0, and a lenient group coordinator lets this consumer go on from its old positions, past
        the new log's first events. A partition's end falling below the highest seen, or below our
        position, gives it away: seek to its beginning. What was applied already is dropped by event id;
        the outboxes' replay (`python -m shared.replay`) refills what the broker lost.
        """
        rewound = False
        for partition in consumer.assignment():
            end = consumer.highwater(partition)
            if end is None:
                continue
            if end < ends_seen.get(partition, 0) or end < consumer.position(partition):
                log.warning(
                    "consumer %s: %s-%d restarted at offset 0 (end %d, seen %d): reading it again",
                    self.name,
                    partition.topic,
                    partition.partition,
                    end,
                    ends_seen.get(partition, 0),
                )
                consumer.seek_to_beginning(partition)
                rewound = True
            ends_seen[partition] = end
        return rewound

    def report_lag(self, consumer: KafkaConsumer) -> None:
        """Records behind the end of each assigned partition (known once a fetch has answered)."""
        for partition in consumer.assignment():
            end = consumer.highwater(partition)
            if end is not None:
                CONSUMER_LAG.labels(self.name, partition.topic, str(partition.partition)).set(
                    max(0, end - consumer.position(partition))
                )

    def handle_batch(self, records: list[ConsumerRecord]) -> None:
        """Apply polled records (in order within each partition) in one transaction; if that fails, one at a time."""
        decoded = [item for item in map(self.decode, records) if item is not None]
        if len(decoded) > 1:
            try:
                self.apply_together(decoded)
                return
            except TRANSIENT_ERRORS:
                raise
            except Exception as exc:
                # A failing event (or another instance's concurrent apply) must not hold back the
                # others: apply them one transaction each, so only the culprit is retried and dead-lettered.
                log.warning(
                    "consumer %s: batch of %d failed (%s); applying one at a time", self.name, len(decoded), exc
                )
        for item in decoded:
            self.handle_decoded(item)

    def decode(self, record: ConsumerRecord) -> Decoded | None:
        """The record's event and handler; None when it is ignored or was dead-lettered."""
        try:
            envelope = Envelope.from_bytes(record.value)
            handler = self.handlers.get(envelope.type)
            if handler is None:
                EVENTS.labels(self.name, record.topic, envelope.type, "ignored").inc()
                return None  # tolerant reader: not an event this consumer cares about
            try:
                payload = payload_of(envelope)
            except Exception as exc:
                raise PoisonEvent(f"invalid payload for {envelope.type} v{envelope.version}: {exc}") from exc
        except PoisonEvent as exc:
            self.dead_letter(record, str(exc), attempts=0)
            return None
        except Exception as exc:
            self.dead_letter(record, f"malformed envelope: {exc}", attempts=0)
            return None
        return record, envelope, payload, handler

    def handle_decoded(self, item: Decoded) -> None:
        """Apply one event in a transaction of its own, retrying, then dead-lettering it."""
        record, envelope, payload, handler = item
        attempts = self.settings.consumer_max_attempts
        for attempt in range(1, attempts + 1):
            try:
                self.record_outcome(record, envelope, self.apply(envelope, payload, handler))
                return
            except TRANSIENT_ERRORS:
                raise
            except Exception as exc:
                log.warning(
                    "consumer %s: event %s failed (attempt %d/%d): %s",
                    self.name,
                    envelope.event_id,
                    attempt,
                    attempts,
                    exc,
                )
                if attempt == attempts:
                    self.dead_letter(record, "".join(traceback.format_exception_only(exc)).strip(), attempts)
                    return
                time.sleep(0.05 * 2**attempt)

    def record_outcome(self, record: ConsumerRecord, envelope: Envelope, outcome: str) -> None:
        EVENTS.labels(self.name, record.topic, envelope.type, outcome).inc()
        log.info(
            "event %s",
            outcome,
            extra={
                "event_id": str(envelope.event_id),
                "event_type": envelope.type,
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "consumer": self.name,
            },
        )

    def apply_together(self, items: list[Decoded]) -> None:
        """Run the handlers of events not yet applied and record them all, in one transaction."""
        outcomes = []
        with Session(self.engine) as session:
            try:
                ids = [str(envelope.event_id) for _, envelope, _, _ in items]
                done = set(
                    session.exec(
                        select(ProcessedEvent.event_id).where(
                            ProcessedEvent.consumer == self.name, col(ProcessedEvent.event_id).in_(ids)
                        )
                    ).all()
                )
                for _record, envelope, payload, handler in items:
                    event_id = str(envelope.event_id)
                    if event_id in done:  # applied before, or earlier in this batch (republished)
                        outcomes.append("duplicate")
                        continue
                    handler(session, envelope, payload)
                    session.add(ProcessedEvent(consumer=self.name, event_id=event_id))
                    done.add(event_id)
                    outcomes.append("applied")
                session.commit()
            except BaseException:
                self.rolled_back()  # closing the session rolls back
                raise
        for (record, envelope, _, _), outcome in zip(items, outcomes, strict=True):
            self.record_outcome(record, envelope, outcome)
        self.duplicates += outcomes.count("duplicate")
        self.applied += outcomes.count("applied")
        if self.after_commit is not None and "applied" in outcomes:
            self.after_commit()

    def apply(self, envelope: Envelope, payload: Payload, handler: Handler) -> str:
        """Run the handler and record the event in one transaction, unless already done."""
        event_id = str(envelope.event_id)
        with Session(self.engine) as session:
            if session.get(ProcessedEvent, (self.name, event_id)) is not None:
                self.duplicates += 1
                return "duplicate"
            try:
                handler(session, envelope, payload)
                session.add(ProcessedEvent(consumer=self.name, event_id=event_id))
            except BaseException:
                self.rolled_back()  # closing the session rolls back
                raise
            try:
                session.commit()
            except IntegrityError:
                # Another instance applied the same event concurrently; its effect stands.
                session.rollback()
                self.rolled_back()
                self.duplicates += 1
                return "duplicate"
            except BaseException:
                self.rolled_back()
                raise
        self.applied += 1
        if self.after_commit is not None:
            self.after_commit()
        return "applied"

    def rolled_back(self) -> None:
        if self.after_rollback is not None:
            self.after_rollback()

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
            self._dlq.send(topics.dead_letter(record.topic), key=record.key, value=record.value, headers=headers).get(
                timeout=20
            )
        except Exception:
            close_quietly(self._dlq)  # a fresh producer next time; the record is redelivered
            self._dlq = None
            raise
        self.dead_lettered += 1
        EVENTS.labels(self.name, record.topic, record_type(record), "dead_lettered").inc()
        log.error(
            "consumer %s: dead-lettered %s[%d]@%d: %s",
            self.name,
            record.topic,
            record.partition,
            record.offset,
            error,
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "consumer": self.name,
            },
        )


def record_type(record: ConsumerRecord) -> str:
    """The event type a record's headers name (set by the outbox relay), or "unknown"."""
    for key, value in record.headers or []:
        if key == "type":
            return str(value.decode(errors="replace"))
    return "unknown"
