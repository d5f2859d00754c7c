"""Benchmark: `match.proposed` events at a steady rate → emails accepted by SMTP.

Run: `python -m tests.bench.notifications --matches 1000 --rate 50` (part of `make bench`).
Starts the broker, the SMTP sink and the notifications service (SQLite, free ports),
registers the contacts, then publishes match events straight to the topic and reports
the emails per second and the lag from publication to SMTP acceptance.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
from kafka import KafkaProducer

from shared import topics
from shared.devstack import Ports, Stack
from shared.events import MatchParty, MatchProposed, OrganisationProfile, new_event
from tests.bench import percentile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--matches", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0, help="match.proposed events per second")
    parser.add_argument("--database-url", default="", help="notifications database (default: SQLite in a temp dir)")
    parser.add_argument(
        "--mailer",
        choices=("thread", "process"),
        default="process",
        help="send from the service's own thread or from a separate mailer process",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(
            Path(tmp),
            Ports.free(),
            env={
                "KAFKA_BOOTSTRAP_SERVERS": "",
                "SMTP_HOST": "",
                "NOTIFICATIONS_DATABASE_URL": args.database_url,
                "NOTIFICATIONS_MAILER": args.mailer,
            },
        )
        try:
            stack.start(services=("notifications",), gateway=False)
            stack.wait_healthy(("notifications",), consumers_joined=True)
            run(stack, args.matches, args.rate, args.database_url)
        finally:
            stack.stop()


def run(stack: Stack, matches: int, rate: float, database_url: str = "", verbose: bool = True) -> None:
    producer = KafkaProducer(bootstrap_servers=stack.bootstrap_servers, acks="all", linger_ms=2)
    for side in ("a", "b"):
        for i in range(matches):
            org = f"{side}{i}"
            event = new_event(
                "organisation.registered",
                OrganisationProfile(
                    organisation_id=org,
                    name=f"Organisation {org}",
                    kind="company",
                    contact_email=f"{org}@bench.example",
                ),
                producer="offers",
                key=org,
            )
            producer.send(topics.ORGANISATIONS, key=org.encode(), value=event.to_bytes())
    producer.flush()
    # Start the clock once the contacts are applied: matches queued behind 2 × N registrations
    # would measure the set-up, not the steady state.
    health = f"{stack.url('notifications')}/healthz"
    while httpx.get(health, timeout=10).json()["consumer"]["applied"] < 2 * matches:
        time.sleep(0.2)

    published: dict[str, float] = {}
    start = time.time()
    for i in range(matches):
        parties = [
            MatchParty(organisation_id=f"a{i}", listing_id=f"la{i}", kind="offer", title=f"Lot {i}"),
            MatchParty(organisation_id=f"b{i}", listing_id=f"lb{i}", kind="need", title=f"Besoin {i}"),
        ]
        event = new_event(
            "match.proposed",
            MatchProposed(match_id=f"m{i}", score=0.8, distance_km=3.0, explanation="Même ressource.", parties=parties),
            producer="matching",
            key=f"m{i}",
        )
        producer.send(topics.MATCHES, key=event.key.encode(), value=event.to_bytes())
        published[f"a{i}@bench.example"] = published[f"b{i}@bench.example"] = time.time()
        time.sleep(max(0.0, start + (i + 1) / rate - time.time()))
    producer.flush()

    # Wait by counting the sink's files: its JSON listing parses every stored message, and
    # asking for it every second made the sink itself the bottleneck of the measurement.
    store, deadline = stack.var_dir / "mail", time.time() + 120
    while time.time() < deadline and len(list(store.glob("*.eml"))) < 2 * matches:
        time.sleep(0.5)
    sink = f"http://127.0.0.1:{stack.ports.mailbox}/api/messages"
    arrived = {
        m["to"]: datetime.fromisoformat(m["received_at"]).timestamp() for m in httpx.get(sink, timeout=120).json()
    }
    lags = [arrived[to] - published[to] for to in published if to in arrived]
    span = max(arrived.values()) - start if arrived else 0
    print(f"match.proposed at {rate:.0f}/s: {len(arrived)}/{2 * matches} emails, {len(arrived) / span:.0f} emails/s")
    if lags:
        print(
            f"publication → SMTP acceptance: p50 {1000 * statistics.median(lags):.0f} ms, "
            f"p95 {1000 * percentile(lags, 95):.0f} ms, max {1000 * max(lags):.0f} ms"
        )
    if lags and verbose:
        for second in range(0, int(max(published.values()) - start) + 1, 3):
            window = [
                arrived[to] - t for to, t in published.items() if to in arrived and second <= t - start < second + 3
            ]
            if window:
                print(f"  t={second:3d}s  max lag {1000 * max(window):5.0f} ms")
    if database_url.startswith("sqlite") or not database_url:
        split_lag(stack.var_dir / "notifications.db", published)


def split_lag(database: Path, published: dict[str, float]) -> None:
    """Where the time went: publication → email queued (consumer), queued → SMTP acceptance (mailer)."""
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT organisation_id, created_at, sent_at FROM outgoing_email WHERE sent_at IS NOT NULL"
        ).fetchall()
    queued, sending = [], []
    for org, created, sent in rows:
        created_at = datetime.fromisoformat(created).replace(tzinfo=timezone.utc).timestamp()
        sent_at = datetime.fromisoformat(sent).replace(tzinfo=timezone.utc).timestamp()
        queued.append(created_at - published[f"{org}@bench.example"])
        sending.append(sent_at - created_at)
    for label, values in (("publication → queued (consumer)", queued), ("queued → sent (mailer)", sending)):
        print(f"{label}: p50 {1000 * statistics.median(values):.0f} ms, p95 {1000 * percentile(values, 95):.0f} ms")


if __name__ == "__main__":
    main()
