"""Who carries between the two sides of a pair (issue 21, point 5), as the match says it to both."""

from __future__ import annotations

import pytest
from matching.engine.explain import transport_note


@pytest.mark.parametrize(
    ("giver", "taker", "said"),
    [
        ((None, None), (None, None), None),
        (("giver", "tanker"), (None, None), "Transport : le cédant livre (citerne)."),
        ((None, None), ("taker", "tractor_trailer"), "Transport : le preneur vient chercher (tracteur et remorque)."),
        (("either", None), ("taker", "van"), "Transport : le preneur vient chercher (utilitaire)."),
        (("giver", None), ("either", None), "Transport : le cédant livre."),
        (("either", None), ("either", "truck"), "Transport : à convenir entre vous (camion ou porteur)."),
        (
            ("taker", None),
            ("giver", None),
            "Transport à organiser : le cédant ne livre pas et le preneur ne vient pas chercher.",
        ),
        (("giver", "truck"), ("giver", None), "Transport : le cédant livre (camion ou porteur)."),
    ],
)
def test_the_match_says_who_carries_as_both_sides_said_it(giver: tuple, taker: tuple, said: str | None) -> None:
    assert transport_note(*giver, *taker) == said


def test_every_means_of_transport_starts_the_flow_form_from_a_vehicle_with_an_emission_factor() -> None:
    """Issue 21, point 5: « avec quoi » on a listing preselects the impact flow form's vehicle."""
    from reporting.indicators import default_factors
    from reporting.synergies import VEHICLE_FOR_MEANS

    from shared.nomenclatures import TRANSPORT_MEANS

    assert set(VEHICLE_FOR_MEANS) == set(TRANSPORT_MEANS)
    assert set(VEHICLE_FOR_MEANS.values()) <= set(default_factors().vehicles)
