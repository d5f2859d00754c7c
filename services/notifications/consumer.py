"""Turns events into in-app notifications and queued emails, in the transaction that records the event."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, NamedTuple

from sqlmodel import Session, col, delete, select

from notifications.messages import (
    SUMMARIES,
    account_link_context,
    app_link,
    listing_expiring_context,
    match_proposed_contexts,
    party_context,
    subject,
    synergy_quiet_context,
    synergy_stage_context,
    weekly_summary_context,
)
from notifications.models import Contact, InAppNotification, KnownMatch, OutgoingEmail, Preference
from shared.events import (
    AccountLinkRequested,
    Envelope,
    ListingExpiring,
    MatchConcluded,
    MatchProposed,
    MatchResponded,
    MatchRetracted,
    OrganisationErased,
    OrganisationProfile,
    Payload,
    SynergyMoved,
    SynergyQuiet,
    TerritoryWeeklySummary,
)

ACCOUNT_LINK = "account_link"  # a user's confirmation, login or invitation link: email only, to the user
# a retraction is shown in the app only
EMAILED = {
    "match_proposed",
    "match_responded",
    "match_accepted",
    "listing_expiring",
    "synergy_stage",
    "synergy_quiet",
    "weekly_summary",
}


def on_organisation(session: Session, _envelope: Envelope, payload: Payload) -> None:
    """organisation.registered / organisation.updated: keep the contact; a new address lifts a bounce."""
    assert isinstance(payload, OrganisationProfile)
    contact = session.get(Contact, payload.organisation_id) or Contact(
        organisation_id=payload.organisation_id, name=payload.name, email=payload.contact_email
    )
    if contact.email != payload.contact_email:
        contact.bounced_at = contact.bounce_reason = None
    contact.name, contact.email, contact.commune = payload.name, payload.contact_email, payload.commune
    contact.updated_at = datetime.now(timezone.utc)
    session.add(contact)


def on_organisation_erased(session: Session, _envelope: Envelope, payload: Payload) -> None:
    """organisation.erased: nothing of the organisation is kept — contact, preferences, notifications, emails, and what
    its matches said of its listings (matching retracts them as its listings are withdrawn; the other parties are
    still told)."""
    assert isinstance(payload, OrganisationErased)
    for model in (Contact, Preference, InAppNotification, OutgoingEmail):
        session.exec(delete(model).where(col(model.organisation_id) == payload.organisation_id))
    for match in session.exec(select(KnownMatch)).all():  # what its matches said of its listings
        if any(party.get("organisation_id") == payload.organisation_id for party in match.parties or []):
            match.parties = [
                {
                    "organisation_id": party["organisation_id"],
                    "listing_id": party.get("listing_id"),
                    "kind": party.get("kind"),
                    "title": "",
                }
                if party.get("organisation_id") == payload.organisation_id
                else party
                for party in match.parties
            ]
            session.add(match)


def on_account_link(session: Session, envelope: Envelope, payload: Payload) -> None:
    """account.link_requested: email the user its link at once, at its own address (asked for: outside
    the organisation's preferences; once per event)."""
    assert isinstance(payload, AccountLinkRequested)
    queue(
        session,
        f"account.link_requested:{envelope.event_id}",
        payload.organisation_id,
        ACCOUNT_LINK,
        account_link_context(payload),
    )


def on_match_proposed(session: Session, _envelope: Envelope, payload: Payload) -> None:
    """match.proposed: each party is told, the counterpart anonymised."""
    assert isinstance(payload, MatchProposed)
    if payload.held:  # an unconfirmed diagnostic's: no party is told until it is announced again, held=False
        return
    if session.get(KnownMatch, payload.match_id) is None:
        session.add(KnownMatch(match_id=payload.match_id, parties=[p.model_dump() for p in payload.parties]))
    notify_all(
        session,
        "match_proposed",
        [
            Notice(f"match.proposed:{payload.match_id}:{organisation_id}", organisation_id, context)
            for organisation_id, context in match_proposed_contexts(payload).items()
        ],
    )


def on_match_responded(session: Session, _envelope: Envelope, payload: Payload) -> None:
    """match.responded: when one side accepts, those yet to answer are asked to (the last acceptance asks no one:
    match.accepted tells everyone)."""
    assert isinstance(payload, MatchResponded)
    known = session.get(KnownMatch, payload.match_id)
    if payload.response != "accepted" or known is None:
        return
    responder = [p for p in known.parties if p["organisation_id"] == payload.organisation_id]
    awaiting = [
        p
        for p in known.parties
        if p["organisation_id"] != payload.organisation_id
        and (payload.awaiting is None or p["organisation_id"] in payload.awaiting)
    ]
    notify_all(
        session,
        "match_responded",
        [
            Notice(
                f"match.responded:{payload.match_id}:{party['organisation_id']}:{payload.organisation_id}",
                party["organisation_id"],
                party_context(payload.match_id, party, responder),
            )
            for party in awaiting
        ],
    )


def on_match_accepted(session: Session, _envelope: Envelope, payload: Payload) -> None:
    """match.accepted: everyone accepted; each party now sees the others' names and contacts."""
    assert isinstance(payload, MatchConcluded)
    notices = []
    for mine in payload.parties:
        others = []
        for other in payload.parties:
            if other.organisation_id == mine.organisation_id:
                continue
            contact = session.get(Contact, other.organisation_id)
            others.append(
                {
                    **other.model_dump(),
                    "name": contact.name if contact else "(organisation)",
                    "email": contact.email if contact else "",
                    "commune": other.commune,
                }
            )
        notices.append(
            Notice(
                f"match.accepted:{payload.match_id}:{mine.organisation_id}",
                mine.organisation_id,
                party_context(payload.match_id, mine, others),
            )
        )
    notify_all(session, "match_accepted", notices)


def on_match_retracted(session: Session, _envelope: Envelope, payload: Payload) -> None:
    """match.retracted: the parties see in the app that the lead no longer stands."""
    assert isinstance(payload, MatchRetracted)
    known = session.get(KnownMatch, payload.match_id)
    parties = known.parties if known else []
    notify_all(
        session,
        "match_retracted",
        [
            Notice(
                f"match.retracted:{payload.match_id}:{party['organisation_id']}",
                party["organisation_id"],
                party_context(
                    payload.match_id, party, [p for p in parties if p["organisation_id"] != party["organisation_id"]]
                ),
            )
            for party in parties
        ],
    )


def on_listing_expiring(session: Session, _envelope: Envelope, payload: Payload) -> None:
    """listing.expiring: the owner is reminded to renew or close its listing, once per expiry date."""
    assert isinstance(payload, ListingExpiring)
    notify(
        session,
        f"listing.expiring:{payload.listing_id}:{payload.expires_at}:{payload.organisation_id}",
        payload.organisation_id,
        "listing_expiring",
        listing_expiring_context(payload),
    )


def on_synergy_moved(session: Session, envelope: Envelope, payload: Payload) -> None:
    """synergy.stage_changed / contractualised / ended: the parties and the animateur are told, not the mover."""
    assert isinstance(payload, SynergyMoved)
    context = synergy_stage_context(payload)
    notify_all(
        session,
        "synergy_stage",
        [
            Notice(f"{envelope.type}:{envelope.event_id}:{organisation_id}", organisation_id, context)
            for organisation_id in dict.fromkeys([*payload.parties, *payload.animateurs])
            if organisation_id != payload.actor_organisation_id
        ],
    )


def on_synergy_quiet(session: Session, _envelope: Envelope, payload: Payload) -> None:
    """synergy.quiet: the parties and the animateurs are reminded, once per quiet spell, with the next steps."""
    assert isinstance(payload, SynergyQuiet)
    context = synergy_quiet_context(payload)
    notify_all(
        session,
        "synergy_quiet",
        [
            Notice(
                f"synergy.quiet:{payload.synergy_id}:{payload.quiet_since.isoformat()}:{organisation_id}",
                organisation_id,
                context,
            )
            for organisation_id in dict.fromkeys([*payload.parties, *payload.animateurs])
        ],
    )


def on_weekly_summary(session: Session, _envelope: Envelope, payload: Payload) -> None:
    """territory.weekly_summary: the animateur's week, once per territory and week."""
    assert isinstance(payload, TerritoryWeeklySummary)
    notify(
        session,
        f"territory.weekly_summary:{payload.territory_id}:{payload.week}",
        payload.animateur_organisation_id,
        "weekly_summary",
        weekly_summary_context(payload),
    )


HANDLERS = {
    "organisation.registered": on_organisation,
    "organisation.updated": on_organisation,
    "organisation.erased": on_organisation_erased,
    "account.link_requested": on_account_link,
    "match.proposed": on_match_proposed,
    "match.responded": on_match_responded,
    "match.accepted": on_match_accepted,
    "match.retracted": on_match_retracted,
    "listing.expiring": on_listing_expiring,
    "synergy.stage_changed": on_synergy_moved,
    "synergy.contractualised": on_synergy_moved,
    "synergy.ended": on_synergy_moved,
    "synergy.quiet": on_synergy_quiet,
    "territory.weekly_summary": on_weekly_summary,
}


def mode_of(session: Session, organisation_id: str, kind: str) -> str:
    preference = session.get(Preference, (organisation_id, kind))
    return preference.mode if preference else "instant"


class Notice(NamedTuple):
    """What one organisation is told of one event."""

    dedup_key: str  # makes a redelivered or republished event a no-op
    organisation_id: str
    context: dict[str, Any]


def notify(session: Session, dedup_key: str, organisation_id: str, kind: str, context: dict[str, Any]) -> None:
    notify_all(session, kind, [Notice(dedup_key, organisation_id, context)])


def notify_all(session: Session, kind: str, notices: list[Notice]) -> None:
    """For each notice not given before: an in-app notification, and an email now, in the next digest,
    or none, as the organisation prefers. One query for what was given, one for the preferences,
    whatever the number of parties."""
    given = (
        set(
            session.exec(
                select(InAppNotification.dedup_key).where(
                    col(InAppNotification.dedup_key).in_([n.dedup_key for n in notices])
                )
            )
        )
        if notices
        else set()
    )
    fresh: dict[str, Notice] = {}  # an organisation with two listings in a group is told once
    for notice in notices:
        if notice.dedup_key not in given:
            fresh.setdefault(notice.dedup_key, notice)
    if not fresh:
        return
    modes = {
        p.organisation_id: p.mode
        for p in session.exec(
            select(Preference).where(
                Preference.kind == kind,
                col(Preference.organisation_id).in_([n.organisation_id for n in fresh.values()]),
            )
        )
    }
    for dedup_key, organisation_id, context in fresh.values():
        session.add(
            InAppNotification(
                dedup_key=dedup_key,
                organisation_id=organisation_id,
                kind=kind,
                title=subject(kind, context),
                body=context.get("explanation") or SUMMARIES[kind],
                link=app_link(kind, context),
            )
        )
        mode = modes.get(organisation_id, "instant")
        if kind in EMAILED and mode != "off":
            session.add(
                OutgoingEmail(
                    dedup_key=dedup_key,
                    organisation_id=organisation_id,
                    kind=kind,
                    context=context,
                    status="pending" if mode == "instant" else "digest",
                )
            )


def queue(session: Session, dedup_key: str, organisation_id: str, kind: str, context: dict[str, Any]) -> None:
    """Queue an email (outside preferences: alerts to the animateur) unless one with the same key exists."""
    if session.exec(select(OutgoingEmail.id).where(OutgoingEmail.dedup_key == dedup_key)).first():
        return
    session.add(OutgoingEmail(dedup_key=dedup_key, organisation_id=organisation_id, kind=kind, context=context))
