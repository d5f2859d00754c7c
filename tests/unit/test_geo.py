"""Offline geocoding of communes: shared/geo.py and the shipped table it reads."""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
from pathlib import Path

import pytest

from shared.geo import (
    DEFAULT_PATH,
    AmbiguousPlace,
    Epci,
    Gazetteer,
    Place,
    PlaceError,
    PlaceNotFound,
    haversine_km,
    normalise_name,
)

REPO = Path(__file__).resolve().parents[2]

# (lat_min, lat_max, lon_min, lon_max)
METROPOLE = (41.3, 51.1, -5.2, 9.6)
OVERSEAS = {
    "971": (15.8, 18.2, -63.2, -61.0),  # Guadeloupe
    "972": (14.3, 14.9, -61.3, -60.8),  # Martinique
    "973": (2.1, 5.8, -54.6, -51.6),  # Guyane
    "974": (-21.4, -20.8, 55.2, 55.9),  # La Réunion
    "975": (46.7, 47.2, -56.5, -56.1),  # Saint-Pierre-et-Miquelon
    "976": (-13.1, -12.6, 44.9, 45.35),  # Mayotte
    "977": (17.8, 18.0, -63.0, -62.7),  # Saint-Barthélemy
    "978": (18.0, 18.2, -63.2, -62.9),  # Saint-Martin
    "986": (-14.4, -13.1, -178.3, -176.0),  # Wallis-et-Futuna
    "987": (-28.0, -7.5, -155.0, -134.0),  # Polynésie française
    "988": (-23.0, -19.5, 163.5, 168.5),  # Nouvelle-Calédonie
}
COTE_D_OR = (46.9, 48.1, 4.05, 5.55)


def inside(place: Place, box: tuple[float, float, float, float]) -> bool:
    lat_min, lat_max, lon_min, lon_max = box
    return lat_min <= place.lat <= lat_max and lon_min <= place.lon <= lon_max


@pytest.fixture(scope="module")
def gz() -> Gazetteer:
    return Gazetteer.load()


# ---------------------------------------------------------------- the shipped table


def test_table_is_compact_and_complete():
    assert DEFAULT_PATH.stat().st_size < 2_000_000
    fresh = Gazetteer.load(DEFAULT_PATH)  # not the cached default instance (load time: ~0.3 s, not asserted)
    assert len(fresh) > 34_000


def test_every_row_has_coordinates_in_france(gz):
    seen = 0
    for place in gz:
        seen += 1
        box = OVERSEAS.get(place.departement, METROPOLE)
        assert inside(place, box), place
        assert place.approximation in (None, "commune_deleguee", "code_postal", "epci", "departement")
        assert len(place.insee) == 5 and place.insee.startswith(place.departement[:2])
    assert seen == len(gz)


def test_most_communes_are_located_at_least_by_postcode(gz):
    kinds = {}
    for place in gz:
        kinds[place.approximation] = kinds.get(place.approximation, 0) + 1
    assert kinds[None] > 8_000  # GeoNames cities1000 ≈ communes over 1,000 inhabitants
    assert kinds[None] + kinds["commune_deleguee"] + kinds["code_postal"] > 0.75 * len(gz)
    assert kinds["departement"] < 0.05 * len(gz)


