"""First matching rule, pure: complementary kinds, same resource, within both radii.

A supply (offer, share) meets a demand (need, pool) when they name the same normalised
category or the same EWC code and each lies within the other's radius. The full engine
(knowledge base, free text, quantities, pooling) replaces this module's rule.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from shared.units import format_number

COMPLEMENT = {"offer": "need", "need": "offer", "share": "pool", "pool": "share"}
SUPPLY_KINDS = ("offer", "share")
DEFAULT_RADIUS_KM = 50.0
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Candidate:
    """What the rule needs to know of a listing."""

    listing_id: str
    organisation_id: str
    kind: str
    category: str | None
    ewc_code: str | None
    lat: float | None
    lon: float | None
    radius_km: float | None


@dataclass(frozen=True)
class Fit:
    """Why two listings match, and how well."""

    distance_km: float
    score: float
    shared_on: str  # "ewc" or "category"


def normalise_category(raw: str | None) -> str | None:
    """Lower case, no accents, no punctuation, simple plurals folded: `Chutes de Cartons` → `chute de carton`."""
    if not raw:
        return None
    text = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", text)
    folded = [w[:-1] if len(w) > 3 and w[-1] in "sx" else w for w in words]
    return " ".join(folded) or None


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def radius_of(listing: Candidate) -> float:
    return listing.radius_km or DEFAULT_RADIUS_KM


def fit(a: Candidate, b: Candidate) -> Fit | None:
    """The fit of two listings under the first rule, or None when they do not match."""
    if COMPLEMENT.get(a.kind) != b.kind or a.organisation_id == b.organisation_id:
        return None
    if a.ewc_code and a.ewc_code == b.ewc_code:
        shared_on = "ewc"
    elif a.category and a.category == b.category:
        shared_on = "category"
    else:
        return None
    if None in (a.lat, a.lon, b.lat, b.lon):
        return None
    distance = haversine_km(a.lat, a.lon, b.lat, b.lon)  # type: ignore[arg-type]
    limit = min(radius_of(a), radius_of(b))
    if distance > limit:
        return None
    score = round(0.5 + 0.5 * (1 - distance / limit), 3) if limit else 1.0
    return Fit(distance_km=round(distance, 1), score=score, shared_on=shared_on)


def supply_and_demand(a: Candidate, b: Candidate) -> tuple[Candidate, Candidate]:
    return (a, b) if a.kind in SUPPLY_KINDS else (b, a)


def explain(supply_title: str, demand_title: str, fit: Fit, demand_commune: str | None) -> str:
    """One French sentence a company boss understands."""
    where = f" à {format_number(fit.distance_km)} km" + (f" ({demand_commune})" if demand_commune else "")
    basis = "le même code déchet" if fit.shared_on == "ewc" else "la même catégorie de ressource"
    return (f"« {supply_title} » peut répondre à « {demand_title} »{where} : "
            f"les deux annonces portent sur {basis}.")


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) enclosing a circle: a cheap index pre-filter."""
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
