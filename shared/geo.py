"""Offline geocoding of French communes (stdlib only).

The gazetteer is `shared/data/communes.csv.gz`, derived from the etalab
« découpage administratif » (INSEE codes, names, postcodes, EPCI) and GeoNames
`cities1000` (coordinates); see `shared/data/SOURCES.md` and
`scripts/build_communes.py`.

    >>> gz = Gazetteer.load()
    >>> gz.resolve(commune="nuits st georges").insee
    '21464'

Every error raised by `Gazetteer.resolve` is a `PlaceError` whose message is in
French and can be shown to the user as is.
"""

from __future__ import annotations

import bisect
import csv
import difflib
import gzip
import io
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DEFAULT_PATH = Path(__file__).parent / "data" / "communes.csv.gz"
EPCI_FILE = "epci.csv"  # beside the communes table: the EPCI names (same source, same script)
EPCI_KINDS = {
    "CC": "communauté de communes",
    "CA": "communauté d'agglomération",
    "CU": "communauté urbaine",
    "METRO": "métropole",
    "MET69": "métropole de Lyon",
}

# Paris, Lyon and Marseille are each one commune in the table (holding all their
# postcodes); the INSEE codes of their arrondissements municipaux, which SIRENE
# uses for establishments, resolve to the parent commune.
_ARRONDISSEMENTS = (
    ("751", range(1, 21), "75056"),  # 75101–75120 → Paris
    ("6938", range(1, 10), "69123"),  # 69381–69389 → Lyon
    ("132", range(1, 17), "13055"),  # 13201–13216 → Marseille
)
ARRONDISSEMENT_PARENT: dict[str, str] = {
    f"{prefix}{n:0{5 - len(prefix)}d}": parent for prefix, numbers, parent in _ARRONDISSEMENTS for n in numbers
}

_INSEE_RE = re.compile(r"^(?:\d{2}|2[AB])\d{3}$")
_POSTCODE_RE = re.compile(r"^\d{5}$")
# "Nuits-Saint-Georges (21)" / "Nuits-Saint-Georges (21700)"
_NAME_PAREN_RE = re.compile(r"^(?P<name>.*?)\s*\(\s*(?P<code>\d{5}|\d{2,3}|2[AaBb])\s*\)\s*$")
# "21700 Nuits-Saint-Georges" / "Nuits-Saint-Georges 21700"
_PC_NAME_RE = re.compile(r"^(?P<pc>\d{5})\s+(?P<name>\D.*)$")
_NAME_PC_RE = re.compile(r"^(?P<name>.*\D)\s+(?P<pc>\d{5})$")

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def normalise_name(name: str) -> str:
    """Comparison key of a place name.

    Case, accents, hyphens, apostrophes, dots and extra spaces are ignored and
    the abbreviations St/Ste/Sts/Stes are expanded:
    `"Nuits-St-Georges"` and `"nuits saint  georges"` → `"nuits saint georges"`.
    """
    text = name.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    # NFKD splits "é" into "e" + combining accent, which the ASCII encoding drops.
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in _NON_ALNUM.sub(" ", text).split())


def words_start(typed: list[str], words: list[str]) -> bool:
    """Every typed word is the start of one of `words` (both normalised: `normalise_name(…).split()`)."""
    return all(any(word.startswith(asked) for word in words) for asked in typed)


KM_PER_DEGREE = 111.2  # of latitude, everywhere; of longitude, times cos(latitude)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres (mean Earth radius 6371.0088 km)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True, slots=True)
class Place:
    """One commune (commune-actuelle of the Code officiel géographique)."""

    insee: str
    name: str
    postcodes: tuple[str, ...]
    departement: str
    epci: str | None
    lat: float
    lon: float
    # None: coordinates of the town itself (GeoNames). Otherwise how they were
    # estimated: "commune_deleguee" (a former commune merged into it),
    # "code_postal", "epci" or "departement" (mean of the towns sharing it).
    approximation: str | None

    def label(self) -> str:
        """`Nuits-Saint-Georges (21700)` – for messages and drop-downs."""
        return f"{self.name} ({', '.join(self.postcodes) if self.postcodes else self.departement})"


