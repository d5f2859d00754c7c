"""The matching engine on a small knowledge base written here, so each rule is visible."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from matching.engine import Engine
from matching.engine.model import ListingInput
from matching.engine.text import Vocabulary, temperature_c, tokens
from matching.knowledge import Knowledge

TODAY = date(2026, 11, 23)
NUITS = (47.1368, 4.9490)
BEAUNE = (47.0260, 4.8400)  # 14.8 km from Nuits
DIJON = (47.3220, 5.0415)  # 22 km from Nuits

TAXONOMY = """
[families.paper_cardboard]
label = "Papiers et cartons"
default_radius_km = 50
[families.wood]
label = "Bois"
default_radius_km = 60
[families.energy_heat]
label = "Chaleur"
default_radius_km = 5
[families.equipment]
label = "Équipements"
default_radius_km = 30
[families.chemicals_solvents]
label = "Produits chimiques"
default_radius_km = 150

[[resources]]
id = "corrugated_cardboard"
family = "paper_cardboard"
label = "carton ondulé"
synonyms = ["carton", "chutes de carton", "emballages carton"]
ewc = ["150101"]
density_kg_m3 = 50

[[resources]]
id = "sawdust"
family = "wood"
label = "sciure de bois"
synonyms = ["sciure", "copeaux"]
ewc = ["030105"]

[[resources]]
id = "waste_heat"
family = "energy_heat"
label = "chaleur fatale"
synonyms = ["chaleur", "calories", "eau chaude"]
energy = true

[[resources]]
id = "shredder"
family = "equipment"
label = "broyeur de végétaux"
synonyms = ["broyeur"]

[[resources]]
id = "spent_solvent"
family = "chemicals_solvents"
label = "solvant usagé"
synonyms = ["solvant"]
ewc = ["140603"]
hazardous = true

[[uses]]
id = "packing_material"
label = "calage"
synonyms = ["matériau de calage", "rembourrage"]
excludes_hazardous = true

[[uses]]
id = "animal_bedding"
label = "litière"
synonyms = ["litière animale", "paillage de stabulation"]
excludes_hazardous = true

[[uses]]
id = "greenhouse_heating"
label = "chauffage de serre"
synonyms = ["chauffer une serre", "serre"]
"""

CONDITIONS = """
[conditions.dry]
label = "sec"
positive = ["sec", "séché"]
negative = ["humide", "mouillé"]

[conditions.untreated]
label = "non traité"
positive = ["non traité", "brut"]
negative = ["traité", "peint"]
"""

RULES = """
[[rules]]
from = "corrugated_cardboard"
to = "packing_material"
strength = 0.9
conditions = []
why = "Les chutes de carton, découpées, remplacent le calage acheté."

[[rules]]
from = "sawdust"
to = "animal_bedding"
strength = 0.85
conditions = ["dry", "untreated"]
why = "La sciure sèche de bois brut est une litière absorbante."

