"""Sends queued emails through SMTP, once each, retrying while the server is away.

A row is marked sent right after the server accepted it. A crash between the two can
resend that single message on restart; its Message-ID is derived from the row, so the
copy is recognisable (SMTP offers nothing stronger). A refused address (5xx on RCPT) marks
the contact as bounced, stops email to it, and tells the animateur.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from email.charset import BASE64, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr

import httpx
from sqlalchemy import Engine, bindparam, update
from sqlmodel import Session, col, select

from notifications.consumer import ACCOUNT_LINK, queue
from notifications.digest import build_due_digests
from notifications.messages import Message, render
from notifications.models import Contact, OutgoingEmail
from notifications.preferences import DEFAULT_MODE, State, email_kinds, states
from shared.http import tls_context
from shared.leadership import Leadership
from shared.links import LinkSigner
from shared.observability import EMAILS, ERRORS
from shared.settings import Settings

log = logging.getLogger(__name__)
# Encoded words in base64 rather than "shortest of quoted-printable and base64": the choice
# measured every character of every header twice, a third of the mailer's time.
HEADER_CHARSET = Charset("utf-8")
HEADER_CHARSET.header_encoding = BASE64
# Built once: composing the statement per message cost more than running it.
MARK = (
    update(OutgoingEmail)
    .where(col(OutgoingEmail.id) == bindparam("email_id"), col(OutgoingEmail.status) == "pending")
    .values(
        status=bindparam("new_status"),
        last_error=bindparam("error"),
        attempts=OutgoingEmail.attempts + 1,
        sent_at=bindparam("sent_at"),
        recipient=bindparam("to"),
    )
)
SMTP_CONNECTIONS = 3
SMTP_IDLE_CHECK_SECONDS = 10.0  # a kept connection unused this long is checked before use
DIGEST_CHECK_SECONDS = 60.0
ANIMATEUR = "animateur"  # the contact row of the territory's animateur (BOUCLE_ANIMATEUR_EMAIL)


def text_of(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


def address_of(row: OutgoingEmail, contact: Contact) -> str:
    """Where a message goes: a user's own address for its account links, else the organisation's contact."""
    return str(row.context["email"]) if row.kind == ACCOUNT_LINK else contact.email


class AccountLinkGone(Exception):
    """Offers will not give the account link (expired, used, unknown): the email has no point any more."""


class AccountLinkUnavailable(Exception):
    """Offers did not answer: try again later."""


def account_link(settings: Settings, link_id: str) -> str:
    """The link of an account email (confirm, log in, join), asked of offers as the email goes out: offers makes
    its single-use nonce now and alone holds the key that signs it; nothing of it is stored here."""
    try:
        answer = httpx.post(
            f"{settings.offers_url.rstrip('/')}/internal/account-links/{link_id}",
            timeout=10,
            verify=tls_context(),
            headers={"Authorization": f"Bearer {settings.internal_api_token}"},
        )
    except httpx.HTTPError as exc:
        raise AccountLinkUnavailable(f"offers injoignable : {exc}") from exc
    if answer.status_code in (404, 410):
        raise AccountLinkGone("lien de compte expiré ou déjà utilisé")
    if answer.status_code != 200:
        raise AccountLinkUnavailable(f"offers a répondu {answer.status_code}")
    return str(answer.json()["url"])


def unsubscribe_token(row: OutgoingEmail, signer: LinkSigner, preferences: Mapping[str, State]) -> str | None:
    """The unsubscribe token of a message: its organisation and the kinds it came from, each with its revision now
    (`preferences`: the organisation's {kind: (mode, revision)}); None when it comes from no preference."""
    digest_mode = row.dedup_key.split(":")[2] if row.kind == "digest" and row.dedup_key.count(":") >= 2 else None
    kinds = email_kinds(
        row.kind, row.context, digest_mode=digest_mode, modes={kind: mode for kind, (mode, _) in preferences.items()}
    )
    if not kinds or row.organisation_id == ANIMATEUR:
        return None
    return signer.sign(
        "unsubscribe", o=row.organisation_id, k={kind: preferences.get(kind, (DEFAULT_MODE, 0))[1] for kind in kinds}
    )


def links_for(
    row: OutgoingEmail, settings: Settings, signer: LinkSigner, preferences: Mapping[str, State] | None = None
) -> dict[str, str]:
    """Signed action links of a message: answer the match, renew or close a listing, open the
    territory's dashboard, unsubscribe from its kinds; or, for an account email, confirm or log in (from offers)."""
    base = settings.public_url.rstrip("/")
    if row.kind == ACCOUNT_LINK:  # a user's own message: nothing to unsubscribe the organisation from
        return {"account": account_link(settings, str(row.context.get("link_id") or "-"))}
    links = {}
    if (unsubscribe := unsubscribe_token(row, signer, preferences or {})) is not None:
        links["unsubscribe"] = f"{base}/liens/desabonnement/{unsubscribe}"
    match_id = row.context.get("match_id")
    if match_id and row.kind in ("match_proposed", "match_responded"):
        token = signer.sign("match-response", m=match_id, o=row.organisation_id)
        links["respond"] = f"{base}/liens/reponse/{token}"
    if row.kind == "weekly_summary":  # the territory's dashboard (reporting checks it is still theirs)
        token = signer.sign("dashboard", t=row.context["territory_id"], o=row.organisation_id)
        links["dashboard"] = f"{base}/liens/tableau/{token}"
    # An expiry reminder, alone or in a digest: renew or close the listing without a password.
    listing_ids: list[str] = []
    if row.kind == "listing_expiring":
        listing_ids = [row.context["listing_id"]]
    elif row.kind == "digest":
        listing_ids = [item["listing_id"] for item in row.context.get("items", []) if item.get("listing_id")]
    for listing_id in listing_ids:
        token = signer.sign("listing-renewal", l=listing_id, o=row.organisation_id)
        links[f"listing:{listing_id}"] = f"{base}/liens/annonce/{token}"
    return links


def build_email(
    row: OutgoingEmail, message: Message, to: str, settings: Settings, links: dict[str, str]
) -> MIMEMultipart:
    """multipart/alternative, text then HTML. Built with the classic MIME classes: several times
    cheaper than `EmailMessage`'s header parsing, which dominated the mailer's time."""
    # A boundary of our own: the generator's random one is checked against the body with a fresh regex.
    email = MIMEMultipart("alternative", boundary=f"=_boucle_{row.id}")
    email["Subject"] = Header(message.subject, HEADER_CHARSET)  # type: ignore[assignment]  # folded by the generator
    email["From"] = formataddr(parseaddr(settings.mail_from), charset=HEADER_CHARSET)
    email["To"] = to
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = f"<{row.id}@boucle>"
    email["X-Boucle-Kind"] = row.kind
    if "unsubscribe" in links:  # RFC 2369 and RFC 8058 one-click
        email["List-Unsubscribe"] = f"<{links['unsubscribe']}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.attach(MIMEText(message.text, "plain", "utf-8"))
    email.attach(MIMEText(message.html, "html", "utf-8"))
    return email


class Mailer:
    """Background sender; run with `run(stop)`, wake with `notify()`."""

    def __init__(self, engine: Engine, settings: Settings, *, idle_wait: float = 1.0):
        self.engine = engine
        self.settings = settings
        self.signer = LinkSigner(settings.secret_key)
        self.idle_wait = idle_wait
        self._wake = threading.Event()
        self.sent = 0
        # Sending threads, each keeping its SMTP connection between batches: a connection per batch
        # cost the mailer and the server a handshake for every two or three messages under load.
        self._senders = ThreadPoolExecutor(max_workers=SMTP_CONNECTIONS, thread_name_prefix="smtp")
        self._local = threading.local()
        self._connections: set[smtplib.SMTP] = set()
        self._connections_lock = threading.Lock()
        # However many instances or mailer processes run, one sends at a time: none sends a row twice.
        self.leadership = Leadership(engine, "mailer")
        self.last_round = time.monotonic()

    def notify(self) -> None:
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        next_digest_check = 0.0
        while not stop.is_set():
            self.last_round = time.monotonic()  # the process's /healthz: is this loop still going round?
            try:
                if not self.leadership.held():
                    stop.wait(self.idle_wait)
                    continue
                # Digests go out at a fixed hour: checking once a minute is enough, and keeps a
                # write transaction off the path of every wake-up (one per event consumed).
                if time.monotonic() >= next_digest_check:
                    with Session(self.engine) as session:
                        build_due_digests(session, datetime.now(timezone.utc))
                    next_digest_check = time.monotonic() + DIGEST_CHECK_SECONDS
                if self.send_due() == 0:
                    self._wake.wait(self.idle_wait)
                    self._wake.clear()
            except Exception as exc:  # database away: try again shortly
                ERRORS.labels("notifications-mailer", "mailer").inc()
                log.warning("mailer: %s", exc)
                stop.wait(1.0)
        self.leadership.release()
        self.close()

    def close(self) -> None:
        """Say goodbye to the SMTP server on every kept connection."""
        self._senders.shutdown(wait=True)
        with self._connections_lock:
            connections, self._connections = list(self._connections), set()
        for smtp in connections:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()

    def send_due(self, limit: int = 50) -> int:
        """Send the messages due now whose contact is known; return how many were attempted."""
        now = datetime.now(timezone.utc)
        with Session(self.engine) as session:
            rows = session.exec(
                select(OutgoingEmail, Contact)
                .join(Contact, col(Contact.organisation_id) == OutgoingEmail.organisation_id)
                .where(OutgoingEmail.status == "pending", col(OutgoingEmail.next_attempt_at) <= now)
                .order_by(col(OutgoingEmail.created_at))
                .limit(limit)
            ).all()
            # The revisions their unsubscribe links carry: read once for the batch.
            preferences = states(session, [row.organisation_id for row, _ in rows])
            due = [
                (row.model_copy(), contact.model_copy(), preferences.get(row.organisation_id, {}))
                for row, contact in rows
            ]
        if not due:
            return 0
        # A few SMTP connections at once: while one waits for the server, another builds its message.
        chunks = [due[i::SMTP_CONNECTIONS] for i in range(SMTP_CONNECTIONS)]
        list(self._senders.map(self.send_chunk, [c for c in chunks if c]))
        return len(due)

    def send_chunk(self, chunk: list[tuple[OutgoingEmail, Contact, dict[str, State]]]) -> None:
        try:
            smtp = self.connection()
            for row, contact, preferences in chunk:
                self.send_one(smtp, row, contact, preferences)
            self._local.last_used = time.monotonic()
        except (OSError, smtplib.SMTPException) as exc:
            # Server unreachable or dropped the connection: the rows not sent wait their turn.
            log.warning("mailer: SMTP unavailable: %s", exc)
            self.drop_connection()
            for row, *_ in chunk:
                self.postpone(row.id, str(exc))

    def connection(self) -> smtplib.SMTP:
        """This sending thread's SMTP connection, opened on first use and kept; after a pause, a NOOP
        checks that the server has not closed it meanwhile."""
        smtp: smtplib.SMTP | None = getattr(self._local, "smtp", None)
        if smtp is not None and time.monotonic() - self._local.last_used > SMTP_IDLE_CHECK_SECONDS:
            try:
                if smtp.noop()[0] != 250:
                    raise smtplib.SMTPServerDisconnected("NOOP refused")
                self._local.last_used = time.monotonic()
            except (OSError, smtplib.SMTPException):
                self.drop_connection()
                smtp = None
        if smtp is None:
            smtp = self.connect()
            self._local.smtp, self._local.last_used = smtp, time.monotonic()
            with self._connections_lock:
                self._connections.add(smtp)
        return smtp

    def drop_connection(self) -> None:
        smtp: smtplib.SMTP | None = getattr(self._local, "smtp", None)
        self._local.smtp = None
        if smtp is not None:
            with self._connections_lock:
                self._connections.discard(smtp)
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.close()

    def connect(self) -> smtplib.SMTP:
        """A connection to the relay: in clear (the development sink), upgraded by STARTTLS, or TLS from the first
        byte; the relay's certificate is checked against the system's CAs or `SMTP_CA_FILE`."""
        host, port = self.settings.smtp_server
        tls = ssl.create_default_context(cafile=self.settings.smtp_ca_file)
        if self.settings.smtp_implicit_tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=10, context=tls)
        else:
            smtp = smtplib.SMTP(host, port, timeout=10)
            if self.settings.smtp_starttls:
                smtp.starttls(context=tls)
        if self.settings.smtp_user:
            smtp.login(self.settings.smtp_user, self.settings.smtp_password or "")
        return smtp

    def send_one(
        self, smtp: smtplib.SMTP, row: OutgoingEmail, contact: Contact, preferences: Mapping[str, State] | None = None
    ) -> None:
        to = address_of(row, contact)
        if contact.bounced_at is not None and to == contact.email:
            self.mark(row.id, "failed", error=f"adresse en échec depuis le {contact.bounced_at:%d/%m/%Y}")
            return
        try:
            links = links_for(row, self.settings, self.signer, preferences)
        except AccountLinkGone as exc:
            self.mark(row.id, "failed", error=str(exc))
            return
        except AccountLinkUnavailable as exc:
            self.postpone(row.id, str(exc))
            return
        message = render(
            row.kind, row.context, recipient_name=contact.name, public_url=self.settings.public_url, links=links
        )
        try:
            smtp.send_message(build_email(row, message, to, self.settings, links))
        except smtplib.SMTPRecipientsRefused as exc:
            code, reason = next(iter(exc.recipients.values()))
            if to != contact.email and code >= 500:  # a user's own address: the organisation's contact is fine
                self.mark(row.id, "failed", error=f"{code} {text_of(reason)}")
            else:
                self.refused(row, contact, f"{code} {text_of(reason)}", permanent=code >= 500)
            return
        except smtplib.SMTPResponseException as exc:
            error = f"{exc.smtp_code} {text_of(exc.smtp_error)}"
            if 400 <= exc.smtp_code < 500:
                self.postpone(row.id, error)
            else:
                self.mark(row.id, "failed", error=error)
            return
        self.mark(row.id, "sent", recipient=to)
        self.sent += 1
        EMAILS.labels("sent").inc()
        log.info("email sent", extra={"email_id": row.id, "kind": row.kind, "dedup_key": row.dedup_key})

    def refused(self, row: OutgoingEmail, contact: Contact, reason: str, *, permanent: bool) -> None:
        """The server refused the address: retry later (4xx), or mark the contact bounced (5xx)."""
        if not permanent:
            self.postpone(row.id, reason)
            return
        self.mark(row.id, "failed", error=reason)
        with Session(self.engine) as session:
            stored = session.get(Contact, contact.organisation_id)
            if stored is None or stored.bounced_at is not None:
                return
            stored.bounced_at, stored.bounce_reason = datetime.now(timezone.utc), reason
            session.add(stored)
            if self.settings.animateur_email and contact.organisation_id != ANIMATEUR:
                queue(
                    session,
                    f"bounce:{contact.organisation_id}:{contact.email}",
                    ANIMATEUR,
                    "bounce_alert",
                    {"organisation_name": contact.name, "address": contact.email, "reason": reason},
                )
            session.commit()

    def mark(self, email_id: str, status: str, *, error: str | None = None, recipient: str | None = None) -> None:
        """Record the outcome at once (one UPDATE): the shorter the gap after SMTP accepted, the
        smaller the chance that a crash resends."""
        if status == "failed":
            EMAILS.labels("failed").inc()
        sent_at = datetime.now(timezone.utc) if status == "sent" else None
        with self.engine.begin() as connection:
            connection.execute(
                MARK, {"email_id": email_id, "new_status": status, "error": error, "sent_at": sent_at, "to": recipient}
            )

    def postpone(self, email_id: str, error: str) -> None:
        """Exponential backoff from 2 s up to `MAILER_MAX_BACKOFF_SECONDS` (10 min by default)."""
        EMAILS.labels("postponed").inc()
        with Session(self.engine) as session:
            row = session.get(OutgoingEmail, email_id)
            if row is None or row.status != "pending":
                return
            row.attempts += 1
            delay = timedelta(seconds=min(2**row.attempts, self.settings.mailer_max_backoff_seconds))
            row.next_attempt_at, row.last_error = datetime.now(timezone.utc) + delay, error
            session.add(row)
            session.commit()
