"""The law in the engine, on the real knowledge bases: what is never proposed, what each proposal requires.

Each forbidden pair is first shown to be proposed by the same engine without the regulatory base
(`Regulation.empty()`), so the test fails if the law stops applying, not only if matching does.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from matching.engine import Engine
from matching.engine.model import ListingInput
from matching.knowledge import Knowledge, KnowledgeError
from matching.knowledge.law import Regulation

TODAY = date(2026, 12, 2)
AURILLAC = (44.926, 2.440)
YTRAC = (44.911, 2.365)  # 6 km away


def offer(title: str, **fields: object) -> ListingInput:
    values: dict = {
        "listing_id": "offer",
        "organisation_id": "giver",
        "kind": "offer",
        "title": title,
        "lat": AURILLAC[0],
        "lon": AURILLAC[1],
        **fields,
    }
    return ListingInput(**values)


def need(title: str, **fields: object) -> ListingInput:
    values: dict = {
        "listing_id": "need",
        "organisation_id": "taker",
        "kind": "need",
        "title": title,
        "lat": YTRAC[0],
        "lon": YTRAC[1],
        **fields,
    }
    return ListingInput(**values)


def proposals(supply: ListingInput, demand: ListingInput, *, law: bool = True) -> list:
    engine = Engine(Knowledge.load(), today=TODAY, regulation=None if law else Regulation.empty())
    engine.upsert(demand)
    return engine.upsert(supply)


def obligation_ids(supply: ListingInput, demand: ListingInput) -> set[str]:
    [proposal] = proposals(supply, demand)
    return {o.id for o in proposal.obligations}


FORBIDDEN = [
    pytest.param(
        offer("Restes de repas de la cantine scolaire"),
        need("Restes alimentaires pour nourrir nos porcs"),
        id="swill-feeding-ban",
    ),
    pytest.param(
        offer("Déchets d'abattoir (MRS)", abp_category=1),
        need("Sous-produits animaux pour méthanisation"),
        id="abp-category-1-no-biogas",
    ),
    pytest.param(
        offer("Déchets de découpe de viande"),
        need("Déchets de viande pour l'alimentation de mes porcs"),
        id="animal-proteins-feed-ban",
    ),
    pytest.param(
        offer("Cendres de chaudière bois B (panneaux, palettes broyées)"),
        need("Cendres de bois pour amendement de mes parcelles"),
        id="treated-wood-ash-on-land",
    ),
    pytest.param(
        offer("Chutes de placo BA13 propres", ewc_code="170802"),
        need("Gypse pour amendement des sols"),
        id="plaster-on-land-without-status",
    ),
    pytest.param(
        offer("Sable de fonderie"),
        need("Sous-couche routière pour la cour de l'école"),
        id="foundry-sand-where-children-play",
    ),
    pytest.param(
        offer("Granulats de béton concassé", waste_status="waste"),
        need("Granulats de béton concassé pour sous-couche", waste_status="product"),
        id="waste-where-a-product-is-required",
    ),
    pytest.param(
        offer("Sciure de bois humide"),
        need("Sciure pour notre chaudière à granulés"),
        id="pellet-boiler-takes-pellets-only",
    ),
    pytest.param(
        offer("Sciure de panneaux MDF"), need("Sciure pour litière de poulailler"), id="treated-wood-never-bedding"
    ),
    pytest.param(
        offer("Fûts de 200 L ayant contenu de l'huile moteur, vidés"),
        need("Fûts pour stocker notre vin"),
        id="chemical-drums-never-food",
    ),
    pytest.param(
        offer("Cendres volantes de la chaufferie bois (électrofiltre)"),
        need("Cendres de bois pour amendement de mes parcelles"),
        id="fly-ash-never-on-land",
    ),
    pytest.param(
        offer("Boues de station d'épuration chaulées"),
        need("Boues pour amendement de mes parcelles", organic_farming=True),
        id="sewage-sludge-never-organic",
    ),
    pytest.param(
        offer("Boues de papeterie"),
        need("Amendement pour mes parcelles", organic_farming=True),
        id="organic-farms-take-annex-ii-inputs-only",
    ),
    pytest.param(
        offer("Solvants usagés (acétone)", ewc_code="14 06 03*"),
        need("Solvant pour nettoyer nos pièces"),
        id="hazardous-waste-only-to-treatment",
    ),
    pytest.param(
        offer("Fumier de volailles d'un élevage hors-sol"),
        need("Fumier pour mes parcelles", organic_farming=True),
        id="industrial-livestock-never-organic",
    ),
    pytest.param(
        offer("Eaux usées traitées de la station d'épuration"),
        need("Eau pour le nettoyage des locaux de notre EHPAD"),
        id="reuse-water-never-in-care-homes",
    ),
    pytest.param(
        offer("Eau de pluie récupérée en cuve, 20 m3"),
        need("Eau pour le lavage des légumes de notre légumerie"),
        id="food-contact-water-is-potable",
    ),
    pytest.param(
        offer("Huile de colza pure pressée à la ferme"),
        need("Biocarburant pour nos camions"),
        id="vegetable-oil-no-lorry-fuel",
    ),
    pytest.param(
        offer("Stock de sel de déneigement en vrac"),
        need("Sel pour l'alimentation de nos brebis"),
        id="road-salt-never-feed",
    ),
    pytest.param(
        offer("Sulfate d'ammonium du laveur d'air"),
        need("Engrais azoté pour mes parcelles", organic_farming=True),
        id="mineral-nitrogen-never-organic",
    ),
]


@pytest.mark.parametrize(("supply", "demand"), FORBIDDEN)
def test_an_exchange_the_law_forbids_is_never_proposed(supply: ListingInput, demand: ListingInput) -> None:
    assert proposals(supply, demand, law=False), "without the law the pair is proposed: the case tests the law"
    assert proposals(supply, demand) == []


def test_catering_waste_goes_to_an_approved_digester_with_its_papers() -> None:
    supply = offer("Restes de repas de la cantine scolaire", quantity_value=300, quantity_unit="kg", frequency="weekly")
    assert obligation_ids(supply, need("Biodéchets pour notre méthaniseur")) == {
        "abp_commercial_document",
        "abp_approved_establishment",
        "waste_register",
    }


def test_hazardous_waste_travels_with_its_slip_register_and_declared_transporter() -> None:
    supply = offer(
        "Solvants usagés (acétone)", ewc_code="14 06 03*", quantity_value=400, quantity_unit="kg", frequency="monthly"
    )
    [proposal] = proposals(supply, need("Solvants à régénérer"))
    assert {o.id for o in proposal.obligations} == {"tracking_slip", "waste_register", "transporter_declaration"}
    assert "Trackdéchets" in proposal.explanation and "registre des déchets" in proposal.explanation
    for side in proposal.explanations.values():
        assert "Ce que la loi demande" in side
    slip = next(o for o in proposal.obligations if o.id == "tracking_slip")
    assert slip.texts and all(t.url.startswith("https://") for t in slip.texts)


def test_the_transporter_declaration_follows_the_load() -> None:
    """R541-50: 0.5 t per load of non-hazardous waste; below, no declaration."""
    big = offer("Chutes de carton ondulé", quantity_value=2, quantity_unit="t", frequency="monthly")
    small = offer("Chutes de carton ondulé", quantity_value=200, quantity_unit="kg", frequency="monthly")
    wanted = need("Carton pour calage de colis")
    assert "transporter_declaration" in obligation_ids(big, wanted)
    assert obligation_ids(small, wanted) == {"waste_register"}


def test_declared_status_changes_what_is_required() -> None:
    wanted = need("Granulats de béton concassé pour sous-couche")
    as_waste = offer("Granulats de béton concassé", quantity_value=20, quantity_unit="t", frequency="once")
    left_waste = offer("Granulats de béton concassé", waste_status="end_of_waste")
    assert obligation_ids(as_waste, wanted) == {"waste_register", "transporter_declaration"}
    # no waste formality left, only the attestation of conformity of each lot (D541-12-14)
    assert obligation_ids(left_waste, wanted) == {"end_of_waste_procedure"}
    by_product = offer("Drêches de brasserie", quantity_value=2, quantity_unit="t", frequency="weekly")
    assert obligation_ids(by_product, need("Drêches pour l'alimentation animale")) == {
        "by_product_conditions",
        "feed_operator_registration",
    }


def test_allowed_exchanges_of_the_same_materials_stay_proposed() -> None:
    """The near-misses' lawful twins: untreated ash under a spreading plan, free-range manure for an organic farm,
    the digester's cattle manure, clean wood ash, sawdust as bedding, pellets for a pellet boiler."""
    assert obligation_ids(
        offer("Cendres de chaudière à plaquettes forestières"), need("Cendres de bois pour amendement de mes parcelles")
    ) == {"spreading_plan", "waste_register"}
    assert "organic_inputs_check" in obligation_ids(
        offer("Fumier de bovins"), need("Fumier pour mes parcelles", organic_farming=True)
    )
    assert obligation_ids(
        offer("Fumier de bovins", organic_farming=True), need("Fumier pour mes parcelles", organic_farming=True)
    ) >= {"spreading_plan"}
    assert proposals(offer("Granulés de bois DIN plus"), need("Combustible pour chaudière à granulés"))
    assert proposals(offer("Sciure de bois sec non traité"), need("Sciure pour litière de poulailler"))
    assert proposals(offer("Plaquettes de bois non traité"), need("Combustible pour chaudière bois"))
    assert "water_reuse_authorisation" in obligation_ids(
        offer("Eaux usées traitées de la station d'épuration"), need("Eau pour l'irrigation de nos vergers")
    )
    assert proposals(offer("Eau de pluie récupérée en cuve, 20 m3"), need("Eau pour le lavage de nos camions"))
    assert proposals(offer("Huile de colza pure pressée à la ferme"), need("Huile végétale pure pour nos tracteurs"))


