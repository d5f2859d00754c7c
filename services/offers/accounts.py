"""Rules of users, sessions, login and API tokens, free of any framework.

Who may do what (roles), how long a session or an emailed link lives, when logins are
throttled, what a password must be and when a cookie request needs its CSRF token. The
adapters (`accounts_service`, `accounts_api`) store, hash and translate; the decisions are here.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from offers.domain import RuleBroken
from shared.nomenclatures import ANIMATING_KINDS

Role = Literal["member", "org_admin", "animateur", "platform_admin"]
ROLES: tuple[Role, ...] = ("member", "org_admin", "animateur", "platform_admin")
# The first user of an organisation runs it; an animateur or a platform admin is appointed by a platform admin.
FIRST_USER_ROLE: Role = "org_admin"
# An API token acts for its organisation as its administrator would.
TOKEN_ROLE: Role = "org_admin"
MANAGING_ROLES: tuple[Role, ...] = ("org_admin", "animateur", "platform_admin")
# Roles an organisation administrator may give its own users (the others are a platform admin's to grant).
ORGANISATION_ROLES: tuple[Role, ...] = ("member", "org_admin")

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 256  # hashing a megabyte of "password" is a cheap denial of service

SESSION_LIFETIME = timedelta(days=14)
# A session slides forward with use, but at most once an hour: not one write per request.
SESSION_SLIDE_EVERY = timedelta(hours=1)

LINK_LIFETIME = timedelta(hours=1)
# An invitation to confirm an imported diagnostic waits for a busy boss: a month, and the page says so.
DIAGNOSTIC_LINK_LIFETIME = timedelta(days=30)
# How long a signed account link may be: the longest of them (each link's own expiry is checked in the database).
SIGNED_LINK_LIFETIME = DIAGNOSTIC_LINK_LIFETIME
LINKS_PER_WINDOW = 5  # emailed links per user per window: enough for a lost email, not a mail bomb
# An invitation waits a week for its link to be used (the link lives as long), then expires (issue 18: it never
# reserves the address). Invitations to one address share the links' quota, whoever sends them.
INVITATION_LIFETIME = timedelta(days=7)
# "invite": the address has no account; "invite_existing": it is another organisation's user's (told only to it).
INVITATION_PURPOSES = ("invite", "invite_existing")

LOGIN_WINDOW = timedelta(minutes=15)
# Kept no longer than needed (PERSONAL_DATA.md): login attempts (an email, an address) a month, to look into
# an attack; a spent or expired emailed link a day; an ended session a month.
ATTEMPT_RETENTION = timedelta(days=30)
LINK_RETENTION = timedelta(days=1)
SESSION_RETENTION = timedelta(days=30)
REVOKED_TOKEN_RETENTION = timedelta(days=365)  # a revoked token's label and dates, kept a year for the record
MAX_FAILURES = 5  # per email, and per client address, within the window

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    """Who is calling: an organisation, through one of its users (session) or an API token."""

    organisation_id: str
    name: str
    role: Role
    user_id: str | None = None  # None for an API token
    session_id: str | None = None  # the session's key when authenticated by cookie


class NotAllowed(Exception):
    """The caller's role does not allow this (French message)."""


def normalise_email(raw: str) -> str:
    """Addresses are compared without case or surrounding spaces: one account per address."""
    return raw.strip().lower()


