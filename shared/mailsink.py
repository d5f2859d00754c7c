"""Development SMTP sink with a web mailbox viewer, in the manner of Mailpit.

Every message the services send is accepted, stored as an ``.eml`` file and
shown in a small French web interface; nothing is ever delivered.

Run it with::

    python -m shared.mailsink --smtp-host 127.0.0.1 --smtp-port 1025 \\
        --http-port 8025 --store var/mail

then point the services' SMTP settings at 127.0.0.1:1025 and open
http://127.0.0.1:8025/. Stop it with Ctrl-C (SIGINT) or SIGTERM.
JSON API: ``GET /api/messages``, ``GET /api/messages/{id}``,
``DELETE /api/messages``; ``GET /healthz`` for liveness.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import signal
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("boucle.mailsink")

TEMPLATES_DIR = Path(__file__).parent / "templates" / "mailsink"
ENVELOPE_FROM_HEADER = "X-Boucle-Envelope-From"
ENVELOPE_TO_HEADER = "X-Boucle-Envelope-To"
MESSAGE_ID_PATTERN = re.compile(r"^[0-9]{20}-[0-9a-f]{32}$")
_PARSER = BytesParser(policy=policy.default)


class MessageNotFound(LookupError):
    """Raised when no stored message has the requested id."""


@dataclass(frozen=True)
class MessageSummary:
    """One line of the mailbox listing."""

    id: str
    sender: str
    to: str
    subject: str
    date: str
    received_at: str
    size: int

    def as_json(self) -> dict[str, Any]:
        """Return the summary as a JSON-ready dict (``sender`` becomes ``from``)."""
        data = asdict(self)
        data["from"] = data.pop("sender")
        return data


@dataclass(frozen=True)
class MessageDetail(MessageSummary):
    """A stored message with its parts, headers and raw source."""

    envelope_from: str = ""
    envelope_to: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    text: str | None = None
    html: str | None = None
    raw: str = ""

    def as_json(self) -> dict[str, Any]:
        """Return the detail as a JSON-ready dict (headers as [name, value] pairs)."""
        data = super().as_json()
        data["envelope_to"] = list(self.envelope_to)
        data["headers"] = [list(pair) for pair in self.headers]
        return data


class MailStore:
    """Messages kept as ``<ns timestamp>-<uuid>.eml`` files in one directory."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def add(self, raw: bytes, envelope_from: str, envelope_to: list[str]) -> str:
        """Store a received message with its envelope and return its id."""
        message_id = f"{time.time_ns():020d}-{uuid.uuid4().hex}"
        envelope = (
            f"{ENVELOPE_FROM_HEADER}: {_one_line(envelope_from)}\r\n"
            f"{ENVELOPE_TO_HEADER}: {', '.join(_one_line(rcpt) for rcpt in envelope_to)}\r\n"
        ).encode()
        partial = self.directory / f".{message_id}.part"
        partial.write_bytes(envelope + raw)
        partial.replace(self._path(message_id))  # atomic: list() never sees half a file
        return message_id

    def list(self) -> list[MessageSummary]:
        """Return summaries of all stored messages, newest first."""
        summaries = []
        for path in sorted(self.directory.glob("*.eml"), reverse=True):
            if not MESSAGE_ID_PATTERN.match(path.stem):
                continue
            try:
                with path.open("rb") as file:
                    summaries.append(_summary(path, _PARSER.parse(file, headersonly=True)))
            except FileNotFoundError:  # deleted by a concurrent clear()
                continue
        return summaries

    def get(self, message_id: str) -> MessageDetail:
        """Return one stored message; raise MessageNotFound for unknown or malformed ids."""
        path = self._path(message_id)
        if not path.is_file():
            raise MessageNotFound(message_id)
        raw = path.read_bytes()
        message = _PARSER.parsebytes(raw)
        summary = _summary(path, message)
        return MessageDetail(
            **asdict(summary),
            envelope_from=str(message.get(ENVELOPE_FROM_HEADER, "")),
            envelope_to=tuple(_split_addresses(str(message.get(ENVELOPE_TO_HEADER, "")))),
            headers=tuple((name, str(value)) for name, value in message.items()),
            text=_body(message, "plain"),
            html=_body(message, "html"),
            raw=raw.decode("utf-8", errors="replace"),
        )

    def clear(self) -> int:
        """Delete every stored message and return how many were deleted."""
        deleted = 0
        for path in self.directory.glob("*.eml"):
            if MESSAGE_ID_PATTERN.match(path.stem):
                path.unlink(missing_ok=True)
                deleted += 1
        return deleted

    def _path(self, message_id: str) -> Path:
        if not MESSAGE_ID_PATTERN.match(message_id):
            raise MessageNotFound(message_id)
        return self.directory / f"{message_id}.eml"


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _split_addresses(value: str) -> list[str]:
    return [address.strip() for address in value.split(",") if address.strip()]


def _summary(path: Path, message: EmailMessage) -> MessageSummary:
    received_at = datetime.fromtimestamp(int(path.stem.split("-")[0]) / 1e9, tz=timezone.utc)
    date_header = message.get("Date")
    sent_at = getattr(date_header, "datetime", None)
    return MessageSummary(
        id=path.stem,
        sender=str(message.get("From", "")),
        to=str(message.get("To", "")) or str(message.get(ENVELOPE_TO_HEADER, "")),
        subject=str(message.get("Subject", "")),
        date=(sent_at or received_at).isoformat(),
        received_at=received_at.isoformat(),
        size=path.stat().st_size,
    )


