"""The access log: who read an organisation's records beyond their anonymised form, and when.

The animateur sees the whole territory (its actors and their listings, the exports); each such
read is recorded per organisation concerned, and each organisation can read its own entries.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from sqlmodel import Session, col, select

from reporting.models import AccessLog


def record_access(
    session: Session,
    *,
    owners: Iterable[str],
    reader_organisation_id: str,
    reader_name: str,
    what: str,
    reader_user_id: str | None = None,
    territory_id: str | None = None,
) -> None:
    """Log that a reader saw these organisations' records (committed with the caller's transaction)."""
    now = datetime.now(timezone.utc)
    for owner in sorted(set(owners) - {reader_organisation_id}):
        session.add(
            AccessLog(
                at=now,
                owner_organisation_id=owner,
                reader_organisation_id=reader_organisation_id,
                reader_name=reader_name,
                reader_user_id=reader_user_id,
                what=what,
                territory_id=territory_id,
            )
        )


ACCESS_LOG_RETENTION = timedelta(days=365)  # a year of who read what: enough to answer an organisation's question


def purge_old_accesses(session: Session, now: datetime, retention: timedelta = ACCESS_LOG_RETENTION) -> int:
    """Delete the entries older than `retention` (RGPD: kept no longer than needed); returns how many."""
    old = session.exec(select(AccessLog).where(AccessLog.at < now - retention)).all()
    for entry in old:
        session.delete(entry)
    session.commit()
    return len(old)


def accesses_to(session: Session, organisation_id: str, limit: int = 200) -> list[AccessLog]:
    """The latest reads of an organisation's records by others, newest first."""
    return list(
        session.exec(
            select(AccessLog)
            .where(AccessLog.owner_organisation_id == organisation_id)
            .order_by(col(AccessLog.at).desc())
            .limit(limit)
        ).all()
    )