@dataclass(frozen=True, slots=True)
class Epci:
    """An établissement public de coopération intercommunale à fiscalité propre, by its SIREN."""

    siren: str
    name: str
    kind: str  # a key of EPCI_KINDS

    def label(self) -> str:
        """`CC de Gevrey-Chambertin et de Nuits-Saint-Georges (SIREN 200070894)` – what a form's field holds."""
        return f"{self.name} (SIREN {self.siren})"


_SIREN_IN_LABEL = re.compile(r"\(\s*(?:SIREN\s*)?(\d{9})\s*\)\s*$|^\s*(\d{9})\s*$")


class PlaceError(ValueError):
    """A place could not be resolved; the message is in French and user-facing."""


class PlaceNotFound(PlaceError):
    """No commune matches."""


class AmbiguousPlace(PlaceError):
    """Several communes match; `candidates` lists them, sorted by name."""

    def __init__(self, message: str, candidates: list[Place]):
        super().__init__(message)
        self.candidates = candidates


def _names(places: list[Place], limit: int = 10) -> str:
    shown = ", ".join(p.label() for p in places[:limit])
    return shown + (", …" if len(places) > limit else "")


class Gazetteer:
    """In-memory index of the communes table. Build it once with `load`."""

    def __init__(self, places: list[Place], epcis: list[Epci] | None = None):
        self._places = sorted(places, key=lambda p: p.insee)
        self._epcis = {e.siren: e for e in epcis or ()}
        self._epci_keys = dict(
            sorted(((e.siren, normalise_name(e.name).split()) for e in epcis or ()), key=lambda item: item[1])
        )  # by name, the order suggestions come in
        self._by_insee: dict[str, Place] = {}
        self._by_postcode: dict[str, list[Place]] = {}
        self._by_name: dict[str, list[Place]] = {}
        self._by_epci: dict[str, list[Place]] = {}
        self._key: dict[str, str] = {}  # INSEE code → normalised name
        for place in self._places:
            self._by_insee[place.insee] = place
            if place.epci:
                self._by_epci.setdefault(place.epci, []).append(place)
            self._key[place.insee] = key = normalise_name(place.name)
            for pc in place.postcodes:
                self._by_postcode.setdefault(pc, []).append(place)
            self._by_name.setdefault(key, []).append(place)
        for bucket in self._by_postcode.values():
            if len(bucket) > 1:
                bucket.sort(key=lambda p: (self._key[p.insee], p.insee))
        self._name_keys: list[str] | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        """Read a table written by `scripts/build_communes.py` (default: the shipped one)."""
        if path is None:
            return _default()
        with gzip.open(path, "rb") as f:
            text = f.read().decode("utf-8")
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader)
        expected = ["insee", "name", "postcodes", "departement", "epci", "lat", "lon", "approximation"]
        if header != expected:
            raise ValueError(f"{path}: unexpected header {header}")
        places = [
            Place(insee, name, tuple(postcodes.split()), dep, epci or None, float(lat), float(lon), approx or None)
            for insee, name, postcodes, dep, epci, lat, lon, approx in reader
        ]
        epci_path = path.parent / EPCI_FILE
        if not epci_path.exists():
            return cls(places)
        with open(epci_path, encoding="utf-8", newline="") as f:
            rows = csv.DictReader(f)
            return cls(places, [Epci(row["siren"], row["name"], row["kind"]) for row in rows])

    def __len__(self) -> int:
        return len(self._places)

    def places(self) -> tuple[Place, ...]:
        """Every commune, by INSEE code."""
        return tuple(self._places)

    def __iter__(self) -> Iterator[Place]:
        return iter(self._places)

    def by_insee(self, insee: str) -> Place | None:
        """The commune with this INSEE code (an arrondissement of Paris, Lyon or
        Marseille gives its city), or None."""
        code = insee.strip().upper()
        return self._by_insee.get(ARRONDISSEMENT_PARENT.get(code, code))

    def by_postcode(self, postcode: str) -> list[Place]:
        """The communes served by this postcode, sorted by name."""
        return list(self._by_postcode.get(postcode.strip(), ()))

    def by_epci(self, siren: str) -> list[Place]:
        """The communes of the EPCI with this SIREN, by INSEE code (none for an unknown SIREN)."""
        return list(self._by_epci.get(siren, ()))

    def epci(self, siren: str) -> Epci | None:
        """The EPCI with this SIREN, or None."""
        return self._epcis.get(siren.strip())

    def epci_named(self, text: str) -> Epci | None:
        """The EPCI a form's field designates: its label (`Nom (SIREN 200070894)`), its SIREN, or its exact name."""
        if (m := _SIREN_IN_LABEL.search(text)) is not None:
            return self.epci(m[1] or m[2])
        key = normalise_name(text).split()
        named = [siren for siren, words in self._epci_keys.items() if words == key]
        return self._epcis[named[0]] if len(named) == 1 else None

    def complete_epci(self, text: str, n: int = 10) -> list[Epci]:
        """Up to `n` EPCI for an autocompletion box: those whose name holds every word typed (each word a
        prefix of one of the name's), then those of the communes whose name starts with the text."""
        typed = normalise_name(text).split()
        if not typed:
            return []
        found = [siren for siren, words in self._epci_keys.items() if words_start(typed, words)]
        found += [place.epci for place in self.complete(text, n) if place.epci]
        return [self._epcis[siren] for siren in dict.fromkeys(found) if siren in self._epcis][:n]

    def by_name(self, name: str) -> list[Place]:
        """The communes whose normalised name equals that of `name`."""
        return list(self._by_name.get(normalise_name(name), ()))

    def suggestions(self, name: str, n: int = 3) -> list[Place]:
        """Up to `n` communes with a name close to `name` (difflib)."""
        if self._name_keys is None:
            self._name_keys = sorted(self._by_name)
        close = difflib.get_close_matches(normalise_name(name), self._name_keys, n=n, cutoff=0.75)
        return [p for key in close for p in self._by_name[key]][:n]

    def complete(self, text: str, n: int = 10) -> list[Place]:
        """Up to `n` communes for an autocompletion box: the name typed so far (the exact name
        first, then alphabetical), or the first digits of a postcode."""
        digits = text.strip().replace(" ", "")
        if digits.isdigit():
            codes = sorted(pc for pc in self._by_postcode if pc.startswith(digits))
            return list(dict.fromkeys(p for pc in codes for p in self._by_postcode[pc]))[:n]
        key = normalise_name(text)
        if not key:
            return []
        if self._name_keys is None:
            self._name_keys = sorted(self._by_name)
        found: list[Place] = []
        for name in self._name_keys[bisect.bisect_left(self._name_keys, key) :]:
            if not name.startswith(key) or len(found) >= n:
                break
            found += self._by_name[name]
        return found[:n]

    def resolve(self, commune: str | None = None, postcode: str | None = None, insee: str | None = None) -> Place:
        """The single commune designated by an INSEE code, a postcode, a name, or
        a name and a postcode. Raises `PlaceNotFound` or `AmbiguousPlace`.

        `commune` may also carry the postcode or département itself:
        "21700 Nuits-Saint-Georges", "Nuits-Saint-Georges 21700",
        "Nuits-Saint-Georges (21700)" or "Nuits-Saint-Georges (21)".
        """
        commune = (commune or "").strip() or None
        postcode = (postcode or "").strip().replace(" ", "") or None
        insee = (insee or "").strip().upper() or None

        if insee is not None:
            if not _INSEE_RE.match(insee):
                raise PlaceNotFound(
                    f"« {insee} » n'est pas un code INSEE de commune (5 caractères, par exemple 21464 ou 2A004)."
                )
            place = self.by_insee(insee)
            if place is None:
                raise PlaceNotFound(f"Aucune commune n'a le code INSEE {insee}.")
            return place

        departement = None
        if commune is not None:
            commune, postcode, departement = _split_commune(commune, postcode)

        if postcode is not None and not _POSTCODE_RE.match(postcode):
            raise PlaceNotFound(f"« {postcode} » n'est pas un code postal (5 chiffres).")

        if commune is None and postcode is None:
            raise PlaceNotFound("Indiquez une commune, un code postal ou un code INSEE.")

        if commune is None:
            assert postcode is not None
            candidates = self.by_postcode(postcode)
            if not candidates:
                raise PlaceNotFound(f"Aucune commune n'a le code postal {postcode}.")
            if len(candidates) > 1:
                shown = ", ".join(p.name for p in candidates[:15])
                raise AmbiguousPlace(
                    f"Le code postal {postcode} correspond à {len(candidates)} communes : "
                    f"{shown}{', …' if len(candidates) > 15 else ''} ; précisez la commune.",
                    candidates,
                )
            return candidates[0]

        key = normalise_name(commune)
        if not key:
            raise PlaceNotFound(f"« {commune} » n'est pas un nom de commune.")

        if postcode is not None:
            in_postcode = self.by_postcode(postcode)
            if not in_postcode:
                raise PlaceNotFound(f"Aucune commune n'a le code postal {postcode}.")
            matches = [p for p in in_postcode if self._key[p.insee] == key]
            if not matches:
                raise PlaceNotFound(
                    f"Aucune commune nommée « {commune} » n'a le code postal {postcode} "
                    f"(ce code postal correspond à : {_names(in_postcode)})."
                )
            if len(matches) > 1:  # not in the current data, but cheap to handle
                raise AmbiguousPlace(
                    f"Plusieurs communes nommées « {commune} » ont le code postal {postcode} : "
                    f"{_names(matches)} ; précisez le code INSEE.",
                    matches,
                )
            return matches[0]

        matches = list(self._by_name.get(key, ()))
        if departement is not None:
            matches = [p for p in matches if p.departement == departement]
        if not matches:
            where = f" dans le département {departement}" if departement else ""
            message = f"Aucune commune nommée « {commune} »{where}."
            close = self.suggestions(commune)
            if departement is not None:
                close = [p for p in close if p.departement == departement] or close
            if close:
                message += f" Vouliez-vous dire : {_names(close)} ?"
            raise PlaceNotFound(message)
        if len(matches) > 1:
            raise AmbiguousPlace(
                f"{len(matches)} communes s'appellent « {commune} » : {_names(matches)} ; précisez le code postal.",
                matches,
            )
        return matches[0]


def _split_commune(given: str, postcode: str | None) -> tuple[str | None, str | None, str | None]:
    """Pull a postcode or département code out of the commune field, when present."""
    commune: str | None = given
    departement = None
    if (m := _NAME_PAREN_RE.match(given)) is not None:
        commune, code = m["name"], m["code"].upper()
        if len(code) == 5:
            postcode = postcode or code
        else:
            departement = code.zfill(2)
    elif (m := _PC_NAME_RE.match(given) or _NAME_PC_RE.match(given)) is not None:
        commune, postcode = m["name"], postcode or m["pc"]
    elif _POSTCODE_RE.match(given.replace(" ", "")):
        commune, postcode = None, postcode or given.replace(" ", "")
    return (commune.strip() or None) if commune else None, postcode, departement


@cache
def _default() -> Gazetteer:
    return Gazetteer.load(DEFAULT_PATH)
