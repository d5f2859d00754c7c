"""How figures read in the dashboard, the printable report and the CSV export (French).

The one place where reporting rounds and formats: the domain (`indicators`) never rounds, the
templates and the export call these. Pure Python; numbers go through `shared.units.format_number`
(narrow no-break space between thousands, decimal comma).
"""

from __future__ import annotations

import math
from datetime import date

from shared.units import format_number

MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
MONTHS_SHORT_FR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
NARROW_NBSP = "\u202f"


def number(value: float | None, decimals: int = 1) -> str:
    """`12 960`, `13,9`, `−4,6`; « — » for no value. Rounded to `decimals` (at most one shown)."""
    if value is None or not math.isfinite(value):
        return "—"
    rounded = round(value, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    text = format_number(rounded)
    return text.replace("-", "−")  # the minus sign, not a hyphen


def percent(value: float | None) -> str:
    """`12,5 %` (narrow no-break space before the sign); « — » when there is nothing to compare with."""
    if value is None:
        return "—"
    return f"{number(value)}{NARROW_NBSP}%"


def trend(percent_change: float | None, difference: float) -> dict[str, str]:
    """Arrow, short text and a sentence for screen readers, for a change against the previous period.

    `percent_change` is None when the previous figure was 0 (METHODOLOGY.md §5): shown as « — ».
    """
    if percent_change is None:
        if difference == 0:
            return {
                "arrow": "=",
                "text": "inchangé",
                "direction": "flat",
                "sentence": "inchangé par rapport à la période précédente",
            }
        return {
            "arrow": "—",
            "text": "nouveau",
            "direction": "new",
            "sentence": "rien à comparer : la période précédente était à zéro",
        }
    if difference > 0:
        return {
            "arrow": "▲",
            "text": f"+{percent(percent_change)}",
            "direction": "up",
            "sentence": f"en hausse de {percent(percent_change)} par rapport à la période précédente",
        }
    if difference < 0:
        return {
            "arrow": "▼",
            "text": percent(percent_change),
            "direction": "down",
            "sentence": f"en baisse de {percent(abs(percent_change))} par rapport à la période précédente",
        }
    return {
        "arrow": "=",
        "text": percent(0.0),
        "direction": "flat",
        "sentence": "inchangé par rapport à la période précédente",
    }


def day(value: date | None) -> str:
    """`12/03/2025`; « — » for no date."""
    return "—" if value is None else value.strftime("%d/%m/%Y")


def long_day(value: date) -> str:
    """`1er janvier 2025`."""
    first = "1er" if value.day == 1 else str(value.day)
    return f"{first} {MONTHS_FR[value.month - 1]} {value.year}"


def month(value: date, *, short: bool = False) -> str:
    """`janvier 2025`, or `janv.` with `short`."""
    return MONTHS_SHORT_FR[value.month - 1] if short else f"{MONTHS_FR[value.month - 1]} {value.year}"


def csv_number(value: float | None) -> str:
    """A number French spreadsheets read as a number: no thousands separator, decimal comma, 3 decimals at most."""
    if value is None or not math.isfinite(value):
        return ""
    text = f"{round(value, 3) + 0.0:.3f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def csv_text(value: str | None) -> str:
    """User text in a CSV cell, kept from being read as a formula by a spreadsheet (=, +, -, @)."""
    text = value or ""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
