"""The animateur's diagnostics file: one row per flow of an organisation, read, checked cell by cell, planned.

Pure rules (no framework, no database): the columns and their French headers, what each cell may hold, and
the plan an import follows — organisations keyed by SIRET (or by name and commune when there is none), their
flows keyed by organisation, direction and resource, so that the same file imported again changes nothing and
a corrected one updates what it corrects. Reading XLSX and CSV files is `offers.diagnostics_files`; writing
the plan to the database, `offers.diagnostics_service`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email

from offers.domain import RuleBroken, check_flow, check_naf, check_siret
from shared.geo import Gazetteer, PlaceError
from shared.nomenclatures import LISTING_COMPLEMENT, ORGANISATION_KINDS, TRANSPORT_BY, TRANSPORT_MEANS
from shared.units import FREQUENCY_LABELS, UNITS, normalise_unit


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # as in the template
    required: bool = False
    hint: str = ""  # the template's second line


COLUMNS = (
    Column("organisation", "Organisation", True, "nom de l'organisation"),
    Column("siret", "SIRET", False, "14 chiffres (recommandé : la clé des mises à jour)"),
    Column("naf", "Code NAF", False, "ex. 16.10A"),
    Column("kind", "Type d'organisation", False, " ; ".join(ORGANISATION_KINDS.values())),
    Column("commune", "Commune", True, "nom de la commune"),
    Column("postcode", "Code postal", False, "si plusieurs communes ont ce nom"),
    Column("contact_name", "Contact", False, "nom de la personne"),
    Column("contact_email", "Email du contact", True, "l'invitation à confirmer lui sera envoyée"),
    Column("direction", "Sens", True, "sortant (offre), entrant (besoin), partage ou mutualisation"),
    Column("resource", "Ressource", True, "ex. Sciure de bois brut"),
    Column("quantity", "Quantité", False, "nombre, ex. 12,5"),
    Column("unit", "Unité", False, ", ".join(singular for singular, _ in UNITS.values())),
    Column("frequency", "Fréquence", False, ", ".join(FREQUENCY_LABELS.values())),
    Column("site", "Site", False, "l'établissement d'où part ou où va le flux, s'il n'est pas à l'adresse"),
    Column("site_commune", "Commune du site", False, "obligatoire avec un site"),
    Column("swap", "En échange de", False, "la ressource d'une autre ligne de l'organisation, en sens inverse"),
    Column("transport_by", "Qui transporte", False, " ; ".join(TRANSPORT_BY.values())),
    Column("transport_means", "Avec quoi", False, " ; ".join(TRANSPORT_MEANS.values())),
    Column("details", "Qualité et précisions", False, "montrées après accord des deux parties"),
    Column("private", "Quantité confidentielle", False, "oui ou non (oui : jamais montrée)"),
    Column("diagnosed_on", "Date du diagnostic", False, "JJ/MM/AAAA"),
)
COLUMN = {column.key: column for column in COLUMNS}
# The template's example rows, one per direction.
EXAMPLES = (
    {
        "organisation": "Scierie du Val",
        "siret": "73282932000074",
        "naf": "16.10A",
        "kind": "Entreprise",
        "commune": "Prémery",
        "postcode": "58700",
        "contact_name": "Sophie Sciage",
        "contact_email": "contact@scierie.example",
        "direction": "sortant",
        "resource": "Sciure de bois brut",
        "quantity": "40",
        "unit": "t",
        "frequency": "par mois",
        "transport_by": "le preneur vient chercher",
        "transport_means": "tracteur et remorque",
        "details": "chêne et douglas, sèche",
        "private": "non",
        "diagnosed_on": "15/03/2026",
    },
    {
        "organisation": "Scierie du Val",
        "siret": "73282932000074",
        "commune": "Prémery",
        "contact_email": "contact@scierie.example",
        "direction": "entrant",
        "resource": "Palettes",
        "quantity": "200",
        "unit": "palette",
        "frequency": "par mois",
        "private": "oui",
        "diagnosed_on": "15/03/2026",
    },
    {
        "organisation": "GAEC des Bertranges",
        "kind": "Exploitation agricole",
        "commune": "Champlemy",
        "contact_email": "gaec@bertranges.example",
        "direction": "partage",
        "resource": "Épandeur à fumier",
        "details": "disponible en été",
        "diagnosed_on": "02/04/2026",
    },
    {
        "organisation": "GAEC des Bertranges",
        "kind": "Exploitation agricole",
        "commune": "Champlemy",
        "contact_email": "gaec@bertranges.example",
        "direction": "mutualisation",
        "resource": "Collecte des plastiques agricoles",
        "diagnosed_on": "02/04/2026",
    },
)

DIRECTIONS = {
    "offer": ("sortant", "sortante", "offre", "surplus", "dechet", "coproduit", "sous-produit"),
    "need": ("entrant", "entrante", "besoin", "demande"),
    "share": ("partage", "pret", "a preter", "mise a disposition"),
    "pool": ("mutualisation", "mutualise", "achat groupe", "collecte groupee"),
}
YES, NO = ("oui", "o", "yes", "vrai", "x", "1"), ("non", "n", "no", "faux", "0", "")
MAX_ROWS = 2000


def plain(text: str) -> str:
    """Lower case, no accent, single spaces: how headers and words are compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[\s_’']+", " ", bare).strip()


HEADER_OF = {plain(column.header): column.key for column in COLUMNS} | {
    "nom": "organisation",
    "raison sociale": "organisation",
    "naf": "naf",
    "code ape": "naf",
    "ape": "naf",
    "type": "kind",
    "cp": "postcode",
    "email": "contact_email",
    "courriel": "contact_email",
    "mail": "contact_email",
    "flux": "direction",
    "sens du flux": "direction",
    "matiere": "resource",
    "quantite annuelle": "quantity",
    "precisions": "details",
    "qualite": "details",
    "confidentiel": "private",
    "date": "diagnosed_on",
}
KIND_OF = (
    {plain(label): code for code, label in ORGANISATION_KINDS.items()}
    | {plain(code): code for code in ORGANISATION_KINDS}
    | {
        "ferme": "farm",
        "exploitation": "farm",
        "agriculteur": "farm",
        "hopital": "hospital",
        "clinique": "hospital",
        "ehpad": "care_home",
        "maison de retraite": "care_home",
        "esat": "insertion",
        "structure d insertion": "insertion",
        "chantier d insertion": "insertion",
        "collectivite": "public_body",
        "commune": "public_body",
        "syndicat": "syndicate",
        "syndicat mixte": "syndicate",
        "entreprise": "company",
        "societe": "company",
        "cooperative agricole": "cooperative",
        "recyclerie": "ressourcerie",
        # the labels of files made from the template before 7 December 2026
        "association ou structure d insertion": "association",
        "ehpad ou maison de retraite": "care_home",
    }
)
FREQUENCY_OF = (
    {plain(label): code for code, label in FREQUENCY_LABELS.items()}
    | {plain(code): code for code in FREQUENCY_LABELS}
    | {
        "une fois": "once",
        "ponctuel": "once",
        "quotidien": "daily",
        "hebdomadaire": "weekly",
        "mensuel": "monthly",
        "annuel": "yearly",
        "par annee": "yearly",
        "continu": "continuous",
        "saisonnier": "seasonal",
    }
)


UNIT_OF = {plain(label): code for code, labels in UNITS.items() for label in labels} | {
    "tonne": "t",
    "tonnes": "t",
    "kilo": "kg",
    "kilos": "kg",
    "kilogramme": "kg",
    "kilogrammes": "kg",
    "litre": "l",
    "litres": "l",
    "metre cube": "m3",
    "metres cubes": "m3",
    "heures": "hour",
    "jours": "day",
    "pieces": "unit",
    "piece": "unit",
    "hectolitre": "hl",
    "hectolitres": "hl",
    "balle": "bale",
    "balles": "bale",
    "couverts": "meal",
    "places": "animal_place",
}


# « Qui transporte », « Avec quoi »: the labels (shared.nomenclatures), their codes, and a few words people write.
TRANSPORT_BY_OF = (
    {plain(label): code for code, label in TRANSPORT_BY.items()}
    | {plain(code): code for code in TRANSPORT_BY}
    | {"cedant": "giver", "preneur": "taker", "a convenir": "either"}
)
TRANSPORT_MEANS_OF = (
    {plain(label): code for code, label in TRANSPORT_MEANS.items()}
    | {plain(code): code for code in TRANSPORT_MEANS}
    | {"tracteur": "tractor_trailer", "camion": "truck", "benne": "skip_lorry", "frigorifique": "refrigerated"}
)


def unit_of(raw: str) -> str | None:
    """The unit code of a cell: a code (`t`, `m3`), a label (`palettes`, `m³`) or a word (`tonnes`)."""
    return UNIT_OF.get(plain(raw)) or normalise_unit(raw)


@dataclass
class Row:
    """One line of the file: its number (as the spreadsheet shows it), its cells, the error of each cell at fault."""

    line: int
    cells: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)


