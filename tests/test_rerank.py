"""The best-match re-ranker's passage measures, against their plain definitions
(every syllable of a text read and kept, every window and sentence tried)."""

from __future__ import annotations

import math
import random
import re

import pytest

from searcher.analysis import Layout
from searcher.normalise import SYLLABLE_RE, fold, norm_syllable
from searcher.rerank import (
    WINDOW,
    WINDOW_STEP,
    Candidate,
    Passage,
    adjacency,
    best_sentence_coverage,
    best_window_coverage,
    read_passage,
    rerank,
)

_SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n+")


# --- the definitions -------------------------------------------------------------------------


def sentences_by_definition(body: str, folded: bool) -> list[list[str]]:
    """Every syllable of every sentence, in its indexed form."""
    out = []
    for sentence in _SENTENCE.split(body):
        forms = [norm_syllable(raw) for raw in SYLLABLE_RE.findall(sentence)]
        out.append([fold(f) for f in forms] if folded else forms)
    return out


def sentence_coverage_by_definition(sentences: list[list[str]], weights: dict[str, float]) -> float:
    return max((sum(weights[t] for t in set(toks) & weights.keys()) for toks in sentences), default=0.0)


def window_coverage_by_definition(sentences: list[list[str]], weights: dict[str, float]) -> float:
    """Every window of WINDOW syllables, WINDOW_STEP apart: the IDF mass of the distinct query terms in it."""
    flat = [t for toks in sentences for t in toks]
    return max(
        (
            sum(weights[t] for t in set(flat[i : i + WINDOW]) & weights.keys())
            for i in range(0, max(1, len(flat) - WINDOW + 1), WINDOW_STEP)
        ),
        default=0.0,
    )


def adjacency_by_definition(sentences: list[list[str]], ngrams: dict[tuple, float]) -> float:
    found = {g for toks in sentences for g in zip(toks, toks[1:], toks[2:]) if g in ngrams}
    return sum(ngrams[g] for g in found)


def passage_of(sentences: list[list[str]], wanted) -> Passage:
    """A Passage made from syllables already read (for the random cases)."""
    at, sentence, terms, pos = [], [], [], 0
    for k, toks in enumerate(sentences):
        for t in toks:
            if t in wanted:
                at.append(pos)
                sentence.append(k)
                terms.append(t)
            pos += 1
    return Passage(at, sentence, terms, pos)


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


# --- random passages ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(40))
def test_each_measure_is_its_definition(seed):
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(rng.choice([3, 12, 60]))]
    weights = {t: rng.uniform(0.1, 5.0) for t in rng.sample(vocab, k=rng.randint(1, len(vocab)))}
    sentences = [[rng.choice(vocab) for _ in range(rng.randint(0, 40))] for _ in range(rng.randint(0, 12))]
    flat = [t for toks in sentences for t in toks]
    triples = {tuple(rng.choice(vocab) for _ in range(3)): rng.uniform(0.1, 3.0) for _ in range(rng.randint(0, 6))}
    for i in range(0, len(flat) - 2, max(1, len(flat) // 3)):  # some that occur (across a sentence end too)
        triples[tuple(flat[i : i + 3])] = rng.uniform(0.1, 3.0)
    p = passage_of(sentences, set(weights).union(*triples))
    assert close(best_window_coverage(p, weights), window_coverage_by_definition(sentences, weights))
    assert close(best_sentence_coverage(p, weights), sentence_coverage_by_definition(sentences, weights))
    assert close(adjacency(p, triples), adjacency_by_definition(sentences, triples))


def test_a_passage_without_query_terms_scores_nothing():
    p = passage_of([["a", "b"], ["c"]], {"x"})
    assert best_window_coverage(p, {"x": 1.0}) == 0.0 == best_sentence_coverage(p, {"x": 1.0})
    empty = read_passage("", False, {"x"})
    assert empty.length == 0 and best_window_coverage(empty, {"x": 1.0}) == 0.0


# --- real text ---------------------------------------------------------------------------------

BODY = "Đồng chí Nguyễn Văn A phát biểu. Hoà bình, HÒA BÌNH; qủa là tíếng nói!\nBuớc tiếp: hòa bình là mục tiêu"


@pytest.mark.parametrize("folded", [False, True])
def test_a_passage_reads_syllables_as_the_index_does(folded):
    sentences = sentences_by_definition(BODY, folded)
    wanted = {fold(w) if folded else w for w in ("hòa", "bình", "quả", "tiếng", "bước", "mục")}
    p = read_passage(BODY, folded, wanted)
    assert p == passage_of(sentences, wanted)
    assert p.length == sum(map(len, sentences)) and len(p.at) == 10
    laid_out = read_passage("", folded, wanted, layout=Layout.of_text(BODY))  # the stored layout alone
    assert laid_out == p and laid_out.syllables == p.syllables


@pytest.mark.parametrize("seed", range(30))
def test_sentence_ends_and_syllables_are_read_as_the_definition_splits_them(seed):
    """Punctuation, spaces and newlines in every order: the same syllables, at the
    same positions, in the same sentences as splitting at the definition's ends."""
    rng = random.Random(seed)
    words = ["hòa", "Hoà", "bình", "tíếng", "x_y", "21", "KL"]
    pieces = words + [" ", "  ", "\n", "\n\n", "\t", ".", "..", ";", ":", "!", "?", ",", "-", "…", " \n "]
    body = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 80)))
    for folded in (False, True):
        wanted = {fold(w) if folded else w for w in ("hòa", "bình", "tiếng", "21", "x", "y")}
        p = read_passage(body, folded, wanted)
        assert p == passage_of(sentences_by_definition(body, folded), wanted), body
        assert p.syllables == set(SYLLABLE_RE.findall(body))  # what the snippet of the text reads
        laid_out = read_passage(body, folded, wanted, layout=Layout.of_text(body))
        assert laid_out == p and laid_out.syllables == p.syllables, body


