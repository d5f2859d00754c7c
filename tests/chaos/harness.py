"""What the chaos tests share: a stream of listings whose matches are known in advance, and the checks.

Each pair `i` is two organisations, `offre<i>@<tag>.example` (Dijon) and `besoin<i>@<tag>.example`
(Chenôve), posting an offer and a need for a resource of their own (`<tag><i>`): the offer of
pair `i` matches the need of pair `i` and nothing else. So what a run must end with is known from
what was posted: one match per pair, one `match_proposed` email to each organisation, and in
reporting every organisation, listing and match once.

The client behaves as a careful API client: each listing is posted with an `Idempotency-Key` of its
own and retried, with the same key, until the API answers 201; a listing committed just before a
crash whose answer was lost is given back by the retry, not posted twice (reporting's count of the
run's listings would show a second one).
"""

from __future__ import annotations

import email.parser
import email.policy
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import Engine, text

from shared import topics
from shared.db import make_engine
from shared.devstack import Stack
from shared.events import Envelope
from shared.kafka import read_topic
from shared.settings import SERVICES
from tests import web

WORKERS = 6


@dataclass
class Pair:
    index: int
    offer_org: int  # index into the stream's supplier and buyer organisations
    need_org: int
    offer_id: str | None = None
    need_id: str | None = None


@dataclass
class Organisation:
    id: str
    email: str
    token: str


class ListingStream:
    """`pairs` pairs of listings from `organisations` suppliers and as many buyers, posted through `url`."""

    def __init__(self, url: str, pairs: int, tag: str, organisations: int = 20):
        self.url, self.pairs, self.tag = url, pairs, tag
        self.lock = threading.Lock()
        self.posted = 0  # listings acknowledged with 201
        self.retries = 0  # attempts that got no 201 (the API down is allowed)
        self.replayed = 0  # listings published by an attempt whose answer was lost, given back by a retry
        self.failure: BaseException | None = None
        self.client = httpx.Client(base_url=url, timeout=20, limits=httpx.Limits(max_connections=2 * WORKERS))
        self.size = organisations
        self.suppliers: list[Organisation] = []
        self.buyers: list[Organisation] = []
        self.items = [Pair(i, i % organisations, i % organisations) for i in range(pairs)]
        self.gate = threading.Condition()
        self.opened = pairs  # pairs that may be begun; `close_gate` and `open_until` hold the rest back

    def close_gate(self) -> None:
        """No pair is begun until `open_until` lets it: the test sends the stream in waves of its choosing."""
        with self.gate:
            self.opened = 0

    def open_until(self, pairs: int) -> None:
        """Pairs below `pairs` may be begun."""
        with self.gate:
            self.opened = max(self.opened, pairs)
            self.gate.notify_all()

    def register(self) -> None:
        """Before any fault: every organisation registered, its token kept."""

        def one(side: str, commune: str, n: int) -> Organisation:
            address = f"{side}{n}@{self.tag}.example"
            answer = self.client.post(
                "/api/v1/organisations",
                json={
                    "name": f"Chaos {side} {self.tag} {n}",
                    "kind": "company",
                    "commune": commune,
                    "contact_email": address,
                },
            )
            assert answer.status_code == 201, answer.text
            return Organisation(answer.json()["id"], address, answer.json()["token"])

        with ThreadPoolExecutor(WORKERS) as pool:
            self.suppliers = list(pool.map(lambda n: one("offre", "Dijon", n), range(self.size)))
            self.buyers = list(pool.map(lambda n: one("besoin", "Chenôve", n), range(self.size)))

    def post_all(self, deadline_s: float = 300.0) -> None:
        """Post every pair's offer then need, each pair once the gate lets it; returns once each was
        acknowledged with 201."""
        deadline = time.monotonic() + deadline_s

        def one(pair: Pair) -> None:
            with self.gate:
                assert self.gate.wait_for(lambda: pair.index < self.opened, max(0.0, deadline - time.monotonic()))
            title, resource = f"Lot {self.tag} {pair.index}", f"{self.tag}{pair.index}"
            pair.offer_id = self.post(
                self.suppliers[pair.offer_org], {"kind": "offer", "title": title, "category": resource}, deadline
            )
            pair.need_id = self.post(
                self.buyers[pair.need_org], {"kind": "need", "title": title, "category": resource}, deadline
            )

        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(one, self.items))

    def start(self, deadline_s: float = 300.0) -> threading.Thread:
        """`post_all` in a thread of its own (the test injects faults meanwhile); join it, then `check_posted`."""

        def run() -> None:
            try:
                self.post_all(deadline_s)
            except BaseException as exc:  # surfaced by check_posted
                self.failure = exc

        thread = threading.Thread(target=run, name=f"stream-{self.tag}")
        thread.start()
        return thread

    def check_posted(self) -> None:
        if self.failure is not None:
            raise AssertionError(f"posting failed: {self.failure!r}") from self.failure
        assert all(p.offer_id and p.need_id for p in self.items)

    def post(self, org: Organisation, body: dict, deadline: float) -> str:
        headers = {"Authorization": f"Bearer {org.token}", "Idempotency-Key": f"{body['kind']}-{body['category']}"}
        while True:
            try:
                answer = self.client.post("/api/v1/listings", headers=headers, json=body)
                if answer.status_code == 201:
                    with self.lock:
                        self.posted += 1
                        self.replayed += answer.headers.get("idempotent-replayed") == "true"
                    return str(answer.json()["id"])
                # A 4xx is a mistake of the test, not a fault to ride out.
                assert answer.status_code >= 500, answer.text
            except httpx.HTTPError:
                pass
            with self.lock:
                self.retries += 1
            assert time.monotonic() < deadline, f"no 201 for {body['title']} before the deadline"
            time.sleep(0.3)

    # --- what the run must end with
    def expected_matches(self) -> set[frozenset[str]]:
        return {frozenset((p.offer_id, p.need_id)) for p in self.items}  # type: ignore[arg-type]

    def expected_emails(self) -> set[tuple[frozenset[str], str]]:
        """(the match's listings, recipient): each organisation told of each of its matches."""
        return {
            item
            for p in self.items
            for item in (
                (frozenset((p.offer_id, p.need_id)), self.suppliers[p.offer_org].email),
                (frozenset((p.offer_id, p.need_id)), self.buyers[p.need_org].email),
            )
        }

    def recipients(self) -> set[str]:
        return {o.email for o in (*self.suppliers, *self.buyers)}

    def organisations(self) -> set[str]:
        return {o.id for o in (*self.suppliers, *self.buyers)}

    def listings(self) -> set[str]:
        return {x for p in self.items for x in (p.offer_id, p.need_id) if x}


