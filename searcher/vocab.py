"""The index's own vocabulary, for reading queries without pyvi.

Written once per generation from the ``syl`` and ``word`` lexicons (format 3:
``vocab.sqlite``, a SQLite table of packed strings that a search reads a key at
a time, instead of parsing the whole vocabulary first: 140 ms of a cold search
at 80,000 articles; formats 1 and 2, ``vocab.json``, are still read; none can
carry code, unlike a pickle), it answers two questions at query time:

* which runs of query syllables are words of the corpus (``đảng viên`` →
  ``đảng_viên``), so a query needs no word segmenter;
* which accented forms a syllable or word typed without diacritics most likely
  stands for in this corpus (``ket luan`` → ``kết_luận``), so that a query
  typed without diacritics is ranked as if they had been restored.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .normalise import fold

VOCAB = "vocab.sqlite"
FORMAT = 3
JSON_VOCAB = "vocab.json"  # formats 1 ([form, df] lists and a separate word table) and 2 (packed), still read
FILES = (VOCAB, JSON_VOCAB)  # what a generation's vocabulary may be written as
_SYL, _WORD = 0, 1  # the kinds of keys in the forms table
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
            got = _unpack(self._packed[key])
            self._read[key] = got
        return got

    def __iter__(self) -> Iterator[str]:
        return iter(self._packed)

    def __len__(self) -> int:
        return len(self._packed)


class StoredForms(Mapping[str, list[tuple[str, int]]]):
    """:class:`PackedForms` read from ``vocab.sqlite``: each key's packed string is
    fetched when a query first asks for it, then kept decoded.  Safe to share between
    threads (one read-only connection, used under a lock)."""

    def __init__(self, con: sqlite3.Connection, lock: threading.Lock, kind: int):
        self._con, self._lock, self._kind = con, lock, kind
        self._read: dict[str, list[tuple[str, int]] | None] = {}  # None: not in the vocabulary
        self._len: int | None = None

    def __getitem__(self, key: str) -> list[tuple[str, int]]:
        try:
            got = self._read[key]
        except KeyError:
            with self._lock:
                row = self._con.execute(
                    "SELECT packed FROM forms WHERE kind = ? AND key = ?", (self._kind, key)
                ).fetchone()
            got = self._read[key] = None if row is None else _unpack(row[0])
        if got is None:
            raise KeyError(key)
        return got

    def items(self):  # one pass over the table, not a query per key
        with self._lock:
            rows = self._con.execute("SELECT key, packed FROM forms WHERE kind = ? ORDER BY key", (self._kind,))
            return [(key, _unpack(packed)) for key, packed in rows.fetchall()]

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            rows = self._con.execute("SELECT key FROM forms WHERE kind = ? ORDER BY key", (self._kind,)).fetchall()
        return iter([key for (key,) in rows])

    def __len__(self) -> int:  # asked by every query that may need correcting (is there a vocabulary?)
        if self._len is None:
            with self._lock:
                row = self._con.execute("SELECT count(*) FROM forms WHERE kind = ?", (self._kind,)).fetchone()
            self._len = int(row[0])
        return self._len


def _unpack(packed: str) -> list[tuple[str, int]]:
    return [_pair(item) for item in packed.split(" ")]


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
    from .whoosh_internals import field_doc_frequencies

    out: dict[str, int] = {}
    for leaf, _offset in reader.leaf_readers():
        for btext, df in field_doc_frequencies(leaf, fieldname):
            text = btext.decode("utf-8")
            out[text] = out.get(text, 0) + df
    return out


def fold_word(word: str) -> str:
    """``fold(word)`` of a segmented word (``công_tác`` → ``cong_tac``), folded a
    syllable at a time: :func:`~searcher.normalise.fold` works character by
    character and keeps its answers, and the syllables of a vocabulary's words
    repeat (the 40,000 words of the 12,547-article slice share far fewer syllables)."""
    return "_".join([fold(s) for s in word.split("_")])


def from_reader(reader) -> Vocabulary:
    """Collect the vocabulary of an open whoosh reader."""
    syl_groups: dict[str, list[tuple[str, int]]] = {}
    for text, df in doc_frequencies(reader, "syl").items():
        syl_groups.setdefault(fold(text), []).append((text, df))
    word_groups: dict[str, list[tuple[str, int]]] = {}
    for text, df in doc_frequencies(reader, "word").items():
        if df <= 0 or text.count("_") >= MAX_WORD_SYLLABLES:
            continue
        word_groups.setdefault(fold_word(text), []).append((text, df))
    return Vocabulary(_top(syl_groups, keep=None), _top(word_groups, keep=None))


def write(path: Path, reader, abbreviation_lines: list[str] | None = None) -> None:
    """Write the vocabulary of ``reader`` into the generation folder ``path`` (format 3)."""
    voc = from_reader(reader)
    tmp = Path(path) / (VOCAB + ".tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.execute("PRAGMA journal_mode = OFF")  # a new file, renamed into place once whole
        con.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID")
        con.execute(
            "CREATE TABLE forms (kind INTEGER NOT NULL, key TEXT NOT NULL, packed TEXT NOT NULL,"
            " PRIMARY KEY (kind, key)) WITHOUT ROWID"
        )
        con.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [
                ("format", str(FORMAT)),
                ("abbreviations", json.dumps(list(abbreviation_lines or []), ensure_ascii=False)),
            ],
        )
        for kind, forms in ((_SYL, voc.syl_forms), (_WORD, voc.word_forms)):
            con.executemany(
                "INSERT INTO forms VALUES (?, ?, ?)", ((kind, k, v) for k, v in sorted(pack(forms).items()))
            )
        con.commit()
    finally:
        con.close()
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
    """Load a generation's vocabulary; an empty one if there is none.

    Raises ``ValueError`` (a ``json.JSONDecodeError`` included) for a file
    that is not a vocabulary of a known format, ``sqlite3.DatabaseError`` for a
    ``vocab.sqlite`` that is not a database.  The file's checksum, not a walk
    over it, is what tells a damaged vocabulary (see searcher.layout).
    """
    stored = Path(path) / VOCAB
    if stored.is_file():
        return _load_stored(stored)
    try:
        with open(Path(path) / JSON_VOCAB, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return Vocabulary()
    if not isinstance(data, dict) or data.get("format") not in (1, 2):
        raise ValueError(f"{JSON_VOCAB} is not a vocabulary of format 1 or 2")
    try:
        lines = [str(line) for line in data.get("abbreviations", [])]
        if data["format"] == 1:
            return _format_1(data, lines)
        return Vocabulary(_packed(data["syl_forms"]), _packed(data["word_forms"]), lines)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ValueError(f"{JSON_VOCAB} is malformed ({e.__class__.__name__})") from None


def _load_stored(file: Path) -> Vocabulary:
    """Format 3: read-only and immutable (a generation's files never change), so
    SQLite takes no lock and writes nothing beside it."""
    con = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)
    try:
        meta = dict(con.execute("SELECT name, value FROM meta").fetchall())
        if meta.get("format") != str(FORMAT):
            raise ValueError(f"{VOCAB} is not a vocabulary of format {FORMAT}")
        lines = json.loads(meta.get("abbreviations", "[]"))
        if not isinstance(lines, list):
            raise ValueError(f"{VOCAB} is malformed (abbreviations)")
        con.execute("SELECT kind, key, packed FROM forms LIMIT 0")  # the table is there, with its columns
    except BaseException:
        con.close()
        raise
    lock = threading.Lock()
    return Vocabulary(StoredForms(con, lock, _SYL), StoredForms(con, lock, _WORD), [str(x) for x in lines])
