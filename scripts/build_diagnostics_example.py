"""Write shared/data/diagnostics_bertranges.csv: the demo territory's organisations and flows
(shared/data/demo_bertranges.toml) as the diagnostics file an animateur would import (issue 17).

The organisations and their flows are the demo's (invented names, plausible communes, NAF codes and flows of
the CCLNB the seeds describe); each gets an invented SIRET with a valid key, an address at
@diagnostic.boucle.example (which no mail server answers) and a diagnostic date in 2026.

Run: .venv/bin/python scripts/build_diagnostics_example.py
"""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

from offers.diagnostics import COLUMNS
from offers.domain import siret_is_valid

from shared.nomenclatures import ORGANISATION_KINDS
from shared.units import FREQUENCY_LABELS, UNITS, normalise_unit

DATA = Path(__file__).resolve().parents[1] / "shared" / "data"
DIRECTIONS = {"offer": "sortant", "need": "entrant", "share": "partage", "pool": "mutualisation"}
# Two actors a diagnostic campaign meets beyond the demo's: the file then holds 31 organisations.
MORE = [
    {
        "key": "boulangerie-mazou",
        "name": "Boulangerie du Mazou",
        "kind": "company",
        "naf": "10.71C",
        "commune": "Murlin",
        "listings": [
            {"kind": "offer", "title": "Invendus de pain sec", "quantity": [80, "kg"], "frequency": "weekly"},
            {"kind": "need", "title": "Farine de blé locale", "quantity": [2, "t"], "frequency": "monthly"},
        ],
    },
    {
        "key": "garage-giry",
        "name": "Garage de Giry",
        "kind": "company",
        "naf": "45.20A",
        "commune": "Giry",
        "listings": [
            {"kind": "offer", "title": "Pneus usagés", "quantity": [60, "unit"], "frequency": "yearly"},
            {"kind": "pool", "title": "Collecte groupée des huiles de vidange"},
        ],
    },
]


def siret(n: int) -> str:
    """An invented SIRET (9000…: no such SIREN) whose last digit makes the Luhn key valid."""
    stem = f"9{n:07d}00001"
    return next(stem + str(last) for last in range(10) if siret_is_valid(stem + str(last)))


def main() -> None:
    demo = tomllib.loads((DATA / "demo_bertranges.toml").read_text(encoding="utf-8"))
    rows = []
    organisations = [*demo["organisations"], *MORE]
    for n, org in enumerate(organisations, start=1):
        base = {
            "organisation": org["name"],
            "siret": siret(n),
            "naf": org.get("naf", ""),
            "kind": ORGANISATION_KINDS[org["kind"]],
            "commune": org["commune"],
            "contact_name": (org.get("account") or {}).get("name", ""),
            "contact_email": f"{org['key']}@diagnostic.boucle.example",
            "diagnosed_on": f"{(n % 27) + 1:02d}/{(n % 9) + 2:02d}/2026",
        }
        for listing in org.get("listings", []):
            value, unit = listing.get("quantity", ["", ""])
            unit_label = UNITS[normalise_unit(unit) or unit][0] if unit else ""
            rows.append(
                {
                    **base,
                    "direction": DIRECTIONS[listing["kind"]],
                    "resource": listing["title"],
                    "quantity": str(value).replace(".", ","),
                    "unit": unit_label,
                    "frequency": FREQUENCY_LABELS.get(listing.get("frequency", ""), ""),
                    "private": "non",
                }
            )
    with (DATA / "diagnostics_bertranges.csv").open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow([column.header for column in COLUMNS])
        for row in rows:
            writer.writerow([row.get(column.key, "") for column in COLUMNS])
    print(f"{len(organisations)} organisations, {len(rows)} flux")


if __name__ == "__main__":
    main()
