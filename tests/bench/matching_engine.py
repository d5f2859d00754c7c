"""Benchmark of the matching engine on a synthetic France-wide set of listings.

Run: `make bench` (100,000 listings) or
`python -m tests.bench.matching_engine --listings 1000000` (the 1M flag).
Listings sit at real commune coordinates, name real taxonomy resources and uses, and are
fed one by one through `Engine.apply`; the same new listings are then matched by a naive
scan of every listing with the same fit function, for comparison.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import time
from datetime import date, timedelta

from matching.engine import Engine
from matching.engine.fit import pair_fit
from matching.engine.model import COMPLEMENT, SUPPLY_KINDS, ListingInput
from matching.knowledge import Knowledge

from shared.geo import Gazetteer
from tests.bench import percentile

TODAY = date(2026, 11, 23)
KINDS = ("offer", "need", "offer", "need", "share", "pool")
UNITS = (("t", "monthly"), ("kg", "weekly"), ("m3", "monthly"), ("t", "yearly"), (None, None))


def synthetic_listings(n: int, seed: int = 7) -> list[ListingInput]:
    rng = random.Random(seed)
    knowledge = Knowledge.load()
    resources = [node for node in knowledge.nodes.values() if node.kind == "resource"]
    uses = [node for node in knowledge.nodes.values() if node.kind == "use"]
    places = list(Gazetteer.load().places())
    listings = []
    for i in range(n):
        kind = rng.choice(KINDS)
        node = rng.choice(uses) if kind == "need" and rng.random() < 0.4 else rng.choice(resources)
        title = rng.choice((node.label, *node.synonyms))
        place = rng.choice(places)
        unit, frequency = rng.choice(UNITS)
        listings.append(
            ListingInput(
                listing_id=f"L{i}",
                organisation_id=f"O{rng.randrange(n // 3 + 1)}",
                kind=kind,  # type: ignore[arg-type]
                title=title[:1].upper() + title[1:],
                quantity_value=round(rng.uniform(0.5, 40), 1) if unit else None,
                quantity_unit=unit,
                frequency=frequency,
                lat=place.lat,
                lon=place.lon,
                commune=place.name,  # type: ignore[arg-type]
                expires_at=TODAY + timedelta(days=rng.randrange(10, 360)),
            )
        )
    return listings


def naive_fits(engine: Engine, listing: ListingInput) -> int:
    """Compare a listing with every indexed listing: what the engine's indexes avoid."""
    profile = engine.resolver.profile(listing)
    found = 0
    for other in engine.index.profiles.values():
        if other.listing.kind != COMPLEMENT[listing.kind]:
            continue
        supply, demand = (profile, other) if listing.kind in SUPPLY_KINDS else (other, profile)
        if pair_fit(engine.knowledge, engine.law, supply, demand, engine.today) is not None:
            found += 1
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=2_000, help="listings fed and timed after the load")
    parser.add_argument("--naive", type=int, default=40, help="listings timed through the naive scan")
    args = parser.parse_args()

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    listings = synthetic_listings(args.listings + args.new)
    base, new = listings[: args.listings], listings[args.listings :]
    engine = Engine(Knowledge.load(), today=TODAY)
    started = time.perf_counter()
    for listing in base:
        engine.load(listing)
    load_seconds = time.perf_counter() - started
    gc.freeze()  # as the service does after loading: the index is long-lived, the collector skips it
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    latencies, proposals = [], 0
    started = time.perf_counter()
    for listing in new:
        t0 = time.perf_counter()
        proposals += len(engine.apply(listing).proposed)
        latencies.append(time.perf_counter() - t0)
    engine_seconds = time.perf_counter() - started

    naive = []
    for listing in new[: args.naive]:
        t0 = time.perf_counter()
        naive_fits(engine, listing)
        naive.append(time.perf_counter() - t0)

    ms = 1000
    print(
        f"listings indexed: {len(engine.index):,} (loaded in {load_seconds:.1f}s); "
        f"memory: +{(rss_loaded - rss_before) / 1024:.0f} MB resident"
    )
    print(
        f"engine, {len(new)} new listings: p50 {ms * statistics.median(latencies):.2f} ms, "
        f"p99 {ms * percentile(latencies, 99):.2f} ms, max {ms * max(latencies):.2f} ms, "
        f"{len(new) / engine_seconds:.0f} listings/s, {proposals} proposals"
    )
    print(
        f"naive scan, {len(naive)} listings: p50 {ms * statistics.median(naive):.1f} ms, "
        f"p99 {ms * percentile(naive, 99):.1f} ms"
    )
    print(f"speed-up at p50: {statistics.median(naive) / statistics.median(latencies):.0f}x")


if __name__ == "__main__":
    main()
