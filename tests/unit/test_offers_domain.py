"""Rules of organisations and listings, without any framework."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from offers.domain import (
    RuleBroken,
    check_dates,
    check_ewc,
    check_naf,
    check_radius,
    check_siret,
    check_transition,
    expiry_reminder_due,
    renewed_expiry,
    siret_is_valid,
)

from shared.units import normalise_unit, quantity_text

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("siret", "valid"),
    [
        ("73282932000074", True),
        ("73282932000075", False),
        ("35600000000048", True),
        ("35600000000001", True),
        ("35600000000002", False),
        ("1234", False),
        ("7328293200007A", False),
    ],
)
def test_siret_checksum(siret: str, valid: bool) -> None:
    assert siret_is_valid(siret) is valid


def test_siret_spaces_are_accepted_and_errors_name_the_field() -> None:
    assert check_siret("732 829 320 00074") == "73282932000074"
    with pytest.raises(RuleBroken) as broken:
        check_siret("123")
    assert broken.value.field == "siret"


def test_codes_are_checked_against_the_official_lists() -> None:
    assert check_ewc("15 01 01") == "150101"
    assert check_ewc("160213*") == "160213"
    assert check_naf("3821z") == "38.21Z"
    for check, raw in ((check_ewc, "150199"), (check_naf, "38.21X")):
        with pytest.raises(RuleBroken):
            check(raw)


def test_default_expiry_is_six_months_and_dates_must_be_in_order() -> None:
    assert check_dates(None, None, TODAY) == (None, TODAY + timedelta(days=182))
    later = TODAY + timedelta(days=30)
    assert check_dates(later, None, TODAY) == (later, later + timedelta(days=182))
    with pytest.raises(RuleBroken, match="postérieure"):
        check_dates(None, TODAY, TODAY)
    with pytest.raises(RuleBroken) as broken:
        check_dates(TODAY + timedelta(days=20), TODAY + timedelta(days=10), TODAY)
    assert broken.value.field == "available_from"


def test_dates_more_than_two_years_ahead_are_refused() -> None:
    two_years = TODAY + timedelta(days=730)
    assert check_dates(None, two_years, TODAY) == (None, two_years)
    assert check_dates(two_years, None, TODAY) == (two_years, two_years + timedelta(days=182))
    for available_from, expires_at, field in (
        (None, date(9999, 12, 31), "expires_at"),
        (two_years + timedelta(days=1), None, "available_from"),
    ):
        with pytest.raises(RuleBroken, match="deux ans") as broken:
            check_dates(available_from, expires_at, TODAY)
        assert broken.value.field == field


def test_radius_bounds_and_lifecycle() -> None:
    assert check_radius(None) is None and check_radius(30) == 30
    for bad in (0, -5, 1001):
        with pytest.raises(RuleBroken):
            check_radius(bad)
    check_transition("active", "modifier")
    with pytest.raises(RuleBroken, match="annonce retirée"):
        check_transition("withdrawn", "modifier")


@pytest.mark.parametrize(
    ("status", "days_left", "already_reminded", "due"),
    [
        ("active", 20, False, False),  # not yet
        ("active", 14, False, True),  # the first day of the window
        ("active", 3, False, True),
        ("active", 0, False, True),  # expires tonight
        ("active", 3, True, False),  # reminded for this expiry date already
        ("active", -1, False, False),  # past: it expires instead
        ("withdrawn", 3, False, False),
        ("expired", 3, False, False),
    ],
)
def test_expiry_reminder_is_due_once_within_the_window(
    status: str, days_left: int, already_reminded: bool, due: bool
) -> None:
    expires_at = TODAY + timedelta(days=days_left)
    assert expiry_reminder_due(status, expires_at, TODAY, 14, already_reminded) is due


def test_renewal_gives_six_months_from_today_and_only_active_or_expired_listings_renew() -> None:
    assert renewed_expiry(TODAY + timedelta(days=5), None, TODAY) == TODAY + timedelta(days=182)
    assert renewed_expiry(TODAY - timedelta(days=40), None, TODAY) == TODAY + timedelta(days=182)  # expired
    available = TODAY + timedelta(days=30)  # not available yet: validity counts from availability
    assert renewed_expiry(TODAY + timedelta(days=60), available, TODAY) == available + timedelta(days=182)
    far = TODAY + timedelta(days=300)  # renewing never shortens a longer validity
    assert renewed_expiry(far, None, TODAY) == far
    check_transition("active", "renouveler")
    check_transition("expired", "renouveler")
    check_transition("paused", "renouveler")
    with pytest.raises(RuleBroken, match="publiez-en une nouvelle") as broken:
        check_transition("withdrawn", "renouveler")
    assert broken.value.field == "status"


@pytest.mark.parametrize(
    ("status", "action", "allowed"),
    [
        ("active", "mettre en pause", True),
        ("paused", "mettre en pause", False),
        ("paused", "reprendre", True),
        ("active", "reprendre", False),
        ("expired", "reprendre", False),
        ("paused", "modifier", True),
        ("paused", "retirer", True),
        ("expired", "mettre en pause", False),
        ("withdrawn", "reprendre", False),
    ],
)
def test_a_listing_is_paused_and_resumed_only_from_the_right_state(status: str, action: str, allowed: bool) -> None:
    if allowed:
        check_transition(status, action)
    else:
        with pytest.raises(RuleBroken, match=f"Impossible de {action} une annonce") as broken:
            check_transition(status, action)
        assert broken.value.field == "status"


def test_units_and_quantities_read_in_french() -> None:
    assert normalise_unit("m³") == "m3" and normalise_unit("KWh") == "kwh" and normalise_unit("barrel") is None
    assert quantity_text(1.5, "t", "monthly") == "1,5 t par mois"
    assert quantity_text(2300, "kg", "weekly", approximate=True) == "environ 2\u202f000 kg par semaine"
    assert quantity_text(12, "pallet") == "12 palettes"
    assert quantity_text(None, "t") is None