def test_a_negated_phrase_is_no_trait() -> None:
    """« sans viande » says the leftovers hold no meat: the bread goes to the pigs, with its registration."""
    assert obligation_ids(
        offer("Pain rassis de la boulangerie, sans viande"), need("Pain pour l'alimentation de mes porcs")
    ) == {"by_product_conditions", "feed_operator_registration"}


def test_every_rule_cites_an_official_text_and_a_bad_reference_is_refused(tmp_path: Path) -> None:
    regulation = Regulation.load(Knowledge.load())
    assert {p.family for p in regulation.prohibitions} == {
        "animal_by_products",
        "waste_on_land",
        "waste_status",
        "fitness_for_use",
    }
    for rule in (*regulation.prohibitions, *regulation.obligations):
        assert rule.texts and all(t.url.startswith("https://") for t in rule.texts)
    source = (Path(__file__).parents[2] / "services/matching/knowledge/regulation.toml").read_text(encoding="utf-8")
    (tmp_path / "regulation.toml").write_text(
        source.replace('supply_any = ["catering_waste"]', 'supply_any = ["cantine"]'), encoding="utf-8"
    )
    with pytest.raises(KnowledgeError, match="unknown trait 'cantine'"):
        Regulation.load(Knowledge.load(), tmp_path)


