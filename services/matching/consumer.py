"""Applies `boucle.listings` to the engine and records its proposals, once, in one transaction.

Every instance of the service keeps the engine's index in memory and brings it up to date
from the shared `indexed_listing` table (rows with `seq` above the last one it saw) at the
start of each transaction (the consumer applies a polled batch per transaction). Events are
applied one transaction at a time across instances (an advisory lock on PostgreSQL, the
write lock on SQLite), so any number of instances sharing the topic's partitions proposes
exactly what one instance would.
"""

from __future__ import annotations

import gc
import logging
from datetime import date, datetime, timezone

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from matching.engine import Engine
from matching.engine.index import ListingIndex
from matching.engine.model import ListingInput
from matching.engine.profile import Profile
from matching.engine.text import tokens
from matching.knowledge import Knowledge
from matching.knowledge.law import Regulation
from matching.meaning import MeaningGuesser
from matching.models import IndexedListing, Match, MatchMember, Teaching
from matching.store import SqlProposals
from shared.events import Envelope, ListingClosed, ListingSnapshot, OrganisationErased, Payload, Taught
from shared.observability import MATCH_LATENCY
from shared.outbox import forget_sent

log = logging.getLogger(__name__)

LISTING_FIELDS = (
    "listing_id",
    "organisation_id",
    "kind",
    "title",
    "description",
    "category",
    "ewc_code",
    "quantity_value",
    "quantity_unit",
    "frequency",
    "radius_km",
    "lat",
    "lon",
    "commune",
    "available_from",
    "expires_at",
    "revision",
    "quantity_private",
    "waste_status",
    "abp_category",
    "organic_farming",
    "temperature_c",
    "pressure_bar",
    "purity_percent",
    "moisture_percent",
    "held",
    "days",
    "months",
    "counterpart_id",
)


def placed_by_rule(profile: Profile) -> bool:
    """Placed by the knowledge base: a listing placed by the meaning of its words stays for the animateur to review
    (and teach) among the unplaced."""
    return profile.placed and not profile.guessed


def as_input(row: IndexedListing) -> ListingInput:
    return ListingInput(**{name: getattr(row, name) for name in LISTING_FIELDS})


# What an erased listing forgets: everything it said, from the same list the index is fed from (a field added there
# is erased too), and what the row keeps beside it. What identifies the row and orders its revisions stays; the
# title, not nullable, is emptied apart (`erase_listing`).
KEPT_WHEN_ERASED = ("listing_id", "organisation_id", "kind", "title", "revision", "quantity_private", "held")
ERASED_FIELDS = (
    *(name for name in LISTING_FIELDS if name not in KEPT_WHEN_ERASED),
    "insee",
    "terms",
    "price",
    "transport_by",
    "transport_means",
)


def erase_listing(session: Session, row: IndexedListing) -> None:
    """What a listing said is forgotten (its organisation refused its diagnostic, or was deleted): its row keeps only
    its id and revision, and the sentences of the proposals that named it are emptied."""
    row.title = ""
    for name in ERASED_FIELDS:
        setattr(row, name, None)
    session.flush()  # the retractions just staged
    named = select(MatchMember.match_id).where(MatchMember.listing_id == row.listing_id)
    for match in session.exec(select(Match).where(col(Match.id).in_(named))).all():
        match.explanation = ""
        session.add(match)
    for member in session.exec(select(MatchMember).where(col(MatchMember.match_id).in_(named))).all():
        member.explanation = ""
        session.add(member)


