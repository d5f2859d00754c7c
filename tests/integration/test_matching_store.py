"""Matching's consumer on a real database: a batch in one transaction, or each event in its own, or a
restart half-way, all leave the same matches and events (SQLite and PostgreSQL).

The store reads the database as little as it can and flushes its writes with the transaction, so
what an event wrote earlier in the same transaction must come from its memory, not the tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from matching.consumer import MatchingProcessor
from matching.engine.model import Proposal
from matching.knowledge import Knowledge
from matching.models import TABLES, Match, MatchMember
from matching.store import SqlProposals
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from shared.db import init_db, make_engine
from shared.events import ListingClosed, ListingSnapshot, Payload, new_event
from shared.outbox import OutboxMessage
from tests.conftest import Databases

KNOWLEDGE = Knowledge.load()
PLACES = {"Dijon": (47.322, 5.041), "Chenôve": (47.292, 5.006), "Talant": (47.336, 5.005)}


def listing(listing_id: str, kind: str, title: str, commune: str, revision: int = 1) -> ListingSnapshot:
    lat, lon = PLACES[commune]
    return ListingSnapshot(
        listing_id=listing_id,
        organisation_id=f"org-{listing_id}",
        revision=revision,
        kind=kind,
        title=title,
        commune=commune,
        lat=lat,
        lon=lon,  # type: ignore[arg-type]
        quantity_value=2,
        quantity_unit="t",
        frequency="monthly",
    )


def closed(listing_id: str, revision: int) -> ListingClosed:
    return ListingClosed(listing_id=listing_id, organisation_id=f"org-{listing_id}", revision=revision)


# (event type, payload): a pair proposed, retracted when the need changes, not proposed again when
# it comes back (not clearly better), a newcomer proposed, an old revision ignored, a pause that
# leaves the newcomer's match standing, a withdrawal with nothing left open.
EVENTS: list[tuple[str, Payload]] = [
    ("listing.published", listing("offer-a", "offer", "Chutes de carton ondulé", "Dijon")),
    ("listing.published", listing("need-b", "need", "Carton pour calage", "Chenôve")),
    ("listing.updated", listing("need-b", "need", "Ferraille de démolition", "Chenôve", revision=2)),
    ("listing.updated", listing("need-b", "need", "Carton pour calage", "Chenôve", revision=3)),
    ("listing.published", listing("offer-c", "offer", "Cartons ondulés usagés", "Talant")),
    ("listing.updated", listing("need-b", "need", "Ferraille de démolition", "Chenôve", revision=2)),
    ("listing.paused", closed("offer-c", 2)),
    ("listing.withdrawn", closed("offer-a", 2)),
]


def fresh_engine(databases: Databases, backend: str) -> Engine:
    engine = make_engine(databases.url(backend, "matching"))
    init_db(engine, [*TABLES, OutboxMessage])
    return engine


def apply(engine: Engine, processor: MatchingProcessor, events: list[tuple[str, Payload]]) -> None:
    """Apply `events` in one transaction, as the consumer applies a polled batch."""
    with Session(engine) as session:
        for event_type, payload in events:
            handler: Callable = processor.handlers[event_type]  # type: ignore[assignment]
            handler(session, new_event(event_type, payload, producer="offers", key=payload.listing_id), payload)  # type: ignore[attr-defined]
        session.commit()


def outcome(engine: Engine) -> tuple[dict[str, tuple[str, list[str]]], list[tuple[str, str]]]:
    """Matches by key (status, members) and the events staged, in order, naming matches by key."""
    with Session(engine) as session:
        matches = {m.id: m for m in session.exec(select(Match)).all()}
        members: dict[str, list[str]] = {}
        for member in session.exec(select(MatchMember).order_by(col(MatchMember.listing_id))):
            members.setdefault(matches[member.match_id].key, []).append(f"{member.role}:{member.listing_id}")
        events = [
            (row.type, matches[json.loads(row.value)["payload"]["match_id"]].key)
            for row in session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))
        ]
    return {m.key: (m.status, members[m.key]) for m in matches.values()}, events


EXPECTED = (
    {
        "pair:offer-a:need-b": ("retracted", ["demand:need-b", "supply:offer-a"]),
        "pair:offer-c:need-b": ("proposed", ["demand:need-b", "supply:offer-c"]),
    },
    [
        ("match.proposed", "pair:offer-a:need-b"),
        ("match.retracted", "pair:offer-a:need-b"),
        ("match.proposed", "pair:offer-c:need-b"),
    ],
)


@pytest.mark.parametrize("split", ["one batch", "one event per transaction", "restart half-way"])
def test_batches_transactions_and_restarts_leave_the_same_matches(
    databases: Databases, backend: str, split: str
) -> None:
    engine = fresh_engine(databases, backend)
    processor = MatchingProcessor(KNOWLEDGE)
    if split == "one batch":
        apply(engine, processor, EVENTS)
    elif split == "one event per transaction":
        for event in EVENTS:
            apply(engine, processor, [event])
    else:  # the second process knows the first listings from the database only
        apply(engine, processor, EVENTS[:4])
        apply(engine, MatchingProcessor(KNOWLEDGE), EVENTS[4:])
    assert outcome(engine) == EXPECTED


@pytest.mark.parametrize("same_transaction", [True, False])
def test_a_retracted_pair_proposed_again_keeps_its_id_with_fresh_members(
    databases: Databases, backend: str, same_transaction: bool
) -> None:
    engine = fresh_engine(databases, backend)
    processor = MatchingProcessor(KNOWLEDGE)
    apply(engine, processor, EVENTS[:2])  # offer-a and need-b indexed, their pair proposed
    proposal = Proposal(
        key="pair:offer-a:need-b",
        kind="pair",
        listing_ids=("offer-a", "need-b"),
        score=0.95,
        explanation="Mieux qu'avant",
        explanations={},
    )
    with Session(engine) as session:
        store = SqlProposals(session, processor.listing_of)
        store.set_status(proposal.key, "retracted")
        if not same_transaction:
            session.commit()
            store = SqlProposals(session, processor.listing_of)
        assert store.open_of("need-b") == []
        store.add(proposal)
        assert [k.key for k in store.open_of("need-b")] == [proposal.key]
        session.commit()
    matches, events = outcome(engine)
    assert matches == {proposal.key: ("proposed", ["demand:need-b", "supply:offer-a"])}
    assert [event for event, _ in events] == ["match.proposed", "match.retracted", "match.proposed"]
    with Session(engine) as session:
        match_ids = {json.loads(row.value)["payload"]["match_id"] for row in session.exec(select(OutboxMessage))}
        assert len(match_ids) == 1 and session.exec(select(Match)).one().score == 0.95
