"""Migrations: the head revision is the models, data survives every upgrade, databases from before are adopted.

Each upgrade test creates a database at the service's first revision, inserts realistic rows with
plain SQL as the service then wrote them, upgrades to head, and reads every row back through
today's models: nothing lost, nothing changed, moved data where it now belongs.
"""

from __future__ import annotations

import importlib
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from matching.models import IndexedListing, Match, MatchMember
from notifications.models import Contact, InAppNotification, OutgoingEmail, Preference
from offers.models import TABLES as OFFERS_TABLES
from offers.models import ApiToken, ExpiryReminder, Invitation, Listing, LoginLink, Organisation, UserAccount
from reporting.models import (
    KnownListing,
    KnownMatch,
    KnownOrganisation,
    MatchParticipant,
    Prospect,
    Synergy,
    SynergyFlow,
    SynergyMove,
    SynergyParty,
    Territory,
    TerritoryCommune,
    TerritorySummarySent,
)
from sqlalchemy import JSON, Boolean, Date, DateTime, Engine, LargeBinary, bindparam, inspect, text
from sqlalchemy.types import TypeEngine
from sqlmodel import Session, SQLModel, select

from shared import migrations
from shared.db import init_db, make_engine
from shared.http import hash_token
from shared.inbox import ProcessedEvent
from shared.outbox import OutboxMessage
from shared.settings import SERVICES, Settings
from tests.conftest import Databases

SENT = datetime(2025, 3, 4, 9, 15, 30, 250000, tzinfo=timezone.utc)
EVENT = {
    "id": 1,
    "event_id": "5f0c6d1e-0000-4000-8000-000000000001",
    "topic": "boucle.listings",
    "key": "lst-1",
    "type": "listing.published",
    "value": b'{"type": "listing.published"}',
    "created_at": SENT,
    "sent_at": SENT,
}
PROCESSED = {
    "consumer": "matching",
    "event_id": "5f0c6d1e-0000-4000-8000-000000000002",
    "processed_at": datetime(2025, 3, 4, 9, 16, tzinfo=timezone.utc),
}


def fresh(databases: Databases, backend: str, service: str) -> Engine:
    return make_engine(databases.url(backend, f"mig-{service}"))


def insert(engine: Engine, table: str, *rows: dict[str, Any]) -> None:
    """Plain SQL INSERTs; dates, times, JSON and bytes bound the way the service stored them."""
    types: dict[type, TypeEngine[Any]] = {
        datetime: DateTime(timezone=True),
        date: Date(),
        bool: Boolean(),
        bytes: LargeBinary(),
        dict: JSON(),
        list: JSON(),
    }
    with engine.begin() as connection:
        for row in rows:
            names = ", ".join(f'"{column}"' for column in row)
            values = ", ".join(f":{column}" for column in row)
            statement = text(f'INSERT INTO "{table}" ({names}) VALUES ({values})')
            binds = [bindparam(c, type_=types[type(v)]) for c, v in row.items() if type(v) in types]
            connection.execute(statement.bindparams(*binds), row)


def assert_kept(engine: Engine, model: type[SQLModel], *rows: dict[str, Any]) -> None:
    """Each row reads back through today's model with every value it was given."""
    keys = [column.name for column in model.__table__.primary_key.columns]  # type: ignore[attr-defined]
    with Session(engine) as session:
        for row in rows:
            found = session.get(model, {key: row[key] for key in keys})
            assert found is not None, (model.__name__, row)
            assert {c: getattr(found, c) for c in row} == row, model.__name__


def columns(engine: Engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


@pytest.mark.parametrize("service", SERVICES)
def test_the_head_revision_is_what_the_models_declare(databases: Databases, backend: str, service: str) -> None:
    engine = fresh(databases, backend, service)
    migrations.upgrade(service, engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "version_table": migrations.version_table(service)}
        )
        assert compare_metadata(context, migrations.target_metadata(service)) == []
    assert migrations.current(service, engine) == migrations.revisions(service)[-1]
    engine.dispose()


