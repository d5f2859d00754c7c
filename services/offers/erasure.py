"""Erasing an organisation (RGPD): everything offers holds of it goes, and every other service is told to forget it.

Used when an invited organisation refuses its diagnostic (or leaves it unanswered), and when an organisation's
administrator deletes its organisation. Offers deletes the organisation, its users (their sessions, links, login
attempts, role requests), its pending invitations, its API tokens, its listings and what hangs on them, and the
events about them still in
its outbox, sent or not. Matching is told through `listing.withdrawn` for each listing it may know, then every
service through `organisation.erased` (matching, notifications and reporting each erase or anonymise their copies;
reporting keeps the synergies' figures, anonymous).
"""

from __future__ import annotations

from sqlmodel import Session, col, delete, select

from offers import accounts
from offers.accounts import NotAllowed, Principal
from offers.accounts_service import Conflict
from offers.domain import LIVE_STATUSES, RuleBroken
from offers.models import (
    ApiToken,
    DismissedSuggestion,
    ExpiryReminder,
    Invitation,
    Listing,
    ListingRequest,
    LoginAttempt,
    LoginLink,
    Organisation,
    RoleRequest,
    Site,
    UserAccount,
    WebSession,
)
from offers.service import PRODUCER, NotFound, next_revision, stage_closed
from shared import topics
from shared.events import OrganisationErased, UserRoleChanged, new_event
from shared.outbox import OutboxMessage, add_event

REMOVED = "removed"  # the role a removed user holds in `user.role_changed`: none


def erase(session: Session, org: Organisation) -> None:
    """Delete `org` and everything of it; stage the events that have the other services forget it. The caller
    commits."""
    users = list(session.exec(select(UserAccount).where(UserAccount.organisation_id == org.id)).all())
    user_ids, emails = [u.id for u in users], [u.email for u in users] + [org.contact_email.lower()]
    listings = list(session.exec(select(Listing).where(Listing.organisation_id == org.id)).all())
    listing_ids = [listing.id for listing in listings]
    # Its events, sent or not (an unsent one would carry its data after the erasure), keyed by it or its listings.
    session.exec(delete(OutboxMessage).where(col(OutboxMessage.key).in_([org.id, *listing_ids])))
    for listing in listings:
        if listing.status in LIVE_STATUSES:  # any other was withdrawn or expired already
            next_revision(session, listing)
            stage_closed(session, "listing.withdrawn", listing)
    session.flush()
    for statement in (
        delete(ExpiryReminder).where(col(ExpiryReminder.listing_id).in_(listing_ids)),
        delete(ListingRequest).where(col(ListingRequest.organisation_id) == org.id),
        delete(Listing).where(col(Listing.organisation_id) == org.id),
        delete(Site).where(col(Site.organisation_id) == org.id),
        delete(WebSession).where(col(WebSession.user_id).in_(user_ids)),
        delete(LoginLink).where(col(LoginLink.user_id).in_(user_ids)),
        delete(LoginLink).where(
            col(LoginLink.invitation_id).in_(select(Invitation.id).where(Invitation.organisation_id == org.id))
        ),
        delete(Invitation).where(col(Invitation.organisation_id) == org.id),
        delete(RoleRequest).where(col(RoleRequest.organisation_id) == org.id),
        delete(LoginAttempt).where(col(LoginAttempt.email).in_(emails)),
        delete(ApiToken).where(col(ApiToken.organisation_id) == org.id),
        delete(DismissedSuggestion).where(col(DismissedSuggestion.organisation_id) == org.id),
        delete(UserAccount).where(col(UserAccount.organisation_id) == org.id),
    ):
        session.exec(statement)
    add_event(
        session,
        topics.ORGANISATIONS,
        new_event("organisation.erased", OrganisationErased(organisation_id=org.id), producer=PRODUCER, key=org.id),
    )
    session.delete(org)


def erase_own(session: Session, actor: Principal, confirm: str) -> str:
    """An organisation's administrator deletes its organisation, in person (from a session) and naming it again
    (`confirm`): returns its name. NotAllowed, RuleBroken on `confirm`."""
    if actor.user_id is None:
        raise NotAllowed(
            "La suppression d'une organisation se fait en personne, depuis une session, pas avec un jeton d'API."
        )
    accounts.check_can_manage_organisation(actor.role)
    if actor.role == "platform_admin":
        raise NotAllowed("L'organisation de l'équipe de la plateforme ne se supprime pas depuis Boucle.")
    org = session.get(Organisation, actor.organisation_id)
    assert org is not None, "a principal's organisation exists"
    if " ".join(confirm.split()).casefold() != " ".join(org.name.split()).casefold():
        raise RuleBroken(
            "confirm", f"Pour confirmer la suppression, recopiez le nom de l'organisation : « {org.name} »."
        )
    name = org.name
    erase(session, org)
    session.commit()
    return name


def remove_user(session: Session, actor: Principal, user_id: str) -> None:
    """A user leaves (itself) or is removed by one of its organisation's administrators: its account, sessions,
    links, login attempts and role requests go, and the other services hear that it holds no role any more
    (`user.role_changed`, role « removed »). An organisation keeps an administrator, and its last user deletes the
    organisation instead (an API token removes colleagues as an administrator does). NotFound, NotAllowed,
    Conflict."""
    user = session.get(UserAccount, user_id)
    if user is None or user.organisation_id != actor.organisation_id:
        raise NotFound(user_id)
    if user.id != actor.user_id:
        accounts.check_can_manage_organisation(actor.role)
    others = list(
        session.exec(
            select(UserAccount).where(UserAccount.organisation_id == user.organisation_id, UserAccount.id != user.id)
        ).all()
    )
    if not others:
        raise Conflict(
            "user",
            "C'est le seul utilisateur de l'organisation : supprimez plutôt l'organisation "
            "(page « Mon organisation »).",
        )
    if accounts.can_manage_organisation(user.role) and not any(
        accounts.can_manage_organisation(other.role) for other in others
    ):
        raise Conflict(
            "user", "C'est le dernier administrateur de l'organisation : nommez d'abord un autre administrateur."
        )
    for statement in (
        delete(WebSession).where(col(WebSession.user_id) == user.id),
        delete(LoginLink).where(col(LoginLink.user_id) == user.id),
        delete(RoleRequest).where(col(RoleRequest.user_id) == user.id),
        delete(LoginAttempt).where(col(LoginAttempt.email) == user.email),
    ):
        session.exec(statement)
    add_event(
        session,
        topics.ORGANISATIONS,
        new_event(
            "user.role_changed",
            UserRoleChanged(user_id=user.id, organisation_id=user.organisation_id, role=REMOVED),
            producer=PRODUCER,
            key=user.organisation_id,
        ),
    )
    session.delete(user)
    session.commit()
