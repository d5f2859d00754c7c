"""Units a quantity may be given in, and how a quantity reads once anonymised."""

from __future__ import annotations

import math

# unit code → French label (singular, plural)
UNITS: dict[str, tuple[str, str]] = {
    "kg": ("kg", "kg"),
    "t": ("t", "t"),
    "l": ("L", "L"),
    "hl": ("hL", "hL"),  # the unit of wine, lees and must
    "m3": ("m³", "m³"),
    "m2": ("m²", "m²"),
    "kwh": ("kWh", "kWh"),
    "mwh": ("MWh", "MWh"),
    "unit": ("unité", "unités"),
    "pallet": ("palette", "palettes"),
    "bale": ("botte", "bottes"),  # straw, hay: a bale as it is sold
    "meal": ("repas", "repas"),
    "animal_place": ("place animale", "places animales"),
    "hour": ("heure", "heures"),
    "day": ("jour", "jours"),
    "nm3": ("Nm³", "Nm³"),  # a gas at normal conditions
    # Rates: a continuous flow as industry states it (heat, steam, water, gas, bulk matter).
    "kw": ("kW", "kW"),
    "mw": ("MW", "MW"),
    "m3h": ("m³/h", "m³/h"),
    "th": ("t/h", "t/h"),
}
RATE_UNITS = frozenset({"kw", "mw", "m3h", "th"})
ALIASES = {
    "m3/h": "m3h",
    "t/h": "th",
    "nm3/h": "m3h",
    "kwth": "kw",
    "mwth": "mw",
    "hectolitre": "hl",
    "hectolitres": "hl",
    "botte": "bale",
    "bottes": "bale",
    "balle": "bale",
    "balles": "bale",
    "repas": "meal",
    "couvert": "meal",
    "couverts": "meal",
    "place": "animal_place",
    "places": "animal_place",
}

FREQUENCY_LABELS = {
    "once": "en une fois",
    "daily": "par jour",
    "weekly": "par semaine",
    "monthly": "par mois",
    "yearly": "par an",
    "continuous": "en continu",
    "seasonal": "par saison",
}
# A rate runs this many hours a year: all year round, or over a season (about six months).
RATE_HOURS_PER_YEAR = {None: 8760.0, "continuous": 8760.0, "seasonal": 4380.0}


def normalise_unit(raw: str) -> str | None:
    """The unit code for `raw` (case-insensitive, `m³`/`L`/`kWh` accepted), or None."""
    code = raw.strip().lower().replace("³", "3").replace("²", "2").replace(" ", "")
    code = ALIASES.get(code, code)
    return code if code in UNITS else None


def format_number(value: float) -> str:
    """French number format: thousands separated by a narrow space, decimal comma."""
    if value == int(value):
        return f"{int(value):,}".replace(",", "\u202f")
    return f"{value:,.1f}".replace(",", "\u202f").replace(".", ",")


def quantity_text(
    value: float | None, unit: str | None, frequency: str | None = None, *, approximate: bool = False
) -> str | None:
    """`2 t par mois`; with `approximate`, one significant figure: `environ 2 000 kg`."""
    if value is None or unit is None or unit not in UNITS:
        return None
    shown = value
    if approximate and value > 0:
        magnitude = 10 ** math.floor(math.log10(value))
        shown = round(value / magnitude) * magnitude
    singular, plural = UNITS[unit]
    # French puts the unit in the plural from 2 on: « 1,5 jour », « 2 jours ».
    text = f"{format_number(shown)} {singular if shown < 2 else plural}"
    if approximate:
        text = f"environ {text}"
    if frequency in FREQUENCY_LABELS and frequency != "once":
        text = f"{text} {FREQUENCY_LABELS[frequency]}"
    return text
