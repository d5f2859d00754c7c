"""The knowledge round for shared equipment, pooled services, rooms, skills and reusable packaging, on the real
knowledge base: a share meets a pool request phrased as the activity, pool requests for the same thing form a group,
and a container that held chemicals never goes to food.
"""

from __future__ import annotations

from datetime import date

import pytest
from matching.engine import Engine
from matching.engine.model import ListingInput
from matching.knowledge import Knowledge
from matching.knowledge.law import Regulation

TODAY = date(2026, 12, 2)
# Neighbours in a business park of Aurillac, a few kilometres apart.
PLACES = [(44.926, 2.440), (44.911, 2.420), (44.935, 2.455), (44.918, 2.462)]


def listing(number: int, kind: str, title: str) -> ListingInput:
    lat, lon = PLACES[number % len(PLACES)]
    return ListingInput(
        listing_id=f"{kind}-{number}", organisation_id=f"org-{number}", kind=kind, title=title, lat=lat, lon=lon
    )


def pairs(supply: ListingInput, demand: ListingInput, *, law: bool = True) -> list:
    engine = Engine(Knowledge.load(), today=TODAY, regulation=None if law else Regulation.empty())
    engine.upsert(demand)
    return [p for p in engine.upsert(supply) if p.kind == "pair"]


def shared(share: str, pool: str) -> list:
    return pairs(listing(0, "share", share), listing(1, "pool", pool))


def given(offer: str, need: str, *, law: bool = True) -> list:
    return pairs(listing(0, "offer", offer), listing(1, "need", need), law=law)


def group_of(*titles: str) -> set[str] | None:
    """The members of the group the last pool request takes part in, if any."""
    engine = Engine(Knowledge.load(), today=TODAY)
    groups: list = []
    for number, title in enumerate(titles):
        groups = [p for p in engine.upsert(listing(number, "pool", title)) if p.kind == "group"] or groups
    return set(groups[-1].listing_ids) if groups else None


@pytest.mark.parametrize(
    ("share", "pool"),
    [
        ("Nacelle élévatrice", "Location nacelle pour élagage"),
        ("Nacelle 12 m sur porteur, dispo 3 j/mois", "Élagage de nos arbres"),
        ("Nacelle ciseaux 10 m", "Changement des éclairages de notre entrepôt"),
        ("Pont-bascule 50 t", "Pesée de nos camions"),
        ("Pont bascule", "Besoin de peser nos bennes"),
        ("Chambre froide positive 20 m3", "Stockage au froid de nos colis"),
        ("Chambre froide négative -20 °C", "Congélation de nos produits"),
        ("Presse à balles verticale", "Compacter nos cartons"),
        ("Broyeur de végétaux thermique", "Broyer les déchets de taille de nos vergers"),
        ("Laveuse", "Nettoyage de nos sols d'atelier"),
        ("Tracteur avec chauffeur", "Travaux agricoles à façon"),
        ("Fendeuse de bûches", "Fendre notre bois de chauffage"),
        ("Minibus 9 places", "Transport de nos résidents"),
        ("Cuisine professionnelle agréée", "Transformer nos fruits en confiture"),
        ("Laveuse de caisses", "Lavage de nos caisses de récolte"),
        ("Terrain clos de 2000 m²", "Terrain pour stocker nos matériaux"),
        ("Salle de réunion 30 places", "Salle pour notre assemblée générale"),
        ("Soudeur disponible 2 j/sem", "Travaux de soudure sur nos remorques"),
        ("Électricien disponible", "Travaux électriques dans notre atelier"),
        ("Mécanicien poids lourds", "Entretien de nos camions"),
        ("Notre responsable QSE à temps partagé", "Mise à jour de notre DUERP"),
        ("DPO mutualisé", "Mise en conformité RGPD"),
        ("Juriste à temps partagé", "Rédaction de nos contrats"),
        ("Graphiste à temps partagé", "Création de notre logo"),
        ("Place disponible dans notre camion frigo vers Rungis", "Mutualiser nos livraisons"),
    ],
)
def test_a_share_meets_a_pool_phrased_as_the_activity(share: str, pool: str) -> None:
    assert shared(share, pool)


@pytest.mark.parametrize(
    ("share", "pool"),
    [
        ("Soudeur disponible 2 j/sem", "Travaux électriques dans notre atelier"),  # a welder is no electrician
        ("Chambre froide positive 20 m3", "Congélation de nos produits"),  # fresh cold does not freeze
        ("Terrain clos de 2000 m²", "Stocker nos viandes au froid"),
        ("Menuisier", "Besoin d'un soudeur"),
    ],
)
def test_a_share_does_not_meet_what_it_cannot_do(share: str, pool: str) -> None:
    assert not shared(share, pool)


