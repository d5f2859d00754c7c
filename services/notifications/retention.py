"""How long notifications keeps a message (RGPD, issue 18): an email sent (or given up, or folded into a digest) for
30 days — its context names the parties, and sometimes people —, an in-app notification for a year.

A replayed event does not send a deleted email again: the consumer's inbox keeps every event id it applied
(`shared.inbox.ProcessedEvent`), without personal data.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, delete

from notifications.models import InAppNotification, OutgoingEmail

EMAIL_RETENTION = timedelta(days=30)
NOTIFICATION_RETENTION = timedelta(days=365)
FINISHED = ("sent", "failed", "digested")  # « pending » and « digest » still wait for their turn


def purge_past_retention(session: Session, now: datetime) -> int:
    """Delete the finished emails and the in-app notifications past their retention; returns how many rows."""
    statements = [
        delete(OutgoingEmail).where(
            col(OutgoingEmail.status).in_(FINISHED), col(OutgoingEmail.created_at) < now - EMAIL_RETENTION
        ),
        delete(InAppNotification).where(col(InAppNotification.created_at) < now - NOTIFICATION_RETENTION),
    ]
    deleted = sum(session.exec(statement).rowcount for statement in statements)
    session.commit()
    return deleted
