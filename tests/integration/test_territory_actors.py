"""The territory's actors (issue 15, point 5): confirmed organisations located in its communes, the collectivité
that animates it excepted — on SQLite and PostgreSQL, through reporting's own handler of the offers events."""

from __future__ import annotations

from datetime import datetime, timezone

from reporting.consumer import on_organisation
from reporting.models import TABLES, Territory, TerritoryCommune
from reporting.synergies import territory_actors
from sqlmodel import Session

from shared.db import init_db, make_engine
from shared.events import OrganisationProfile, new_event

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


def organisation(
    session: Session,
    event_type: str,
    organisation_id: str,
    *,
    insee: str = "21054",
    kind: str = "company",
    confirmed: bool = True,
) -> None:
    payload = OrganisationProfile(
        organisation_id=organisation_id,
        name=organisation_id,
        kind=kind,
        insee=insee,
        contact_email=f"{organisation_id}@example.org",
        confirmed=confirmed,
    )
    on_organisation(session, new_event(event_type, payload, producer="offers", key=organisation_id), payload)
    session.commit()


def test_a_sign_up_is_an_actor_once_confirmed_and_the_collectivite_never(settings_for, backend: str) -> None:
    engine = make_engine(settings_for(backend, "reporting").database_url("reporting"))
    init_db(engine, TABLES)
    with Session(engine) as session:
        territory = Territory(territory_id="t1", name="Côte", animateur_organisation_id="cc", created_at=NOW)
        session.add(territory)
        session.add(TerritoryCommune(territory_id="t1", insee="21054"))
        session.commit()
        organisation(session, "organisation.registered", "cc", kind="public_body")
        organisation(session, "organisation.registered", "by-api")
        organisation(session, "organisation.registered", "signed-up", confirmed=False)
        organisation(session, "organisation.registered", "elsewhere", insee="29232")
        assert territory_actors(session, territory) == {"by-api"}
        organisation(session, "organisation.updated", "signed-up")  # its first user confirmed an address
        assert territory_actors(session, territory) == {"by-api", "signed-up"}
