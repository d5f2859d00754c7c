"""Scores the matching engine against the labelled cases of `cases.json`.

    python -m tests.matching_eval.metrics        # runs the real engine and prints the report
    python -m tests.matching_eval.metrics --cases tests/matching_eval/blind_2026_12/cases.json --isolated
                                                 # a blind exam: each case in an engine of its own

Precision counts every proposal that is not expected as a false positive (matches across
cases, inside a case but unlabelled, or explicitly forbidden); recall is the share of the
expected proposals found. A pair is found when a pair proposal has the same (supply,
demand); a group when a group proposal has exactly the same members. Group proposals that
are a strict superset or subset of an expected group are reported apart, as partial (they
still count as false positives). When an expected pair lists `obligations` (ids of what the law
requires, as in the law exam), the report also says how many of them the found pairs name.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

CASES_PATH = Path(__file__).resolve().parent / "cases.json"
DATE_FIELDS = ("available_from", "expires_at")


def load_cases(path: Path = CASES_PATH) -> tuple[date, list[dict[str, Any]]]:
    """`today` and the cases, as stored (listings stay plain dicts)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return date.fromisoformat(data["today"]), data["cases"]


def to_listing(row: dict[str, Any]):
    """A stored listing as the engine's `ListingInput` (imported lazily); fields an older engine lacks are left out."""
    from matching.engine.model import ListingInput

    known = {f.name for f in dataclasses.fields(ListingInput)}
    values = {name: value for name, value in row.items() if name in known}
    for name in DATE_FIELDS:
        if values.get(name):
            values[name] = date.fromisoformat(values[name])
    return ListingInput(**values)


def run_engine(engine_factory: Callable[[], Any], cases: list[dict[str, Any]]) -> list[Any]:
    """Feeds every listing of every case, in file order, through one engine; the proposals standing at the end (a
    group superseded by a larger one as members join is retracted, as its parties are told: it no longer counts)."""
    engine = engine_factory()
    standing: dict[str, Any] = {}
    for case in cases:
        for row in case["listings"]:
            changes = engine.apply(to_listing(row))
            for key in changes.retracted:
                standing.pop(key, None)
            standing.update((proposal.key, proposal) for proposal in changes.proposed)
    return list(standing.values())


def run_engine_per_case(engine_factory: Callable[[], Any], cases: list[dict[str, Any]]) -> list[Any]:
    """Each case through a fresh engine: a blind exam's cases share towns, so they must not meet."""
    return [proposal for case in cases for proposal in run_engine(engine_factory, [case])]


def default_engine_factory(today: date, meaning: bool = True) -> Callable[[], Any]:
    """`Engine(Knowledge.load(), today=today)` with the service's fallback by meaning (one for every engine made:
    its vectors load once), imported only when called."""
    from matching.knowledge import Knowledge
    from matching.meaning import MeaningGuesser

    knowledge = Knowledge.load()
    guess = MeaningGuesser(knowledge) if meaning else None

    def factory():
        from matching.engine import Engine

        return Engine(knowledge, today=today, guess=guess)

    return factory


# --------------------------------------------------------------------------- scoring


def _identity(kind: str, ids: Iterable[str]) -> tuple:
    ids = tuple(ids)
    return ("pair", ids) if kind == "pair" else ("group", frozenset(ids))


@dataclass
class Item:
    """One labelled item or one proposal, located in the cases."""

    kind: str
    listings: tuple[str, ...]
    cases: tuple[str, ...]
    note: str = ""
    why: str | None = None
    family: str | None = None
    score: float | None = None
    flagged: bool = False
    obligations: frozenset[str] | None = None  # expected: what the law requires; proposed: what it names

    def describe(self) -> str:
        where = self.cases[0] if len(self.cases) == 1 else "+".join(self.cases) or "?"
        head = f"[{where}] {self.kind} {' → '.join(self.listings) if self.kind == 'pair' else ', '.join(self.listings)}"
        extra = [x for x in (self.why, self.note) if x]
        if self.score is not None:
            extra.append(f"score {self.score:.2f}{' (flagged)' if self.flagged else ''}")
        return head + (f" — {' ; '.join(extra)}" if extra else "")


