"""How the engine reads a listing's words, and when a small supply still answers a large need (issue 14)."""

from __future__ import annotations

from matching.engine.model import ListingInput
from matching.engine.profile import Resolver
from matching.engine.quantities import too_small, yearly_flow
from matching.engine.text import context_flags
from matching.knowledge import Knowledge


def resolver() -> Resolver:
    return Resolver(Knowledge.load())


def need(title: str) -> ListingInput:
    return ListingInput(listing_id="n", organisation_id="o", kind="need", title=title)


def test_a_clause_of_purpose_or_possession_is_context() -> None:
    words, flags = context_flags("emballages pour expédier nos bouteilles, palettes")
    assert words == ["emballage", "expedier", "bouteille", "palette"]
    assert flags == [False, True, True, False]


def test_what_a_need_serves_or_holds_is_not_what_it_asks_for() -> None:
    read = resolver()
    weighing = read.profile(need("pesée de nos bennes"))
    assert "weighing" in weighing.nodes and "skip_container" not in weighing.nodes
    packaging = read.profile(need("cartons pour expédier nos bouteilles"))
    assert "glass_bottles_jars" not in packaging.nodes and packaging.nodes
    alone = read.profile(need("nos bennes"))  # nothing else named: the resource stands
    assert alone.nodes == ("skip_container",)


def test_a_phrase_naming_a_resource_and_a_use_is_the_use_in_a_need() -> None:
    washing = resolver().profile(need("eau de lavage pour nos quais"))
    assert "cleaning_water" in washing.nodes and "rinse_water" not in washing.nodes


def test_a_steady_supply_answers_a_large_intake_a_crumb_does_not() -> None:
    refinery = yearly_flow(500, "t", "monthly")
    assert not too_small(yearly_flow(1.2, "t", "monthly"), refinery)  # 14.4 t a year: a pickup a month
    assert too_small(yearly_flow(500, "kg", "monthly"), refinery)  # 6 t a year: a shared collection
    assert not too_small(yearly_flow(30, "t", "monthly"), refinery)  # 6 %
    assert not too_small(None, refinery)
