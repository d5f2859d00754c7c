"""An animateur's diagnostics written to the database, in one transaction: all of the file or nothing.

Organisations are found again by SIRET (or, without one, by name and commune); their flows by direction and
resource. An organisation that signed up by itself, or confirmed its
imported diagnostic, is left as it is: its data are its own.

Consent (issue 17, point 2): a new organisation is only invited, as an organisation signed up and not confirmed
yet: announced unconfirmed (`organisation.registered`, so that notifications can email its contact; no territory
counts it as an actor), its flows drafts, published held (matched, their proposals shown to the territory's
animateur only: no party is told before the organisation consents), and one email to its contact
(`account.link_requested`, purpose « diagnostic », valid 30 days). On that link's page it confirms (the
organisation is confirmed, its flows published and their held proposals announced, its contact signed in) or
refuses (the organisation, its flows, its contact and its events are deleted from offers, its flows withdrawn from
matching, which keeps nothing they said, and `organisation.erased` has notifications and reporting delete their
copies).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace

from sqlmodel import Session, col, select

from offers import erasure
from offers.accounts_service import Conflict, check_link, stage_link, user_by_email
from offers.diagnostics import PlannedFlow, PlannedOrganisation, Preview, organisation_key, plain
from offers.domain import DEFAULT_VALIDITY
from offers.models import Listing, LoginLink, Organisation, Site, UserAccount
from offers.service import (
    PRODUCER,
    locate,
    next_revision,
    profile,
    stage_organisation,
    stage_snapshot,
)
from offers.sites import named
from shared import topics
from shared.events import new_event
from shared.geo import Gazetteer
from shared.nomenclatures import LISTING_COMPLEMENT
from shared.outbox import add_event


@dataclass
class Imported:
    """What an import did."""

    organisations_created: int = 0
    organisations_updated: int = 0
    flows_created: int = 0
    flows_updated: int = 0
    unchanged: int = 0  # organisations and flows already as the file says
    invited: int = 0  # contacts emailed a link to confirm or refuse their diagnostic
    left_alone: list[str] = field(default_factory=list)  # why some rows changed nothing (in French)


def find(session: Session, planned: PlannedOrganisation) -> Organisation | None:
    """The organisation a planned one already is, whoever registered it: by SIRET, else by name and commune."""
    if planned.siret:
        return session.exec(
            select(Organisation).where(Organisation.siret == planned.siret).order_by(col(Organisation.created_at))
        ).first()
    for org in session.exec(
        select(Organisation).where(Organisation.insee == planned.insee).order_by(col(Organisation.created_at))
    ):
        if organisation_key(None, org.name, org.insee) == planned.key:
            return org
    return None


def write_organisation(
    session: Session,
    org: Organisation | None,
    planned: PlannedOrganisation,
    importer: str,
    gazetteer: Gazetteer,
    now: datetime,
    done: Imported,
) -> Organisation | None:
    """Create or update the organisation of `planned`; None when it is not this animateur's to change."""
    today = now.date()
    if org is not None and org.imported_by is None:
        done.left_alone.append(
            f"{org.name} est inscrite sur Boucle par elle-même : ses données et ses annonces restent les siennes."
        )
        return None
    if org is not None and org.imported_by != importer:
        done.left_alone.append(
            f"{org.name} a été importée par une autre collectivité : elle reste comme celle-ci l'a importée."
        )
        return None
    if org is not None and org.confirmed_at is not None:
        done.left_alone.append(
            f"{org.name} a confirmé son diagnostic : ses données et ses annonces sont désormais les siennes."
        )
        return None
    values = {
        "name": planned.name,
        "kind": planned.kind,
        "siret": planned.siret,
        "naf_code": planned.naf_code,
        "contact_email": planned.contact_email,
        "diagnosed_on": planned.diagnosed_on or today,
    }
    if org is None:
        org = Organisation(imported_by=importer, **values)  # type: ignore[arg-type]
        place(org, planned, gazetteer)
        stage_organisation(session, org)  # unconfirmed, as a sign-up not confirmed yet
        done.organisations_created += 1
        invite(session, org, planned, now, done)
        return org
    moved = org.insee != planned.insee
    changed = moved or any(
        getattr(org, name) != value
        for name, value in values.items()
        if name != "diagnosed_on" or planned.diagnosed_on is not None
    )
    if not changed:
        done.unchanged += 1
        return org
    for name, value in values.items():
        setattr(org, name, value)
    if moved:
        place(org, planned, gazetteer)
    session.add(org)
    add_event(
        session, topics.ORGANISATIONS, new_event("organisation.updated", profile(org), producer=PRODUCER, key=org.id)
    )
    done.organisations_updated += 1
    return org


