"""Settings of every Boucle process, read once from the environment and passed down.

The names follow the contract in ARCHITECTURE.md: `KAFKA_BOOTSTRAP_SERVERS`,
`<SERVICE>_DATABASE_URL`, `SMTP_*`, `BOUCLE_PUBLIC_URL`. Unset infrastructure means
"use the embedded one" (see shared.devstack).
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ServiceName = Literal["offers", "matching", "notifications", "reporting"]
SERVICES: tuple[ServiceName, ...] = ("offers", "matching", "notifications", "reporting")

DEFAULT_BROKER = "127.0.0.1:9092"
DEV_SECRET = "boucle-dev-only-secret-change-me"


def derived_secret(secret: str, purpose: str) -> str:
    """A development default: a secret of its own per use, from the shared one (set each for real in production)."""
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).hexdigest()


class Settings(BaseSettings):
    """Environment-driven settings shared by all services."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    environment: Literal["development", "production"] = Field(default="development", alias="BOUCLE_ENV")
    # Signs the links in emails; every service that verifies a link needs the same one.
    secret_key: str = Field(default=DEV_SECRET, alias="BOUCLE_SECRET_KEY", min_length=16)
    # Signs the emailed account links (confirm, log in, join): offers alone holds it, and hands each link to
    # notifications' mailer when it sends the email. Unset in development: derived from BOUCLE_SECRET_KEY.
    account_link_secret: str | None = Field(default=None, alias="BOUCLE_ACCOUNT_LINK_SECRET", min_length=16)
    # What the mailer shows offers to get an account link (`POST /internal/account-links/{id}`); offers and
    # notifications only. Unset in development: derived from BOUCLE_SECRET_KEY.
    internal_token: str | None = Field(default=None, alias="BOUCLE_INTERNAL_TOKEN", min_length=16)
    animateur_email: str | None = Field(default=None, alias="BOUCLE_ANIMATEUR_EMAIL")

    # Who runs this Boucle, for the mentions légales and the privacy policy (the collectivité, or its operator).
    operator_name: str = Field(default="", alias="BOUCLE_OPERATOR_NAME")
    operator_address: str = Field(default="", alias="BOUCLE_OPERATOR_ADDRESS")
    operator_email: str = Field(default="", alias="BOUCLE_OPERATOR_EMAIL")
    publication_director: str = Field(default="", alias="BOUCLE_PUBLICATION_DIRECTOR")
    host_name: str = Field(default="", alias="BOUCLE_HOST_NAME")  # the hosting provider
    host_address: str = Field(default="", alias="BOUCLE_HOST_ADDRESS")
    dpo_email: str = Field(default="", alias="BOUCLE_DPO_EMAIL")  # the data protection officer, if any

    var_dir: Path = Field(default=Path("var"), alias="BOUCLE_VAR_DIR")
    public_url: str = Field(default="http://127.0.0.1:8000", alias="BOUCLE_PUBLIC_URL")

    kafka_bootstrap_servers: str | None = Field(default=None, alias="KAFKA_BOOTSTRAP_SERVERS")
    # The longest a consumer may take between two polls before its group moves its partitions (and kafka-python's
    # rebalance timeout). Unset: 5 s in development, Kafka's own 5 minutes in production.
    kafka_max_poll_interval_ms: int | None = Field(default=None, alias="KAFKA_MAX_POLL_INTERVAL_MS", gt=0)
    # How long a group waits for a silent consumer before giving its partitions to the others. Unset: 6 s (Kafka's
    # smallest by default) up to 45 s as the poll interval grows. Tansu makes a new group's first join wait about
    # half of it: the embedded broker's stacks take 2 s (`make run`, the tests).
    kafka_session_timeout_ms: int | None = Field(default=None, alias="KAFKA_SESSION_TIMEOUT_MS", ge=1000)
    kafka_partitions: int = Field(default=3, alias="KAFKA_PARTITIONS")
    # Topics Boucle creates: replicas (3 on a managed cluster), the replicas a write must reach, and how long events
    # are kept (shared.topics.RETENTION: the synergies' ledger for ever, every other topic this many days).
    kafka_replication_factor: int = Field(default=1, alias="KAFKA_REPLICATION_FACTOR", ge=1)
    kafka_min_insync_replicas: int | None = Field(default=None, alias="KAFKA_MIN_INSYNC_REPLICAS", ge=1)
    kafka_retention_days: int = Field(default=30, alias="KAFKA_RETENTION_DAYS", ge=1)
    # A managed cluster: TLS, and SASL (PLAIN or SCRAM) credentials.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", alias="KAFKA_SECURITY_PROTOCOL"
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = Field(
        default=None, alias="KAFKA_SASL_MECHANISM"
    )
    kafka_sasl_username: str | None = Field(default=None, alias="KAFKA_SASL_USERNAME")
    kafka_sasl_password: str | None = Field(default=None, alias="KAFKA_SASL_PASSWORD")
    kafka_ssl_cafile: str | None = Field(default=None, alias="KAFKA_SSL_CAFILE")  # unset: the system's CAs
    # While the broker is away, the outbox relay tries again after 0.5 s, 1 s, 2 s… up to this.
    outbox_max_backoff_seconds: float = Field(default=5.0, alias="OUTBOX_MAX_BACKOFF_SECONDS", gt=0)
    consumer_max_attempts: int = Field(default=3, alias="CONSUMER_MAX_ATTEMPTS", ge=1)
    expiry_check_seconds: float = Field(default=300.0, alias="EXPIRY_CHECK_SECONDS", gt=0)
    # How many days before its expiry a listing's owner is reminded to renew or close it.
    expiry_reminder_days: int = Field(default=14, alias="EXPIRY_REMINDER_DAYS", ge=0)
    # "json": one JSON object per log line on stdout (with event ids); "text": Python's default.
    log_format: Literal["json", "text"] = Field(default="json", alias="BOUCLE_LOG_FORMAT")
    # How often reporting checks whether a territory's weekly summary is due (Mondays from 07:00 UTC).
    summary_check_seconds: float = Field(default=600.0, alias="SUMMARY_CHECK_SECONDS", gt=0)
    summary_send_hour_utc: int = Field(default=7, alias="SUMMARY_SEND_HOUR_UTC", ge=0, le=23)
    # A synergy that has not moved for this many days is « à relancer » (reporting reminds its parties once).
    quiet_after_days: float = Field(default=42.0, alias="QUIET_AFTER_DAYS", gt=0)

    offers_database_url: str | None = Field(default=None, alias="OFFERS_DATABASE_URL")
    matching_database_url: str | None = Field(default=None, alias="MATCHING_DATABASE_URL")
    # Offers the knowledge base cannot read placed by the meaning of their words (matching.meaning): French word
    # vectors, about a second and 300 MB when first needed. The test stacks that do not test it turn it off.
    matching_meaning_fallback: bool = Field(default=True, alias="MATCHING_MEANING_FALLBACK")
    notifications_database_url: str | None = Field(default=None, alias="NOTIFICATIONS_DATABASE_URL")
    reporting_database_url: str | None = Field(default=None, alias="REPORTING_DATABASE_URL")

    smtp_host: str | None = Field(default=None, alias="SMTP_HOST")
    smtp_port: int = Field(default=1025, alias="SMTP_PORT")
    smtp_user: str | None = Field(default=None, alias="SMTP_USER")
    smtp_password: str | None = Field(default=None, alias="SMTP_PASSWORD")
    smtp_starttls: bool = Field(default=False, alias="SMTP_STARTTLS")
    smtp_implicit_tls: bool = Field(default=False, alias="SMTP_IMPLICIT_TLS")  # TLS from the first byte (port 465)
    smtp_ca_file: str | None = Field(default=None, alias="SMTP_CA_FILE")  # a private CA; else the system's
    # "process": a mailer process of its own sends the emails (`python -m notifications.mailer_main`,
    # started beside the service by `make run`); "thread": the notifications service sends them itself.
    notifications_mailer: Literal["thread", "process"] = Field(default="process", alias="NOTIFICATIONS_MAILER")
    mailer_poll_seconds: float = Field(default=0.05, alias="MAILER_POLL_SECONDS", gt=0)
    # An email the SMTP server refused or could not take is retried after 2 s, 4 s, 8 s… up to this.
    mailer_max_backoff_seconds: float = Field(default=600.0, alias="MAILER_MAX_BACKOFF_SECONDS", gt=0)
    mailer_metrics_port: int | None = Field(default=None, alias="MAILER_METRICS_PORT")  # its /metrics, if set
    # Where that port listens: every interface in a container of its own; the loopback on a shared host.
    mailer_metrics_host: str = Field(default="0.0.0.0", alias="MAILER_METRICS_HOST")
    mail_from: str = Field(default="Boucle <ne-pas-repondre@boucle.local>", alias="BOUCLE_MAIL_FROM")

    # The proxies whose X-Forwarded-For the gateway believes (uvicorn's own variable: comma-separated addresses
    # or networks, "*" for any). Unset: none, the client is the connection's peer, and a header a client sends
    # changes nothing (it could otherwise pose as another address to the login throttle).
    trusted_proxies: str | None = Field(default=None, alias="FORWARDED_ALLOW_IPS")
    # The largest request body the gateway takes (a listing or a form is a few kB): beyond, 413 at once.
    max_body_bytes: int = Field(default=1_048_576, alias="BOUCLE_MAX_BODY_BYTES", gt=0)
    # Passwords' argon2id cost (offers): argon2-cffi's defaults, 64 MiB and 3 passes (~0.1 s of a core). Lower them
    # only where memory is scarce, never below OWASP's floor (19 MiB, 2 passes); the tests use less, to run faster.
    password_hash_memory_kib: int = Field(default=65_536, alias="PASSWORD_HASH_MEMORY_KIB", ge=1024)
    password_hash_time_cost: int = Field(default=3, alias="PASSWORD_HASH_TIME_COST", ge=1)

    # Where each service listens; the gateway routes /api/v1/* to them.
    offers_url: str = Field(default="http://127.0.0.1:8001", alias="OFFERS_URL")
    matching_url: str = Field(default="http://127.0.0.1:8002", alias="MATCHING_URL")
    notifications_url: str = Field(default="http://127.0.0.1:8003", alias="NOTIFICATIONS_URL")
    reporting_url: str = Field(default="http://127.0.0.1:8004", alias="REPORTING_URL")

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry `Secure` when the public URL is https, and on loopback (browsers take Secure cookies from
        http://127.0.0.1 and localhost): opened as http://server:8000 from another machine, a Secure cookie would
        be dropped and no one could log in. Without https elsewhere, the gateway warns at start-up."""
        url = urlsplit(self.public_url)
        return url.scheme == "https" or url.hostname in ("127.0.0.1", "localhost", "::1")

    @property
    def poll_interval_ms(self) -> int:
        """The consumers' max.poll.interval.ms: the setting, else a development or a production default."""
        if self.kafka_max_poll_interval_ms is not None:
            return self.kafka_max_poll_interval_ms
        return 300_000 if self.environment == "production" else 5_000

    @property
    def session_timeout_ms(self) -> int:
        """The consumers' session.timeout.ms: the setting, else the poll interval within Kafka's 6 to 45 s."""
        if self.kafka_session_timeout_ms is not None:
            return self.kafka_session_timeout_ms
        return min(max(6000, self.poll_interval_ms), 45_000)

    @model_validator(mode="after")
    def _one_smtp_tls(self) -> Settings:
        if self.smtp_starttls and self.smtp_implicit_tls:
            raise ValueError("SMTP_STARTTLS (port 587) and SMTP_IMPLICIT_TLS (port 465) exclude each other: choose one")
        return self

    @model_validator(mode="after")
    def _sasl_needs_credentials(self) -> Settings:
        if self.kafka_security_protocol.startswith("SASL_") and not (
            self.kafka_sasl_mechanism and self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                "KAFKA_SECURITY_PROTOCOL=SASL_… needs KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
            )
        return self

    @model_validator(mode="after")
    def _no_placeholder_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEV_SECRET:
            raise ValueError("BOUCLE_SECRET_KEY must be set to a real secret in production")
        return self

    @property
    def account_link_key(self) -> str:
        """Offers' key for account links; read only by offers (a production offers refuses to start without it)."""
        return self.own_secret(self.account_link_secret, "BOUCLE_ACCOUNT_LINK_SECRET", "account-links")

    @property
    def internal_api_token(self) -> str:
        """Offers' and notifications' shared token for the mailer's account-link requests."""
        return self.own_secret(self.internal_token, "BOUCLE_INTERNAL_TOKEN", "internal-api")

    def own_secret(self, value: str | None, name: str, purpose: str) -> str:
        if value:
            return value
        if self.environment == "production":
            raise ValueError(f"{name} must be set in production (openssl rand -hex 32)")
        return derived_secret(self.secret_key, purpose)

    @property
    def bootstrap_servers(self) -> str:
        """The broker to use: the configured cluster, or the embedded one."""
        return self.kafka_bootstrap_servers or DEFAULT_BROKER

    @property
    def smtp_server(self) -> tuple[str, int]:
        """The SMTP relay to use: the configured one, or the embedded sink."""
        return (self.smtp_host or "127.0.0.1", self.smtp_port)

    def database_url(self, service: ServiceName) -> str:
        """The service's own database: `<SERVICE>_DATABASE_URL` or a SQLite file under var/."""
        url = getattr(self, f"{service}_database_url")
        return url or f"sqlite:///{self.var_dir / f'{service}.db'}"

    def service_url(self, service: ServiceName) -> str:
        """Base URL of a service's own HTTP API."""
        return str(getattr(self, f"{service}_url"))