def organisation_key(siret: str | None, name: str, insee: str | None) -> str:
    """What an organisation of the file is found again by: its SIRET, or else its name and commune."""
    return f"siret:{siret}" if siret else f"nom:{plain(name)}|{insee}"


@dataclass(frozen=True)
class PlannedOrganisation:
    key: str  # "siret:…" or "nom:<plain name>|<insee>"
    name: str
    siret: str | None
    naf_code: str | None
    kind: str
    insee: str
    postcode: str | None
    contact_name: str | None
    contact_email: str
    diagnosed_on: date | None


@dataclass(frozen=True)
class PlannedFlow:
    organisation_key: str
    kind: str  # offer, need, share, pool
    title: str
    quantity_value: float | None
    quantity_unit: str | None
    frequency: str | None
    description: str | None
    quantity_private: bool
    transport_by: str | None = None  # shared.nomenclatures.TRANSPORT_BY
    transport_means: str | None = None  # shared.nomenclatures.TRANSPORT_MEANS
    site: str | None = None  # the organisation's other establishment it is posted from (None: its address)
    site_insee: str | None = None
    swap: str | None = None  # « en échange de »: the plain title of another flow of the organisation

    @property
    def key(self) -> tuple[str, str, str]:
        return self.organisation_key, self.kind, plain(self.title)


