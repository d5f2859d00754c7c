"""Daily and weekly digests: the messages an organisation chose not to get one by one."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta, timezone

from sqlmodel import Session, col, select

from notifications.consumer import mode_of
from notifications.messages import SUMMARIES, app_link, subject
from notifications.models import OutgoingEmail

DIGEST_HOUR = time(7, 0, tzinfo=timezone.utc)  # in the inbox before the working day starts


def next_digest(mode: str, after: datetime) -> datetime:
    """When a message queued at `after` goes out: the next 07:00 UTC (daily), or next Monday's (weekly)."""
    after = after if after.tzinfo else after.replace(tzinfo=timezone.utc)
    day = after.date() if after.timetz() < DIGEST_HOUR else after.date() + timedelta(days=1)
    if mode == "weekly":
        day += timedelta(days=(7 - day.weekday()) % 7)
    return datetime.combine(day, DIGEST_HOUR)


def build_due_digests(session: Session, now: datetime) -> int:
    """Group the waiting messages of each organisation and mode into one digest email, when due."""
    waiting = session.exec(
        select(OutgoingEmail).where(OutgoingEmail.status == "digest").order_by(col(OutgoingEmail.created_at))
    ).all()
    groups: dict[tuple[str, str], list[OutgoingEmail]] = defaultdict(list)
    for row in waiting:
        groups[(row.organisation_id, mode_of(session, row.organisation_id, row.kind))].append(row)
    built = 0
    for (organisation_id, mode), rows in groups.items():
        if mode == "instant":  # preference changed back: send them as they are
            for row in rows:
                row.status = "pending"
                session.add(row)
            continue
        if mode == "off":
            for row in rows:
                row.status = "digested"
                session.add(row)
            continue
        due = next_digest(mode, rows[0].created_at)
        if now < due:
            continue
        items = [
            {
                "subject": subject(r.kind, r.context),
                "summary": SUMMARIES[r.kind],
                "kind": r.kind,
                "match_id": r.context.get("match_id", ""),
                "listing_id": r.context.get("listing_id"),
                "link": app_link(r.kind, r.context),
            }
            for r in rows
        ]
        session.add(
            OutgoingEmail(
                dedup_key=f"digest:{organisation_id}:{mode}:{rows[0].id}",
                organisation_id=organisation_id,
                kind="digest",
                context={
                    "items": items,
                    "count": len(items),
                    "plural": "s" if len(items) > 1 else "",
                    "kinds": sorted({r.kind for r in rows}),
                },
            )
        )  # what its unsubscribe link stops
        for row in rows:
            row.status = "digested"
            session.add(row)
        built += 1
    session.commit()
    return built
