"""Kafka for production (issue 19, point 3): what reaches the clients and the topics Boucle creates."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared import topics
from shared.kafka import client_options, consumer_options, new_topics, topic_configs
from shared.settings import Settings

DAY_MS = 24 * 3600 * 1000


def test_a_development_broker_needs_nothing_but_its_address() -> None:
    settings = Settings(KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:9092")  # type: ignore[call-arg]
    assert client_options(settings) == {"bootstrap_servers": "127.0.0.1:9092", "security_protocol": "PLAINTEXT"}
    assert settings.poll_interval_ms == 5_000


def test_a_managed_cluster_gets_tls_and_scram_credentials() -> None:
    settings = Settings(
        KAFKA_BOOTSTRAP_SERVERS="kafka.example:9093",
        KAFKA_SECURITY_PROTOCOL="SASL_SSL",  # type: ignore[call-arg]
        KAFKA_SASL_MECHANISM="SCRAM-SHA-512",
        KAFKA_SASL_USERNAME="boucle",
        KAFKA_SASL_PASSWORD="s3cret",
        KAFKA_SSL_CAFILE="/etc/ssl/kafka-ca.pem",
    )
    assert client_options(settings) == {
        "bootstrap_servers": "kafka.example:9093",
        "security_protocol": "SASL_SSL",
        "ssl_cafile": "/etc/ssl/kafka-ca.pem",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "boucle",
        "sasl_plain_password": "s3cret",
    }


def test_sasl_without_credentials_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="KAFKA_SASL_USERNAME"):
        Settings(KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT")  # type: ignore[call-arg]


def test_production_polls_as_kafka_does_unless_told() -> None:
    production = {
        "BOUCLE_ENV": "production",
        "BOUCLE_SECRET_KEY": "x" * 32,
        "BOUCLE_ACCOUNT_LINK_SECRET": "y" * 32,
        "BOUCLE_INTERNAL_TOKEN": "z" * 32,
    }
    assert Settings(**production).poll_interval_ms == 300_000  # type: ignore[arg-type]
    assert Settings(**production, KAFKA_MAX_POLL_INTERVAL_MS="60000").poll_interval_ms == 60_000  # type: ignore[arg-type]


def test_the_session_timeout_follows_the_poll_interval_within_kafkas_bounds_unless_set() -> None:
    """Kafka refuses a session below 6 s by default; the embedded broker's stacks ask for 2 s (a faster first join)."""
    assert Settings(KAFKA_MAX_POLL_INTERVAL_MS="3000").session_timeout_ms == 6_000  # type: ignore[call-arg]
    assert Settings(KAFKA_MAX_POLL_INTERVAL_MS="20000").session_timeout_ms == 20_000  # type: ignore[call-arg]
    assert Settings(KAFKA_MAX_POLL_INTERVAL_MS="300000").session_timeout_ms == 45_000  # type: ignore[call-arg]
    options = consumer_options(Settings(KAFKA_SESSION_TIMEOUT_MS="2000"))  # type: ignore[call-arg]
    assert (options["session_timeout_ms"], options["heartbeat_interval_ms"]) == (2000, 666)
    assert consumer_options(Settings())["heartbeat_interval_ms"] == 1000
    with pytest.raises(ValidationError, match="KAFKA_SESSION_TIMEOUT_MS"):
        Settings(KAFKA_SESSION_TIMEOUT_MS="500")  # type: ignore[call-arg]


def test_topics_are_created_with_their_replicas_and_retention() -> None:
    settings = Settings(
        KAFKA_REPLICATION_FACTOR="3",
        KAFKA_MIN_INSYNC_REPLICAS="2",
        KAFKA_RETENTION_DAYS="14",  # type: ignore[call-arg]
        KAFKA_PARTITIONS="12",
    )
    for replayed in topics.REPLAYED:  # reporting.rebuild reads them from their first offset
        assert topic_configs(settings, replayed) == {"retention.ms": "-1", "min.insync.replicas": "2"}
    assert topic_configs(settings, topics.TERRITORIES)["retention.ms"] == str(14 * DAY_MS)
    assert topic_configs(settings, topics.dead_letter(topics.LISTINGS))["retention.ms"] == str(14 * DAY_MS)
    [created] = new_topics(settings, (topics.TEACHINGS,))
    assert (created.name, created.num_partitions, created.replication_factor) == (topics.TEACHINGS, 12, 3)
    assert created.topic_configs == {"retention.ms": str(14 * DAY_MS), "min.insync.replicas": "2"}
