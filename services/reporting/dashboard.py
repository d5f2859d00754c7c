"""The animateur's dashboard: the territory's figures for a period, gathered once for the page,
the printable report and the CSV export.

Figures come from `report` (which hands the recorded flows to the formulas of `indicators`);
this module adds what the pages show besides: a month-by-month series, the synergies one by one
with their own figures, the map of actors and gisements, and the trace of every counted flow
back to its factors and sources. Numbers stay raw here; `display` formats them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from reporting import charts, display, report
from reporting import indicators as ind
from reporting.lifecycle import STAGE_LABELS, STAGES, TYPE_LABELS
from reporting.models import KnownListing, KnownOrganisation, SynergyParty, Territory, TerritoryCommune
from reporting.synergies import aware, supply_statuses, territory_actors, territory_synergies
from shared import maps
from shared.geo import Gazetteer
from shared.nomenclatures import ORGANISATION_KINDS, WASTE_STATUSES

MAX_MONTHS = 120  # the monthly chart stays readable, and a period of ten years is already a long one

# The tiles at the top, in order: (indicator, title, unit). Their long label is `ind.LABELS_FR`.
TILES: tuple[tuple[str, str, str], ...] = (
    ("tonnes_diverted", "Tonnes détournées", "t"),
    ("virgin_material_substituted_t", "Matière vierge substituée", "t"),
    ("truck_trips_avoided", "Trajets de camion évités", "trajets"),
    ("km_avoided", "Kilomètres évités", "km"),
    ("co2e_total_t", "Émissions évitées", "t CO2e"),
    ("euros_saved", "Euros économisés", "€"),
    ("jobs", "Emplois", "emplois"),
    ("organisations_engaged", "Organisations engagées", "organisations"),
)
TILE_DESCRIPTIONS = {
    **ind.LABELS_FR,
    "organisations_engaged": "Organisations parties à une synergie existant en fin de période",
}
# Columns of the per-synergy figures (table of the export, and the method section), in order.
SYNERGY_FIGURES = (
    "tonnes_diverted",
    "virgin_material_substituted_t",
    "truck_trips_avoided",
    "km_avoided",
    "co2e_transport_t",
    "co2e_materials_t",
    "co2e_total_t",
    "euros_disposal_avoided",
    "euros_purchase_avoided",
    "euros_shared_saving",
    "euros_saved",
    "jobs",
)


class PeriodError(ValueError):
    """The period asked for cannot be shown; `field` is `from` or `to`, the message is French."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def parse_period(first: str | None, last: str | None, today: date) -> report.Period:
    """The period of the form (`AAAA-MM-JJ` dates, both included); this calendar year by default."""

    def parse(name: str, raw: str | None, default: date) -> date:
        if raw is None or not raw.strip():
            return default
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            label = "de début" if name == "from" else "de fin"
            raise PeriodError(
                name, f"Date {label} illisible « {raw.strip()} » : attendu AAAA-MM-JJ, par exemple 2025-01-31."
            ) from None

    start = parse("from", first, date(today.year, 1, 1))
    end = parse("to", last, today)
    for name, day in (("from", start), ("to", end)):
        if report.out_of_range(day):
            raise PeriodError(
                name, f"Les tableaux de bord vont du {report.FIRST_DAY:%d/%m/%Y} au {report.LAST_DAY:%d/%m/%Y}."
            )
    if start > end:
        raise PeriodError("from", "La date de début suit la date de fin.")
    if len(month_starts(start, end, limit=MAX_MONTHS + 1)) > MAX_MONTHS:
        raise PeriodError("to", f"La période dépasse {MAX_MONTHS // 12} ans : choisissez-en une plus courte.")
    return report.Period(start, end)


def month_starts(first: date, last: date, limit: int | None = None) -> list[date]:
    """The first day of each calendar month from `first`'s month to `last`'s month."""
    months: list[date] = []
    day = first.replace(day=1)
    while day <= last and (limit is None or len(months) < limit):
        months.append(day)
        day = date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
    return months


