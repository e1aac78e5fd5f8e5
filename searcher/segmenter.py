"""Vietnamese word segmentation: pyvi's own model, without scikit-learn.

:func:`tokenize` returns exactly what ``pyvi.ViTokenizer.tokenize`` returns
(byte for byte, for every input) at about twice its speed, and without
importing scikit-learn (~1.5 s and ~80 MB per process).

How
---
pyvi 0.1.1 ships its CRF as a pickled ``sklearn_crfsuite.CRF``
(``pyvi/models/pyvi3.pkl``); that object only wraps the bytes of a crfsuite
model file, which pyvi tags with ``pycrfsuite``.  Unpickling it the normal way
imports scikit-learn.  Here:

* the pickle is read by :class:`_ModelUnpickler`, whose ``find_class`` admits
  only the six globals this pickle names (the CRF, its ``FileResource``,
  pycrfsuite's ``TrainLogParser``, ``numpy.dtype``, numpy's ``scalar`` and
  ``_codecs.encode``) and maps each to a small inert stand-in (:class:`_State`
  keeps the object's state, nothing runs; numpy is not imported); every other
  global, and any persistent id, is refused with
  :class:`pickle.UnpicklingError`, so the file cannot make us import or call
  anything else;
* the crfsuite bytes (the ``FileResource`` state's ``__FILE_RESOURCE_DATA__``)
  are opened with ``pycrfsuite.Tagger.open_inmemory`` (or, on an older
  pycrfsuite, through a temporary file removed right after opening), and their
  weights are read (:func:`read_crf_weights`, crfsuite's crf1d file layout);
* the word lists (``pyvi/models/words.txt``) and the syllabifying regex are
  those of ``pyvi/ViTokenizer.py``; the package directory is found with
  :func:`importlib.util.find_spec`, which does not import pyvi.

Features: pyvi builds one dict of ~15 features per syllable, most of them
``False`` flags.  pycrfsuite turns ``False`` into weight 0.0, which adds
exactly 0.0 to a label score, so only the true flags are sent here, as plain
attribute strings, in pyvi's own order (so every score is summed in the same
order, hence identical).  The per-syllable pieces (lower-cased form, flags,
the ``-1:``/``+1:`` variants) are cached per distinct syllable, and each
bi-/tri-gram look-up is done once per window instead of twice.

Decoding: the labels are found by crfsuite's own algorithm (Viterbi, ties to
the first label) on the model's weights, in Python (:meth:`_Native._decode`),
not by handing each sentence to crfsuite: converting the attributes for
crfsuite (``ItemSequence``) and tagging cost more than the decoding itself.
Each syllable's own score and the weights of its neighbour features are cached
with it, and every label score is summed in crfsuite's order, so the floats,
hence the labels, are the same.  When the model loads, the decoder must tag
:data:`_CHECK_SENTENCES` exactly as crfsuite's tagger does, else (and if the
weights cannot be read) crfsuite's tagger is used; the tests compare the two
on thousands of news sentences.  On 1,500 VNTC articles (27,717 sentences),
tokenizing took 1.3–1.5 s against 2.5 s through crfsuite's tagger.

Fallback
--------
If pyvi's model cannot be read this way (a new pyvi release that pickles
something else, a missing file, an old pycrfsuite ...), or if the installed
``pyvi/ViTokenizer.py`` is not the one mirrored here (its SHA-256 is checked
against :data:`KNOWN_TOKENIZERS`, so a pyvi that changes its features, regex
or post-processing cannot make the two silently differ), :func:`tokenize`
**falls back to pyvi itself** (``ViTokenizer.tokenize``, which imports
scikit-learn), after a ``RuntimeWarning`` and a ``logging`` warning that say
why.  The output is the same either way; only speed and memory differ.
:func:`backend` tells which one is in use (``"native"`` or ``"pyvi"``).

Nothing is loaded at import time: the model is loaded on first use, once per
process, under a lock.  Tagging with crfsuite is serialised by a lock as well
(a crfsuite tagger holds the current sequence; pyvi's own shared tagger is no
safer); the Python decoder shares nothing between calls but the caches.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import logging
import os
import pickle
import re
import string
import struct
import threading
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

__all__ = ["SegmenterLoadError", "backend", "tokenize"]

log = logging.getLogger(__name__)

MODEL_FILE = "models/pyvi3.pkl"  # what ViTokenizer loads on Python 3
WORDS_FILE = "models/words.txt"
TOKENIZER_FILE = "ViTokenizer.py"
# SHA-256 of the ViTokenizer.py files whose features, regex and post-processing
# this module reproduces (pyvi 0.1.1).  Any other one: fall back to pyvi.
KNOWN_TOKENIZERS = frozenset({"ad11cdacf45b5b2801cd97a473f70effb3a36b94779b80c776a11cedaa18e1c1"})
_CRFSUITE_MAGIC = b"lCRF"

# --- pyvi's syllabifier (ViTokenizer.sylabelize), same alternatives, same order.
# Inner groups are non-capturing here so ``findall`` yields the tokens directly;
# that changes nothing about what matches.
_ABBREVIATIONS = [r"[A-ZĐ]+\.", r"Tp\.", r"Mr\.", r"Mrs\.", r"Ms\.", r"Dr\.", r"ThS\."]
_SPECIALS = [r"==>", r"->", r"\.\.\.", r">>", "\n"]
_WEB = r"\w+://[^\s]+"
_EMAIL = r"(?:[a-zA-Z0-9_.+-]+@(?:[a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+)"
_DIGIT = r"\d+(?:[\.,_]\d+)+"
_NON_WORD = r"[^\w\s]"
_WORD = r"\w+"
SYLLABLE_PATTERN = (
    "(" + "|".join([*_ABBREVIATIONS, *_SPECIALS, _WEB, _EMAIL, _DIGIT, _NON_WORD, _WORD]) + ")"
)  # compiled on first use (re.UNICODE, as pyvi)

# pyvi tests ``tok not in string.punctuation``: a substring test, kept as such.
_PUNCT = string.punctuation


class SegmenterLoadError(RuntimeError):
    """pyvi's model could not be loaded without scikit-learn."""


