"""Pooling groups on the real knowledge base: how far apart their members may be, which group stands when a listing
could be grouped on two things it asks for, and pool requests the knowledge base cannot place."""

from __future__ import annotations

from datetime import date

import pytest
from matching.engine import Engine
from matching.engine.model import ListingInput
from matching.knowledge import Knowledge

TODAY = date(2026, 12, 2)
# Communes of an intercommunalité of the Cantal, 4 to 25 km from Aurillac.
AURILLAC, ARPAJON, YTRAC, JUSSAC, LAROQUEBROU = (
    (44.926, 2.440),
    (44.903, 2.457),
    (44.911, 2.364),
    (44.988, 2.423),
    (44.968, 2.192),
)


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return Knowledge.load()


def pool(number: int, title: str, at: tuple[float, float], **extra: object) -> ListingInput:
    return ListingInput(
        listing_id=f"pool-{number}",
        organisation_id=f"org-{number}",
        kind="pool",
        title=title,
        lat=at[0],
        lon=at[1],
        **extra,  # type: ignore[arg-type]
    )


def groups(changes) -> list:  # type: ignore[no-untyped-def]
    return [p for p in changes.proposed if p.kind == "group"]


def test_a_pooled_service_groups_communes_across_the_intercommunality(knowledge: Knowledge) -> None:
    """A community manager shared by three communes 10 to 25 km apart: a service travels as far as its users say."""
    engine = Engine(knowledge, today=TODAY)
    engine.apply(pool(1, "Community manager à temps partagé", AURILLAC))
    engine.apply(pool(2, "Chargé de communication mutualisé", YTRAC))
    [group] = groups(engine.apply(pool(3, "Community manager en commun", LAROQUEBROU)))
    assert group.listing_ids == ("pool-1", "pool-2", "pool-3")
    assert group.flagged is False
    # Within its own 10 km, a fourth commune asking the same is not grouped with communes 19 km away.
    assert groups(engine.apply(pool(4, "Community manager partagé", JUSSAC, radius_km=5))) == []


def test_the_larger_group_replaces_the_smaller_one_grouped_on_another_word(knowledge: Knowledge) -> None:
    """« Chambre froide » and « stockage frigorifique » ask for the same thing: when a third asks in the other words,
    one group of three replaces the group of two, and the same members are never told twice."""
    engine = Engine(knowledge, today=TODAY)
    engine.apply(pool(1, "Chambre froide à partager", AURILLAC))
    [two] = groups(engine.apply(pool(2, "Chambre froide en commun", ARPAJON)))
    three = engine.apply(pool(3, "Stockage frigorifique en commun", YTRAC))
    [group] = groups(three)
    assert group.listing_ids == ("pool-1", "pool-2", "pool-3") and three.retracted == [two.key]
    again = engine.apply(pool(1, "Chambre froide à partager", AURILLAC, revision=2))
    assert groups(again) == [] and again.retracted == []


def test_pool_requests_for_a_service_are_grouped_by_what_their_titles_are_about(knowledge: Knowledge) -> None:
    """Asked as the service (« contrôle », « vérification »), in words the knowledge base may not know or files
    elsewhere: what the titles are about decides, and the parties are told the words brought them together."""
    engine = Engine(knowledge, today=TODAY)
    engine.apply(pool(1, "Contrôle annuel des aires de jeux", AURILLAC))
    assert groups(engine.apply(pool(2, "Destruction des nids de frelons asiatiques", ARPAJON))) == []
    [group] = groups(engine.apply(pool(3, "Vérification des jeux d'enfants", JUSSAC)))
    assert group.listing_ids == ("pool-1", "pool-3")
    assert group.flagged  # the animateur checks what words alone brought together
    assert "Rapprochement fait sur le texte des annonces" in group.explanations["pool-3"]
    [frelons] = groups(engine.apply(pool(4, "Enlever les nids de frelons", YTRAC)))
    assert frelons.listing_ids == ("pool-2", "pool-4")


def test_the_same_service_for_another_thing_is_not_grouped(knowledge: Knowledge) -> None:
    engine = Engine(knowledge, today=TODAY)
    engine.apply(pool(1, "Contrôle annuel des aires de jeux", AURILLAC))
    assert groups(engine.apply(pool(2, "Contrôle annuel des extincteurs", ARPAJON))) == []
    engine.apply(pool(3, "Collecte du verre des bars", AURILLAC))
    assert groups(engine.apply(pool(4, "Collecte des cartons des commerces", ARPAJON))) == []