@dataclass
class Preview:
    """What an import would do, and every error that stops it; nothing of it is written."""

    rows: list[Row]
    problems: list[str]  # about the whole file (a missing column, no row)
    organisations: dict[str, PlannedOrganisation]
    flows: dict[tuple[str, str, str], PlannedFlow]

    @property
    def ok(self) -> bool:
        return not self.problems and not any(row.errors for row in self.rows)

    @property
    def error_count(self) -> int:
        return len(self.problems) + sum(len(row.errors) for row in self.rows)


def header_keys(headers: list[str]) -> tuple[list[str | None], list[str]]:
    """The column of each header (None: a column we do not read) and what is wrong with the header line."""
    keys = [HEADER_OF.get(plain(header)) for header in headers]
    problems = []
    for column in COLUMNS:
        if column.required and column.key not in keys:
            problems.append(
                f"Colonne « {column.header} » absente : la première ligne doit nommer les colonnes du modèle."
            )
    seen: set[str] = set()
    for header, key in zip(headers, keys, strict=True):
        if key is not None and key in seen:
            problems.append(f"Colonne « {header} » en double.")
        if key is not None:
            seen.add(key)
    return keys, problems


def number(raw: str) -> float:
    """A quantity as people type it: `12,5`, `1 200`, `1.5`, `40 t` is not one."""
    text = raw.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
    value = float(text)
    if not value > 0 or value != value or value == float("inf"):
        raise ValueError(raw)
    return value


def day(raw: str, today: date) -> date:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            found = datetime.strptime(raw.strip(), pattern).date()
        except ValueError:
            continue
        if found > today:
            raise ValueError("future")
        return found
    raise ValueError(raw)


def words(choices: dict[str, str] | tuple[str, ...]) -> str:
    return ", ".join(f"« {choice} »" for choice in choices)


