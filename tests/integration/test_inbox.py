"""The idempotent consumer and the dead-letter topic, on the real broker, SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from kafka import KafkaProducer
from kafka.consumer.fetcher import ConsumerRecord
from sqlmodel import Field, Session, SQLModel, func, select

from shared import topics
from shared.db import init_db, make_engine
from shared.events import Envelope, ListingClosed, new_event
from shared.inbox import IdempotentConsumer, ProcessedEvent
from shared.kafka import ensure_topics, read_topic
from tests.conftest import wait_until


class Effect(SQLModel, table=True):
    """A row per applied event: the effect whose count proves applied-once."""

    __tablename__ = "test_effect"

    id: int | None = Field(default=None, primary_key=True)
    listing_id: str


def closed(listing_id: str) -> Envelope:
    return new_event(
        "listing.withdrawn",
        ListingClosed(listing_id=listing_id, organisation_id="o", revision=2),
        producer="test",
        key=listing_id,
    )


@pytest.fixture
def harness(backend: str, settings_for) -> Iterator[dict]:  # type: ignore[no-untyped-def]
    settings = settings_for(backend, "matching", CONSUMER_MAX_ATTEMPTS=2)
    engine = make_engine(settings.database_url("matching"))
    init_db(engine, [Effect, ProcessedEvent])
    failing = {"ids": set()}

    def apply(session: Session, _envelope: Envelope, payload) -> None:  # type: ignore[no-untyped-def]
        if payload.listing_id in failing["ids"]:
            raise RuntimeError(f"cannot apply {payload.listing_id}")
        session.add(Effect(listing_id=payload.listing_id))

    topic = f"test.{uuid.uuid4().hex[:8]}"
    ensure_topics(settings, (topic, topics.dead_letter(topic)))
    consumer = IdempotentConsumer(
        f"test-{uuid.uuid4().hex[:6]}", [topic], {"listing.withdrawn": apply}, engine, settings
    )
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    yield {
        "settings": settings,
        "engine": engine,
        "consumer": consumer,
        "topic": topic,
        "producer": producer,
        "failing": failing,
    }
    stop.set()
    thread.join(timeout=15)
    producer.close()
    engine.dispose()


def effects(engine, listing_id: str) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Effect).where(Effect.listing_id == listing_id)).one()


def send(harness: dict, value: bytes, key: str = "k") -> None:
    harness["producer"].send(harness["topic"], key=key.encode(), value=value).get(timeout=10)


def dead_letters(harness: dict, expected: int) -> list[ConsumerRecord]:
    """The DLQ from the start, once it holds `expected` records."""

    def read() -> list[ConsumerRecord]:
        return read_topic(topics.dead_letter(harness["topic"]), bootstrap_servers=harness["settings"].bootstrap_servers)

    return wait_until(lambda: records if len(records := read()) >= expected else None, timeout=20)  # type: ignore[return-value]


def test_an_event_delivered_twice_is_applied_once(harness: dict) -> None:
    event = closed("L-dup")
    send(harness, event.to_bytes())
    send(harness, event.to_bytes())
    marker = closed("L-after")
    send(harness, marker.to_bytes())
    wait_until(lambda: effects(harness["engine"], "L-after") == 1, timeout=20)
    assert effects(harness["engine"], "L-dup") == 1
    assert harness["consumer"].duplicates >= 1


def test_poison_and_failing_events_go_to_the_dead_letter_topic_and_the_consumer_goes_on(harness: dict) -> None:
    harness["failing"]["ids"].add("L-fails")
    send(harness, b"{not json", key="poison")
    send(harness, closed("L-fails").to_bytes(), key="L-fails")
    send(harness, closed("L-good").to_bytes(), key="L-good")
    wait_until(lambda: effects(harness["engine"], "L-good") == 1, timeout=20)

    records = {r.key.decode(): r for r in dead_letters(harness, 2)}
    assert set(records) == {"poison", "L-fails"}
    poison_headers = dict(records["poison"].headers)
    assert records["poison"].value == b"{not json"
    assert b"malformed envelope" in poison_headers["error"]
    fails_headers = dict(records["L-fails"].headers)
    assert b"cannot apply L-fails" in fails_headers["error"]
    assert fails_headers["attempts"] == b"2"
    assert fails_headers["source.topic"] == harness["topic"].encode()
    assert effects(harness["engine"], "L-fails") == 0


def record(harness: dict, envelope: Envelope | bytes, offset: int) -> ConsumerRecord:
    value = envelope if isinstance(envelope, bytes) else envelope.to_bytes()
    return ConsumerRecord(
        harness["topic"], 0, None, offset, 0, 0, str(offset).encode(), value, [], None, -1, len(value), -1
    )


def test_a_polled_batch_is_applied_in_one_transaction_with_a_row_per_event(harness: dict) -> None:
    sessions: list[int] = []

    def apply(session: Session, _envelope: Envelope, payload) -> None:  # type: ignore[no-untyped-def]
        sessions.append(id(session))
        session.add(Effect(listing_id=payload.listing_id))

    name = f"batch-{uuid.uuid4().hex[:6]}"
    consumer = IdempotentConsumer(
        name, [harness["topic"]], {"listing.withdrawn": apply}, harness["engine"], harness["settings"]
    )
    first, twice = closed("B-1"), closed("B-twice")
    consumer.handle_batch(
        [
            record(harness, first, 0),
            record(harness, twice, 1),
            record(harness, closed("B-2"), 2),
            record(harness, twice, 3),
        ]
    )
    consumer.handle_batch([record(harness, first, 0)])  # redelivered after a crash
    assert len(sessions) == 3 and len(set(sessions)) == 1
    assert [effects(harness["engine"], i) for i in ("B-1", "B-twice", "B-2")] == [1, 1, 1]
    assert (consumer.applied, consumer.duplicates) == (3, 2)
    with Session(harness["engine"]) as session:
        assert (
            session.exec(select(func.count()).select_from(ProcessedEvent).where(ProcessedEvent.consumer == name)).one()
            == 3
        )


def test_a_failing_event_rolls_its_batch_back_and_alone_is_dead_lettered(harness: dict) -> None:
    rollbacks: list[bool] = []
    harness["failing"]["ids"].add("B-fails")
    consumer = IdempotentConsumer(
        f"batch-{uuid.uuid4().hex[:6]}",
        [harness["topic"]],
        harness["consumer"].handlers,
        harness["engine"],
        harness["settings"],
        after_rollback=lambda: rollbacks.append(True),
    )
    consumer.handle_batch(
        [
            record(harness, closed("B-before"), 0),
            record(harness, b"{not json", 1),
            record(harness, closed("B-fails"), 2),
            record(harness, closed("B-after"), 3),
        ]
    )
    assert [effects(harness["engine"], i) for i in ("B-before", "B-fails", "B-after")] == [1, 0, 1]
    assert (consumer.applied, consumer.dead_lettered) == (2, 2)
    assert len(rollbacks) == 1 + harness["settings"].consumer_max_attempts  # the batch, then each attempt
    records = {r.key.decode(): r for r in dead_letters(harness, 2)}
    assert set(records) == {"1", "2"}
    assert b"cannot apply B-fails" in dict(records["2"].headers)["error"]
