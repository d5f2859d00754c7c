"""The kinds of actors (issue 21, point 1): one vocabulary, the API's, the maps' markers and legends."""

from __future__ import annotations

from typing import get_args

from offers.diagnostics import KIND_OF
from offers.models import OrganisationKind

from shared.nomenclatures import ANIMATING_KINDS, ORGANISATION_KINDS
from shared.pages import page_environment


def test_the_api_takes_every_kind_the_vocabulary_names() -> None:
    assert set(get_args(OrganisationKind)) == set(ORGANISATION_KINDS)
    assert {"cuma", "cooperative", "insertion", "ressourcerie", "syndicate"} <= set(ORGANISATION_KINDS)
    assert set(ANIMATING_KINDS) <= set(ORGANISATION_KINDS)


def test_a_diagnostics_file_names_kinds_as_people_do_and_as_the_old_template_did() -> None:
    assert KIND_OF["cuma"] == "cuma" and KIND_OF["esat"] == "insertion" and KIND_OF["syndicat mixte"] == "syndicate"
    assert KIND_OF["association ou structure d insertion"] == "association"  # a file made before the change


def test_each_kind_has_a_marker_of_its_own() -> None:
    macros = page_environment("reporting").get_template("pages/_actors.html").module
    drawn = {kind: str(macros.marker(kind, 8, 8)) for kind in ORGANISATION_KINDS}  # type: ignore[attr-defined]
    assert len(set(drawn.values())) == len(ORGANISATION_KINDS)  # colour and shape: no two kinds alike
    assert all(f"marker-{kind}" in svg for kind, svg in drawn.items())