class MatchingProcessor:
    """The engine of this process, kept in step with the database."""

    def __init__(self, knowledge: Knowledge, *, meaning: bool = True):
        self.knowledge = knowledge  # the reviewed knowledge base; the animateurs' teachings come on top
        self.regulation = Regulation.load(knowledge)  # the law names the reviewed nodes: it holds after teachings
        # For phrases no one taught: its vectors load on first use, once.
        self.guess = MeaningGuesser(knowledge) if meaning else None
        self.engine = Engine(knowledge, regulation=self.regulation, guess=self.guess)
        self.taught_seq = 0  # the last teaching this engine reads with
        self.last_seq = 0
        self.stale = True  # rebuild from the database before the next event
        self.transaction: object | None = None  # the one holding the lock, caught up
        self.store: SqlProposals | None = None  # that transaction's
        self.rows: dict[str, IndexedListing] = {}  # written in that transaction, by listing id
        self.revisions: dict[str, int] = {}  # of every listing in `indexed_listing`, active or not

    def forget(self) -> None:
        """The consumer's transaction rolled back: the in-memory index must follow (rebuilt next time)."""
        self.stale = True

    @property
    def handlers(self) -> dict[str, object]:
        return {
            "listing.published": self.on_listing_changed,
            "listing.updated": self.on_listing_changed,
            "listing.withdrawn": self.on_listing_closed,
            "listing.expired": self.on_listing_closed,
            "listing.paused": self.on_listing_paused,
            "matching.taught": self.on_taught,
            "organisation.erased": self.on_organisation_erased,
        }

    def on_organisation_erased(self, session: Session, _envelope: Envelope, payload: Payload) -> None:
        """An organisation deleted: its listings leave the index (their open proposals are retracted) and nothing they
        said is kept. Their `listing.withdrawn` may come before or after, on another topic."""
        assert isinstance(payload, OrganisationErased)
        try:
            self._store_for(session)
            self.engine.today = date.today()
            for row in session.exec(
                select(IndexedListing).where(IndexedListing.organisation_id == payload.organisation_id)
            ).all():
                if row.active:
                    self.engine.remove(row.listing_id, retract=True)
                self.last_seq += 1
                row.seq, row.active = self.last_seq, False
                erase_listing(session, row)
                session.add(row)
                self.rows[row.listing_id] = row
            forget_sent(session, payload.organisation_id)  # its matches' events, as published (names once accepted)
        except Exception:
            self.stale = True
            raise

    def on_taught(self, session: Session, _envelope: Envelope, payload: Payload) -> None:
        """A teaching: the engine reads with it (caught up from the `teaching` table), the listings holding its
        phrase are matched again."""
        assert isinstance(payload, Taught)
        try:
            self.rematch(session, payload.phrase)
        except Exception:
            self.stale = True
            raise

    def on_listing_changed(self, session: Session, envelope: Envelope, payload: Payload) -> None:
        assert isinstance(payload, ListingSnapshot)
        proposed = self._guarded(session, payload, closed=False)
        if proposed:  # from the listing's event to its proposals staged
            MATCH_LATENCY.observe((datetime.now(timezone.utc) - envelope.occurred_at).total_seconds())

    def on_listing_closed(self, session: Session, _envelope: Envelope, payload: Payload) -> None:
        assert isinstance(payload, ListingClosed)
        self._guarded(session, payload, closed=True)

    def on_listing_paused(self, session: Session, _envelope: Envelope, payload: Payload) -> None:
        """Out of the index for a while; the proposals already made stand (see Engine.remove)."""
        assert isinstance(payload, ListingClosed)
        self._guarded(session, payload, closed=True, retract=False)

    def _guarded(
        self, session: Session, payload: ListingSnapshot | ListingClosed, *, closed: bool, retract: bool = True
    ) -> int:
        """Apply the change; returns how many matches it proposed."""
        try:
            return self._apply(session, payload, closed=closed, retract=retract)
        except Exception:
            self.stale = True  # the transaction rolls back: the in-memory index must follow
            raise

    def _apply(
        self, session: Session, payload: ListingSnapshot | ListingClosed, *, closed: bool, retract: bool = True
    ) -> int:
        store = self._store_for(session)
        self.engine.today = date.today()
        known_revision = self.revisions.get(payload.listing_id)
        if known_revision is not None and known_revision >= payload.revision:
            return 0  # an older revision arriving late
        # A listing never indexed has no row to read, and no proposal in the database.
        row = self.rows.get(payload.listing_id) or (
            session.get(IndexedListing, payload.listing_id) if known_revision is not None else None
        )
        if known_revision is None:
            store.fresh.add(payload.listing_id)
        seq = self.last_seq + 1
        store.reason = "annonce retirée" if closed else "annonce modifiée"
        added_before = store.added
        if closed:
            held = row is not None and row.held
            row = row or IndexedListing(
                listing_id=payload.listing_id,
                organisation_id=payload.organisation_id,
                seq=seq,
                revision=payload.revision,
                kind="offer",
                title="",
            )
            row.seq, row.revision, row.active = seq, payload.revision, False
            row.closed_at = row.closed_at or datetime.now(timezone.utc)
            self.engine.remove(payload.listing_id, retract=retract or held)
            if held:  # its organisation refused the diagnostic: nothing of what it said is kept
                erase_listing(session, row)
        else:
            assert isinstance(payload, ListingSnapshot)
            was_held = row is not None and row.held
            values = payload.model_dump(include=set(LISTING_FIELDS) - {"listing_id"})
            values["days"] = ",".join(payload.days) or None  # the index keeps them as the engine reads them
            values["months"] = ",".join(map(str, payload.months)) or None
            row = row or IndexedListing(listing_id=payload.listing_id, seq=seq, **values)
            for name, value in values.items():
                setattr(row, name, value)
            row.seq, row.active, row.closed_at = seq, True, None
            row.quantity_private = "quantity" in payload.private_fields
            row.terms, row.price, row.insee = payload.terms, payload.price, payload.insee
            row.transport_by, row.transport_means = payload.transport_by, payload.transport_means
            self.engine.apply(as_input(row))
            row.placed = placed_by_rule(self.engine.index.profiles[row.listing_id])
            if was_held and not row.held:  # its organisation confirmed: what was held is announced
                for known in store.open_of(row.listing_id):
                    store.release(known.key)
        session.add(row)
        self.rows[row.listing_id], self.revisions[row.listing_id] = row, row.revision
        self.last_seq = seq
        return store.added - added_before

    def _store_for(self, session: Session) -> SqlProposals:
        """The store of this transaction; at its start, the lock is taken and the index caught up.

        Until the transaction ends no other instance writes, so the index stays caught up and the
        next seq is ours to take. Its writes are flushed at commit: the store and `rows` remember them.
        """
        transaction = session.get_transaction()
        if self.stale or self.store is None or transaction is None or transaction is not self.transaction:
            session.autoflush = False
            if session.get_bind().dialect.name == "postgresql":
                session.exec(text("SELECT pg_advisory_xact_lock(hashtext('boucle.matching'))"))  # type: ignore[call-overload]
            self.catch_up(session)
            self.transaction = session.get_transaction()
            self.rows = {}
            self.store = SqlProposals(session, self.listing_of)
            self.engine.store = self.store
        return self.store

    def listing_of(self, listing_id: str) -> ListingInput | None:
        profile = self.engine.index.profiles.get(listing_id)
        return profile.listing if profile else None

    def catch_up(self, session: Session) -> None:
        """Bring the index up to date with what other instances (or a past life) wrote; a new teaching makes a
        new engine that reads every listing again."""
        taught = session.exec(select(func.max(Teaching.seq))).one() or 0
        if taught != self.taught_seq:
            phrases = session.exec(select(Teaching.node_id, Teaching.phrase).order_by(col(Teaching.seq))).all()
            self.engine = Engine(
                self.knowledge.taught((node, phrase) for node, phrase in phrases),
                regulation=self.regulation,
                guess=self.guess,
            )
            self.taught_seq, self.stale = taught, True
        rebuilding = self.stale
        if self.stale:
            self.engine.index = ListingIndex()
            self.last_seq = 0
            self.revisions = {}
            self.stale = False
        rows = session.exec(
            select(IndexedListing).where(IndexedListing.seq > self.last_seq).order_by(col(IndexedListing.seq))
        ).all()
        for row in rows:
            if row.active:
                self.engine.load(as_input(row))
            else:
                self.engine.index.remove(row.listing_id)
            self.revisions[row.listing_id] = row.revision
            self.last_seq = row.seq
        if rebuilding:
            gc.freeze()  # the index is long-lived: spare it the collector's full passes

    def rematch(self, session: Session, phrase: str) -> int:
        """After a teaching (flushed in `session`): the engine catches up with it, and every active listing whose
        text holds the phrase is matched again in this transaction. How many proposals it made."""
        store = self._store_for(session)
        self.engine.today = date.today()
        words = set(tokens(phrase))
        added_before = store.added
        for row in session.exec(select(IndexedListing).where(col(IndexedListing.active).is_(True))).all():
            text_words = set(tokens(" ".join(filter(None, (row.title, row.description, row.category)))))
            if words and words <= text_words:
                self.engine.apply(as_input(row))
                row.placed = placed_by_rule(self.engine.index.profiles[row.listing_id])
                session.add(row)
        return store.added - added_before
