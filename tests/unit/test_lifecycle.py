"""The synergy lifecycle rules: which moves are allowed, which event each publishes, who may act."""

from __future__ import annotations

import pytest
from reporting.lifecycle import LifecycleError, check_move, event_type_for, may_act, next_stages


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("detected", "studied"),
        ("studied", "contractualised"),
        ("contractualised", "operating"),
        ("operating", "ended"),
        ("detected", "contractualised"),
        ("detected", "operating"),
    ],
)
def test_forward_moves_are_allowed_even_skipping_stages(current: str, target: str) -> None:
    check_move(current, target, None)


@pytest.mark.parametrize("current", ["detected", "studied", "contractualised", "operating"])
def test_any_open_synergy_can_be_abandoned_with_a_reason(current: str) -> None:
    check_move(current, "abandoned", "economic")


@pytest.mark.parametrize(
    ("current", "target", "reason", "field"),
    [
        ("studied", "detected", None, "stage"),  # no going back
        ("operating", "contractualised", None, "stage"),
        ("studied", "ended", None, "stage"),  # ends only after operating
        ("ended", "operating", None, "stage"),  # final
        ("abandoned", "studied", None, "stage"),
        ("studied", "studied", None, "stage"),  # no-op
        ("studied", "flying", None, "stage"),  # unknown
        ("studied", "abandoned", None, "reason"),  # abandon needs a reason…
        ("studied", "abandoned", "boredom", "reason"),  # …from the list
        ("studied", "operating", "economic", "reason"),  # a reason only for an abandon
    ],
)
def test_forbidden_moves_name_the_field_at_fault(current: str, target: str, reason: str | None, field: str) -> None:
    with pytest.raises(LifecycleError) as caught:
        check_move(current, target, reason)
    assert caught.value.field == field
    assert caught.value.message  # French, shown to the user


def test_contract_and_end_have_their_own_events() -> None:
    assert event_type_for("contractualised") == "synergy.contractualised"
    assert event_type_for("ended") == event_type_for("abandoned") == "synergy.ended"
    assert event_type_for("studied") == event_type_for("operating") == "synergy.stage_changed"


def test_only_parties_and_the_territory_animateur_may_act() -> None:
    assert may_act("a", ["a", "b"], [])
    assert may_act("cc", ["a", "b"], ["cc"])
    assert not may_act("c", ["a", "b"], ["cc"])


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        ("detected", ["studied", "contractualised", "operating", "abandoned"]),
        ("contractualised", ["operating", "abandoned"]),
        ("operating", ["ended", "abandoned"]),  # it ends only once it has operated
        ("ended", []),
        ("abandoned", []),
    ],
)
def test_next_stages_are_the_moves_the_lifecycle_allows(current: str, expected: list[str]) -> None:
    assert next_stages(current) == expected
