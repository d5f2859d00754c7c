"""Sends queued emails through SMTP, once each, retrying while the server is away.

A row is marked sent right after the server accepted it. A crash between the two can
resend that single message on restart; its Message-ID is derived from the row, so the
copy is recognisable (SMTP offers nothing stronger).
"""

from __future__ import annotations

import logging
import smtplib
import threading
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import formatdate

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from notifications.messages import Message, render
from notifications.models import Contact, OutgoingEmail
from shared.settings import Settings

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(minutes=10)


def build_email(row: OutgoingEmail, message: Message, to: str, settings: Settings) -> EmailMessage:
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = settings.mail_from
    email["To"] = to
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = f"<{row.id}@boucle>"
    email["X-Boucle-Kind"] = row.kind
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    return email


class Mailer:
    """Background sender; run with `run(stop)`, wake with `notify()`."""

    def __init__(self, engine: Engine, settings: Settings, *, idle_wait: float = 1.0):
        self.engine = engine
        self.settings = settings
        self.idle_wait = idle_wait
        self._wake = threading.Event()
        self.sent = 0

    def notify(self) -> None:
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                if self.send_due() == 0:
                    self._wake.wait(self.idle_wait)
                    self._wake.clear()
            except Exception as exc:  # database away: try again shortly
                log.warning("mailer: %s", exc)
                stop.wait(1.0)

    def send_due(self, limit: int = 50) -> int:
        """Send the messages due now whose contact is known; return how many were attempted."""
        now = datetime.now(timezone.utc)
        with Session(self.engine) as session:
            rows = session.exec(
                select(OutgoingEmail, Contact)
                .join(Contact, col(Contact.organisation_id) == OutgoingEmail.organisation_id)
                .where(OutgoingEmail.status == "pending", col(OutgoingEmail.next_attempt_at) <= now)
                .order_by(col(OutgoingEmail.created_at)).limit(limit)).all()
            due = [(row.model_copy(), contact.model_copy()) for row, contact in rows]
        if not due:
            return 0
        try:
            with self.connect() as smtp:
                for row, contact in due:
                    self.send_one(smtp, row, contact)
        except (OSError, smtplib.SMTPException) as exc:
            # Server unreachable or dropped the connection: the rows not sent wait their turn.
            log.warning("mailer: SMTP unavailable: %s", exc)
            for row, _ in due:
                self.postpone(row.id, str(exc))
        return len(due)

    def connect(self) -> smtplib.SMTP:
        host, port = self.settings.smtp_server
        smtp = smtplib.SMTP(host, port, timeout=10)
        if self.settings.smtp_starttls:
            smtp.starttls()
        if self.settings.smtp_user:
            smtp.login(self.settings.smtp_user, self.settings.smtp_password or "")
        return smtp

    def send_one(self, smtp: smtplib.SMTP, row: OutgoingEmail, contact: Contact) -> None:
        message = render(row.kind, row.context, recipient_name=contact.name, public_url=self.settings.public_url)
        try:
            smtp.send_message(build_email(row, message, contact.email, self.settings))
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                self.postpone(row.id, f"{exc.smtp_code} {exc.smtp_error!r}")
            else:
                self.mark(row.id, "failed", error=f"{exc.smtp_code} {exc.smtp_error!r}")
            return
        except smtplib.SMTPRecipientsRefused as exc:
            self.mark(row.id, "failed", error=str(exc.recipients))
            return
        self.mark(row.id, "sent", recipient=contact.email)
        self.sent += 1

    def mark(self, email_id: str, status: str, *, error: str | None = None, recipient: str | None = None) -> None:
        with Session(self.engine) as session:
            row = session.get(OutgoingEmail, email_id)
            if row is None or row.status != "pending":
                return
            row.status, row.last_error, row.attempts = status, error, row.attempts + 1
            if status == "sent":
                row.sent_at, row.recipient = datetime.now(timezone.utc), recipient
            session.add(row)
            session.commit()

    def postpone(self, email_id: str, error: str) -> None:
        """Exponential backoff from 2 s up to 10 min."""
        with Session(self.engine) as session:
            row = session.get(OutgoingEmail, email_id)
            if row is None or row.status != "pending":
                return
            row.attempts += 1
            delay = min(timedelta(seconds=2 ** row.attempts), MAX_BACKOFF)
            row.next_attempt_at, row.last_error = datetime.now(timezone.utc) + delay, error
            session.add(row)
            session.commit()