def test_offers_data_survives_the_upgrade(databases: Databases, backend: str) -> None:
    engine = fresh(databases, backend, "offers")
    migrations.upgrade("offers", engine, "offers_0001")
    registered = datetime(2025, 1, 6, 8, 30, 12, 345678, tzinfo=timezone.utc)
    scierie = {
        "id": "org-scierie",
        "name": "Scierie Roux",
        "kind": "company",
        "siret": "12345678200011",
        "naf_code": "16.10A",
        "commune": "Morez",
        "postcode": "39400",
        "insee": "39367",
        "epci": "243900560",
        "lat": 46.5227,
        "lon": 6.0243,
        "location_approximation": None,
        "contact_email": "contact@scierie-roux.example",
        "created_at": registered,
    }
    ferme = {
        "id": "org-ferme",
        "name": "Ferme des Granges",
        "kind": "farm",
        "siret": None,
        "naf_code": None,
        "commune": "Poligny",
        "postcode": "39800",
        "insee": None,
        "epci": None,
        "lat": None,
        "lon": None,
        "location_approximation": "commune",
        "contact_email": "ferme@granges.example",
        "created_at": datetime(2025, 2, 1, 14, 0, tzinfo=timezone.utc),
    }
    insert(
        engine,
        "organisation",
        {**scierie, "token_hash": hash_token("jeton-scierie")},
        {**ferme, "token_hash": hash_token("jeton-ferme")},
    )
    sciure = {
        "id": "lst-sciure",
        "organisation_id": "org-scierie",
        "kind": "offer",
        "status": "active",
        "revision": 2,
        "title": "Sciure de hêtre sèche",
        "description": "Big bags de 1 m³, à enlever sur place.",
        "ewc_code": "03 01 05",
        "category": "sciure",
        "quantity_value": 12.5,
        "quantity_unit": "t",
        "frequency": "monthly",
        "radius_km": 40.0,
        "available_from": date(2025, 2, 1),
        "expires_at": date(2025, 8, 1),
        "created_at": registered,
        "updated_at": datetime(2025, 1, 20, 10, 0, tzinfo=timezone.utc),
    }
    fumier = {
        "id": "lst-fumier",
        "organisation_id": "org-ferme",
        "kind": "need",
        "status": "withdrawn",
        "revision": 3,
        "title": "Paille pour litière",
        "description": None,
        "ewc_code": None,
        "category": None,
        "quantity_value": None,
        "quantity_unit": None,
        "frequency": None,
        "radius_km": None,
        "available_from": None,
        "expires_at": date(2025, 7, 31),
        "created_at": ferme["created_at"],
        "updated_at": ferme["created_at"],
    }
    insert(engine, "listing", sciure, fumier)
    reminder = {"listing_id": "lst-sciure", "expires_at": date(2025, 8, 1), "sent_at": SENT}
    insert(engine, "expiry_reminder", reminder)
    insert(engine, "outbox", EVENT)
    insert(engine, "processed_event", PROCESSED)

    migrations.upgrade("offers", engine)

    assert_kept(engine, Organisation, scierie, ferme)
    assert_kept(engine, Listing, {**sciure, "private_fields": []}, {**fumier, "private_fields": []})
    assert_kept(engine, ExpiryReminder, reminder)
    assert_kept(engine, OutboxMessage, EVENT)
    assert_kept(engine, ProcessedEvent, PROCESSED)
    assert "token_hash" not in columns(engine, "organisation")
    with Session(engine) as session:
        tokens = session.exec(select(ApiToken).order_by(ApiToken.organisation_id)).all()
    assert [(t.organisation_id, t.token_hash, t.label, t.created_at, t.revoked_at) for t in tokens] == [
        ("org-ferme", hash_token("jeton-ferme"), "Jeton d'inscription", ferme["created_at"], None),
        ("org-scierie", hash_token("jeton-scierie"), "Jeton d'inscription", registered, None),
    ]
    engine.dispose()


