"""Second-stage ranking for long, question-like queries.

BM25 scores a passage by its terms anywhere.  A question's answer usually sits
in one sentence, or a short stretch of text, that holds most of the
question's rarer words together, often in the question's own order.
:func:`rerank` adds to each candidate's BM25F score (as a share of the top
one) three shares of the query's IDF mass:

* the query terms found in the passage's best sentence;
* the query terms found in its best window of :data:`WINDOW` syllables;
* the query's runs of three syllables found as such in the passage (adjacent
  pairs already count in the first stage, through the ``pair_fold`` field).

It runs on the top candidates only, on stored text, with the same syllable
normalisation the index used (no word segmentation), and keeps of each text
only where the query's syllables stand (:class:`Passage`).  Where the index
stores each body's layout (:class:`searcher.analysis.Layout`), the passage is
read from it, without reading the body again.

Measured with ``bantin eval`` (see README, "Ranking quality").
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass, field

from .analysis import READ, Layout, WrittenSyllables

RERANK_DEPTH = 30  # candidates re-scored
SENTENCE_WEIGHT = 0.5  # best sentence's share of the query's IDF mass
WINDOW_WEIGHT = 0.5  # best window's share
TRIPLE_WEIGHT = 0.5  # share of the query's runs of three syllables found as such
WINDOW = 30  # syllables
WINDOW_STEP = 5


@dataclass(frozen=True)
class Candidate:
    docnum: int
    score: float
    body: str
    layout: Layout | None = None  # the body's stored layout, if the index has it


def idf(doc_count: int, doc_freq: int) -> float:
    """BM25's IDF, never negative."""
    return math.log(1 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))


@dataclass
class Passage:
    """A candidate's stored text as far as one query cares: where the syllables
    that are query terms (or parts of its runs of three) stand.

    ``at``: their syllable positions in the whole text, ascending; ``sentence``:
    the sentence each stands in; ``terms``: its indexed form; ``length``: the
    syllables of the whole text.  The other syllables are counted, not kept:
    the measures below only ever look at query terms.
    """

    at: list[int]
    sentence: list[int]
    terms: list[str]
    length: int
    # every distinct syllable of the text as written (what its snippet is matched against)
    syllables: set[str] = field(default_factory=set, compare=False, repr=False)


def wanted_syllables(folded: bool, wanted) -> WrittenSyllables:
    """The written syllables whose indexed form (folded when ``folded``) is in ``wanted``."""
    return WrittenSyllables(folds=wanted) if folded else WrittenSyllables(norms=wanted)


def read_passage(
    body: str, folded: bool, wanted, seen: WrittenSyllables | None = None, layout: Layout | None = None
) -> Passage:
    """The :class:`Passage` of ``body`` for the indexed forms in ``wanted``
    (folded ones when ``folded``), read as the index reads syllables; ``seen``
    (:func:`wanted_syllables`) carries what earlier passages of the query taught.
    With the body's stored ``layout``, the body itself is not read."""
    seen = wanted_syllables(folded, wanted) if seen is None else seen
    if layout is not None:
        return _laid_out_passage(layout, 1 if folded else 0, seen)
    items = READ.findall(body)  # syllables, and "" for each sentence end
    distinct = set(items)
    distinct.discard("")
    form = 1 if folded else 0
    table = {raw: forms[form] for raw, forms in seen.kept_of(distinct).items()}  # the wanted ones here
    at: list[int] = []
    sentence: list[int] = []
    terms: list[str] = []
    if not table:
        return Passage(at, sentence, terms, len(items) - items.count(""), distinct)
    get = table.get
    pos = k = 0
    for raw in items:
        if raw:
            term = get(raw)
            if term is not None:
                at.append(pos)
                sentence.append(k)
                terms.append(term)
            pos += 1
        else:
            k += 1
    return Passage(at, sentence, terms, pos, distinct)


def _laid_out_passage(layout: Layout, form: int, seen: WrittenSyllables) -> Passage:
    """:func:`read_passage` from a stored :class:`Layout`: the same passage."""
    import numpy as np

    distinct = layout.distinct()
    table = {raw: forms[form] for raw, forms in seen.kept_of(distinct).items()}
    ids, ends = layout.positions()
    if not table:
        return Passage([], [], [], len(ids), distinct)
    listed = layout.listed
    forms = sorted(set(table.values()))
    code = np.full(len(listed), -1, dtype=np.int32)  # id -> its term's place in forms, or -1
    for raw, term in table.items():
        code[bisect_left(listed, raw)] = bisect_left(forms, term)
    coded = code[ids]
    at = np.flatnonzero(coded >= 0)
    sentence = np.searchsorted(ends, at, side="right")  # the ends before each syllable
    return Passage(at.tolist(), sentence.tolist(), [forms[c] for c in coded[at].tolist()], len(ids), distinct)


