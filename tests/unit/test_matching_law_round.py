"""The law round grown from the official texts: plant health, medicines, plant protection, seeds, food contact,
treated wood, lead, electrical waste, waste oils, toys and second-hand bedding.

As in `test_matching_law.py`, each forbidden pair is first shown to be proposed by the same engine without the
regulatory base, so that the test fails if the law stops applying; each rule has a lawful neighbour still proposed.
"""

from __future__ import annotations

import pytest
from matching.engine.model import ListingInput
from matching.knowledge import Knowledge
from matching.knowledge.law import Regulation

from tests.unit.test_matching_law import need, obligation_ids, offer, proposals

OXYGEN = offer("Oxygène industriel en bouteilles (surplus)")
SULFUR = offer("Soufre de désulfuration")
SCREENINGS = offer("Criblures et grains cassés de silo")
NEWSPRINT = offer("Papier journal invendu")
SLEEPERS = offer("Traverses de chemin de fer créosotées d'occasion", waste_status="product")

FORBIDDEN = [
    # plant health (règlement 2016/2031, arrêté du 31 janvier 2025 : chancre coloré du platane)
    pytest.param(
        offer("Bois de platanes abattus (chancre coloré)"),
        need("Bois de chauffage pour nos poêles"),
        id="plane-canker-wood-never-firewood",
    ),
    pytest.param(
        offer("Branches de platanes atteints du chancre coloré"),
        need("Broyat de branches pour paillage"),
        id="plane-canker-branches-never-mulch",
    ),
    # medicines (CSP L5111-1, L5121-8, L4211-1, L5143-2)
    pytest.param(OXYGEN, need("Oxygène pour nos résidents de l'EHPAD"), id="industrial-oxygen-never-for-residents"),
    pytest.param(OXYGEN, need("Oxygène médical pour nos patients"), id="industrial-oxygen-never-medical"),
    pytest.param(
        offer("Antibiotiques vétérinaires restants"),
        need("Antibiotiques pour nos brebis"),
        id="veterinary-medicines-not-passed-on",
    ),
    pytest.param(
        offer("Vermifuges pour ovins en surplus"), need("Vermifuge pour nos brebis"), id="wormers-not-passed-on"
    ),
    pytest.param(
        offer("Médicaments en surplus"),
        need("Médicaments pour notre association humanitaire"),
        id="medicines-by-their-words-not-redistributed",
    ),
    # plant protection products (règlement 1107/2009, Code rural L253-1)
    pytest.param(SULFUR, need("Soufre pour traiter l'oïdium de nos vignes"), id="by-product-sulfur-no-fungicide"),
    pytest.param(
        offer("Sulfate de cuivre en surplus"),
        need("Sulfate de cuivre pour traitement des vignes"),
        id="copper-sulphate-no-vine-treatment",
    ),
    pytest.param(
        offer("Sulfate d'ammonium du laveur d'air"),
        need("Engrais pour traiter la vigne contre l'oïdium"),
        id="fertiliser-no-fungicide",
    ),
    pytest.param(offer("Sel de déneigement en surplus"), need("Sel pour désherber la cour"), id="salt-no-weedkiller"),
    # seeds (Code rural L661-8, décret 81-605)
    pytest.param(SCREENINGS, need("Grains de blé pour nos semis d'automne"), id="screenings-are-no-seed"),
    # food contact (règlements 852/2004 annexe II ch. X, 1935/2004, 2022/1616)
    pytest.param(
        offer("Alvéoles à œufs usagées"), need("Alvéoles pour emballer nos œufs"), id="used-egg-trays-never-repacked"
    ),
    pytest.param(NEWSPRINT, need("Papier pour emballer nos fromages"), id="newsprint-never-on-food"),
    pytest.param(
        offer("Film plastique usagé"), need("Film pour emballer nos fromages"), id="used-plastic-film-never-on-food"
    ),
    pytest.param(
        offer("Fûts de 200 L vides, contenu inconnu"),
        need("Fûts pour stocker notre vin"),
        id="unknown-content-drums-never-food",
    ),
    # creosote and CCA (REACH annexe XVII, entrées 19 et 31), lead paint (entrées 16-17, directive 2009/48)
    pytest.param(SLEEPERS, need("Traverses pour nos bacs de culture"), id="creosote-never-in-planters"),
    pytest.param(
        offer("Peinture au plomb (céruse) ancienne"), need("Peinture pour nos volets"), id="lead-paint-never-used"
    ),
    pytest.param(
        offer("Planches peintes au plomb"),
        need("Planches pour fabriquer des jouets en bois"),
        id="lead-painted-wood-never-toys",
    ),
    # electrical waste (R543-172 s., directive 2012/19/UE) and waste oils (R543-3 s., Code des douanes 265 ter)
    pytest.param(
        offer("DEEE en mélange"),
        need("DEEE pour récupérer des pièces détachées"),
        id="weee-only-to-authorised-take-back",
    ),
    pytest.param(
        offer("Électroménager hors service"), need("Électroménager pour nos familles"), id="broken-appliances-are-weee"
    ),
    pytest.param(
        offer("Huile de friture usagée"),
        need("Huile de friture usagée pour nos tracteurs"),
        id="used-cooking-oil-never-in-tractors",
    ),
]


