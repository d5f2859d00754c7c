"""An animateur's diagnostics written to the database, in one transaction: all of the file or nothing.

Organisations are found again by SIRET (or, without one, by name and commune among those this animateur
imported); their flows by direction and resource. An organisation that signed up by itself is left as it is,
and so is a flow its organisation already confirmed: they are theirs now. New organisations are unconfirmed and
their flows drafts, which nothing publishes until the organisation confirms them (issue 17, consent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

from sqlmodel import Session, col, select

from offers.diagnostics import PlannedFlow, PlannedOrganisation, Preview, plain
from offers.domain import DEFAULT_VALIDITY
from offers.models import Listing, Organisation
from offers.service import locate, profile, stage_organisation
from shared import topics
from shared.events import new_event
from shared.geo import Gazetteer
from shared.outbox import add_event

PRODUCER = "offers"


@dataclass
class Imported:
    """What an import did."""

    organisations_created: int = 0
    organisations_updated: int = 0
    flows_created: int = 0
    flows_updated: int = 0
    unchanged: int = 0  # organisations and flows already as the file says
    left_alone: list[str] = field(default_factory=list)  # why some rows changed nothing (in French)


def find(session: Session, importer: str, planned: PlannedOrganisation) -> Organisation | None:
    if planned.siret:
        return session.exec(select(Organisation).where(Organisation.siret == planned.siret)
                            .order_by(col(Organisation.created_at))).first()
    for org in session.exec(select(Organisation).where(Organisation.imported_by == importer,
                                                       Organisation.insee == planned.insee)):
        if f"nom:{plain(org.name)}|{org.insee}" == planned.key:
            return org
    return None


def write_organisation(session: Session, org: Organisation | None, planned: PlannedOrganisation, importer: str,
                       gazetteer: Gazetteer, today: date, done: Imported) -> Organisation | None:
    """Create or update the organisation of `planned`; None when it is not this animateur's to change."""
    if org is not None and org.imported_by != importer:
        done.left_alone.append(f"{org.name} est inscrite sur Boucle par elle-même : ses données et ses annonces "
                               "restent les siennes.")
        return None
    values = {"name": planned.name, "kind": planned.kind, "siret": planned.siret, "naf_code": planned.naf_code,
              "contact_email": planned.contact_email, "diagnosed_on": planned.diagnosed_on or today}
    if org is None:
        org = Organisation(imported_by=importer, **values)  # type: ignore[arg-type]
        locate(org, SimpleNamespace(commune=None, postcode=planned.postcode, insee=planned.insee, lat=None,  # type: ignore[arg-type]
                                    lon=None), gazetteer)
        stage_organisation(session, org)
        done.organisations_created += 1
        return org
    moved = org.insee != planned.insee
    changed = moved or any(getattr(org, name) != value for name, value in values.items()
                           if name != "diagnosed_on" or planned.diagnosed_on is not None)
    if not changed:
        done.unchanged += 1
        return org
    for name, value in values.items():
        setattr(org, name, value)
    if moved:
        locate(org, SimpleNamespace(commune=None, postcode=planned.postcode, insee=planned.insee, lat=None,  # type: ignore[arg-type]
                                    lon=None), gazetteer)
    session.add(org)
    add_event(session, topics.ORGANISATIONS, new_event("organisation.updated", profile(org), producer=PRODUCER,
                                                       key=org.id))
    done.organisations_updated += 1
    return org


def write_flow(session: Session, org: Organisation, flow: PlannedFlow, today: date, done: Imported) -> None:
    """Create or update the draft of `flow`; a flow the organisation already confirmed is its own."""
    existing = next((listing for listing in session.exec(select(Listing).where(Listing.organisation_id == org.id,
                                                                                Listing.kind == flow.kind))
                     if plain(listing.title) == plain(flow.title)), None)
    values = {"title": flow.title, "quantity_value": flow.quantity_value, "quantity_unit": flow.quantity_unit,
              "frequency": flow.frequency, "description": flow.description,
              "private_fields": ["quantity"] if flow.quantity_private else []}
    if existing is None:
        session.add(Listing(organisation_id=org.id, kind=flow.kind, status="draft",
                            expires_at=today + DEFAULT_VALIDITY, **values))  # type: ignore[arg-type]
        done.flows_created += 1
    elif existing.status != "draft":
        done.left_alone.append(f"« {existing.title} » de {org.name} est déjà confirmée par l'organisation : elle "
                               "reste comme elle l'a publiée.")
    elif all(getattr(existing, name) == value for name, value in values.items()):
        done.unchanged += 1
    else:
        for name, value in values.items():
            setattr(existing, name, value)
        existing.expires_at = today + DEFAULT_VALIDITY
        session.add(existing)
        done.flows_updated += 1


def import_diagnostics(session: Session, importer: Organisation, plan: Preview, gazetteer: Gazetteer,
                       today: date) -> Imported:
    """Write `plan` (checked: `plan.ok`) for the animateur of `importer`; the caller commits."""
    assert plan.ok, "only a file without errors is imported"
    done = Imported()
    organisations: dict[str, Organisation | None] = {}
    for key, planned in plan.organisations.items():
        organisations[key] = write_organisation(session, find(session, importer.id, planned), planned, importer.id,
                                                gazetteer, today, done)
    session.flush()  # the new organisations' ids, for their flows
    for flow in plan.flows.values():
        org = organisations[flow.organisation_key]
        if org is not None:
            write_flow(session, org, flow, today, done)
    return done