def test_offers_users_invited_and_never_confirmed_become_invitations(databases: Databases, backend: str) -> None:
    """offers_0017 (issue 18): an invitation made an unconfirmed user, which reserved the address. Those become
    invitations, their links with them; a sign-up's unconfirmed first user and an imported contact stay users."""
    engine = fresh(databases, backend, "offers")
    migrations.upgrade("offers", engine, "offers_0016")
    sent = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    organisation = {"kind": "company", "contact_email": "contact@exemple.example", "created_at": sent}
    insert(
        engine,
        "organisation",
        {**organisation, "id": "org-confirmed", "name": "Scierie", "confirmed_at": sent},
        {**organisation, "id": "org-signed-up", "name": "Ferme"},
        {**organisation, "id": "org-imported", "name": "Menuiserie", "imported_by": "org-confirmed"},
    )
    user = {"password_hash": None, "created_at": sent}
    insert(
        engine,
        "user_account",
        {
            **user,
            "id": "u-admin",
            "organisation_id": "org-confirmed",
            "name": "Jean",
            "email": "jean@s.example",
            "role": "org_admin",
            "confirmed_at": sent,
        },
        {
            **user,
            "id": "u-invited",
            "organisation_id": "org-confirmed",
            "name": "Léa",
            "email": "lea@s.example",
            "role": "member",
        },
        {
            **user,
            "id": "u-first",
            "organisation_id": "org-signed-up",
            "name": "Marie",
            "email": "marie@f.example",
            "role": "org_admin",
        },
        {
            **user,
            "id": "u-contact",
            "organisation_id": "org-imported",
            "name": "Paul",
            "email": "paul@m.example",
            "role": "org_admin",
        },
    )
    link = {"nonce_hash": None, "created_at": sent, "expires_at": sent, "used_at": None}
    insert(
        engine,
        "login_link",
        {**link, "id": "l-invite", "user_id": "u-invited", "purpose": "invite"},
        {**link, "id": "l-confirm", "user_id": "u-first", "purpose": "confirm"},
    )

    migrations.upgrade("offers", engine)

    with Session(engine) as session:
        assert sorted(session.exec(select(UserAccount.id)).all()) == ["u-admin", "u-contact", "u-first"]
        [invitation] = session.exec(select(Invitation)).all()
        assert (invitation.id, invitation.organisation_id, invitation.email, invitation.name, invitation.role) == (
            "u-invited",
            "org-confirmed",
            "lea@s.example",
            "Léa",
            "member",
        )
        assert invitation.created_at == sent and invitation.expires_at == sent + timedelta(days=7)
        links = {row.id: (row.user_id, row.invitation_id) for row in session.exec(select(LoginLink)).all()}
        assert links == {"l-invite": (None, "u-invited"), "l-confirm": ("u-first", None)}
    engine.dispose()


