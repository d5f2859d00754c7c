"""In-memory indexes: (taxonomy key, kind) → spatial grid → listings; words → unplaced listings.

A new listing is compared only with listings under the keys it can match, in the grid
cells its radius reaches: never with every listing.
"""

from __future__ import annotations

import math
from collections import defaultdict

from matching.engine.profile import Profile

CELL_DEG = 0.5  # about 55 km of latitude
KM_PER_DEG_LAT = 111.2


def cell_of(lat: float, lon: float) -> tuple[int, int]:
    return math.floor(lat / CELL_DEG), math.floor(lon / CELL_DEG)


def cells_within(lat: float, lon: float, radius_km: float) -> list[tuple[int, int]]:
    dlat = radius_km / KM_PER_DEG_LAT
    dlon = dlat / max(math.cos(math.radians(lat)), 0.05)
    i0, j0 = cell_of(lat - dlat, lon - dlon)
    i1, j1 = cell_of(lat + dlat, lon + dlon)
    return [(i, j) for i in range(i0, i1 + 1) for j in range(j0, j1 + 1)]


def index_keys(profile: Profile) -> list[str]:
    """Keys a listing is filed under: the nodes it names (even within longer phrases) and their families."""
    return [*dict.fromkeys((*profile.nodes, *profile.mentioned)), *(f"family:{f}" for f in profile.families)]


class ListingIndex:
    """Active listings by taxonomy key, kind and grid cell; unplaced ones also by word."""

    def __init__(self) -> None:
        self.profiles: dict[str, Profile] = {}
        self._grid: dict[tuple[str, str], dict[tuple[int, int], set[str]]] = defaultdict(lambda: defaultdict(set))
        self._unplaced_words: dict[tuple[str, str], set[str]] = defaultdict(set)  # (word, kind) → ids
        self._all_words: dict[tuple[str, str], set[str]] = defaultdict(set)

    def __len__(self) -> int:
        return len(self.profiles)

    def add(self, profile: Profile) -> None:
        self.remove(profile.id)
        self.profiles[profile.id] = profile
        kind = profile.listing.kind
        if profile.listing.lat is not None and profile.listing.lon is not None:
            cell = cell_of(profile.listing.lat, profile.listing.lon)
            for key in index_keys(profile):
                self._grid[(key, kind)][cell].add(profile.id)
        for word in profile.words:
            self._all_words[(word, kind)].add(profile.id)
            if not profile.placed:
                self._unplaced_words[(word, kind)].add(profile.id)

    def remove(self, listing_id: str) -> Profile | None:
        profile = self.profiles.pop(listing_id, None)
        if profile is None:
            return None
        kind = profile.listing.kind
        if profile.listing.lat is not None and profile.listing.lon is not None:
            cell = cell_of(profile.listing.lat, profile.listing.lon)
            for key in index_keys(profile):
                self._grid[(key, kind)][cell].discard(listing_id)
        for word in profile.words:
            self._all_words[(word, kind)].discard(listing_id)
            self._unplaced_words[(word, kind)].discard(listing_id)
        return profile

    def near(self, keys: set[str], kind: str, lat: float, lon: float, radius_km: float) -> set[str]:
        """Listings of `kind` filed under any of `keys` in the cells a circle reaches."""
        found: set[str] = set()
        cells = cells_within(lat, lon, radius_km)
        for key in keys:
            grid = self._grid.get((key, kind))
            if grid:
                for cell in cells:
                    found |= grid.get(cell, set())
        return found

    def sharing_words(self, words: frozenset[str], kind: str, *, unplaced_only: bool) -> set[str]:
        index = self._unplaced_words if unplaced_only else self._all_words
        found: set[str] = set()
        for word in words:
            found |= index.get((word, kind), set())
        return found