def place(org: Organisation, planned: PlannedOrganisation, gazetteer: Gazetteer) -> None:
    """At its commune (the file was checked: the INSEE code is known)."""
    locate(
        org,
        SimpleNamespace(
            commune=None,
            postcode=planned.postcode,
            insee=planned.insee,
            lat=None,  # type: ignore[arg-type]
            lon=None,
        ),
        gazetteer,
    )


def invite(session: Session, org: Organisation, planned: PlannedOrganisation, now: datetime, done: Imported) -> None:
    """The contact of a new organisation, as its administrator-to-be, emailed the link to confirm or refuse."""
    if user_by_email(session, planned.contact_email) is not None:
        done.left_alone.append(
            f"{planned.contact_email} a déjà un compte Boucle : {org.name} n'est pas invitée ; "
            "elle peut être rattachée par son administrateur."
        )
        return
    user = UserAccount(
        organisation_id=org.id, name=planned.contact_name or org.name, email=planned.contact_email, role="org_admin"
    )
    session.add(user)
    session.flush()  # the link refers to the user
    stage_link(session, user, "diagnostic", now)
    done.invited += 1


def listing_titled(session: Session, org: Organisation, kind: str, title: str) -> Listing | None:
    """The organisation's listing of this kind whose title reads as `title` (case and accents aside)."""
    return next(
        (
            listing
            for listing in session.exec(select(Listing).where(Listing.organisation_id == org.id, Listing.kind == kind))
            if plain(listing.title) == plain(title)
        ),
        None,
    )


def site_of(session: Session, org: Organisation, flow: PlannedFlow, gazetteer: Gazetteer) -> Site | None:
    """The establishment the file names for the flow: the organisation's site of that name, or a new one there."""
    if flow.site is None:
        return None
    site = named(session, org, flow.site)
    if site is None:
        site = Site(organisation_id=org.id, name=flow.site)
        locate(
            site,
            SimpleNamespace(
                commune=None,
                postcode=None,
                insee=flow.site_insee,
                lat=None,  # type: ignore[arg-type]
                lon=None,
            ),
            gazetteer,
            "du site",
        )
        session.add(site)
        session.flush()
    return site


def write_flow(
    session: Session, org: Organisation, flow: PlannedFlow, today: date, done: Imported, gazetteer: Gazetteer
) -> None:
    """Create or update the draft of `flow`; a flow the organisation already confirmed is its own."""
    existing = listing_titled(session, org, flow.kind, flow.title)
    site = site_of(session, org, flow, gazetteer)
    counterpart = listing_titled(session, org, LISTING_COMPLEMENT[flow.kind], flow.swap) if flow.swap else None
    values = {
        "title": flow.title,
        "quantity_value": flow.quantity_value,
        "quantity_unit": flow.quantity_unit,
        "frequency": flow.frequency,
        "description": flow.description,
        "private_fields": ["quantity"] if flow.quantity_private else [],
        "transport_by": flow.transport_by,
        "transport_means": flow.transport_means,
        "site_id": site.id if site else None,
        "counterpart_id": counterpart.id if counterpart else None,
    }
    if existing is None:
        draft = Listing(
            organisation_id=org.id,
            kind=flow.kind,
            status="draft",
            expires_at=today + DEFAULT_VALIDITY,
            **values,  # type: ignore[arg-type]
        )
        session.add(draft)
        stage_snapshot(session, "listing.published", draft, org)  # held: matched, shown to the animateur only
        done.flows_created += 1
    elif existing.status != "draft":
        done.left_alone.append(
            f"« {existing.title} » de {org.name} est déjà confirmée par l'organisation : elle "
            "reste comme elle l'a publiée."
        )
    elif all(getattr(existing, name) == value for name, value in values.items()):
        done.unchanged += 1
    else:
        for name, value in values.items():
            setattr(existing, name, value)
        existing.expires_at = today + DEFAULT_VALIDITY
        next_revision(session, existing)
        stage_snapshot(session, "listing.updated", existing, org)
        done.flows_updated += 1