[[rules]]
from = "waste_heat"
to = "greenhouse_heating"
strength = 0.9
conditions = []
why = "La chaleur fatale chauffe des serres voisines à moindre coût."
"""


@pytest.fixture(scope="module")
def knowledge(tmp_path_factory: pytest.TempPathFactory) -> Knowledge:
    folder: Path = tmp_path_factory.mktemp("knowledge")
    (folder / "taxonomy.toml").write_text(TAXONOMY, encoding="utf-8")
    (folder / "conditions.toml").write_text(CONDITIONS, encoding="utf-8")
    (folder / "rules.toml").write_text(RULES, encoding="utf-8")
    return Knowledge.load(folder)


@pytest.fixture
def engine(knowledge: Knowledge) -> Engine:
    return Engine(knowledge, today=TODAY)


def listing(
    listing_id: str, kind: str, title: str, *, org: str | None = None, at: tuple[float, float] = NUITS, **extra: object
) -> ListingInput:
    return ListingInput(
        listing_id=listing_id,
        organisation_id=org or f"org-{listing_id}",
        kind=kind,  # type: ignore[arg-type]
        title=title,
        lat=at[0],
        lon=at[1],
        commune=extra.pop("commune", None),  # type: ignore[arg-type]
        expires_at=extra.pop("expires_at", TODAY + timedelta(days=180)),
        **extra,
    )  # type: ignore[arg-type]


# -- free text ---------------------------------------------------------------------------
def test_text_is_normalised_and_typos_are_forgiven() -> None:
    assert tokens("Chutes de CARTONS ondulés") == ["chute", "carton", "ondule"]
    assert tokens("Métaux") == ["metal"]
    vocabulary = Vocabulary([("a", "carton ondulé"), ("b", "litière")])
    assert [h.node_id for h in vocabulary.find(tokens("cartton ondule"))] == ["a"]
    assert [h.node_id for h in vocabulary.find(tokens("litiere"))] == ["b"]
    assert temperature_c("Chaleur fatale 45°C") == 45 and temperature_c("vapeur 180 degrés") == 180


def test_negations_and_hazard_words_are_read_in_every_form(engine: Engine) -> None:
    """Word lists are compared with tokens: « sans » (token « san ») negates, « dangereux » and « polluées » warn."""
    resolver = engine.resolver
    for title in ("Sciure de bois dangereux", "Sciure polluée", "Sciures polluées", "Sciure contaminée"):
        assert resolver.profile(listing("o", "offer", title)).hazardous, title
    for title in ("Sciure de bois non polluée", "Sciure non dangereuse", "Sciure sans amiante"):
        assert not resolver.profile(listing("o", "offer", title)).hazardous, title


def test_a_title_resolves_to_nodes_and_an_explicit_code_wins(engine: Engine) -> None:
    assert engine.resolver.profile(listing("o", "offer", "Chutes de cartons")).nodes == ("corrugated_cardboard",)
    assert engine.resolver.profile(listing("n", "need", "Cherche litière pour chevaux")).nodes == ("animal_bedding",)
    coded = engine.resolver.profile(listing("c", "offer", "Lot divers", ewc_code="03 01 05"))
    assert coded.nodes == ("sawdust",)
    assert not engine.resolver.profile(listing("u", "offer", "Trucs variés")).placed


# -- pairs -------------------------------------------------------------------------------
def test_substitution_with_a_concrete_french_explanation(engine: Engine) -> None:
    engine.apply(
        listing(
            "o1",
            "offer",
            "Chutes de carton",
            quantity_value=2,
            quantity_unit="t",
            frequency="monthly",
            commune="Nuits-Saint-Georges",
        )
    )
    [proposal] = engine.apply(
        listing(
            "n1",
            "need",
            "Matériau de calage",
            at=BEAUNE,
            quantity_value=1.5,
            quantity_unit="t",
            frequency="monthly",
            commune="Beaune",
        )
    ).proposed
    assert proposal.kind == "pair" and proposal.listing_ids == ("o1", "n1")
    assert 0 < proposal.score <= 1 and proposal.distance_km == 15.0  # 14.8 km, shown to the km
    assert proposal.explanations["o1"].startswith(
        "Votre « Chutes de carton » (2 t par mois) peut servir de "
        "« calage » pour une organisation située à 15 km (Beaune)"
    )
    assert "environ 2 t par mois" in proposal.explanations["n1"]
    assert "remplacent le calage acheté" in proposal.explanation


def test_unmet_conditions_lower_the_score_and_are_named(engine: Engine) -> None:
    engine.apply(listing("o1", "offer", "Sciure de bois sec non traité"))
    engine.apply(listing("o2", "offer", "Sciure de bois", at=BEAUNE))
    proposals = engine.apply(listing("n1", "need", "Litière pour box", at=(47.09, 4.90))).proposed
    by_supply = {p.listing_ids[0]: p for p in proposals}
    assert set(by_supply) == {"o1", "o2"}
    assert by_supply["o1"].score > by_supply["o2"].score
    assert "À vérifier : sec, non traité." in by_supply["o2"].explanation


def test_contradicted_condition_hazard_and_same_organisation_never_match(engine: Engine) -> None:
    engine.apply(listing("o1", "offer", "Sciure de bois traité"))
    engine.apply(listing("o2", "offer", "Sciure humide"))
    engine.apply(listing("o3", "offer", "Copeaux", org="farm"))
    assert engine.apply(listing("n1", "need", "Litière", org="farm")).proposed == []
    engine.apply(listing("o4", "offer", "Sciure de bois sec non traité", ewc_code="030104"))  # hazardous code
    proposed = engine.apply(listing("n2", "need", "Litière", at=BEAUNE)).proposed
    assert [p.listing_ids[0] for p in proposed] == ["o3"]  # the copeaux; never the hazardous sawdust


def test_both_radii_and_the_family_default_apply(engine: Engine) -> None:
    engine.apply(listing("o1", "offer", "Chutes de carton", radius_km=10))
    assert engine.apply(listing("n1", "need", "Carton", at=BEAUNE)).proposed == []  # 14.8 km > 10
    engine.apply(listing("h1", "offer", "Chaleur fatale 60°C"))
    assert engine.apply(listing("n2", "need", "Chauffer une serre", at=BEAUNE)).proposed == []  # heat: 5 km
    assert len(engine.apply(listing("n3", "need", "Chauffer une serre", at=(47.15, 4.95))).proposed) == 1


def test_heat_too_cold_quantity_too_small_and_expired_are_refused(engine: Engine) -> None:
    engine.apply(listing("h1", "offer", "Eau chaude 30°C"))
    assert engine.apply(listing("n1", "need", "Chaleur 90°C pour serre", at=(47.14, 4.95))).proposed == []
    engine.apply(listing("o1", "offer", "Carton", quantity_value=10, quantity_unit="kg", frequency="yearly"))
    assert (
        engine.apply(
            listing("n2", "need", "Carton", at=BEAUNE, quantity_value=5, quantity_unit="t", frequency="monthly")
        ).proposed
        == []
    )
    engine.apply(listing("o2", "offer", "Carton", expires_at=TODAY - timedelta(days=1)))
    engine.apply(listing("o3", "offer", "Carton", available_from=TODAY + timedelta(days=90)))
    assert (
        engine.apply(
            listing(
                "n3",
                "need",
                "Carton",
                at=BEAUNE,
                expires_at=TODAY + timedelta(days=30),
                quantity_value=1,
                quantity_unit="t",
                frequency="monthly",
            )
        ).proposed
        == []
    )


def test_volume_is_converted_with_the_density_for_coverage(engine: Engine) -> None:
    engine.apply(listing("o1", "offer", "Carton", quantity_value=20, quantity_unit="m3", frequency="monthly"))
    [proposal] = engine.apply(
        listing("n1", "need", "Carton", at=BEAUNE, quantity_value=2, quantity_unit="t", frequency="monthly")
    ).proposed
    assert "couvrirait environ la moitié du besoin" in proposal.explanations["n1"]  # 20 m3 × 50 kg/m3 = 1 t


def test_unplaced_listings_match_on_text_and_are_flagged(engine: Engine) -> None:
    engine.apply(listing("o1", "offer", "Bobines de fil polyamide"))
    [proposal] = engine.apply(listing("n1", "need", "Fil polyamide en bobines", at=BEAUNE)).proposed
    assert proposal.flagged and "animateur" in proposal.explanation


def test_a_title_naming_the_thing_the_other_title_starts_with_is_enough_text(engine: Engine) -> None:
    """Few words in common (one in six), but both titles are about slates: a flagged proposal."""
    engine.apply(listing("o1", "offer", "Ardoises naturelles de dépose"))
    need = listing("n1", "need", "Ardoises anciennes pour restaurer la chapelle", at=BEAUNE)
    [proposal] = engine.apply(need).proposed
    assert proposal.key == "pair:o1:n1" and proposal.flagged and "animateur" in proposal.explanation


def test_a_stated_category_names_the_thing_in_place_of_the_title(engine: Engine) -> None:
    """Two lots of different stated resources do not meet because their titles start alike."""
    engine.apply(listing("o1", "offer", "Lot essai 12", category="essai12"))
    assert engine.apply(listing("n1", "need", "Lot essai 13", category="essai13", at=BEAUNE)).proposed == []
    [proposal] = engine.apply(listing("n2", "need", "Lot essai 12", category="essai12", at=BEAUNE)).proposed
    assert proposal.key == "pair:o1:n2"


def test_a_title_word_that_names_no_thing_is_not_enough_text(engine: Engine) -> None:
    """« Chutes », « collecte », « lot »… say how much or what is done, not what: two kinds of scraps do not meet."""
    engine.apply(listing("o1", "offer", "Chutes de polyamide teinté"))
    assert engine.apply(listing("n1", "need", "Chutes de liège pour bouchons", at=BEAUNE)).proposed == []


# -- dynamics ----------------------------------------------------------------------------
def test_never_twice_declined_stays_declined_and_withdrawal_retracts(engine: Engine) -> None:
    engine.apply(listing("o1", "offer", "Carton"))
    [first] = engine.apply(listing("n1", "need", "Carton", at=BEAUNE)).proposed
    assert engine.apply(listing("n1", "need", "Carton", at=BEAUNE, revision=2)).proposed == []
    engine.store.set_status(first.key, "declined")
    assert engine.apply(listing("n1", "need", "Cartons d'emballage", at=BEAUNE, revision=3)).proposed == []
    engine.apply(listing("n2", "need", "Carton", at=DIJON))
    assert engine.remove("o1").retracted == ["pair:o1:n2"]


def test_an_update_that_no_longer_fits_retracts_and_a_clearly_better_one_returns(engine: Engine) -> None:
    engine.apply(listing("o1", "offer", "Carton", at=DIJON))
    [proposal] = engine.apply(listing("n1", "need", "Carton", at=NUITS, radius_km=25)).proposed
    changes = engine.apply(listing("n1", "need", "Carton", at=NUITS, radius_km=10, revision=2))
    assert changes.retracted == [proposal.key] and changes.proposed == []
    moved = engine.apply(listing("n1", "need", "Carton", at=(47.31, 5.03), radius_km=25, revision=3))
    assert [p.key for p in moved.proposed] == [proposal.key]  # much closer: clearly better


# -- mutualisation -----------------------------------------------------------------------
def test_pool_requests_for_the_same_equipment_form_one_growing_group(engine: Engine) -> None:
    """Two organisations asking for the same pooled service already share it (issue 14); a third joins them."""
    assert engine.apply(listing("p1", "pool", "Broyeur à partager")).proposed == []
    [pair] = engine.apply(listing("p2", "pool", "Besoin d'un broyeur", at=(47.15, 4.97))).proposed
    assert pair.kind == "group" and pair.listing_ids == ("p1", "p2") and "2 organisations" in pair.explanations["p2"]
    third = engine.apply(listing("p3", "pool", "Broyeur de végétaux en commun", at=(47.12, 4.93)))
    [group] = third.proposed
    assert group.kind == "group" and group.listing_ids == ("p1", "p2", "p3") and third.retracted == [pair.key]
    assert "3 organisations" in group.explanations["p3"]
    changes = engine.apply(listing("p4", "pool", "Broyeur", at=(47.14, 4.92)))
    [grown] = [p for p in changes.proposed if p.kind == "group"]
    assert grown.listing_ids == ("p1", "p2", "p3", "p4") and changes.retracted == [group.key]
    # A shredder travels as far as its users say: 15 km away joins; within 10 km only, it does not.
    assert engine.apply(listing("near", "pool", "Broyeur", at=BEAUNE, radius_km=10)).proposed == []
    farther = engine.apply(listing("far", "pool", "Broyeur", at=BEAUNE))
    [larger] = [p for p in farther.proposed if p.kind == "group"]
    assert larger.listing_ids == ("far", "p1", "p2", "p3", "p4") and farther.retracted == [grown.key]
    shares = engine.apply(listing("s1", "share", "Broyeur disponible le lundi", at=(47.13, 4.95))).proposed
    assert {p.listing_ids[1] for p in shares} == {"p1", "p2", "p3", "p4", "far"}  # not beyond near's 10 km


def test_a_pooled_collection_of_a_material_stays_among_neighbours(engine: Engine) -> None:
    """A truck goes round the members of a shared collection: 10 km apart at most, whatever their radii."""
    engine.apply(listing("c1", "pool", "Collecte groupée de cartons"))
    [pair] = engine.apply(listing("c2", "pool", "Carton : collecte en commun", at=(47.15, 4.97))).proposed
    assert pair.listing_ids == ("c1", "c2")
    assert engine.apply(listing("c3", "pool", "Collecte de cartons", at=BEAUNE, radius_km=50)).proposed == []


def test_small_producers_of_the_same_waste_are_offered_a_shared_collection(engine: Engine) -> None:
    for i, at in enumerate([(47.13, 4.95), (47.15, 4.97), (47.13, 4.95)]):  # two at the same address
        proposed = engine.apply(
            listing(
                f"o{i}", "offer", "Chutes de carton", at=at, quantity_value=500, quantity_unit="kg", frequency="monthly"
            )
        ).proposed
    [group] = proposed
    assert group.kind == "group" and group.listing_ids == ("o0", "o1", "o2")
    assert "collecte mutualisée" in group.explanation
    big = engine.apply(
        listing("big", "offer", "Carton", at=(47.14, 4.96), quantity_value=40, quantity_unit="t", frequency="monthly")
    )
    assert big.proposed == []  # a big producer has its own collection


def test_several_partial_offers_are_shown_to_cover_a_need_together(engine: Engine) -> None:
    engine.apply(listing("n1", "need", "Carton", at=BEAUNE, quantity_value=2, quantity_unit="t", frequency="monthly"))
    engine.apply(listing("o1", "offer", "Chutes de carton", quantity_value=1, quantity_unit="t", frequency="monthly"))
    [second] = engine.apply(
        listing("o2", "offer", "Carton", at=DIJON, quantity_value=1.2, quantity_unit="t", frequency="monthly")
    ).proposed
    # 60 % and 100 %, in quarters: a percentage of a need shown in a band would give the offer's quantity
    assert "couvrirait environ la moitié du besoin" in second.explanations["n1"]
    assert "2 offres ensemble en couvriraient presque tout" in second.explanations["n1"]


def test_a_share_is_not_proposed_to_a_pool_asking_for_much_more_than_it_lends(engine: Engine) -> None:
    """Issue 21, point 3: a share's capacity is its quantity per period; under half of what a pool asks, no pair."""
    week = {"quantity_unit": "day", "frequency": "weekly"}
    engine.apply(listing("p5", "pool", "Broyeur", quantity_value=5, **week))
    engine.apply(listing("p2", "pool", "Broyeur", quantity_value=2, at=BEAUNE, **week))
    [proposal] = engine.apply(listing("s1", "share", "Broyeur à prêter", quantity_value=1.5, **week)).proposed
    assert proposal.listing_ids == ("s1", "p2")  # 1.5 days a week for 2 asked, not for 5
    assert "Votre « Broyeur à prêter » (1,5 jour par semaine)" in proposal.explanations["s1"]
    assert "environ les trois quarts du besoin" in proposal.explanations["p2"]