@dataclass(frozen=True)
class SynergyRow:
    synergy_id: str
    resource: str
    synergy_type: str
    type_label: str
    parties: list[str]
    stage: str
    stage_label: str
    opened_on: date
    figures: ind.Indicators
    status_label: str = ""  # the offer's declared legal status (exchanges of matter)


# The funnel's steps counted by kind of actor: from registration on, since prospects have no kind.
BY_KIND_STEPS = ("registered", "with_listing", "with_match", "with_accepted_match", "with_contract")


@dataclass(frozen=True)
class Dashboard:
    territory: Territory
    period: report.Period
    previous_period: report.Period
    impact: dict[str, Any]
    current: ind.Indicators
    tiles: list[dict[str, Any]]
    monthly: list[dict[str, Any]]
    funnel: list[dict[str, Any]]
    stages: list[dict[str, Any]]
    statuses: list[dict[str, Any]]  # exchanges of matter by the offer's declared legal status
    outcomes: dict[str, Any]  # what became of the period's proposals (report.proposal_outcomes)
    synergies: list[SynergyRow]
    map: maps.MapChart
    method: list[dict[str, Any]]
    sources: list[ind.Source]
    unconverted: list[str]
    missing_factors: list[str]
    factors_version: str

    @property
    def actors(self) -> int:
        return sum(1 for m in self.map.markers if m.kind != "gisement")

    @property
    def actor_kinds(self) -> list[tuple[str, str, int]]:
        """(kind, French label, how many) of the territory's actors on the map, the most numerous first."""
        counts = Counter(m.kind for m in self.map.markers if m.kind != "gisement")
        return [
            (kind, ORGANISATION_KINDS.get(kind, kind), n)
            for kind, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        ]

    @property
    def funnel_by_kind(self) -> tuple[list[str], list[tuple[str, list[int]]]]:
        """The funnel's steps from registration on, and for each kind of actor that reached one (the most numerous
        first): its French label and how many of its organisations reached each step."""
        steps = [step for step in self.funnel if step["step"] in BY_KIND_STEPS]
        kinds = Counter[str]()
        for step in steps:
            kinds.update(step["by_kind"])
        rows = [
            (ORGANISATION_KINDS.get(kind, kind), [step["by_kind"].get(kind, 0) for step in steps])
            for kind, _ in sorted(kinds.items(), key=lambda item: (-item[1], item[0]))
        ]
        return [str(step["label"]) for step in steps], rows

    @property
    def gisements(self) -> int:
        return sum(1 for m in self.map.markers if m.kind == "gisement")


