"""The index's own vocabulary, for reading queries without pyvi.

Written once per generation (``vocab.pickle``) from the ``syl`` and ``word``
lexicons, it answers two questions at query time:

* which runs of query syllables are words of the corpus (``đảng viên`` →
  ``đảng_viên``), so a query needs no word segmenter;
* which accented forms a syllable or word typed without diacritics most likely
  stands for in this corpus (``ket luan`` → ``kết_luận``), so that a query
  typed without diacritics is ranked as if they had been restored.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path

from .normalise import fold

VOCAB = "vocab.pickle"
MAX_FORMS = 4
MAX_WORD_SYLLABLES = 4


@dataclass
class Vocabulary:
    """``syl_forms``: folded syllable → [(syllable, doc freq)], most frequent first.
    ``word_forms``: folded word (``ket_luan``) → [(word, doc freq)], most frequent first.
    ``words``: every compound word of the ``word`` field, with its doc freq."""

    syl_forms: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    word_forms: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    words: dict[str, int] = field(default_factory=dict)

    def is_word(self, word: str) -> bool:
        return word in self.words

    def syllable_forms(self, folded: str) -> list[tuple[str, int]]:
        return self.syl_forms.get(folded, [])

    def word_candidates(self, folded_word: str) -> list[tuple[str, int]]:
        return self.word_forms.get(folded_word, [])


def _top(groups: dict[str, list[tuple[str, int]]]) -> dict[str, list[tuple[str, int]]]:
    return {k: sorted(v, key=lambda x: (-x[1], x[0]))[:MAX_FORMS] for k, v in groups.items()}


def from_reader(reader) -> Vocabulary:
    """Collect the vocabulary of an open whoosh reader."""
    syl_groups: dict[str, list[tuple[str, int]]] = {}
    for btext, info in reader.iter_field("syl"):
        text = btext.decode("utf-8")
        syl_groups.setdefault(fold(text), []).append((text, info.doc_frequency()))
    words: dict[str, int] = {}
    word_groups: dict[str, list[tuple[str, int]]] = {}
    for btext, info in reader.iter_field("word"):
        text = btext.decode("utf-8")
        df = info.doc_frequency()
        if df <= 0 or text.count("_") >= MAX_WORD_SYLLABLES:
            continue
        words[text] = df
        word_groups.setdefault(fold(text), []).append((text, df))
    return Vocabulary(_top(syl_groups), _top(word_groups), words)


def write(path: Path, reader) -> None:
    voc = from_reader(reader)
    tmp = Path(path) / (VOCAB + ".tmp")
    with open(tmp, "wb") as f:
        pickle.dump((voc.syl_forms, voc.word_forms, voc.words), f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(Path(path) / VOCAB)


def load(path: Path) -> Vocabulary:
    """Load a generation's vocabulary; an empty one if the file is missing."""
    try:
        with open(Path(path) / VOCAB, "rb") as f:
            syl_forms, word_forms, words = pickle.load(f)
    except FileNotFoundError:
        return Vocabulary()
    return Vocabulary(syl_forms, word_forms, words)
