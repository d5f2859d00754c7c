"""Use cases of accounts: sign-up, login by password or emailed link, sessions, API tokens, users and roles.

Each use case changes its rows (and stages its event) in one transaction; the rules it
applies are in `offers.accounts`. Passwords are hashed with argon2id (argon2-cffi's defaults);
session cookies, emailed nonces and API tokens are random and only their SHA-256 is stored.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from offers import accounts
from offers.accounts import NotAllowed, Principal
from offers.domain import RuleBroken
from offers.models import (
    AccountCreate,
    ApiToken,
    Invitation,
    LoginAttempt,
    LoginLink,
    Organisation,
    RoleRequest,
    UserAccount,
    UserInvite,
    WebSession,
)
from offers.service import (
    PRODUCER,
    NotFound,
    add_api_token,
    add_organisation,
    confirm_organisation,
    organisation_by_token,
    stage_organisation,
)
from shared import topics
from shared.events import AccountLinkRequested, UserRoleChanged, new_event
from shared.geo import Gazetteer
from shared.http import hash_token
from shared.outbox import add_event


class Conflict(RuleBroken):
    """The input clashes with what exists (an address already has an account)."""


class LoginRefused(Exception):
    """A login refused; the message is French and says no more than it should."""


class BadCredentials(LoginRefused):
    def __init__(self) -> None:
        super().__init__("Identifiants incorrects.")  # the same whatever is wrong: no account enumeration


class Unconfirmed(LoginRefused):
    def __init__(self) -> None:
        super().__init__("Adresse email pas encore confirmée : nous venons de vous renvoyer le lien de confirmation.")


class Throttled(LoginRefused):
    def __init__(self) -> None:
        super().__init__(
            f"Trop de tentatives de connexion : réessayez dans {accounts.LOGIN_WINDOW.seconds // 60} "
            "minutes, ou recevez un lien de connexion par email."
        )


class LinkRefused(Exception):
    """An emailed link that is unknown, already used or expired (French message)."""


@dataclass
class LoggedIn:
    """An open session: its row, its user and organisation; `token` (the cookie) only when just opened."""

    web: WebSession
    user: UserAccount
    organisation: Organisation
    token: str | None = None
    slid: bool = False

    @property
    def principal(self) -> Principal:
        return Principal(
            organisation_id=self.organisation.id,
            name=self.organisation.name,
            role=accounts.check_role(self.user.role),
            user_id=self.user.id,
            session_id=self.web.id,
        )


def utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


_hasher = PasswordHasher()  # argon2-cffi's defaults, until the app sets the cost of its settings


def use_password_cost(memory_kib: int, time_cost: int, memory_limit: int | None = None) -> None:
    """The argon2id cost of new hashes (a stored hash of another cost is checked as it is, then rehashed at login),
    and how many may run at once within the process's memory limit (the container's, when it has one)."""
    global _hasher, HASHING
    _hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost)
    HASHING = threading.BoundedSemaphore(hashing_slots(memory_kib, memory_limit or container_memory_limit()))
    decoy_hash.cache_clear()


# Each argon2 hash takes its memory cost (64 MiB by default) and a core for ~0.1 s: a burst of password checks
# must queue, not exhaust the pod's memory and starve every other request (penetration test, issue 18).
HASHING_SHARE = 0.25  # of the memory limit, the rest for the process itself and its requests
MAX_HASHING_SLOTS = 4


def hashing_slots(memory_kib: int, memory_limit: int | None) -> int:
    """How many hashes may run at once: a quarter of the memory limit's worth, 1 to 4; 2 without a known limit."""
    if memory_limit is None:
        return 2
    return max(1, min(MAX_HASHING_SLOTS, int(memory_limit * HASHING_SHARE) // (memory_kib * 1024)))


def container_memory_limit(path: Path = Path("/sys/fs/cgroup/memory.max")) -> int | None:
    """The cgroup v2 memory limit of this process in bytes (a Kubernetes pod's `limits.memory`), None if unlimited."""
    try:
        value = path.read_text().strip()
    except OSError:
        return None
    return int(value) if value.isdigit() else None


def hasher() -> PasswordHasher:
    return _hasher


HASHING = threading.BoundedSemaphore(2)  # until the app sets the cost of its settings


@cache
def decoy_hash() -> str:
    """Checked against when the address is unknown, so a miss costs what a wrong password costs."""
    return hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    with HASHING:
        return hasher().hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    try:
        with HASHING:
            return hasher().verify(stored or decoy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def user_by_email(session: Session, raw_email: str) -> UserAccount | None:
    return session.exec(select(UserAccount).where(UserAccount.email == accounts.normalise_email(raw_email))).first()


# --- sign-up and emailed links -------------------------------------------------------------------


@dataclass(frozen=True)
class SignedUp:
    """What a sign-up answers: the same for a new address and for one that already has an account."""

    organisation_id: str
    user_id: str


def sign_up(session: Session, data: AccountCreate, gazetteer: Gazetteer, now: datetime) -> SignedUp:
    """A new organisation and its first user (its administrator, unconfirmed); the confirmation link is emailed.

    An address that already has an account creates nothing, and the answer is the same as for a new one (no user
    enumeration, issue 18): its owner is emailed instead (`signup_attempt`, a login link). An account never
    confirmed (`squatted`) does not hold the address: it is erased and the sign-up goes on."""
    email = accounts.normalise_email(str(data.email))
    problems = []
    if data.password is not None:
        try:
            accounts.check_password(data.password, email)
        except RuleBroken as exc:
            problems.append(exc)
    try:
        org = add_organisation(session, data.organisation, gazetteer)
    except RuleBroken as exc:
        problems.extend(RuleBroken(f"organisation.{each.field}", each.message) for each in exc.each())
    problem = RuleBroken.all_of(problems)
    if problem:
        raise problem
    answer = SignedUp(organisation_id=org.id, user_id=str(uuid.uuid4()))
    owner = user_by_email(session, email)
    if owner is not None and squatted(session, owner):
        from offers.erasure import erase  # erasure builds on this module

        erase(session, session.get(Organisation, owner.organisation_id))  # type: ignore[arg-type]
        session.flush()
        owner = None
    if owner is not None:
        return sign_up_attempted(session, owner, data.password, answer, now)
    user = UserAccount(
        id=answer.user_id,
        organisation_id=org.id,
        name=data.name,
        email=email,
        role=accounts.FIRST_USER_ROLE,
        password_hash=hash_password(data.password) if data.password is not None else None,
        created_at=now,
    )
    session.add(user)
    session.flush()  # rows referring to the user come after it
    stage_link(session, user, "confirm", now)
    try:
        commit_new_user(session)
    except Conflict:  # the same address signed up at the same moment: answered as any address with an account
        if (owner := user_by_email(session, email)) is None:
            raise
        return sign_up_attempted(session, owner, None, answer, now)
    return answer


def squatted(session: Session, owner: UserAccount) -> bool:
    """Whether an address's account was only ever claimed: its user never confirmed the address, nor anyone its
    organisation (which no animateur imported). Whoever signed up with an address that is not theirs holds it so
    (issue 18): the address's owner signing up erases that organisation, rather than being sent a link into it."""
    if owner.confirmed_at is not None:
        return False
    org = session.get(Organisation, owner.organisation_id)
    return org is not None and org.confirmed_at is None and org.imported_by is None


def sign_up_attempted(
    session: Session, owner: UserAccount, password: str | None, answer: SignedUp, now: datetime
) -> SignedUp:
    """A sign-up with an address that has an account: nothing is created (the organisation staged is dropped), the
    password is hashed all the same (as long an answer as a new account's), and the owner is emailed, within its
    links' quota, that someone tried, with a login link."""
    session.rollback()
    if password is not None:
        hash_password(password)
    if stage_link(session, owner, "signup_attempt", now):
        session.commit()
    return answer


def invite_user(session: Session, actor: Principal, data: UserInvite, now: datetime) -> Invitation:
    """An administrator invites a colleague into its organisation: a pending invitation and its emailed link, which
    makes the account when used. No account is made before: the invitation reserves nothing (issue 18), and expires
    unused. Inviting the same address again sends it anew (name, role and a week more).

    An address that is another organisation's user's is invited alike, with the same answer (issue 18: no user
    enumeration); only its email differs (`invite_existing`), telling its owner to delete that account first. One
    of the organisation's own users is refused (Conflict): its administrators see them listed."""
    accounts.check_can_manage_organisation(actor.role)
    email = accounts.normalise_email(str(data.email))
    owner = user_by_email(session, email)
    try:
        purpose = accounts.invitation_purpose(
            accounts.standing(owner.organisation_id if owner else None, actor.organisation_id)
        )
    except RuleBroken as exc:
        raise Conflict(exc.field, exc.message) from exc
    invitation = session.exec(
        select(Invitation).where(Invitation.organisation_id == actor.organisation_id, Invitation.email == email)
    ).first()
    if invitation is None:
        invitation = Invitation(
            organisation_id=actor.organisation_id,
            email=email,
            name=data.name,
            created_at=now,
            expires_at=accounts.invitation_expiry(now),
        )
    invitation.name, invitation.role = data.name, data.role
    invitation.expires_at = accounts.invitation_expiry(now)
    session.add(invitation)
    session.flush()  # its links come after it
    stage_invitation_link(session, invitation, purpose, now)
    try:
        session.commit()
    except IntegrityError as exc:  # the same address invited at the same moment by the same organisation
        session.rollback()
        raise Conflict("email", "Cette adresse vient d'être invitée : rechargez la page.") from exc
    session.refresh(invitation)
    return invitation


def commit_new_user(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError as exc:  # the same address signed up at the same moment
        session.rollback()
        raise Conflict("email", "Un compte existe déjà avec cette adresse.") from exc


def new_link(session: Session, user: UserAccount, purpose: str, now: datetime) -> LoginLink:
    """A link to email the user, without its nonce yet (made by `issue_link`); the caller commits."""
    link = LoginLink(user_id=user.id, purpose=purpose, created_at=now, expires_at=accounts.link_expiry(now, purpose))
    session.add(link)
    return link


def stage_link(session: Session, user: UserAccount, purpose: str, now: datetime) -> bool:
    """Have notifications email the user a link (`account.link_requested`), unless it had enough lately."""
    recent = session.exec(
        select(func.count())
        .select_from(LoginLink)
        .where(LoginLink.user_id == user.id, col(LoginLink.created_at) >= accounts.window_start(now))
    ).one()
    if not accounts.may_send_link(recent):
        return False
    link = new_link(session, user, purpose, now)
    request_email(session, link, user.id, user.organisation_id, user.email, user.name)
    return True


def stage_invitation_link(session: Session, invitation: Invitation, purpose: str, now: datetime) -> bool:
    """Have notifications email the invitation's link (`account.link_requested`, `user_id` the invitation's id),
    unless the address had enough lately from any organisation's invitations."""
    recent = session.exec(
        select(func.count())
        .select_from(LoginLink)
        .join(Invitation, col(Invitation.id) == LoginLink.invitation_id)
        .where(Invitation.email == invitation.email, col(LoginLink.created_at) >= accounts.window_start(now))
    ).one()
    if not accounts.may_send_link(recent):
        return False
    link = LoginLink(invitation_id=invitation.id, purpose=purpose, created_at=now, expires_at=invitation.expires_at)
    session.add(link)
    request_email(session, link, invitation.id, invitation.organisation_id, invitation.email, invitation.name)
    return True


def request_email(
    session: Session, link: LoginLink, recipient_id: str, organisation_id: str, email: str, name: str
) -> None:
    payload = AccountLinkRequested(
        user_id=recipient_id,
        organisation_id=organisation_id,
        email=email,
        name=name,
        purpose=link.purpose,  # type: ignore[arg-type]
        link_id=link.id,
    )
    add_event(
        session,
        topics.ORGANISATIONS,
        new_event("account.link_requested", payload, producer=PRODUCER, key=organisation_id),
    )


def link_recipient(link: LoginLink) -> str:
    """Whom a link is for: its user, or the invitation it would make a user of."""
    return link.user_id or link.invitation_id or ""


def issue_link(session: Session, link_id: str, now: datetime) -> tuple[LoginLink, str]:
    """A fresh nonce for a link still usable, for the email about to be sent (asked again, as by a mailer
    that crashed before sending, the previous nonce stops working); LinkRefused if it is not."""
    link = session.get(LoginLink, link_id)
    if link is None:
        raise LinkRefused("Lien inconnu.")
    if not accounts.link_usable(utc(link.expires_at), link.used_at, now):
        raise LinkRefused("Lien expiré ou déjà utilisé.")
    nonce = secrets.token_urlsafe(32)
    link.nonce_hash = hash_token(nonce)
    session.add(link)
    session.commit()
    session.refresh(link)
    return link, nonce


def request_login_link(session: Session, raw_email: str, now: datetime) -> None:
    """Email a login link if the address has an account (a confirmation link if not confirmed yet); say nothing."""
    user = user_by_email(session, raw_email)
    if user is not None and stage_link(session, user, "login" if user.confirmed_at else "confirm", now):
        session.commit()


def check_link(session: Session, user_id: str, nonce: str, now: datetime) -> LoginLink:
    """The link's stored nonce if it can still be used, else LinkRefused saying why."""
    link = session.exec(select(LoginLink).where(LoginLink.nonce_hash == hash_token(nonce))).first()
    if link is None or link_recipient(link) != user_id:
        raise LinkRefused("Ce lien n'est pas valide.")
    if link.used_at is not None:
        raise LinkRefused("Ce lien a déjà servi : demandez-en un nouveau depuis la page de connexion.")
    if not accounts.link_usable(utc(link.expires_at), link.used_at, now):
        raise LinkRefused("Ce lien a expiré : demandez-en un nouveau depuis la page de connexion.")
    return link


def use_link(session: Session, user_id: str, nonce: str, now: datetime) -> tuple[LoggedIn, str]:
    """Spend the nonce (once, even under concurrent clicks), confirm the address (an invitation's link: make its
    account), open a session; the session and the link's purpose."""
    link = check_link(session, user_id, nonce, now)
    purpose, invitation_id = link.purpose, link.invitation_id
    spent = session.exec(
        update(LoginLink)
        .where(col(LoginLink.nonce_hash) == hash_token(nonce), col(LoginLink.used_at).is_(None))
        .values(used_at=now)
    )
    if spent.rowcount != 1:
        session.rollback()
        raise LinkRefused("Ce lien a déjà servi : demandez-en un nouveau depuis la page de connexion.")
    user = accept_invitation(session, invitation_id, now) if invitation_id else session.get(UserAccount, user_id)
    if user is None:
        session.rollback()
        raise LinkRefused("Ce lien n'est pas valide.")
    if user.confirmed_at is None:
        user.confirmed_at = now
        session.add(user)
        if (org := session.get(Organisation, user.organisation_id)) is not None:
            confirm_organisation(session, org, now)
    if purpose == "review" and (org := session.get(Organisation, user.organisation_id)) is not None:
        org.diagnosed_on = now.date()  # its flows are in front of it: the diagnostic is reviewed
        session.add(org)
    logged = open_session(session, user, now)
    session.commit()
    return logged, purpose


def accept_invitation(session: Session, invitation_id: str, now: datetime) -> UserAccount:
    """The invited person used its link (just spent, not committed): its account is made in the organisation, with
    the invitation's id, name and role, and the invitation goes (its other links spent); an address already one of
    the organisation's users is logged in. While it belongs to another organisation's user, Conflict, and nothing
    changes (the link stays usable): a user acts for one organisation only."""
    invitation = session.get(Invitation, invitation_id)
    if invitation is None:
        session.rollback()
        raise LinkRefused("Cette invitation n'existe plus.")
    owner = user_by_email(session, invitation.email)
    if accounts.standing(owner.organisation_id if owner else None, invitation.organisation_id) == "elsewhere":
        session.rollback()
        raise Conflict("email", accounts.JOINS_ELSEWHERE)
    user = owner or UserAccount(
        id=invitation.id,
        organisation_id=invitation.organisation_id,
        name=invitation.name,
        email=invitation.email,
        role=invitation.role,
        created_at=now,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # the address signed up at the same moment
        session.rollback()
        raise Conflict("email", accounts.JOINS_ELSEWHERE) from exc
    session.exec(
        update(LoginLink)
        .where(col(LoginLink.invitation_id) == invitation.id)
        .values(user_id=user.id, invitation_id=None, used_at=func.coalesce(LoginLink.used_at, now))
    )
    session.delete(invitation)
    return user


@dataclass(frozen=True)
class InvitationView:
    """What an invitation's page shows: who is invited, by which organisation, until when, and why its link cannot
    make the account yet (None: it can)."""

    name: str
    organisation: str
    expires_at: datetime
    blocked: str | None


def invitation_view(session: Session, invitation_id: str) -> InvitationView | None:
    invitation = session.get(Invitation, invitation_id)
    if invitation is None:
        return None
    org = session.get(Organisation, invitation.organisation_id)
    owner = user_by_email(session, invitation.email)
    elsewhere = accounts.standing(owner.organisation_id if owner else None, invitation.organisation_id) == "elsewhere"
    return InvitationView(
        name=invitation.name,
        organisation=org.name if org else "",
        expires_at=utc(invitation.expires_at),
        blocked=accounts.JOINS_ELSEWHERE if elsewhere else None,
    )


def purge_expired_traces(session: Session, now: datetime) -> int:
    """Delete the login attempts, emailed links, invitations, sessions and revoked API tokens past their retention;
    returns how many rows."""
    expired = accounts.LINK_RETENTION
    statements = [
        delete(LoginAttempt).where(col(LoginAttempt.attempted_at) < now - accounts.ATTEMPT_RETENTION),
        delete(LoginLink).where(col(LoginLink.expires_at) < now - accounts.LINK_RETENTION),
        delete(LoginLink).where(
            col(LoginLink.invitation_id).in_(select(Invitation.id).where(col(Invitation.expires_at) < now - expired))
        ),
        delete(Invitation).where(col(Invitation.expires_at) < now - expired),
        delete(WebSession).where(col(WebSession.expires_at) < now - accounts.SESSION_RETENTION),
        delete(WebSession).where(col(WebSession.revoked_at) < now - accounts.SESSION_RETENTION),
        delete(ApiToken).where(col(ApiToken.revoked_at) < now - accounts.REVOKED_TOKEN_RETENTION),
    ]
    deleted = sum(session.exec(statement).rowcount for statement in statements)
    session.commit()
    return deleted


# --- password login and sessions -----------------------------------------------------------------


def log_in(session: Session, raw_email: str, password: str, address: str | None, now: datetime) -> LoggedIn:
    """Check the password, throttled per email and per client address; open a session.

    The attempt is recorded (as a failure) and committed before it is counted: concurrent guesses
    see each other, so no burst gets past the limit.
    """
    email = accounts.normalise_email(raw_email)
    attempt = password_attempt(session, email, address, now)
    user = user_by_email(session, email)
    if user is None or not password_matches(user.password_hash, password):
        raise BadCredentials()
    attempt.succeeded = True
    session.add(attempt)
    if user.confirmed_at is None:
        stage_link(session, user, "confirm", now)
        session.commit()
        raise Unconfirmed()
    if user.password_hash and hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    logged = open_session(session, user, now)
    session.commit()
    return logged


def password_attempt(session: Session, email: str, address: str | None, now: datetime) -> LoginAttempt:
    """A password check about to happen, recorded as a failure and committed before it is counted (concurrent
    guesses see each other); Throttled after 5 failures in the window for the email or the client address."""
    attempt = LoginAttempt(email=email, address=address, succeeded=False, attempted_at=now)
    session.add(attempt)
    session.commit()
    since = accounts.window_start(now)

    def failures(column: str, value: str) -> int:
        return session.exec(
            select(func.count())
            .select_from(LoginAttempt)
            .where(
                col(LoginAttempt.succeeded).is_(False),
                col(LoginAttempt.attempted_at) >= since,
                col(getattr(LoginAttempt, column)) == value,
            )
        ).one()

    by_email = failures("email", email) - 1  # the earlier ones: this attempt is not a failure yet
    by_address = failures("address", address) - 1 if address else None
    if accounts.login_blocked(by_email, by_address):
        session.exec(delete(LoginAttempt).where(col(LoginAttempt.id) == attempt.id))
        session.commit()  # refused unheard: does not prolong the block
        raise Throttled()
    return attempt


def open_session(session: Session, user: UserAccount, now: datetime) -> LoggedIn:
    """A new session of the user (the caller commits); the cookie token is returned, its hash kept."""
    token = secrets.token_urlsafe(32)
    web = WebSession(
        id=hash_token(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=accounts.session_expiry(now),
    )
    session.add(web)
    org = session.get(Organisation, user.organisation_id)
    assert org is not None
    return LoggedIn(web=web, user=user, organisation=org, token=token)


def current_session(session: Session, cookie: str, now: datetime) -> LoggedIn | None:
    """The open session of a cookie, slid forward when due; None when unknown, expired or revoked."""
    row = session.exec(
        select(WebSession, UserAccount, Organisation)
        .join(UserAccount, col(UserAccount.id) == WebSession.user_id)
        .join(Organisation, col(Organisation.id) == UserAccount.organisation_id)
        .where(WebSession.id == hash_token(cookie))
    ).first()
    if row is None:
        return None
    web, user, org = row
    if not accounts.session_active(utc(web.expires_at), web.revoked_at, now):
        return None
    slid = accounts.slid_expiry(utc(web.expires_at), now)
    if slid is not None:
        web.expires_at = slid
        session.add(web)
        session.commit()
    return LoggedIn(web=web, user=user, organisation=org, slid=slid is not None)


def log_out(session: Session, web: WebSession, now: datetime) -> None:
    web.revoked_at = now
    session.add(web)
    session.commit()


def change_password(session: Session, logged: LoggedIn, password: str, current: str | None, now: datetime) -> None:
    """Set or change the user's password; the current one is asked when there is one, throttled as a login.
    Other sessions end, and so do unused login links."""
    user = logged.user
    if user.password_hash is not None:
        attempt = password_attempt(session, user.email, None, now)
        if not password_matches(user.password_hash, current or ""):
            raise RuleBroken("current_password", "Mot de passe actuel incorrect.")
        attempt.succeeded = True
        session.add(attempt)
    accounts.check_password(password, user.email)
    user.password_hash = hash_password(password)
    session.add(user)
    session.exec(
        update(LoginLink).where(col(LoginLink.user_id) == user.id, col(LoginLink.used_at).is_(None)).values(used_at=now)
    )
    session.exec(
        update(WebSession)
        .where(
            col(WebSession.user_id) == user.id,
            col(WebSession.id) != logged.web.id,
            col(WebSession.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    session.commit()


def token_principal(session: Session, token: str) -> Principal | None:
    """Who an API token acts for: its organisation, as its administrator."""
    org = organisation_by_token(session, token)
    return Principal(organisation_id=org.id, name=org.name, role=accounts.TOKEN_ROLE) if org else None


# --- API tokens, users, roles --------------------------------------------------------------------


def list_tokens(session: Session, actor: Principal) -> list[ApiToken]:
    accounts.check_can_manage_organisation(actor.role)
    return list(
        session.exec(
            select(ApiToken).where(ApiToken.organisation_id == actor.organisation_id).order_by(col(ApiToken.created_at))
        ).all()
    )


def create_token(session: Session, actor: Principal, label: str) -> tuple[ApiToken, str]:
    """A new API token of the caller's organisation (shown once)."""
    accounts.check_can_manage_organisation(actor.role)
    row, token = add_api_token(session, actor.organisation_id, label)
    session.commit()
    session.refresh(row)
    return row, token


def revoke_token(session: Session, actor: Principal, token_id: str, now: datetime) -> ApiToken:
    """Revoke one of the organisation's tokens: every service refuses it from now on."""
    accounts.check_can_manage_organisation(actor.role)
    row = session.get(ApiToken, token_id)
    if row is None or row.organisation_id != actor.organisation_id:
        raise NotFound(token_id)
    row.revoked_at = row.revoked_at or now
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def list_users(session: Session, actor: Principal) -> list[UserAccount]:
    accounts.check_can_manage_organisation(actor.role)
    return list(
        session.exec(
            select(UserAccount)
            .where(UserAccount.organisation_id == actor.organisation_id)
            .order_by(col(UserAccount.created_at))
        ).all()
    )


def list_invitations(session: Session, actor: Principal, now: datetime) -> list[Invitation]:
    """The organisation's invitations still pending (administrators)."""
    accounts.check_can_manage_organisation(actor.role)
    return list(
        session.exec(
            select(Invitation)
            .where(Invitation.organisation_id == actor.organisation_id, col(Invitation.expires_at) > now)
            .order_by(col(Invitation.created_at))
        ).all()
    )


def pending_invitation(session: Session, actor: Principal, invitation_id: str, now: datetime) -> Invitation | None:
    """One of the caller's organisation's pending invitations, else None."""
    invitation = session.get(Invitation, invitation_id)
    if (
        invitation is None
        or invitation.organisation_id != actor.organisation_id
        or not accounts.invitation_pending(utc(invitation.expires_at), now)
    ):
        return None
    return invitation


def cancel_invitation(session: Session, actor: Principal, invitation_id: str, now: datetime) -> None:
    """An administrator withdraws a pending invitation: it expires now and its links stop working (its row and links
    go with the next purge, so that they still count in the address's quota); NotFound, NotAllowed."""
    invitation = pending_invitation(session, actor, invitation_id, now)
    if invitation is None:
        raise NotFound(invitation_id)
    accounts.check_can_manage_organisation(actor.role)
    invitation.expires_at = now
    session.add(invitation)
    session.exec(
        update(LoginLink)
        .where(col(LoginLink.invitation_id) == invitation.id, col(LoginLink.used_at).is_(None))
        .values(used_at=now)
    )
    session.commit()


def set_invitation_role(session: Session, actor: Principal, invitation: Invitation, role: str) -> Invitation:
    """The role a pending invitation will give: member or org_admin (others are granted to a user)."""
    new_role = accounts.check_can_grant(actor.role, invitation.role, role, same_organisation=True)
    if new_role not in accounts.ORGANISATION_ROLES:
        raise RuleBroken(
            "role",
            "Une invitation fait un membre ou un administrateur de l'organisation : les autres "
            "rôles se donnent une fois le compte créé.",
        )
    invitation.role = new_role
    session.add(invitation)
    session.commit()
    session.refresh(invitation)
    return invitation


def set_member_role(
    session: Session, actor: Principal, member_id: str, role: str, now: datetime
) -> UserAccount | Invitation:
    """`set_role`, or the role of one of the caller's organisation's pending invitations (its id is the user's to
    be)."""
    if (invitation := pending_invitation(session, actor, member_id, now)) is not None:
        return set_invitation_role(session, actor, invitation, role)
    return set_role(session, actor, member_id, role)


def set_role(session: Session, actor: Principal, user_id: str, role: str) -> UserAccount:
    """Give a user another role; another organisation's users are invisible (404) to all but platform admins."""
    user = session.get(UserAccount, user_id)
    if user is None or (actor.role != "platform_admin" and user.organisation_id != actor.organisation_id):
        raise NotFound(user_id)
    new_role = accounts.check_can_grant(
        actor.role, user.role, role, same_organisation=user.organisation_id == actor.organisation_id
    )
    other_admins = session.exec(
        select(func.count())
        .select_from(UserAccount)
        .where(
            UserAccount.organisation_id == user.organisation_id,
            UserAccount.id != user.id,
            col(UserAccount.role).in_(accounts.MANAGING_ROLES),
        )
    ).one()
    if not accounts.keeps_an_administrator(other_admins, new_role):
        raise Conflict("role", "L'organisation doit garder au moins un administrateur : nommez-en un autre d'abord.")
    change_role(session, user, new_role)
    session.commit()
    session.refresh(user)
    return user


def request_role(session: Session, actor: Principal, role: str, now: datetime) -> RoleRequest:
    """A collectivité's user asks the platform's team for the animateur role; asking again while a request is
    pending finds that request."""
    user = session.get(UserAccount, actor.user_id) if actor.user_id else None
    if user is None:
        raise NotAllowed("Une demande de rôle se fait en personne, depuis une session, pas avec un jeton d'API.")
    org = session.get(Organisation, user.organisation_id)
    accounts.check_can_request(role, user.role, org.kind if org else "")
    pending = session.exec(
        select(RoleRequest).where(
            RoleRequest.user_id == user.id, RoleRequest.role == role, RoleRequest.status == "pending"
        )
    ).first()
    if pending is not None:
        return pending
    made = RoleRequest(user_id=user.id, organisation_id=user.organisation_id, role=role, requested_at=now)
    session.add(made)
    session.commit()
    session.refresh(made)
    return made


def role_requests(session: Session, actor: Principal) -> list[RoleRequest]:
    """The platform's team sees every pending request; anyone else, its own requests."""
    query = select(RoleRequest)
    if actor.role == "platform_admin":
        query = query.where(RoleRequest.status == "pending")
    else:
        query = query.where(RoleRequest.user_id == (actor.user_id or ""))
    return list(session.exec(query.order_by(col(RoleRequest.requested_at))).all())


def decide_role_request(
    session: Session, actor: Principal, request_id: str, granted: bool, now: datetime
) -> RoleRequest:
    """A platform admin grants (the role changes, `user.role_changed` follows) or refuses a pending request."""
    if actor.role != "platform_admin":
        raise NotAllowed("Réservé aux administrateurs de la plateforme.")
    request = session.get(RoleRequest, request_id)
    if request is None:
        raise NotFound(request_id)
    if request.status != "pending":
        raise Conflict("granted", f"Cette demande est déjà {'accordée' if request.status == 'granted' else 'refusée'}.")
    request.status, request.decided_at = ("granted" if granted else "refused"), now
    session.add(request)
    user = session.get(UserAccount, request.user_id)
    if granted and user is not None:
        change_role(session, user, request.role)
    session.commit()
    session.refresh(request)
    return request


def change_role(session: Session, user: UserAccount, role: str) -> None:
    """Set the role and tell the other services (`user.role_changed`: reporting follows who animates)."""
    if user.role == role:
        return
    user.role = role
    session.add(user)
    add_event(
        session,
        topics.ORGANISATIONS,
        new_event(
            "user.role_changed",
            UserRoleChanged(user_id=user.id, organisation_id=user.organisation_id, role=role),
            producer=PRODUCER,
            key=user.organisation_id,
        ),
    )


def appoint(session: Session, raw_email: str, role: str) -> UserAccount:
    """A role given by the platform's operators from the command line, as a platform admin would give it."""
    user = user_by_email(session, accounts.normalise_email(raw_email))
    if user is None:
        raise NotFound(raw_email)
    operator = accounts.Principal(organisation_id="", name="ligne de commande", role="platform_admin")
    return set_role(session, operator, user.id, role)


def create_platform_admin(
    session: Session, raw_email: str, name: str, organisation_name: str, now: datetime
) -> tuple[UserAccount, str]:
    """The first platform admin (or an existing user made one), with a login link's nonce to print.

    A new admin gets an organisation of its own (kind « other », no address): the platform's team.
    """
    email = accounts.normalise_email(raw_email)
    user = user_by_email(session, email)
    if user is None:
        org = Organisation(name=organisation_name, kind="other", contact_email=email)
        stage_organisation(session, org)
        session.flush()
        user = UserAccount(organisation_id=org.id, name=name, email=email, role="platform_admin", created_at=now)
        session.add(user)
    change_role(session, user, "platform_admin")
    session.flush()
    link = new_link(session, user, "login" if user.confirmed_at else "confirm", now)
    session.commit()
    nonce = issue_link(session, link.id, now)[1]
    session.refresh(user)
    return user, nonce