def build(session: Session, territory: Territory, period: report.Period, gazetteer: Gazetteer) -> Dashboard:
    """Everything the dashboard, the report and the export show for `territory` over `period`."""
    factors = ind.default_factors()
    impact = report.impact(session, territory, period)
    previous_engaged = report.impact(session, territory, period.previous())["organisations_engaged"]
    synergies = territory_synergies(session, territory.territory_id)
    flows = report.flows_for(session, synergies)
    current = ind.indicators(flows, period.first, period.end)

    tiles = []
    for name, title, unit in TILES:
        if name == "organisations_engaged":
            now, before = float(impact[name]), float(previous_engaged)
            change = ind.Change(
                current=now,
                previous=before,
                difference=now - before,
                percent=None if before == 0 else (now - before) / abs(before) * 100.0,
            )
        else:
            change = impact["change"][name]
        tiles.append(
            {
                "name": name,
                "title": title,
                "unit": unit,
                "description": TILE_DESCRIPTIONS[name],
                "value": change.current,
                "previous": change.previous,
                "trend": display.trend(change.percent, change.difference),
            }
        )

    monthly = []
    for start in month_starts(period.first, period.last):
        following = date(start.year + 1, 1, 1) if start.month == 12 else date(start.year, start.month + 1, 1)
        figures = ind.indicators(flows, max(start, period.first), min(following, period.end), factors=factors)
        monthly.append({"month": start, "km_avoided": figures.km_avoided, "co2e_total_t": figures.co2e_total_t})

    steps = report.funnel(session, territory, period)["steps"]
    stages = [{"stage": s, "label": STAGE_LABELS[s], "count": impact["synergies_by_stage"][s]} for s in STAGES]
    statuses = [
        {"status": s, "label": WASTE_STATUSES.get(s, "non déclaré"), "count": count}
        for s, count in impact["exchanges_by_status"].items()
    ]
    declared = supply_statuses(session, [s for s in synergies if s.synergy_type == "substitution"])

    counted = {trace["synergy_id"] for trace in current.trace}
    names = organisation_names(session, [s.synergy_id for s in synergies])
    rows = []
    for synergy in synergies:
        opened_on = aware(synergy.opened_at).date()
        if opened_on > period.last and synergy.synergy_id not in counted:
            continue  # opened after the period, with nothing counted in it
        own = [flow for flow in flows if flow.synergy_id == synergy.synergy_id]
        rows.append(
            SynergyRow(
                synergy_id=synergy.synergy_id,
                resource=synergy.resource,
                synergy_type=synergy.synergy_type,
                type_label=TYPE_LABELS.get(synergy.synergy_type, synergy.synergy_type),
                parties=names.get(synergy.synergy_id, []),
                stage=synergy.stage,
                stage_label=STAGE_LABELS[synergy.stage],
                opened_on=opened_on,
                figures=ind.indicators(own, period.first, period.end, factors=factors),
                status_label=""
                if synergy.synergy_id not in declared
                else WASTE_STATUSES.get(declared[synergy.synergy_id] or "", "non déclaré"),
            )
        )

    resources = {s.synergy_id: s.resource for s in synergies}
    method = [method_line(trace, resources, factors) for trace in current.trace]
    cited = sorted({source for trace in current.trace for source in trace["sources"]})
    return Dashboard(
        territory=territory,
        period=period,
        previous_period=period.previous(),
        impact=impact,
        current=current,
        tiles=tiles,
        monthly=monthly,
        funnel=steps,
        stages=stages,
        statuses=statuses,
        outcomes=impact["proposal_outcomes"],
        synergies=rows,
        map=territory_map(session, territory, gazetteer),
        method=method,
        sources=[factors.sources[key] for key in cited],
        unconverted=[resources.get(s, s) for s in current.unconverted],
        missing_factors=[resources.get(s, s) for s in current.missing_factors],
        factors_version=factors.version,
    )


def organisation_names(session: Session, synergy_ids: list[str]) -> dict[str, list[str]]:
    """The parties of each synergy, by name (they accepted each other, or the animateur named them in a piste)."""
    if not synergy_ids:
        return {}
    rows = session.exec(
        select(SynergyParty.synergy_id, KnownOrganisation.name)
        .join(KnownOrganisation, col(KnownOrganisation.organisation_id) == col(SynergyParty.organisation_id))
        .where(col(SynergyParty.synergy_id).in_(synergy_ids))
    ).all()
    names: dict[str, list[str]] = {}
    for synergy_id, name in rows:
        names.setdefault(synergy_id, []).append(name)
    return {key: sorted(value) for key, value in names.items()}


def method_line(trace: dict[str, Any], resources: dict[str, str], factors: ind.Factors) -> dict[str, Any]:
    """One counted flow as the « Méthode et sources » section lists it: dates, figures, factor keys, sources."""
    vehicles = []
    for key, value in trace["vehicle_kgco2e_per_km"].items():
        vehicle = factors.vehicles.get(key)
        vehicles.append({"key": key, "label": vehicle.label_fr if vehicle else key, "kgco2e_per_km": value})
    material = factors.materials.get(trace["material_factor"]) if trace["material_factor"] else None
    counted_to = date.fromisoformat(trace["counted_to"]) if trace["counted_to"] else None
    if counted_to is not None and trace["period"] != "once":
        counted_to -= timedelta(days=1)  # the trace's end is exclusive; people read the last day counted
    return {
        "synergy_id": trace["synergy_id"],
        "resource": resources.get(trace["synergy_id"], trace["synergy_id"]),
        "counted_from": date.fromisoformat(trace["counted_from"]) if trace["counted_from"] else None,
        "counted_to": counted_to,
        "months": trace["months"],
        "once": trace["period"] == "once",
        "quantity": trace["quantity"],
        "unit": trace["unit"],
        "period": trace["period"],
        "tonnes": trace["tonnes"],
        "tonnes_basis": trace["tonnes_basis"],
        "truck_trips_avoided": trace["truck_trips_avoided"],
        "km_avoided": trace["km_avoided"],
        "co2e_transport_t": trace["co2e_transport_t"],
        "co2e_materials_t": trace["co2e_materials_t"],
        "euros_saved": trace["euros_saved"],
        "jobs": trace["jobs"],
        "vehicles": vehicles,
        "material": None
        if material is None
        else {"key": material.key, "label": material.label_fr, "kgco2e_saved_per_t": material.kgco2e_saved_per_t},
        "missing_factors": trace["missing_factors"],
        "sources": [
            {"id": key, "name": factors.sources[key].name, "identifier": factors.sources[key].identifier}
            for key in trace["sources"]
            if key in factors.sources
        ],
    }