# -- swaps (« paille contre fumier ») -----------------------------------------------------
def swap_world(engine: Engine) -> None:
    """A sawmill gives sawdust « en échange de » cardboard; a riding school has cardboard and needs bedding."""
    engine.apply(listing("b1", "need", "Litière pour box", org="ecurie", at=BEAUNE))
    engine.apply(listing("b2", "offer", "Cartons", org="ecurie", at=BEAUNE))


def test_two_organisations_giving_each_other_what_they_take_get_one_swap(engine: Engine) -> None:
    swap_world(engine)
    [pair] = engine.apply(listing("a2", "need", "Carton pour expédier", org="scierie")).proposed
    assert pair.key == "pair:b2:a2"  # nobody said « en échange de » yet
    changes = engine.apply(listing("a1", "offer", "Sciure", org="scierie", counterpart_id="a2"))
    [swap] = changes.proposed  # one swap, not its two exchanges
    assert (swap.kind, swap.key, swap.listing_ids) == ("swap", "swap:a1:b1:b2:a2", ("a1", "b1", "b2", "a2"))
    assert changes.retracted == ["pair:b2:a2"]  # the pair it holds, proposed before, gives way
    assert swap.explanations["a1"].startswith("Échange possible avec une organisation située à ")
    assert "votre « Sciure » contre son « Cartons »" in swap.explanations["a2"]
    assert "votre « Cartons » contre son « Sciure »" in swap.explanations["b1"]
    assert "litière" in swap.explanations["b1"].lower()
    assert engine.apply(listing("b1", "need", "Litière pour box", org="ecurie", at=BEAUNE, revision=2)).proposed == []
    engine.store.set_status(swap.key, "declined")
    assert engine.apply(listing("b2", "offer", "Cartons", org="ecurie", at=BEAUNE, revision=2)).proposed == []
    assert engine.remove("a2").retracted == []  # declined stays declined; nothing else was open


