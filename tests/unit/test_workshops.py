"""The workshop's pure rules: pistes ranked, what a kept or merged piste is, resources by family."""

from __future__ import annotations

from reporting.workshops import Party, Piste, Resource, group_by_family, piste_id, ranked, resource_of, synergy_type_of


def piste(
    match_id: str,
    score: float | None,
    *,
    km: float | None = 5.0,
    kind: str = "pair",
    parties: tuple[tuple[str, str, str], ...] = (("a", "offer", "Palettes"), ("b", "need", "Palettes")),
) -> Piste:
    return Piste(
        match_id=match_id,
        kind=kind,
        score=score,
        distance_km=km,
        explanation="",
        status="proposed",
        parties=[
            Party(
                organisation_id=o, name=o.upper(), listing_id=f"l-{o}", listing_title=title, listing_kind=listing_kind
            )
            for o, listing_kind, title in parties
        ],
        obligations=[],
    )


def resource(listing_id: str, kind: str, title: str) -> Resource:
    return Resource(
        listing_id=listing_id,
        organisation_id="o",
        organisation="Org",
        kind=kind,
        title=title,
        category=None,
        ewc_code=None,
        quantity_text=None,
    )


def test_pistes_are_ranked_by_score_then_distance_and_unscored_last() -> None:
    pistes = [piste("far", 0.8, km=30), piste("none", None), piste("best", 0.9), piste("near", 0.8, km=2)]
    assert [p.match_id for p in ranked(pistes)] == ["best", "near", "far", "none"]


def test_a_pair_is_a_substitution_and_a_group_or_a_merge_a_mutualisation() -> None:
    pair = piste("m1", 0.9)
    other = piste("m2", 0.7, parties=(("a", "offer", "Palettes"), ("c", "need", "Palettes de retour")))
    assert synergy_type_of([pair]) == "substitution"
    assert synergy_type_of([pair, other]) == "mutualisation"  # three organisations
    assert synergy_type_of([piste("g", 0.5, kind="group")]) == "mutualisation"
    assert (
        synergy_type_of([piste("s", 0.5, parties=(("a", "share", "Broyeur"), ("b", "need", "Broyage")))])
        == "mutualisation"
    )
    assert resource_of([other]) == "Palettes"  # the offer names what is exchanged


def test_the_piste_a_choice_opens_is_the_same_whatever_the_order_and_differs_per_workshop() -> None:
    assert piste_id("w1", ["m2", "m1"]) == piste_id("w1", ["m1", "m2"])
    assert piste_id("w1", ["m1"]) != piste_id("w2", ["m1"]) != piste_id("w1", ["m1", "m2"])


def test_resources_group_under_their_family_largest_first_offers_first_the_unknown_last() -> None:
    resources = [
        resource("1", "offer", "Palettes"),
        resource("2", "need", "Cartons"),
        resource("3", "offer", "Bac"),
        resource("4", "need", "Palettes Europe"),
        resource("5", "offer", "Chose"),
    ]
    families = group_by_family(
        resources, {"1": "Emballages", "2": "Papiers et cartons", "3": "Emballages", "4": "Emballages"}
    )
    assert [(f.label, [r.listing_id for r in f.resources]) for f in families] == [
        ("Emballages", ["3", "1", "4"]),
        ("Papiers et cartons", ["2"]),
        ("Autres ressources", ["5"]),
    ]
