"""What each service deletes or forgets once past its retention (RGPD, issue 18, point 10), on SQLite and PostgreSQL:
each rule keeps what is within its time and what is still in use."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone

import pytest
from matching.models import IndexedListing, Match, MatchMember
from matching.retention import forget_closed_listings
from notifications.models import InAppNotification, OutgoingEmail
from notifications.retention import purge_past_retention
from offers.accounts_service import purge_expired_traces
from offers.models import ApiToken, ExpiryReminder, Listing, Organisation
from offers.service import purge_closed_listings
from sqlalchemy import Engine
from sqlmodel import Session, select

from shared.db import make_engine
from tests.conftest import Databases

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)


def ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


@pytest.fixture
def engine_of(databases: Databases, backend: str) -> Iterator:  # type: ignore[type-arg]
    engines: list[Engine] = []

    def make(service: str) -> Engine:
        engines.append(make_engine(databases.migrated(backend, service)))
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()


def test_notifications_forget_finished_emails_after_30_days_and_notifications_after_a_year(engine_of) -> None:  # type: ignore[no-untyped-def]
    with Session(engine_of("notifications")) as session:
        for key, status, days in (
            ("old-sent", "sent", 40),
            ("old-failed", "failed", 40),
            ("old-pending", "pending", 40),
            ("old-digest", "digest", 40),
            ("recent-sent", "sent", 10),
        ):
            session.add(
                OutgoingEmail(
                    dedup_key=key,
                    organisation_id="org",
                    kind="match_proposed",
                    status=status,
                    context={"others": [{"name": "Scierie Roux"}]},
                    created_at=ago(days),
                )
            )
        for key, days in (("old-note", 400), ("recent-note", 300)):
            session.add(
                InAppNotification(
                    dedup_key=key,
                    organisation_id="org",
                    kind="match_proposed",
                    title="t",
                    body="b",
                    created_at=ago(days),
                )
            )
        session.commit()
        assert purge_past_retention(session, NOW) == 3
        assert sorted(session.exec(select(OutgoingEmail.dedup_key)).all()) == [
            "old-digest",
            "old-pending",
            "recent-sent",
        ]  # what still waits is sent first
        assert session.exec(select(InAppNotification.dedup_key)).all() == ["recent-note"]
        assert purge_past_retention(session, NOW) == 0


def test_matching_forgets_what_a_listing_said_90_days_after_it_closed(engine_of) -> None:  # type: ignore[no-untyped-def]
    def listing(listing_id: str, active: bool, closed_days: int | None) -> IndexedListing:
        return IndexedListing(
            listing_id=listing_id,
            seq=1,
            organisation_id="org",
            revision=2,
            kind="offer",
            active=active,
            title=f"Chutes de {listing_id}",
            description="Appeler M. Roux",
            lat=47.0,
            lon=5.0,
            commune="Dole",
            closed_at=ago(closed_days) if closed_days is not None else None,
        )

    with Session(engine_of("matching")) as session:
        session.add_all([listing("old", False, 100), listing("recent", False, 30), listing("live", True, None)])
        match = Match(key="pair:old:n", kind="pair", score=0.8, explanation="« Chutes de old » pour vous")
        session.add(match)
        session.flush()
        session.add(
            MatchMember(
                match_id=match.id,
                listing_id="old",
                organisation_id="org",
                role="supply",
                explanation="Votre « Chutes de old »",
            )
        )
        session.commit()
        assert forget_closed_listings(session, NOW) == 1
        old = session.get_one(IndexedListing, "old")
        assert (old.title, old.description, old.lat, old.commune, old.revision) == ("", None, None, None, 2)
        assert session.get_one(Match, match.id).explanation == ""
        assert session.exec(select(MatchMember.explanation)).all() == [""]
        for kept in ("recent", "live"):
            assert session.get_one(IndexedListing, kept).description == "Appeler M. Roux"
        assert forget_closed_listings(session, NOW) == 0


def test_offers_delete_closed_listings_after_three_years_and_revoked_tokens_after_one(engine_of) -> None:  # type: ignore[no-untyped-def]
    with Session(engine_of("offers")) as session:
        session.add(Organisation(id="org", name="Scierie Roux", kind="company", contact_email="roux@example.fr"))
        session.flush()
        rows = {
            "old-withdrawn": ("withdrawn", 4 * 365),
            "old-expired": ("expired", 4 * 365),
            "recent-expired": ("expired", 365),
            "old-active": ("active", 4 * 365),
        }
        for listing_id, (status, days) in rows.items():
            session.add(
                Listing(
                    id=listing_id,
                    organisation_id="org",
                    kind="offer",
                    status=status,
                    title=listing_id,
                    description="Appeler M. Roux",
                    expires_at=date(2022, 1, 1),
                    updated_at=ago(days),
                )
            )
        session.add(
            Listing(
                id="live-need",
                organisation_id="org",
                kind="need",
                title="Fumier",
                expires_at=date(2027, 6, 1),
                counterpart_id="old-withdrawn",
            )
        )
        session.flush()
        session.add(ExpiryReminder(listing_id="old-expired", expires_at=date(2022, 1, 1), sent_at=ago(4 * 365)))
        for token_id, revoked in (("old-token", ago(400)), ("recent-token", ago(30)), ("live-token", None)):
            session.add(
                ApiToken(id=token_id, organisation_id="org", token_hash=token_id, label="ERP", revoked_at=revoked)
            )
        session.commit()
        assert purge_closed_listings(session, NOW) == 2
        assert sorted(session.exec(select(Listing.id)).all()) == ["live-need", "old-active", "recent-expired"]
        assert session.get_one(Listing, "live-need").counterpart_id is None
        assert session.exec(select(ExpiryReminder)).all() == []
        purge_expired_traces(session, NOW)
        assert sorted(session.exec(select(ApiToken.id)).all()) == ["live-token", "recent-token"]
