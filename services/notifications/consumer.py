"""Turns events into contacts and queued emails, in the transaction that records the event."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import Session, select

from notifications.messages import match_proposed_contexts
from notifications.models import Contact, OutgoingEmail
from shared.events import Envelope, MatchProposed, OrganisationProfile, Payload


def on_organisation(session: Session, _envelope: Envelope, payload: Payload) -> None:
    """organisation.registered / organisation.updated: keep the contact address."""
    assert isinstance(payload, OrganisationProfile)
    contact = session.get(Contact, payload.organisation_id) or Contact(
        organisation_id=payload.organisation_id, name=payload.name, email=payload.contact_email)
    contact.name, contact.email = payload.name, payload.contact_email
    contact.updated_at = datetime.now(timezone.utc)
    session.add(contact)


def on_match_proposed(session: Session, _envelope: Envelope, payload: Payload) -> None:
    """match.proposed: one alert to each party, queued once per match and organisation."""
    assert isinstance(payload, MatchProposed)
    for organisation_id, context in match_proposed_contexts(payload).items():
        queue(session, f"match.proposed:{payload.match_id}:{organisation_id}", organisation_id,
              "match_proposed", context)


def queue(session: Session, dedup_key: str, organisation_id: str, kind: str, context: dict[str, object]) -> None:
    """Queue a message unless one with the same key exists."""
    if session.exec(select(OutgoingEmail.id).where(OutgoingEmail.dedup_key == dedup_key)).first():
        return
    session.add(OutgoingEmail(dedup_key=dedup_key, organisation_id=organisation_id, kind=kind, context=context))


HANDLERS = {
    "organisation.registered": on_organisation,
    "organisation.updated": on_organisation,
    "match.proposed": on_match_proposed,
}