# --- restricted unpickling -----------------------------------------------------


class _State:
    """Inert stand-in for a pickled object: keeps its state, runs nothing."""

    args: tuple[Any, ...] = ()
    state: Any = None

    def __init__(self, *args: Any) -> None:
        self.args = args

    def __setstate__(self, state: Any) -> None:
        self.state = state


def _encode(text: str, encoding: str = "utf-8") -> bytes:
    """Stand-in for ``_codecs.encode``: protocol-2 pickles store bytes this way."""
    if encoding != "latin1":
        raise pickle.UnpicklingError(f"unexpected encoding in model pickle: {encoding!r}")
    return text.encode("latin-1")


class _DType(_State):
    """Stand-in for ``numpy.dtype`` (the CRF pickles ``c1``/``c2`` as numpy floats)."""


def _scalar(dtype: Any, data: Any = None) -> float | None:
    """Stand-in for ``numpy.core.multiarray.scalar``: decodes a float64, else None."""
    if isinstance(dtype, _DType) and dtype.args[:1] == ("f8",) and isinstance(data, bytes):
        order = "<"
        if isinstance(dtype.state, tuple) and len(dtype.state) > 1 and dtype.state[1] == ">":
            order = ">"
        if len(data) == 8:
            return float(struct.unpack(order + "d", data)[0])
    return None


_ALLOWED: dict[tuple[str, str], Callable[..., Any]] = {
    ("sklearn_crfsuite.estimator", "CRF"): _State,
    ("sklearn_crfsuite._fileresource", "FileResource"): _State,
    ("pycrfsuite._logparser", "TrainLogParser"): _State,
    ("numpy", "dtype"): _DType,
    ("numpy.core.multiarray", "scalar"): _scalar,
    ("numpy._core.multiarray", "scalar"): _scalar,
    ("_codecs", "encode"): _encode,
}


