"""The index's own vocabulary, for reading queries without pyvi.

Written once per generation (``vocab.json``: plain JSON, which cannot carry
code, unlike a pickle) from the ``syl`` and ``word``
lexicons, it answers two questions at query time:

* which runs of query syllables are words of the corpus (``đảng viên`` →
  ``đảng_viên``), so a query needs no word segmenter;
* which accented forms a syllable or word typed without diacritics most likely
  stands for in this corpus (``ket luan`` → ``kết_luận``), so that a query
  typed without diacritics is ranked as if they had been restored.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .normalise import fold

VOCAB = "vocab.json"
FORMAT = 1
MAX_FORMS = 4
MAX_WORD_SYLLABLES = 4


@dataclass
class Vocabulary:
    """``syl_forms``: folded syllable → every [(syllable, doc freq)], most frequent first.
    ``word_forms``: folded word (``ket_luan``) → [(word, doc freq)], most frequent first.
    ``words``: every compound word of the ``word`` field, with its doc freq."""

    syl_forms: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    word_forms: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    words: dict[str, int] = field(default_factory=dict)
    abbreviation_lines: list[str] = field(default_factory=list)  # the archive's own (corpus/abbreviations.txt)
    _spell: object | None = field(default=None, init=False, repr=False, compare=False)
    _abbr: object | None = field(default=None, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def syllable_df(self, norm: str) -> int:
        """Documents holding the syllable ``norm`` (0 when unknown or too rare to be kept)."""
        return next((df for form, df in self.syl_forms.get(fold(norm), ()) if form == norm), 0)

    def folded_df(self, folded: str) -> int:
        """Documents holding any accented form of ``folded`` (as far as the kept forms tell)."""
        return sum(df for _, df in self.syl_forms.get(folded, ()))

    def spell_index(self):
        """Typo candidates over this vocabulary (:class:`searcher.spelling.SpellIndex`), built on first use."""
        with self._lock:
            if self._spell is None:
                from .spelling import SpellIndex

                self._spell = SpellIndex.from_forms(self.syl_forms)
            return self._spell

    def abbreviations(self):
        """The shipped abbreviation table plus the archive's own lines, built on first use."""
        with self._lock:
            if self._abbr is None:
                from .abbreviations import AbbreviationTable, load_table, parse_lines

                extra, _ = parse_lines(self.abbreviation_lines, "abbreviations")
                self._abbr = AbbreviationTable([*load_table().entries, *extra])
            return self._abbr

    def is_word(self, word: str) -> bool:
        return word in self.words

    def syllable_forms(self, folded: str) -> list[tuple[str, int]]:
        """The :data:`MAX_FORMS` most frequent accented forms of a folded syllable."""
        return self.syl_forms.get(folded, [])[:MAX_FORMS]

    def word_candidates(self, folded_word: str) -> list[tuple[str, int]]:
        return self.word_forms.get(folded_word, [])


def _top(groups: dict[str, list[tuple[str, int]]], keep: int | None = MAX_FORMS) -> dict[str, list[tuple[str, int]]]:
    return {k: sorted(v, key=lambda x: (-x[1], x[0]))[:keep] for k, v in groups.items()}


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
    return Vocabulary(_top(syl_groups, keep=None), _top(word_groups), words)


def write(path: Path, reader, abbreviation_lines: list[str] | None = None) -> None:
    voc = from_reader(reader)
    data = {
        "format": FORMAT,
        "syl_forms": voc.syl_forms,
        "word_forms": voc.word_forms,
        "words": voc.words,
        "abbreviations": list(abbreviation_lines or []),
    }
    tmp = Path(path) / (VOCAB + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
    tmp.replace(Path(path) / VOCAB)


def _forms(raw: object) -> dict[str, list[tuple[str, int]]]:
    """The JSON object as it is: its ``[form, doc freq]`` pairs unpack like tuples.
    Converting each pair cost a cold search 50 ms; the file's checksum, not a
    walk over it, is what tells a damaged vocabulary (see searcher.layout)."""
    if not isinstance(raw, dict):
        raise ValueError("not an object")
    return raw


def load(path: Path) -> Vocabulary:
    """Load a generation's vocabulary; an empty one if the file is missing.

    Raises ``ValueError`` (a ``json.JSONDecodeError`` included) for a file
    that is not a vocabulary of this format.
    """
    try:
        with open(Path(path) / VOCAB, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return Vocabulary()
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{VOCAB} is not a vocabulary of format {FORMAT}")
    try:
        words = data["words"]
        if not isinstance(words, dict):
            raise TypeError("words is not an object")
        lines = [str(line) for line in data.get("abbreviations", [])]
        return Vocabulary(_forms(data["syl_forms"]), _forms(data["word_forms"]), words, lines)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ValueError(f"{VOCAB} is malformed ({e.__class__.__name__})") from None
