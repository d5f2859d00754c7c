"""What an activity typically has in surplus, from the European List of Waste (issue 17, point 3)."""

from __future__ import annotations

from offers.typical_flows import BY_ACTIVITY, PACKAGING, typical_flows

from shared.nomenclatures import activity_codes, waste_codes


def test_every_suggestion_is_a_code_of_the_list_of_waste_that_is_not_hazardous() -> None:
    codes = waste_codes()
    for suggestion in [*PACKAGING, *(s for flows in BY_ACTIVITY.values() for s in flows)]:
        assert suggestion.ewc_code in codes, suggestion
        assert not codes[suggestion.ewc_code].hazardous, suggestion


def test_every_activity_prefix_names_activities_of_the_naf() -> None:
    naf = activity_codes()
    for prefix in BY_ACTIVITY:
        assert any(code.startswith(prefix) for code in naf), prefix


def test_a_sawmill_a_dairy_a_care_home_and_a_landscaper_get_their_own_flows() -> None:
    assert [s.ewc_code for s in typical_flows("16.10A")] == ["030105", "030101", "150101", "150103"]
    assert typical_flows("1051C")[0].title == "Produits laitiers impropres à la consommation"
    assert {s.ewc_code for s in typical_flows("87.10A")} >= {"200108", "200125", "150101"}
    assert [s.ewc_code for s in typical_flows("81.30Z")] == ["200201"]  # no packaging: it receives no goods


def test_the_longest_prefix_wins_and_an_unknown_activity_gets_nothing() -> None:
    assert typical_flows("10.71C")[0].ewc_code == "020601"  # a bakery: group 10.7, not division 10
    assert typical_flows("62.01Z") == [] and typical_flows(None) == []