def territory_communes(
    session: Session, territory: Territory, gazetteer: Gazetteer
) -> list[tuple[str, str, float, float]]:
    """The territory's communes as a map places them: (INSEE code, name, lat, lon), by code."""
    codes = session.exec(
        select(TerritoryCommune.insee).where(TerritoryCommune.territory_id == territory.territory_id)
    ).all()
    places = [place for place in (gazetteer.by_insee(code) for code in sorted(codes)) if place is not None]
    return [(place.insee, place.name, place.lat, place.lon) for place in places]


def territory_map(session: Session, territory: Territory, gazetteer: Gazetteer) -> maps.MapChart:
    """The territory's communes, its organisations (the collectivité aside) and its active offers (gisements).

    Only names and titles are placed: no quantity of a listing appears on the map.
    """
    communes = territory_communes(session, territory, gazetteer)
    names = {insee: name for insee, name, _, _ in communes}
    members = territory_actors(session, territory)
    orgs = (
        session.exec(
            select(KnownOrganisation)
            .where(col(KnownOrganisation.organisation_id).in_(list(members)))
            .order_by(col(KnownOrganisation.name))
        ).all()
        if members
        else []
    )
    markers = [(org.insee or "", org.kind, f"{org.name} — {names.get(org.insee or '', '')}") for org in orgs]
    home = {org.organisation_id: org.insee for org in orgs}
    offers = (
        session.exec(
            select(KnownListing)
            .where(
                KnownListing.kind == "offer",
                col(KnownListing.active).is_(True),
                col(KnownListing.organisation_id).in_(list(members)),
            )
            .order_by(col(KnownListing.title))
        ).all()
        if members
        else []
    )
    for offer in offers:
        where = offer.insee or home.get(offer.organisation_id) or ""
        markers.append((where, "gisement", f"Gisement : {offer.title} — {names.get(where, '')}"))
    return maps.territory_map(communes, markers)


def figures(dash: Dashboard) -> dict[str, Any]:
    """The charts of the dashboard and the report, placed in their viewBoxes with French labels."""
    km = charts.columns(
        [
            (
                display.month(m["month"], short=True),
                f"{display.month(m['month'])} : {display.number(m['km_avoided'])} km",
                m["km_avoided"],
            )
            for m in dash.monthly
        ],
        tick_text=display.number,
    )
    co2e = charts.columns(
        [
            (
                display.month(m["month"], short=True),
                f"{display.month(m['month'])} : {display.number(m['co2e_total_t'])} t CO2e",
                m["co2e_total_t"],
            )
            for m in dash.monthly
        ],
        tick_text=display.number,
    )
    funnel = charts.hbars(
        [
            (
                step["label"].capitalize(),
                step["count"],
                display.number(step["count"]),
                "" if step["rate_from_previous"] is None else f"({display.percent(step['rate_from_previous'] * 100)})",
            )
            for step in dash.funnel
        ],
        value_room=90.0,
    )
    stages = charts.hbars(
        [(stage["label"].capitalize(), stage["count"], display.number(stage["count"]), "") for stage in dash.stages],
        value_room=40.0,
    )
    return {"km": km, "co2e": co2e, "funnel": funnel, "stages": stages, "map": dash.map}