class _ModelUnpickler(pickle.Unpickler):
    """Unpickles pyvi's CRF without importing anything: allow-listed stand-ins only."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refused global {module}.{name} in pyvi model pickle") from None

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("persistent ids are not allowed in pyvi model pickle")


def load_crf_bytes(data: bytes) -> bytes:
    """The crfsuite model file held by a pickled ``sklearn_crfsuite.CRF``.

    Raises :class:`pickle.UnpicklingError` for any global outside the
    allow-list, and :class:`SegmenterLoadError` if the pickle is not laid out
    as expected.
    """
    crf = _ModelUnpickler(io.BytesIO(data)).load()
    if not isinstance(crf, _State) or not isinstance(crf.state, dict):
        raise SegmenterLoadError("model pickle is not a sklearn_crfsuite CRF")
    resource = crf.state.get("modelfile")
    if not isinstance(resource, _State) or not isinstance(resource.state, dict):
        raise SegmenterLoadError("CRF pickle has no FileResource 'modelfile'")
    model = resource.state.get("__FILE_RESOURCE_DATA__")
    if not isinstance(model, bytes) or not model.startswith(_CRFSUITE_MAGIC):
        raise SegmenterLoadError("CRF pickle does not embed a crfsuite model")
    return model


def pyvi_dir() -> Path:
    """The installed pyvi package directory, found without importing pyvi."""
    spec = importlib.util.find_spec("pyvi")
    if spec is None or not spec.submodule_search_locations:
        raise SegmenterLoadError("pyvi is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


_Bigrams = dict[str, frozenset[str]]
_Trigrams = dict[tuple[str, str], frozenset[str]]


def _read_word_lists(path: Path) -> tuple[_Bigrams, _Trigrams]:
    """pyvi's bi-/tri-gram sets (``words.txt`` lines of two / three space-separated
    parts), keyed by their first part(s): ``bi["a"]`` holds each ``b`` of a line
    "a b", ``tri[("a", "b")]`` each ``c`` of "a b c".  A syllable holds no space,
    so "a b" is a line exactly when ``b in bi.get(a, ())``: no string is built per
    look-up."""
    bi: dict[str, set[str]] = {}
    tri: dict[tuple[str, str], set[str]] = {}
    # ViTokenizer reads with codecs.open(..., 'r', 'utf-8'): no newline translation.
    for token in path.read_bytes().decode("utf-8").split("\n"):
        parts = token.split(" ")
        if len(parts) == 2:
            bi.setdefault(parts[0], set()).add(parts[1])
        elif len(parts) == 3:
            tri.setdefault((parts[0], parts[1]), set()).add(parts[2])
    return {k: frozenset(v) for k, v in bi.items()}, {k: frozenset(v) for k, v in tri.items()}


def _open_tagger(model: bytes) -> Any:
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    if hasattr(tagger, "open_inmemory"):
        tagger.open_inmemory(model)
        return tagger
    import tempfile

    fd, name = tempfile.mkstemp(suffix=".crfsuite")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(model)
        tagger.open(name)  # crfsuite reads the whole file into memory
    finally:
        os.unlink(name)
    return tagger


# --- reading the CRF's weights ----------------------------------------------------

# crfsuite's model file (crf1d, type "FOMC"), as crfsuite's crf1dmodel.c lays it
# out (little-endian): a 48-byte header, then chunks of features ("FEAT": type,
# source, destination, float64 weight; 20 bytes each), of each attribute's
# feature ids ("AFRF"), and the label and attribute names, each a CQDB whose
# backward array gives, by id, a record (id, size, name + NUL).
_HEADER = struct.Struct("<4sI4sIIIIIIIII")
_CHUNK = struct.Struct("<4sII")
_FEATURE = struct.Struct("<IIId")
_CQDB_HEAD = struct.Struct("<4sIIIII")
_U32 = struct.Struct("<I")
_STATE, _TRANSITION = 0, 1  # feature types


@dataclass(frozen=True)
class CrfWeights:
    """A linear-chain CRF's weights, as crfsuite's tagger reads them.

    ``state`` maps an attribute name to its weight for each label (0.0 where
    the model has no feature), ``transition[i][j]`` is the weight of label
    ``i`` followed by ``j``; ``labels`` are the label names by id.
    """

    labels: tuple[str, ...]
    state: dict[bytes, tuple[float, ...]]
    transition: tuple[tuple[float, ...], ...]


def _cqdb_names(model: bytes, at: int, n: int) -> list[bytes]:
    chunk, _size, _flag, _order, bwd_size, bwd_at = _CQDB_HEAD.unpack_from(model, at)
    if chunk != b"CQDB" or bwd_size < n:
        raise SegmenterLoadError("crfsuite model: a name table is not a CQDB")
    names = []
    for i in range(n):
        (record,) = _U32.unpack_from(model, at + bwd_at + 4 * i)
        rid, size = struct.unpack_from("<II", model, at + record)
        start = at + record + 8
        if rid != i or size < 1 or start + size > len(model) or model[start + size - 1] != 0:
            raise SegmenterLoadError(f"crfsuite model: name record {i} is damaged")
        names.append(model[start : start + size - 1])
    return names


def read_crf_weights(model: bytes) -> CrfWeights:
    """The weights of a crfsuite model file (what ``pycrfsuite.Tagger`` opens).

    Raises :class:`SegmenterLoadError` if the bytes are not a crf1d model laid
    out as crfsuite writes it.
    """
    try:
        magic, _size, kind, version, _nf, n_labels, n_attrs, at_feat, at_labels, at_attrs, _at_lref, at_aref = (
            _HEADER.unpack_from(model, 0)
        )
        if magic != _CRFSUITE_MAGIC or kind != b"FOMC" or version != 100:
            raise SegmenterLoadError(f"not a crf1d model ({magic!r}, {kind!r}, version {version})")
        chunk, _size, n_feat = _CHUNK.unpack_from(model, at_feat)
        if chunk != b"FEAT" or at_feat + _CHUNK.size + _FEATURE.size * n_feat > len(model):
            raise SegmenterLoadError("crfsuite model: no feature chunk")
        features = list(
            _FEATURE.iter_unpack(model[at_feat + _CHUNK.size : at_feat + _CHUNK.size + _FEATURE.size * n_feat])
        )
        labels = tuple(name.decode("utf-8") for name in _cqdb_names(model, at_labels, n_labels))
        attrs = _cqdb_names(model, at_attrs, n_attrs)
        chunk, _size, n_refs = _CHUNK.unpack_from(model, at_aref)
        if chunk != b"AFRF" or n_refs != n_attrs:
            raise SegmenterLoadError("crfsuite model: no attribute references")
        state: dict[bytes, tuple[float, ...]] = {}
        for aid, name in enumerate(attrs):
            (ref,) = _U32.unpack_from(model, at_aref + _CHUNK.size + 4 * aid)
            (k,) = _U32.unpack_from(model, ref)
            if k > n_feat:
                raise SegmenterLoadError(f"crfsuite model: attribute {aid} names {k} features")
            weights = [0.0] * n_labels
            for fid in struct.unpack_from(f"<{k}I", model, ref + 4):
                kind_, src, dst, weight = features[fid]
                if kind_ != _STATE or src != aid or dst >= n_labels:
                    raise SegmenterLoadError(f"crfsuite model: feature {fid} is not attribute {aid}'s")
                weights[dst] = weight
            state[name] = tuple(weights)
        transition = [[0.0] * n_labels for _ in range(n_labels)]
        for kind_, src, dst, weight in features:
            if kind_ == _TRANSITION:
                transition[src][dst] = weight
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise SegmenterLoadError(f"crfsuite model is damaged ({exc})") from None
    return CrfWeights(labels, state, tuple(tuple(row) for row in transition))


# --- the segmenter ---------------------------------------------------------------

# Per distinct syllable: (lower-cased form; its own features, led by "bias"; its
# features as the previous syllable, without and with "-1:word.bi_gram()"; as the
# next syllable, without and with "+1:word.bi_gram()"; may it join a word (not
# punctuation, not starting with a digit); does its first character count as title;
# then, read from the model, the score of its own features (one float per label,
# summed in order) and the weights of the four other feature tuples, each a tuple
# of per-label weights for those of its features the model knows, in order).
# Attribute names are UTF-8 bytes, as pycrfsuite would encode them.
_Feats = tuple[bytes, ...]
_Weights = tuple[tuple[float, ...], ...]
_Entry = tuple[
    str, _Feats, _Feats, _Feats, _Feats, _Feats, bool, bool, tuple[float, ...], _Weights, _Weights, _Weights, _Weights
]
_CACHE_MAX = 300_000
_NO_WORDS: frozenset[str] = frozenset()
_NONE: _Feats = ()
_BI_LEFT = (b"-1:word.bi_gram()",)
_TRI_LEFT = (b"-2:word.tri_gram()",)
_BI_RIGHT = (b"+1:word.bi_gram()",)
_TRI_RIGHT = (b"+2:word.tri_gram()",)
# Sentences the decoder is checked on against crfsuite's tagger when the model loads.
_CHECK_SENTENCES = (
    "Ban Tổ chức Trung ương phối hợp với Tỉnh ủy Hà Giang tổ chức Hội nghị triển khai Kết luận 21-KL/TW.",
    "Ông Nguyễn Văn A, Phó Bí thư thường trực, phát biểu tại hội nghị ngày 29/9/2011 (ảnh: TTXVN).",
    "HỘI NGHỊ BAN CHẤP HÀNH ĐẢNG BỘ TỈNH LẦN THỨ 18, nhiệm kỳ 2020 - 2025",
    # each tags differently if the trigram before, the trigram after or the bigram after is left out
    "“Hướng dẫn viên” bất đắc dĩ",
    "Khi nào sẽ khởi công khu đô thị lấn biển?",
    "Xe ô tô cũng chết máy",
)


class _Native:
    """pyvi's tokenizer on pyvi's model, with only the true features computed.

    The labels come from :meth:`_decode`, crfsuite's Viterbi on the model's own
    weights (:func:`read_crf_weights`), or from crfsuite's tagger if the weights
    cannot be read or disagree with it on :data:`_CHECK_SENTENCES` at load.
    """

    name = "native"

    def __init__(self, package: Path) -> None:
        source = (package / TOKENIZER_FILE).read_bytes()
        if hashlib.sha256(source).hexdigest() not in KNOWN_TOKENIZERS:
            raise SegmenterLoadError(f"{package / TOKENIZER_FILE} is not the pyvi 0.1.1 tokenizer mirrored here")
        model = load_crf_bytes((package / MODEL_FILE).read_bytes())
        self._model = model  # open_inmemory does not copy: keep the bytes alive
        self._tagger = _open_tagger(model)
        if sorted(self._tagger.labels()) != ["B_W", "I_W"]:
            raise SegmenterLoadError(f"unexpected CRF labels {self._tagger.labels()}")
        self._bi, self._tri = _read_word_lists(package / WORDS_FILE)
        pattern = re.compile(SYLLABLE_PATTERN, re.UNICODE)
        self._findall, self._finditer = pattern.findall, pattern.finditer
        from pycrfsuite import ItemSequence

        self._sequence: Callable[[list[_Feats]], Any] = ItemSequence
        self._cache: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._weights: CrfWeights | None = None
        self._i_w = 1
        try:
            self._use_weights(read_crf_weights(model))
        except SegmenterLoadError as exc:
            log.warning("searcher.segmenter: tagging with crfsuite (%s)", exc)

    def _use_weights(self, weights: CrfWeights) -> None:
        """Decode with ``weights`` from now on, if they tag :data:`_CHECK_SENTENCES` as crfsuite does."""
        if sorted(weights.labels) != ["B_W", "I_W"]:
            raise SegmenterLoadError(f"unexpected CRF labels {weights.labels}")
        state = weights.state
        self._tri_left = tuple(state[a] for a in _TRI_LEFT if a in state)
        self._tri_right = tuple(state[a] for a in _TRI_RIGHT if a in state)
        self._weights, self._i_w = weights, weights.labels.index("I_W")
        self._cache.clear()  # entries made before hold no weights
        for sentence in _CHECK_SENTENCES:
            toks = self._findall(sentence)
            entries, bigram, trigram = self._context(toks)
            items = self._items(entries, bigram, trigram)
            with self._lock:
                expected = [label == "I_W" for label in self._tagger.tag(self._sequence(items))]
            if [label == self._i_w for label in self._decode(entries, bigram, trigram)] != expected:
                self._weights = None
                self._cache.clear()
                raise SegmenterLoadError(f"the model's weights tag {sentence!r} unlike crfsuite")

    def _entry(self, tok: str) -> _Entry:
        """pyvi's word2features pieces for one syllable, true flags only, in pyvi's order."""
        lw = tok.lower()
        upper, title = tok.isupper(), tok.istitle()
        own = [b"bias", ("word.lower():" + lw).encode()]
        if upper:
            own.append(b"word.isupper()")
        if title:
            own.append(b"word.istitle()")
        if tok.isdigit():
            own.append(b"word.isdigit()")
        prev = [("-1:word.lower():" + lw).encode()]
        nxt = [("+1:word.lower():" + lw).encode()]
        if title:
            prev.append(b"-1:word.istitle()")
            nxt.append(b"+1:word.istitle()")
        if upper:
            prev.append(b"-1:word.isupper()")
            nxt.append(b"+1:word.isupper()")
        feats = (tuple(own), tuple(prev), (*prev, *_BI_LEFT), tuple(nxt), (*nxt, *_BI_RIGHT))
        entry = (
            lw,
            *feats,
            tok not in _PUNCT and not tok[0].isdigit(),
            tok[0].istitle(),
            *self._entry_weights(feats),
        )
        cache = self._cache
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        cache[tok] = entry
        return entry

    def _entry_weights(self, feats: tuple[_Feats, ...]) -> tuple:
        """The score of the own features (summed in their order, as crfsuite does) and
        the weights of each other feature tuple's features the model knows."""
        weights = self._weights
        if weights is None:
            return ((), (), (), (), ())
        state = weights.state
        own = [0.0] * len(weights.labels)
        for attr in feats[0]:
            w = state.get(attr)
            if w is not None:
                own = [a + b for a, b in zip(own, w, strict=True)]
        return (tuple(own), *(tuple(state[a] for a in f if a in state) for f in feats[1:]))

    def _context(self, toks: list[str]) -> tuple[list[_Entry], list[bool], list[bool]]:
        """Each syllable's entry, and which windows are pyvi bi-/tri-grams
        (``bigram[j]`` covers ``toks[j:j+2]``, ``trigram[j]`` ``toks[j:j+3]``)."""
        cache = self._cache
        entries = [cache.get(t) or self._entry(t) for t in toks]
        lows = [e[0] for e in entries]
        bi, tri, none = self._bi.get, self._tri.get, _NO_WORDS
        # pyvi looks up ' '.join(words).lower(); that equals the join of the
        # lower-cased words, since a space ends every case-mapping context (final sigma).
        bigram = [b in bi(a, none) for a, b in pairwise(lows)]
        trigram = [c in tri((a, b), none) for a, b, c in zip(lows, lows[1:], lows[2:])]
        return entries, bigram, trigram

    @staticmethod
    def _items(entries: list[_Entry], bigram: list[bool], trigram: list[bool]) -> list[_Feats]:
        """The crfsuite attributes of each syllable: pyvi's ``word2features(toks, i)``
        without its false flags: own features, then those of ``i-1`` (and the
        ``i-1,i`` bigram flag, the ``i-2..i`` trigram flag), then those of ``i+1``
        (and the ``i,i+1`` bigram flag, the ``i..i+2`` trigram flag)."""
        left = [_NONE]
        left += [e[3] if b else e[2] for e, b in zip(entries, bigram)]
        right = [e[5] if b else e[4] for e, b in zip(entries[1:], bigram)]
        right.append(_NONE)
        tri_left = [_NONE, _NONE]
        tri_left += [_TRI_LEFT if t else _NONE for t in trigram]
        tri_right = [_TRI_RIGHT if t else _NONE for t in trigram]
        tri_right += (_NONE, _NONE)
        return [e[1] + lf + tl + rt + tr for e, lf, tl, rt, tr in zip(entries, left, tri_left, right, tri_right)]

    def features(self, toks: list[str]) -> tuple[list[_Entry], list[_Feats]]:
        """The per-syllable entries and crfsuite attributes of a syllable sequence (see :meth:`_items`)."""
        entries, bigram, trigram = self._context(toks)
        return entries, self._items(entries, bigram, trigram)

    def _decode(self, entries: list[_Entry], bigram: list[bool], trigram: list[bool]) -> list[int]:
        """The best label ids, as crfsuite's tagger finds them (crf1d_context.c,
        ``crf1dc_viterbi``, on two labels), from the same sums in the same order.

        A syllable's score per label adds, in order, the weights of its attributes
        (:meth:`_items`); a missing feature adds nothing.  Each step keeps, per
        label, the better previous label, the first one on a tie, as crfsuite does.
        """
        (t00, t01), (t10, t11) = self._weights.transition  # type: ignore[union-attr]
        tri_left, tri_right = self._tri_left, self._tri_right
        n = len(entries)
        last = n - 1
        a0 = a1 = 0.0
        backs: list[tuple[int, int]] = []
        for k in range(n):
            e = entries[k]
            s0, s1 = e[8]
            if k:
                for w0, w1 in entries[k - 1][10] if bigram[k - 1] else entries[k - 1][9]:
                    s0 += w0
                    s1 += w1
                if k > 1 and trigram[k - 2]:
                    for w0, w1 in tri_left:
                        s0 += w0
                        s1 += w1
            if k < last:
                for w0, w1 in entries[k + 1][12] if bigram[k] else entries[k + 1][11]:
                    s0 += w0
                    s1 += w1
                if k < last - 1 and trigram[k]:
                    for w0, w1 in tri_right:
                        s0 += w0
                        s1 += w1
            if not k:
                a0, a1 = s0, s1
                continue
            x, y = a0 + t00, a1 + t10  # into label 0, from label 0 or 1
            b0 = 1 if x < y else 0
            m0 = y if b0 else x
            x, y = a0 + t01, a1 + t11  # into label 1
            b1 = 1 if x < y else 0
            m1 = y if b1 else x
            backs.append((b0, b1))
            a0, a1 = m0 + s0, m1 + s1
        label = 1 if a0 < a1 else 0
        out = [label]
        for b0, b1 in reversed(backs):
            label = b1 if label else b0
            out.append(label)
        out.reverse()
        return out

    def _labelled_i_w(self, entries: list[_Entry], bigram: list[bool], trigram: list[bool]) -> list:
        """Per syllable, a true value where its label is I_W (inside a word)."""
        if self._weights is not None:
            labels = self._decode(entries, bigram, trigram)
            return labels if self._i_w == 1 else [label == self._i_w for label in labels]
        seq = self._sequence(self._items(entries, bigram, trigram))
        with self._lock:
            return [label == "I_W" for label in self._tagger.tag(seq)]

    @staticmethod
    def _glued(entries: list[_Entry], inside: list) -> list[bool]:
        """Whether each syllable is joined to the one before it (the first never is):
        pyvi's rule, I_W, neither syllable punctuation nor starting with a digit, and
        not a capitalised syllable glued after a lower-case one."""
        glued = [False]
        prev = entries[0]
        for i in range(1, len(entries)):
            cur = entries[i]
            glued.append(bool(inside[i] and cur[6] and prev[6] and (prev[7] or not cur[7])))
            prev = cur
        return glued

    def tokenize(self, sentence: str) -> str:
        toks: list[str] = self._findall(unicodedata.normalize("NFC", sentence))
        if not toks:
            return sentence
        entries, bigram, trigram = self._context(toks)
        glued = self._glued(entries, self._labelled_i_w(entries, bigram, trigram))
        out = [toks[0]]
        for tok, g in zip(toks[1:], glued[1:]):
            out.append("_" if g else " ")
            out.append(tok)
        return "".join(out)

    def compound_spans(self, sentence: str) -> tuple[tuple[int, int], ...] | None:
        """``(start, end)`` in ``sentence`` of each word of two or more syllables, or
        None if the sentence is not plain: not NFC, or holding ``_`` or a newline
        (which :func:`tokenize`'s output cannot be mapped back to this way).
        The words are those :meth:`tokenize` joins with ``_``."""
        if "_" in sentence or "\n" in sentence or not unicodedata.is_normalized("NFC", sentence):
            return None
        matches = list(self._finditer(sentence))
        if not matches:
            return ()
        entries, bigram, trigram = self._context([m.group() for m in matches])
        glued = self._glued(entries, self._labelled_i_w(entries, bigram, trigram))
        spans = []
        start = -1
        for i in range(1, len(matches)):
            if glued[i]:
                if start < 0:
                    start = matches[i - 1].start()
            elif start >= 0:
                spans.append((start, matches[i - 1].end()))
                start = -1
        if start >= 0:
            spans.append((start, matches[-1].end()))
        return tuple(spans)