def test_a_shared_collection_of_hazardous_waste_says_what_each_producer_owes() -> None:
    engine = Engine(Knowledge.load(), today=TODAY)
    proposals: list = []
    for n in range(3):
        proposals += engine.upsert(
            offer(
                "Chiffons souillés d'atelier",
                listing_id=f"rags-{n}",
                organisation_id=f"garage-{n}",
                quantity_value=50,
                quantity_unit="kg",
                frequency="monthly",
                lat=AURILLAC[0] + n * 0.01,
            )
        )
    [group] = [p for p in proposals if p.kind == "group"]
    assert {o.id for o in group.obligations} == {"tracking_slip", "waste_register"}
    assert "Ce que la loi demande : bordereau de suivi Trackdéchets" in group.explanation


def forbidden_by_the_law(supply: ListingInput, demand: ListingInput) -> bool:
    """Proposed without the regulatory base, never with it."""
    return bool(proposals(supply, demand, law=False)) and not proposals(supply, demand)


def test_a_prohibition_may_require_every_one_of_several_contexts() -> None:
    """`demand_all`: conventional feed is kept from an organic farm's animals only, not from its fields nor from a
    conventional farm's animals (règlement 2018/848, annexe II)."""
    grains = offer("Drêches de brasserie fraîches", quantity_value=2, quantity_unit="t", frequency="weekly")
    assert forbidden_by_the_law(grains, need("Drêches pour l'alimentation de mes vaches", organic_farming=True))
    assert proposals(grains, need("Drêches pour l'alimentation de mes vaches"))
    assert proposals(
        offer(
            "Drêches de brasserie fraîches",
            organic_farming=True,
            quantity_value=2,
            quantity_unit="t",
            frequency="weekly",
        ),
        need("Drêches pour l'alimentation de mes vaches", organic_farming=True),
    )


@pytest.mark.parametrize(
    ("supply", "demand"),
    [
        (offer("Aliment médicamenteux restant, porcs"), need("Aliment pour nourrir mes porcs")),
        (offer("Pain rassis moisi"), need("Pain pour l'alimentation de mes porcs")),
        (offer("Digestat brut de méthanisation"), need("Fertilisant pour le potager du jardin partagé")),
        (offer("Bidons vides de désherbant 20 L"), need("Bidons pour récupérer l'eau de pluie")),
        (
            offer("Big bags ayant contenu des pièces automobiles graissées"),
            need("Big bags pour stocker du blé alimentaire"),
        ),
    ],
    ids=["medicated-feed", "mouldy-feed", "raw-digestate-garden", "phyto-packaging-reuse", "non-food-container"],
)
def test_rules_grown_from_the_texts_forbid(supply: ListingInput, demand: ListingInput) -> None:
    assert forbidden_by_the_law(supply, demand)


def test_rules_grown_from_the_texts_require() -> None:
    """The asbestos slip says BSDA; sewage sludge on a pasture says its delays; a lot out of waste status carries
    its attestation."""
    assert "BSDA" in {
        o.title.split("(")[-1].rstrip(")")
        for p in proposals(
            offer("Déchets d'amiante lié (fibrociment) en big bags", quantity_value=2, quantity_unit="t"),
            need("Collecte et traitement de déchets d'amiante, installation autorisée"),
        )
        for o in p.obligations
        if o.id == "tracking_slip"
    }
    assert "end_of_waste_procedure" in obligation_ids(
        offer("Compost de déchets verts", waste_status="end_of_waste"), need("Compost pour amendement de mes parcelles")
    )


def test_a_resource_the_knowledge_base_does_not_know_never_feeds_animals() -> None:
    """Matched on its words alone, an unknown residue may go to a digester, never into a trough."""
    supply = offer("Scoby de kombucha en surplus")
    assert proposals(supply, need("Scoby de kombucha pour méthanisation"))  # the text alone is enough here
    assert proposals(supply, need("Scoby de kombucha pour nourrir les cochons")) == []
