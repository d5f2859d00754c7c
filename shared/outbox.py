"""Transactional outbox: events are stored with the change that caused them, then relayed.

A producer calls `add_event(session, topic, envelope)` inside the transaction that writes
its own rows, so the event exists if and only if the change does. `OutboxRelay` publishes
pending rows in insertion order with acks=all and marks them sent only after the broker
acknowledged them: a crash in between republishes (at least once); consumers drop the
duplicate by event_id (see shared.inbox).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

from kafka import KafkaProducer
from sqlalchemy import Engine, update
from sqlmodel import Field, Session, SQLModel, col, select

from shared.events import Envelope
from shared.kafka import close_quietly, ensure_topics, make_producer
from shared.leadership import Leadership
from shared.observability import ERRORS, OUTBOX_PUBLISHED
from shared.settings import Settings

log = logging.getLogger(__name__)


class OutboxMessage(SQLModel, table=True):
    """An event waiting to be published, or published (sent_at set)."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(index=True, unique=True)
    topic: str
    key: str
    type: str
    value: bytes
    created_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    sent_at: datetime | None = Field(default=None, index=True)


def add_event(session: Session, topic: str, envelope: Envelope) -> None:
    """Stage an event in the caller's transaction; it is published after commit."""
    session.add(
        OutboxMessage(
            event_id=str(envelope.event_id),
            topic=topic,
            key=envelope.key,
            type=envelope.type,
            value=envelope.to_bytes(),
        )
    )


def forget_sent(session: Session, *needles: str) -> int:
    """Delete the events already published that mention one of `needles` (an erased organisation's id, its name):
    the outbox keeps no copy of what an erasure removed. Those not sent yet still go (a retraction must reach its
    consumers). Returns how many; the caller commits."""
    wanted = [needle.encode("utf-8") for needle in needles if needle]
    rows = session.exec(select(OutboxMessage).where(col(OutboxMessage.sent_at).is_not(None))).all()
    found = [row for row in rows if any(needle in row.value for needle in wanted)]
    for row in found:
        session.delete(row)
    return len(found)


def pending_count(engine: Engine) -> int:
    """How many events are not yet acknowledged by the broker."""
    with Session(engine) as session:
        return len(session.exec(select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None))).all())  # type: ignore[union-attr]


class OutboxRelay:
    """Publishes the outbox of one service; run it in a thread with `run(stop)`."""

    def __init__(self, name: str, engine: Engine, settings: Settings, *, batch_size: int = 200, idle_wait: float = 1.0):
        self.name = name
        self.engine = engine
        self.settings = settings
        self.batch_size = batch_size
        self.idle_wait = idle_wait
        self._wake = threading.Event()
        self.published = 0
        self.leadership = Leadership(engine, f"outbox.{name}")  # one relay per service publishes

    def notify(self) -> None:
        """Wake the relay now rather than at its next idle poll (call after a commit)."""
        self._wake.set()

    def publish_batch(self, producer: KafkaProducer) -> int:
        """Publish up to one batch of pending events; return how many were acknowledged."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.sent_at.is_(None))  # type: ignore[union-attr]
                .order_by(OutboxMessage.id)  # type: ignore[arg-type]
                .limit(self.batch_size)
            ).all()
            batch = [(row.id, row.topic, row.key, row.type, row.value) for row in rows]
        if not batch:
            return 0
        futures = [
            producer.send(topic, key=key.encode(), value=value, headers=[("type", kind.encode())])
            for (_, topic, key, kind, value) in batch
        ]
        for future in futures:
            future.get(timeout=20)  # raises: nothing is marked, the batch is retried
        with Session(self.engine) as session:
            session.exec(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([row_id for (row_id, *_) in batch]))  # type: ignore[union-attr]
                .values(sent_at=datetime.now(timezone.utc))
            )
            session.commit()
        self.published += len(batch)
        OUTBOX_PUBLISHED.labels(self.name).inc(len(batch))
        return len(batch)

    def run(self, stop: threading.Event) -> None:
        """Relay until `stop` is set, reconnecting with backoff when the broker is away."""
        producer: KafkaProducer | None = None
        backoff = 0.5
        while not stop.is_set():
            try:
                if not self.leadership.held():
                    stop.wait(self.idle_wait)
                    continue
                if producer is None:
                    # The embedded broker keeps topics in memory: recreate them after a restart.
                    ensure_topics(self.settings)
                    producer = make_producer(self.settings)
                    backoff = 0.5
                if self.publish_batch(producer) == 0:
                    self._wake.wait(self.idle_wait)
                    self._wake.clear()
            except Exception as exc:  # broker or database away: retry, never give up
                ERRORS.labels(self.name, "outbox").inc()
                log.warning("outbox relay: %s; retrying in %.1fs", exc, backoff)
                close_quietly(producer)
                producer = None
                stop.wait(backoff)
                backoff = min(backoff * 2, self.settings.outbox_max_backoff_seconds)
        close_quietly(producer)
        self.leadership.release()
