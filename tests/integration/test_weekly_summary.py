"""The animateur's weekly summary: what it counts, and that it is staged once per territory and week."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from reporting.models import (
    TABLES,
    KnownListing,
    KnownOrganisation,
    Synergy,
    SynergyMove,
    SynergyParty,
    Territory,
    TerritoryCommune,
)
from reporting.summary import stage_due_summaries, summary_week
from sqlmodel import Session, select

from shared.db import init_db, make_engine
from shared.events import Envelope, TerritoryWeeklySummary, payload_of
from shared.outbox import OutboxMessage

MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)  # a Monday


def test_the_summary_goes_out_from_monday_seven_utc() -> None:
    assert summary_week(MONDAY_9) == "2026-W48"
    assert summary_week(MONDAY_9.replace(hour=6, minute=59)) is None
    assert summary_week(MONDAY_9 + timedelta(days=3)) == "2026-W48"  # declared mid-week: this week's at once


def test_summary_counts_the_week_and_is_staged_once(settings_for, backend: str) -> None:
    engine = make_engine(settings_for(backend, "reporting").database_url("reporting"))
    init_db(engine, [*TABLES, OutboxMessage])
    week_ago, old = MONDAY_9 - timedelta(days=2), MONDAY_9 - timedelta(days=30)
    with Session(engine) as session:
        session.add(Territory(territory_id="t1", name="Côte", animateur_organisation_id="cc", created_at=old))
        session.add(TerritoryCommune(territory_id="t1", insee="21054"))
        for org_id, name, at in (
            ("cc", "CC de la Côte", old),
            ("a", "Ferme neuve", week_ago),
            ("b", "Garage ancien", old),
        ):
            session.add(
                KnownOrganisation(organisation_id=org_id, name=name, kind="company", insee="21054", registered_at=at)
            )
        session.add(
            KnownListing(
                listing_id="l1", organisation_id="a", kind="offer", revision=1, active=True, published_at=week_ago
            )
        )
        session.add(
            KnownListing(listing_id="l2", organisation_id="b", kind="need", revision=1, active=True, published_at=old)
        )
        session.add(
            Synergy(
                synergy_id="s1",
                origin="piste",
                synergy_type="substitution",
                resource="Palettes",
                stage="studied",
                opened_at=old,
                updated_at=week_ago,
            )
        )
        session.add(SynergyParty(synergy_id="s1", organisation_id="b"))
        session.add(
            SynergyMove(
                event_id="e1",
                synergy_id="s1",
                from_stage="detected",
                to_stage="studied",
                actor_organisation_id="cc",
                actor_name="CC de la Côte",
                at=week_ago,
            )
        )
        session.commit()

        assert stage_due_summaries(session, MONDAY_9) == 1
        assert stage_due_summaries(session, MONDAY_9 + timedelta(hours=5)) == 0  # same week: nothing more
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.topic == "boucle.territories")).all()
        assert len(rows) == 1
        summary = payload_of(Envelope.from_bytes(rows[0].value))
        assert isinstance(summary, TerritoryWeeklySummary)
        assert summary.week == "2026-W48" and summary.animateur_organisation_id == "cc"
        assert summary.new_organisations == ["Ferme neuve"]  # the collectivité and older actors are not new
        assert summary.new_listings == {"offer": 1}
        assert [(m.resource, m.to_stage, m.by) for m in summary.synergy_moves] == [
            ("Palettes", "studied", "CC de la Côte")
        ]
        assert stage_due_summaries(session, MONDAY_9 + timedelta(days=7)) == 1  # next week's
