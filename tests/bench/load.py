"""Load: hold N listings per second for D seconds against a Boucle and report what it sustained.

Run: `make load` (50 listings/s for 5 minutes on a stack of its own, on PostgreSQL like production:
a PostgreSQL server of its own with initdb's defaults, autovacuum on, unless `BOUCLE_LOAD_POSTGRES_URL`
names one to create fresh databases on (dropped afterwards); `--database sqlite` for SQLite files),
or against a running one:
`python -m tests.bench.load --url http://127.0.0.1:8000 --mailbox http://127.0.0.1:8025 --rate 50 --seconds 300`.

Organisations come in pairs, each pair with a resource of its own, and post an offer then a
complementary need: every need should give one match and two alerts. Reports throughput, API
p95/p99, need → `match.proposed` and need → both emails accepted by SMTP (p95/p99), the largest
consumer lag seen on the services' /metrics, and every error (non-2xx answers, events
dead-lettered, emails missing).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import httpx
import psycopg

from shared.devstack import Ports, Stack
from shared.settings import SERVICES
from tests.bench import percentile
from tests.bench.listing_to_email import watch_matches
from tests.private_postgres import PrivatePostgres

WORKERS = 48
# The machine's shared server runs with autovacuum off (fine for tests, not for a queue table under
# five minutes of updates): by default the load runs on a server of its own, configured as production.
POSTGRES_ADMIN_URL = os.environ.get("BOUCLE_LOAD_POSTGRES_URL")


class Run:
    """What one load run measured."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.api: list[float] = []
        self.errors: list[str] = []
        self.need_posted: dict[int, float] = {}
        self.need_ids: dict[int, str] = {}
        self.max_lag: dict[str, float] = {}

    def post(self, client: httpx.Client, token: str, body: dict) -> httpx.Response | None:
        t0 = time.time()
        try:
            answer = client.post("/api/v1/listings", headers={"Authorization": f"Bearer {token}"}, json=body)
        except httpx.HTTPError as exc:
            with self.lock:
                self.errors.append(f"POST /listings: {exc}")
            return None
        with self.lock:
            self.api.append(time.time() - t0)
            if answer.status_code != 201:
                self.errors.append(f"POST /listings: {answer.status_code} {answer.text[:200]}")
                return None
        return answer


def register_pairs(client: httpx.Client, pairs: int) -> list[tuple[str, str]]:
    def one(i: int) -> tuple[str, str]:
        tokens = []
        for side, commune in (("offre", "Dijon"), ("besoin", "Chenôve")):
            answer = client.post(
                "/api/v1/organisations",
                json={
                    "name": f"Charge {side} {i}",
                    "kind": "company",
                    "commune": commune,
                    "contact_email": f"{side}{i}@load.example",
                },
            )
            answer.raise_for_status()
            tokens.append(answer.json()["token"])
        return tokens[0], tokens[1]

    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(one, range(pairs)))


def scrape_lag(urls: list[str], run: Run, stop: threading.Event) -> None:
    """Every 2 s, the consumer lag each service reports on /metrics; keeps the largest."""
    while not stop.wait(2.0):
        for url in urls:
            try:
                text = httpx.get(f"{url}/metrics", timeout=5).text
            except httpx.HTTPError:
                continue
            lag = sum(float(v) for v in re.findall(r"^boucle_consumer_lag\{.*\} (\S+)$", text, re.M))
            run.max_lag[url] = max(run.max_lag.get(url, 0.0), lag)


DEAD_LETTERED = re.compile(r'^boucle_events_consumed_total\{.*outcome="dead_lettered".*\} (\S+)$', re.M)


def dead_lettered(urls: list[str]) -> float:
    return sum(float(v) for url in urls for v in DEAD_LETTERED.findall(httpx.get(f"{url}/metrics", timeout=5).text))


