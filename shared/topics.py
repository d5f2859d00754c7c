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

# What `reporting.rebuild` replays from the broker's first offset: these topics keep their events for ever (the
# broker's own default, a week, would lose a territory's history).
REPLAYED = (ORGANISATIONS, LISTINGS, MATCHES, SYNERGIES)
# Days each topic keeps its events (None: for ever); a topic not named, and every dead-letter topic, keeps them
# KAFKA_RETENTION_DAYS. The replayed topics carry names and addresses for as long as they are kept: erasing
# them there needs a compacted contact directory (issue 18), not done yet.
RETENTION: dict[str, int | None] = {topic: None for topic in REPLAYED}