@dataclass
class Report:
    n_expected: int
    n_proposals: int
    true_positives: list[Item] = field(default_factory=list)
    misses: list[Item] = field(default_factory=list)
    false_positives: list[Item] = field(default_factory=list)
    forbidden_hits: list[Item] = field(default_factory=list)  # false positives that are labelled forbidden
    partial_groups: list[tuple[Item, Item, str]] = field(default_factory=list)  # (proposal, expected, superset|subset)
    cross_case: list[Item] = field(default_factory=list)  # false positives joining listings of several cases
    # (expected item, proposal) of the found pairs whose label lists the obligations the law requires
    obligation_pairs: list[tuple[Item, Item]] = field(default_factory=list)

    @property
    def tp(self) -> int:
        return len(self.true_positives)

    @property
    def fp(self) -> int:
        return len(self.false_positives)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.n_expected if self.n_expected else 0.0

    def other_false_positives(self) -> list[Item]:
        """False positives neither forbidden, nor across cases, nor partial groups."""
        apart = {id(i) for i in self.forbidden_hits} | {id(i) for i in self.cross_case}
        apart |= {id(p) for p, _, _ in self.partial_groups}
        return [f for f in self.false_positives if id(f) not in apart]

    def forbidden_by_why(self) -> Counter:
        return Counter(item.why for item in self.forbidden_hits)

    def recall_by_family(self) -> dict[str, tuple[int, int]]:
        found = Counter(item.family or "?" for item in self.true_positives)
        total = found + Counter(item.family or "?" for item in self.misses)
        return {family: (found[family], total[family]) for family in sorted(total)}

    def obligation_lines(self) -> list[str]:
        if not self.obligation_pairs:
            return []
        pairs = [(e.obligations or frozenset(), p.obligations or frozenset()) for e, p in self.obligation_pairs]
        required = sum(len(wanted) for wanted, _ in pairs)
        named = sum(len(wanted & got) for wanted, got in pairs)
        complete = sum(1 for wanted, got in pairs if wanted <= got)
        lacking = Counter(o for wanted, got in pairs for o in wanted - got)
        extra = Counter(o for wanted, got in pairs for o in got - wanted)
        lines = [
            f"obligations named: {named}/{required} ({named / required if required else 1:.3f}); "
            f"found pairs naming all they require: {complete}/{len(pairs)}"
        ]
        lines += [f"  lacking {o:28} {n}" for o, n in lacking.most_common()]
        lines += [f"  beyond the label {o:20} {n}" for o, n in extra.most_common()]
        return lines

    def render(self, limit: int = 60) -> str:
        lines = [
            f"proposals: {self.n_proposals}  expected: {self.n_expected}",
            f"precision: {self.precision:.3f}  (TP {self.tp}, FP {self.fp})",
            f"recall:    {self.recall:.3f}  ({self.tp}/{self.n_expected})",
            *self.obligation_lines(),
            "",
            "recall by family:",
        ]
        lines += [f"  {family:20} {f}/{t}" for family, (f, t) in self.recall_by_family().items()]
        by_why = self.forbidden_by_why()
        lines += ["", f"false positives on forbidden items: {len(self.forbidden_hits)}"]
        lines += [f"  {why:24} {n}" for why, n in by_why.most_common()]
        lines += [
            f"false positives across cases: {len(self.cross_case)}",
            f"partial groups (superset/subset of an expected group): {len(self.partial_groups)}",
            f"other false positives: {len(self.other_false_positives())}",
        ]

        def section(title: str, items: list[str]) -> None:
            lines.extend(["", f"{title} ({len(items)}):"])
            lines.extend(f"  {text}" for text in items[:limit])
            if len(items) > limit:
                lines.append(f"  … and {len(items) - limit} more")

        section("misses", [m.describe() for m in self.misses])
        section("false positives on forbidden items", [f.describe() for f in self.forbidden_hits])
        section("false positives across cases", [f.describe() for f in self.cross_case])
        section(
            "partial groups",
            [f"{p.describe()}  [{how} of {', '.join(e.listings)}]" for p, e, how in self.partial_groups],
        )
        section("other false positives", [f.describe() for f in self.other_false_positives()])
        return "\n".join(lines)


