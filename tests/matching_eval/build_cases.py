"""Writes `cases.json`: the labelled exam the matching engine must pass.

Written from domain knowledge of industrial and territorial ecology (EIT), not from
the engine's rules: every case is a small scenario an animateur could meet, with the
synergies a demanding expert would actually call both companies about (`expected`)
and the near-misses he would never propose (`forbidden`, each with a `why`).

Geography: one case per point of a hexagonal lattice over metropolitan France
(≥ 120 km between centres). A case's listings lie within ~25 km of its centre, except
deliberate "too far" ones, which stay > 60 km from any other case's listing, so that
no match across cases makes sense. Listings are placed at exact offsets (km) from
the centre, rotated per case until every one of them falls on land (judged from the
communes of `shared/data/communes.csv.gz`); `commune` names the nearest town.

Labelling conventions, checked by `check()` before anything is written:
- every (supply, demand) pair of complementary kinds inside a case is labelled, either
  expected or forbidden, so nothing inside a case is left to interpretation;
- a forbidden item's `why` must be true of the data (too_far beyond the radius given or
  12 km for resources without one, hazardous on an EWC * code, expired before `today`,
  quantity below 5 % of the need…);
- expected pairs are within the radii given, ≤ 20 km (≤ 3.5 km for heat and water),
  in date, and the supply covers ≥ 10 % of the need;
- expected groups have exactly three members, of three organisations within 6 km, and
  the near-miss that would extend them comes later in the file: fed in file order, the
  engine can propose the right group as soon as it is complete.

Deterministic (seeded): `python tests/matching_eval/build_cases.py` always writes the
same bytes.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE / "cases.json"
DATA = ROOT / "shared" / "data"
TODAY = date(2026, 11, 23)
SEED = 20261123
EARTH_KM = 6371.0088

# Families of resources and kinds of near-miss used in the labels.
FAMILIES = (
    "paper_cardboard",
    "wood",
    "green_waste",
    "biowaste_food",
    "plastics",
    "metals",
    "minerals_inert",
    "glass",
    "textiles",
    "chemicals_solvents",
    "oils_fats",
    "heat_steam",
    "water",
    "packaging_reuse",
    "equipment_sharing",
    "services_pooling",
    "skills_staff",
)
WHYS = (
    "wrong_family",  # another family of resource altogether
    "wrong_resource",  # same broad family, but not what the need can use
    "too_far",  # beyond the radius a listing gives, or the resource's sensible range
    "hazardous",  # hazardous waste (EWC *) into a need that excludes it
    "quantity_too_small",  # supply < 5 % of the need
    "expired",  # one listing expired before `today`
    "not_available_in_time",  # the supply starts after the need ends
    "same_organisation",  # an organisation never matches itself
    "condition_contradicted",  # the need's condition (untreated, clean, temperature…) is contradicted
    "group_too_small",  # a mutualisation needs at least three members
    "too_vague",  # no resource named: nothing to match on
)
SUPPLY, DEMAND = ("offer", "share"), ("need", "pool")
COMPLEMENT = {"offer": "need", "share": "pool"}
FIELDS = (
    "listing_id",
    "organisation_id",
    "kind",
    "title",
    "description",
    "category",
    "ewc_code",
    "quantity_value",
    "quantity_unit",
    "frequency",
    "radius_km",
    "lat",
    "lon",
    "commune",
    "available_from",
    "expires_at",
    "revision",
)

# Lattice of case centres: azimuthal equidistant projection about (46.5 N, 2.5 E),
# hexagonal, 120.25 km pitch, rotated 9°, offset (80, 72) km (the parameters that fit
# the most points with land around them). Only those points are kept.
LATTICE_ORIGIN = (46.5, 2.5)
LATTICE_PITCH_KM = 120.25
LATTICE_ANGLE_DEG = 9
LATTICE_OFFSET_KM = (80.0, 72.0)
MIN_CASE_SPACING_KM = 120.0
MAX_CASE_RADIUS_KM = 25.0
MIN_FAR_SEPARATION_KM = 60.0
NAME_REACH_KM = 15.0  # a listing is named after the nearest town within this distance
TOWN_REACH_KM = 4.0  # a point this close to a town is on land
LAND_REACH_KM = 30.0  # otherwise, communes must surround it within this distance


# --------------------------------------------------------------------------- specification


@dataclass
class Spec:
    tag: str
    org: str
    kind: str
    title: str
    description: str | None = None
    category: str | None = None
    ewc_code: str | None = None
    quantity: tuple[float, str] | None = None
    frequency: str | None = None
    radius_km: float | None = None
    at: tuple[float, float] | None = None  # km east, km north of the case centre (before rotation)
    available_from: date | None = None
    expires_at: date | None = None


@dataclass
class Label:
    listings: tuple[str, ...]
    kind: str  # pair | group
    note: str
    why: str | None = None  # forbidden only
    tags: tuple[str, ...] = ()
    family: str | None = None


@dataclass
class CaseSpec:
    slug: str
    family: str
    topic: str
    listings: list[Spec]
    expected: list[Label]
    forbidden: list[Label]
    id: str = ""
    offsets: dict[str, tuple[float, float]] = field(default_factory=dict)


def L(
    tag: str,
    org: str,
    kind: str,
    title: str,
    description: str | None = None,
    *,
    cat: str | None = None,
    ewc: str | None = None,
    q: tuple[float, str] | None = None,
    freq: str | None = None,
    radius: float | None = None,
    at: tuple[float, float] | None = None,
    avail: date | None = None,
    exp: date | None = None,
) -> Spec:
    return Spec(tag, org, kind, title, description, cat, ewc, q, freq, radius, at, avail, exp)


def P(supply: str, demand: str, note: str, *tags: str, family: str | None = None) -> Label:
    """An expected pair (supply, demand)."""
    return Label((supply, demand), "pair", note, tags=tags, family=family)


def G(members: list[str], note: str, *tags: str, family: str | None = None) -> Label:
    """An expected group (mutualisation)."""
    return Label(tuple(members), "group", note, tags=tags, family=family)


def X(supply: str, demand: str, why: str, note: str, family: str | None = None) -> Label:
    """A forbidden pair."""
    return Label((supply, demand), "pair", note, why=why, family=family)


def XG(members: list[str], why: str, note: str, family: str | None = None) -> Label:
    """A forbidden group."""
    return Label(tuple(members), "group", note, why=why, family=family)


def C(
    slug: str, family: str, topic: str, listings: list[Spec], expected: list[Label], forbidden: list[Label]
) -> CaseSpec:
    return CaseSpec(slug, family, topic, listings, expected, forbidden)


D = date  # brevity in the case list


# --------------------------------------------------------------------------- the cases


def cases() -> list[CaseSpec]:
    out: list[CaseSpec] = []
    add = out.append

    # ------------------------------------------------------------------ paper and cardboard
    add(
        C(
            "chutes-carton",
            "paper_cardboard",
            "Chutes de carton d'une cartonnerie : calage chez un négociant, papeterie ; petits gisements trop faibles",
            [
                L(
                    "chutes",
                    "cartonnages-brenot",
                    "offer",
                    "Chutes de carton ondulé",
                    "Chutes propres de découpe (double cannelure), en big bags ou en vrac. Enlèvement possible chaque "
                    "semaine.",
                    cat="carton",
                    q=(3, "t"),
                    freq="monthly",
                ),
                L(
                    "calage",
                    "vins-morin",
                    "need",
                    "cherche carton pour calage de nos colis",
                    "On expédie des bouteilles, on achète du papier bulle et des chips de calage : "
                    "on voudrait du carton "
                    "de récup à la place (à broyer ou en bandes).",
                    q=(400, "kg"),
                    freq="monthly",
                ),
                L(
                    "balles",
                    "papeteries-de-la-vallee",
                    "need",
                    "Achat cartons en balles (sortes 1.04 / 1.05)",
                    "Papeterie, fabrication de carton recyclé. Enlèvement par nos soins au-delà de 2 t.",
                    cat="papier-carton",
                    ewc="150101",
                    q=(30, "t"),
                    freq="monthly",
                    radius=80,
                ),
                L(
                    "fleuriste",
                    "fleurs-isabelle",
                    "offer",
                    "cartons d'emballage",
                    "quelques cartons de livraison",
                    q=(10, "kg"),
                    freq="once",
                ),
                L("abimes", "vins-morin", "offer", "Cartons de bouteilles abîmés", q=(150, "kg"), freq="monthly"),
                L(
                    "noel",
                    "vente-en-ligne-deco",
                    "need",
                    "carton de calage, besoin avant la mi-novembre",
                    "Pic d'expéditions avant Noël.",
                    q=(300, "kg"),
                    freq="monthly",
                    exp=D(2026, 11, 15),
                ),
            ],
            [
                P(
                    "chutes",
                    "calage",
                    "Chutes de carton ondulé broyées ou découpées = calage (synergie type Nuits-Saint-Georges).",
                    "substitution",
                ),
                P("chutes", "balles", "3 t/mois de carton propre : gisement intéressant pour une papeterie."),
            ],
            [
                X("fleuriste", "balles", "quantity_too_small", "10 kg une fois pour 30 t/mois."),
                X("fleuriste", "calage", "quantity_too_small", "10 kg une fois pour 400 kg/mois."),
                X("abimes", "calage", "same_organisation", "Le négociant a déjà ses propres cartons."),
                X("abimes", "balles", "quantity_too_small", "150 kg/mois pour 30 t/mois (0,5 %)."),
                X("chutes", "noel", "expired", "Besoin expiré le 15 novembre."),
                X("fleuriste", "noel", "expired", "Besoin expiré (et 10 kg seulement)."),
                X("abimes", "noel", "expired", "Besoin expiré le 15 novembre."),
            ],
        )
    )

    add(
        C(
            "papiers",
            "paper_cardboard",
            "Papier broyé, journaux invendus, boues de désencrage : calage, ouate de cellulose",
            [
                L(
                    "broye",
                    "cc-val-de-saone",
                    "offer",
                    "Papier broyé (destruction d'archives)",
                    "Papier de bureau broyé en lanières, sacs de 20 kg.",
                    cat="papier",
                    q=(300, "kg"),
                    freq="monthly",
                ),
                L(
                    "calage",
                    "atelier-ceramique-lune",
                    "need",
                    "Cherche matériau de calage pour expédier de la vaisselle (papier, frisure...)",
                    q=(100, "kg"),
                    freq="monthly",
                ),
                L(
                    "journaux",
                    "maison-presse-gilles",
                    "offer",
                    "journaux et magazines invendus",
                    "Retours invendus, ficelés par paquets.",
                    ewc="200101",
                    q=(1.2, "t"),
                    freq="monthly",
                ),
                L(
                    "ouate",
                    "isol-ouate",
                    "need",
                    "Fabricant d'ouate de cellulose : achète vieux journaux / papiers",
                    "Isolant en vrac à base de papier journal recyclé.",
                    cat="papier",
                    q=(8, "t"),
                    freq="monthly",
                ),
                L(
                    "boues",
                    "papeterie-recyclage-des-vosges",
                    "offer",
                    "boues de désencrage (recyclage papier)",
                    "Fibres courtes, charges minérales et encres, 50 % d'humidité.",
                    ewc="030305",
                    q=(10, "t"),
                    freq="monthly",
                ),
                L(
                    "archives",
                    "notaires-associes-pons",
                    "offer",
                    "archives papier à évacuer (déménagement)",
                    "Dossiers papier, environ 5 tonnes, à enlever avant mi-octobre.",
                    q=(5, "t"),
                    freq="once",
                    exp=D(2026, 10, 15),
                ),
            ],
            [
                P("broye", "calage", "Le papier broyé sert directement de calage.", "substitution"),
                P("journaux", "calage", "Papier journal froissé : calage classique."),
                P("journaux", "ouate", "Journaux invendus = matière première de l'ouate de cellulose."),
            ],
            [
                X("broye", "ouate", "quantity_too_small", "300 kg/mois pour 8 t/mois (3,75 %)."),
                X("boues", "ouate", "wrong_resource", "Des boues humides, pas des vieux papiers."),
                X("boues", "calage", "wrong_resource", "Des boues humides pour caler de la vaisselle."),
                X("archives", "calage", "expired", "Offre expirée mi-octobre."),
                X("archives", "ouate", "expired", "Offre expirée mi-octobre."),
            ],
        )
    )

    # ------------------------------------------------------------------ wood
    add(
        C(
            "sciure-litiere",
            "wood",
            "Sciure et copeaux vers litière animale ; bois traité ; rayon d'un centre équestre",
            [
                L(
                    "hetre",
                    "menuiserie-roux",
                    "offer",
                    "sciure de hêtre non traitée",
                    "Aspiration de l'atelier, bois massif uniquement, en sacs.",
                    cat="bois",
                    ewc="030105",
                    q=(2, "t"),
                    freq="monthly",
                    at=(-6, 0),
                ),
                L(
                    "poulailler",
                    "gaec-des-tilleuls",
                    "need",
                    "cherche litière pour poulailler",
                    "2 bâtiments de poulets label rouge.",
                    q=(1.5, "t"),
                    freq="monthly",
                    at=(0, 0),
                ),
                L(
                    "traite",
                    "clotures-du-centre",
                    "offer",
                    "Sciure + copeaux bois traité autoclave classe 4",
                    "Usinage de piquets et lames de clôture traités.",
                    ewc="030104",
                    q=(1, "t"),
                    freq="monthly",
                    at=(-3, -5),
                ),
                L(
                    "chevaux",
                    "ecurie-des-saules",
                    "need",
                    "recherche copeaux pour litière chevaux",
                    "30 boxes. On vient chercher nous-mêmes, pas plus loin que 10 km.",
                    q=(3, "t"),
                    freq="monthly",
                    radius=10,
                    at=(10, 6),
                ),
                L(
                    "rabotage",
                    "scierie-perrin",
                    "offer",
                    "copeaux de rabotage sapin/épicéa (secs, dépoussiérés)",
                    q=(4, "t"),
                    freq="monthly",
                    at=(5, 3),
                ),
                L(
                    "bovins",
                    "gaec-des-pres-verts",
                    "need",
                    "litière copeaux pour bovins, besoin avant le 20 novembre",
                    q=(3, "t"),
                    freq="monthly",
                    at=(-2, 4),
                    exp=D(2026, 11, 20),
                ),
            ],
            [
                P("hetre", "poulailler", "Sciure de feuillu non traitée : litière de volailles.", "substitution"),
                P("rabotage", "poulailler", "Copeaux secs de résineux : litière classique.", "substitution"),
                P("rabotage", "chevaux", "Copeaux de rabotage dépoussiérés = litière équine."),
            ],
            [
                X("hetre", "chevaux", "too_far", "17 km alors que l'écurie limite à 10 km."),
                X("traite", "poulailler", "hazardous", "Bois traité (030104*) : interdit en litière."),
                X("traite", "chevaux", "hazardous", "Bois traité (030104*) : interdit en litière."),
                X("hetre", "bovins", "expired", "Besoin expiré le 20 novembre."),
                X("rabotage", "bovins", "expired", "Besoin expiré le 20 novembre."),
                X("traite", "bovins", "hazardous", "Bois traité (030104*) en litière (et besoin expiré)."),
            ],
        )
    )

    add(
        C(
            "palettes",
            "wood",
            "Palettes cassées ou réemployables : reconditionneur, expéditeur, upcycling",
            [
                L(
                    "cassees",
                    "transports-leblanc",
                    "offer",
                    "palettes bois cassées",
                    "Planches cassées, dés manquants.",
                    ewc="150103",
                    q=(40, "pallet"),
                    freq="monthly",
                ),
                L(
                    "epal",
                    "fromagerie-monts",
                    "need",
                    "cherche palettes EUR/EPAL en bon état pour nos expéditions",
                    q=(100, "pallet"),
                    freq="monthly",
                ),
                L(
                    "recond",
                    "palettes-services-71",
                    "need",
                    "Reconditionneur : rachète palettes abîmées / hors d'usage",
                    "Réparation et revente. Enlèvement à partir de 30 palettes.",
                    cat="palettes",
                ),
                L(
                    "bonetat",
                    "grossiste-boissons-marti",
                    "offer",
                    "palettes europe 80x120 reutilisables, bon etat",
                    q=(30, "pallet"),
                    freq="monthly",
                ),
                L(
                    "mobilier",
                    "asso-recyclerie-bois",
                    "need",
                    "asso recherche bois de palettes pour fabriquer du mobilier",
                    q=(20, "pallet"),
                    freq="monthly",
                ),
                L(
                    "rebuts",
                    "fromagerie-monts",
                    "offer",
                    "Palettes HS (planches cassées)",
                    q=(15, "pallet"),
                    freq="monthly",
                ),
            ],
            [
                P("cassees", "recond", "Palettes abîmées : cœur de métier du reconditionneur."),
                P("cassees", "mobilier", "Planches de palettes cassées pour du mobilier."),
                P("bonetat", "epal", "Palettes EUR réemployables pour un expéditeur.", "typo"),
                P("bonetat", "recond", "Le reconditionneur rachète aussi les palettes en bon état.", "typo"),
                P("bonetat", "mobilier", "Palettes bois pour du mobilier.", "typo"),
                P("rebuts", "recond", "Palettes HS vers le reconditionneur."),
                P("rebuts", "mobilier", "Planches de palettes HS pour du mobilier."),
            ],
            [
                X("cassees", "epal", "condition_contradicted", "Palettes cassées, le besoin exige un bon état."),
                X("rebuts", "epal", "same_organisation", "La fromagerie propose ses propres palettes HS."),
            ],
        )
    )

    add(
        C(
            "bois-energie-panneaux",
            "wood",
            "Chutes de bois : chaufferie classe A, panneautier ; panneaux et bois créosoté",
            [
                L(
                    "massif",
                    "menuiserie-gauthier",
                    "offer",
                    "Chutes de bois massif non traité (chêne, frêne)",
                    cat="bois",
                    ewc="030105",
                    q=(5, "t"),
                    freq="monthly",
                ),
                L(
                    "chaufferie",
                    "commune-de-saint-aubin",
                    "need",
                    "Chaufferie bois collective : recherche plaquettes ou broyat de bois propre (classe A)",
                    q=(200, "t"),
                    freq="yearly",
                ),
                L(
                    "mdf",
                    "agencement-mercier",
                    "offer",
                    "chutes de panneaux agglo / MDF mélaminé",
                    cat="bois",
                    ewc="030105",
                    q=(5, "t"),
                    freq="monthly",
                ),
                L(
                    "broyage",
                    "broyage-bois-recyclage",
                    "need",
                    "Plateforme de broyage : bois de recyclage classe A et B pour panneautiers",
                    "Pas de bois traité classe C (créosote, CCA).",
                    q=(40, "t"),
                    freq="monthly",
                ),
                L(
                    "traverses",
                    "voies-ferrees-services",
                    "offer",
                    "traverses de chemin de fer bois (créosotées)",
                    ewc="170204",
                    q=(60, "t"),
                    freq="once",
                ),
                L(
                    "tourneur",
                    "tournage-sur-bois-faivre",
                    "need",
                    "Tourneur sur bois cherche chutes de chêne / frêne massif (petites sections)",
                    q=(300, "kg"),
                    freq="monthly",
                ),
            ],
            [
                P("massif", "chaufferie", "Bois massif non traité, à broyer : combustible classe A."),
                P("massif", "broyage", "Bois classe A accepté par la plateforme."),
                P("mdf", "broyage", "Panneaux = bois classe B : accepté par la plateforme."),
                P("massif", "tourneur", "Chutes de chêne et frêne massifs : la matière du tourneur."),
            ],
            [
                X(
                    "mdf",
                    "chaufferie",
                    "condition_contradicted",
                    "Panneaux (colles, mélamine) = classe B, interdits en chaufferie biomasse classe A.",
                ),
                X("traverses", "chaufferie", "hazardous", "Bois créosoté (170204*)."),
                X("traverses", "broyage", "hazardous", "Bois créosoté (170204*), classe C exclue."),
                X("mdf", "tourneur", "wrong_resource", "Panneaux, pas du bois massif."),
                X("traverses", "tourneur", "hazardous", "Bois créosoté (170204*)."),
            ],
        )
    )

    # ------------------------------------------------------------------ green waste
    add(
        C(
            "broyat-paillage",
            "green_waste",
            "Broyat de déchets verts vers paillage et BRF ; bois traité broyé",
            [
                L(
                    "broyat",
                    "paysages-lefevre",
                    "offer",
                    "broyat de déchets verts",
                    "Tailles de haies et élagage broyés.",
                    ewc="200201",
                    q=(20, "m3"),
                    freq="monthly",
                ),
                L(
                    "maraichage",
                    "les-jardins-de-la-cote",
                    "need",
                    "cherche paillage pour maraîchage (bio)",
                    q=(40, "m3"),
                    freq="yearly",
                ),
                L("brf", "vergers-bertrand", "need", "recherche BRF pour vergers", q=(60, "m3"), freq="yearly"),
                L(
                    "traite",
                    "demolition-mathieu",
                    "offer",
                    "bois traité broyé (bardages, portails peints)",
                    ewc="200137",
                    q=(10, "m3"),
                    freq="monthly",
                ),
                L(
                    "compost",
                    "earl-grandes-plaines",
                    "need",
                    "cherche compost normé NFU 44-051 pour amendement grandes cultures",
                    q=(300, "t"),
                    freq="yearly",
                ),
                L(
                    "miscanthus",
                    "earl-du-roseau",
                    "offer",
                    "paillage de miscanthus (balles rondes)",
                    q=(20, "t"),
                    freq="yearly",
                ),
            ],
            [
                P("broyat", "maraichage", "Broyat de déchets verts = paillage.", "substitution"),
                P("broyat", "brf", "Broyat de branches ~ BRF : un expert appelle les deux.", "synonym"),
                P("miscanthus", "maraichage", "Miscanthus : paillage végétal."),
            ],
            [
                X("traite", "maraichage", "hazardous", "Bois traité (200137*) en paillage."),
                X("traite", "brf", "hazardous", "Bois traité (200137*) en paillage."),
                X("traite", "compost", "hazardous", "Bois traité (200137*) en amendement."),
                X(
                    "broyat",
                    "compost",
                    "condition_contradicted",
                    "Le besoin exige un compost normé, pas du broyat frais.",
                ),
                X("miscanthus", "brf", "wrong_resource", "Du miscanthus n'est pas du bois raméal."),
                X("miscanthus", "compost", "condition_contradicted", "Paille de miscanthus, pas du compost normé."),
            ],
        )
    )

    add(
        C(
            "boucle-organique",
            "green_waste",
            "Boucle matière organique (CCLNB) : déchets verts de paysagistes vers compostage à la ferme ; "
            "broyeur prêté",
            [
                L(
                    "haies",
                    "arbres-et-jardins",
                    "offer",
                    "branchages et tailles de haies",
                    q=(15, "m3"),
                    freq="monthly",
                    at=(-6, 4),
                ),
                L(
                    "ferme",
                    "earl-du-vieux-chene",
                    "need",
                    "Agriculteur : je prends vos déchets verts pour compostage à la ferme",
                    "Pas plus de 15 km.",
                    q=(200, "m3"),
                    freq="yearly",
                    radius=15,
                    at=(-13, 0),
                ),
                L(
                    "loin",
                    "paysages-du-plateau",
                    "offer",
                    "déchets verts (tontes, feuilles, branches)",
                    q=(20, "m3"),
                    freq="monthly",
                    at=(14, 1),
                ),
                L(
                    "melange",
                    "commune-de-varennes",
                    "offer",
                    "déchets verts mélangés (sacs plastique, gravats)",
                    "Dépôts sauvages ramassés.",
                    ewc="200301",
                    q=(5, "t"),
                    freq="monthly",
                    at=(-9, -5),
                ),
                L(
                    "broyeur",
                    "arbres-et-jardins",
                    "share",
                    "Broyeur de végétaux thermique Ø15 cm dispo 2 j/mois (avec ou sans chauffeur)",
                    cat="équipement",
                    q=(2, "day"),
                    freq="monthly",
                    at=(-5, 4.5),
                ),
                L(
                    "besoin-broyeur",
                    "commune-de-chaulgnes",
                    "pool",
                    "besoin d'un broyeur de végétaux 2 jours par mois",
                    q=(2, "day"),
                    freq="monthly",
                    at=(0, -6),
                ),
            ],
            [
                P("haies", "ferme", "Déchets verts de paysagiste vers compostage agricole (retour au sol)."),
                P("broyeur", "besoin-broyeur", "Broyeur sous-utilisé prêté à la commune.", family="equipment_sharing"),
            ],
            [
                X("loin", "ferme", "too_far", "27 km, l'agriculteur limite à 15 km."),
                X("melange", "ferme", "condition_contradicted", "Déchets verts souillés de plastiques et gravats."),
            ],
        )
    )

    # ------------------------------------------------------------------ biowaste and food
    add(
        C(
            "dreches",
            "biowaste_food",
            "Drêches de brasserie vers alimentation animale et méthanisation",
            [
                L(
                    "dreches",
                    "brasserie-du-moulin",
                    "offer",
                    "drêches de brasserie",
                    "Drêches humides, à enlever dans les 48 h.",
                    cat="coproduits agroalimentaires",
                    q=(1.5, "t"),
                    freq="weekly",
                ),
                L(
                    "vaches",
                    "gaec-de-la-praille",
                    "need",
                    "éleveur bovin cherche complément alimentaire pour vaches laitières",
                    q=(5, "t"),
                    freq="monthly",
                ),
                L(
                    "methaniseur",
                    "biogaz-des-trois-vallees",
                    "need",
                    "Méthaniseur agricole cherche intrants (coproduits agro, biodéchets)",
                    q=(300, "t"),
                    freq="yearly",
                ),
                L(
                    "perimees",
                    "brasserie-saint-roch",
                    "offer",
                    "Drêches de brasserie fraîches",
                    q=(2, "t"),
                    freq="weekly",
                    exp=D(2026, 10, 31),
                ),
                L(
                    "cafe",
                    "usine-cafe-soluble",
                    "offer",
                    "marc de café (production de café soluble)",
                    q=(8, "t"),
                    freq="monthly",
                ),
                L(
                    "ovins",
                    "bergerie-des-causses",
                    "need",
                    "aliment protéiné pour ovins, besoin pour l'hiver",
                    q=(3, "t"),
                    freq="monthly",
                    exp=D(2027, 2, 15),
                ),
            ],
            [
                P("dreches", "vaches", "Drêches = aliment riche en protéines pour bovins.", "substitution"),
                P("dreches", "methaniseur", "Drêches : bon intrant de méthanisation."),
                P("cafe", "methaniseur", "Marc de café : intrant méthanogène."),
                P("dreches", "ovins", "Drêches : aliment protéiné pour ovins, jusqu'en février.", "substitution"),
            ],
            [
                X("perimees", "vaches", "expired", "Annonce expirée fin octobre."),
                X("perimees", "methaniseur", "expired", "Annonce expirée fin octobre."),
                X("cafe", "vaches", "wrong_resource", "Le marc de café n'est pas un aliment du bétail."),
                X("perimees", "ovins", "expired", "Annonce expirée fin octobre."),
                X("cafe", "ovins", "wrong_resource", "Le marc de café n'est pas un aliment du bétail."),
            ],
        )
    )

    add(
        C(
            "lactoserum",
            "biowaste_food",
            "Lactosérum de fromagerie : porcs, méthaniseur ; eaux blanches",
            [
                L(
                    "lactoserum",
                    "fromagerie-des-causses",
                    "offer",
                    "Lactosérum (petit-lait) doux",
                    q=(20, "m3"),
                    freq="weekly",
                    at=(0, 0),
                ),
                L(
                    "porcs",
                    "elevage-porcin-maury",
                    "need",
                    "Éleveur porcin cherche petit lait pour la soupe des cochons",
                    q=(40, "m3"),
                    freq="monthly",
                    radius=30,
                    at=(5, 3),
                ),
                L(
                    "methaniseur",
                    "sas-methavalor",
                    "need",
                    "Méthaniseur cherche effluents liquides riches (lactosérum, eaux blanches...)",
                    q=(2000, "m3"),
                    freq="yearly",
                    at=(-4, 5),
                ),
                L(
                    "eaux-blanches",
                    "laiterie-cooperative",
                    "offer",
                    "eaux blanches de nettoyage laiterie (lessivage soude/acide)",
                    q=(100, "m3"),
                    freq="monthly",
                    at=(2, -4),
                ),
                L(
                    "porcs-loin",
                    "porcherie-des-landes",
                    "need",
                    "Cherche lactoserum pour engraissement porcs",
                    "dans un rayon de 10 km max",
                    q=(30, "m3"),
                    freq="monthly",
                    radius=10,
                    at=(-20, -6),
                ),
                L(
                    "saison",
                    "chevrerie-du-plateau",
                    "offer",
                    "petit lait de chèvre (fin de saison)",
                    "Dernières livraisons en octobre.",
                    q=(10, "m3"),
                    freq="weekly",
                    at=(-17, -3),
                    exp=D(2026, 10, 31),
                ),
            ],
            [
                P("lactoserum", "porcs", "Petit-lait = lactosérum : aliment porcin classique.", "synonym"),
                P("lactoserum", "methaniseur", "Lactosérum : intrant de méthanisation."),
                P("eaux-blanches", "methaniseur", "Eaux blanches acceptées par ce méthaniseur (annonce explicite)."),
            ],
            [
                X(
                    "eaux-blanches",
                    "porcs",
                    "condition_contradicted",
                    "Eaux de lavage (soude, acide) : pas un aliment.",
                ),
                X("lactoserum", "porcs-loin", "too_far", "21 km pour un rayon de 10 km."),
                X("eaux-blanches", "porcs-loin", "condition_contradicted", "Eaux de lavage : pas un aliment."),
                X("saison", "porcs", "expired", "Offre expirée fin octobre."),
                X("saison", "methaniseur", "expired", "Offre expirée fin octobre."),
                X("saison", "porcs-loin", "expired", "Offre expirée fin octobre."),
            ],
        )
    )

    add(
        C(
            "biodechets-restaurants",
            "biowaste_food",
            "Petits gisements de biodéchets de restaurants : collecte mutualisée ; trop faibles pour le méthaniseur",
            [
                L(
                    "relais",
                    "restaurant-le-relais",
                    "offer",
                    "biodéchets (restes de repas, épluchures)",
                    ewc="200108",
                    q=(80, "kg"),
                    freq="weekly",
                    at=(0, 0),
                ),
                L(
                    "cantine",
                    "college-jean-moulin",
                    "offer",
                    "Déchets alimentaires de cantine",
                    q=(120, "kg"),
                    freq="weekly",
                    at=(1.2, 0.6),
                ),
                L(
                    "brasserie",
                    "brasserie-du-marche",
                    "offer",
                    "bio-déchets cuisine restaurant",
                    q=(60, "kg"),
                    freq="weekly",
                    at=(0.4, -1.1),
                ),
                L(
                    "friture",
                    "snack-le-kiosque",
                    "offer",
                    "huile de friture usagée",
                    ewc="200125",
                    q=(30, "l"),
                    freq="weekly",
                    at=(-0.9, 0.8),
                ),
                L(
                    "isole",
                    "auberge-du-lac",
                    "offer",
                    "biodechets restaurant",
                    q=(70, "kg"),
                    freq="weekly",
                    at=(18, -8),
                ),
                L(
                    "methaniseur",
                    "methanisation-territoriale",
                    "need",
                    "Méthaniseur territorial cherche biodéchets (déconditionnés ou non)",
                    q=(2000, "t"),
                    freq="yearly",
                    at=(6, 5),
                ),
            ],
            [
                G(
                    ["relais", "cantine", "brasserie"],
                    "Trois producteurs à moins de 2 km : collecte mutualisée des biodéchets.",
                ),
            ],
            [
                XG(["relais", "cantine", "brasserie", "isole"], "too_far", "L'auberge est à ~20 km du groupe."),
                XG(
                    ["relais", "cantine", "brasserie", "friture"],
                    "wrong_resource",
                    "Les huiles de friture ont leur propre collecte.",
                ),
                X("relais", "methaniseur", "quantity_too_small", "80 kg/sem pour ~38 t/sem."),
                X("cantine", "methaniseur", "quantity_too_small", "120 kg/sem pour ~38 t/sem."),
                X("brasserie", "methaniseur", "quantity_too_small", "60 kg/sem pour ~38 t/sem."),
                X("friture", "methaniseur", "quantity_too_small", "30 L/sem pour ~38 t/sem."),
                X("isole", "methaniseur", "quantity_too_small", "70 kg/sem pour ~38 t/sem."),
            ],
        )
    )

    add(
        C(
            "invendus",
            "biowaste_food",
            "Invendus alimentaires : animaux, confiturerie, aide alimentaire ; DLC dépassée",
            [
                L("pain", "boulangerie-caron", "offer", "invendus de pain (boulangerie)", q=(200, "kg"), freq="weekly"),
                L(
                    "cochons",
                    "ferme-des-grillons",
                    "need",
                    "cherche pain sec pour mes cochons et brebis",
                    q=(300, "kg"),
                    freq="monthly",
                ),
                L(
                    "fruits",
                    "vergers-et-potagers-gaudin",
                    "offer",
                    "fruits et légumes déclassés (calibre, aspect)",
                    q=(2, "t"),
                    freq="weekly",
                ),
                L(
                    "confiturerie",
                    "confitures-de-mamie-jo",
                    "need",
                    "Confiturerie artisanale cherche fruits abîmés ou moches",
                    q=(1, "t"),
                    freq="monthly",
                ),
                L(
                    "solidaire",
                    "epicerie-solidaire-le-panier",
                    "need",
                    "Épicerie solidaire / banque alimentaire recherche dons de denrées",
                ),
                L(
                    "viande",
                    "supermarche-du-centre",
                    "offer",
                    "viande et poisson DLC dépassée",
                    "Retraits de rayon, sous emballage.",
                    cat="biodéchets",
                    q=(150, "kg"),
                    freq="weekly",
                ),
            ],
            [
                P("pain", "cochons", "Pain invendu : aliment pour porcs et ovins (ancienne denrée).", "substitution"),
                P("pain", "solidaire", "Pain du jour invendu : don alimentaire."),
                P("fruits", "cochons", "Fruits et légumes déclassés : aliment pour porcs.", "substitution"),
                P("fruits", "confiturerie", "Fruits moches = matière première de la confiturerie.", "synonym"),
                P("fruits", "solidaire", "Fruits et légumes déclassés mais consommables : don alimentaire."),
            ],
            [
                X("pain", "confiturerie", "wrong_resource", "Du pain pour une confiturerie."),
                X(
                    "viande",
                    "cochons",
                    "condition_contradicted",
                    "Sous-produits animaux interdits dans l'alimentation des porcs.",
                ),
                X("viande", "solidaire", "condition_contradicted", "DLC dépassée : ni don ni vente possibles."),
                X("viande", "confiturerie", "wrong_resource", "Viande pour une confiturerie."),
            ],
        )
    )

    # ------------------------------------------------------------------ plastics
    add(
        C(
            "films-bigbags",
            "plastics",
            "Films PE, bâches agricoles souillées, big bags propres ou phytosanitaires",
            [
                L(
                    "film",
                    "logistique-du-sud",
                    "offer",
                    "film étirable PE (housses palettes), propre",
                    ewc="150102",
                    q=(500, "kg"),
                    freq="monthly",
                ),
                L(
                    "regenerateur",
                    "regeneration-pebd",
                    "need",
                    "Régénérateur cherche films PEBD propres (transparent ou couleur) en balles",
                    q=(5, "t"),
                    freq="monthly",
                ),
                L(
                    "bache",
                    "coop-agricole-du-bocage",
                    "offer",
                    "bâches d'ensilage usagées (souillées terre/ensilage)",
                    ewc="020104",
                    q=(20, "t"),
                    freq="yearly",
                ),
                L(
                    "phyto",
                    "negoce-agri-fontaine",
                    "offer",
                    "big bags ayant contenu des produits phyto",
                    ewc="150110",
                    q=(200, "unit"),
                    freq="yearly",
                ),
                L(
                    "farine",
                    "moulins-de-la-riviere",
                    "offer",
                    "big bags PP 1 t ayant contenu de la farine",
                    ewc="150102",
                    q=(60, "unit"),
                    freq="monthly",
                ),
                L(
                    "granules",
                    "granules-bois-thevenin",
                    "need",
                    "cherche big bags d'occasion propres pour stocker granulés bois",
                    q=(50, "unit"),
                    freq="monthly",
                ),
            ],
            [
                P("film", "regenerateur", "Film étirable PE propre = PEBD recherché."),
                P("farine", "granules", "Big bags alimentaires propres : réemploi direct.", family="packaging_reuse"),
            ],
            [
                X(
                    "bache",
                    "regenerateur",
                    "condition_contradicted",
                    "Bâches souillées, le régénérateur exige du propre.",
                ),
                X("phyto", "regenerateur", "hazardous", "Emballages souillés de phytosanitaires (150110*)."),
                X(
                    "phyto",
                    "granules",
                    "hazardous",
                    "Emballages souillés (150110*) pour stocker un combustible vendu aux particuliers.",
                ),
                X("farine", "regenerateur", "wrong_resource", "Big bags PP tissé, pas du film PEBD."),
                X("film", "granules", "wrong_resource", "Du film, pas des big bags."),
                X("bache", "granules", "wrong_resource", "Des bâches, pas des big bags."),
            ],
        )
    )

    add(
        C(
            "plastiques-rigides",
            "plastics",
            "Rebuts d'injection PP, chutes de PVC, PSE : à chaque résine sa filière",
            [
                L(
                    "pp",
                    "plasturgie-dumont",
                    "offer",
                    "carottes et rebuts d'injection PP naturel",
                    ewc="070213",
                    q=(2, "t"),
                    freq="monthly",
                ),
                L(
                    "compoundeur",
                    "compound-plast",
                    "need",
                    "Compoundeur : achète rebuts PP/PE de production, broyés ou non",
                    q=(10, "t"),
                    freq="monthly",
                ),
                L(
                    "pvc",
                    "menuiseries-pvc-ouest",
                    "offer",
                    "chutes de PVC rigide (profilés de fenêtres)",
                    ewc="170203",
                    q=(1, "t"),
                    freq="monthly",
                ),
                L(
                    "recycleur-pvc",
                    "recyclage-profiles",
                    "need",
                    "Recycleur PVC (filière profilés) cherche chutes de menuiserie PVC",
                    q=(5, "t"),
                    freq="monthly",
                ),
                L(
                    "pse",
                    "electromenager-vernet",
                    "offer",
                    "polystyrène expansé blanc (PSE, emballages électroménager)",
                    ewc="150102",
                    q=(30, "m3"),
                    freq="monthly",
                ),
                L(
                    "isolant",
                    "isolants-du-nord",
                    "need",
                    "fabricant d'isolant cherche PSE propre à recycler",
                    q=(100, "m3"),
                    freq="monthly",
                ),
            ],
            [
                P("pp", "compoundeur", "Rebuts PP de production : exactement ce que cherche le compoundeur."),
                P("pvc", "recycleur-pvc", "Chutes de profilés PVC vers la filière profilés."),
                P("pse", "isolant", "PSE blanc propre vers fabricant d'isolant."),
            ],
            [
                X("pvc", "compoundeur", "wrong_resource", "Le PVC pollue un flux PP/PE."),
                X("pse", "compoundeur", "wrong_resource", "PSE, pas du PP/PE."),
                X("pp", "recycleur-pvc", "wrong_resource", "PP, pas du PVC."),
                X("pse", "recycleur-pvc", "wrong_resource", "PSE, pas du PVC."),
                X("pp", "isolant", "wrong_resource", "PP, pas du PSE."),
                X("pvc", "isolant", "wrong_resource", "PVC, pas du PSE."),
            ],
        )
    )

    # ------------------------------------------------------------------ metals
    add(
        C(
            "metaux",
            "metals",
            "Chutes inox, copeaux d'acier, câbles cuivre : ferrailleur et ferronnier d'art",
            [
                L(
                    "inox",
                    "metallerie-bonnet",
                    "offer",
                    "chutes de tôle inox 304 (découpe laser)",
                    ewc="120101",
                    q=(800, "kg"),
                    freq="monthly",
                ),
                L(
                    "recuperateur",
                    "recuperation-metaux-girard",
                    "need",
                    "Récupérateur métaux : achat ferraille, inox, alu, cuivre",
                    radius=50,
                ),
                L(
                    "ferronnier",
                    "atelier-forge-dubois",
                    "need",
                    "Ferronnier d'art cherche chutes de tôle inox pour sculptures",
                    q=(50, "kg"),
                    freq="once",
                ),
                L(
                    "copeaux",
                    "decolletage-faure",
                    "offer",
                    "limaille et copeaux d'acier secs (tournage)",
                    ewc="120101",
                    q=(300, "kg"),
                    freq="monthly",
                ),
                L(
                    "cables",
                    "electricite-hamon",
                    "offer",
                    "câbles électriques cuivre (chantier)",
                    ewc="170411",
                    q=(200, "kg"),
                    freq="monthly",
                ),
                L(
                    "forge",
                    "atelier-forge-dubois",
                    "offer",
                    "chutes de tôle et de fer plat",
                    q=(100, "kg"),
                    freq="monthly",
                ),
            ],
            [
                P("inox", "recuperateur", "Inox propre : se vend bien au récupérateur."),
                P("inox", "ferronnier", "Chutes de tôle inox pour un ferronnier d'art."),
                P("copeaux", "recuperateur", "Copeaux d'acier secs : ferraille."),
                P("cables", "recuperateur", "Câbles cuivre : métal non ferreux racheté."),
                P("forge", "recuperateur", "Chutes de l'atelier vers le récupérateur."),
            ],
            [
                X("copeaux", "ferronnier", "wrong_resource", "Des copeaux ne font pas une sculpture en tôle."),
                X("cables", "ferronnier", "wrong_resource", "Câbles cuivre, pas de la tôle inox."),
                X("forge", "ferronnier", "same_organisation", "L'atelier propose ses propres chutes."),
            ],
        )
    )

    add(
        C(
            "plomb-alu",
            "metals",
            "Copeaux d'alu, fil barbelé, chutes de plomb : affineur, non-ferreux, lests",
            [
                L(
                    "alu",
                    "usinage-precision-vidal",
                    "offer",
                    "copeaux d'aluminium (usinage) essorés",
                    ewc="120103",
                    q=(500, "kg"),
                    freq="monthly",
                ),
                L(
                    "affineur",
                    "affinage-aluminium",
                    "need",
                    "Affineur d'aluminium cherche copeaux et chutes alu",
                    q=(50, "t"),
                    freq="monthly",
                ),
                L(
                    "nonferreux",
                    "metaux-non-ferreux-blanc",
                    "need",
                    "Récupérateur de métaux non ferreux : alu, cuivre, laiton, plomb, zinc",
                ),
                L(
                    "barbele",
                    "domaine-agricole-roche",
                    "offer",
                    "fil de fer barbelé et piquets (démontage clôtures)",
                    q=(2, "t"),
                    freq="once",
                ),
                L(
                    "plomb",
                    "couverture-laurent",
                    "offer",
                    "chutes de plomb (couvreur, bandes de solin)",
                    ewc="170403",
                    q=(100, "kg"),
                    freq="yearly",
                ),
                L(
                    "lests",
                    "club-plongee-les-bulles",
                    "need",
                    "club de plongée cherche plomb à fondre pour les lests",
                    q=(50, "kg"),
                    freq="yearly",
                ),
            ],
            [
                P("alu", "nonferreux", "Copeaux d'alu essorés : non-ferreux."),
                P("plomb", "nonferreux", "Plomb : métal non ferreux racheté."),
                P("plomb", "lests", "Chutes de plomb refondues en lests."),
            ],
            [
                X("alu", "affineur", "quantity_too_small", "500 kg/mois pour 50 t/mois (1 %)."),
                X("alu", "lests", "wrong_resource", "Alu, pas du plomb."),
                X("barbele", "affineur", "wrong_resource", "Acier, pas de l'alu."),
                X("barbele", "nonferreux", "wrong_resource", "Métal ferreux pour un récupérateur de non-ferreux."),
                X("barbele", "lests", "wrong_resource", "Acier, pas du plomb."),
                X("plomb", "affineur", "wrong_resource", "Plomb pour un affineur d'aluminium."),
            ],
        )
    )

    # ------------------------------------------------------------------ packaging for reuse
    add(
        C(
            "futs-grv",
            "packaging_reuse",
            "Fûts et GRV : reconditionneur, récupération d'eau ; fûts souillés",
            [
                L(
                    "futs-huile",
                    "hydraulique-industrie",
                    "offer",
                    "Fûts métalliques 200 L vides (ont contenu huile hydraulique)",
                    ewc="150110",
                    q=(30, "unit"),
                    freq="monthly",
                ),
                L(
                    "jardins",
                    "jardins-partages-du-quartier",
                    "need",
                    "Jardins partagés : cherche fûts 200L pour récupérer l'eau de pluie",
                    q=(10, "unit"),
                    freq="once",
                ),
                L(
                    "recond",
                    "reconditionnement-emballages",
                    "need",
                    "Reconditionneur d'emballages industriels : reprise fûts et GRV vides",
                    radius=80,
                ),
                L(
                    "futs-jus",
                    "jus-de-fruits-du-val",
                    "offer",
                    "fûts métal 200L alimentaires (ayant contenu concentré de jus)",
                    q=(20, "unit"),
                    freq="monthly",
                ),
                L(
                    "grv",
                    "glucoserie-du-nord",
                    "offer",
                    "GRV 1000L alimentaires",
                    "Ont contenu du sirop de glucose.",
                    q=(15, "unit"),
                    freq="monthly",
                ),
                L(
                    "ibc",
                    "maraichage-des-prairies",
                    "need",
                    "Maraîcher cherche cuves IBC 1000 litres (avec vanne, sur palette) pour stocker l'eau d'irrigation",
                    q=(6, "unit"),
                    freq="once",
                ),
            ],
            [
                P("futs-huile", "recond", "Le reconditionneur (autorisé) reprend les fûts souillés."),
                P("futs-jus", "jardins", "Fûts alimentaires propres : récupérateurs d'eau de pluie."),
                P("futs-jus", "recond", "Fûts vides vers reconditionneur."),
                P("grv", "recond", "GRV vides vers reconditionneur."),
                P("grv", "ibc", "GRV = cuves IBC 1000 L.", "synonym"),
                P(
                    "grv",
                    "jardins",
                    "Un GRV alimentaire fait un excellent récupérateur d'eau de pluie.",
                    "substitution",
                ),
            ],
            [
                X("futs-huile", "jardins", "hazardous", "Fûts souillés d'huile (150110*) pour arroser un potager."),
                X("futs-huile", "ibc", "hazardous", "Fûts souillés (150110*) pour l'eau d'irrigation."),
                X("futs-jus", "ibc", "wrong_resource", "Des fûts de 200 L, pas des cuves IBC de 1000 L."),
            ],
        )
    )

    add(
        C(
            "palox-caisses",
            "packaging_reuse",
            "Palox, cagettes et bacs : réemploi ; bacs ayant contenu des phytos",
            [
                L(
                    "palox",
                    "cooperative-fruitiere",
                    "offer",
                    "palox bois d'occasion",
                    q=(50, "unit"),
                    freq="once",
                    at=(6, 3),
                ),
                L(
                    "pdt",
                    "earl-pommes-de-terre-simon",
                    "need",
                    "cherche palox pour stocker pommes de terre",
                    q=(30, "unit"),
                    freq="once",
                    at=(2, 6),
                ),
                L(
                    "bacs-phyto",
                    "distribution-agricole-marchand",
                    "offer",
                    "bacs plastique ayant contenu des produits phytosanitaires",
                    ewc="150110",
                    q=(100, "unit"),
                    freq="once",
                ),
                L(
                    "marche",
                    "maraicher-du-vallon",
                    "need",
                    "Maraîcher cherche caisses/cagettes pour le marché",
                    q=(200, "unit"),
                    freq="yearly",
                ),
                L(
                    "cagettes",
                    "primeur-des-halles",
                    "offer",
                    "cagettes bois et caisses plastique propres (primeur)",
                    q=(50, "unit"),
                    freq="weekly",
                    at=(4, 2),
                ),
                L(
                    "cidrerie",
                    "cidrerie-du-bocage",
                    "need",
                    "Cidrerie cherche palox pour stocker les pommes",
                    "On vient les chercher, 10 km maximum.",
                    q=(40, "unit"),
                    freq="once",
                    radius=10,
                    at=(-14, -9),
                ),
            ],
            [
                P("palox", "pdt", "Palox d'occasion réemployés pour stocker des pommes de terre."),
                P("cagettes", "marche", "Cagettes propres pour un maraîcher."),
            ],
            [
                X("bacs-phyto", "marche", "hazardous", "Emballages souillés (150110*) au contact d'aliments."),
                X("bacs-phyto", "pdt", "hazardous", "Emballages souillés (150110*) pour des denrées."),
                X("cagettes", "pdt", "wrong_resource", "Des cagettes ne remplacent pas des palox."),
                X("palox", "marche", "wrong_resource", "Des palox d'une tonne pour un étal de marché."),
                X("palox", "cidrerie", "too_far", "Plus de 20 km, la cidrerie limite à 10 km."),
                X("bacs-phyto", "cidrerie", "hazardous", "Emballages souillés (150110*) pour des fruits."),
                X("cagettes", "cidrerie", "wrong_resource", "Des cagettes ne remplacent pas des palox."),
            ],
        )
    )

    # ------------------------------------------------------------------ minerals and inert
    add(
        C(
            "terres-gravats",
            "minerals_inert",
            "Terres de déblais, béton concassé, terres polluées, gravats plâtreux",
            [
                L(
                    "deblais",
                    "tp-rousseau",
                    "offer",
                    "Terres de déblais non polluées (analyses ISDI OK)",
                    ewc="170504",
                    q=(2000, "t"),
                    freq="once",
                ),
                L(
                    "remblai",
                    "logistique-zi-nord",
                    "need",
                    "cherche remblai pour rehausser une plateforme",
                    q=(1500, "t"),
                    freq="once",
                ),
                L(
                    "concasse",
                    "recyclage-materiaux-btp",
                    "offer",
                    "béton concassé 0/31.5",
                    ewc="170101",
                    q=(500, "t"),
                    freq="monthly",
                ),
                L(
                    "polluees",
                    "depollution-ancienne-station",
                    "offer",
                    "terres polluées aux hydrocarbures (ancienne station-service)",
                    ewc="170503",
                    q=(800, "t"),
                    freq="once",
                ),
                L(
                    "vegetale",
                    "paysagiste-moreau",
                    "need",
                    "paysagiste cherche terre végétale pour création de massifs",
                    q=(60, "m3"),
                    freq="once",
                ),
                L(
                    "platre",
                    "renovation-garnier",
                    "offer",
                    "gravats mélangés avec plâtre et bois",
                    ewc="170904",
                    q=(200, "t"),
                    freq="once",
                ),
            ],
            [
                P("deblais", "remblai", "Déblais inertes pour un remblai."),
                P("concasse", "remblai", "Béton concassé : matériau de remblai."),
            ],
            [
                X("polluees", "remblai", "hazardous", "Terres polluées (170503*)."),
                X("deblais", "vegetale", "condition_contradicted", "Déblais de sous-sol, pas de la terre végétale."),
                X("concasse", "vegetale", "wrong_resource", "Béton concassé pour des massifs."),
                X("polluees", "vegetale", "hazardous", "Terres polluées (170503*) pour des massifs."),
                X("platre", "remblai", "condition_contradicted", "Plâtre et bois interdits en remblai."),
                X("platre", "vegetale", "wrong_resource", "Gravats pour des massifs."),
            ],
        )
    )

    add(
        C(
            "cendres-ecumes",
            "minerals_inert",
            "Cendres de bois et écumes de sucrerie en amendement ; mâchefers en route",
            [
                L(
                    "cendres",
                    "chaufferie-bois-du-bourg",
                    "offer",
                    "cendres de chaudière bois (plaquettes forestières non traitées)",
                    ewc="100103",
                    q=(100, "t"),
                    freq="yearly",
                ),
                L(
                    "chaulage",
                    "earl-des-terres-rouges",
                    "need",
                    "agriculteur cherche amendement calcique pour chaulage",
                    q=(80, "t"),
                    freq="yearly",
                ),
                L(
                    "machefers",
                    "uvom-syndicat-dechets",
                    "offer",
                    "mâchefers d'incinération (MIDND) maturés",
                    ewc="190112",
                    q=(2000, "t"),
                    freq="yearly",
                ),
                L(
                    "sous-couche",
                    "travaux-routiers-perret",
                    "need",
                    "TP cherche grave / matériau de sous-couche routière",
                    q=(5000, "t"),
                    freq="yearly",
                ),
                L(
                    "ecumes",
                    "sucrerie-de-la-plaine",
                    "offer",
                    "écumes de sucrerie (carbonate de calcium)",
                    ewc="020402",
                    q=(1000, "t"),
                    freq="yearly",
                ),
                L(
                    "vague",
                    "sarl-batir-demain",
                    "need",
                    "recherche matière première",
                    "à étudier selon ce que vous avez",
                ),
            ],
            [
                P("cendres", "chaulage", "Cendres de bois non traité : amendement basique.", "substitution"),
                P("machefers", "sous-couche", "Mâchefers maturés valorisés en sous-couche routière."),
                P("ecumes", "chaulage", "Écumes de sucrerie = amendement calcique classique.", "substitution"),
            ],
            [
                X("machefers", "chaulage", "condition_contradicted", "Mâchefers : pas d'usage agricole."),
                X("cendres", "sous-couche", "wrong_resource", "Cendres fines, pas une grave."),
                X("ecumes", "sous-couche", "wrong_resource", "Écumes, pas une grave."),
                X("cendres", "vague", "too_vague", "Le besoin ne nomme aucune ressource."),
                X("machefers", "vague", "too_vague", "Le besoin ne nomme aucune ressource."),
                X("ecumes", "vague", "too_vague", "Le besoin ne nomme aucune ressource."),
            ],
        )
    )

    # ------------------------------------------------------------------ glass
    add(
        C(
            "verre",
            "glass",
            "Verre plat, bouteilles consignables, pare-brises feuilletés, tubes fluorescents",
            [
                L(
                    "vitrage",
                    "miroiterie-chevalier",
                    "offer",
                    "chutes de vitrage (verre plat clair, non feuilleté)",
                    ewc="101112",
                    q=(2, "t"),
                    freq="monthly",
                ),
                L(
                    "calcin",
                    "verrerie-float",
                    "need",
                    "Verrier (float) cherche calcin de verre plat clair",
                    q=(20, "t"),
                    freq="monthly",
                ),
                L(
                    "bouteilles",
                    "bar-le-comptoir",
                    "offer",
                    "bouteilles de bière 33cl vides (consignables)",
                    q=(400, "unit"),
                    freq="weekly",
                ),
                L(
                    "reemploi",
                    "brasserie-artisanale-houblon",
                    "need",
                    "Brasserie artisanale cherche bouteilles 33 cl pour réemploi (lavage)",
                    q=(2000, "unit"),
                    freq="monthly",
                ),
                L(
                    "parebrises",
                    "casse-auto-mallet",
                    "offer",
                    "pare-brises feuilletés démontés",
                    ewc="160120",
                    q=(1, "t"),
                    freq="monthly",
                ),
                L(
                    "neons",
                    "entretien-batiments-robin",
                    "offer",
                    "tubes néon usagés",
                    ewc="200121",
                    q=(50, "kg"),
                    freq="monthly",
                ),
            ],
            [
                P("vitrage", "calcin", "Chutes de verre plat clair = calcin pour float."),
                P("bouteilles", "reemploi", "Bouteilles 33 cl consignables lavées et réemployées."),
            ],
            [
                X(
                    "bouteilles",
                    "calcin",
                    "condition_contradicted",
                    "Verre d'emballage coloré ≠ calcin de verre plat clair.",
                ),
                X("parebrises", "calcin", "condition_contradicted", "Verre feuilleté (PVB) refusé."),
                X("parebrises", "reemploi", "wrong_resource", "Des pare-brises pour une brasserie."),
                X("neons", "calcin", "hazardous", "Tubes au mercure (200121*)."),
                X("neons", "reemploi", "hazardous", "Tubes au mercure (200121*)."),
                X("vitrage", "reemploi", "wrong_resource", "Du verre plat, pas des bouteilles."),
            ],
        )
    )

    add(
        C(
            "pots-calcin",
            "glass",
            "Bocaux à réemployer, calcin pour verrerie d'emballage, vaisselle cassée, vitrail",
            [
                L(
                    "bocaux",
                    "epicerie-vrac-la-graine",
                    "offer",
                    "bocaux en verre vides (lavés)",
                    q=(200, "unit"),
                    freq="monthly",
                ),
                L(
                    "confiturerie",
                    "confiturerie-des-coteaux",
                    "need",
                    "Confiturerie cherche pots en verre à réemployer",
                    q=(1000, "unit"),
                    freq="monthly",
                ),
                L(
                    "calcin",
                    "collecte-verre-recyclage",
                    "offer",
                    "verre de bouteilles broyé (calcin) toutes couleurs",
                    ewc="191205",
                    q=(80, "t"),
                    freq="monthly",
                ),
                L(
                    "verrerie",
                    "verrerie-emballage",
                    "need",
                    "Verrerie d'emballage (verre creux) cherche calcin",
                    q=(500, "t"),
                    freq="monthly",
                ),
                L(
                    "vaisselle",
                    "cuisine-centrale-municipale",
                    "offer",
                    "vaisselle et verres de cantine cassés (verre trempé, opaline)",
                    q=(300, "kg"),
                    freq="monthly",
                ),
                L(
                    "vitrail",
                    "atelier-vitrail-morel",
                    "need",
                    "Artisan vitrailliste cherche chutes de verre coloré",
                    q=(30, "kg"),
                    freq="monthly",
                ),
            ],
            [
                P("bocaux", "confiturerie", "Bocaux lavés réemployés en pots de confiture."),
                P("calcin", "verrerie", "Calcin toutes couleurs : accepté en verre creux."),
            ],
            [
                X("bocaux", "verrerie", "quantity_too_small", "200 bocaux (~50 kg) par mois pour 500 t/mois."),
                X("bocaux", "vitrail", "wrong_resource", "Des bocaux, pas des feuilles de verre coloré."),
                X("calcin", "confiturerie", "wrong_resource", "Du verre broyé, pas des pots."),
                X("calcin", "vitrail", "condition_contradicted", "Verre broyé, inutilisable en vitrail."),
                X(
                    "vaisselle",
                    "verrerie",
                    "condition_contradicted",
                    "Verre trempé / opaline infusible : pollue le calcin.",
                ),
                X("vaisselle", "confiturerie", "wrong_resource", "De la vaisselle cassée."),
                X("vaisselle", "vitrail", "condition_contradicted", "Vaisselle cassée, pas du verre de vitrail."),
            ],
        )
    )

    # ------------------------------------------------------------------ textiles
    add(
        C(
            "textiles",
            "textiles",
            "Chutes de coton et vêtements de travail : upcycling, chiffons ; chiffons souillés",
            [
                L(
                    "coton",
                    "confection-atelier-lys",
                    "offer",
                    "chutes de tissu coton (atelier de confection)",
                    ewc="040222",
                    q=(300, "kg"),
                    freq="monthly",
                ),
                L(
                    "upcycling",
                    "atelier-upcycling-reverse",
                    "need",
                    "Atelier d'upcycling cherche chutes de tissus",
                    q=(50, "kg"),
                    freq="monthly",
                ),
                L(
                    "effilochage",
                    "isolant-textile-recycle",
                    "need",
                    "Fabricant d'isolant textile recyclé (effilochage) : cherche textiles coton",
                    q=(20, "t"),
                    freq="monthly",
                ),
                L(
                    "vetements",
                    "industrie-mecanique-roger",
                    "offer",
                    "vêtements de travail usagés (lavés, avec logos)",
                    ewc="200110",
                    q=(2, "t"),
                    freq="yearly",
                ),
                L(
                    "souilles",
                    "imprimerie-offset-brun",
                    "offer",
                    "chiffons d'essuyage souillés (huile, solvants)",
                    ewc="150202",
                    q=(100, "kg"),
                    freq="monthly",
                ),
                L(
                    "garage",
                    "garage-central-auto",
                    "need",
                    "Garage cherche chiffons d'essuyage coton",
                    q=(30, "kg"),
                    freq="monthly",
                ),
            ],
            [
                P("coton", "upcycling", "Chutes de tissu pour l'upcycling."),
                P("vetements", "upcycling", "Vêtements de travail : matière d'upcycling."),
                P("coton", "garage", "Chutes de coton découpées = chiffons d'essuyage.", "substitution"),
                P("vetements", "garage", "Vieux vêtements de travail = chiffons.", "substitution"),
            ],
            [
                X("coton", "effilochage", "quantity_too_small", "300 kg/mois pour 20 t/mois (1,5 %)."),
                X("vetements", "effilochage", "quantity_too_small", "2 t/an pour 20 t/mois."),
                X("souilles", "upcycling", "hazardous", "Chiffons souillés (150202*)."),
                X("souilles", "effilochage", "hazardous", "Chiffons souillés (150202*)."),
                X(
                    "souilles",
                    "garage",
                    "hazardous",
                    "Chiffons souillés (150202*), le garage veut des chiffons propres.",
                ),
            ],
        )
    )

    add(
        C(
            "moquettes-feutre",
            "textiles",
            "Dalles de moquette en réemploi (m²) ; feutre pour panneaux acoustiques",
            [
                L(
                    "dalles",
                    "assurances-du-centre",
                    "offer",
                    "dalles de moquette d'occasion (bon état)",
                    "Déménagement de nos bureaux, dalles 50x50 gris anthracite.",
                    q=(800, "m2"),
                    freq="once",
                ),
                L("petit-lot", "cabinet-dentaire-vallee", "offer", "dalles de moquette", q=(20, "m2"), freq="once"),
                L(
                    "feutre",
                    "nontisses-industriels",
                    "offer",
                    "rouleaux de feutre / non-tissé (chutes industrielles)",
                    ewc="040222",
                    q=(2, "t"),
                    freq="monthly",
                ),
                L(
                    "bureaux",
                    "startup-numerique-lab",
                    "need",
                    "cherche 600 m2 de moquette pour nos nouveaux bureaux (réemploi)",
                    q=(600, "m2"),
                    freq="once",
                ),
                L(
                    "theatre",
                    "theatre-municipal",
                    "need",
                    "théâtre cherche moquette pour la salle et les coulisses",
                    q=(2000, "m2"),
                    freq="once",
                ),
                L(
                    "acoustique",
                    "panneaux-acoustiques-sonora",
                    "need",
                    "fabricant de panneaux acoustiques cherche fibres textiles / feutre",
                    q=(5, "t"),
                    freq="monthly",
                ),
            ],
            [
                P("dalles", "bureaux", "800 m² de dalles en bon état pour 600 m² de bureaux."),
                P("dalles", "theatre", "800 m² couvrent 40 % du besoin du théâtre."),
                P("feutre", "acoustique", "Chutes de feutre pour panneaux acoustiques."),
            ],
            [
                X("petit-lot", "bureaux", "quantity_too_small", "20 m² pour 600 m² (3 %)."),
                X("petit-lot", "theatre", "quantity_too_small", "20 m² pour 2000 m² (1 %)."),
                X("dalles", "acoustique", "wrong_resource", "Moquette à envers latex, pas de la fibre."),
                X("petit-lot", "acoustique", "wrong_resource", "Moquette, pas de la fibre."),
                X("feutre", "bureaux", "wrong_resource", "Du feutre industriel, pas de la moquette."),
                X("feutre", "theatre", "wrong_resource", "Du feutre industriel, pas de la moquette."),
            ],
        )
    )

    # ------------------------------------------------------------------ chemicals and solvents
    add(
        C(
            "solvants-acides-bases",
            "chemicals_solvents",
            "Solvants usagés vers régénération, soude excédentaire vers neutralisation ; acides, solvant propre",
            [
                L(
                    "solvants",
                    "carrosserie-delorme",
                    "offer",
                    "solvants usagés (acétone, diluant cellulosique) de nettoyage pistolets",
                    ewc="140603",
                    q=(600, "l"),
                    freq="monthly",
                ),
                L(
                    "regeneration",
                    "regeneration-solvants",
                    "need",
                    "Régénération de solvants par distillation : collecte de solvants usagés",
                ),
                L(
                    "soude",
                    "chimie-fine-durand",
                    "offer",
                    "soude caustique 30 % - lot neuf excédentaire (fûts)",
                    q=(2000, "l"),
                    freq="once",
                ),
                L(
                    "neutralisation",
                    "traitement-surfaces-est",
                    "need",
                    "STEP industrielle cherche base (soude) pour neutraliser effluents acides",
                    q=(5000, "l"),
                    freq="yearly",
                ),
                L(
                    "acides",
                    "galvanisation-du-rhin",
                    "offer",
                    "bains d'acide chlorhydrique usés (décapage)",
                    ewc="110105",
                    q=(3000, "l"),
                    freq="monthly",
                ),
                L(
                    "fontaine",
                    "garage-des-sports",
                    "need",
                    "cherche solvant pétrolier propre (white spirit) pour fontaine de dégraissage",
                    q=(100, "l"),
                    freq="monthly",
                ),
            ],
            [
                P("solvants", "regeneration", "Solvants usagés (140603*) vers un régénérateur agréé."),
                P(
                    "soude",
                    "neutralisation",
                    "Soude excédentaire pour neutraliser des effluents acides.",
                    "substitution",
                ),
            ],
            [
                X("acides", "neutralisation", "condition_contradicted", "Un acide pour neutraliser un acide."),
                X("acides", "regeneration", "wrong_resource", "Acide de décapage, pas un solvant."),
                X("solvants", "fontaine", "condition_contradicted", "Solvant usagé, le garage veut du propre."),
                X("solvants", "neutralisation", "wrong_resource", "Solvant, pas une base."),
                X("soude", "regeneration", "wrong_resource", "Soude, pas un solvant."),
                X("soude", "fontaine", "wrong_resource", "Soude, pas un solvant pétrolier."),
                X("acides", "fontaine", "hazardous", "Acide de décapage usé (110105*)."),
            ],
        )
    )

    # ------------------------------------------------------------------ oils and fats
    add(
        C(
            "glycerine-huiles",
            "oils_fats",
            "Glycérine, graisses et huiles de friture vers méthaniseur ; huile de vidange vers régénération",
            [
                L(
                    "glycerine",
                    "biodiesel-des-plaines",
                    "offer",
                    "glycérine brute (coproduit biodiesel)",
                    cat="chimie",
                    q=(50, "t"),
                    freq="monthly",
                ),
                L(
                    "methaniseur",
                    "methanisation-du-bocage",
                    "need",
                    "Méthaniseur : recherche co-substrats pour booster la production de biogaz",
                ),
                L(
                    "vidange",
                    "garage-renault-perrot",
                    "offer",
                    "huile de vidange (moteur) usagée",
                    ewc="130205",
                    q=(400, "l"),
                    freq="monthly",
                ),
                L(
                    "huiles-noires",
                    "collecte-huiles-usagees",
                    "need",
                    "Collecteur agréé : enlèvement huiles noires usagées pour régénération",
                ),
                L(
                    "bac-graisse",
                    "restaurant-entreprise-sodex",
                    "offer",
                    "graisses de bac à graisse (restaurant d'entreprise)",
                    ewc="190809",
                    q=(2, "m3"),
                    freq="monthly",
                ),
                L(
                    "friture",
                    "friterie-chez-momo",
                    "offer",
                    "huiles de friture usagées",
                    ewc="200125",
                    q=(300, "l"),
                    freq="monthly",
                ),
            ],
            [
                P(
                    "glycerine",
                    "methaniseur",
                    "Glycérine : co-substrat très méthanogène (piste CCLNB).",
                    "substitution",
                    family="chemicals_solvents",
                ),
                P("vidange", "huiles-noires", "Huile moteur usagée (130205*) vers collecteur agréé."),
                P("bac-graisse", "methaniseur", "Graisses de bac à graisse : co-substrat de méthanisation."),
                P("friture", "methaniseur", "Huiles alimentaires usagées : co-substrat de méthanisation."),
            ],
            [
                X("vidange", "methaniseur", "hazardous", "Huile minérale (130205*) dans un méthaniseur."),
                X("glycerine", "huiles-noires", "wrong_resource", "Glycérine, pas une huile minérale."),
                X("bac-graisse", "huiles-noires", "wrong_resource", "Graisses alimentaires, pas des huiles noires."),
                X("friture", "huiles-noires", "wrong_resource", "Huile alimentaire, pas des huiles noires."),
            ],
        )
    )

    add(
        C(
            "huiles-alimentaires",
            "oils_fats",
            "Huiles végétales usagées ou déclassées : carburant, ration animale ; huile hydraulique",
            [
                L(
                    "friture",
                    "friterie-du-beffroi",
                    "offer",
                    "huile de friture usagée (friterie)",
                    ewc="200125",
                    q=(200, "l"),
                    freq="monthly",
                ),
                L(
                    "carburant",
                    "cuma-des-trois-clochers",
                    "need",
                    "cherche huile végétale usagée pour faire du carburant (biodiesel)",
                    q=(1000, "l"),
                    freq="monthly",
                ),
                L(
                    "ration",
                    "elevage-bovin-lemoine",
                    "need",
                    "Éleveur cherche matières grasses pour la ration des animaux",
                    q=(500, "l"),
                    freq="monthly",
                ),
                L(
                    "hydraulique",
                    "travaux-publics-guerin",
                    "offer",
                    "huile hydraulique usagée",
                    ewc="130110",
                    q=(200, "l"),
                    freq="monthly",
                ),
                L(
                    "colza",
                    "huilerie-artisanale-du-gue",
                    "offer",
                    "huile de colza pressée à froid - lot déclassé (DDM dépassée)",
                    q=(1000, "l"),
                    freq="once",
                ),
                L(
                    "methaniseur",
                    "biogaz-du-marais",
                    "need",
                    "Méthaniseur cherche graisses et huiles végétales usagées",
                ),
            ],
            [
                P("friture", "carburant", "Huile alimentaire usagée vers biocarburant."),
                P("colza", "carburant", "Huile de colza déclassée : carburant."),
                P(
                    "colza",
                    "ration",
                    "Huile vierge à DDM dépassée : matière première pour aliment du bétail.",
                    "substitution",
                ),
                P("friture", "methaniseur", "Huile de friture usagée : co-substrat de méthanisation."),
                P("colza", "methaniseur", "Huile végétale déclassée : co-substrat de méthanisation."),
            ],
            [
                X(
                    "friture",
                    "ration",
                    "condition_contradicted",
                    "Huiles de friture usagées interdites en alimentation animale.",
                ),
                X("hydraulique", "carburant", "hazardous", "Huile hydraulique minérale (130110*)."),
                X("hydraulique", "ration", "hazardous", "Huile hydraulique minérale (130110*)."),
                X("hydraulique", "methaniseur", "hazardous", "Huile minérale (130110*) dans un méthaniseur."),
            ],
        )
    )

    add(
        C(
            "vidanges-garages",
            "oils_fats",
            "Huiles de vidange de petits garages : collecte groupée ; régénérateur ; poêle à huile interdit",
            [
                L(
                    "garage1",
                    "garage-du-pont",
                    "offer",
                    "huile de vidange usagée",
                    ewc="130205",
                    q=(200, "l"),
                    freq="monthly",
                    at=(0, 0),
                ),
                L(
                    "garage2",
                    "auto-service-martin",
                    "offer",
                    "huiles moteur usagees (vidanges)",
                    ewc="130205",
                    q=(150, "l"),
                    freq="monthly",
                    at=(1.4, -0.5),
                ),
                L(
                    "garage3",
                    "mecanique-agricole-petit",
                    "offer",
                    "Huile usagée moteurs et boîtes",
                    ewc="130208",
                    q=(250, "l"),
                    freq="monthly",
                    at=(-0.7, 1.1),
                ),
                L(
                    "antigel",
                    "carrosserie-du-parc",
                    "offer",
                    "liquide de refroidissement usagé",
                    ewc="160114",
                    q=(100, "l"),
                    freq="monthly",
                    at=(0.8, 0.9),
                ),
                L(
                    "raffinerie",
                    "regeneration-huiles-france",
                    "need",
                    "Régénérateur d'huiles usagées : cherche huiles noires (enlèvement min. 5000 L)",
                    q=(100000, "l"),
                    freq="monthly",
                    at=(10, -6),
                ),
                L(
                    "poele",
                    "menuiserie-lacroix",
                    "need",
                    "cherche huile usagée pour mon poêle à huile d'atelier",
                    q=(100, "l"),
                    freq="monthly",
                    at=(-4, 3),
                ),
            ],
            [
                G(["garage1", "garage2", "garage3"], "Trois garages voisins : enlèvement groupé des huiles usagées."),
            ],
            [
                XG(
                    ["antigel", "garage1", "garage2", "garage3"],
                    "wrong_resource",
                    "L'antigel ne se collecte pas avec les huiles.",
                ),
                X("garage1", "raffinerie", "quantity_too_small", "200 L/mois pour 100 000 L/mois."),
                X("garage2", "raffinerie", "quantity_too_small", "150 L/mois pour 100 000 L/mois."),
                X("garage3", "raffinerie", "quantity_too_small", "250 L/mois pour 100 000 L/mois."),
                X("antigel", "raffinerie", "wrong_resource", "Antigel, pas de l'huile."),
                X("garage1", "poele", "hazardous", "Brûler des huiles usagées (130205*) dans un poêle est interdit."),
                X("garage2", "poele", "hazardous", "Brûler des huiles usagées (130205*) dans un poêle est interdit."),
                X("garage3", "poele", "hazardous", "Brûler des huiles usagées (130208*) dans un poêle est interdit."),
                X("antigel", "poele", "hazardous", "Antigel (160114*) comme combustible."),
            ],
        )
    )

    # ------------------------------------------------------------------ heat and steam
    add(
        C(
            "chaleur-serre",
            "heat_steam",
            "Chaleur fatale basse température vers serre ; fumées chaudes vers vapeur ; réseau de chaleur trop loin",
            [
                L(
                    "compresseurs",
                    "air-liquide-process",
                    "offer",
                    "chaleur fatale 45°C",
                    "Eaux de refroidissement des compresseurs, 2 GWh/an disponibles.",
                    cat="énergie",
                    q=(2000, "mwh"),
                    freq="yearly",
                    at=(0, 0),
                ),
                L(
                    "serre",
                    "serres-maraicheres-du-val",
                    "need",
                    "Serre maraîchère : besoin de chauffage basse température",
                    q=(1500, "mwh"),
                    freq="yearly",
                    at=(1.2, 0.5),
                ),
                L(
                    "vapeur",
                    "laiterie-de-la-plaine",
                    "need",
                    "Laiterie : besoin de vapeur 6 bars (160°C) pour la stérilisation",
                    q=(3000, "mwh"),
                    freq="yearly",
                    at=(0.5, -1.5),
                ),
                L(
                    "fumees",
                    "fonderie-aluminium-est",
                    "offer",
                    "chaleur fatale sur fumées de four (250°C)",
                    q=(4000, "mwh"),
                    freq="yearly",
                    at=(-1, -1),
                ),
                L(
                    "reseau",
                    "regie-chaleur-urbaine",
                    "need",
                    "Réseau de chaleur urbain cherche chaleur de récupération",
                    q=(10000, "mwh"),
                    freq="yearly",
                    at=(18, 10),
                ),
                L(
                    "incinerateur",
                    "syndicat-valorisation-dechets",
                    "offer",
                    "chaleur fatale 90°C de l'unité de valorisation énergétique",
                    q=(30000, "mwh"),
                    freq="yearly",
                    at=(17, 9),
                ),
            ],
            [
                P("compresseurs", "serre", "Chaleur fatale 45 °C pour une serre basse température.", "substitution"),
                P("fumees", "serre", "Chaleur des fumées via échangeur vers la serre voisine.", "substitution"),
                P("fumees", "vapeur", "Fumées à 250 °C : chaudière de récupération produisant de la vapeur 6 bars."),
                P("incinerateur", "reseau", "Chaleur de l'UVE voisine pour le réseau de chaleur urbain."),
            ],
            [
                X("compresseurs", "vapeur", "condition_contradicted", "45 °C ne fait pas de vapeur 6 bars (~160 °C)."),
                X(
                    "compresseurs",
                    "reseau",
                    "too_far",
                    "Chaleur à ~20 km : bien au-delà de ce qu'un réseau transporte.",
                ),
                X("fumees", "reseau", "too_far", "Chaleur à ~20 km."),
                X("incinerateur", "serre", "too_far", "Chaleur à ~18 km."),
                X("incinerateur", "vapeur", "too_far", "Chaleur à ~18 km (et 90 °C ne fait pas de vapeur 6 bars)."),
            ],
        )
    )

    add(
        C(
            "chaleur-methaniseur-piscine",
            "heat_steam",
            "Eau chaude de process vers méthaniseur et piscine ; chaleur disponible trop tard ; froid",
            [
                L(
                    "eau-chaude",
                    "fromagerie-industrielle",
                    "offer",
                    "eau chaude 60°C issue du refroidissement process",
                    q=(800, "mwh"),
                    freq="yearly",
                    at=(0, 0),
                ),
                L(
                    "digesteur",
                    "metha-agri-energie",
                    "need",
                    "Méthaniseur : chaleur pour préchauffer le digesteur (40°C)",
                    q=(300, "mwh"),
                    freq="yearly",
                    at=(1.5, 1),
                ),
                L(
                    "piscine",
                    "communaute-agglo-piscine",
                    "need",
                    "Piscine municipale : chauffage des bassins, recherche chaleur de récupération",
                    q=(1200, "mwh"),
                    freq="yearly",
                    at=(-1, 1.5),
                    exp=D(2027, 3, 31),
                ),
                L(
                    "sechoir",
                    "deshydratation-luzerne",
                    "offer",
                    "chaleur fatale 80°C (séchoir)",
                    "Nouvelle ligne, disponible à partir de septembre 2027.",
                    q=(3000, "mwh"),
                    freq="yearly",
                    at=(0.5, -1.5),
                    avail=D(2027, 9, 1),
                ),
                L(
                    "froid",
                    "entrepot-surgeles",
                    "need",
                    "besoin de froid négatif (-20°C) pour entrepôt",
                    q=(500, "mwh"),
                    freq="yearly",
                    at=(-1.2, -0.8),
                ),
                L(
                    "buches",
                    "bois-de-chauffage-mercier",
                    "need",
                    "Séchoir à bois bûches : besoin de chaleur à 70°C",
                    q=(600, "mwh"),
                    freq="yearly",
                    at=(1.2, -1.8),
                ),
            ],
            [
                P("eau-chaude", "digesteur", "Eau à 60 °C pour maintenir un digesteur à 40 °C (piste CCLNB)."),
                P("eau-chaude", "piscine", "Chaleur de récupération pour les bassins."),
                P("sechoir", "digesteur", "Chaleur 80 °C disponible en 2027 : le besoin n'a pas d'échéance."),
                P("sechoir", "buches", "80 °C pour un séchoir à 70 °C, dès septembre 2027."),
            ],
            [
                X(
                    "sechoir",
                    "piscine",
                    "not_available_in_time",
                    "Disponible en septembre 2027, le besoin s'arrête en mars 2027.",
                ),
                X("eau-chaude", "froid", "wrong_resource", "De la chaleur pour un besoin de froid."),
                X("sechoir", "froid", "wrong_resource", "De la chaleur pour un besoin de froid négatif."),
                X("eau-chaude", "buches", "condition_contradicted", "60 °C pour un besoin de 70 °C."),
            ],
        )
    )

    add(
        C(
            "vapeur",
            "heat_steam",
            "Vapeur basse pression excédentaire ; chaleur 30 °C ; séchoir à 14 km",
            [
                L(
                    "vapeur-bp",
                    "chimie-du-port",
                    "offer",
                    "vapeur BP excédentaire 3 bars",
                    q=(5000, "mwh"),
                    freq="yearly",
                    at=(0, 0),
                ),
                L(
                    "blanchisserie",
                    "blanchisserie-industrielle",
                    "need",
                    "Blanchisserie industrielle cherche vapeur 3 à 5 bars",
                    q=(2000, "mwh"),
                    freq="yearly",
                    at=(1, 0),
                ),
                L(
                    "fourrage",
                    "cooperative-deshydratation",
                    "need",
                    "Déshydratation de fourrage cherche chaleur pour séchoir",
                    q=(4000, "mwh"),
                    freq="yearly",
                    at=(-12, -8),
                ),
                L(
                    "serveurs",
                    "datacenter-regional",
                    "offer",
                    "chaleur fatale 30°C (salle serveurs)",
                    q=(300, "mwh"),
                    freq="yearly",
                    at=(0.3, 1),
                ),
                L(
                    "bureaux",
                    "siege-mutuelle-regionale",
                    "need",
                    "Chauffage de bâtiment tertiaire (radiateurs 70°C)",
                    q=(400, "mwh"),
                    freq="yearly",
                    at=(-0.5, 1.4),
                ),
                L(
                    "interne",
                    "chimie-du-port",
                    "need",
                    "besoin de vapeur 3 bars pour le nouvel atelier",
                    q=(500, "mwh"),
                    freq="yearly",
                    at=(0.2, -0.3),
                ),
            ],
            [
                P("vapeur-bp", "blanchisserie", "Vapeur 3 bars voisine pour la blanchisserie."),
                P("vapeur-bp", "bureaux", "Vapeur via échangeur pour chauffer un bâtiment voisin."),
            ],
            [
                X("vapeur-bp", "fourrage", "too_far", "Vapeur à 14 km."),
                X("serveurs", "blanchisserie", "condition_contradicted", "30 °C pour un besoin de vapeur."),
                X("serveurs", "bureaux", "condition_contradicted", "30 °C pour des radiateurs à 70 °C."),
                X("serveurs", "fourrage", "too_far", "Chaleur à 15 km."),
                X("vapeur-bp", "interne", "same_organisation", "Même site chimique."),
                X("serveurs", "interne", "condition_contradicted", "30 °C pour un besoin de vapeur."),
            ],
        )
    )

    # ------------------------------------------------------------------ water
    add(
        C(
            "eaux",
            "water",
            "Eaux épurées et pluviales : irrigation, nettoyage de voirie ; eau potable ; séparateur",
            [
                L(
                    "step",
                    "conserverie-legumes-du-nord",
                    "offer",
                    "eaux épurées en sortie de STEP industrielle (qualité irrigation)",
                    q=(50000, "m3"),
                    freq="yearly",
                    at=(0, 0),
                ),
                L(
                    "irrigation",
                    "maraichers-associes",
                    "need",
                    "Maraîcher cherche eau pour irrigation (été)",
                    q=(20000, "m3"),
                    freq="yearly",
                    at=(1.5, 1),
                ),
                L(
                    "potable",
                    "biscuiterie-lefranc",
                    "need",
                    "Biscuiterie cherche eau potable pour process (contact aliment)",
                    q=(30000, "m3"),
                    freq="yearly",
                    at=(-1, 1),
                ),
                L(
                    "pluviales",
                    "plateforme-logistique-a7",
                    "offer",
                    "eaux pluviales de toiture récupérées (cuve 500 m3)",
                    q=(6000, "m3"),
                    freq="yearly",
                    at=(2, 0),
                ),
                L(
                    "voirie",
                    "service-proprete-agglo",
                    "need",
                    "nettoyage voirie / hydrocureuse : cherche eau non potable",
                    q=(2000, "m3"),
                    freq="yearly",
                    at=(0.5, -1.5),
                ),
                L(
                    "separateur",
                    "station-lavage-poids-lourds",
                    "offer",
                    "eaux du séparateur d'hydrocarbures",
                    ewc="130507",
                    q=(200, "m3"),
                    freq="yearly",
                    at=(-1.5, -1),
                ),
            ],
            [
                P("step", "irrigation", "Réutilisation d'eaux usées traitées (REUT) en irrigation."),
                P("pluviales", "irrigation", "Eaux pluviales pour l'irrigation."),
                P("pluviales", "voirie", "Eaux pluviales pour l'hydrocureuse."),
                P("step", "voirie", "Eau épurée non potable pour le nettoyage de voirie."),
            ],
            [
                X("step", "potable", "condition_contradicted", "Eau épurée non potable, le besoin exige du potable."),
                X("pluviales", "potable", "condition_contradicted", "Eau pluviale non potable."),
                X("separateur", "irrigation", "hazardous", "Eaux hydrocarburées (130507*)."),
                X("separateur", "voirie", "hazardous", "Eaux hydrocarburées (130507*) rejetées sur la voirie."),
                X("separateur", "potable", "hazardous", "Eaux hydrocarburées (130507*)."),
            ],
        )
    )

    # ------------------------------------------------------------------ equipment sharing
    add(
        C(
            "broyeur-paysagistes",
            "equipment_sharing",
            "Trois paysagistes veulent un broyeur en commun ; une nacelle prêtée",
            [
                L(
                    "p1",
                    "jardins-dupuis",
                    "pool",
                    "besoin d'un broyeur de végétaux 2 jours par mois",
                    q=(2, "day"),
                    freq="monthly",
                    at=(0, 0),
                ),
                L(
                    "p2",
                    "espaces-verts-klein",
                    "pool",
                    "Location broyeur de branches (Ø 15 cm) à partager",
                    at=(1.5, 0.5),
                ),
                L("p3", "paysage-et-nature", "pool", "mutualiser un broyeur de vegetaux entre pros", at=(0.5, -1.5)),
                L(
                    "nacelle",
                    "elagage-hubert",
                    "pool",
                    "cherche nacelle élévatrice à partager",
                    q=(3, "day"),
                    freq="monthly",
                    at=(-1, 1),
                ),
                L("loin", "parcs-et-jardins-bailly", "pool", "broyeur végétaux en commun ?", at=(20, -5)),
                L(
                    "pret-nacelle",
                    "location-materiel-btp",
                    "share",
                    "Nacelle 12 m sur porteur - dispo 3 j/mois",
                    q=(3, "day"),
                    freq="monthly",
                    at=(3, 3),
                ),
            ],
            [
                G(["p1", "p2", "p3"], "Un broyeur mutualisé entre trois paysagistes voisins (témoignage CCLNB)."),
                P("pret-nacelle", "nacelle", "Nacelle sous-utilisée prêtée à l'élagueur."),
            ],
            [
                XG(["nacelle", "p1", "p2", "p3"], "wrong_resource", "Une nacelle n'est pas un broyeur."),
                XG(["loin", "p1", "p2", "p3"], "too_far", "Le cinquième paysagiste est à ~20 km."),
                X("pret-nacelle", "p1", "wrong_resource", "Nacelle pour un besoin de broyeur."),
                X("pret-nacelle", "p2", "wrong_resource", "Nacelle pour un besoin de broyeur."),
                X("pret-nacelle", "p3", "wrong_resource", "Nacelle pour un besoin de broyeur."),
                X("pret-nacelle", "loin", "wrong_resource", "Nacelle pour un besoin de broyeur."),
            ],
        )
    )

    add(
        C(
            "engins",
            "equipment_sharing",
            "Chariot télescopique, nacelle, camion benne : prêts entre voisins",
            [
                L(
                    "chariot",
                    "negoce-materiaux-fournier",
                    "share",
                    "Chariot élévateur télescopique (Manitou) dispo 3 j/mois",
                    q=(3, "day"),
                    freq="monthly",
                ),
                L(
                    "dechargement",
                    "charpente-bois-leroy",
                    "pool",
                    "besoin ponctuel d'un chariot télescopique pour déchargement",
                    q=(2, "day"),
                    freq="monthly",
                ),
                L(
                    "nacelle",
                    "peinture-facades-costa",
                    "share",
                    "nacelle ciseaux 10 m disponible",
                    q=(4, "day"),
                    freq="monthly",
                ),
                L(
                    "facade",
                    "copropriete-gestion-immo",
                    "pool",
                    "cherche nacelle pour entretien façade, 2 jours",
                    q=(2, "day"),
                    freq="once",
                ),
                L(
                    "benne",
                    "transports-terrassement-roy",
                    "share",
                    "camion benne 19t avec chauffeur (1 j/sem)",
                    q=(1, "day"),
                    freq="weekly",
                ),
                L(
                    "gravats",
                    "transports-terrassement-roy",
                    "pool",
                    "besoin camion benne pour évacuer gravats 1 j/semaine",
                    q=(1, "day"),
                    freq="weekly",
                ),
            ],
            [
                P("chariot", "dechargement", "Télescopique sous-utilisé pour un déchargement ponctuel."),
                P("nacelle", "facade", "Nacelle disponible pour l'entretien de façade."),
            ],
            [
                X("benne", "gravats", "same_organisation", "Même entreprise."),
                X("nacelle", "dechargement", "wrong_resource", "Nacelle pour un besoin de chariot."),
                X("chariot", "facade", "wrong_resource", "Chariot pour un besoin de nacelle."),
                X("benne", "dechargement", "wrong_resource", "Camion benne pour un besoin de chariot."),
                X("chariot", "gravats", "wrong_resource", "Chariot pour un besoin de camion benne."),
                X("nacelle", "gravats", "wrong_resource", "Nacelle pour un besoin de camion benne."),
                X("benne", "facade", "wrong_resource", "Camion benne pour un besoin de nacelle."),
            ],
        )
    )

    add(
        C(
            "froid-salles",
            "equipment_sharing",
            "Chambre froide positive et salle de réunion partagées ; froid négatif",
            [
                L(
                    "chambre",
                    "traiteur-saveurs-du-terroir",
                    "share",
                    "Chambre froide positive 20 m3 sous-utilisée, location possible",
                    q=(20, "m3"),
                ),
                L(
                    "producteur",
                    "ferme-des-quatre-vents",
                    "pool",
                    "Producteur fermier cherche place en chambre froide (0-4°C) à partager",
                    q=(5, "m3"),
                ),
                L(
                    "glacier",
                    "glaces-artisanales-nina",
                    "pool",
                    "glacier cherche chambre froide négative -18°C en commun",
                    "Pour passer l'hiver, jusqu'à fin mars.",
                    q=(8, "m3"),
                    exp=D(2027, 3, 31),
                ),
                L(
                    "salle",
                    "cci-antenne-locale",
                    "share",
                    "Salle de réunion 30 places + vidéoprojecteur",
                    q=(4, "day"),
                    freq="monthly",
                ),
                L(
                    "formation",
                    "organisme-formation-cap",
                    "pool",
                    "besoin d'une salle de formation 20 personnes, 1 jour par mois",
                    q=(1, "day"),
                    freq="monthly",
                ),
                L(
                    "negative",
                    "surgeles-distribution-rey",
                    "share",
                    "chambre froide négative -20°C, 10 m3 libres",
                    "Libre à partir de juin 2027.",
                    q=(10, "m3"),
                    avail=D(2027, 6, 1),
                ),
            ],
            [
                P("chambre", "producteur", "Chambre froide positive partagée avec un producteur."),
                P("salle", "formation", "Salle de réunion prêtée pour des formations."),
            ],
            [
                X(
                    "chambre",
                    "glacier",
                    "condition_contradicted",
                    "Chambre froide positive, le glacier a besoin de -18 °C.",
                ),
                X("salle", "producteur", "wrong_resource", "Une salle pour un besoin de froid."),
                X("chambre", "formation", "wrong_resource", "Une chambre froide pour une formation."),
                X("salle", "glacier", "wrong_resource", "Une salle pour un besoin de froid."),
                X(
                    "negative",
                    "glacier",
                    "not_available_in_time",
                    "Libre en juin 2027, le glacier en a besoin jusqu'à fin mars.",
                ),
                X(
                    "negative",
                    "producteur",
                    "condition_contradicted",
                    "Froid négatif pour des produits frais à 0-4 °C.",
                ),
                X("negative", "formation", "wrong_resource", "Une chambre froide pour une formation."),
            ],
        )
    )

    add(
        C(
            "autolaveuse-nacelle",
            "equipment_sharing",
            "Achats d'équipements en commun dans une ZA : autolaveuse, nacelle",
            [
                L(
                    "a1",
                    "imprimerie-zae",
                    "pool",
                    "Autolaveuse pour nos sols d'atelier, à mutualiser (1 j/mois)",
                    q=(1, "day"),
                    freq="monthly",
                    at=(0, 0),
                ),
                L("a2", "logistique-zae", "pool", "auto-laveuse autoportée en commun ?", at=(0.9, 0.5)),
                L("a3", "mecanique-zae", "pool", "partage autolaveuse sols industriels", at=(-0.5, 0.9)),
                L("n1", "entrepot-zae", "pool", "nacelle pour changer les éclairages, à partager", at=(0.3, -1)),
                L("n2", "menuiserie-zae", "pool", "Nacelle élévatrice en copropriété entre voisins", at=(-1, -0.4)),
                L(
                    "n3",
                    "garage-zae",
                    "pool",
                    "besoin nacelle 2 j/an (entretien bardage)",
                    q=(2, "day"),
                    freq="yearly",
                    at=(1.2, -0.7),
                ),
            ],
            [
                G(["a1", "a2", "a3"], "Trois entreprises voisines pour une autolaveuse commune."),
                G(["n1", "n2", "n3"], "Trois entreprises voisines pour une nacelle commune."),
            ],
            [
                XG(["a1", "a2", "a3", "n1", "n2", "n3"], "wrong_resource", "Deux équipements différents."),
            ],
        )
    )

    # ------------------------------------------------------------------ services pooling
    add(
        C(
            "collectes-za",
            "services_pooling",
            "Zone commerciale : collecte mutualisée des cartons et des biodéchets",
            [
                L(
                    "k1",
                    "boutique-deco-maison",
                    "pool",
                    "Collecte groupée des cartons sur la zone commerciale",
                    at=(0, 0),
                ),
                L(
                    "k2",
                    "magasin-bricolage-pro",
                    "pool",
                    "mutualiser le ramassage carton (on en a 2 rolls/sem)",
                    at=(0.8, 0.4),
                ),
                L("k3", "pharmacie-du-parc", "pool", "cherche solution collective pour nos cartons", at=(-0.5, 0.9)),
                L("b1", "pizzeria-bella", "pool", "collecte groupée des biodéchets", at=(0.3, -0.7)),
                L(
                    "b2",
                    "restaurant-asiatique-lotus",
                    "pool",
                    "collecte commune des déchets de cuisine (biodechets)",
                    at=(-0.9, -0.4),
                ),
                L("b3", "boulangerie-de-la-zone", "pool", "ramassage mutualisé biodéchets / invendus", at=(1.1, -0.9)),
            ],
            [
                G(["k1", "k2", "k3"], "Trois commerces voisins : collecte mutualisée des cartons."),
                G(
                    ["b1", "b2", "b3"],
                    "Trois commerces de bouche voisins : collecte mutualisée des biodéchets.",
                    family="biowaste_food",
                ),
            ],
            [
                XG(["b1", "b2", "b3", "k1", "k2", "k3"], "wrong_resource", "Cartons et biodéchets : deux collectes."),
            ],
        )
    )

    add(
        C(
            "petits-cartons",
            "paper_cardboard",
            "Petits gisements de cartons de commerces : collecte groupée ; chacun trop faible pour la papeterie",
            [
                L("s1", "chaussures-martineau", "offer", "cartons vides", q=(20, "kg"), freq="weekly", at=(0, 0)),
                L(
                    "s2",
                    "quincaillerie-du-centre",
                    "offer",
                    "Cartons d'emballage (livraisons)",
                    q=(40, "kg"),
                    freq="weekly",
                    at=(1, 0.5),
                ),
                L(
                    "s3",
                    "librairie-des-arcades",
                    "offer",
                    "carton",
                    cat="carton",
                    q=(25, "kg"),
                    freq="weekly",
                    at=(-0.6, 1),
                ),
                L(
                    "s4",
                    "opticien-vision-plus",
                    "offer",
                    "films plastiques d'emballage",
                    ewc="150102",
                    q=(10, "kg"),
                    freq="weekly",
                    at=(0.4, -1.1),
                ),
                L("s5", "magasin-de-village", "offer", "cartons vides", q=(30, "kg"), freq="weekly", at=(-17, 9)),
                L(
                    "papeterie",
                    "cartonnerie-recyclage-sud",
                    "need",
                    "Papeterie achète cartons en balles",
                    q=(30, "t"),
                    freq="monthly",
                    at=(8, -6),
                ),
            ],
            [
                G(["s1", "s2", "s3"], "Trois commerces voisins : tournée de collecte des cartons commune."),
            ],
            [
                XG(["s1", "s2", "s3", "s5"], "too_far", "Le magasin de village est à ~20 km."),
                XG(["s1", "s2", "s3", "s4"], "wrong_resource", "Des films plastiques dans une collecte de cartons."),
                X("s1", "papeterie", "quantity_too_small", "20 kg/sem pour 30 t/mois."),
                X("s2", "papeterie", "quantity_too_small", "40 kg/sem pour 30 t/mois."),
                X("s3", "papeterie", "quantity_too_small", "25 kg/sem pour 30 t/mois."),
                X("s4", "papeterie", "wrong_resource", "Des films plastiques pour une papeterie."),
                X("s5", "papeterie", "quantity_too_small", "30 kg/sem pour 30 t/mois."),
            ],
        )
    )

    add(
        C(
            "petites-palettes",
            "wood",
            "Artisans avec quelques palettes cassées : enlèvement groupé ; ni reconditionneur ni besoin de bon état",
            [
                L(
                    "o1",
                    "plomberie-chauffage-noel",
                    "offer",
                    "palettes cassées",
                    q=(5, "pallet"),
                    freq="monthly",
                    at=(0, 0),
                ),
                L(
                    "o2",
                    "electricite-generale-adam",
                    "offer",
                    "quelques palettes bois abîmées",
                    q=(4, "pallet"),
                    freq="monthly",
                    at=(1.3, 0.3),
                ),
                L(
                    "o3",
                    "carrelage-design-sanchez",
                    "offer",
                    "palettes bois HS",
                    q=(6, "pallet"),
                    freq="monthly",
                    at=(-0.4, 1.2),
                ),
                L(
                    "o4",
                    "pharmacie-distribution-est",
                    "offer",
                    "palettes plastique cassées",
                    q=(5, "pallet"),
                    freq="monthly",
                    at=(0.6, -1),
                ),
                L(
                    "recond",
                    "palettes-reconditionnees-ouest",
                    "need",
                    "Reconditionneur cherche palettes bois à réparer",
                    q=(1500, "pallet"),
                    freq="monthly",
                    at=(6, 7),
                ),
                L(
                    "epal",
                    "expeditions-agroalimentaires",
                    "need",
                    "cherche palettes EPAL en bon état",
                    q=(50, "pallet"),
                    freq="monthly",
                    at=(-5, 6),
                ),
            ],
            [
                G(["o1", "o2", "o3"], "Trois artisans voisins : enlèvement groupé des palettes cassées."),
            ],
            [
                XG(["o1", "o2", "o3", "o4"], "wrong_resource", "Palettes plastique : autre filière."),
                X("o1", "recond", "quantity_too_small", "5 palettes/mois pour 1500."),
                X("o2", "recond", "quantity_too_small", "4 palettes/mois pour 1500."),
                X("o3", "recond", "quantity_too_small", "6 palettes/mois pour 1500."),
                X("o4", "recond", "wrong_resource", "Palettes plastique, le reconditionneur fait du bois."),
                X("o1", "epal", "condition_contradicted", "Palettes cassées, le besoin exige un bon état."),
                X("o2", "epal", "condition_contradicted", "Palettes abîmées, le besoin exige un bon état."),
                X("o3", "epal", "condition_contradicted", "Palettes HS, le besoin exige un bon état."),
                X(
                    "o4",
                    "epal",
                    "condition_contradicted",
                    "Palettes plastique cassées pour un besoin d'EPAL en bon état.",
                ),
            ],
        )
    )

    add(
        C(
            "tubes-fluo",
            "chemicals_solvents",
            "Commerces avec quelques tubes fluorescents : collecte groupée de déchets dangereux ; pas en ressourcerie",
            [
                L(
                    "n1",
                    "supermarche-express",
                    "offer",
                    "tubes fluorescents usagés",
                    ewc="200121",
                    q=(15, "kg"),
                    freq="monthly",
                    at=(0, 0),
                ),
                L(
                    "n2",
                    "garage-poids-lourds-zi",
                    "offer",
                    "néons HS à évacuer",
                    ewc="200121",
                    q=(10, "kg"),
                    freq="monthly",
                    at=(1, 0.7),
                ),
                L(
                    "n3",
                    "salle-de-sport-forme",
                    "offer",
                    "tubes fluo / lampes usagées",
                    q=(8, "kg"),
                    freq="monthly",
                    at=(-0.8, 0.6),
                ),
                L(
                    "piles",
                    "magasin-jouets-ludo",
                    "offer",
                    "piles usagées",
                    ewc="200133",
                    q=(5, "kg"),
                    freq="monthly",
                    at=(0.2, -1),
                ),
                L(
                    "ressourcerie",
                    "ressourcerie-la-trouvaille",
                    "need",
                    "Ressourcerie cherche luminaires et matériel électrique réutilisable",
                    at=(5, -4),
                ),
                L(
                    "collecteur",
                    "collecte-dechets-dangereux",
                    "need",
                    "Collecteur agréé lampes usagées : enlèvement à partir de 500 kg",
                    q=(500, "kg"),
                    freq="once",
                    at=(-6, -5),
                ),
            ],
            [
                G(
                    ["n1", "n2", "n3"],
                    "Trois petits détenteurs voisins : enlèvement groupé des lampes par un collecteur agréé.",
                ),
            ],
            [
                XG(["n1", "n2", "n3", "piles"], "wrong_resource", "Piles et lampes : filières distinctes."),
                X("n1", "ressourcerie", "hazardous", "Lampes au mercure (200121*)."),
                X("n2", "ressourcerie", "hazardous", "Lampes au mercure (200121*)."),
                X(
                    "n3",
                    "ressourcerie",
                    "condition_contradicted",
                    "Tubes fluo usagés : déchet dangereux, pas du réemploi.",
                ),
                X("piles", "ressourcerie", "hazardous", "Piles usagées (200133*)."),
                X("n1", "collecteur", "quantity_too_small", "15 kg/mois, enlèvement à partir de 500 kg."),
                X("n2", "collecteur", "quantity_too_small", "10 kg/mois, enlèvement à partir de 500 kg."),
                X("n3", "collecteur", "quantity_too_small", "8 kg/mois, enlèvement à partir de 500 kg."),
                X("piles", "collecteur", "wrong_resource", "Des piles pour un collecteur de lampes."),
            ],
        )
    )

    add(
        C(
            "achats-groupes",
            "services_pooling",
            "Achats groupés et services en commun dans une zone d'activités",
            [
                L(
                    "q1",
                    "cabinet-expertise-ribot",
                    "pool",
                    "Achat groupé de fournitures de bureau / ramettes papier",
                    at=(0, 0),
                ),
                L(
                    "q2",
                    "agence-immobiliere-horizon",
                    "pool",
                    "grouper nos commandes de papier et consommables",
                    at=(0.9, 0.3),
                ),
                L("q3", "bureau-etudes-structura", "pool", "achats groupés fournitures de bureau", at=(-0.3, 1)),
                L("m1", "laboratoire-analyses-medicales", "pool", "nettoyage des locaux mutualisé", at=(0.5, -0.8)),
                L("m2", "centre-kine-sante", "pool", "mutualiser le prestataire de ménage", at=(-1, -0.5)),
                L("elec", "transport-frigorifique-ravel", "pool", "achat groupé électricité verte", at=(1.2, -0.6)),
            ],
            [
                G(["q1", "q2", "q3"], "Trois voisins : achat groupé de fournitures de bureau."),
            ],
            [
                XG(["m1", "m2"], "group_too_small", "Deux demandes seulement pour le nettoyage."),
                XG(["elec", "q1", "q2", "q3"], "wrong_resource", "L'électricité n'est pas une fourniture de bureau."),
            ],
        )
    )

    add(
        C(
            "gardiennage-espaces-verts",
            "services_pooling",
            "Zone d'activités : gardiennage de nuit et entretien des espaces verts mutualisés",
            [
                L("g1", "stockage-materiaux-zai", "pool", "surveillance de nuit mutualisée sur la zone", at=(0, 0)),
                L("g2", "concession-auto-zai", "pool", "gardiennage / rondes de nuit en commun", at=(0.9, 0.5)),
                L(
                    "g3",
                    "entrepot-textile-zai",
                    "pool",
                    "partager un maître-chien entre entreprises de la ZA",
                    at=(-0.5, 0.9),
                ),
                L(
                    "e1",
                    "imprimerie-numerique-zai",
                    "pool",
                    "entretien espaces verts de la zone à mutualiser",
                    at=(0.3, -1),
                ),
                L(
                    "e2",
                    "laboratoire-cosmetique-zai",
                    "pool",
                    "tonte et taille des haies en commun (contrat groupé)",
                    at=(-1, -0.4),
                ),
                L(
                    "e3",
                    "carrosserie-industrielle-zai",
                    "pool",
                    "mutualisation entretien des espaces verts",
                    at=(1.2, -0.7),
                ),
            ],
            [
                G(["g1", "g2", "g3"], "Gardiennage de nuit mutualisé entre trois voisins."),
                G(["e1", "e2", "e3"], "Contrat d'entretien des espaces verts commun."),
            ],
            [
                XG(["e1", "e2", "e3", "g1", "g2", "g3"], "wrong_resource", "Deux services différents."),
            ],
        )
    )

    add(
        C(
            "services-partages",
            "services_pooling",
            "Capacités de service partagées : transport hebdomadaire, gardiennage, restaurant d'entreprise",
            [
                L(
                    "camion",
                    "salaisons-du-terroir",
                    "share",
                    "Tournée hebdo vers Rungis le mardi : place dispo dans notre camion frigo",
                    q=(6, "pallet"),
                    freq="weekly",
                ),
                L(
                    "surveillance",
                    "securite-industrielle-zi",
                    "share",
                    "Notre service de gardiennage peut couvrir les sites voisins de la ZI",
                ),
                L(
                    "cantine",
                    "equipementier-auto-lacombe",
                    "share",
                    "Restaurant d'entreprise ouvert aux salariés des entreprises voisines (60 couverts dispo)",
                ),
                L(
                    "transport",
                    "fromages-affines-pascal",
                    "pool",
                    "Mutualiser le transport réfrigéré vers Rungis (2 palettes/semaine)",
                    q=(2, "pallet"),
                    freq="weekly",
                ),
                L("repas", "bureau-etudes-hydro", "pool", "recherche solution de restauration pour nos 25 salariés"),
                L("nuit", "depot-materiaux-baudin", "pool", "surveillance / gardiennage de nuit mutualisé"),
            ],
            [
                P("camion", "transport", "Place libre dans une tournée frigorifique vers la même destination."),
                P("cantine", "repas", "Restaurant d'entreprise ouvert aux voisins."),
                P("surveillance", "nuit", "Gardiennage étendu au dépôt voisin."),
            ],
            [
                X("camion", "repas", "wrong_resource", "Transport pour un besoin de restauration."),
                X("camion", "nuit", "wrong_resource", "Transport pour un besoin de gardiennage."),
                X("surveillance", "transport", "wrong_resource", "Gardiennage pour un besoin de transport."),
                X("surveillance", "repas", "wrong_resource", "Gardiennage pour un besoin de restauration."),
                X("cantine", "transport", "wrong_resource", "Restauration pour un besoin de transport."),
                X("cantine", "nuit", "wrong_resource", "Restauration pour un besoin de gardiennage."),
            ],
        )
    )

    add(
        C(
            "formations",
            "services_pooling",
            "Formations inter-entreprises : SST groupée ; CACES ; une entreprise loin",
            [
                L("s1", "boulangerie-industrielle-bio", "pool", "formation SST à organiser pour 3 salariés", at=(0, 0)),
                L(
                    "s2",
                    "plasturgie-du-vallon",
                    "pool",
                    "session sauveteur secouriste du travail en commun",
                    at=(1.1, 0.2),
                ),
                L(
                    "s3",
                    "scierie-moderne-vial",
                    "pool",
                    "recyclage SST (4 personnes), on cherche à grouper",
                    at=(-0.2, 1),
                ),
                L("caces", "negoce-bois-materiaux", "pool", "formation CACES chariots à mutualiser", at=(0.6, -0.9)),
                L("s4", "fromagerie-des-hauts", "pool", "formation SST groupée", at=(15, -13)),
            ],
            [
                G(["s1", "s2", "s3"], "Session SST inter-entreprises pour trois voisins.", family="skills_staff"),
            ],
            [
                XG(
                    ["caces", "s1", "s2", "s3"],
                    "wrong_resource",
                    "CACES et SST : deux formations.",
                    family="skills_staff",
                ),
                XG(["s1", "s2", "s3", "s4"], "too_far", "La fromagerie est à ~20 km.", family="skills_staff"),
            ],
        )
    )

    # ------------------------------------------------------------------ skills and staff
    add(
        C(
            "competences",
            "skills_staff",
            "Prêt de main d'œuvre et temps partagé : maintenance, QSE, caristes ; renfort trop tardif",
            [
                L(
                    "technicien",
                    "mecanique-de-precision-gal",
                    "share",
                    "Technicien de maintenance dispo 2 j/sem (baisse d'activité)",
                    q=(2, "day"),
                    freq="weekly",
                ),
                L(
                    "qse",
                    "agroalimentaire-bontemps",
                    "share",
                    "Notre responsable QSE peut intervenir chez vous (temps partagé, 1 j/sem)",
                    q=(1, "day"),
                    freq="weekly",
                ),
                L(
                    "caristes",
                    "logistique-transalp",
                    "share",
                    "Prêt de main d'œuvre : 2 caristes CACES 3 disponibles",
                    "Disponibles en janvier uniquement.",
                    q=(2, "unit"),
                    avail=D(2027, 1, 4),
                    exp=D(2027, 1, 31),
                ),
                L(
                    "maintenance",
                    "emballages-plastiques-riviere",
                    "pool",
                    "Cherche un technicien de maintenance à temps partagé (électromécanique)",
                    q=(1, "day"),
                    freq="weekly",
                ),
                L(
                    "iso",
                    "traiteur-evenementiel-lune",
                    "pool",
                    "besoin d'un animateur QSE / HSE mutualisé pour certif ISO 14001",
                ),
                L(
                    "inventaire",
                    "grossiste-alimentaire-duval",
                    "pool",
                    "Besoin renfort cariste pour inventaire fin décembre",
                    q=(2, "unit"),
                    exp=D(2026, 12, 31),
                ),
            ],
            [
                P("technicien", "maintenance", "Prêt de technicien de maintenance à temps partagé."),
                P("qse", "iso", "Responsable QSE en temps partagé."),
            ],
            [
                X(
                    "caristes",
                    "inventaire",
                    "not_available_in_time",
                    "Caristes libres en janvier, inventaire fin décembre.",
                ),
                X("technicien", "iso", "wrong_resource", "Maintenance pour un besoin QSE."),
                X("technicien", "inventaire", "wrong_resource", "Maintenance pour un besoin de cariste."),
                X("qse", "maintenance", "wrong_resource", "QSE pour un besoin de maintenance."),
                X("qse", "inventaire", "wrong_resource", "QSE pour un besoin de cariste."),
                X("caristes", "maintenance", "wrong_resource", "Caristes pour un besoin de maintenance."),
                X("caristes", "iso", "wrong_resource", "Caristes pour un besoin QSE."),
            ],
        )
    )

    add(
        C(
            "temps-partage",
            "skills_staff",
            "Emplois à temps partagé entre PME : responsable QSE, DRH",
            [
                L(
                    "q1",
                    "chaudronnerie-lemaire",
                    "pool",
                    "responsable QSE à temps partagé (1 j/sem)",
                    q=(1, "day"),
                    freq="weekly",
                    at=(0, 0),
                ),
                L(
                    "q2",
                    "imprimerie-ducret",
                    "pool",
                    "cherche à partager un poste qualité sécurité environnement",
                    at=(1, 0.6),
                ),
                L("q3", "transports-viallet", "pool", "QSE mutualisé entre PME", at=(-0.6, 0.9)),
                L("h1", "menuiserie-industrielle-cordier", "pool", "DRH à temps partagé", at=(0.4, -1)),
                L("h2", "conserverie-des-marais", "pool", "mutualiser un responsable RH", at=(-1.1, -0.3)),
                L("q4", "fonderie-de-la-vallee", "pool", "responsable QSE temps partagé", at=(-16, 12)),
            ],
            [
                G(["q1", "q2", "q3"], "Un responsable QSE partagé entre trois PME voisines (groupement d'employeurs)."),
            ],
            [
                XG(["h1", "h2"], "group_too_small", "Deux PME seulement pour le poste RH."),
                XG(["q1", "q2", "q3", "q4"], "too_far", "La fonderie est à ~20 km."),
            ],
        )
    )

    # ------------------------------------------------------------------ synonyms, typos, dates, vagueness, coast
    add(
        C(
            "fautes-synonymes",
            "biowaste_food",
            "Saisies approximatives : accents manquants, pluriels, jargon",
            [
                L(
                    "dreches",
                    "microbrasserie-la-mousse",
                    "offer",
                    "drèches humides (brasserie)",
                    q=(800, "kg"),
                    freq="weekly",
                ),
                L(
                    "vaches",
                    "earl-des-genets",
                    "need",
                    "cherche dreches pour mes vaches (livré si possible)",
                    q=(2, "t"),
                    freq="monthly",
                ),
                L(
                    "sciures",
                    "scierie-artisanale-collet",
                    "offer",
                    "sciures de bois brut non traitées (sapin)",
                    q=(1, "t"),
                    freq="monthly",
                ),
                L("litiere", "centre-equestre-du-moulin", "need", "litiere chevaux ?", q=(2, "t"), freq="monthly"),
                L(
                    "placo",
                    "platrerie-isolation-vasseur",
                    "offer",
                    "chutes de placo (BA13) propres",
                    ewc="170802",
                    q=(3, "t"),
                    freq="monthly",
                ),
                L(
                    "gypse",
                    "earl-des-argiles",
                    "need",
                    "recherche gypse pour amendement (sols argileux)",
                    q=(20, "t"),
                    freq="yearly",
                ),
            ],
            [
                P("dreches", "vaches", "Drèches/dreches = drêches.", "typo"),
                P(
                    "sciures",
                    "litiere",
                    "Sciure non traitée pour litière (accents manquants).",
                    "typo",
                    "substitution",
                    family="wood",
                ),
                P(
                    "placo",
                    "gypse",
                    "Placo = plaque de plâtre = gypse ; plâtre recyclé en amendement.",
                    "synonym",
                    "substitution",
                    family="minerals_inert",
                ),
            ],
            [
                X("dreches", "litiere", "wrong_resource", "Drêches humides en litière."),
                X("dreches", "gypse", "wrong_family", "Drêches pour un amendement calcique."),
                X("sciures", "vaches", "wrong_resource", "La sciure n'est pas un aliment.", family="wood"),
                X("sciures", "gypse", "wrong_family", "Sciure pour un besoin de gypse.", family="wood"),
                X("placo", "vaches", "wrong_family", "Plâtre pour des vaches.", family="minerals_inert"),
                X("placo", "litiere", "wrong_resource", "Plâtre en litière.", family="minerals_inert"),
            ],
        )
    )

    add(
        C(
            "flou",
            "paper_cardboard",
            "Annonces sans ressource nommée : rien à proposer, sauf la paire explicite",
            [
                L("matiere", "sarl-nouvelles-idees", "need", "cherche matière"),
                L("divers", "entreprise-generale-batiment", "offer", "stock divers à donner"),
                L(
                    "chutes",
                    "cartonnerie-du-lac",
                    "offer",
                    "chutes de carton ondulé propres",
                    q=(500, "kg"),
                    freq="monthly",
                ),
                L(
                    "calage",
                    "e-commerce-cosmetiques",
                    "need",
                    "cherche carton pour calage",
                    q=(200, "kg"),
                    freq="monthly",
                ),
                L("dechets", "atelier-production-gimenez", "offer", "déchets"),
                L("materiaux", "association-tiers-lieu", "need", "besoin de matériaux"),
            ],
            [
                P("chutes", "calage", "La seule paire où les deux annonces nomment une ressource."),
            ],
            [
                X("divers", "matiere", "too_vague", "Ni l'offre ni le besoin ne nomment de ressource."),
                X("chutes", "matiere", "too_vague", "Le besoin ne nomme aucune ressource."),
                X("divers", "calage", "too_vague", "L'offre ne nomme aucune ressource."),
                X("dechets", "matiere", "too_vague", "Rien de nommé."),
                X("dechets", "calage", "too_vague", "« déchets » sans autre précision."),
                X("chutes", "materiaux", "too_vague", "« matériaux » sans autre précision."),
                X("divers", "materiaux", "too_vague", "Rien de nommé."),
                X("dechets", "materiaux", "too_vague", "Rien de nommé."),
            ],
        )
    )

    add(
        C(
            "littoral",
            "biowaste_food",
            "Coproduits de la mer : coquilles d'huîtres, filets de pêche, caisses PSE de criée",
            [
                L(
                    "coquilles",
                    "ostreiculture-le-gall",
                    "offer",
                    "coquilles d'huîtres (conchyliculteur)",
                    q=(20, "t"),
                    freq="monthly",
                ),
                L(
                    "pondeuses",
                    "elevage-poules-plein-air",
                    "need",
                    "Éleveur de poules pondeuses cherche grit / carbonate de calcium",
                    q=(500, "kg"),
                    freq="monthly",
                ),
                L(
                    "calcaire",
                    "earl-des-dunes",
                    "need",
                    "agriculteur cherche amendement calcaire",
                    q=(40, "t"),
                    freq="yearly",
                ),
                L(
                    "filets",
                    "armement-peche-kervella",
                    "offer",
                    "filets de pêche usagés (polyamide)",
                    q=(3, "t"),
                    freq="yearly",
                ),
                L(
                    "pa6",
                    "recyclage-polyamide-atlantique",
                    "need",
                    "recycleur polyamide (PA6) cherche filets de pêche / chaluts",
                    q=(10, "t"),
                    freq="yearly",
                ),
                L(
                    "pse",
                    "criee-du-port",
                    "offer",
                    "caisses polystyrène de la criée (caisses à poisson)",
                    ewc="150102",
                    q=(5, "m3"),
                    freq="weekly",
                ),
            ],
            [
                P("coquilles", "pondeuses", "Coquilles broyées = grit calcique pour pondeuses.", "substitution"),
                P("coquilles", "calcaire", "Coquilles broyées = amendement calcaire.", "substitution"),
                P("filets", "pa6", "Filets polyamide vers recycleur PA6.", family="plastics"),
            ],
            [
                X("filets", "pondeuses", "wrong_family", "Filets pour des poules.", family="plastics"),
                X("filets", "calcaire", "wrong_family", "Filets en amendement.", family="plastics"),
                X("coquilles", "pa6", "wrong_family", "Coquilles pour un recycleur de polyamide."),
                X("pse", "pa6", "wrong_resource", "Polystyrène, pas du polyamide.", family="plastics"),
                X("pse", "pondeuses", "wrong_family", "Polystyrène pour des poules.", family="plastics"),
                X("pse", "calcaire", "wrong_family", "Polystyrène en amendement.", family="plastics"),
            ],
        )
    )

    return out


# --------------------------------------------------------------------------- geometry


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


def destination(lat: float, lon: float, east_km: float, north_km: float) -> tuple[float, float]:
    """The point at `east_km`, `north_km` from (lat, lon), along a great circle."""
    dist = math.hypot(east_km, north_km) / EARTH_KM
    if dist == 0:
        return lat, lon
    bearing = math.atan2(east_km, north_km)
    phi1, lam1 = math.radians(lat), math.radians(lon)
    phi2 = math.asin(math.sin(phi1) * math.cos(dist) + math.cos(phi1) * math.sin(dist) * math.cos(bearing))
    lam2 = lam1 + math.atan2(
        math.sin(bearing) * math.sin(dist) * math.cos(phi1), math.cos(dist) - math.sin(phi1) * math.sin(phi2)
    )
    return math.degrees(phi2), (math.degrees(lam2) + 540) % 360 - 180


def inverse_azimuthal(x: float, y: float) -> tuple[float, float]:
    lat0, lon0 = (math.radians(v) for v in LATTICE_ORIGIN)
    rho = math.hypot(x, y)
    if rho == 0:
        return LATTICE_ORIGIN
    c = rho / EARTH_KM
    lat = math.asin(math.cos(c) * math.sin(lat0) + y * math.sin(c) * math.cos(lat0) / rho)
    lon = lon0 + math.atan2(x * math.sin(c), rho * math.cos(lat0) * math.cos(c) - y * math.sin(lat0) * math.sin(c))
    return math.degrees(lat), math.degrees(lon)


@dataclass(frozen=True)
class Commune:
    name: str
    lat: float
    lon: float
    located: bool  # coordinates of the town itself (not estimated from its postcode, EPCI…)


class Communes:
    """Metropolitan communes, bucketed by 0.1° for nearest-neighbour look-ups.

    Only about a quarter of the communes have their own coordinates; the others share an
    estimate (mean of their postcode, EPCI…). A point is "on land" when some commune
    point is close; it is named after the nearest commune located on its own.
    """

    def __init__(self) -> None:
        self.buckets: dict[tuple[int, int], list[Commune]] = defaultdict(list)
        self._land: dict[tuple[float, float], bool] = {}
        with gzip.open(DATA / "communes.csv.gz", "rt", encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if row["departement"].startswith("97") or not row["lat"]:
                    continue
                located = row["approximation"] in ("", "commune_deleguee")
                c = Commune(row["name"], float(row["lat"]), float(row["lon"]), located)
                self.buckets[self._key(c.lat, c.lon)].append(c)

    @staticmethod
    def _key(lat: float, lon: float) -> tuple[int, int]:
        return math.floor(lat * 10), math.floor(lon * 10)

    def around(self, lat: float, lon: float, km: float):
        reach = math.ceil(km / 7.0) + 1
        ki, kj = self._key(lat, lon)
        for i in range(ki - reach, ki + reach + 1):
            for j in range(kj - reach, kj + reach + 1):
                yield from self.buckets.get((i, j), ())

    def nearest(
        self, lat: float, lon: float, *, km: float = 15.0, located: bool = True
    ) -> tuple[Commune | None, float]:
        """The nearest commune within `km` (located on its own, unless `located` is False)."""
        best, best_d = None, math.inf
        for c in self.around(lat, lon, km):
            if located and not c.located:
                continue
            d = haversine_km(lat, lon, c.lat, c.lon)
            if d < best_d or (d == best_d and best is not None and c.name < best.name):
                best, best_d = c, d
        return (best, best_d) if best_d <= km else (None, math.inf)

    def on_land(self, lat: float, lon: float) -> bool:
        """Near a town, or surrounded by communes (at sea or abroad, they all lie on one side)."""
        key = (round(lat, 3), round(lon, 3))
        if key not in self._land:
            self._land[key] = self._on_land(*key)
        return self._land[key]

    def _on_land(self, lat: float, lon: float) -> bool:
        octants = set()
        for c in self.around(lat, lon, LAND_REACH_KM):
            d = haversine_km(lat, lon, c.lat, c.lon)
            if c.located and d <= TOWN_REACH_KM:
                return True
            if 0 < d <= LAND_REACH_KM:
                bearing = math.atan2((c.lon - lon) * math.cos(math.radians(lat)), c.lat - lat)
                octants.add(int((bearing + math.pi) / (2 * math.pi) * 8) % 8)
        return len(octants) >= 6

    def name(self, lat: float, lon: float) -> str:
        commune, _ = self.nearest(lat, lon, km=NAME_REACH_KM)
        if commune is None:
            commune, _ = self.nearest(lat, lon, km=LAND_REACH_KM, located=False)
        assert commune is not None, (lat, lon)
        return commune.name


@cache
def communes() -> Communes:
    return Communes()


def lattice() -> list[tuple[tuple[float, float], float]]:
    """Case centres: the lattice points of metropolitan France with land around them,
    each with the share of land within 9 km."""
    pitch, angle = LATTICE_PITCH_KM, math.radians(LATTICE_ANGLE_DEG)
    row_step = pitch * math.sqrt(3) / 2
    points = []
    for j in range(-9, 10):
        for i in range(-9, 10):
            u = i * pitch + (pitch / 2 if j % 2 else 0) + LATTICE_OFFSET_KM[0]
            v = j * row_step + LATTICE_OFFSET_KM[1]
            x, y = u * math.cos(angle) - v * math.sin(angle), u * math.sin(angle) + v * math.cos(angle)
            lat, lon = inverse_azimuthal(x, y)
            if not (41.2 < lat < 51.3 and -5.5 < lon < 9.8) or not communes().on_land(lat, lon):
                continue
            ring = [
                destination(lat, lon, r * math.cos(k * math.pi / 8), r * math.sin(k * math.pi / 8))
                for r in (2, 5, 9)
                for k in range(16)
            ]
            land = sum(communes().on_land(*p) for p in ring) / len(ring)
            if land >= 0.5:
                points.append(((round(lat, 5), round(lon, 5)), land))
    return points


# --------------------------------------------------------------------------- placement


def auto_offsets(case: CaseSpec, rng: random.Random) -> None:
    """Explicit offsets as given; the others spread 1.5–9 km around the centre."""
    for spec in case.listings:
        if spec.at is not None:
            case.offsets[spec.tag] = spec.at
        else:
            r = 1.5 + 7.5 * math.sqrt(rng.random())
            theta = rng.random() * 2 * math.pi
            case.offsets[spec.tag] = (round(r * math.cos(theta), 2), round(r * math.sin(theta), 2))


def rotated(offset: tuple[float, float], degrees: float, mirror: bool) -> tuple[float, float]:
    x, y = offset
    if mirror:
        x = -x
    a = math.radians(degrees)
    return x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a)


def try_place(case: CaseSpec, centre: tuple[float, float], orientations: list[tuple[int, bool]]):
    """The first orientation where every listing lands next to a commune: {tag: (lat, lon, commune)}."""
    for degrees, mirror in orientations:
        placed = {}
        for spec in case.listings:
            dx, dy = rotated(case.offsets[spec.tag], degrees, mirror)
            lat, lon = destination(*centre, dx, dy)
            lat, lon = round(lat, 5), round(lon, 5)
            if not communes().on_land(lat, lon):
                break
            placed[spec.tag] = (lat, lon, communes().name(lat, lon))
        else:
            return placed
    return None


def place(all_cases: list[CaseSpec], rng: random.Random) -> dict[str, tuple[tuple[float, float], dict]]:
    """One lattice point per case. The points with the least land go first, each to the
    most compact case that fits there; the spread-out cases end up on the roomy points."""
    slots = sorted(lattice(), key=lambda s: (s[1], s[0]))
    assert len(slots) >= len(all_cases), f"{len(slots)} lattice points for {len(all_cases)} cases"
    orientations = [(deg, mirror) for deg in range(0, 360, 15) for mirror in (False, True)]
    rng.shuffle(orientations)
    waiting = sorted(all_cases, key=lambda c: (max(math.hypot(*o) for o in c.offsets.values()), c.id))
    result = {}
    for centre, _ in slots:
        if not waiting:
            break
        for case in waiting:
            placed = try_place(case, centre, orientations)
            if placed is not None:
                result[case.id] = (centre, placed)
                waiting.remove(case)
                break
    assert not waiting, f"no lattice point left for {[c.id for c in waiting]}"
    return result


# --------------------------------------------------------------------------- validation of my own labels

MONTHLY = {"once": 1.0, "weekly": 52 / 12, "monthly": 1.0, "yearly": 1 / 12, None: 1.0}
BASE = {
    "kg": ("mass", 1.0),
    "t": ("mass", 1000.0),
    "l": ("volume", 1.0),
    "m3": ("volume", 1000.0),
    "kwh": ("energy", 1.0),
    "mwh": ("energy", 1000.0),
    "unit": ("count", 1.0),
    "pallet": ("pallets", 1.0),
    "m2": ("area", 1.0),
    "hour": ("time", 1.0),
    "day": ("time", 8.0),
}


def monthly_amount(spec: Spec) -> tuple[str, float] | None:
    if spec.quantity is None:
        return None
    value, unit = spec.quantity
    dim, factor = BASE[unit]
    return dim, value * factor * MONTHLY[spec.frequency]


def ratio(supply: Spec, demand: Spec) -> float | None:
    s, d = monthly_amount(supply), monthly_amount(demand)
    if s is None or d is None or s[0] != d[0]:
        return None
    return s[1] / d[1]


def check(case: CaseSpec, placed: dict, waste: dict[str, bool]) -> None:
    specs = {s.tag: s for s in case.listings}
    assert len(specs) == len(case.listings), f"{case.id}: duplicate tags"
    assert 2 <= len(specs) <= 6, f"{case.id}: {len(specs)} listings"

    def dist(a: str, b: str) -> float:
        return haversine_km(placed[a][0], placed[a][1], placed[b][0], placed[b][1])

    def radius(*tags: str) -> float | None:
        given = [r for r in (specs[t].radius_km for t in tags) if r is not None]
        return min(given) if given else None

    for s in case.listings:
        assert s.kind in SUPPLY + DEMAND, s
        if s.ewc_code:
            assert s.ewc_code in waste, f"{case.id}/{s.tag}: unknown EWC {s.ewc_code}"
        if s.quantity:
            assert s.quantity[1] in BASE, s
        assert s.frequency in MONTHLY, s
    labelled: set[tuple[str, ...]] = set()
    for lab in case.expected + case.forbidden:
        for t in lab.listings:
            assert t in specs, f"{case.id}: unknown tag {t}"
        key = lab.listings if lab.kind == "pair" else tuple(sorted(lab.listings))
        assert key not in labelled, f"{case.id}: labelled twice {key}"
        labelled.add(key)
        if lab.kind == "pair":
            s, d = (specs[t] for t in lab.listings)
            assert COMPLEMENT.get(s.kind) == d.kind, f"{case.id}: {lab.listings} are not (supply, demand)"
        else:
            assert len({specs[t].kind for t in lab.listings}) == 1, f"{case.id}: mixed kinds in {lab.listings}"
    for lab in case.expected:
        assert lab.why is None, f"{case.id}: forbidden label among the expected ones"
        tags = lab.listings
        if lab.kind == "pair":
            s, d = specs[tags[0]], specs[tags[1]]
            assert s.org != d.org, f"{case.id}: expected pair of one organisation {tags}"
            r = radius(*tags)
            assert r is None or dist(*tags) <= r, f"{case.id}: expected {tags} beyond radius"
            limit = 3.5 if (lab.family or case.family) in ("heat_steam", "water") else 20.0
            assert dist(*tags) <= limit, f"{case.id}: expected {tags} at {dist(*tags):.1f} km"
            for x in (s, d):
                assert x.expires_at is None or x.expires_at >= TODAY, f"{case.id}: expected {tags} expired"
            if s.available_from and d.expires_at:
                assert s.available_from <= d.expires_at, f"{case.id}: expected {tags} out of time"
            q = ratio(s, d)
            assert q is None or q >= 0.1, f"{case.id}: expected {tags} with ratio {q:.3f}"
            assert not (s.ewc_code and waste[s.ewc_code] and d.kind == "need" and "hazardous" in lab.note), tags
        else:
            assert len(tags) >= 3, f"{case.id}: expected group {tags} too small"
            # Fed in file order, an engine meets a group's members one by one: with the members
            # first and exactly three of them, the right group exists as soon as it is complete.
            order = [sp.tag for sp in case.listings]
            assert len(tags) == 3, f"{case.id}: expected group {tags} of more than three"
            complete = max(order.index(t) for t in tags)
            for other in case.forbidden:
                if other.kind == "group" and set(tags) < set(other.listings):
                    grouped = {t for g in case.expected if g.kind == "group" for t in g.listings}
                    extra = set(other.listings) - grouped
                    assert all(order.index(t) > complete for t in extra), f"{case.id}: {extra} before {tags}"
            assert len({specs[t].org for t in tags}) == len(tags), f"{case.id}: group {tags} repeats an org"
            for i, a in enumerate(tags):
                for b in tags[i + 1 :]:
                    assert dist(a, b) <= 6, f"{case.id}: group {tags} spread ({a}-{b} {dist(a, b):.1f} km)"
    for lab in case.forbidden:
        tags, why = lab.listings, lab.why
        assert why in WHYS, f"{case.id}: unknown why {why}"
        members = [specs[t] for t in tags]
        if why == "too_far":
            if lab.kind == "pair":
                r = radius(*tags)
                limit = r if r is not None else 12.0
                assert dist(*tags) > limit * 1.15, f"{case.id}: {tags} not too far ({dist(*tags):.1f} km)"
            else:
                assert max(dist(a, b) for a in tags for b in tags) > 12, f"{case.id}: group {tags} not too far"
        elif why == "hazardous":
            assert any(m.ewc_code and waste[m.ewc_code] for m in members), f"{case.id}: {tags} not hazardous"
        elif why == "expired":
            assert any(m.expires_at and m.expires_at < TODAY for m in members), f"{case.id}: {tags} not expired"
        elif why == "not_available_in_time":
            s, d = members
            assert s.available_from and d.expires_at and s.available_from > d.expires_at >= TODAY, tags
        elif why == "same_organisation":
            assert len({m.org for m in members}) < len(members), f"{case.id}: {tags} not same organisation"
        elif why == "quantity_too_small":
            q = ratio(*members)
            assert q is None or q < 0.05, f"{case.id}: {tags} ratio {q:.3f} not too small"
        elif why == "group_too_small":
            assert lab.kind == "group" and len(tags) < 3, tags
        if why != "same_organisation" and lab.kind == "pair":
            assert members[0].org != members[1].org, f"{case.id}: {tags} same organisation, say so"
    # Every (supply, demand) pair of a case is labelled one way or the other.
    for s in case.listings:
        for d in case.listings:
            if COMPLEMENT.get(s.kind) == d.kind:
                assert (s.tag, d.tag) in labelled, f"{case.id}: pair ({s.tag}, {d.tag}) left unlabelled"


# --------------------------------------------------------------------------- output


def waste_codes() -> dict[str, bool]:
    with open(DATA / "ewc_fr.csv", encoding="utf-8", newline="") as f:
        return {r["code"]: r["hazardous"] == "true" for r in csv.DictReader(f)}


def build() -> dict:
    rng = random.Random(SEED)
    all_cases = cases()
    for n, case in enumerate(all_cases, start=1):
        case.id = f"c{n:02d}-{case.slug}"
        assert case.family in FAMILIES, case.family
        auto_offsets(case, random.Random(SEED + n))
    placement = place(all_cases, rng)
    waste = waste_codes()

    out_cases = []
    for case in all_cases:
        centre, placed = placement[case.id]
        check(case, placed, waste)
        ids = {s.tag: f"{case.id.split('-')[0]}-{s.tag}" for s in case.listings}
        listings = []
        for s in case.listings:
            lat, lon, commune = placed[s.tag]
            row = {
                "listing_id": ids[s.tag],
                "organisation_id": f"org-{case.id.split('-')[0]}-{s.org}",
                "kind": s.kind,
                "title": s.title,
                "description": s.description,
                "category": s.category,
                "ewc_code": s.ewc_code,
                "quantity_value": float(s.quantity[0]) if s.quantity else None,
                "quantity_unit": s.quantity[1] if s.quantity else None,
                "frequency": s.frequency,
                "radius_km": float(s.radius_km) if s.radius_km is not None else None,
                "lat": lat,
                "lon": lon,
                "commune": commune,
                "available_from": s.available_from.isoformat() if s.available_from else None,
                "expires_at": s.expires_at.isoformat() if s.expires_at else None,
                "revision": 1,
            }
            assert tuple(row) == FIELDS
            listings.append(row)

        def members(lab: Label, ids: dict[str, str] = ids) -> list[str]:
            found = [ids[t] for t in lab.listings]
            return found if lab.kind == "pair" else sorted(found)

        out_cases.append(
            {
                "id": case.id,
                "topic": case.topic,
                "family": case.family,
                "centre": {"lat": centre[0], "lon": centre[1], "commune": communes().name(*centre)},
                "listings": listings,
                "expected": [
                    {
                        "kind": lab.kind,
                        "listings": members(lab),
                        "note": lab.note,
                        "family": lab.family or case.family,
                        "tags": list(lab.tags),
                    }
                    for lab in case.expected
                ],
                "forbidden": [
                    {
                        "kind": lab.kind,
                        "listings": members(lab),
                        "why": lab.why,
                        "note": lab.note,
                        "family": lab.family or case.family,
                    }
                    for lab in case.forbidden
                ],
            }
        )
    check_geography(out_cases)
    return {"today": TODAY.isoformat(), "seed": SEED, "cases": out_cases}


def check_geography(out_cases: list[dict]) -> None:
    centres = [(c["centre"]["lat"], c["centre"]["lon"]) for c in out_cases]
    for i, a in enumerate(centres):
        for b in centres[i + 1 :]:
            assert haversine_km(*a, *b) >= MIN_CASE_SPACING_KM, (a, b)
    for i, case in enumerate(out_cases):
        for row in case["listings"]:
            d = haversine_km(*centres[i], row["lat"], row["lon"])
            assert d <= MAX_CASE_RADIUS_KM + 1, f"{row['listing_id']} {d:.1f} km from its centre"
            for j, other in enumerate(out_cases):
                if j == i:
                    continue
                for o in other["listings"]:
                    d = haversine_km(row["lat"], row["lon"], o["lat"], o["lon"])
                    assert d > MIN_FAR_SEPARATION_KM, f"{row['listing_id']} {d:.1f} km from {o['listing_id']}"


def render() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=1) + "\n"


def main() -> None:
    text = render()
    OUT.write_text(text, encoding="utf-8")
    data = json.loads(text)
    n_exp = sum(len(c["expected"]) for c in data["cases"])
    n_forb = sum(len(c["forbidden"]) for c in data["cases"])
    print(f"{OUT.relative_to(ROOT)}: {len(data['cases'])} cases, {n_exp} expected, {n_forb} forbidden")


if __name__ == "__main__":
    main()