# --- reading what happened -----------------------------------------------------------------------


class ServiceDatabases:
    """One engine per service database of a stack (read-only use)."""

    def __init__(self, stack: Stack):
        self.engines: dict[str, Engine] = {s: make_engine(stack.env[f"{s.upper()}_DATABASE_URL"]) for s in SERVICES}

    def rows(self, service: str, sql: str) -> list[tuple]:
        with self.engines[service].connect() as connection:
            return [tuple(r) for r in connection.execute(text(sql))]

    def scalar(self, service: str, sql: str) -> int:
        return int(self.rows(service, sql)[0][0])

    def dispose(self) -> None:
        for engine in self.engines.values():
            engine.dispose()


def matches(dbs: ServiceDatabases) -> dict[str, frozenset[str]]:
    """Matching's matches: id → its listings."""
    members: dict[str, set[str]] = {}
    for match_id, listing_id in dbs.rows(
        "matching", "SELECT m.id, mm.listing_id FROM match m JOIN match_member mm ON mm.match_id = m.id"
    ):
        members.setdefault(match_id, set()).add(listing_id)
    return {k: frozenset(v) for k, v in members.items()}


_HEADERS = email.parser.BytesHeaderParser(policy=email.policy.default)


@dataclass(frozen=True)
class Received:
    to: str
    message_id: str
    kind: str