def best_sentence_coverage(p: Passage, weights: dict[str, float]) -> float:
    """Largest IDF mass of distinct query terms inside one sentence."""
    by_sentence: dict[int, set[str]] = {}
    for k, t in zip(p.sentence, p.terms):
        if t in weights:
            by_sentence.setdefault(k, set()).add(t)
    return max((sum(weights[t] for t in ts) for ts in by_sentence.values()), default=0.0)


def best_window_coverage(p: Passage, weights: dict[str, float]) -> float:
    """Largest IDF mass of distinct query terms inside a window of WINDOW syllables
    (windows start every WINDOW_STEP syllables)."""
    import numpy as np

    at = np.array([a for a, t in zip(p.at, p.terms) if t in weights], dtype=np.int64)
    if not len(at):
        return 0.0
    terms = [t for t in p.terms if t in weights]
    starts = np.arange(0, max(1, p.length - WINDOW + 1), WINDOW_STEP)
    # Each window's query terms are terms[lo:hi]; lo and hi never decrease from one
    # window to the next.  Only the windows no other one contains can score best:
    # of equal neighbours one is kept, then a window goes if its predecessor ends
    # where it ends or its successor starts where it starts.
    lo = np.searchsorted(at, starts, "left")
    hi = np.searchsorted(at, starts + WINDOW, "left")
    some = hi > lo
    lo, hi = lo[some], hi[some]
    if not len(lo):
        return 0.0
    new = np.ones(len(lo), dtype=bool)
    new[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    lo, hi = lo[new], hi[new]
    inside = np.zeros(len(lo), dtype=bool)
    inside[1:] |= hi[1:] == hi[:-1]
    inside[:-1] |= lo[:-1] == lo[1:]
    spans = zip(lo[~inside].tolist(), hi[~inside].tolist())
    return max(sum(weights[t] for t in set(terms[a:b])) for a, b in spans)


def adjacency(p: Passage, ngrams: dict[tuple, float]) -> float:
    """IDF mass of the query's n-grams (pairs, triples) that stand as such, side
    by side in one sentence, in the passage (their syllables must be ``wanted``)."""
    if not ngrams:
        return 0.0
    n = len(next(iter(ngrams)))
    found = set()
    at, sentence, terms = p.at, p.sentence, p.terms
    for i in range(len(at) - n + 1):
        j = i + n - 1
        if at[j] - at[i] == n - 1 and sentence[j] == sentence[i]:  # n consecutive syllables of one sentence
            g = tuple(terms[i : j + 1])
            if g in ngrams:
                found.add(g)
    return sum(ngrams[g] for g in found)


def rerank(
    cands: list[Candidate],
    weights: dict[str, float],
    folded: bool,
    triples: dict[tuple[str, str, str], float] | None = None,
    read: dict[int, set[str]] | None = None,
) -> list[tuple[int, float]]:
    """Re-score candidates: BM25F / top BM25F + weighted coverage and triple shares.
    ``read``, if given, gets each candidate's distinct written syllables (its snippet's)."""
    if not cands:
        return []
    triples = triples or {}
    total = sum(weights.values()) or 1.0
    triple_total = sum(triples.values()) or 1.0
    top = max(c.score for c in cands) or 1.0
    wanted = set(weights).union(*triples)
    seen = wanted_syllables(folded, wanted)
    scored = []
    for c in cands:
        passage = read_passage(c.body, folded, wanted, seen, c.layout)
        if read is not None:
            read[c.docnum] = passage.syllables
        score = c.score / top
        score += SENTENCE_WEIGHT * best_sentence_coverage(passage, weights) / total
        score += WINDOW_WEIGHT * best_window_coverage(passage, weights) / total
        score += TRIPLE_WEIGHT * adjacency(passage, triples) / triple_total
        scored.append((c.docnum, score))
    scored.sort(key=lambda x: -x[1])
    return scored
