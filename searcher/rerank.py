"""Second-stage ranking for long, question-like queries.

BM25 scores a passage by its terms anywhere.  A question's answer usually sits
in one sentence, or a short stretch of text, that holds most of the
question's rarer words together, often in the question's own order.
:func:`rerank` adds to each candidate's BM25F score (as a share of the top
one) three shares of the query's IDF mass:

* the query terms found in the passage's best sentence;
* the query terms found in its best window of :data:`WINDOW` syllables;
* the query's runs of three syllables found as such in the passage (adjacent
  pairs already count in the first stage, through the ``pair`` field).

It runs on the top candidates only, on stored text, with the same syllable
normalisation the index used (no word segmentation).

Measured with ``bantin eval`` (see README, "Ranking quality").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .analysis import syllable_forms
from .normalise import SYLLABLE_RE

RERANK_DEPTH = 30  # candidates re-scored
SENTENCE_WEIGHT = 0.5  # best sentence's share of the query's IDF mass
WINDOW_WEIGHT = 0.5  # best window's share
TRIPLE_WEIGHT = 0.5  # share of the query's runs of three syllables found as such
WINDOW = 30  # syllables
WINDOW_STEP = 5

_SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n+")


@dataclass(frozen=True)
class Candidate:
    docnum: int
    score: float
    body: str


def idf(doc_count: int, doc_freq: int) -> float:
    """BM25's IDF, never negative."""
    return math.log(1 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))


def _sentences(body: str, folded: bool) -> list[list[str]]:
    """The passage's sentences as their syllables' indexed forms (folded ones when ``folded``)."""
    form = 1 if folded else 0
    parts = [SYLLABLE_RE.findall(sentence) for sentence in _SENTENCE.split(body)]
    table = {raw: syllable_forms(raw)[form] for raw in set().union(*parts)}  # each distinct syllable once
    return [[table[t] for t in toks] for toks in parts]


def best_sentence_coverage(sentences: list[list[str]], weights: dict[str, float]) -> float:
    """Largest IDF mass of distinct query terms inside one sentence."""
    return max((sum(weights[t] for t in set(toks) & weights.keys()) for toks in sentences), default=0.0)


def best_window_coverage(sentences: list[list[str]], weights: dict[str, float]) -> float:
    """Largest IDF mass of distinct query terms inside a window of WINDOW syllables."""
    # Only the syllables that are query terms matter: each window takes those in its span.
    at: list[int] = []
    terms: list[str] = []
    pos = 0
    for toks in sentences:
        for t in toks:
            if t in weights:
                at.append(pos)
                terms.append(t)
            pos += 1
    best = 0.0
    lo = hi = 0
    seen = (0, 0)
    for i in range(0, max(1, pos - WINDOW + 1), WINDOW_STEP):
        while lo < len(at) and at[lo] < i:
            lo += 1
        hi = max(hi, lo)
        while hi < len(at) and at[hi] < i + WINDOW:
            hi += 1
        if (lo, hi) != seen:  # windows holding the same terms score the same
            seen = (lo, hi)
            best = max(best, sum(weights[t] for t in set(terms[lo:hi])))
    return best


def adjacency(sentences: list[list[str]], ngrams: dict[tuple, float]) -> float:
    """IDF mass of the query's n-grams (pairs, triples) that stand as such in the passage."""
    if not ngrams:
        return 0.0
    n = len(next(iter(ngrams)))
    found = {g for toks in sentences for g in zip(*(toks[i:] for i in range(n))) if g in ngrams}
    return sum(ngrams[g] for g in found)


def rerank(
    cands: list[Candidate],
    weights: dict[str, float],
    folded: bool,
    triples: dict[tuple[str, str, str], float] | None = None,
) -> list[tuple[int, float]]:
    """Re-score candidates: BM25F / top BM25F + weighted coverage and triple shares."""
    if not cands:
        return []
    triples = triples or {}
    total = sum(weights.values()) or 1.0
    triple_total = sum(triples.values()) or 1.0
    top = max(c.score for c in cands) or 1.0
    scored = []
    for c in cands:
        sents = _sentences(c.body, folded)
        score = c.score / top
        score += SENTENCE_WEIGHT * best_sentence_coverage(sents, weights) / total
        score += WINDOW_WEIGHT * best_window_coverage(sents, weights) / total
        score += TRIPLE_WEIGHT * adjacency(sents, triples) / triple_total
        scored.append((c.docnum, score))
    scored.sort(key=lambda x: -x[1])
    return scored
