"""The matching engine against an expert's labelled exam (tests/matching_eval/cases.json).

The exam is written from domain knowledge, independently of the engine's rules: the
engine must find ≥ 90 % of the synergies an animateur would call both companies about,
and ≥ 90 % of what it proposes must be among them.
"""

from __future__ import annotations

import itertools
from collections import Counter
from types import SimpleNamespace

import pytest

from shared.nomenclatures import waste_codes
from tests.matching_eval import build_cases
from tests.matching_eval.build_cases import haversine_km
from tests.matching_eval.metrics import CASES_PATH, load_cases, score

MIN_PRECISION = 0.9
MIN_RECALL = 0.9


@pytest.fixture(scope="module")
def exam():
    return load_cases()


def test_engine_finds_what_an_expert_would(exam) -> None:
    from matching.engine import Engine
    from matching.knowledge import Knowledge

    from tests.matching_eval.metrics import run_engine

    today, cases = exam
    knowledge = Knowledge.load()
    report = score(cases, run_engine(lambda: Engine(knowledge, today=today), cases))
    print(report.render())
    assert report.precision >= MIN_PRECISION, f"precision {report.precision:.3f}"
    assert report.recall >= MIN_RECALL, f"recall {report.recall:.3f}"


# --------------------------------------------------------------------------- the exam itself


def listings_by_id(cases):
    return {row["listing_id"]: (case, row) for case in cases for row in case["listings"]}


def test_listing_ids_are_unique_and_labels_point_inside_their_case(exam) -> None:
    _, cases = exam
    ids = [row["listing_id"] for case in cases for row in case["listings"]]
    assert len(ids) == len(set(ids))
    assert len({case["id"] for case in cases}) == len(cases)
    for case in cases:
        own = {row["listing_id"] for row in case["listings"]}
        assert 2 <= len(own) <= 6, case["id"]
        for item in case["expected"] + case["forbidden"]:
            assert set(item["listings"]) <= own, (case["id"], item)
            if item["kind"] == "group":
                assert item["listings"] == sorted(item["listings"]), item
        for item in case["forbidden"]:
            assert item["why"] in build_cases.WHYS, item


def test_pairs_are_supply_then_demand_of_complementary_kinds(exam) -> None:
    _, cases = exam
    rows = listings_by_id(cases)
    for case in cases:
        for item in case["expected"] + case["forbidden"]:
            kinds = [rows[i][1]["kind"] for i in item["listings"]]
            if item["kind"] == "pair":
                assert build_cases.COMPLEMENT.get(kinds[0]) == kinds[1], item
            else:
                assert len(set(kinds)) == 1, item
        for item in case["expected"]:
            orgs = [rows[i][1]["organisation_id"] for i in item["listings"]]
            assert len(set(orgs)) == len(orgs), f"an organisation never matches itself: {item}"


def test_cases_are_far_apart(exam) -> None:
    _, cases = exam
    for a, b in itertools.combinations(cases, 2):
        d = haversine_km(a["centre"]["lat"], a["centre"]["lon"], b["centre"]["lat"], b["centre"]["lon"])
        assert d >= build_cases.MIN_CASE_SPACING_KM, (a["id"], b["id"], d)
    for case in cases:
        for row in case["listings"]:
            d = haversine_km(case["centre"]["lat"], case["centre"]["lon"], row["lat"], row["lon"])
            assert d <= build_cases.MAX_CASE_RADIUS_KM + 1, (row["listing_id"], d)
    # Nothing across cases can make sense: listings of different cases are > 60 km apart.
    for a, b in itertools.combinations(cases, 2):
        for ra in a["listings"]:
            for rb in b["listings"]:
                d = haversine_km(ra["lat"], ra["lon"], rb["lat"], rb["lon"])
                assert d > build_cases.MIN_FAR_SEPARATION_KM, (ra["listing_id"], rb["listing_id"], d)


def test_ewc_codes_are_official(exam) -> None:
    _, cases = exam
    official = waste_codes()
    codes = [row["ewc_code"] for case in cases for row in case["listings"] if row["ewc_code"]]
    assert codes
    assert [c for c in codes if c not in official] == []
    hazardous = {
        row["listing_id"]
        for case in cases
        for row in case["listings"]
        if row["ewc_code"] and official[row["ewc_code"]].hazardous
    }
    for case in cases:
        for item in case["forbidden"]:
            if item["why"] == "hazardous":
                assert hazardous & set(item["listings"]), item


def test_the_exam_is_big_enough(exam) -> None:
    today, cases = exam
    assert today.isoformat() == "2026-11-23"
    expected = [item for case in cases for item in case["expected"]]
    forbidden = [item for case in cases for item in case["forbidden"]]
    assert len(expected) + len(forbidden) >= 320
    assert len(forbidden) >= 100
    assert sum(1 for item in expected if item["kind"] == "group") >= 15
    families = Counter(item["family"] for item in expected)
    assert set(build_cases.FAMILIES) <= set(families), set(build_cases.FAMILIES) - set(families)
    whys = Counter(item["why"] for item in forbidden)
    for why in (
        "wrong_family",
        "too_far",
        "hazardous",
        "quantity_too_small",
        "expired",
        "not_available_in_time",
        "same_organisation",
        "condition_contradicted",
    ):
        assert whys[why] >= 2, why


def test_build_cases_regenerates_the_same_bytes() -> None:
    assert build_cases.render().encode("utf-8") == CASES_PATH.read_bytes()


def test_scoring_counts_every_unexpected_proposal_against_precision(exam) -> None:
    _, cases = exam
    case = next(c for c in cases if any(i["kind"] == "group" for i in c["expected"]))
    pair = next(i for c in cases for i in c["expected"] if i["kind"] == "pair")
    group = next(i for i in case["expected"] if i["kind"] == "group")
    forbidden = next(i for c in cases for i in c["forbidden"] if i["kind"] == "pair")
    a, b = cases[0]["listings"][0]["listing_id"], cases[1]["listings"][0]["listing_id"]

    def proposal(kind, ids):
        return SimpleNamespace(kind=kind, listing_ids=tuple(ids), score=0.5, explanation="", flagged=False)

    report = score(
        cases,
        [
            proposal("pair", pair["listings"]),
            proposal("pair", pair["listings"]),  # returned twice: counted once
            proposal("group", group["listings"][:-1]),  # a subset: partial, and a false positive
            proposal("pair", forbidden["listings"]),
            proposal("pair", (a, b)),  # across cases
        ],
    )
    assert report.tp == 1 and report.fp == 3
    assert report.precision == pytest.approx(0.25)
    assert report.recall == pytest.approx(1 / report.n_expected)
    assert [f.why for f in report.forbidden_hits] == [forbidden["why"]]
    assert [how for _, _, how in report.partial_groups] == ["subset"]
    assert len(report.cross_case) == 1
    assert len(report.misses) == report.n_expected - 1