def check_row(
    row: Row, gazetteer: Gazetteer, epci: str | None, today: date
) -> tuple[PlannedOrganisation | None, PlannedFlow | None]:
    """Check each cell of `row` (its errors go into `row.errors`); the organisation and the flow it plans."""
    cells, errors = row.cells, row.errors

    def required(key: str) -> str:
        value = cells.get(key, "").strip()
        if not value:
            errors[key] = "Obligatoire."
        return value

    def checked(key: str, check) -> str | None:  # type: ignore[no-untyped-def]
        raw = cells.get(key, "").strip()
        if not raw:
            return None
        try:
            return str(check(raw))
        except RuleBroken as exc:
            errors[key] = exc.message
            return None

    name = required("organisation")
    if len(name) > 200:
        errors["organisation"] = "200 caractères au plus."
    siret = checked("siret", check_siret)
    naf = checked("naf", check_naf)
    kind = "company"
    if raw_kind := cells.get("kind", "").strip():
        found_kind = KIND_OF.get(plain(raw_kind))
        if found_kind is None:
            errors["kind"] = f"Type « {raw_kind} » inconnu : {words(tuple(ORGANISATION_KINDS.values()))}."
        else:
            kind = found_kind
    insee = postcode = None
    if commune := required("commune"):
        try:
            place = gazetteer.resolve(commune, cells.get("postcode", "").strip() or None)
        except PlaceError as exc:
            errors["commune"] = str(exc)
        else:
            insee, postcode = place.insee, cells.get("postcode", "").strip() or None
            if epci is not None and place.epci != epci:
                errors["commune"] = (
                    f"{place.name} n'est pas dans votre intercommunalité : un diagnostic importé "
                    "porte sur les organisations de votre territoire."
                )
    email = required("contact_email")
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            errors["contact_email"] = f"Adresse « {email} » invalide (ex. : contact@entreprise.fr)."
    contact_name = cells.get("contact_name", "").strip()[:120] or None

    kind_of_flow = None
    if direction := required("direction"):
        kind_of_flow = next((code for code, said in DIRECTIONS.items() if plain(direction) in said), None)
        if kind_of_flow is None:
            errors["direction"] = (
                f"Sens « {direction} » inconnu : « sortant » (une offre), « entrant » (un "
                "besoin), « partage » ou « mutualisation »."
            )
    title = required("resource")
    if title and not 3 <= len(title) <= 200:
        errors["resource"] = "Entre 3 et 200 caractères."
    quantity = None
    if raw_quantity := cells.get("quantity", "").strip():
        try:
            quantity = number(raw_quantity)
        except ValueError:
            errors["quantity"] = (
                f"« {raw_quantity} » n'est pas une quantité : un nombre positif, ex. 12,5 (l'unité va dans sa colonne)."
            )
    unit = None
    if raw_unit := cells.get("unit", "").strip():
        unit = unit_of(raw_unit)
        if unit is None:
            errors["unit"] = f"Unité « {raw_unit} » inconnue : {words(tuple(s for s, _ in UNITS.values()))}."
    elif quantity is not None:
        errors["unit"] = "Obligatoire avec une quantité."
    frequency = None
    if raw_frequency := cells.get("frequency", "").strip():
        frequency = FREQUENCY_OF.get(plain(raw_frequency))
        if frequency is None:
            errors["frequency"] = f"Fréquence « {raw_frequency} » inconnue : {words(tuple(FREQUENCY_LABELS.values()))}."
    if "unit" not in errors and "frequency" not in errors:
        try:
            check_flow(unit, frequency)
        except RuleBroken as exc:
            errors["frequency"] = exc.message
    extra: dict[str, str | None] = {}  # transport, site and swap, as PlannedFlow names them
    for column, known, labels in (
        ("transport_by", TRANSPORT_BY_OF, TRANSPORT_BY),
        ("transport_means", TRANSPORT_MEANS_OF, TRANSPORT_MEANS),
    ):
        if raw := cells.get(column, "").strip():
            extra[column] = known.get(plain(raw))
            if extra[column] is None:
                errors[column] = f"« {raw} » inconnu : {words(tuple(labels.values()))}."
    site = cells.get("site", "").strip()[:120] or None
    if site is not None:
        if not (site_commune := cells.get("site_commune", "").strip()):
            errors["site_commune"] = "Obligatoire avec un site."
        else:
            try:
                site_place = gazetteer.resolve(site_commune, None)
            except PlaceError as exc:
                errors["site_commune"] = str(exc)
            else:
                extra["site_insee"] = site_place.insee
                if epci is not None and site_place.epci != epci:
                    errors["site_commune"] = f"{site_place.name} n'est pas dans votre intercommunalité."
    if swap := plain(cells.get("swap", "")):
        extra["swap"] = swap
    details = cells.get("details", "").strip() or None
    if details and len(details) > 5000:
        errors["details"] = "5 000 caractères au plus."
    private = False
    if (raw_private := plain(cells.get("private", ""))) not in NO:
        if raw_private in YES:
            private = True
        else:
            errors["private"] = "« oui » ou « non »."
    diagnosed_on = None
    if raw_day := cells.get("diagnosed_on", "").strip():
        try:
            diagnosed_on = day(raw_day, today)
        except ValueError as exc:
            errors["diagnosed_on"] = (
                "Date à venir : un diagnostic est déjà fait."
                if str(exc) == "future"
                else f"Date « {raw_day} » illisible : JJ/MM/AAAA."
            )
    if errors:
        return None, None
    assert insee is not None and kind_of_flow is not None
    key = organisation_key(siret, name, insee)
    organisation = PlannedOrganisation(
        key=key,
        name=name,
        siret=siret,
        naf_code=naf,
        kind=kind,
        insee=insee,
        postcode=postcode,
        contact_name=contact_name,
        contact_email=email,
        diagnosed_on=diagnosed_on,
    )
    flow = PlannedFlow(
        organisation_key=key,
        kind=kind_of_flow,
        title=title,
        quantity_value=quantity,
        quantity_unit=unit,
        frequency=frequency,
        description=details,
        quantity_private=private,
        site=site,
        **extra,
    )
    return organisation, flow


