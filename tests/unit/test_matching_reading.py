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


def offer_and_need(offer: str, need_title: str) -> list:
    from datetime import date

    from matching.engine import Engine

    engine = Engine(Knowledge.load(), today=date(2026, 12, 7))
    at = {"lat": 47.32, "lon": 5.04}
    engine.upsert(ListingInput(listing_id="o", organisation_id="a", kind="offer", title=offer, **at))
    return engine.upsert(ListingInput(listing_id="n", organisation_id="b", kind="need", title=need_title, **at))


def test_coproducts_and_uses_from_the_domain_catalogues() -> None:
    """Issue 14, round 3: families the knowledge base lacked, written as people write them."""
    for offer, need_title in (
        ("pulpes de betteraves surpressées", "fourrage humide pour troupeau laitier"),
        ("crème de levure de bière", "soupe pour nos porcs à l'engraissement"),
        ("lies et bourbes", "prestations viniques : marcs et lies à distiller"),
        ("coques de noix sèches", "combustible pour chaudière à plaquettes"),
        ("gypse de désulfuration", "gypse pour fabrication de plaques de plâtre"),
        ("chutes de hêtre non traité", "bois pour notre fumoir"),
        ("atelier mécanique avec fosse", "entretien courant de nos véhicules"),
    ):
        assert offer_and_need(offer, need_title), (offer, need_title)


def test_new_uses_keep_the_law() -> None:
    assert not offer_and_need("boues de STEP urbaine chaulées", "amendement pour mes planches de mâche, maraîcher")
    assert not offer_and_need("grignons d'olive bruts", "granulés pour mon poêle à granulés")


def test_pool_requests_for_a_material_group_with_its_collection_service() -> None:
    """« collecte mutualisée des cartons », « cartons : collecte groupée ? » and « nos cartons » ask the same."""
    from datetime import date

    from matching.engine import Engine

    engine = Engine(Knowledge.load(), today=date(2026, 12, 7))
    standing = {}
    for n, title in enumerate(
        (
            "Collecte mutualisée des cartons",
            "cartons : collecte groupée sur la zone ?",
            "cherche solution collective pour nos cartons",
        )
    ):
        changes = engine.apply(
            ListingInput(
                listing_id=f"p{n}", organisation_id=f"o{n}", kind="pool", title=title, lat=47.32 + n / 500, lon=5.04
            )
        )
        for key in changes.retracted:
            standing.pop(key)
        standing.update((p.key, p) for p in changes.proposed)
    [group] = [p for p in standing.values() if p.kind == "group"]
    assert group.listing_ids == ("p0", "p1", "p2")
    knowledge = Knowledge.load()  # two different courses are not one shared course
    assert not knowledge.pooling_keys("first_aid_training") & knowledge.pooling_keys("forklift_licence_training")


def test_a_company_sees_how_boucle_reads_its_listing() -> None:
    from matching.resources import ListingText, read

    known = read(resolver(), ListingText(id="a", kind="offer", title="Chutes de carton ondulé"))
    assert known.understood[0].label == "Chutes de carton" and known.suggestions == []
    unknown = read(resolver(), ListingText(id="b", kind="offer", title="Bobines de fil bouclette mohair"))
    assert unknown.understood == [] and unknown.suggestions  # known resources close to its words


def test_a_taught_phrase_places_a_listing_the_knowledge_base_did_not_know() -> None:
    base = Knowledge.load()
    offer = ListingInput(listing_id="o", organisation_id="a", kind="offer", title="Bobines de fil bouclette mohair")
    assert Resolver(base).profile(offer).nodes == ()
    taught = base.taught([("textile_offcuts", "fil bouclette mohair"), ("licorne", "corne")])  # unknown: skipped
    assert Resolver(taught).profile(offer).nodes == ("textile_offcuts",)
    assert "fil bouclette mohair" not in base.nodes["textile_offcuts"].synonyms  # the reviewed base is untouched
    assert base.taught([]) is base


def test_the_law_holds_for_an_engine_that_was_taught() -> None:
    """A taught knowledge base is another object: the engine must keep the reviewed law (it lost it once)."""
    from datetime import date

    from matching.consumer import MatchingProcessor
    from matching.engine import Engine
    from matching.knowledge.law import Regulation

    base = Knowledge.load()
    taught = Engine(
        base.taught([("textile_offcuts", "fil bouclette mohair")]),
        today=date(2026, 12, 7),
        regulation=Regulation.load(base),
    )
    at = {"lat": 47.32, "lon": 5.04}
    taught.upsert(
        ListingInput(
            listing_id="o",
            organisation_id="a",
            kind="offer",
            title="Carton ondulé",
            quantity_value=2,
            quantity_unit="t",
            frequency="monthly",
            **at,
        )
    )
    [proposal] = taught.upsert(
        ListingInput(listing_id="n", organisation_id="b", kind="need", title="Carton ondulé", **at)
    )
    assert {o.id for o in proposal.obligations} == {"waste_register", "transporter_declaration"}
    assert MatchingProcessor(base).regulation.obligations  # what every engine of the service is given