def test_matching_data_survives_the_upgrade(databases: Databases, backend: str) -> None:
    engine = fresh(databases, backend, "matching")
    migrations.upgrade("matching", engine, "matching_0001")
    sciure = {
        "listing_id": "lst-sciure",
        "seq": 41,
        "organisation_id": "org-scierie",
        "revision": 2,
        "kind": "offer",
        "active": True,
        "placed": True,
        "title": "Sciure de hêtre sèche",
        "description": "Big bags de 1 m³",
        "category": "sciure",
        "ewc_code": "03 01 05",
        "quantity_value": 12.5,
        "quantity_unit": "t",
        "frequency": "monthly",
        "radius_km": 40.0,
        "available_from": date(2025, 2, 1),
        "expires_at": date(2025, 8, 1),
        "commune": "Morez",
        "lat": 46.5227,
        "lon": 6.0243,
    }
    litiere = {
        "listing_id": "lst-litiere",
        "seq": 42,
        "organisation_id": "org-ferme",
        "revision": 1,
        "kind": "need",
        "active": False,
        "placed": False,
        "title": "Copeaux pour litière",
        "description": None,
        "category": None,
        "ewc_code": None,
        "quantity_value": None,
        "quantity_unit": None,
        "frequency": None,
        "radius_km": None,
        "available_from": None,
        "expires_at": None,
        "commune": "Poligny",
        "lat": None,
        "lon": None,
    }
    insert(engine, "indexed_listing", sciure, litiere)
    match = {
        "id": "m-1",
        "key": "lst-sciure|lst-litiere",
        "kind": "pair",
        "score": 0.87,
        "distance_km": 23.4,
        "explanation": "La sciure de hêtre convient comme litière.",
        "flagged": False,
        "status": "accepted",
        "created_at": SENT,
    }
    insert(engine, "match", match)
    members: list[dict[str, Any]] = [
        {
            "match_id": "m-1",
            "listing_id": "lst-sciure",
            "organisation_id": "org-scierie",
            "role": "supply",
            "explanation": "Votre sciure intéresse une ferme à 23 km.",
            "response": "accepted",
        },
        {
            "match_id": "m-1",
            "listing_id": "lst-litiere",
            "organisation_id": "org-ferme",
            "role": "demand",
            "explanation": "Une scierie à 23 km a de la sciure.",
            "response": None,
        },
    ]
    insert(engine, "match_member", *members)
    insert(engine, "outbox", EVENT)
    insert(engine, "processed_event", PROCESSED)

    migrations.upgrade("matching", engine)

    assert_kept(engine, IndexedListing, {**sciure, "quantity_private": False}, {**litiere, "quantity_private": False})
    assert_kept(engine, Match, match)
    assert_kept(engine, MatchMember, *members)
    assert_kept(engine, OutboxMessage, EVENT)
    assert_kept(engine, ProcessedEvent, PROCESSED)
    engine.dispose()


def test_notifications_data_survives_the_upgrade(databases: Databases, backend: str) -> None:
    engine = fresh(databases, backend, "notifications")
    migrations.upgrade("notifications", engine, "notifications_0001")
    contact = {
        "organisation_id": "org-ferme",
        "name": "Ferme des Granges",
        "email": "ferme@granges.example",
        "updated_at": SENT,
    }
    insert(engine, "contact", contact)
    sent = {
        "id": "mail-1",
        "dedup_key": "match.proposed:m-1:org-ferme",
        "organisation_id": "org-ferme",
        "kind": "match_proposed",
        "context": {"match_id": "m-1", "titre": "Sciure de hêtre", "km": 23.4},
        "status": "sent",
        "attempts": 1,
        "next_attempt_at": SENT,
        "last_error": None,
        "recipient": "ferme@granges.example",
        "created_at": SENT,
        "sent_at": SENT,
    }
    failing = {
        "id": "mail-2",
        "dedup_key": "match.proposed:m-1:org-scierie",
        "organisation_id": "org-scierie",
        "kind": "match_proposed",
        "context": {"match_id": "m-1"},
        "status": "pending",
        "attempts": 2,
        "next_attempt_at": datetime(2025, 3, 4, 9, 20, tzinfo=timezone.utc),
        "last_error": "421 service not available",
        "recipient": None,
        "created_at": SENT,
        "sent_at": None,
    }
    insert(engine, "outgoing_email", sent, failing)
    insert(engine, "outbox", EVENT)
    insert(engine, "processed_event", PROCESSED)

    migrations.upgrade("notifications", engine)

    assert_kept(engine, Contact, {**contact, "commune": None, "bounced_at": None, "bounce_reason": None})
    assert_kept(engine, OutgoingEmail, sent, failing)
    assert_kept(engine, OutboxMessage, EVENT)
    assert_kept(engine, ProcessedEvent, PROCESSED)
    with Session(engine) as session:  # the new tables take rows
        session.add(Preference(organisation_id="org-ferme", kind="match_proposed", mode="weekly"))
        session.add(
            InAppNotification(
                dedup_key="match.proposed:m-1:org-ferme",
                organisation_id="org-ferme",
                kind="match_proposed",
                title="Nouvelle piste",
                body="Sciure de hêtre",
            )
        )
        session.commit()
    engine.dispose()


