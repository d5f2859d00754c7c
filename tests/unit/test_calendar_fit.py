"""When a supply is available and a demand wanted (issue 21, point 3): never at the same time, never proposed."""

from __future__ import annotations

import pytest
from matching.engine.fit import calendars_clash
from matching.engine.model import ListingInput


def listing(kind: str, days: str | None = None, months: str | None = None) -> ListingInput:
    return ListingInput(
        listing_id=kind,
        organisation_id=kind,
        kind=kind,
        title="Broyeur",
        days=days,  # type: ignore[arg-type]
        months=months,
    )


@pytest.mark.parametrize(
    ("supply", "demand", "clash"),
    [
        ((None, None), (None, None), False),
        (("tue", None), (None, None), False),  # the need said nothing: any day suits it
        (("tue", None), ("sat,sun", None), True),
        (("tue,wed", None), ("wed,sat", None), False),
        ((None, "6,7,8"), (None, "12,1,2"), True),
        ((None, "6,7,8"), (None, "8,9"), False),
        (("tue", "6,7"), ("tue", "1"), True),  # the right day, never in the right month
    ],
)
def test_a_pair_is_refused_only_when_both_said_when_and_never_meet(supply: tuple, demand: tuple, clash: bool) -> None:
    assert calendars_clash(listing("share", *supply), listing("pool", *demand)) is clash


def test_the_explanation_says_when_the_supply_is_available() -> None:
    from matching.engine.explain import calendar_sentence

    assert (
        calendar_sentence(listing("share", "tue,wed", "3,4,10,11"))
        == " Disponible le mardi et le mercredi, en mars, avril, octobre et novembre."
    )
    assert calendar_sentence(listing("share", None, "6")) == " Disponible en juin."
    assert calendar_sentence(listing("share")) == ""
