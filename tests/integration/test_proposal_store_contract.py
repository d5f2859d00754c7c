"""The contract of matching's `ProposalStore` port, run against each adapter: the dict the engine uses in the
library, the evaluation and the benchmark, and the SQL store of the service on SQLite and PostgreSQL.

Whatever holds them, proposals read back as they were made, answers change their status, and only open
ones are listed for a listing; the SQL store also keeps them across transactions ("reopen").
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from matching.engine import InMemoryProposals, Known, ProposalStore
from matching.engine.model import ListingInput, Proposal
from matching.store import SqlProposals
from sqlmodel import Session

from shared.db import make_engine
from tests.conftest import Databases

LISTINGS = {
    listing_id: ListingInput(
        listing_id=listing_id,
        organisation_id=f"org-{listing_id}",
        kind=kind,
        title=title,
        commune="Dijon",
        lat=47.32,
        lon=5.04,
        quantity_value=2,
        quantity_unit="t",
        frequency="monthly",
        expires_at=date(2027, 6, 1),
    )
    for listing_id, kind, title in [
        ("offer-a", "offer", "Chutes de carton"),
        ("need-b", "need", "Carton pour calage"),
        ("need-c", "need", "Carton à broyer"),
        ("pool-d", "pool", "Collecte de cartons"),
        ("pool-e", "pool", "Collecte de cartons"),
        ("pool-f", "pool", "Collecte de cartons"),
    ]
}


def pair(supply: str, demand: str, score: float = 0.8) -> Proposal:
    return Proposal(
        key=f"{supply}|{demand}",
        kind="pair",
        listing_ids=(supply, demand),
        score=score,
        explanation="Carton contre calage.",
    )


def group(*members: str) -> Proposal:
    ids = tuple(sorted(members))
    return Proposal(key="|".join(ids), kind="group", listing_ids=ids, score=0.7, explanation="Collecte commune.")


class Adapter:
    """One way of holding proposals: `store` is the port; `reopen` ends the transaction and starts another."""

    store: ProposalStore

    def reopen(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class Memory(Adapter):
    def __init__(self) -> None:
        self.store = InMemoryProposals()

    def reopen(self) -> None:  # a dict has no transactions: the same dict is the state
        pass


class Sql(Adapter):
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.session = Session(self.engine)
        self.store = SqlProposals(self.session, LISTINGS.get)

    def reopen(self) -> None:
        self.session.commit()
        self.session.close()
        self.session = Session(self.engine)
        self.store = SqlProposals(self.session, LISTINGS.get)

    def close(self) -> None:
        self.session.close()
        self.engine.dispose()


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def adapter(request: pytest.FixtureRequest, databases: Databases) -> Iterator[Adapter]:
    made = Memory() if request.param == "memory" else Sql(databases.migrated(request.param, "matching"))
    yield made
    made.close()


def test_nothing_is_known_at_first(adapter: Adapter) -> None:
    assert adapter.store.get("offer-a|need-b") is None
    assert adapter.store.open_of("offer-a") == []


def test_a_proposal_reads_back_as_made_and_is_open_for_each_of_its_listings(adapter: Adapter) -> None:
    adapter.store.add(pair("offer-a", "need-b", score=0.83))
    adapter.reopen()
    expected = Known("offer-a|need-b", "proposed", 0.83, ("offer-a", "need-b"))  # supply, then demand
    assert adapter.store.get("offer-a|need-b") == expected
    assert adapter.store.open_of("offer-a") == [expected]
    assert adapter.store.open_of("need-b") == [expected]


def test_a_group_keeps_its_members_in_order(adapter: Adapter) -> None:
    adapter.store.add(group("pool-f", "pool-d", "pool-e"))
    adapter.reopen()
    known = adapter.store.get("pool-d|pool-e|pool-f")
    assert known is not None and known.listing_ids == ("pool-d", "pool-e", "pool-f")
    assert [k.key for k in adapter.store.open_of("pool-e")] == ["pool-d|pool-e|pool-f"]


def test_open_proposals_of_a_listing_come_by_key(adapter: Adapter) -> None:
    adapter.store.add(pair("offer-a", "need-c"))
    adapter.store.add(pair("offer-a", "need-b"))
    adapter.reopen()
    assert [k.key for k in adapter.store.open_of("offer-a")] == ["offer-a|need-b", "offer-a|need-c"]


@pytest.mark.parametrize("status", ["accepted", "declined", "retracted"])
def test_an_answered_proposal_is_no_longer_open(adapter: Adapter, status: str) -> None:
    adapter.store.add(pair("offer-a", "need-b"))
    adapter.store.add(pair("offer-a", "need-c"))
    adapter.reopen()
    adapter.store.set_status("offer-a|need-b", status)
    adapter.reopen()
    known = adapter.store.get("offer-a|need-b")
    assert known is not None and known.status == status
    assert [k.key for k in adapter.store.open_of("offer-a")] == ["offer-a|need-c"]
    assert adapter.store.open_of("need-b") == []


def test_a_retracted_proposal_made_again_is_open_with_its_new_score(adapter: Adapter) -> None:
    adapter.store.add(pair("offer-a", "need-b", score=0.6))
    adapter.store.set_status("offer-a|need-b", "retracted")
    adapter.reopen()
    adapter.store.add(pair("offer-a", "need-b", score=0.9))
    adapter.reopen()
    assert adapter.store.get("offer-a|need-b") == Known("offer-a|need-b", "proposed", 0.9, ("offer-a", "need-b"))
    assert [k.key for k in adapter.store.open_of("need-b")] == ["offer-a|need-b"]


def test_answering_an_unknown_proposal_is_an_error(adapter: Adapter) -> None:
    with pytest.raises(KeyError):
        adapter.store.set_status("offer-a|need-b", "accepted")