@pytest.mark.parametrize(("supply", "demand"), FORBIDDEN)
def test_an_exchange_the_law_forbids_is_never_proposed(supply: ListingInput, demand: ListingInput) -> None:
    assert proposals(supply, demand, law=False), "without the law the pair is proposed: the case tests the law"
    assert proposals(supply, demand) == []


ALLOWED = [
    pytest.param(
        offer("Bois de platanes abattus (chancre coloré)"),
        need("Bois infesté à détruire par incinération"),
        id="plane-canker-wood-to-incineration",
    ),
    pytest.param(offer("Bûches de platane"), need("Bois de chauffage pour nos poêles"), id="healthy-plane-firewood"),
    pytest.param(OXYGEN, need("Oxygène pour l'oxycoupage de notre atelier"), id="industrial-oxygen-for-cutting"),
    pytest.param(
        offer("Concentrateur d'oxygène"),
        need("Concentrateur d'oxygène pour nos patients"),
        id="oxygen-concentrator-is-a-device",
    ),
    pytest.param(
        offer("Médicaments en surplus"),
        need("Collecte des médicaments non utilisés (Cyclamed)"),
        id="medicines-to-pharmacy-take-back",
    ),
    pytest.param(SULFUR, need("Soufre élémentaire pour notre usine chimique"), id="sulfur-to-chemistry"),
    pytest.param(
        offer("Sulfate d'ammonium du laveur d'air"), need("Engrais azoté pour nos vignes"), id="fertiliser-for-vines"
    ),
    pytest.param(
        offer("Eau de pluie récupérée en cuve, 20 m3"),
        need("Eau pour remplir le pulvérisateur (traitements phytosanitaires)"),
        id="rainwater-in-sprayer",
    ),
    pytest.param(
        offer("Gravier concassé"),
        need("Gravier pour les allées, contre les mauvaises herbes"),
        id="gravel-against-weeds",
    ),
    pytest.param(SCREENINGS, need("Blé pour nourrir nos poules"), id="screenings-as-feed"),
    pytest.param(
        offer("Semences certifiées de blé, surplus"),
        need("Semences de blé pour nos semis"),
        id="certified-seed-for-sowing",
    ),
    pytest.param(
        offer("Alvéoles à œufs neuves, fin de série"), need("Alvéoles pour emballer nos œufs"), id="new-egg-trays"
    ),
    pytest.param(NEWSPRINT, need("Papier journal pour calage de colis"), id="newsprint-for-parcels"),
    pytest.param(
        offer("Cartons alvéolés usagés"),
        need("Cartons pour expédier nos bouteilles de vin"),
        id="bottle-dividers-are-no-egg-trays",
    ),
    pytest.param(
        offer("Fûts de 200 L vides, contenu inconnu"),
        need("Fûts pour récupérer l'eau de pluie"),
        id="unknown-content-drums-for-rainwater",
    ),
    pytest.param(SLEEPERS, need("Traverses pour soutènement de talus"), id="creosote-sleepers-in-a-bank"),
    pytest.param(
        offer("DEEE en mélange"), need("Recycleur de DEEE, installation autorisée"), id="weee-to-authorised-recycler"
    ),
    pytest.param(
        offer("Électroménager en état de marche"),
        need("Électroménager pour nos familles"),
        id="working-appliances-reused",
    ),
    pytest.param(
        offer("Huile de friture usagée"),
        need("cherche huile végétale usagée pour faire du carburant (biodiesel)"),
        id="used-cooking-oil-to-biodiesel",
    ),
]


@pytest.mark.parametrize(("supply", "demand"), ALLOWED)
def test_the_lawful_neighbours_stay_proposed(supply: ListingInput, demand: ListingInput) -> None:
    assert proposals(supply, demand)


def test_cautions_without_a_prohibition_are_said() -> None:
    """No text forbids giving a mattress, wood for toys or a lead-painted shutter: the proposal says what is owed."""
    assert "used_bedding_hygiene" in obligation_ids(
        offer("Matelas usagés en bon état"), need("Matelas pour les familles hébergées")
    )
    assert "toy_safety" in obligation_ids(
        offer("Chutes de bois de palette"), need("Bois pour fabriquer des jouets pour enfants")
    )
    assert "lead_paint_exposure" in obligation_ids(
        offer("Volets anciens peints au plomb"), need("Volets pour la crèche")
    )


def test_every_rule_of_the_round_cites_an_official_site() -> None:
    regulation = Regulation.load(Knowledge.load())
    ids = {
        "plant_quarantine_pest_destroyed",
        "medicine_only_authorised",
        "breathing_gas_only_medical",
        "medicine_words_redistribution",
        "veterinary_medicines_transfer",
        "unauthorised_crop_protection",
        "not_seed_for_sowing",
        "used_food_packaging_reuse",
        "recovered_material_food_contact",
        "creosote_cca_restricted_uses",
        "lead_paint_no_use",
        "lead_paint_toys",
        "weee_take_back",
        "waste_oil_burning",
        "used_bedding_hygiene",
        "toy_safety",
        "lead_paint_exposure",
    }
    rules = [r for r in (*regulation.prohibitions, *regulation.obligations) if r.id in ids]
    assert {r.id for r in rules} == ids
    for rule in rules:
        assert rule.texts and all(
            t.url.startswith(("https://eur-lex.europa.eu/", "https://www.legifrance.gouv.fr/")) for t in rule.texts
        ), rule.id
