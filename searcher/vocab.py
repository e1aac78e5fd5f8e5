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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .normalise import fold

VOCAB = "vocab.json"
FORMAT = 2  # 1: [form, df] lists and a separate word table (still read)
MAX_FORMS = 4
MAX_WORD_SYLLABLES = 4


Forms = Mapping[str, list[tuple[str, int]]]


class PackedForms(Mapping[str, list[tuple[str, int]]]):
    """Folded key → [(form, doc freq)], read from ``vocab.json``'s packed strings
    (``"kết:812 kệt:3"``) one key at a time, when a query asks for it.

    Decoding every pair at load cost a cold search most of its 100 ms of JSON;
    a query looks up a few dozen keys.  Safe to share between threads: two
    threads decoding one key store equal lists.
    """

    def __init__(self, packed: dict[str, str]):
        self._packed = packed
        self._read: dict[str, list[tuple[str, int]]] = {}

    def __getitem__(self, key: str) -> list[tuple[str, int]]:
        got = self._read.get(key)
        if got is None:
            got = [_pair(item) for item in self._packed[key].split(" ")]
            self._read[key] = got
        return got

    def __iter__(self) -> Iterator[str]:
        return iter(self._packed)

    def __len__(self) -> int:
        return len(self._packed)


def _pair(item: str) -> tuple[str, int]:
    form, _, df = item.rpartition(":")
    return form, int(df)


def pack(forms: Forms) -> dict[str, str]:
    """The on-disk form of :class:`PackedForms`: ``{"ket": "kết:812 kệt:3"}``."""
    return {k: " ".join(f"{form}:{df}" for form, df in v) for k, v in forms.items()}


@dataclass
class Vocabulary:
    """``syl_forms``: folded syllable → every [(syllable, doc freq)], most frequent first.
    ``word_forms``: folded word (``ket_luan``) → every [(word, doc freq)] of the
    ``word`` field, most frequent first."""

    syl_forms: Forms = field(default_factory=dict)
    word_forms: Forms = field(default_factory=dict)
    abbreviation_lines: list[str] = field(default_factory=list)  # the archive's own (corpus/abbreviations.txt)
    words: Mapping[str, int] | None = None  # format 1 only: every word (its word_forms keep 4 per key)
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
        """Whether ``word`` (``đảng_viên``) is a compound word of the corpus."""
        if self.words is not None:
            return word in self.words
        return any(form == word for form, _ in self.word_forms.get(fold(word), ()))

    def syllable_forms(self, folded: str) -> list[tuple[str, int]]:
        """The :data:`MAX_FORMS` most frequent accented forms of a folded syllable."""
        return self.syl_forms.get(folded, [])[:MAX_FORMS]

    def word_candidates(self, folded_word: str) -> list[tuple[str, int]]:
        """The :data:`MAX_FORMS` most frequent accented forms of a folded word."""
        return self.word_forms.get(folded_word, [])[:MAX_FORMS]


def _top(groups: dict[str, list[tuple[str, int]]], keep: int | None = MAX_FORMS) -> dict[str, list[tuple[str, int]]]:
    return {k: sorted(v, key=lambda x: (-x[1], x[0]))[:keep] for k, v in groups.items()}


def doc_frequencies(reader, fieldname: str) -> dict[str, int]:
    """Each term of a field with the number of documents holding it, summed over
    the reader's segments.  Each segment's lexicon is read in order: a reader
    over several segments would look every term up in every segment (an index
    job adding 1 % of the slice spent two thirds of its time there)."""
    out: dict[str, int] = {}
    for leaf, _offset in reader.leaf_readers():
        for btext, info in leaf.iter_field(fieldname):
            text = btext.decode("utf-8")
            out[text] = out.get(text, 0) + info.doc_frequency()
    return out


def from_reader(reader) -> Vocabulary:
    """Collect the vocabulary of an open whoosh reader."""
    syl_groups: dict[str, list[tuple[str, int]]] = {}
    for text, df in doc_frequencies(reader, "syl").items():
        syl_groups.setdefault(fold(text), []).append((text, df))
    word_groups: dict[str, list[tuple[str, int]]] = {}
    for text, df in doc_frequencies(reader, "word").items():
        if df <= 0 or text.count("_") >= MAX_WORD_SYLLABLES:
            continue
        word_groups.setdefault(fold(text), []).append((text, df))
    return Vocabulary(_top(syl_groups, keep=None), _top(word_groups, keep=None))


def write(path: Path, reader, abbreviation_lines: list[str] | None = None) -> None:
    voc = from_reader(reader)
    data = {
        "format": FORMAT,
        "syl_forms": pack(voc.syl_forms),
        "word_forms": pack(voc.word_forms),
        "abbreviations": list(abbreviation_lines or []),
    }
    tmp = Path(path) / (VOCAB + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
    tmp.replace(Path(path) / VOCAB)


def _packed(raw: object) -> PackedForms:
    if not isinstance(raw, dict):
        raise ValueError("not an object")
    return PackedForms(raw)


def _format_1(data: dict, lines: list[str]) -> Vocabulary:
    """A vocabulary written before format 2: [form, df] lists (unpacked like
    tuples), 4 word forms per key, and every word in a table of its own."""
    syl_forms, word_forms, words = data["syl_forms"], data["word_forms"], data["words"]
    if not all(isinstance(x, dict) for x in (syl_forms, word_forms, words)):
        raise TypeError("not an object")
    return Vocabulary(syl_forms, word_forms, lines, words)


def load(path: Path) -> Vocabulary:
    """Load a generation's vocabulary; an empty one if the file is missing.

    Raises ``ValueError`` (a ``json.JSONDecodeError`` included) for a file
    that is not a vocabulary of a known format.  The file's checksum, not a
    walk over it, is what tells a damaged vocabulary (see searcher.layout).
    """
    try:
        with open(Path(path) / VOCAB, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return Vocabulary()
    if not isinstance(data, dict) or data.get("format") not in (1, FORMAT):
        raise ValueError(f"{VOCAB} is not a vocabulary of format {FORMAT}")
    try:
        lines = [str(line) for line in data.get("abbreviations", [])]
        if data["format"] == 1:
            return _format_1(data, lines)
        return Vocabulary(_packed(data["syl_forms"]), _packed(data["word_forms"]), lines)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ValueError(f"{VOCAB} is malformed ({e.__class__.__name__})") from None
