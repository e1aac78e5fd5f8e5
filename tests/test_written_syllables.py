"""Which written syllables of a text stand for a query's terms
(:class:`searcher.analysis.WrittenSyllables`), against the definition: each
syllable normalised and folded as the index does."""

from __future__ import annotations

import random
import threading

import pytest

from searcher import analysis
from searcher.analysis import WrittenSyllables, title_fields
from searcher.normalise import SYLLABLE_RE, fold, norm_syllable

# Real spellings of one word each: tone styles, case, i/y, qui/quy, missing horns, doubled tones.
SLIPS = "Hoà hòa HÒA hoà. Lí lý LÝ kĩ kỹ; qui quy Quy. buớc bước ngừoi người tíếng tiếng Đảng đảng dang"


def kept_by_definition(raws: set[str], norms: set[str], folds: set[str]) -> dict[str, tuple[str, str]]:
    out = {}
    for raw in raws:
        norm = norm_syllable(raw)
        if norm in norms or fold(norm) in folds:
            out[raw] = (norm, fold(norm))
    return out


def test_every_spelling_of_a_term_is_found():
    raws = set(SYLLABLE_RE.findall(SLIPS))
    got = WrittenSyllables(norms={"hòa", "lý", "bước"}, folds={"quy", "dang"}).kept_of(raws)
    assert set(got) == {"Hoà", "hòa", "HÒA", "hoà", "Lí", "lý", "LÝ", "buớc", "bước", "qui", "quy", "Quy"} | {
        "Đảng",
        "đảng",
        "dang",
    }
    assert got["HÒA"] == ("hòa", "hoa") and got["Lí"] == ("lý", "ly")


@pytest.mark.parametrize("cache_size", [7, 200_000])
def test_kept_syllables_are_the_definitions_also_when_the_cache_fills(corpus_dir, monkeypatch, cache_size):
    """Texts read one after another, the cache replaced every few syllables when it is small."""
    monkeypatch.setattr(analysis, "_FORMS_MAX", cache_size)
    monkeypatch.setattr(analysis, "_CACHE", analysis._FormCache())
    texts = [p.read_text(encoding="utf-8") for p in sorted(corpus_dir.glob("*.txt"))] + [SLIPS]
    rng = random.Random(3)
    words = sorted({w for t in texts for w in SYLLABLE_RE.findall(t)})
    for _ in range(30):
        picked = rng.sample(words, 8)
        norms = {norm_syllable(w) for w in picked[:4]}
        folds = {fold(norm_syllable(w)) for w in picked[4:]}
        written = WrittenSyllables(norms, folds)
        for text in texts:
            raws = set(SYLLABLE_RE.findall(text))
            assert written.kept_of(raws) == kept_by_definition(raws, norms, folds)
    # bounded, though only queries fill it: at most one text's syllables past the limit
    assert len(analysis._CACHE.of) < cache_size + max(len(set(SYLLABLE_RE.findall(t))) for t in texts)


def test_threads_reading_side_by_side_agree_with_the_definition(corpus_dir, monkeypatch):
    """Several threads learn new syllables at once while the small cache is replaced."""
    monkeypatch.setattr(analysis, "_FORMS_MAX", 50)
    monkeypatch.setattr(analysis, "_CACHE", analysis._FormCache())
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(corpus_dir.glob("*.txt")))
    words = sorted(set(SYLLABLE_RE.findall(text)))
    wrong: list[str] = []

    def read(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(40):
            chunk = set(rng.sample(words, 60))
            norms = {norm_syllable(w) for w in rng.sample(sorted(chunk), 10)}
            got = WrittenSyllables(norms=norms).kept_of(chunk)
            if got != kept_by_definition(chunk, norms, set()):
                wrong.append(f"seed {seed}")
            title_fields(rng.choice(words))  # the index pass's path, filling the cache too

    threads = [threading.Thread(target=read, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