def test_reporting_data_survives_the_upgrade(databases: Databases, backend: str) -> None:
    engine = fresh(databases, backend, "reporting")
    migrations.upgrade("reporting", engine, "reporting_0001")
    opened = datetime(2025, 3, 5, 11, 0, tzinfo=timezone.utc)
    rows: list[tuple[type[SQLModel], str, list[dict[str, Any]]]] = [
        (
            KnownOrganisation,
            "known_organisation",
            [
                {
                    "organisation_id": "org-scierie",
                    "name": "Scierie Roux",
                    "kind": "company",
                    "insee": "39367",
                    "registered_at": SENT,
                },
                {"organisation_id": "org-ferme", "name": "", "kind": "farm", "insee": None, "registered_at": SENT},
            ],
        ),
        (
            KnownListing,
            "known_listing",
            [
                {
                    "listing_id": "lst-sciure",
                    "organisation_id": "org-scierie",
                    "kind": "offer",
                    "revision": 2,
                    "active": True,
                    "title": "Sciure de hêtre sèche",
                    "insee": "39367",
                    "quantity_text": "10 à 20 t",
                    "published_at": SENT,
                }
            ],
        ),
        (
            KnownMatch,
            "known_match",
            [
                {"match_id": "m-1", "status": "accepted", "proposed_at": SENT, "concluded_at": opened},
                {"match_id": "m-2", "status": "proposed", "proposed_at": opened, "concluded_at": None},
            ],
        ),
        (
            MatchParticipant,
            "match_participant",
            [
                {"match_id": "m-1", "organisation_id": "org-scierie"},
                {"match_id": "m-1", "organisation_id": "org-ferme"},
            ],
        ),
        (
            Territory,
            "territory",
            [
                {
                    "territory_id": "ter-1",
                    "name": "Haut-Jura",
                    "epci": "243900560",
                    "animateur_organisation_id": "org-pnr",
                    "created_at": SENT,
                }
            ],
        ),
        (TerritoryCommune, "territory_commune", [{"territory_id": "ter-1", "insee": "39367"}]),
        (
            Synergy,
            "synergy",
            [
                {
                    "synergy_id": "syn-1",
                    "origin": "match",
                    "match_id": "m-1",
                    "synergy_type": "substitution",
                    "resource": "sciure",
                    "material": "bois",
                    "stage": "en_test",
                    "abandon_reason": None,
                    "notes": "Essai d'un mois",
                    "opened_at": opened,
                    "updated_at": opened,
                    "contractualised_at": None,
                    "opened_by": None,
                }
            ],
        ),
        (
            SynergyParty,
            "synergy_party",
            [{"synergy_id": "syn-1", "organisation_id": "org-scierie", "listing_id": "lst-sciure", "role": "supply"}],
        ),
        (
            SynergyMove,
            "synergy_move",
            [
                {
                    "id": 1,
                    "event_id": "ev-move-1",
                    "synergy_id": "syn-1",
                    "from_stage": "detectee",
                    "to_stage": "en_test",
                    "reason": None,
                    "note": "On essaie",
                    "actor_organisation_id": "org-ferme",
                    "actor_name": "Ferme des Granges",
                    "at": opened,
                }
            ],
        ),
        (
            SynergyFlow,
            "synergy_flow",
            [
                {
                    "flow_id": "flow-1",
                    "synergy_id": "syn-1",
                    "recorded_at": opened,
                    "actor_organisation_id": "org-ferme",
                    "data": {"quantity": {"value": 2.5, "unit": "t"}, "period": "2025-03"},
                }
            ],
        ),
        (
            Prospect,
            "prospect",
            [
                {
                    "prospect_id": "pro-1",
                    "territory_id": "ter-1",
                    "name": "Fromagerie Vagne",
                    "contacted_on": date(2025, 2, 10),
                    "met_on": None,
                    "organisation_id": None,
                    "notes": "Rappeler en avril",
                }
            ],
        ),
        (
            TerritorySummarySent,
            "territory_summary_sent",
            [{"territory_id": "ter-1", "week": "2025-W10", "staged_at": SENT}],
        ),
        (OutboxMessage, "outbox", [EVENT]),
        (ProcessedEvent, "processed_event", [PROCESSED]),
    ]
    for _, table, table_rows in rows:
        insert(engine, table, *table_rows)

    migrations.upgrade("reporting", engine)

    for model, _, table_rows in rows:
        assert_kept(engine, model, *table_rows)
    tables = set(inspect(engine).get_table_names())
    assert "known_match" not in tables and {"reported_match", "access_log"} <= tables
    assert [i["name"] for i in inspect(engine).get_indexes("reported_match")] == ["ix_reported_match_status"]
    engine.dispose()