def load(gateway: str, mailbox: str, broker: str, services: list[str], rate: float, seconds: float) -> None:
    pairs = int(rate * seconds / 2)
    client = httpx.Client(base_url=gateway, timeout=30, limits=httpx.Limits(max_connections=WORKERS * 2))
    print(f"registering {2 * pairs} organisations…", flush=True)
    tokens = register_pairs(client, pairs)
    run, stop = Run(), threading.Event()
    matched_at: dict[str, float] = {}
    threads = [
        threading.Thread(target=watch_matches, args=(broker, matched_at, stop)),
        threading.Thread(target=scrape_lag, args=(services, run, stop)),
    ]
    for thread in threads:
        thread.start()
    time.sleep(2)

    def pair(i: int) -> None:
        supplier, buyer = tokens[i]
        resource = f"charge{i}"
        if run.post(client, supplier, {"kind": "offer", "title": f"Lot {i}", "category": resource}) is None:
            return
        answer = run.post(client, buyer, {"kind": "need", "title": f"Lot {i}", "category": resource})
        if answer is not None:
            with run.lock:
                run.need_posted[i], run.need_ids[i] = time.time(), answer.json()["id"]

    print(f"posting {2 * pairs} listings at {rate:.0f}/s for {seconds:.0f} s…", flush=True)
    start = time.time()
    with ThreadPoolExecutor(WORKERS) as pool:
        for i in range(pairs):  # one pair (two listings) every 2/rate seconds
            time.sleep(max(0.0, start + 2 * i / rate - time.time()))
            pool.submit(pair, i)
    posting = time.time() - start

    expected = {f"{side}{i}@load.example" for i in run.need_posted for side in ("offre", "besoin")}
    store_deadline, arrived = time.time() + 180, {}
    while time.time() < store_deadline:
        arrived = {
            m["to"]: datetime.fromisoformat(m["received_at"]).timestamp()
            for m in httpx.get(f"{mailbox}/api/messages", timeout=120).json()
            if m["to"] in expected
        }
        if len(arrived) >= len(expected):
            break
        time.sleep(5)
    stop.set()
    for thread in threads:
        thread.join()

    to_match = [matched_at[run.need_ids[i]] - at for i, at in run.need_posted.items() if run.need_ids[i] in matched_at]
    to_email = [
        max(arrived[f"offre{i}@load.example"], arrived[f"besoin{i}@load.example"]) - at
        for i, at in run.need_posted.items()
        if f"offre{i}@load.example" in arrived and f"besoin{i}@load.example" in arrived
    ]
    missing = len(expected) - len(arrived)
    dlq = dead_lettered(services)

    def ms(values: list[float], p: float) -> str:
        return f"{1000 * percentile(values, p):.0f} ms" if values else "n/a"

    print(f"listings posted: {len(run.api)} in {posting:.0f} s ({len(run.api) / posting:.1f}/s)")
    print(f"API POST /listings: p95 {ms(run.api, 95)}, p99 {ms(run.api, 99)}")
    print(f"need → match.proposed ({len(to_match)}/{pairs}): p95 {ms(to_match, 95)}, p99 {ms(to_match, 99)}")
    print(f"need → both emails accepted ({len(to_email)}/{pairs}): p95 {ms(to_email, 95)}, p99 {ms(to_email, 99)}")
    print(
        "largest consumer lag seen: "
        + ", ".join(f"{url.rsplit(':', 1)[-1]} {lag:.0f}" for url, lag in run.max_lag.items())
    )
    print(f"errors: {len(run.errors)} API, {dlq:.0f} dead-lettered, {missing} emails missing")
    for error in run.errors[:10]:
        print("  ", error)


@contextlib.contextmanager
def databases(backend: str, tmp: Path) -> Iterator[dict[str, str]]:
    """`<SERVICE>_DATABASE_URL` for each service: fresh PostgreSQL databases (dropped afterwards) or SQLite files."""
    if backend == "sqlite":
        yield {f"{s.upper()}_DATABASE_URL": f"sqlite:///{tmp / f'{s}.db'}" for s in SERVICES}
        return
    server = None if POSTGRES_ADMIN_URL else PrivatePostgres()
    admin_url = POSTGRES_ADMIN_URL
    if server is not None:
        server.start()
        admin_url = server.url()
    assert admin_url is not None
    names = {s: f"boucle_load_{uuid.uuid4().hex[:8]}_{s}" for s in SERVICES}
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for name in names.values():
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        base = admin_url.rsplit("/", 1)[0]
        yield {f"{s.upper()}_DATABASE_URL": f"{base}/{name}" for s, name in names.items()}
    finally:
        if server is not None:
            server.stop()
        else:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                for name in names.values():
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="listings per second")
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--url", help="a running gateway (default: start a stack of its own)")
    parser.add_argument("--mailbox", default="http://127.0.0.1:8025")
    parser.add_argument("--broker", default="127.0.0.1:9092")
    parser.add_argument(
        "--database",
        choices=("postgresql", "sqlite"),
        default="postgresql",
        help="the services' databases, for a stack of its own (default: PostgreSQL, as in production)",
    )
    parser.add_argument("--var-dir", help="keep the stack's logs there (default: a temporary directory)")
    args = parser.parse_args()
    if args.url:
        services = [f"http://127.0.0.1:{port}" for port in (8001, 8002, 8003, 8004)]
        load(args.url, args.mailbox, args.broker, services, args.rate, args.seconds)
        return
    with tempfile.TemporaryDirectory() as tmp, databases(args.database, Path(tmp)) as urls:
        var_dir = Path(args.var_dir or tmp)
        print(f"stack of its own on {args.database}, logs in {var_dir}/log", flush=True)
        stack = Stack(var_dir, Ports.free(), env={"KAFKA_BOOTSTRAP_SERVERS": "", "SMTP_HOST": "", **urls})
        try:
            stack.start()
            stack.wait_healthy(consumers_joined=True)
            load(
                stack.url("gateway"),
                f"http://127.0.0.1:{stack.ports.mailbox}",
                stack.bootstrap_servers,
                [stack.url(s) for s in SERVICES],
                args.rate,
                args.seconds,
            )
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
