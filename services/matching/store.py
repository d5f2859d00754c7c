"""The engine's ProposalStore on the service database; each change also stages its event."""

from __future__ import annotations

from sqlmodel import Session, col, select

from matching.engine import Known
from matching.engine.model import Proposal
from matching.models import IndexedListing, Match, MatchMember
from shared import topics
from shared.events import MatchParty, MatchProposed, MatchRetracted, new_event
from shared.outbox import add_event
from shared.units import quantity_text

PRODUCER = "matching"


class SqlProposals:
    """Proposals in the `match` tables, read and written in the caller's transaction."""

    def __init__(self, session: Session, reason: str = "listing changed"):
        self.session = session
        self.reason = reason
        self.added = 0  # proposals recorded through this store

    def get(self, key: str) -> Known | None:
        match = self.session.exec(select(Match).where(Match.key == key)).first()
        return self._known(match) if match else None

    def open_of(self, listing_id: str) -> list[Known]:
        matches = self.session.exec(
            select(Match).join(MatchMember).where(MatchMember.listing_id == listing_id, Match.status == "proposed")
            .order_by(col(Match.key))).all()
        return [self._known(m) for m in matches]

    def add(self, proposal: Proposal) -> None:
        self.added += 1
        match = self.session.exec(select(Match).where(Match.key == proposal.key)).first()
        if match is None:
            match = Match(key=proposal.key, kind=proposal.kind, score=proposal.score, explanation="")
        else:  # a retracted pair that came back clearly better: same id, fresh answers
            for member in self.session.exec(select(MatchMember).where(MatchMember.match_id == match.id)):
                self.session.delete(member)
        match.score, match.distance_km, match.flagged = proposal.score, proposal.distance_km, proposal.flagged
        match.explanation, match.status = proposal.explanation, "proposed"
        self.session.add(match)
        self.session.flush()
        rows = [self.session.get(IndexedListing, listing_id) for listing_id in proposal.listing_ids]
        parties = []
        for position, row in enumerate(rows):
            assert row is not None, "a proposal names indexed listings only"
            role = "member" if proposal.kind == "group" else ("supply", "demand")[position]
            self.session.add(MatchMember(match_id=match.id, listing_id=row.listing_id,
                                         organisation_id=row.organisation_id, role=role,
                                         explanation=proposal.explanations.get(row.listing_id, proposal.explanation)))
            parties.append(MatchParty(
                organisation_id=row.organisation_id, listing_id=row.listing_id, kind=row.kind,  # type: ignore[arg-type]
                title=row.title, commune=row.commune,
                quantity_text=None if row.quantity_private else quantity_text(
                    row.quantity_value, row.quantity_unit, row.frequency, approximate=True)))
        event = MatchProposed(match_id=match.id, score=match.score, distance_km=match.distance_km,
                              explanation=match.explanation, parties=parties, kind=proposal.kind,  # type: ignore[arg-type]
                              explanations=dict(proposal.explanations), flagged=proposal.flagged)
        add_event(self.session, topics.MATCHES, new_event("match.proposed", event, producer=PRODUCER, key=match.id))

    def set_status(self, key: str, status: str) -> None:
        match = self.session.exec(select(Match).where(Match.key == key)).one()
        match.status = status
        self.session.add(match)
        if status == "retracted":
            add_event(self.session, topics.MATCHES, new_event(
                "match.retracted", MatchRetracted(match_id=match.id, reason=self.reason),
                producer=PRODUCER, key=match.id))

    def _known(self, match: Match) -> Known:
        ids = self.session.exec(select(MatchMember.listing_id).where(MatchMember.match_id == match.id)
                                .order_by(col(MatchMember.role).desc() if match.kind == "pair"
                                          else col(MatchMember.listing_id))).all()
        return Known(match.key, match.status, match.score, tuple(ids))
