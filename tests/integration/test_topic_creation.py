"""Topics are created on the real (embedded) broker with the retention and replicas Boucle asks for (issue 19).

The embedded broker (Tansu) takes a creation that carries `retention.ms` and `min.insync.replicas` and describes
the topic's configuration back as empty: what it does with them is not observable here. The arguments themselves
are checked in tests/unit/test_kafka_settings.py."""

from __future__ import annotations

import uuid

from kafka import KafkaAdminClient

from shared.devstack import Stack
from shared.kafka import client_options, ensure_topics
from shared.settings import Settings


def test_ensure_topics_creates_what_is_missing_with_its_retention_once(broker: Stack) -> None:
    settings = Settings(
        KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap_servers,
        KAFKA_RETENTION_DAYS="3",  # type: ignore[call-arg]
        KAFKA_MIN_INSYNC_REPLICAS="1",
    )
    names = (f"boucle.test-{uuid.uuid4().hex[:8]}", f"boucle.test-{uuid.uuid4().hex[:8]}.dlq")
    ensure_topics(settings, names)
    ensure_topics(settings, names)  # again: nothing missing, nothing raised
    admin = KafkaAdminClient(**client_options(settings))
    try:
        assert set(names) <= set(admin.list_topics())
        partitions = {name: len(admin.describe_topics([name])[0]["partitions"]) for name in names}
        assert partitions == {name: settings.kafka_partitions for name in names}
    finally:
        admin.close()
