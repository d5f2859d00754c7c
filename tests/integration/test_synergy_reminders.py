"""Follow-through (issue 15): a synergy quiet for weeks is « à relancer », and its parties and animateur are
reminded once per quiet spell, with the next steps of its stage — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from notifications.messages import render, synergy_quiet_context
from reporting.lifecycle import NEXT_STEPS, OPEN_STAGES, QUIET_AFTER, quiet_since
from reporting.models import TABLES, KnownOrganisation, Synergy, SynergyParty, Territory, TerritoryCommune
from reporting.synergies import stage_due_reminders
from sqlmodel import Session, select

from shared.db import init_db, make_engine
from shared.events import Envelope, SynergyQuiet, payload_of
from shared.outbox import OutboxMessage

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


def test_quiet_means_open_and_unmoved_for_six_weeks() -> None:
    last = NOW - QUIET_AFTER
    assert quiet_since("studied", last, NOW) == last
    assert quiet_since("studied", last + timedelta(hours=1), NOW) is None
    assert quiet_since("ended", last - timedelta(days=90), NOW) is None  # a finished synergy is not chased
    assert set(NEXT_STEPS) == set(OPEN_STAGES)


def test_each_quiet_spell_reminds_the_parties_and_the_animateur_once(settings_for, backend: str) -> None:
    engine = make_engine(settings_for(backend, "reporting").database_url("reporting"))
    init_db(engine, [*TABLES, OutboxMessage])
    with Session(engine) as session:
        session.add(Territory(territory_id="t1", name="Côte", animateur_organisation_id="cc", created_at=NOW))
        session.add(TerritoryCommune(territory_id="t1", insee="21054"))
        for org_id in ("a", "b"):
            session.add(
                KnownOrganisation(organisation_id=org_id, name=org_id, kind="company", insee="21054", registered_at=NOW)
            )
        quiet, busy = NOW - timedelta(weeks=7), NOW - timedelta(weeks=2)
        for synergy_id, stage, moved in (("s1", "studied", quiet), ("s2", "studied", busy), ("s3", "ended", quiet)):
            session.add(
                Synergy(
                    synergy_id=synergy_id,
                    origin="piste",
                    synergy_type="substitution",
                    resource="Palettes",
                    stage=stage,
                    opened_at=quiet,
                    updated_at=moved,
                )
            )
            for org_id in ("a", "b"):
                session.add(SynergyParty(synergy_id=synergy_id, organisation_id=org_id))
        session.commit()

        assert stage_due_reminders(session, NOW) == 1  # s1 only: s2 moved lately, s3 is over
        assert stage_due_reminders(session, NOW + timedelta(days=1)) == 0  # the same quiet spell: never twice
        [row] = session.exec(select(OutboxMessage).where(OutboxMessage.type == "synergy.quiet")).all()
        reminder = payload_of(Envelope.from_bytes(row.value))
        assert isinstance(reminder, SynergyQuiet)
        assert (reminder.synergy_id, reminder.weeks, sorted(reminder.parties)) == ("s1", 7, ["a", "b"])
        assert reminder.animateurs == ["cc"] and reminder.next_steps == list(NEXT_STEPS["studied"])

        synergy = session.get(Synergy, "s1")
        assert synergy is not None
        synergy.updated_at = NOW + timedelta(days=2)  # it moved, then went quiet again
        session.add(synergy)
        session.commit()
        assert stage_due_reminders(session, NOW + timedelta(days=2) + QUIET_AFTER) == 2  # s1 again, s2 now
        reminded = [
            payload_of(Envelope.from_bytes(r.value))
            for r in session.exec(
                select(OutboxMessage).where(OutboxMessage.type == "synergy.quiet").order_by(OutboxMessage.id)
            ).all()
        ]
        assert sorted(r.synergy_id for r in reminded if isinstance(r, SynergyQuiet)) == ["s1", "s1", "s2"]

    message = render(
        "synergy_quiet", synergy_quiet_context(reminder), recipient_name="Anne", public_url="https://boucle.example"
    )
    assert message.subject == "À relancer : la synergie « Palettes » n'a pas avancé depuis 7 semaines"
    assert "Tester un échantillon" in message.text and "https://boucle.example/synergies#s-s1" in message.text