def test_passages_from_stored_layouts_are_those_of_the_bodies(corpus_dir):
    """The seed bulletins, wanted forms drawn from their own syllables (common and
    rare, with and without diacritics) and absent ones: the same passages."""
    rng = random.Random(5)
    bodies = [p.read_text(encoding="utf-8") for p in sorted(corpus_dir.glob("*.txt"))]
    assert bodies
    for body in bodies:
        layout = Layout.of_text(body)
        raws = SYLLABLE_RE.findall(body)
        for folded in (False, True):
            for size in (1, 5, 20):
                forms = {norm_syllable(r) for r in rng.sample(raws, min(size, len(raws)))} | {"vắngmặt"}
                wanted = {fold(f) for f in forms} if folded else forms
                p = read_passage(body, folded, wanted)
                assert p.at and read_passage(body, folded, wanted, layout=layout) == p


def test_rerank_scores_the_seed_bulletins_as_the_definitions_do(corpus_dir):
    """Whole bulletins, queries made of their own syllables (and absent ones),
    with and without diacritics: the scores of the definitions."""
    bodies = [p.read_text(encoding="utf-8") for p in sorted(corpus_dir.glob("*.txt"))]
    rng = random.Random(7)
    for folded in (False, True):
        cands = [Candidate(i, rng.uniform(1, 20), body) for i, body in enumerate(bodies)]
        read = [sentences_by_definition(body, folded) for body in bodies]
        for _ in range(25):
            flat = [t for toks in rng.choice(read) for t in toks]
            start = rng.randrange(max(1, len(flat) - 8))
            run = flat[start : start + rng.randint(3, 8)]
            weights = {t: rng.uniform(0.5, 6.0) for t in [*run, "zorvakin"]}
            triples = {g: sum(weights[t] for t in g) for g in zip(run, run[1:], run[2:])}
            got = dict(rerank(cands, weights, folded, triples))
            total, triple_total = sum(weights.values()), sum(triples.values()) or 1.0
            top = max(c.score for c in cands)
            for c, sentences in zip(cands, read):
                want = (
                    c.score / top
                    + 0.5 * sentence_coverage_by_definition(sentences, weights) / total
                    + 0.5 * window_coverage_by_definition(sentences, weights) / total
                    + 0.5 * adjacency_by_definition(sentences, triples) / triple_total
                )
                assert close(got[c.docnum], want), (folded, run)


class _Counting:
    """A compiled pattern that counts the texts it is asked to read whole."""

    def __init__(self, pattern):
        self.pattern, self.texts = pattern, []

    def findall(self, text, *args):
        self.texts.append(text)
        return self.pattern.findall(text, *args)


def test_a_search_reads_its_hits_and_candidates_from_their_stored_layouts(seed_searcher, monkeypatch):
    """Snippets and the re-ranker take each bulletin's syllables from its stored
    layout: no body is read whole again, in either mode (a question read as best
    match re-ranks 30 candidates); the answers are those of reading the bodies."""
    from searcher import rerank as rr
    from searcher import snippets

    question = "Hội nghị giao ban công tác tổ chức xây dựng Đảng các tỉnh miền núi phía Bắc đã thảo luận những nội dung gì"
    queries = ["Kết luận 21", "dang vien moi", "đảng viên mới", question]
    want = [seed_searcher.search(q).to_dict() for q in queries]
    assert seed_searcher.search(question).mode == "best"
    reads = _Counting(rr.READ)
    syllables = _Counting(snippets.SYLLABLE_RE)
    monkeypatch.setattr(rr, "READ", reads)
    monkeypatch.setattr(snippets, "SYLLABLE_RE", syllables)
    got = [seed_searcher.search(q).to_dict() for q in queries]
    assert got == want
    assert reads.texts == [] and syllables.texts == []
    # an index without layouts (built before them): the bodies are read, the same answers
    monkeypatch.setattr("searcher.search.stored_layout", lambda fields: None)
    assert [seed_searcher.search(q).to_dict() for q in queries] == want
    assert reads.texts and syllables.texts
