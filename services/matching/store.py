"""The engine's ProposalStore on the service database; each change also stages its event.

One store serves one consumer transaction (a polled batch of events). It reads the database
as little as it can, because under load each round trip, not the engine, set the pace:
- what it read or wrote in the transaction is remembered (`known`), and its writes are flushed
  with the transaction, not before each read;
- a proposal naming a listing the database has never seen (`fresh`) cannot be there: neither
  its key nor the listing's open proposals are asked for;
- the parties of a proposal come from the engine's index (`listing_of`), not from its table.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ColumnElement, delete
from sqlmodel import Session, col, select

from matching.engine import Known
from matching.engine.model import ListingInput, Proposal
from matching.models import Match, MatchMember
from shared import topics
from shared.events import MatchObligation, MatchParty, MatchProposed, MatchRetracted, new_event
from shared.outbox import add_event
from shared.units import quantity_text

PRODUCER = "matching"


class SqlProposals:
    """Proposals in the `match` tables, read and written in the caller's transaction."""

    def __init__(self, session: Session, listing_of: Callable[[str], ListingInput | None]):
        self.session = session
        self.listing_of = listing_of
        self.reason = "annonce modifiée"  # why a retraction happens, for the event in progress
        self.fresh: set[str] = set()  # listings the database holds no proposal of
        self.known: dict[str, Known] = {}  # read or written in this transaction, by key
        self.matches: dict[str, Match] = {}  # rows loaded or added in this transaction, by key
        self.added = 0  # proposals recorded through this store

    def get(self, key: str) -> Known | None:
        if key not in self.known and not self._names_fresh(key):
            self._load(Match.key == key)
        return self.known.get(key)

    def open_of(self, listing_id: str) -> list[Known]:
        if listing_id not in self.fresh:
            of_listing = select(MatchMember.match_id).where(MatchMember.listing_id == listing_id)
            self._load(col(Match.id).in_(of_listing), Match.status == "proposed")
        return sorted(
            (k for k in self.known.values() if listing_id in k.listing_ids and k.status == "proposed"),
            key=lambda k: k.key,
        )

    def add(self, proposal: Proposal) -> None:
        self.added += 1
        match = self.matches.get(proposal.key) if self.get(proposal.key) else None
        if match is None:
            match = Match(key=proposal.key, kind=proposal.kind, score=proposal.score, explanation="")
        else:  # a retracted pair that came back clearly better: same id, fresh answers
            self.session.flush()  # its members may be this transaction's
            self.session.exec(delete(MatchMember).where(col(MatchMember.match_id) == match.id))
        match.score, match.distance_km, match.flagged = proposal.score, proposal.distance_km, proposal.flagged
        match.explanation, match.status = proposal.explanation, "proposed"
        match.obligations = [obligation.as_dict() for obligation in proposal.obligations]
        match.held = any(self._listing(listing_id).held for listing_id in proposal.listing_ids)
        self.session.add(match)
        self._remember(match, proposal.listing_ids)
        for position, listing_id in enumerate(proposal.listing_ids):
            role = "member" if proposal.kind == "group" else ("supply", "demand")[position % 2]
            self.session.add(
                MatchMember(
                    match_id=match.id,
                    listing_id=listing_id,
                    organisation_id=self._listing(listing_id).organisation_id,
                    role=role,
                    explanation=proposal.explanations.get(listing_id, proposal.explanation),
                )
            )
        self._announce(match, proposal.listing_ids, dict(proposal.explanations))

    def release(self, key: str) -> bool:
        """A proposal held for an unconfirmed diagnostic, none of whose listings is held any more: announced to its
        parties now (`match.proposed` again, same id). False when it stays held."""
        if self.get(key) is None:
            return False
        match, listing_ids = self.matches[key], self.known[key].listing_ids
        if not match.held or any(self._listing(listing_id).held for listing_id in listing_ids):
            return False
        match.held = False
        self.session.add(match)
        self.session.flush()  # its members may be this transaction's
        members = self.session.exec(select(MatchMember).where(MatchMember.match_id == match.id)).all()
        self._announce(match, listing_ids, {member.listing_id: member.explanation for member in members})
        return True

    def _listing(self, listing_id: str) -> ListingInput:
        listing = self.listing_of(listing_id)
        assert listing is not None, "a proposal names indexed listings only"
        return listing

    def _announce(self, match: Match, listing_ids: tuple[str, ...], explanations: dict[str, str]) -> None:
        """Stage `match.proposed`: the parties as each may see the others before acceptance."""
        parties = []
        for listing_id in listing_ids:
            listing = self._listing(listing_id)
            parties.append(
                MatchParty(
                    organisation_id=listing.organisation_id,
                    listing_id=listing_id,
                    kind=listing.kind,
                    title=listing.title,
                    commune=listing.commune,
                    quantity_text=None
                    if listing.quantity_private
                    else quantity_text(
                        listing.quantity_value, listing.quantity_unit, listing.frequency, approximate=True
                    ),
                )
            )
        event = MatchProposed(
            match_id=match.id,
            score=match.score,
            distance_km=match.distance_km,
            explanation=match.explanation,
            parties=parties,
            kind=match.kind,  # type: ignore[arg-type]
            explanations=explanations,
            flagged=match.flagged,
            held=match.held,
            obligations=[MatchObligation.model_validate(o) for o in match.obligations],
        )
        add_event(self.session, topics.MATCHES, new_event("match.proposed", event, producer=PRODUCER, key=match.id))

    def set_status(self, key: str, status: str) -> None:
        if self.get(key) is None:
            raise KeyError(key)
        match = self.matches[key]
        match.status = status
        self.session.add(match)
        self._remember(match, self.known[key].listing_ids)
        if status == "retracted":
            add_event(
                self.session,
                topics.MATCHES,
                new_event(
                    "match.retracted",
                    MatchRetracted(match_id=match.id, reason=self.reason),
                    producer=PRODUCER,
                    key=match.id,
                ),
            )

    def _names_fresh(self, key: str) -> bool:
        """A key names its listings: one the database has never seen means a proposal it cannot hold."""
        return any(listing_id in key for listing_id in self.fresh)

    def _load(self, *conditions: ColumnElement[bool] | bool) -> None:
        """Remember the matches meeting `conditions`, with their listings, in one round trip; this
        transaction's own changes (flushed with it, not before) win over what the database holds."""
        rows = self.session.exec(
            select(Match, MatchMember.listing_id, MatchMember.role)
            .join(MatchMember, col(MatchMember.match_id) == Match.id)
            .where(*conditions)
            .execution_options(autoflush=False)
        ).all()
        members: dict[str, list[tuple[str, str]]] = {}
        for match, listing_id, role in rows:
            if match.key not in self.matches:
                self.matches[match.key] = match
            members.setdefault(match.key, []).append((role, listing_id))
        for key, found in members.items():
            if key in self.known:
                continue
            # A pair lists its supply then its demand; a group, its listings in order; a swap, as its key does.
            kind = self.matches[key].kind
            if kind == "swap":
                self._remember(self.matches[key], tuple(key.split(":")[1:]))
                continue
            ordered = sorted(found, reverse=True) if kind == "pair" else sorted(found, key=lambda member: member[1])
            self._remember(self.matches[key], tuple(listing_id for _, listing_id in ordered))

    def _remember(self, match: Match, listing_ids: tuple[str, ...]) -> None:
        self.matches[match.key] = match
        self.known[match.key] = Known(match.key, match.status, match.score, listing_ids)
