"""The index's vocabulary file: format 2 (packed strings, read a key at a time),
and format 1 (written by earlier versions) still read, with the same answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from searcher import layout, vocab


def _gen(index: Path) -> Path:
    return layout.current_generation(index).path


def test_a_build_writes_packed_forms(seed_index):
    data = json.loads((_gen(seed_index) / vocab.VOCAB).read_text(encoding="utf-8"))
    assert data["format"] == 2 and "words" not in data
    assert all(isinstance(v, str) for v in data["syl_forms"].values())
    voc = vocab.load(_gen(seed_index))
    assert isinstance(voc.syl_forms, vocab.PackedForms)
    assert voc.syllable_df("đảng") > 0 and voc.folded_df("dang") >= voc.syllable_df("đảng")
    assert voc.is_word("đảng_viên") and not voc.is_word("viên_đảng")
    assert voc.word_candidates("dang_vien")[0][0] == "đảng_viên"


def test_packing_round_trips():
    forms = {"ket": [("kết", 812), ("kệt", 3)], "ban_chap_hanh": [("ban_chấp_hành", 40)]}
    packed = vocab.pack(forms)
    assert packed == {"ket": "kết:812 kệt:3", "ban_chap_hanh": "ban_chấp_hành:40"}
    assert dict(vocab.PackedForms(packed)) == forms


def test_format_1_is_still_read_with_the_same_answers(tmp_path, seed_index):
    new = vocab.load(_gen(seed_index))
    words = {w: df for forms in new.word_forms.values() for w, df in forms}
    old = {
        "format": 1,
        "syl_forms": {k: [list(x) for x in v] for k, v in new.syl_forms.items()},
        "word_forms": {k: [list(x) for x in v[: vocab.MAX_FORMS]] for k, v in new.word_forms.items()},
        "words": words,
        "abbreviations": [],
    }
    (tmp_path / vocab.VOCAB).write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    voc = vocab.load(tmp_path)
    for word in list(words)[:200] + ["viên_đảng", "không_có"]:
        assert voc.is_word(word) == new.is_word(word), word
    for key in list(new.syl_forms)[:200]:
        assert [tuple(x) for x in voc.syllable_forms(key)] == new.syllable_forms(key)
        assert voc.folded_df(key) == new.folded_df(key)
    for key in list(new.word_forms)[:200]:
        assert [tuple(x) for x in voc.word_candidates(key)] == new.word_candidates(key)


@pytest.mark.parametrize(
    "data",
    [{"format": 3}, {"format": 2, "syl_forms": [], "word_forms": {}}, {"format": 2, "word_forms": {}}, [1, 2]],
)
def test_a_file_of_another_shape_is_refused(tmp_path, data):
    (tmp_path / vocab.VOCAB).write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError):
        vocab.load(tmp_path)


def test_doc_frequencies_sum_the_segments_as_whoosh_does(tmp_path):
    """Read segment by segment, the same counts as whoosh's reader over all of them."""
    from whoosh import index as windex

    from searcher import whoosh_internals as wi
    from searcher.schema import build_schema

    ix = windex.create_in(str(tmp_path), build_schema())
    for texts in (["Kết luận 21 của Bộ Chính trị", "Hà Nội"], ["Bộ Chính trị họp", "kết luận", "Hà Giang"]):
        w = wi.open_writer(ix)
        for t in texts:
            w.add_document(id=t, syl=t, title=t)
        wi.commit_segments(w, wi.merge_segments(w, lambda _w, segments: segments))
    try:
        with ix.reader() as r:
            assert len(r.leaf_readers()) == 2
            for field in ("syl", "title"):
                want = {b.decode("utf-8"): info.doc_frequency() for b, info in r.iter_field(field)}
                assert want["bộ"] == 2 and want["giang"] == 1
                assert vocab.doc_frequencies(r, field) == want
    finally:
        ix.close()
