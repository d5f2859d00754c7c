"""French free text → taxonomy nodes: normalisation, synonyms, typos, conditions, temperatures."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

STOPWORDS = frozenset(
    {
        "a",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "cet",
        "cette",
        "chez",
        "d",
        "de",
        "des",
        "du",
        "en",
        "et",
        "l",
        "la",
        "le",
        "les",
        "leur",
        "un",
        "une",
        "pour",
        "par",
        "sur",
        "sous",
        "ou",
        "dans",
        "notre",
        "nos",
        "votre",
        "vos",
        "son",
        "sa",
        "ses",
        "tout",
        "tous",
        "toute",
        "toutes",
        "tres",
        "plus",
        "moins",
        "environ",
        "cherche",
        "cherchons",
        "recherche",
        "recherchons",
        "besoin",
        "besoins",
        "propose",
        "proposons",
        "disponible",
        "disponibles",
        "donne",
        "donnons",
        "vend",
        "vendons",
        "cede",
        "cedons",
        "offre",
        "offrons",
        "stock",
        "lot",
        "lots",
        "quantite",
        "qualite",
        "avons",
        "dispose",
    }
)

# Words kept as they are: folding their final s/x would merge them with another word.
NO_FOLD = frozenset(
    {
        "gaz",
        "bus",
        "jus",
        "pois",
        "bois",
        "mais",
        "tapis",
        "lys",
        "os",
        "chaux",
        "croix",
        "paix",
        "prix",
        "noix",
        "poix",
        "fax",
        "flux",
        "inox",
        "plexi",
        "silex",
        "latex",
        "pyrex",
        "dechets",
    }
)

# A minus sign after a digit is a range (« 0-4 °C » reads 4), not a negative temperature.
TEMPERATURE = re.compile(
    r"((?<![\d\s])-?\d{1,3}|(?<=\s)-?\d{1,3}|^-?\d{1,3})\s*(?:°|degr[eé]s?\b|deg\b)", re.IGNORECASE
)
STEAM_WORDS = frozenset({"vapeur", "vapeurs"})


def strip_accents(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def fold(word: str) -> str:
    """Singular form of a normalised word: `metaux` → `metal`, `cartons` → `carton`."""
    if word == "dechets":
        return "dechet"
    if word in NO_FOLD or len(word) <= 3:
        return word
    if word.endswith(("eaux", "iaux", "yaux")):  # copeaux, matériaux, tuyaux
        return word[:-1]
    if word.endswith("aux") and len(word) > 4:  # métaux, végétaux
        return word[:-3] + "al"
    if word.endswith(("s", "x")):
        return word[:-1]
    return word


def tokens(text: str | None) -> list[str]:
    """Normalised, singular, meaningful words of a text."""
    if not text:
        return []
    plain = strip_accents(text.replace("œ", "oe").replace("Œ", "oe")).lower()
    plain = re.sub(r"(?<=[a-z])-(?=[a-z])", "", plain)  # auto-laveuse = autolaveuse, bio-déchets = biodéchets
    words = re.findall(r"[a-z0-9]+", plain)
    return [fold(w) for w in words if w not in STOPWORDS and not w.isdigit()]


# What follows « pour » or a possessive says what a listing is for or about, not what it is: « emballages pour
# expédier nos bouteilles » asks for packaging, « pesée de nos bennes » for weighing. Such a clause runs to the
# next punctuation.
CONTEXT_MARKER = re.compile(r"\b(?:pour|afin\s+de|nos|notre|mes|mon|ma|leurs?|ses|son|sa)\b", re.IGNORECASE)
CLAUSE_END = re.compile(r"[,;.:()!?/+\n]|\s-\s")


def context_flags(text: str | None) -> tuple[list[str], list[bool]]:
    """The text's tokens (as `tokens`, markers left out) and, for each, whether it lies in such a clause."""
    words: list[str] = []
    flags: list[bool] = []
    for clause in CLAUSE_END.split(text or ""):
        parts = CONTEXT_MARKER.split(clause)
        for position, part in enumerate(parts):
            found = tokens(part)
            words += found
            flags += [position > 0] * len(found)
    return words, flags


# Word lists are compared with tokens, so they go through `tokens` too (« sans » reads « san »).
NEGATIONS = frozenset(tokens("sans non pas aucun aucune ni exempt"))

# Title words that name no thing: what is done with it, how much, which part (« chutes de … », « collecte de … »).
GENERIC_TITLE_WORDS = frozenset(
    tokens(
        "chute déchet reste résidu rebut surplus excédent fin lot don vente achat collecte enlèvement évacuation "
        "reprise récupération recyclage valorisation traitement location prêt mise disposition partage "
        "mutualisation besoin "
        "recherche matière matériel materiaux produit produits service aide appui capacité place espace source "
        "apport fourniture livraison gisement ancien ancienne vieux vieille neuf bon petit grand gros"
    )
)


