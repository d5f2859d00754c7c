"""The territory's report: reads the tables, hands flows to the indicator formulas, counts the rest.

Formulas live in `reporting.indicators` (pure, cited in METHODOLOGY.md); this module only
chooses what to count for a territory and a period.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlmodel import Session, col, select

from reporting import indicators as ind
from reporting.lifecycle import FINAL_STAGES, STAGES
from reporting.models import (
    KnownListing,
    KnownMatch,
    KnownOrganisation,
    MatchParticipant,
    Prospect,
    Synergy,
    SynergyFlow,
    SynergyMove,
    SynergyParty,
    Territory,
)
from reporting.synergies import aware, supply_statuses, territory_actors, territory_synergies
from shared.nomenclatures import WASTE_STATUSES

LISTING_KINDS = ("offer", "need", "share", "pool")
FUNNEL_STEPS = ("contacted", "met", "registered", "with_listing", "with_match", "with_accepted_match", "with_contract")
FUNNEL_LABELS = {
    "contacted": "contactées",
    "met": "rencontrées",
    "registered": "inscrites",
    "with_listing": "avec une annonce",
    "with_match": "avec une mise en relation",
    "with_accepted_match": "avec une mise en relation acceptée",
    "with_contract": "avec une synergie contractualisée",
}


@dataclass(frozen=True)
class Period:
    """From `first` to `last`, both included (as a user writes it); `end` is the day after.

    Reports cover FIRST_DAY … LAST_DAY: the previous period of one starting in year 1 would start
    before the calendar does (and the day after 9999-12-31 does not exist).
    """

    first: date
    last: date

    @property
    def end(self) -> date:
        return self.last + timedelta(days=1)

    def previous(self) -> Period:
        """What the period is compared with: the same dates a year earlier when it spans a year at most (what élus
        ask: « par rapport à l'an dernier », and 1 January to today compares with 1 January to that day), else the
        period of the same length just before."""
        if (self.end - self.first).days <= 366:
            return Period(year_before(self.first), year_before(self.last))
        if self.first.day == 1 and self.end.day == 1:  # whole months: as many months just before
            months = (self.end.year - self.first.year) * 12 + self.end.month - self.first.month
            year, month = divmod(self.first.year * 12 + self.first.month - 1 - months, 12)
            return Period(date(year, month + 1, 1), self.first - timedelta(days=1))
        length = self.end - self.first
        return Period(self.first - length, self.first - timedelta(days=1))

    def contains(self, moment: datetime | date | None) -> bool:
        if moment is None:
            return False
        day = moment.date() if isinstance(moment, datetime) else moment
        return self.first <= day <= self.last


def year_before(day: date) -> date:
    """The same day a year earlier (29 February: the 28th)."""
    return day.replace(year=day.year - 1, day=min(day.day, 28 if day.month == 2 else day.day))


FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def out_of_range(day: date) -> bool:
    """Whether a report may not start or end on `day`."""
    return not FIRST_DAY <= day <= LAST_DAY


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def flow_of(row: SynergyFlow, synergy: Synergy, ended_on: date | None) -> ind.Flow:
    """The recorded flow as the formulas take it; a flow stops when its synergy ended or was abandoned."""
    data = row.data
    end = date.fromisoformat(data["end"]) if data.get("end") else None
    if ended_on is not None and (end is None or ended_on < end):
        end = max(ended_on, date.fromisoformat(data["start"]))

    def leg(raw: dict[str, Any] | None) -> ind.Transport | None:
        return ind.Transport(raw["trips_per_month"], raw["km_per_trip"], raw["vehicle"]) if raw else None

    return ind.Flow(
        synergy_id=synergy.synergy_id,
        synergy_type=synergy.synergy_type,
        material=data.get("material") or synergy.material,
        quantity=data["quantity"],
        unit=data["unit"],
        period=data["period"],
        start=date.fromisoformat(data["start"]),
        end=end,
        transport_before=leg(data.get("transport_before")),
        transport_after=leg(data.get("transport_after")),
        disposal_cost_avoided_eur=data.get("disposal_cost_avoided_eur", 0.0),
        purchase_cost_avoided_eur=data.get("purchase_cost_avoided_eur", 0.0),
        shared_cost_saving_eur=data.get("shared_cost_saving_eur", 0.0),
        jobs=data.get("jobs", 0.0),
        diverted_from_disposal=data.get("diverted_from_disposal", True),
        substitutes_virgin=data.get("substitutes_virgin", True),
        density_t_per_unit=data.get("density_t_per_unit"),
    )


def ended_on(session: Session, synergy: Synergy) -> date | None:
    """The day a synergy reached a final stage, if it did."""
    if synergy.stage not in FINAL_STAGES:
        return None
    move = session.exec(
        select(SynergyMove).where(
            SynergyMove.synergy_id == synergy.synergy_id, col(SynergyMove.to_stage).in_(FINAL_STAGES)
        )
    ).first()
    return aware(move.at).date() if move else None


def flows_for(session: Session, synergies: list[Synergy]) -> list[ind.Flow]:
    by_id = {s.synergy_id: s for s in synergies}
    if not by_id:
        return []
    rows = session.exec(
        select(SynergyFlow).where(col(SynergyFlow.synergy_id).in_(list(by_id))).order_by(col(SynergyFlow.recorded_at))
    ).all()
    endings = {s.synergy_id: ended_on(session, s) for s in synergies}
    return [flow_of(row, by_id[row.synergy_id], endings[row.synergy_id]) for row in rows]


# What a synergy's parties read of it, in this order (the dashboard's figures, through the same formulas).
SYNERGY_FIGURES = ("tonnes_diverted", "truck_trips_avoided", "km_avoided", "co2e_total_t", "euros_saved", "jobs")
WHOLE = {"truck_trips_avoided": None, "km_avoided": None, "euros_saved": None}  # counted in whole units


def synergy_impact(flows: list[ind.Flow], today: date) -> dict[str, Any] | None:
    """What one synergy avoids, from its flows (`flows_for`): a year of those running, and everything since the
    first began, each figure with its French label, and the sources of the factors used. None without a flow."""
    if not flows:
        return None
    running = [f for f in flows if f.start <= today and (f.end is None or f.end > today)]
    yearly = ind.total(ind.annual(f) for f in running)
    since = min(f.start for f in flows)
    to_date = ind.indicators(flows, since, max(today, since))
    cited = ind.default_factors().sources
    keys = sorted({key for row in to_date.trace + yearly.trace for key in row.get("sources", ()) if key in cited})
    sources = [{"name": cited[key].name, "url": cited[key].url} for key in keys]
    return {
        "since": since,
        "figures": [
            {
                "field": name,
                "label": ind.LABELS_FR[name],
                "yearly": round(getattr(yearly, name), WHOLE.get(name, 1)),
                "to_date": round(getattr(to_date, name), WHOLE.get(name, 1)),
            }
            for name in SYNERGY_FIGURES
        ],
        "sources": sources,
        "unconverted": bool(to_date.unconverted),
        "missing_factors": bool(to_date.missing_factors),
    }


def stage_at(session: Session, synergy: Synergy, moment: datetime) -> str | None:
    """The synergy's stage at `moment` (None when it did not exist yet), from its history."""
    if aware(synergy.opened_at) >= moment:
        return None
    moves = session.exec(
        select(SynergyMove).where(SynergyMove.synergy_id == synergy.synergy_id).order_by(col(SynergyMove.at))
    ).all()
    stage = "detected"
    for m in moves:
        if aware(m.at) < moment:
            stage = m.to_stage
    return stage


def impact(session: Session, territory: Territory, period: Period) -> dict[str, Any]:
    """Every indicator of the territory for the period, with the previous period to compare."""
    synergies = territory_synergies(session, territory.territory_id)
    flows = flows_for(session, synergies)
    current = ind.indicators(flows, period.first, period.end)
    previous_period = period.previous()
    previous = ind.indicators(flows, previous_period.first, previous_period.end)
    end_moment = start_of(period.end)
    stages = {s.synergy_id: stage_at(session, s, end_moment) for s in synergies}
    existing = [s for s in synergies if stages[s.synergy_id] is not None]
    by_stage = Counter(stages[s.synergy_id] for s in existing)
    by_type = Counter(s.synergy_type for s in existing)
    statuses = supply_statuses(session, [s for s in existing if s.synergy_type == "substitution"])
    by_status = Counter(status or "undeclared" for status in statuses.values())
    members = territory_actors(session, territory)
    engaged = (
        set(
            session.exec(
                select(SynergyParty.organisation_id).where(
                    col(SynergyParty.synergy_id).in_([s.synergy_id for s in existing])
                )
            ).all()
        )
        if existing
        else set()
    )
    registered = (
        [
            o
            for o in session.exec(
                select(KnownOrganisation).where(col(KnownOrganisation.organisation_id).in_(list(members)))
            ).all()
            if aware(o.registered_at) < end_moment
        ]
        if members
        else []
    )
    active = (
        Counter(
            session.exec(
                select(KnownListing.kind).where(
                    col(KnownListing.active).is_(True), col(KnownListing.organisation_id).in_(list(members))
                )
            ).all()
        )
        if members
        else Counter()
    )
    matched = _matches_in(session, members, period)
    outcomes = proposal_outcomes(session, members, period)
    return {
        "territory": {"id": territory.territory_id, "name": territory.name},
        "period": {"from": period.first.isoformat(), "to": period.last.isoformat()},
        "previous_period": {"from": previous_period.first.isoformat(), "to": previous_period.last.isoformat()},
        "indicators": _plain(current),
        "previous": _plain(previous),
        "change": ind.compare(current, previous),
        "synergies_by_stage": {stage: by_stage.get(stage, 0) for stage in STAGES},
        "synergies_by_type": {kind: by_type.get(kind, 0) for kind in ("substitution", "mutualisation")},
        # Exchanges of matter by the status the offer declared: what the law asks of them follows from it.
        "exchanges_by_status": {status: by_status.get(status, 0) for status in (*WASTE_STATUSES, "undeclared")},
        "synergies": len(existing),
        "organisations": len(registered),
        "organisations_engaged": len(engaged),
        "active_listings": {kind: active.get(kind, 0) for kind in LISTING_KINDS},
        "matches_proposed": matched,
        "proposal_outcomes": outcomes,
    }


def _plain(values: ind.Indicators) -> dict[str, Any]:
    data = asdict(values)
    data.pop("trace", None)
    return data


def _matches_in(session: Session, members: set[str], period: Period) -> int:
    if not members:
        return 0
    ids = set(
        session.exec(
            select(MatchParticipant.match_id).where(col(MatchParticipant.organisation_id).in_(list(members)))
        ).all()
    )
    if not ids:
        return 0
    return sum(
        1
        for m in session.exec(
            select(KnownMatch).where(col(KnownMatch.match_id).in_(list(ids)), col(KnownMatch.held).is_(False))
        ).all()
        if period.contains(aware(m.proposed_at))
    )


def proposal_outcomes(session: Session, members: set[str], period: Period) -> dict[str, Any]:
    """What became of the proposals made in the period to the territory's organisations: accepted by every
    side, then contracted (a synergy that reached « contractualisée » or beyond, by now). The quality of
    the matching as the field judges it (in the best French programme about a quarter of the
    opportunities detected become synergies; a few percent elsewhere)."""
    if not members:
        return {"proposed": 0, "accepted": 0, "contracted": 0, "accepted_share": None, "contracted_share": None}
    ids = set(
        session.exec(
            select(MatchParticipant.match_id).where(col(MatchParticipant.organisation_id).in_(list(members)))
        ).all()
    )
    proposed = (
        [
            m
            for m in session.exec(
                select(KnownMatch).where(col(KnownMatch.match_id).in_(list(ids)), col(KnownMatch.held).is_(False))
            ).all()
            if period.contains(aware(m.proposed_at))
        ]
        if ids
        else []
    )
    accepted = [m.match_id for m in proposed if m.status == "accepted"]
    contracted = (
        session.exec(
            select(Synergy).where(col(Synergy.match_id).in_(accepted), col(Synergy.contractualised_at).is_not(None))
        ).all()
        if accepted
        else []
    )
    count = len(proposed)
    return {
        "proposed": count,
        "accepted": len(accepted),
        "contracted": len(contracted),
        "accepted_share": round(len(accepted) / count, 3) if count else None,
        "contracted_share": round(len(contracted) / count, 3) if count else None,
    }


def funnel(session: Session, territory: Territory, period: Period) -> dict[str, Any]:
    """Organisations reaching each step within the period (contacts and meetings recorded by the animateur)."""
    prospects = session.exec(select(Prospect).where(Prospect.territory_id == territory.territory_id)).all()
    members = territory_actors(session, territory)
    orgs = (
        session.exec(select(KnownOrganisation).where(col(KnownOrganisation.organisation_id).in_(list(members)))).all()
        if members
        else []
    )
    listings = (
        session.exec(select(KnownListing).where(col(KnownListing.organisation_id).in_(list(members)))).all()
        if members
        else []
    )
    participations = (
        session.exec(
            select(MatchParticipant, KnownMatch)
            .join(KnownMatch, col(KnownMatch.match_id) == col(MatchParticipant.match_id))
            .where(col(MatchParticipant.organisation_id).in_(list(members)), col(KnownMatch.held).is_(False))
        ).all()
        if members
        else []
    )
    contracted = (
        session.exec(
            select(SynergyParty, Synergy)
            .join(Synergy, col(Synergy.synergy_id) == col(SynergyParty.synergy_id))
            .where(col(SynergyParty.organisation_id).in_(list(members)))
        ).all()
        if members
        else []
    )
    # The organisations at each step from registration on, to count them by kind (company, farm, CUMA…).
    reached: dict[str, set[str]] = {
        "registered": {o.organisation_id for o in orgs if period.contains(aware(o.registered_at))},
        "with_listing": {
            li.organisation_id for li in listings if li.published_at and period.contains(aware(li.published_at))
        },
        "with_match": {p.organisation_id for p, m in participations if period.contains(aware(m.proposed_at))},
        "with_accepted_match": {
            p.organisation_id
            for p, m in participations
            if m.status == "accepted" and m.concluded_at and period.contains(aware(m.concluded_at))
        },
        "with_contract": {
            p.organisation_id
            for p, s in contracted
            if s.contractualised_at and period.contains(aware(s.contractualised_at))
        },
    }
    counts = {
        "contacted": sum(1 for p in prospects if period.contains(p.contacted_on)),
        "met": sum(1 for p in prospects if period.contains(p.met_on)),
        **{step: len(ids) for step, ids in reached.items()},
    }
    kind_of = {o.organisation_id: o.kind for o in orgs}
    steps = []
    previous: int | None = None
    for step in FUNNEL_STEPS:
        rate = round(counts[step] / previous, 3) if previous else None
        by_kind = Counter(kind_of.get(org, "other") for org in reached.get(step, ()))
        steps.append(
            {
                "step": step,
                "label": FUNNEL_LABELS[step],
                "count": counts[step],
                "rate_from_previous": rate,
                "by_kind": dict(sorted(by_kind.items())),
            }
        )
        previous = counts[step]
    return {
        "territory": {"id": territory.territory_id, "name": territory.name},
        "period": {"from": period.first.isoformat(), "to": period.last.isoformat()},
        "steps": steps,
    }
