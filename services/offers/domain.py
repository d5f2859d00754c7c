"""Rules of organisations and listings, free of any framework.

Raised errors are `RuleBroken(field, message)`: the adapters turn them into a 4xx that
names the field, with the French message as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from shared.nomenclatures import (
    LISTING_TERMS,
    MONTHS,
    TRANSPORT_BY,
    TRANSPORT_MEANS,
    WASTE_STATUSES,
    WEEKDAYS,
    activity_codes,
    normalise_ewc,
    normalise_naf,
    waste_codes,
)
from shared.nomenclatures import (
    ORGANISATION_KINDS as KIND_LABELS,
)
from shared.units import FREQUENCY_LABELS, RATE_UNITS, UNITS

ORGANISATION_KINDS = tuple(KIND_LABELS)
LISTING_KINDS = ("offer", "need", "share", "pool")
FREQUENCIES = ("once", "daily", "weekly", "monthly", "yearly", "continuous", "seasonal")
# Qualities a listing may state: (lowest, highest, French name with its unit).
QUALITIES = {
    "temperature_c": (-60.0, 1500.0, "La température (°C)"),
    "pressure_bar": (0.0, 400.0, "La pression (bar)"),
    "purity_percent": (0.0, 100.0, "La pureté (%)"),
    "moisture_percent": (0.0, 100.0, "L'humidité (%)"),
}
# "draft": a flow of an imported diagnostic, published held (matched, its proposals shown to the animateur only)
# until its organisation confirms it.
LISTING_STATUSES = ("draft", "active", "paused", "withdrawn", "expired")
LIVE_STATUSES = ("draft", "active", "paused")  # not closed: matching knows it, it may come back on line
STATUS_LABELS = {
    "draft": "à confirmer",
    "active": "en ligne",
    "paused": "en pause",
    "withdrawn": "retirée",
    "expired": "expirée",
}
# What each action needs: a paused listing is out of matching but can still be edited, renewed or closed.
ALLOWED_FROM = {
    "modifier": ("active", "paused"),
    "retirer": ("active", "paused"),
    "mettre en pause": ("active",),
    "reprendre": ("paused",),
    "renouveler": ("active", "paused", "expired"),
}

# Data must stay fresh (seed method: refresh every year or two): a listing not renewed
# within its validity expires.
DEFAULT_VALIDITY = timedelta(days=182)
# A withdrawn or expired listing is deleted this long after its last change (RGPD, issue 18): its owner could still
# renew it until then; the synergies it led to keep their own records.
CLOSED_LISTING_RETENTION = timedelta(days=3 * 365)
# Dates further ahead are refused: a bourse's data go stale within a year or two (the method guides
# ask for a refresh that often), so a listing is renewed rather than posted for ever.
MAX_AHEAD = timedelta(days=730)
MAX_RADIUS_KM = 1000.0


@dataclass
class RuleBroken(Exception):
    """An input that breaks a rule; `field` names it, `message` says why, in French. `others`: further
    rules the same input breaks, so that a form shows every error at once."""

    field: str
    message: str
    others: tuple[RuleBroken, ...] = ()

    @classmethod
    def all_of(cls, problems: list[RuleBroken]) -> RuleBroken | None:
        """One exception carrying every problem (None when there is none)."""
        return RuleBroken(problems[0].field, problems[0].message, tuple(problems[1:])) if problems else None

    def each(self) -> tuple[RuleBroken, ...]:
        return (self, *self.others)


def siret_is_valid(siret: str) -> bool:
    """14 digits passing the Luhn check (La Poste's establishments may use a digit sum multiple of 5)."""
    if not re.fullmatch(r"\d{14}", siret):
        return False
    if siret.startswith("356000000") and sum(int(d) for d in siret) % 5 == 0:
        return True
    total = 0
    for i, digit in enumerate(int(d) for d in reversed(siret)):
        doubled = digit * 2 if i % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def check_siret(raw: str) -> str:
    """The SIRET without spaces, or RuleBroken."""
    siret = re.sub(r"\s", "", raw)
    if not siret_is_valid(siret):
        raise RuleBroken("siret", f"SIRET « {raw} » invalide : 14 chiffres attendus, avec une clé de contrôle juste.")
    return siret


def check_naf(raw: str) -> str:
    """The NAF rév. 2 code in its dotted form (`38.21Z`), or RuleBroken."""
    code = normalise_naf(raw)
    if code not in activity_codes():
        raise RuleBroken("naf_code", f"Code NAF « {raw} » inconnu de la nomenclature NAF rév. 2 (ex. : 38.21Z).")
    return code


def check_ewc(raw: str) -> str:
    """The 6-digit code of the European List of Waste, or RuleBroken."""
    code = normalise_ewc(raw)
    if code not in waste_codes():
        raise RuleBroken(
            "ewc_code",
            f"Code déchet « {raw} » absent de la nomenclature européenne des déchets (6 chiffres, ex. : 15 01 01).",
        )
    return code


def code_of(field: str, raw: str | None, choices: dict[str, str], unknown: str) -> str | None:
    """The code of one of `choices` (its French label is accepted too), or RuleBroken saying `unknown` (with
    `{raw}` and `{choices}`); None when nothing is said."""
    if raw is None or raw.strip() == "":
        return None
    for code, label in choices.items():
        if raw.strip().lower() in (code, label):
            return code
    listed = ", ".join(f"« {code} » ({label})" for code, label in choices.items())
    raise RuleBroken(field, unknown.format(raw=raw, choices=listed))


def check_terms(raw: str | None) -> str | None:
    """One of LISTING_TERMS; None: not said."""
    return code_of("terms", raw, LISTING_TERMS, "Conditions « {raw} » inconnues : {choices}.")


def check_transport(by: str | None, means: str | None) -> tuple[str | None, str | None]:
    """Who carries (TRANSPORT_BY) and with what (TRANSPORT_MEANS); None: not said."""
    return (
        code_of("transport_by", by, TRANSPORT_BY, "Transport « {raw} » inconnu : {choices}."),
        code_of("transport_means", means, TRANSPORT_MEANS, "Véhicule « {raw} » inconnu : {choices}."),
    )


def check_calendar(days: list[str] | None, months: list[int] | None) -> tuple[list[str], list[int]]:
    """Days of the week (WEEKDAYS codes, or their French names) and months (1 to 12), each once, in order; empty:
    any. RuleBroken names the field."""
    codes = []
    for raw in days or []:
        code = code_of("days", raw, WEEKDAYS, "Jour « {raw} » inconnu : {choices}.")
        if code is not None and code not in codes:
            codes.append(code)
    wrong = [m for m in months or [] if m not in MONTHS]
    if wrong:
        raise RuleBroken("months", f"Mois « {wrong[0]} » inconnu : de 1 (janvier) à 12 (décembre).")
    return sorted(codes, key=list(WEEKDAYS).index), sorted(set(months or []))


def check_waste_status(raw: str | None) -> str | None:
    """One of WASTE_STATUSES; None: not declared."""
    return code_of("waste_status", raw, WASTE_STATUSES, "Statut « {raw} » inconnu : {choices}.")


def check_abp_category(raw: int | str | None) -> int | None:
    """1, 2 or 3 (Regulation (EC) 1069/2009), or RuleBroken; None: not an animal by-product, or not declared."""
    if raw is None or raw == "":
        return None
    if str(raw).strip() in ("1", "2", "3"):
        return int(str(raw).strip())
    raise RuleBroken(
        "abp_category",
        f"Catégorie de sous-produits animaux « {raw} » inconnue : 1, 2 ou 3 (règlement (CE) n° 1069/2009).",
    )


def check_flow(unit: str | None, frequency: str | None) -> None:
    """A rate (kW, m³/h…) runs continuously or over a season; « en continu » needs a rate."""
    if unit in RATE_UNITS and frequency not in (None, "continuous", "seasonal"):
        raise RuleBroken(
            "frequency",
            f"Un débit en {UNITS[unit][0]} court en continu ou sur une saison, pas "
            f"« {FREQUENCY_LABELS.get(frequency or '', frequency)} » : choisissez « en "
            "continu » ou « par saison », ou donnez une quantité (kWh, m³, t…).",
        )
    if frequency == "continuous" and unit not in RATE_UNITS:
        raise RuleBroken("frequency", "« En continu » va avec un débit : kW, MW, m³/h ou t/h.")


def check_quality(name: str, value: float | None) -> float | None:
    """A quality within its physical range (QUALITIES), or RuleBroken naming it."""
    low, high, label = QUALITIES[name]
    if value is not None and not low <= value <= high:
        raise RuleBroken(name, f"{label} doit être comprise entre {low:g} et {high:g}.")
    return value


def check_dates(available_from: date | None, expires_at: date | None, today: date) -> tuple[date | None, date]:
    """Validity of a listing: expiry after today and after the availability date, neither over two years ahead."""
    if available_from is not None and available_from > today + MAX_AHEAD:
        raise RuleBroken(
            "available_from",
            "La date de disponibilité ne peut dépasser deux ans à partir "
            "d'aujourd'hui ; publiez l'annonce plus près de l'échéance.",
        )
    expiry = expires_at or max(today, available_from or today) + DEFAULT_VALIDITY
    if expires_at is not None and expires_at <= today:
        raise RuleBroken("expires_at", "La date d'expiration doit être postérieure à aujourd'hui.")
    if expires_at is not None and expires_at > today + MAX_AHEAD:
        raise RuleBroken(
            "expires_at",
            "La date d'expiration ne peut dépasser deux ans à partir d'aujourd'hui ; "
            "renouvelez l'annonce à son échéance.",
        )
    if available_from is not None and available_from > expiry:
        raise RuleBroken("available_from", "La date de disponibilité doit précéder la date d'expiration.")
    return available_from, expiry


def check_radius(radius_km: float | None) -> float | None:
    """A radius in (0, 1000] km, or None for the resource's default."""
    if radius_km is not None and not 0 < radius_km <= MAX_RADIUS_KM:
        raise RuleBroken("radius_km", f"Le rayon doit être compris entre 0 et {MAX_RADIUS_KM:g} km.")
    return radius_km


def renewed_expiry(expires_at: date, available_from: date | None, today: date) -> date:
    """A renewal gives a fresh validity from today (or availability); it never shortens a longer one."""
    return max(expires_at, max(today, available_from or today) + DEFAULT_VALIDITY)


def expiry_reminder_due(status: str, expires_at: date, today: date, days: int, already_reminded: bool) -> bool:
    """Remind once per validity period: an active listing expiring within `days`, not yet reminded for that date."""
    return status == "active" and today <= expires_at <= today + timedelta(days=days) and not already_reminded


def check_transition(status: str, action: str) -> None:
    """`action` (a French verb, as in ALLOWED_FROM) is allowed from `status`, or RuleBroken."""
    if status in ALLOWED_FROM[action]:
        return
    if status == "withdrawn" and action == "renouveler":
        raise RuleBroken("status", "Impossible de renouveler une annonce retirée : publiez-en une nouvelle.")
    raise RuleBroken("status", f"Impossible de {action} une annonce {STATUS_LABELS.get(status, status)}.")
