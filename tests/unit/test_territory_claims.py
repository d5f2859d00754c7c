"""Who may animate which territory: the rule of reporting.territories, on the official commune table."""

from __future__ import annotations

from reporting.territories import APPROVED, PENDING, claim_status, covering, siren_of

from shared.geo import Gazetteer

GAZETTEER = Gazetteer.load()
BEAUNE = GAZETTEER.by_name("Beaune")[0]
NUITS = GAZETTEER.by_name("Nuits-Saint-Georges")[0]
EPCI_OF = {place.insee: place.epci for place in GAZETTEER}
BEAUNE_AGGLO_SIRET = f"{BEAUNE.epci}00019"


def status(
    *, siret: str | None = None, insee: str | None = None, epci: str | None = None, communes: list[str] | None = None
) -> str:
    return claim_status(siret=siret, insee=insee, epci=epci, communes=communes or [], epci_of=EPCI_OF)


def test_a_collectivite_animates_its_own_epci_and_its_communes_at_once() -> None:
    assert BEAUNE.epci != NUITS.epci  # two neighbouring intercommunalités
    assert status(siret=BEAUNE_AGGLO_SIRET, insee=BEAUNE.insee, epci=BEAUNE.epci) == APPROVED
    assert status(siret=BEAUNE_AGGLO_SIRET, insee=BEAUNE.insee, communes=[BEAUNE.insee]) == APPROVED
    own = [code for code, epci in EPCI_OF.items() if epci == BEAUNE.epci][:5]
    assert status(siret=BEAUNE_AGGLO_SIRET, communes=own) == APPROVED


def test_a_commune_animates_itself() -> None:
    assert status(insee=NUITS.insee, communes=[NUITS.insee]) == APPROVED


def test_anything_else_waits_for_the_platform() -> None:
    # Another EPCI, by its SIREN; communes of another EPCI; one's own plus a neighbour's; no SIRET at all.
    assert status(siret=BEAUNE_AGGLO_SIRET, insee=BEAUNE.insee, epci=NUITS.epci) == PENDING
    assert status(siret=BEAUNE_AGGLO_SIRET, insee=BEAUNE.insee, communes=[NUITS.insee]) == PENDING
    assert status(siret=BEAUNE_AGGLO_SIRET, insee=BEAUNE.insee, communes=[BEAUNE.insee, NUITS.insee]) == PENDING
    assert status(insee=BEAUNE.insee, epci=BEAUNE.epci) == PENDING
    assert status(insee=BEAUNE.insee, communes=[BEAUNE.insee, BEAUNE.insee.replace("0", "1", 1)]) == PENDING


def test_siren_is_the_first_nine_digits_of_a_siret() -> None:
    assert siren_of("21210054100011") == "212100541"
    assert siren_of("2121005410001") is None and siren_of(None) is None and siren_of("2121005410001A") is None


def test_an_animateur_acts_only_where_every_party_lies_in_its_territory() -> None:
    by_party = {"alpha": {"cc-cote", "dijon"}, "gamma": {"cc-cote"}, "elsewhere": set()}
    assert covering(by_party, ["alpha", "gamma"]) == {"cc-cote"}
    assert covering(by_party, ["alpha", "elsewhere"]) == set()
    assert covering(by_party, []) == set()


def test_an_epci_another_collectivite_animates_is_a_dispute_the_platform_settles() -> None:
    assert (
        claim_status(
            siret=BEAUNE_AGGLO_SIRET,
            insee=BEAUNE.insee,
            epci=BEAUNE.epci,
            communes=[],
            epci_of=EPCI_OF,
            epci_taken=True,
        )
        == PENDING
    )
