"""Official code lists shipped in shared/data (European List of Waste, NAF rév. 2), and the legal
statuses a flow may declare (Code de l'environnement, Regulation (EC) 1069/2009)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"

# What a flow is in law: a waste; a by-product (L541-4-2); a waste that left that status (L541-4-3);
# or a product that never was a waste.
WASTE_STATUSES = {
    "waste": "déchet",
    "by_product": "sous-produit",
    "end_of_waste": "sortie du statut de déchet",
    "product": "produit",
}
# The kinds of organisation, as French EIT programmes count a territory's actors (« 15 entreprises, 6 exploitants
# agricoles, 3 EHPAD, 2 hôpitaux, 2 structures d'insertion », a CUMA, a syndicat…) and the portal and the
# diagnostics file name them.
ORGANISATION_KINDS = {
    "company": "Entreprise",
    "farm": "Exploitation agricole",
    "cuma": "CUMA",
    "cooperative": "Coopérative",
    "hospital": "Établissement de santé",
    "care_home": "EHPAD ou établissement médico-social",
    "insertion": "Structure d'insertion ou ESAT",
    "association": "Association",
    "ressourcerie": "Ressourcerie ou recyclerie",
    "public_body": "Collectivité ou organisme public",
    "syndicate": "Syndicat (déchets, eau, énergie…)",
    "other": "Autre",
}
# The kinds that may animate a territory: a collectivité, or a syndicat mixte it entrusts with the programme.
ANIMATING_KINDS = ("public_body", "syndicate")
# The kinds of listing, as lists and summaries name them (shared.events.ListingKind).
LISTING_KINDS = {"offer": "offre", "need": "besoin", "share": "partage", "pool": "mutualisation"}
# The kind that answers each kind: what matching pairs, and what a listing may be swapped against.
LISTING_COMPLEMENT = {"offer": "need", "need": "offer", "share": "pool", "pool": "share"}
SUPPLY_KINDS = ("offer", "share")  # the kinds that give (an offer, a share lent); the others take
# On what terms a listing is given: shown before a match is accepted; its price only after.
LISTING_TERMS = {"free": "gratuit", "for_sale": "à vendre", "negotiable": "à débattre"}
# When a listing is available (an offer, a share) or wanted (a need, a pool): days of the week and months of the year.
WEEKDAYS = {
    "mon": "lundi",
    "tue": "mardi",
    "wed": "mercredi",
    "thu": "jeudi",
    "fri": "vendredi",
    "sat": "samedi",
    "sun": "dimanche",
}
MONTHS = {
    1: "janvier",
    2: "février",
    3: "mars",
    4: "avril",
    5: "mai",
    6: "juin",
    7: "juillet",
    8: "août",
    9: "septembre",
    10: "octobre",
    11: "novembre",
    12: "décembre",
}
# Who carries the goods (or moves the equipment) between the two sides, and with what: whether a piste is realistic
# depends on it, and the impact of a synergy on the transport it takes.
TRANSPORT_BY = {"giver": "le cédant livre", "taker": "le preneur vient chercher", "either": "à convenir"}
TRANSPORT_MEANS = {
    "van": "utilitaire",
    "tractor_trailer": "tracteur et remorque",
    "truck": "camion ou porteur",
    "skip_lorry": "camion benne (ampliroll)",
    "tanker": "citerne",
    "refrigerated": "véhicule frigorifique",
}
# Animal by-products keep their category (Regulation (EC) 1069/2009, art. 8 to 10) whoever holds them.
ABP_CATEGORIES = {
    1: "catégorie 1 (risque le plus élevé : incinération ou combustible)",
    2: "catégorie 2 (lisiers, fumiers, animaux morts…)",
    3: "catégorie 3 (issue d'animaux propres à la consommation)",
}


@dataclass(frozen=True)
class WasteCode:
    """One 6-digit entry of the European List of Waste."""

    code: str
    label: str
    hazardous: bool
    chapter: str
    chapter_label: str = ""  # the chapter's title, in capitals as the List of Waste prints it


@dataclass(frozen=True)
class ActivityCode:
    """One NAF rév. 2 sub-class (the APE code of an establishment)."""

    code: str
    label: str


@cache
def waste_codes() -> dict[str, WasteCode]:
    """The 842 EWC entries by 6-digit code."""
    with open(DATA / "ewc_fr.csv", encoding="utf-8", newline="") as f:
        return {
            r["code"]: WasteCode(r["code"], r["label"], r["hazardous"] == "true", r["chapter"], r["chapter_label"])
            for r in csv.DictReader(f)
        }


@cache
def activity_codes() -> dict[str, ActivityCode]:
    """The 732 NAF sub-classes by dotted code (`38.21Z`)."""
    with open(DATA / "naf_rev2_fr.csv", encoding="utf-8", newline="") as f:
        return {r["code"]: ActivityCode(r["code"], r["label"]) for r in csv.DictReader(f)}


def normalise_ewc(raw: str) -> str:
    """`15 01 01`, `150101*` or `15.01.01` → `150101` (format only; see `waste_codes`)."""
    return re.sub(r"[\s.*]", "", raw)


def normalise_naf(raw: str) -> str:
    """`3821Z`, `38.21z` or `38 21Z` → `38.21Z` (format only; see `activity_codes`)."""
    compact = re.sub(r"[\s.]", "", raw).upper()
    return f"{compact[:2]}.{compact[2:]}" if len(compact) == 5 else compact