def _body(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):  # unknown or lying charset
        raw = part.get_payload(decode=True)
        content = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else ""
    return str(content).replace("\r\n", "\n")  # SMTP line endings, shown as plain newlines


class MailStoreHandler:
    """aiosmtpd handler that accepts every message and saves it in a MailStore."""

    def __init__(self, store: MailStore) -> None:
        self.store = store

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Store the message with its envelope sender and recipients."""
        message_id = await asyncio.to_thread(
            self.store.add, envelope.content, envelope.mail_from or "", list(envelope.rcpt_tos)
        )
        log.info("Message %s reçu pour %s", message_id, ", ".join(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class MailSink:
    """The SMTP side of the sink: an aiosmtpd server running in a background thread."""

    def __init__(self, store: MailStore, hostname: str = "127.0.0.1", port: int = 1025) -> None:
        self.store = store
        self.hostname = hostname
        self.port = port
        self.controller = Controller(
            MailStoreHandler(store), hostname=hostname, port=port, server_hostname="boucle-mailsink"
        )

    def start(self) -> None:
        """Start accepting SMTP connections."""
        self.controller.start()

    def stop(self) -> None:
        """Stop the SMTP server."""
        self.controller.stop()


def _format_date(value: str) -> str:
    try:
        return datetime.fromisoformat(value).astimezone().strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return value


def _format_size(size: int) -> str:
    return f"{size} o" if size < 1024 else f"{size / 1024:.1f} Ko".replace(".", ",")


def from_another_page(request: Request) -> bool:
    """Whether a browser posted this from a page other than the mailbox's own: another site, another origin of the
    same site, or an `Origin` that is not the mailbox's (`null` included). The rule of
    `shared.http.from_another_origin`, written again here: the sink's image holds this file alone, on Debian's
    packages, without `shared.http`'s imports."""
    site = (request.headers.get("sec-fetch-site") or "").lower()
    origin = request.headers.get("origin")
    own = str(request.base_url).rstrip("/").lower()  # scheme://host[:port] as the browser addressed the mailbox
    if site == "cross-site":
        return True
    if origin is not None and origin.strip().lower() == "null":  # ours only if the browser says same-origin
        return site != "same-origin"
    if origin is not None and origin.strip().rstrip("/").lower() != own:
        return True
    return site == "same-site" and origin is None


def create_viewer_app(store: MailStore) -> FastAPI:
    """Build the web mailbox viewer and JSON API over a MailStore."""
    templates = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape())
    templates.filters["french_date"] = _format_date
    templates.filters["french_size"] = _format_size
    app = FastAPI(title="Boucle — boîte aux lettres de développement", docs_url=None, redoc_url=None)

    def render(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(templates.get_template(name).render(**context), status_code=status_code)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404 and not request.url.path.startswith("/api/"):
            return render("not_found.html", status_code=404)
        return JSONResponse({"detail": error.detail}, status_code=error.status_code)

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    def message_list() -> HTMLResponse:
        return render("list.html", messages=store.list())

    @app.get("/messages/{message_id}", response_class=HTMLResponse)
    def message_page(message_id: str) -> HTMLResponse:
        try:
            message = store.get(message_id)
        except MessageNotFound:
            return render("not_found.html", status_code=404)
        return render("message.html", message=message)

    @app.post("/clear", response_model=None)
    def clear_from_page(request: Request) -> Response:
        if from_another_page(request):  # another page's form must not empty the box
            return PlainTextResponse("Vidage refusé : il se fait depuis la page de la boîte.", status_code=403)
        store.clear()
        return RedirectResponse("/", status_code=303)

    @app.get("/api/messages")
    def api_list() -> list[dict[str, Any]]:
        return [summary.as_json() for summary in store.list()]

    @app.get("/api/messages/{message_id}", response_model=None)
    def api_get(message_id: str) -> dict[str, Any] | Response:
        try:
            return store.get(message_id).as_json()
        except MessageNotFound:
            return JSONResponse({"detail": "Message introuvable"}, status_code=404)

    @app.delete("/api/messages")
    def api_clear() -> dict[str, Any]:
        return {"deleted": store.clear()}

    return app


def main(argv: list[str] | None = None) -> None:
    """Run the SMTP sink and the web viewer in one process until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m shared.mailsink", description=__doc__.splitlines()[0])
    parser.add_argument("--smtp-host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-host", default="127.0.0.1")
    parser.add_argument("--http-port", type=int, default=8025)
    parser.add_argument("--store", default="var/mail", help="directory of the stored .eml files")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-connection chatter

    store = MailStore(args.store)
    server = uvicorn.Server(
        uvicorn.Config(create_viewer_app(store), host=args.http_host, port=args.http_port, log_level="info")
    )

    def request_exit(signum: int, frame: object) -> None:
        server.should_exit = True

    # uvicorn re-raises the signal it caught once it has shut down; with these
    # handlers in place that re-raise is harmless and the process exits with 0.
    signal.signal(signal.SIGINT, request_exit)
    signal.signal(signal.SIGTERM, request_exit)

    sink = MailSink(store, args.smtp_host, args.smtp_port)
    sink.start()
    log.info(
        "SMTP sur %s:%d, boîte aux lettres sur http://%s:%d/ (stockage : %s)",
        args.smtp_host,
        args.smtp_port,
        args.http_host,
        args.http_port,
        store.directory,
    )
    try:
        server.run()
    finally:
        sink.stop()
        log.info("Arrêté.")


if __name__ == "__main__":
    main()