# What a pool request asks done, rather than to what: « contrôle annuel des aires de jeux », « destruction des nids de
# frelons », « groupage vers le Québec », « quelqu'un pour gérer nos réseaux sociaux » (and the prepositions the stop
# words let through).
SERVICE_WORDS = frozenset(
    tokens(
        "contrôle vérification inspection entretien maintenance nettoyage destruction enlever lutte intervention "
        "expédition expédier envoi envoyer export exporter transport transporter groupage tournée campagne "
        "mesure mesurer évaluation évaluer étude diagnostic audit conseil accompagnement suivi formation former "
        "commande commander groupement groupé groupée gestion gérer prestation prestataire contrat marché "
        "location louer réparation réparer organiser organisation faire trouver chercher quelqu "
        "annuel annuelle commun commune partagé partagée mutualisé mutualisée temps partiel plein "
        "vers chez avec sans entre"
    )
)


def request_head(title_tokens: list[str]) -> str | None:
    """The first word of a pool request's title that names what the service is for, past what is asked done
    (« contrôle annuel des aires de jeux » → « aire »), if any."""
    return next(
        (w for w in title_tokens if w not in GENERIC_TITLE_WORDS | SERVICE_WORDS and len(w) >= 3 and w.isalpha()),
        None,
    )


def title_head(title_tokens: list[str]) -> str | None:
    """The first word of a title that names a thing (« ardoises anciennes à réemployer » → « ardoise »), if any."""
    return next((w for w in title_tokens if w not in GENERIC_TITLE_WORDS and len(w) >= 4 and w.isalpha()), None)


def temperature_c(text: str | None) -> int | None:
    """The temperature a text states (`chaleur fatale 45°C` → 45, `-18 °C` → -18); steam means 100 °C at least."""
    if not text:
        return None
    found = [int(n) for n in TEMPERATURE.findall(text)]
    if found:
        return max(found, key=abs)
    if set(re.findall(r"[a-z]+", strip_accents(text).lower())) & STEAM_WORDS:
        return 100
    return None


def edits1(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@dataclass(frozen=True)
class Hit:
    """A synonym found in a text: which node, over which words, exactly or through a typo."""

    node_id: str
    start: int
    length: int
    exact: bool


class Vocabulary:
    """Synonym phrases of every node, indexed for exact and one-typo lookup."""

    def __init__(self, phrases: Iterable[tuple[str, str]]):
        self.phrases: dict[tuple[str, ...], set[str]] = defaultdict(set)
        for node_id, phrase in phrases:
            # « bio-déchets » is found whether typed joined or apart
            for variant in {phrase, phrase.replace("-", " ")}:
                words = tuple(tokens(variant))
                if words:
                    self.phrases[words].add(node_id)
        self.words = {w for phrase in self.phrases for w in phrase}
        self._phrases_with: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for known in self.phrases:
            self._phrases_with[known[0]].append(known)
        self.max_len = max((len(p) for p in self.phrases), default=1)
        # Deletion neighbourhood (SymSpell): a typo and a word meet if one deletion of
        # each (or of one) gives the same string: substitutions, insertions, deletions.
        self._deletes: dict[str, set[str]] = defaultdict(set)
        for word in self.words:
            if len(word) >= 5:
                for variant in edits1(word) | {word}:
                    self._deletes[variant].add(word)

    def mentioned(self, text_tokens: list[str]) -> set[str]:
        """Every node a phrase of which appears in the text, even inside a longer phrase:
        « chutes de carton ondulé » mentions « carton » too."""
        words = set(text_tokens)
        found: set[str] = set()
        for word in words:
            for phrase in self._phrases_with.get(word, ()):
                if words.issuperset(phrase):
                    found |= self.phrases[phrase]
        return found

    def correct(self, word: str) -> str | None:
        """The vocabulary word one edit away from `word` (only words of 5+ letters), if unique."""
        if word in self.words or len(word) < 5:
            return word if word in self.words else None
        found = set()
        for variant in edits1(word) | {word}:
            found |= self._deletes.get(variant, set())
        found = {w for w in found if abs(len(w) - len(word)) <= 1}
        return found.pop() if len(found) == 1 else None

    def find(self, text_tokens: list[str]) -> list[Hit]:
        """Longest synonym phrases covering the text, left to right, without overlap.

        A word corrected for a typo counts only when nothing in the text matched exactly:
        « tourneur » must not become « tournure » when « chêne » says what is meant.
        """
        hits = self._find(text_tokens)
        exact = [h for h in hits if h.exact]
        return exact or hits

    def _find(self, text_tokens: list[str]) -> list[Hit]:
        corrected = [(w, True) if w in self.words else (self.correct(w), False) for w in text_tokens]
        hits: list[Hit] = []
        i = 0
        while i < len(corrected):
            for length in range(min(self.max_len, len(corrected) - i), 0, -1):
                window = corrected[i : i + length]
                if any(w is None for w, _ in window):
                    continue
                key = tuple(w for w, _ in window if w is not None)
                if key in self.phrases:
                    exact = all(e for _, e in window)
                    hits.extend(Hit(node, i, length, exact) for node in sorted(self.phrases[key]))
                    i += length
                    break
            else:
                i += 1
        return hits