class Sink:
    """The SMTP sink's store, read straight from its files (its JSON listing parses every body)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.seen: dict[Path, Received] = {}

    def messages(self) -> list[Received]:
        for path in sorted(self.directory.glob("*.eml")):
            if path not in self.seen:
                with path.open("rb") as file:
                    headers = _HEADERS.parse(file)
                self.seen[path] = Received(
                    str(headers["To"]), str(headers["Message-ID"]), str(headers["X-Boucle-Kind"])
                )
        return list(self.seen.values())


def events(bootstrap: str, topic: str) -> list[Envelope]:
    """Every event on `topic`, from the beginning to its end as it is now."""
    return [Envelope.from_bytes(r.value) for r in read_topic(topic, bootstrap_servers=bootstrap)]


def quiet(stack: Stack, dbs: ServiceDatabases) -> bool:
    """Nothing left to do anywhere: every outbox published, every consumer at the end of its
    partitions, no email waiting."""
    for service in SERVICES:
        if dbs.scalar(service, "SELECT count(*) FROM outbox WHERE sent_at IS NULL"):
            return False
        try:
            metrics = web.get(f"{stack.url(service)}/metrics", timeout=5).text
        except httpx.HTTPError:
            return False
        lags = [
            float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines() if line.startswith("boucle_consumer_lag{")
        ]
        if service != "offers" and (not lags or any(lags)):
            return False
    return not dbs.scalar("notifications", "SELECT count(*) FROM outgoing_email WHERE status = 'pending'")


def wait_until(condition: Callable[[], object], timeout: float, what: str, interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f}s: {what}")
        time.sleep(interval)


def settle(stack: Stack, dbs: ServiceDatabases, sink: Sink, stream: ListingStream, timeout: float = 180.0) -> None:
    """Wait for as many distinct emails as expected, then for the whole stack to be idle (so a late
    duplicate would show)."""
    expected, ours = len(stream.expected_emails()), stream.recipients()
    wait_until(
        lambda: len({m.message_id for m in sink.messages() if m.to in ours}) >= expected, timeout, f"{expected} emails"
    )
    wait_until(lambda: quiet(stack, dbs), 60, "the stack idle")
    time.sleep(1.0)  # one more poll of every consumer and of the mailer


def check_exactly_once(
    stack: Stack, dbs: ServiceDatabases, sink: Sink, stream: ListingStream, *, resent_at_most: int = 0
) -> None:
    """Each expected match proposed once, and only those; each email once; reporting counts each once.

    `resent_at_most`: SMTP has no two-phase commit, so a mailer killed -9 may send again a message
    the server accepted in the instant before the kill (at most one per open SMTP connection); the copy
    has the same Message-ID, so a receiver recognises it. Any other duplicate fails.
    """
    # matching: exactly the expected pairs, each once
    found = {k: v for k, v in matches(dbs).items() if v & stream.listings()}
    assert len(found) == len(set(found.values())), "a pair proposed twice"
    assert set(found.values()) == stream.expected_matches(), (
        f"missing {len(stream.expected_matches() - set(found.values()))}, "
        f"unexpected {len(set(found.values()) - stream.expected_matches())}"
    )
    # the topic: one match.proposed (one event id) per match; a relay retry repeats the same event id
    proposed: dict[str, set[str]] = {}
    for event in events(stack.bootstrap_servers, topics.MATCHES):
        if event.type == "match.proposed" and event.key in found:
            proposed.setdefault(event.key, set()).add(str(event.event_id))
    assert set(proposed) == set(found), "a match of matching's database never reached the topic"
    assert all(len(ids) == 1 for ids in proposed.values()), "a match proposed twice (two event ids)"

    # emails: each (match, recipient) expected, by exactly one Message-ID
    by_match = emails_by_match(dbs, sink, stream, found)
    assert set(by_match) == stream.expected_emails(), (
        f"missing {len(stream.expected_emails() - set(by_match))}, "
        f"unexpected {len(set(by_match) - stream.expected_emails())}"
    )
    twice = {key: ids for key, ids in by_match.items() if len(set(ids)) > 1}
    assert not twice, f"two different emails for the same match and recipient: {twice}"
    copies = [ids for ids in by_match.values() if len(ids) > 1]
    assert len(copies) <= resent_at_most and all(len(ids) == 2 for ids in copies), (
        f"{len(copies)} messages received more than once: {copies}"
    )
    statuses = Counter(
        status
        for (status,) in dbs.rows(
            "notifications",
            "SELECT status FROM outgoing_email WHERE organisation_id IN "
            f"({', '.join(repr(o) for o in stream.organisations())})",
        )
    )
    assert statuses == {"sent": len(stream.expected_emails())}, statuses

    # reporting: every organisation, listing and match of the run once
    assert reporting_counts(dbs, stream) == {
        "organisations": len(stream.organisations()),
        "listings": 2 * stream.pairs,
        "matches": stream.pairs,
        "participants": 2 * stream.pairs,
    }


def emails_by_match(
    dbs: ServiceDatabases, sink: Sink, stream: ListingStream, found: dict[str, frozenset[str]]
) -> dict[tuple[frozenset[str], str], list[str]]:
    """(the match's listings, recipient) → the Message-IDs the sink received for it, one per copy.

    The Message-ID is `<outgoing_email.id@boucle>`; that row's dedup_key names the match."""
    keys = dict(dbs.rows("notifications", "SELECT id, dedup_key FROM outgoing_email"))
    received: dict[tuple[frozenset[str], str], list[str]] = {}
    for message in sink.messages():
        if message.to not in stream.recipients():
            continue
        assert message.kind == "match_proposed", message
        kind, match_id, _organisation = keys[message.message_id.strip("<>").split("@")[0]].split(":")
        assert kind == "match.proposed" and match_id in found, message
        received.setdefault((found[match_id], message.to), []).append(message.message_id)
    return received


def reporting_counts(dbs: ServiceDatabases, stream: ListingStream) -> dict[str, int]:
    def count(sql: str, ids: Iterable[str]) -> int:
        wanted = set(ids)
        return sum(1 for (x,) in dbs.rows("reporting", sql) if x in wanted)

    ours = set(matches(dbs))
    return {
        "organisations": count("SELECT organisation_id FROM known_organisation", stream.organisations()),
        "listings": count("SELECT listing_id FROM known_listing", stream.listings()),
        "matches": count("SELECT match_id FROM reported_match", ours),
        "participants": count("SELECT match_id FROM match_participant", ours),
    }
