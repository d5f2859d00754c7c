"""The flows an activity typically has in surplus, offered to a company that signs up, to confirm or discard with
one click each, rather than a blank form (issue 17, point 3).

Taken from the European List of Waste, whose chapters and sub-chapters are named after the activities that
produce them (02 01 « agriculture », 02 05 « industrie des produits laitiers », 03 01 « transformation du bois »,
17 « construction et démolition »…), matched here to the NAF rév. 2 codes of those activities; each suggestion
carries its 6-digit code, so the engine reads it as precisely as a listing its owner coded. Only codes that are
not hazardous: a hazardous waste travels with its tracking slip, which a one-click offer cannot say. Packaging
(15 01) comes with every activity that receives goods. Pure rules: no framework, no database.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.nomenclatures import normalise_naf


@dataclass(frozen=True)
class Suggestion:
    ewc_code: str  # 6 digits of the European List of Waste
    title: str  # what the listing is called once published


# NAF prefix (division « 16 », group « 10.5 », class « 81.30 ») → its typical surplus; the longest prefix wins.
BY_ACTIVITY: dict[str, tuple[Suggestion, ...]] = {
    "01": (
        Suggestion("020106", "Fumier et effluents d'élevage"),
        Suggestion("020103", "Résidus végétaux de culture"),
        Suggestion("020104", "Plastiques agricoles usagés (bâches, films, ficelles)"),
    ),
    "02": (Suggestion("020107", "Rémanents et déchets d'exploitation forestière"),),
    "10.1": (Suggestion("020202", "Déchets de tissus animaux (sous-produits animaux)"),),
    "10.3": (
        Suggestion("020304", "Fruits et légumes impropres à la vente"),
        Suggestion("020301", "Boues de lavage et d'épluchage"),
    ),
    "10.5": (Suggestion("020501", "Produits laitiers impropres à la consommation"),),
    "10.7": (Suggestion("020601", "Invendus et rebuts de boulangerie et pâtisserie"),),
    "11": (
        Suggestion("020704", "Résidus de brassage ou de vinification impropres à la consommation"),
        Suggestion("020701", "Déchets de lavage et de nettoyage des matières premières"),
    ),
    "16": (Suggestion("030105", "Sciure, copeaux et chutes de bois"), Suggestion("030101", "Écorces")),
    "17": (Suggestion("030308", "Papiers et cartons de tri destinés au recyclage"),),
    "22": (Suggestion("070213", "Chutes et rebuts de plastique"),),
    "23": (Suggestion("101208", "Rebuts de céramique, briques et carrelage"),),
    "25": (
        Suggestion("120101", "Chutes et limaille de métaux ferreux"),
        Suggestion("120103", "Chutes et limaille de métaux non ferreux"),
    ),
    "35": (Suggestion("100103", "Cendres de bois non traité"),),
    "41": (
        Suggestion("170101", "Béton de démolition"),
        Suggestion("170201", "Bois de chantier"),
        Suggestion("170504", "Terres et cailloux de terrassement"),
    ),
    "43": (Suggestion("170201", "Bois de chantier"), Suggestion("170904", "Déchets de chantier en mélange")),
    "45.2": (Suggestion("160103", "Pneus usagés"),),
    "55": (Suggestion("200108", "Biodéchets de cuisine"), Suggestion("200125", "Huiles de friture usagées")),
    "56": (Suggestion("200108", "Biodéchets de cuisine"), Suggestion("200125", "Huiles de friture usagées")),
    "81.30": (Suggestion("200201", "Déchets verts (tontes, tailles, feuilles)"),),
    "86": (Suggestion("200108", "Biodéchets de cuisine et de cantine"),),
    "87": (
        Suggestion("200108", "Biodéchets de cuisine et de cantine"),
        Suggestion("200125", "Huiles de friture usagées"),
    ),
}
PACKAGING = (
    Suggestion("150101", "Cartons et papiers d'emballage"),
    Suggestion("150103", "Palettes et emballages en bois"),
)
# Activities that receive goods on pallets and in boxes: manufacturing, trade, catering, care, building.
RECEIVES_GOODS = (
    "10",
    "11",
    "13",
    "14",
    "15",
    "16",
    "17",
    "18",
    "20",
    "22",
    "23",
    "25",
    "27",
    "28",
    "29",
    "31",
    "32",
    "45",
    "46",
    "47",
    "55",
    "56",
    "86",
    "87",
    "88",
)


def typical_flows(naf_code: str | None) -> list[Suggestion]:
    """What an activity typically has in surplus, its own flows first, then packaging; none for an unknown code."""
    if not naf_code:
        return []
    code = normalise_naf(naf_code)
    prefixes = sorted((p for p in BY_ACTIVITY if code.startswith(p)), key=len, reverse=True)
    own = list(BY_ACTIVITY[prefixes[0]]) if prefixes else []
    packaging = list(PACKAGING) if code[:2] in RECEIVES_GOODS else []
    return own + [s for s in packaging if s.ewc_code not in {o.ewc_code for o in own}]