def test_the_swap_is_found_whichever_listing_comes_last_and_falls_with_either_exchange(engine: Engine) -> None:
    engine.apply(listing("a2", "need", "Carton pour expédier", org="scierie"))
    engine.apply(listing("a1", "offer", "Sciure", org="scierie", counterpart_id="a2"))
    [pair] = engine.apply(listing("b2", "offer", "Cartons", org="ecurie", at=BEAUNE)).proposed
    changes = engine.apply(listing("b1", "need", "Litière pour box", org="ecurie", at=BEAUNE))
    assert [p.key for p in changes.proposed] == ["swap:a1:b1:b2:a2"] and changes.retracted == [pair.key]
    assert engine.remove("b2").retracted == ["swap:a1:b1:b2:a2"]


def test_without_its_link_each_exchange_of_a_swap_stands_on_its_own(engine: Engine) -> None:
    swap_world(engine)
    engine.apply(listing("a2", "need", "Carton pour expédier", org="scierie"))
    engine.apply(listing("a1", "offer", "Sciure", org="scierie", counterpart_id="a2"))
    unlinked = engine.apply(listing("a1", "offer", "Sciure", org="scierie", revision=2))
    assert unlinked.retracted == ["swap:a1:b1:b2:a2"] and [p.key for p in unlinked.proposed] == ["pair:a1:b1"]


