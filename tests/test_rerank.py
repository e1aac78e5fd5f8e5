"""The best-match re-ranker's passage measures, against their plain definitions."""

from __future__ import annotations

import math
import random

import pytest

from searcher.normalise import fold, norm_syllable
from searcher.rerank import WINDOW, WINDOW_STEP, _sentences, best_window_coverage


def window_coverage_by_definition(sentences: list[list[str]], weights: dict[str, float]) -> float:
    """Every window of WINDOW syllables, WINDOW_STEP apart: the IDF mass of the distinct query terms in it."""
    flat = [t for toks in sentences for t in toks]
    return max(
        (sum(weights[t] for t in set(flat[i : i + WINDOW]) & weights.keys())
         for i in range(0, max(1, len(flat) - WINDOW + 1), WINDOW_STEP)),
        default=0.0,
    )


@pytest.mark.parametrize("seed", range(40))
def test_window_coverage_is_the_best_window_by_definition(seed):
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(rng.choice([3, 12, 60]))]
    weights = {t: rng.uniform(0.1, 5.0) for t in rng.sample(vocab, k=rng.randint(1, len(vocab)))}
    sentences = [[rng.choice(vocab) for _ in range(rng.randint(0, 40))] for _ in range(rng.randint(0, 12))]
    got = best_window_coverage(sentences, weights)
    assert math.isclose(got, window_coverage_by_definition(sentences, weights), rel_tol=1e-12, abs_tol=0.0)


def test_window_coverage_of_a_passage_without_query_terms_is_zero():
    assert best_window_coverage([["a", "b"], ["c"]], {"x": 1.0}) == 0.0
    assert best_window_coverage([], {"x": 1.0}) == 0.0


def test_sentences_read_syllables_as_the_index_does():
    body = "Đồng chí Nguyễn Văn A phát biểu. Hoà bình, HÒA BÌNH; qủa là tíếng nói!\nBuớc tiếp"
    plain, folded = _sentences(body, False), _sentences(body, True)
    words = [w for s in plain for w in s]
    assert len(plain) == 4
    assert words[:3] == [norm_syllable(w) for w in ("Đồng", "chí", "Nguyễn")]
    assert {"hòa", "quả", "tiếng", "bước"} <= set(words)
    assert [w for s in folded for w in s] == [fold(w) for w in words]