def check_password(password: str, email: str) -> None:
    """At least 12 characters (length beats composition rules); not the address, not digits alone (a date, a
    phone number, « 123456789012 »), not a few characters repeated."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise RuleBroken(
            "password",
            f"Le mot de passe doit compter au moins {PASSWORD_MIN_LENGTH} caractères "
            "(une phrase de quelques mots convient très bien).",
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise RuleBroken("password", f"Le mot de passe ne peut dépasser {PASSWORD_MAX_LENGTH} caractères.")
    if normalise_email(password) == normalise_email(email) or len(set(password)) < 5 or password.isdigit():
        raise RuleBroken(
            "password",
            "Ce mot de passe est trop facile à deviner (l'adresse, des chiffres seuls, "
            "quelques caractères répétés) : choisissez-en un autre.",
        )


def check_role(role: str) -> Role:
    """A known role, or RuleBroken."""
    for known in ROLES:
        if role == known:
            return known
    raise RuleBroken("role", f"Rôle « {role} » inconnu ; attendus : {', '.join(ROLES)}.")


def can_manage_organisation(role: str) -> bool:
    """API tokens and users of an organisation are its administrators': an org_admin, or an animateur or
    platform admin (each also runs its own organisation, the collectivité or the platform's team)."""
    return role in MANAGING_ROLES


def check_can_manage_organisation(role: str) -> None:
    if not can_manage_organisation(role):
        raise NotAllowed("Réservé aux administrateurs de l'organisation.")


def check_can_grant(actor_role: str, current_role: str, new_role: str, *, same_organisation: bool) -> Role:
    """A platform admin grants any role; an organisation admin moves its own users between member and
    org_admin only (an animateur or a platform admin is a platform admin's to appoint or dismiss)."""
    role = check_role(new_role)
    if actor_role == "platform_admin":
        return role
    if can_manage_organisation(actor_role) and same_organisation:
        if role in ORGANISATION_ROLES and current_role in ORGANISATION_ROLES:
            return role
        raise NotAllowed(
            "Seul un administrateur de la plateforme nomme ou démet un animateur ou un administrateur de la plateforme."
        )
    raise NotAllowed("Réservé aux administrateurs de la plateforme.")


# Roles a user asks the platform's team for, and the kinds of organisation that may ask for each.
REQUESTABLE_ROLES: dict[str, tuple[str, ...]] = {"animateur": ANIMATING_KINDS}


def check_can_request(role: str, current_role: str, organisation_kind: str) -> None:
    """Only a collectivité's user asks to animate its territory, once it is not already an animateur."""
    if organisation_kind not in REQUESTABLE_ROLES.get(role, ()):
        raise RuleBroken(
            "role",
            "Seule une collectivité (organisation de type « collectivité ou organisme public ») "
            "peut demander le rôle d'animateur.",
        )
    if current_role in (role, "platform_admin"):
        raise RuleBroken("role", "Vous avez déjà ce rôle.")


def keeps_an_administrator(other_administrators: int, new_role: str) -> bool:
    """An organisation never loses its last administrator: someone must manage its tokens and users."""
    return other_administrators > 0 or new_role in MANAGING_ROLES


def session_expiry(now: datetime) -> datetime:
    """When a session opened or used now ends."""
    return now + SESSION_LIFETIME


def session_active(expires_at: datetime, revoked_at: datetime | None, now: datetime) -> bool:
    return revoked_at is None and now < expires_at


def slid_expiry(expires_at: datetime, now: datetime) -> datetime | None:
    """The session's new end when it is due to slide forward, else None (nothing to write)."""
    renewed = session_expiry(now)
    return renewed if renewed - expires_at >= SESSION_SLIDE_EVERY else None


def link_expiry(now: datetime, purpose: str = "login") -> datetime:
    if purpose in INVITATION_PURPOSES:
        return invitation_expiry(now)
    return now + (DIAGNOSTIC_LINK_LIFETIME if purpose in ("diagnostic", "review") else LINK_LIFETIME)


def invitation_expiry(now: datetime) -> datetime:
    """When an invitation sent (or sent again) now, and its link, expire."""
    return now + INVITATION_LIFETIME


Standing = Literal["new", "member", "elsewhere"]

# What the invitation's page says when the address already belongs to another organisation's user.
JOINS_ELSEWHERE = (
    "Votre adresse a déjà un compte sur Boucle, rattaché à une autre organisation, et un compte "
    "n'appartient qu'à une seule organisation. Pour accepter cette invitation, supprimez d'abord ce "
    "compte : connectez-vous, puis page « Mon organisation », bouton « Supprimer mon compte » (votre "
    "organisation actuelle et ce qu'elle a publié restent ; si vous en êtes le dernier administrateur, "
    "nommez-en d'abord un autre ; si vous en êtes le seul utilisateur, supprimez plutôt "
    "l'organisation). Revenez ensuite sur ce lien, tant qu'il est valable."
)


def standing(account_organisation_id: str | None, organisation_id: str) -> Standing:
    """Where an address invited into `organisation_id` stands: no account (`new`: the invitation's link makes it),
    already one of its users (`member`), or a user of another organisation (`elsewhere`). A user acts for one
    organisation only: the link makes the account only once the other one is deleted."""
    if account_organisation_id is None:
        return "new"
    return "member" if account_organisation_id == organisation_id else "elsewhere"


def invitation_purpose(where: Standing) -> str:
    """The email an invitation sends, by where the address stands; the answer to the administrator is the same
    either way (issue 18: an invitation does not tell whether an address has an account). An address already one
    of the organisation's users is refused: its administrators see them listed, so that tells nothing."""
    if where == "member":
        raise RuleBroken("email", "Cette personne fait déjà partie de votre organisation.")
    return "invite" if where == "new" else "invite_existing"


def invitation_pending(expires_at: datetime, now: datetime) -> bool:
    return now < expires_at


def link_usable(expires_at: datetime, used_at: datetime | None, now: datetime) -> bool:
    """An emailed link works once, within the hour."""
    return used_at is None and now < expires_at


def may_send_link(links_in_window: int) -> bool:
    """A user gets a few links per window; more requests are answered alike but send nothing."""
    return links_in_window < LINKS_PER_WINDOW


def window_start(now: datetime) -> datetime:
    """Failures and links after this moment count."""
    return now - LOGIN_WINDOW


def login_blocked(failures_for_email: int, failures_for_address: int | None) -> bool:
    """Too many recent failures for this email, or from this client address (None: address unknown)."""
    return failures_for_email >= MAX_FAILURES or (failures_for_address or 0) >= MAX_FAILURES


def needs_csrf(method: str, via_cookie: bool) -> bool:
    """A cookie is sent by the browser whatever page asks: unsafe requests must prove they come from ours."""
    return via_cookie and method.upper() not in SAFE_METHODS


def csrf_ok(method: str, via_cookie: bool, sent: str | None, expected: str) -> bool:
    """The request needs no CSRF token, or carries the session's (compared in constant time)."""
    if not needs_csrf(method, via_cookie):
        return True
    return bool(sent) and hmac.compare_digest(str(sent).encode(), expected.encode())


LOCAL_ADDRESSES = frozenset({"127.0.0.1", "::1", "localhost", "testclient"})


def client_address(forwarded_for: str | None, peer: str | None) -> str | None:
    """The client's address for throttling: the last `X-Forwarded-For` hop (the one our gateway adds),
    else the peer. A loopback address is the gateway or a local test, not a client: None (not throttled
    per address; the per-email limit still holds)."""
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    address = hops[-1] if hops else peer
    if not address or address in LOCAL_ADDRESSES or address.startswith("127."):
        return None
    return address