def test_a_database_from_before_migrations_is_stamped_where_it_stands(databases: Databases, backend: str) -> None:
    """Today's tables made by create_all: stamped at head. Reporting renamed but no access log yet: at 0002."""
    engine = fresh(databases, backend, "offers")
    init_db(engine, [*OFFERS_TABLES, OutboxMessage, ProcessedEvent])
    insert(
        engine,
        "organisation",
        {
            "id": "org-1",
            "name": "Scierie Roux",
            "kind": "company",
            "contact_email": "contact@scierie.example",
            "created_at": SENT,
        },
    )
    migrations.upgrade("offers", engine)
    assert migrations.current("offers", engine) == migrations.revisions("offers")[-1]  # at head
    assert_kept(engine, Organisation, {"id": "org-1", "name": "Scierie Roux"})
    engine.dispose()

    engine = fresh(databases, backend, "reporting")
    migrations.upgrade("reporting", engine, "reporting_0002")
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE {migrations.version_table('reporting')}"))
    insert(engine, "reported_match", {"match_id": "m-1", "status": "proposed", "proposed_at": SENT})
    migrations.upgrade("reporting", engine)
    assert migrations.current("reporting", engine) == migrations.revisions("reporting")[-1]  # at head
    assert_kept(engine, KnownMatch, {"match_id": "m-1", "status": "proposed", "proposed_at": SENT})
    assert "access_log" in inspect(engine).get_table_names()
    engine.dispose()


def test_a_database_matching_no_revision_is_refused(databases: Databases, backend: str) -> None:
    engine = fresh(databases, backend, "matching")
    with engine.begin() as connection:
        connection.execute(text('CREATE TABLE "match" (id VARCHAR PRIMARY KEY, colour VARCHAR)'))
    with pytest.raises(migrations.NoMatchingRevision):
        migrations.upgrade("matching", engine)
    engine.dispose()


def test_instances_starting_together_migrate_once(databases: Databases, backend: str) -> None:
    """Four processes' worth of start-ups at once on a new database: one migrates, the others find it done."""
    url = databases.url(backend, "mig-race")
    engines = [make_engine(url) for _ in range(4)]
    errors: list[BaseException] = []

    def start(engine: Engine) -> None:
        try:
            migrations.upgrade("offers", engine)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with engines[0].connect() as connection:
        versions = connection.execute(text(f"SELECT version_num FROM {migrations.version_table('offers')}")).all()
    assert versions == [(migrations.revisions("offers")[-1],)]
    for engine in engines:
        engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_runs_with_the_tables_its_migrations_make(service: str, tmp_path: Path) -> None:
    """The tables a service's app is built with are its models' TABLES, which the head revision makes."""
    app = importlib.import_module(f"{service}.main").create_app(Settings(BOUCLE_VAR_DIR=tmp_path))
    runtime_tables = {model.__table__.name for model in app.state.runtime.tables}
    assert runtime_tables == set(migrations.target_metadata(service).tables)