def test_a_link_dropped_while_its_listing_was_out_of_the_index_makes_no_swap(engine: Engine) -> None:
    """Matching's catch-up takes a closed listing out of the index directly; back without its link, it is no swap."""
    engine.apply(listing("a2", "need", "Carton pour expédier", org="scierie"))
    engine.apply(listing("a1", "offer", "Sciure", org="scierie", counterpart_id="a2"))
    engine.index.remove("a1")
    engine.load(listing("a1", "offer", "Sciure", org="scierie", revision=2))
    swap_world(engine)
    assert all(key.startswith("pair:") for key in engine.store.known)  # type: ignore[attr-defined]


def test_a_quantity_kept_private_appears_in_no_explanation_for_the_other_side(engine: Engine) -> None:
    engine.apply(
        listing(
            "o1",
            "offer",
            "Chutes de carton",
            quantity_value=1,
            quantity_unit="t",
            frequency="monthly",
            quantity_private=True,
        )
    )
    [proposal] = engine.apply(
        listing("n1", "need", "Carton", at=BEAUNE, quantity_value=2, quantity_unit="t", frequency="monthly")
    ).proposed
    assert proposal.explanations["o1"].startswith("Votre « Chutes de carton » (1 t par mois)")  # its owner's
    to_need = proposal.explanations["n1"]
    assert "propose « Chutes de carton », qui peut" in to_need  # no band after the title
    assert "couvrirait" not in to_need  # the share of the need covered would betray the quantity
    assert "environ 2 t par mois" in proposal.explanations["o1"]  # the need's own band is not private


def test_distances_are_shown_to_the_km_and_a_private_quantity_leaves_the_score_alone(engine: Engine) -> None:
    """Trilateration and read-back: a distance to 0.1 km, or a score moving with a private quantity, would betray
    a site's place or a quantity kept private (penetration test, issue 18)."""
    engine.apply(
        listing("n1", "need", "Carton", at=(47.1400, 4.9530), quantity_value=2, quantity_unit="t", frequency="monthly")
    )
    scores = []
    for tonnes in (0.5, 1.5):
        engine.apply(
            listing(
                f"o{tonnes}",
                "offer",
                "Chutes de carton",
                org=f"org-{tonnes}",
                quantity_value=tonnes,
                quantity_unit="t",
                frequency="monthly",
                quantity_private=True,
            )
        )
        [proposal] = engine.store.open_of(f"o{tonnes}")
        scores.append(proposal.score)
    assert scores[0] == scores[1]
    [near] = [
        p
        for p in engine.apply(listing("n2", "need", "Carton pour calage", org="org-n2", at=(47.1380, 4.9500))).proposed
        if p.listing_ids[0] == "o0.5"
    ]
    assert near.distance_km == 1.0 and "moins d'1 km" in near.explanations["o0.5"]