def preview(
    headers: list[str], lines: list[tuple[int, list[str]]], gazetteer: Gazetteer, epci: str | None, today: date
) -> Preview:
    """Every row checked, and the plan: one organisation per key (its rows must agree on it), one flow per key
    (a flow given twice is an error on its second row)."""
    keys, problems = header_keys(headers)
    if not lines:
        problems.append("Aucune ligne de diagnostic sous la ligne des colonnes.")
    if len(lines) > MAX_ROWS:
        problems.append(f"{len(lines)} lignes : {MAX_ROWS} au plus par fichier (découpez-le par commune).")
        lines = lines[:MAX_ROWS]
    rows: list[Row] = []
    organisations: dict[str, PlannedOrganisation] = {}
    first_line: dict[str, int] = {}
    flows: dict[tuple[str, str, str], PlannedFlow] = {}
    flow_line: dict[tuple[str, str, str], int] = {}
    email_of: dict[str, tuple[str, int]] = {}  # contact address → the organisation it is the contact of, its line
    for line, values in lines:
        cells = {key: value for key, value in zip(keys, values, strict=False) if key is not None}
        row = Row(line, cells)
        rows.append(row)
        if problems and not any(column.key in cells for column in COLUMNS if column.required):
            continue
        organisation, flow = check_row(row, gazetteer, epci, today)
        if organisation is None or flow is None:
            continue
        holder, holder_line = email_of.setdefault(organisation.contact_email, (organisation.key, line))
        if holder != organisation.key:  # one person, one account, one organisation
            row.errors["contact_email"] = (
                f"Déjà le contact d'une autre organisation (ligne {holder_line}) : une "
                "adresse ne peut être celle que d'une organisation."
            )
        earlier = organisations.get(organisation.key)
        if earlier is None:
            organisations[organisation.key], first_line[organisation.key] = organisation, line
        else:
            for name, key in (
                ("name", "organisation"),
                ("insee", "commune"),
                ("contact_email", "contact_email"),
                ("kind", "kind"),
                ("naf_code", "naf"),
            ):
                if getattr(organisation, name) != getattr(earlier, name) and (
                    name not in ("kind", "naf_code") or cells.get(key, "").strip()
                ):
                    row.errors[key] = f"Différent de la ligne {first_line[organisation.key]} pour la même organisation."
        if flow.key in flows:
            row.errors["resource"] = f"Déjà à la ligne {flow_line[flow.key]} pour cette organisation et ce sens."
        elif not row.errors:
            flows[flow.key], flow_line[flow.key] = flow, line
    for flow_key, flow in flows.items():  # « en échange de » names a flow of the same organisation, the other way
        if flow.swap and (flow.organisation_key, LISTING_COMPLEMENT[flow.kind], flow.swap) not in flows:
            next(row for row in rows if row.line == flow_line[flow_key]).errors["swap"] = (
                f"Aucune ligne de cette organisation en sens inverse pour la ressource « {flow.swap} »."
            )
    return Preview(rows=rows, problems=problems, organisations=organisations, flows=flows)
