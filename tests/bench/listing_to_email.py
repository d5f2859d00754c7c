"""Benchmark: from the HTTP POST of a need to `match.proposed` on the topic and to the alert
accepted by SMTP.

Run: `make bench` (or `python -m tests.bench.listing_to_email --pairs 200 --rate 20`).
Starts its own stack (embedded broker, SMTP sink, SQLite under a temporary directory,
free ports), registers organisation pairs, posts an offer then a complementary need per
pair at the given rate, and reports the latency until both alerts reach the sink.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx
from kafka import KafkaConsumer

from shared import topics
from shared.devstack import Ports, Stack
from shared.events import Envelope
from tests.bench import percentile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10.0, help="pairs posted per second")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(
            Path(tmp),
            Ports.free(),
            env={
                "KAFKA_BOOTSTRAP_SERVERS": "",
                "SMTP_HOST": "",
                **{f"{s}_DATABASE_URL": "" for s in ("OFFERS", "MATCHING", "NOTIFICATIONS", "REPORTING")},
            },
        )
        try:
            stack.start()
            stack.wait_healthy(consumers_joined=True)
            run(stack, args.pairs, args.rate)
        finally:
            stack.stop()


def watch_matches(bootstrap: str, seen: dict[str, float], stop: threading.Event) -> None:
    """Record when each listing first appears in a `match.proposed` event."""
    consumer = KafkaConsumer(
        topics.MATCHES,
        bootstrap_servers=bootstrap,
        auto_offset_reset="latest",
        enable_auto_commit=False,
        fetch_max_wait_ms=50,
    )
    while not stop.is_set():
        for records in consumer.poll(timeout_ms=100).values():
            for record in records:
                event = Envelope.from_bytes(record.value)
                if event.type == "match.proposed":
                    for party in event.payload["parties"]:
                        seen.setdefault(party["listing_id"], time.time())
    consumer.close()


def run(stack: Stack, pairs: int, rate: float) -> None:
    client = httpx.Client(base_url=stack.url("gateway"), timeout=30)
    matched_at: dict[str, float] = {}
    stop = threading.Event()
    watcher = threading.Thread(target=watch_matches, args=(stack.bootstrap_servers, matched_at, stop))
    watcher.start()
    time.sleep(2)  # the watcher's partitions are assigned
    tokens = []
    for i in range(pairs):
        supplier = client.post(
            "/api/v1/organisations",
            json={
                "name": f"Fournisseur {i}",
                "kind": "company",
                "commune": "Dijon",
                "contact_email": f"offre{i}@bench.example",
            },
        ).json()["token"]
        buyer = client.post(
            "/api/v1/organisations",
            json={
                "name": f"Preneur {i}",
                "kind": "company",
                "commune": "Chenôve",
                "contact_email": f"besoin{i}@bench.example",
            },
        ).json()["token"]
        tokens.append((supplier, buyer))

    posted_at: dict[str, float] = {}
    need_ids: dict[str, str] = {}
    api_latencies: list[float] = []
    start = time.time()
    for i, (supplier, buyer) in enumerate(tokens):
        category = f"lot{i}"  # a resource of its own per pair: exactly one match each (on text)
        for token, kind in ((supplier, "offer"), (buyer, "need")):
            t0 = time.time()
            answer = client.post(
                "/api/v1/listings",
                headers={"Authorization": f"Bearer {token}"},
                json={"kind": kind, "title": f"Lot {i}", "category": category},
            )
            api_latencies.append(time.time() - t0)
            assert answer.status_code == 201, answer.text
        need_ids[str(i)] = answer.json()["id"]
        posted_at[str(i)] = time.time()
        time.sleep(max(0.0, start + (i + 1) / rate - time.time()))
    posting = time.time() - start

    sink = f"http://127.0.0.1:{stack.ports.mailbox}/api/messages"
    deadline = time.time() + 120
    arrived: dict[str, float] = {}
    while time.time() < deadline and len(arrived) < 2 * pairs:
        for message in httpx.get(sink, timeout=30).json():
            at = datetime.fromisoformat(message["received_at"]).timestamp()
            arrived[message["to"]] = min(at, arrived.get(message["to"], at))
        time.sleep(0.5)

    stop.set()
    watcher.join()
    to_match = [matched_at[need_ids[i]] - posted_at[i] for i in posted_at if need_ids[i] in matched_at]
    latencies = [
        arrived[f"{side}{i}@bench.example"] - posted_at[str(i)]
        for i in range(pairs)
        for side in ("offre", "besoin")
        if f"{side}{i}@bench.example" in arrived
    ]
    print(f"pairs: {pairs}, posted in {posting:.1f}s ({2 * pairs / posting:.1f} listings/s)")
    print(f"emails received: {len(latencies)}/{2 * pairs}")
    print(
        f"API POST /listings: p50 {1000 * statistics.median(api_latencies):.0f} ms, "
        f"p95 {1000 * percentile(api_latencies, 95):.0f} ms"
    )
    if to_match:
        print(
            f"need posted → match.proposed on the topic ({len(to_match)}/{pairs}): "
            f"p50 {1000 * statistics.median(to_match):.0f} ms, p95 {1000 * percentile(to_match, 95):.0f} ms"
        )
    if latencies:
        print(
            f"need posted → alert accepted by SMTP: p50 {1000 * statistics.median(latencies):.0f} ms, "
            f"p95 {1000 * percentile(latencies, 95):.0f} ms, max {1000 * max(latencies):.0f} ms"
        )


if __name__ == "__main__":
    main()
