"""Kafka topic names: the only place they are spelled out."""

LISTINGS = "boucle.listings"
ORGANISATIONS = "boucle.organisations"
MATCHES = "boucle.matches"
SYNERGIES = "boucle.synergies"
TERRITORIES = "boucle.territories"  # reporting's news for each territory's animateur
TEACHINGS = "boucle.teachings"  # what the animateurs teach the matching engine

ALL = (LISTINGS, ORGANISATIONS, MATCHES, SYNERGIES, TERRITORIES, TEACHINGS)


def dead_letter(topic: str) -> str:
    """The dead-letter topic of `topic`."""
    return f"{topic}.dlq"


ALL_WITH_DLQ = ALL + tuple(dead_letter(t) for t in ALL)