@pytest.mark.parametrize(
    "titles",
    [
        ("Achat groupé d'EPI", "Achat groupé d'EPI"),
        ("Achat groupé d'EPI", "Commande groupée de gants et chaussures de sécurité"),
        ("Pont-bascule en commun", "Pesée de nos camions"),
        ("Chambre froide à partager", "Stockage au froid de nos colis"),
        ("Nacelle à partager", "Élagage de nos arbres"),
        ("Minibus à partager", "Transport de nos résidents"),
        ("Terrain à partager", "Besoin d'un terrain"),
        ("Mise à jour du DUERP", "Rédaction du document unique"),
        ("Collecte des piles", "Collecte des DEEE en commun"),
        ("Enlèvement groupé des déchets dangereux", "Collecte des DDS des artisans"),
        ("Collecte des huiles usagées", "Collecte groupée des huiles de friture"),
        ("Mutualiser nos livraisons", "Transport mutualisé"),
        ("DPO mutualisé", "Délégué à la protection des données partagé"),
        ("Laveuse de sols en commun", "Autolaveuse à partager"),
        ("Responsable qualité à temps partagé", "QSE mutualisé entre PME"),
    ],
)
def test_pool_requests_for_the_same_thing_form_a_group(titles: tuple[str, ...]) -> None:
    assert group_of(*titles) == {f"pool-{n}" for n in range(len(titles))}


@pytest.mark.parametrize(
    "titles",
    [
        ("Mise à jour du DUERP", "Accompagnement ISO 14001"),
        ("Chambre froide négative à partager", "Place en chambre froide positive à partager"),
        ("Achat groupé d'EPI", "Achat groupé d'électricité"),
    ],
)
def test_different_things_do_not_form_a_group(titles: tuple[str, ...]) -> None:
    assert group_of(*titles) is None


def test_three_pool_requests_naming_the_activity_or_the_machine_form_one_group() -> None:
    assert group_of(
        "Fendre notre bois de chauffage", "Fendeuse à partager", "Fendeuse pour fendre notre bois de chauffage"
    ) == {"pool-0", "pool-1", "pool-2"}


@pytest.mark.parametrize(
    ("offer", "need"),
    [
        ("Caisses plastique gerbables", "Caisses pour nos livraisons"),
        ("Cagettes bois", "Caisses pour le marché"),
        ("GRV 1000 L alimentaires rincés", "Jardins partagés : fûts pour récupérer l'eau de pluie"),
        ("Keg inox 30 L", "Fûts de bière pour notre brasserie"),
        ("Cartons de déménagement", "Cartons pour déménager"),
        ("Caisses isothermes", "Caisses pour nos livraisons"),
        ("Bocaux en verre", "Dame-jeanne pour notre vin"),
    ],
)
def test_reusable_packaging_meets_whoever_ships_or_stores(offer: str, need: str) -> None:
    assert given(offer, need)


def test_a_crate_is_no_broken_crate() -> None:
    """« caisse » is one letter away from « cassé »: read as a typo, it would deny every crate its good condition."""
    resolver = Engine(Knowledge.load(), today=TODAY).resolver
    assert "good_condition" not in resolver.profile(listing(0, "offer", "Caisses plastique gerbables")).contradicted


@pytest.mark.parametrize(
    ("offer", "need"),
    [
        ("Touries vides", "Touries pour notre cidre"),
        ("Sacs vides de semences traitées", "Sacs vides pour notre boulangerie"),
        ("Caisses plastique de pièces automobiles", "Caisses pour notre poissonnerie"),
    ],
)
def test_a_container_that_held_chemicals_never_goes_to_food(offer: str, need: str) -> None:
    assert given(offer, need, law=False)  # the same exchange, without the law, is proposed
    assert not given(offer, need)


def test_a_chemical_container_is_no_crate() -> None:
    assert not given("Bidons ayant contenu de la soude", "Caisses pour nos livraisons")


def test_a_use_one_machine_alone_serves_is_its_pooling_key_tried_first() -> None:
    """Pool requests naming the machine, the activity or both then group under one key (see taxonomy.toml)."""
    knowledge = Knowledge.load()
    for machine, use in [
        ("log_splitter", "firewood_splitting"),
        ("passenger_vehicle", "group_travel"),
        ("crate_washer", "crate_cleaning"),
        ("land_plot", "ground_use"),
        ("freezer_room", "deep_frozen_storage"),
        ("shared_kitchen", "food_preparation"),
        ("tractor", "farm_contract_work"),
    ]:
        assert sorted(knowledge.pooling_keys(machine))[0] == use