def test_table_is_sorted_and_well_formed():
    with gzip.open(DEFAULT_PATH, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["insee", "name", "postcodes", "departement", "epci", "lat", "lon", "approximation"]
    codes = [r[0] for r in rows[1:]]
    assert codes == sorted(codes) and len(codes) == len(set(codes))
    for r in rows[1:]:
        assert len(r[5].split(".")[1]) == 5 and len(r[6].split(".")[1]) == 5, r
        assert r[4] == "" or (len(r[4]) == 9 and r[4].isdigit()), r


# ---------------------------------------------------------------- resolve


def test_nuits_saint_georges_by_name_insee_and_postcode(gz):
    by_name = gz.resolve(commune="Nuits-Saint-Georges")
    assert by_name.insee == "21464"
    assert by_name.postcodes == ("21700",)
    assert by_name.departement == "21"
    assert by_name.approximation is None
    assert haversine_km(by_name.lat, by_name.lon, 47.137, 4.949) < 3
    assert gz.resolve(commune="nuits st georges") == by_name
    assert gz.resolve(commune="  NUITS  SAINT GEORGES ") == by_name
    assert gz.resolve(insee="21464") == by_name
    assert gz.by_insee("21464") == by_name
    assert gz.resolve(commune="Nuits-Saint-Georges", postcode="21700") == by_name
    assert gz.resolve(commune="nuits-st-georges", postcode="21700") == by_name


def test_postcode_21700_is_shared(gz):
    with pytest.raises(AmbiguousPlace) as info:
        gz.resolve(postcode="21700")
    names = [p.name for p in info.value.candidates]
    # etalab 6.0.0: 22 communes share 21700 (Nuits-Saint-Georges and villages around it).
    assert len(names) == 22
    assert {"Nuits-Saint-Georges", "Vosne-Romanée", "Premeaux-Prissey"} <= set(names)
    message = str(info.value)
    assert message.startswith("Le code postal 21700 correspond à 22 communes : ")
    assert "Nuits-Saint-Georges" in message and message.endswith("précisez la commune.")
    assert isinstance(info.value, PlaceError) and isinstance(info.value, ValueError)


def test_small_commune_is_approximated_within_its_departement(gz):
    # Vosne-Romanée (21714), 328 inhabitants: not in GeoNames cities1000, so it
    # gets the mean of the located communes of its postcode 21700.
    place = gz.resolve(commune="Vosne-Romanée")
    assert place.insee == "21714"
    assert place.approximation == "code_postal"
    assert inside(place, COTE_D_OR)
    assert haversine_km(place.lat, place.lon, 47.161, 4.956) < 15  # the village itself
    assert gz.resolve(commune="vosne romanee", postcode="21700") == place


def test_commune_nouvelle_takes_its_former_communes_coordinates(gz):
    place = gz.resolve(commune="Vire Normandie")
    assert place.approximation == "commune_deleguee"
    assert haversine_km(place.lat, place.lon, 48.838, -0.889) < 5  # Vire


def test_renamed_commune_keeps_its_town_coordinates(gz):
    # GeoNames still says "Evry"
    place = gz.resolve(commune="Évry-Courcouronnes")
    assert place.approximation is None
    assert haversine_km(place.lat, place.lon, 48.63, 2.44) < 5


def test_paris_lyon_marseille_postcodes_and_arrondissements(gz):
    paris = gz.resolve(postcode="75011")
    assert paris.insee == "75056" and paris.name == "Paris"
    assert gz.resolve(commune="Paris", postcode="75011") == paris
    assert gz.resolve(postcode="75116") == paris
    assert gz.resolve(insee="75111") == paris  # arrondissement code, as in SIRENE
    lyon = gz.resolve(postcode="69003")
    assert lyon.insee == "69123"
    assert gz.by_insee("69383") == lyon
    assert gz.resolve(insee="13201").insee == "13055"
    assert gz.by_insee("75121") is None


def test_corsica_insee_codes(gz):
    ajaccio = gz.resolve(insee="2a004")
    assert ajaccio.name == "Ajaccio" and ajaccio.departement == "2A"
    assert gz.resolve(commune="Bastia").insee == "2B033"


def test_unknown_insee(gz):
    with pytest.raises(PlaceNotFound, match="99999"):
        gz.resolve(insee="99999")
    with pytest.raises(PlaceNotFound, match="code INSEE"):
        gz.resolve(insee="2C004")


def test_insee_wins_over_name_and_postcode(gz):
    assert gz.resolve(commune="Lyon", postcode="69003", insee="21464").name == "Nuits-Saint-Georges"


def test_saint_martin_is_ambiguous(gz):
    with pytest.raises(AmbiguousPlace) as info:
        gz.resolve(commune="saint martin")
    assert len(info.value.candidates) >= 2
    assert all(p.name == "Saint-Martin" for p in info.value.candidates)
    assert "précisez le code postal" in str(info.value)
    # ... and the postcode settles it
    assert gz.resolve(commune="St Martin", postcode="32300").departement == "32"


def test_unknown_name_suggests_close_ones(gz):
    with pytest.raises(PlaceNotFound) as info:
        gz.resolve(commune="Nuit Saint Georges")
    message = str(info.value)
    assert "Aucune commune nommée « Nuit Saint Georges »" in message
    assert "Vouliez-vous dire" in message and "Nuits-Saint-Georges" in message
    with pytest.raises(PlaceNotFound):
        gz.resolve(commune="Xqzwvbnt")


def test_name_not_in_postcode(gz):
    with pytest.raises(PlaceNotFound) as info:
        gz.resolve(commune="Beaune", postcode="21700")
    assert "21700" in str(info.value) and "Beaune" in str(info.value)


def test_unknown_or_malformed_postcode(gz):
    with pytest.raises(PlaceNotFound, match="00000"):
        gz.resolve(postcode="00000")
    with pytest.raises(PlaceNotFound, match="5 chiffres"):
        gz.resolve(postcode="2170")
    with pytest.raises(PlaceNotFound):
        gz.resolve()


def test_unique_postcode_alone(gz):
    assert gz.resolve(postcode="21000").name == "Dijon"
    with pytest.raises(AmbiguousPlace):
        gz.resolve(postcode="21200")  # Beaune and 12 villages


def test_commune_field_with_postcode_or_departement(gz):
    nsg = gz.by_insee("21464")
    assert gz.resolve(commune="21700 Nuits-Saint-Georges") == nsg
    assert gz.resolve(commune="Nuits-Saint-Georges 21700") == nsg
    assert gz.resolve(commune="Nuits-Saint-Georges (21700)") == nsg
    assert gz.resolve(commune="Nuits-Saint-Georges (21)") == nsg
    assert gz.resolve(commune="Montreuil (93)").insee == "93048"
    with pytest.raises(AmbiguousPlace):
        gz.resolve(commune="Montreuil")


def test_normalise_name():
    assert normalise_name("Nuits-St-Georges") == "nuits saint georges"
    assert normalise_name("L'Haÿ-les-Roses") == normalise_name("l hay les roses")
    assert normalise_name("Sainte-Foy-lès-Lyon") == normalise_name("ste foy les lyon")
    assert normalise_name("Vandœuvre-lès-Nancy") == "vandoeuvre les nancy"
    assert normalise_name("Saint-Étienne") == normalise_name("SAINT ETIENNE")


def test_haversine():
    assert haversine_km(48.8566, 2.3522, 45.7640, 4.8357) == pytest.approx(392, abs=5)
    assert haversine_km(47.0, 5.0, 47.0, 5.0) == 0


# ---------------------------------------------------------------- the build script


def _build_module():
    spec = importlib.util.spec_from_file_location("build_communes", REPO / "scripts" / "build_communes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_build_script_fallback_levels(tmp_path):
    """A tiny made-up extract exercises every approximation level and the output format."""
    data = tmp_path / "package" / "data"
    data.mkdir(parents=True)
    (tmp_path / "package" / "package.json").write_text('{"version": "0.0.0"}')

    def commune(code, nom, dep, pcs, kind="commune-actuelle", **extra):
        return {"code": code, "nom": nom, "departement": dep, "type": kind, "codesPostaux": pcs, **extra}

    communes = [
        commune("21464", "Nuits-Saint-Georges", "21", ["21700"]),
        commune("21714", "Vosne-Romanée", "21", ["21700"]),  # → code_postal
        commune("21054", "Beaune", "21", ["21200"]),
        commune("21001", "Petitvillage", "21", ["21999"]),  # → epci
        commune("21002", "Ailleurs", "21", ["21998"]),  # → departement
        commune("21003", "Grand-Nouveau", "21", ["21997"]),  # → commune_deleguee
        commune("21003", "Ancienne", "21", [], kind="commune-deleguee", chefLieu="21003"),
        commune("21004", "Évry-Renommée", "21", ["21996"]),  # renamed: "Evry" in GeoNames
        commune("69381", "Lyon 1er Arrondissement", "69", ["69001"], kind="arrondissement-municipal"),
        commune("97101", "Abymes", "971", ["97139"]),  # overseas by country code
    ]
    (data / "communes.json").write_text(json.dumps(communes))
    (data / "departements.json").write_text(
        json.dumps([{"code": "21", "nom": "Côte-d'Or"}, {"code": "971", "nom": "Guadeloupe"}])
    )
    (data / "epci.json").write_text(
        json.dumps(
            [
                {
                    "code": "200000001",
                    "nom": "CA Beaune Côte et Sud",
                    "type": "CA",
                    "membres": [{"code": "21054"}, {"code": "21001"}],
                }
            ]
        )
    )
    geonames = tmp_path / "rg_cities1000.csv"
    geonames.write_bytes(
        b"lat,lon,name,admin1,admin2,cc\r\n"
        b"47.13683,4.949,Nuits-St-Georges,Bourgogne,Departement de la Cote-d'Or,FR\r\n"
        b"47.02,4.84,Beaune,Bourgogne,Departement de la Cote-d'Or,FR\r\n"
        b"47.5,5.0,Ancienne,Bourgogne,Departement de la Cote-d'Or,FR\r\n"
        b"47.3,5.04,Evry,Bourgogne,Departement de la Cote-d'Or,FR\r\n"
        b"16.27,-61.50,Les Abymes,Guadeloupe,Guadeloupe,GP\r\n"
        b"45.0,4.0,Beaune,Somewhere,Other,US\r\n"
    )
    out = tmp_path / "communes.csv.gz"

    build = _build_module()
    assert build.main([str(tmp_path / "package"), str(geonames), "-o", str(out)]) == 0
    first = out.read_bytes()
    assert build.main([str(tmp_path / "package"), str(geonames), "-o", str(out)]) == 0
    assert out.read_bytes() == first  # deterministic

    gz = Gazetteer.load(out)
    assert gz.epci("200000001") == Epci("200000001", "CA Beaune Côte et Sud", "CA")  # epci.csv, beside
    approx = {p.insee: p.approximation for p in gz}
    assert approx == {
        "21464": None,
        "21054": None,
        "21004": None,
        "97101": None,
        "21714": "code_postal",
        "21001": "epci",
        "21002": "departement",
        "21003": "commune_deleguee",
    }
    assert gz.by_insee("21714").lat == gz.by_insee("21464").lat  # only located commune of 21700
    assert gz.by_insee("21001").lat == pytest.approx(47.02)  # its EPCI's located member
    assert gz.by_insee("21002").lat == pytest.approx((47.13683 + 47.02 + 47.5 + 47.3) / 4, abs=1e-5)
    assert gz.by_insee("21003").lat == pytest.approx(47.5)
    assert gz.by_insee("21054").epci == "200000001" and gz.by_insee("21464").epci is None
    assert gz.by_insee("97101").lat == pytest.approx(16.27)
    assert gz.by_insee("69381") is None  # arrondissements are not rows


def test_the_communes_of_an_epci_by_its_siren() -> None:
    gazetteer = Gazetteer.load()
    beaune = gazetteer.by_name("Beaune")[0]
    members = gazetteer.by_epci(str(beaune.epci))
    assert beaune in members and len(members) > 10 and all(p.epci == beaune.epci for p in members)
    assert members == [p for p in gazetteer if p.epci == beaune.epci]
    assert gazetteer.by_epci("000000000") == []


def test_an_epci_by_its_name_its_siren_or_one_of_its_communes() -> None:
    gazetteer = Gazetteer.load()
    nuits = gazetteer.by_name("Nuits-Saint-Georges")[0]
    epci = gazetteer.epci(str(nuits.epci))
    assert epci is not None and "Nuits-Saint-Georges" in epci.name and epci.kind == "CC"
    # Words of its name, in any order and cut short; or the name of one of its communes.
    assert epci in gazetteer.complete_epci("nuits st geo")
    assert epci in gazetteer.complete_epci("gevrey cc")
    assert epci in gazetteer.complete_epci("Vosne-Romanée")
    assert gazetteer.complete_epci("   ") == [] and gazetteer.complete_epci("zzzz") == []
    # What the form's field holds once a suggestion is chosen, the SIREN, or the exact name.
    assert gazetteer.epci_named(epci.label()) == epci
    assert gazetteer.epci_named(epci.siren) == epci
    assert gazetteer.epci_named(epci.name.upper()) == epci
    assert gazetteer.epci_named("Communauté imaginaire") is None
    # Every EPCI of the communes table has a name, and every named EPCI has communes.
    sirens = {p.epci for p in gazetteer if p.epci}
    assert all(gazetteer.epci(siren) is not None for siren in sirens)
    assert len(sirens) > 1200