class _Pyvi:
    """The fallback: pyvi itself (imports scikit-learn)."""

    name = "pyvi"

    def __init__(self) -> None:
        from pyvi import ViTokenizer

        self._tokenize: Callable[[str], str] = ViTokenizer.tokenize
        self._lock = threading.Lock()

    def tokenize(self, sentence: str) -> str:
        with self._lock:
            return self._tokenize(sentence)

    def compound_spans(self, sentence: str) -> tuple[tuple[int, int], ...] | None:
        return None  # read from tokenize's output instead


_engine: _Native | _Pyvi | None = None
_engine_lock = threading.Lock()


def _load(package: Path | None = None) -> _Native | _Pyvi:
    """The native segmenter on pyvi's model, or pyvi itself (with a warning)."""
    try:
        return _Native(package if package is not None else pyvi_dir())
    except Exception as exc:  # noqa: BLE001 - any failure means: use pyvi
        msg = (
            f"searcher.segmenter: cannot load pyvi's model without scikit-learn ({exc!r}); "
            "falling back to pyvi.ViTokenizer (same output, slower, imports scikit-learn)"
        )
        log.warning(msg)
        warnings.warn(msg, RuntimeWarning, stacklevel=4)
        return _Pyvi()


def _get() -> _Native | _Pyvi:
    global _engine
    engine = _engine
    if engine is None:
        with _engine_lock:
            engine = _engine
            if engine is None:
                engine = _engine = _load()
    return engine


def tokenize(sentence: str) -> str:
    """Segment one sentence into words, exactly as ``pyvi.ViTokenizer.tokenize``.

    Syllables of a word are joined by ``_``, tokens by one space
    (``"Đảng viên"`` → ``"Đảng_viên"``).  The text is NFC-normalised first,
    as pyvi does; a sentence without any token is returned unchanged.
    """
    return _get().tokenize(sentence)


def compound_spans(sentence: str) -> tuple[tuple[int, int], ...] | None:
    """``(start, end)`` offsets in ``sentence`` of the words of two or more syllables
    that :func:`tokenize` finds, straight from the syllables' positions; None when
    they must be read from :func:`tokenize`'s output instead (a sentence that is
    not NFC or holds ``_`` or a newline, or the pyvi fallback)."""
    return _get().compound_spans(sentence)


def backend() -> str:
    """``"native"`` (pyvi's model, no scikit-learn) or ``"pyvi"`` (the fallback).

    Loads the model if it is not loaded yet.
    """
    return _get().name
