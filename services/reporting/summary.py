"""The weekly summary of each territory for its animateur: new actors, listings, matches, synergies moved.

Reporting holds the territory's data, so it writes the summary and stages it as an event;
notifications turns it into the email (and the in-app notification). A territory gets one
summary per ISO week, from Monday 07:00 UTC (`SUMMARY_SEND_HOUR_UTC`); its first one as soon as it is declared.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from reporting.models import (
    KnownListing,
    KnownMatch,
    KnownOrganisation,
    MatchParticipant,
    SynergyMove,
    Territory,
    TerritorySummarySent,
)
from reporting.synergies import aware, territory_actors, territory_synergies
from reporting.territories import APPROVED
from shared import topics
from shared.events import SummaryMove, TerritoryWeeklySummary, new_event
from shared.outbox import add_event


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def summary_week(now: datetime, send_hour_utc: int = 7) -> str | None:
    """The week whose summary may go out at `now`: this week once Monday `send_hour_utc` has passed."""
    if now.weekday() == 0 and now.hour < send_hour_utc:
        return None
    return iso_week(now)


def build(session: Session, territory: Territory, now: datetime) -> TerritoryWeeklySummary:
    """What happened in the territory during the seven days before `now`."""
    since = now - timedelta(days=7)

    def recent(moment: datetime | None) -> bool:
        return moment is not None and since <= aware(moment) < now

    members = territory_actors(session, territory)
    organisations = (
        session.exec(select(KnownOrganisation).where(col(KnownOrganisation.organisation_id).in_(list(members)))).all()
        if members
        else []
    )
    listings = (
        session.exec(select(KnownListing).where(col(KnownListing.organisation_id).in_(list(members)))).all()
        if members
        else []
    )
    match_ids = (
        set(
            session.exec(
                select(MatchParticipant.match_id).where(col(MatchParticipant.organisation_id).in_(list(members)))
            ).all()
        )
        if members
        else set()
    )
    matches = (
        session.exec(select(KnownMatch).where(col(KnownMatch.match_id).in_(list(match_ids)))).all() if match_ids else []
    )
    synergies = {s.synergy_id: s for s in territory_synergies(session, territory.territory_id)}
    moves = (
        session.exec(
            select(SynergyMove).where(col(SynergyMove.synergy_id).in_(list(synergies))).order_by(col(SynergyMove.at))
        ).all()
        if synergies
        else []
    )
    return TerritoryWeeklySummary(
        territory_id=territory.territory_id,
        territory_name=territory.name,
        animateur_organisation_id=territory.animateur_organisation_id,
        week=iso_week(now),
        period_from=since.date(),
        period_to=(now - timedelta(microseconds=1)).date(),
        new_organisations=sorted(o.name for o in organisations if recent(o.registered_at)),
        new_listings=dict(Counter(li.kind for li in listings if recent(li.published_at))),
        matches_proposed=sum(1 for m in matches if recent(m.proposed_at)),
        matches_accepted=sum(1 for m in matches if m.status == "accepted" and recent(m.concluded_at)),
        synergies_opened=sum(1 for s in synergies.values() if recent(s.opened_at)),
        synergy_moves=[
            SummaryMove(
                resource=synergies[m.synergy_id].resource,
                from_stage=m.from_stage,  # type: ignore[arg-type]
                to_stage=m.to_stage,  # type: ignore[arg-type]
                by=m.actor_name,
            )
            for m in moves
            if recent(m.at)
        ],
    )


def stage_due_summaries(session: Session, now: datetime | None = None, send_hour_utc: int = 7) -> int:
    """Stage the summary of every territory that has not had this week's; returns how many."""
    now = now or datetime.now(timezone.utc)
    week = summary_week(now, send_hour_utc)
    if week is None:
        return 0
    sent = set(session.exec(select(TerritorySummarySent.territory_id).where(TerritorySummarySent.week == week)))
    staged = 0
    for territory in session.exec(select(Territory).where(Territory.status == APPROVED)).all():
        if territory.territory_id in sent:
            continue
        summary = build(session, territory, now)
        add_event(
            session,
            topics.TERRITORIES,
            new_event("territory.weekly_summary", summary, producer="reporting", key=territory.territory_id),
        )
        session.add(TerritorySummarySent(territory_id=territory.territory_id, week=week, staged_at=now))
        try:
            session.commit()
        except IntegrityError:  # another instance staged it first: its event is the one
            session.rollback()
            continue
        staged += 1
    return staged
