"""The dashboard's exports: the synergies as CSV for a spreadsheet, the printable report as PDF.

CSV: UTF-8 with a byte-order mark and `;` between fields, as French Excel opens it without an
import dialog; numbers with a decimal comma and no thousands separator, so they stay numbers.
Only synergies are exported (their parties accepted each other, or the animateur named them in
a piste): no listing, and so no quantity of an organisation that was not matched.

PDF: the HTML of the printable report rendered by WeasyPrint, which fetches nothing from outside
(every figure, chart and the map are inline).
"""

from __future__ import annotations

import csv
import io

from reporting import display
from reporting import indicators as ind
from reporting.dashboard import SYNERGY_FIGURES, Dashboard

CSV_HEADER = (
    "Synergie",
    "Type",
    "Étape actuelle",
    "Parties",
    "Ouverte le",
    *(ind.LABELS_FR[name] for name in SYNERGY_FIGURES),
)


def synergies_csv(dash: Dashboard) -> bytes:
    """One row per synergy with its figures for the period, then the totals of the territory."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in dash.synergies:
        writer.writerow(
            [
                display.csv_text(row.resource),
                row.type_label,
                row.stage_label,
                display.csv_text(", ".join(row.parties)),
                display.day(row.opened_on),
                *(display.csv_number(getattr(row.figures, name)) for name in SYNERGY_FIGURES),
            ]
        )
    period = f"Total du {display.day(dash.period.first)} au {display.day(dash.period.last)}"
    writer.writerow(
        [period, "", "", "", "", *(display.csv_number(getattr(dash.current, name)) for name in SYNERGY_FIGURES)]
    )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def pdf(html: str) -> bytes:
    """The report's HTML as a PDF; external resources are refused (there are none to fetch)."""
    from weasyprint import HTML  # heavy import, only for this route
    from weasyprint.urls import URLFetcher

    pdf: bytes = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",))).write_pdf()
    return pdf
