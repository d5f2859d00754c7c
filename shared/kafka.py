"""Kafka I/O on kafka-python: producers, consumers, topic creation, reachability."""

from __future__ import annotations

import contextlib
import socket
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import TopicAlreadyExistsError

from shared import topics
from shared.settings import Settings


def client_options(settings: Settings) -> dict[str, Any]:
    """What every client (producer, consumer, admin) needs to reach the cluster: its servers, and on a managed
    cluster TLS and SASL (PLAIN or SCRAM)."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL") and settings.kafka_ssl_cafile:
        options["ssl_cafile"] = settings.kafka_ssl_cafile
    if settings.kafka_security_protocol.startswith("SASL_"):
        options.update(
            sasl_mechanism=settings.kafka_sasl_mechanism or "PLAIN",
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.kafka_sasl_password,
        )
    return options


def make_producer(settings: Settings) -> KafkaProducer:
    """A producer that waits for all in-sync replicas and keeps per-key order on retry."""
    return KafkaProducer(
        **client_options(settings),
        acks="all",
        max_in_flight_requests_per_connection=1,
        linger_ms=2,
        # Fail fast when the broker is away: the outbox keeps the event and retries with a new producer. (After the
        # embedded broker restarts without its topics, the old producer retries until this delivery timeout: at 15 s,
        # every event posted meanwhile waited that long.)
        request_timeout_ms=5_000,
        delivery_timeout_ms=6_000,
        max_block_ms=5_000,
    )


def close_quietly(producer: KafkaProducer | None) -> None:
    """Close a producer whose broker may be gone, without raising."""
    if producer is None:
        return
    with contextlib.suppress(Exception):
        producer.close(timeout=1)


# How long the broker holds an empty fetch. Idle, each consumer asks this often; with data it answers at once.
# Measured on a whole stack at rest (2 cores): 100 ms cost 19 % of a core and a listing reached its match in
# 0.07 s; 300 ms, 10 % and 0.15 s; 500 ms (Kafka's default), 7.5 % and 0.25 s.
IDLE_FETCH_WAIT_MS = 300


def consumer_options(settings: Settings) -> dict[str, Any]:
    """The settings of a group consumer that commits offsets only when told to."""
    poll_interval = settings.poll_interval_ms
    return {
        **client_options(settings),
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "max_poll_interval_ms": poll_interval,
        "session_timeout_ms": settings.session_timeout_ms,
        "heartbeat_interval_ms": min(1000, settings.session_timeout_ms // 3),
        "max_poll_records": 100,
        "fetch_max_wait_ms": IDLE_FETCH_WAIT_MS,
        "request_timeout_ms": max(poll_interval + 5000, 30_000),
    }


def make_consumer(settings: Settings, group_id: str, topic_names: list[str]) -> KafkaConsumer:
    """A consumer in `group_id` that commits offsets only when told to."""
    return KafkaConsumer(*topic_names, **consumer_options(settings), group_id=group_id)


def read_topic(topic: str, **options: Any) -> list[ConsumerRecord]:
    """Every record of `topic` from its first offset to its end as it is now, partition by partition, in no group.
    `options`: `client_options(settings)`, or a plain `bootstrap_servers=`. It returns once the end is reached,
    instead of after some idle time: a slow broker cannot cut the reading short, nor a fast one wait for nothing."""
    consumer = KafkaConsumer(**options, group_id=None, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            return []
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        records: list[ConsumerRecord] = []
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            for batch in consumer.poll(timeout_ms=1000).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def topic_configs(settings: Settings, name: str) -> dict[str, str]:
    """A topic's settings as Boucle creates it: how long it keeps events, the replicas a write must reach."""
    days = topics.RETENTION.get(name, settings.kafka_retention_days)
    configs = {"retention.ms": "-1" if days is None else str(days * 24 * 3600 * 1000)}
    if settings.kafka_min_insync_replicas is not None:
        configs["min.insync.replicas"] = str(settings.kafka_min_insync_replicas)
    return configs


def new_topics(settings: Settings, names: tuple[str, ...]) -> list[NewTopic]:
    return [
        NewTopic(
            name,
            num_partitions=settings.kafka_partitions,
            replication_factor=settings.kafka_replication_factor,
            topic_configs=topic_configs(settings, name),
        )
        for name in names
    ]


def ensure_topics(settings: Settings, names: tuple[str, ...] = topics.ALL_WITH_DLQ) -> None:
    """Create the topics that do not exist yet (idempotent), with their replicas and retention."""
    admin = KafkaAdminClient(**client_options(settings), request_timeout_ms=10_000)
    try:
        existing = set(admin.list_topics())
        missing = new_topics(settings, tuple(n for n in names if n not in existing))
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another process was first
                admin.create_topics(missing)
    finally:
        admin.close()


def broker_reachable(settings: Settings, timeout: float = 1.0) -> bool:
    """True when a TCP connection to one of the bootstrap servers succeeds."""
    for server in settings.bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
                return True
        except OSError:
            continue
    return False