def score(cases: list[dict[str, Any]], proposals: Iterable[Any]) -> Report:
    """Compares the proposals with the labels. The same proposal returned twice counts once."""
    case_of = {row["listing_id"]: case["id"] for case in cases for row in case["listings"]}

    def located(ids: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted({case_of.get(i, "?") for i in ids}))

    expected: dict[tuple, Item] = {}
    forbidden: dict[tuple, Item] = {}
    for case in cases:
        for lab in case["expected"]:
            item = Item(
                lab["kind"],
                tuple(lab["listings"]),
                (case["id"],),
                lab.get("note", ""),
                family=lab.get("family") or case.get("family"),
                obligations=frozenset(lab["obligations"]) if "obligations" in lab else None,
            )
            expected[_identity(item.kind, item.listings)] = item
        for lab in case["forbidden"]:
            kind = lab.get("kind", "pair" if len(lab["listings"]) == 2 else "group")
            item = Item(
                kind,
                tuple(lab["listings"]),
                (case["id"],),
                lab.get("note", ""),
                why=lab["why"],
                family=lab.get("family"),
            )
            forbidden[_identity(kind, item.listings)] = item
            if kind == "pair":  # a forbidden pair is forbidden whichever way round
                forbidden[_identity(kind, item.listings[::-1])] = item

    report = Report(n_expected=len(expected), n_proposals=0)
    seen: set[tuple] = set()
    found: set[tuple] = set()
    expected_groups = [(key, item) for key, item in expected.items() if item.kind == "group"]
    for proposal in proposals:
        key = _identity(proposal.kind, proposal.listing_ids)
        if key in seen:
            continue
        seen.add(key)
        report.n_proposals += 1
        ids = tuple(proposal.listing_ids)
        item = Item(
            proposal.kind,
            ids,
            located(ids),
            getattr(proposal, "explanation", "") or "",
            score=getattr(proposal, "score", None),
            flagged=bool(getattr(proposal, "flagged", False)),
            obligations=frozenset(o.id for o in getattr(proposal, "obligations", ())),
        )
        if key in expected:
            item.family = expected[key].family
            report.true_positives.append(item)
            if expected[key].obligations is not None:
                report.obligation_pairs.append((expected[key], item))
            found.add(key)
            continue
        report.false_positives.append(item)
        if key in forbidden:
            item.why, item.note, item.family = forbidden[key].why, forbidden[key].note, forbidden[key].family
            report.forbidden_hits.append(item)
        elif len(item.cases) > 1:
            report.cross_case.append(item)
        if proposal.kind == "group":
            members = frozenset(ids)
            for (_, exp_members), exp in expected_groups:
                if members > exp_members:
                    report.partial_groups.append((item, exp, "superset"))
                elif members < exp_members:
                    report.partial_groups.append((item, exp, "subset"))
    report.misses = [item for key, item in expected.items() if key not in found]
    return report


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Scores the matching engine on a labelled exam.")
    parser.add_argument("--cases", type=Path, default=CASES_PATH, help="the exam's cases.json")
    parser.add_argument("--isolated", action="store_true", help="each case in an engine of its own")
    parser.add_argument("--no-meaning", action="store_true", help="without the fallback by word vectors")
    args = parser.parse_args(argv)
    today, cases = load_cases(args.cases)
    run = run_engine_per_case if args.isolated else run_engine
    try:
        proposals = run(default_engine_factory(today, meaning=not args.no_meaning), cases)
    except ImportError as exc:
        print(f"the matching engine cannot be imported yet: {exc}", file=sys.stderr)
        return 2
    print(score(cases, proposals).render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
