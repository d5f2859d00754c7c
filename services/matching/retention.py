"""How long matching keeps what a closed listing said (RGPD, issue 18): 90 days after it was withdrawn, expired or
paused, its title, description, place and the sentences of the proposals that named it are forgotten, as for an
erased organisation (`matching.consumer.erase_listing`); its row keeps its id and revision, so that a late event
is still recognised, and a listing put back later (renewed, resumed) comes with all it says again."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from matching.consumer import erase_listing
from matching.models import IndexedListing

CLOSED_LISTING_RETENTION = timedelta(days=90)
BATCH = 500


def forget_closed_listings(session: Session, now: datetime) -> int:
    """Erase what the listings closed for longer than the retention said; returns how many."""
    rows = session.exec(
        select(IndexedListing)
        .where(
            col(IndexedListing.active).is_(False),
            col(IndexedListing.closed_at) < now - CLOSED_LISTING_RETENTION,
            IndexedListing.title != "",
        )
        .limit(BATCH)
    ).all()
    for row in rows:
        erase_listing(session, row)
        session.add(row)
    session.commit()
    return len(rows)