def import_diagnostics(
    session: Session, importer: Organisation, plan: Preview, gazetteer: Gazetteer, now: datetime
) -> Imported:
    """Write `plan` (checked: `plan.ok`) for the animateur of `importer`; the caller commits."""
    assert plan.ok, "only a file without errors is imported"
    done = Imported()
    organisations: dict[str, Organisation | None] = {}
    for key, planned in plan.organisations.items():
        organisations[key] = write_organisation(
            session, find(session, planned), planned, importer.id, gazetteer, now, done
        )
    session.flush()  # the new organisations' ids, for their flows
    # A flow « en échange de » another after that one, which it then names.
    for flow in sorted(plan.flows.values(), key=lambda planned: planned.swap is not None):
        org = organisations[flow.organisation_key]
        if org is not None:
            write_flow(session, org, flow, now.date(), done, gazetteer)
            session.flush()
    return done


REVIEW_AFTER = timedelta(days=365)  # the seeds: data refreshed every year or two


def request_reviews(session: Session, importer: Organisation, now: datetime) -> list[str]:
    """Ask each organisation this animateur imported whose diagnostic is over a year old to review its flows: its
    administrators get a link (purpose « review », 30 days) that signs them in on their listings, to renew, change
    or close each, and dates the diagnostic today. The names of those asked; one whose review link is still
    waiting to be used is not asked again."""
    due = session.exec(
        select(Organisation)
        .where(
            Organisation.imported_by == importer.id,
            col(Organisation.confirmed_at).is_not(None),
            col(Organisation.diagnosed_on) < (now - REVIEW_AFTER).date(),
        )
        .order_by(col(Organisation.name))
    ).all()
    asked = []
    for org in due:
        admins = session.exec(
            select(UserAccount).where(UserAccount.organisation_id == org.id, UserAccount.role == "org_admin")
        ).all()
        waiting = session.exec(
            select(LoginLink).where(
                col(LoginLink.user_id).in_([u.id for u in admins]),
                LoginLink.purpose == "review",
                col(LoginLink.used_at).is_(None),
                col(LoginLink.expires_at) > now,
            )
        ).first()
        if waiting is None and any([stage_link(session, user, "review", now) for user in admins]):
            asked.append(org.name)
    session.commit()
    return asked


def invited_organisation(session: Session, user: UserAccount | None) -> Organisation | None:
    """The organisation a diagnostic link was sent for, while it has neither confirmed nor refused."""
    org = session.get(Organisation, user.organisation_id) if user is not None else None
    return org if org is not None and org.imported_by is not None and org.confirmed_at is None else None


def refuse(session: Session, user_id: str, nonce: str, now: datetime) -> str:
    """The contact refused the diagnostic: its organisation, flows, users and their links are deleted (no party ever
    saw them). Returns the organisation's name; LinkRefused if the link cannot be used."""
    check_link(session, user_id, nonce, now)
    user = session.get(UserAccount, user_id)
    org = invited_organisation(session, user)
    if org is None:
        raise Conflict(
            "organisation",
            "Cette organisation a déjà confirmé son diagnostic : ses données se gèrent depuis son espace.",
        )
    name = org.name
    erasure.erase(session, org)
    session.commit()
    return name


INVITATION_RETENTION = timedelta(days=90)  # the invitation's link lasts 30 days; then two months to answer anyway


def purge_unanswered_invitations(session: Session, now: datetime) -> list[str]:
    """Organisations imported over `INVITATION_RETENTION` ago that neither confirmed nor refused are erased as if
    they had refused: a diagnostic nobody consented to is not kept. Returns their names."""
    due = session.exec(
        select(Organisation).where(
            col(Organisation.imported_by).is_not(None),
            col(Organisation.confirmed_at).is_(None),
            col(Organisation.created_at) < now - INVITATION_RETENTION,
        )
    ).all()
    names = [org.name for org in due]
    for org in due:
        erasure.erase(session, org)
    session.commit()
    return names
