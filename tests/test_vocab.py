"""The index's vocabulary file: format 3 (a SQLite table of packed strings, read a
key at a time), and formats 2 and 1 (JSON, written by earlier versions) still read,
with the same answers."""

from __future__ import annotations

import json
import sqlite3
import struct
import threading
from pathlib import Path

import pytest

from searcher import layout, vocab


def _gen(index: Path) -> Path:
    return layout.current_generation(index).path


def test_a_build_writes_packed_forms_in_a_table(seed_index):
    gen = _gen(seed_index)
    assert not (gen / vocab.JSON_VOCAB).exists()
    con = sqlite3.connect(gen / vocab.VOCAB)
    try:
        assert dict(con.execute("SELECT name, value FROM meta"))["format"] == "3"
        rows = con.execute("SELECT kind, key, packed FROM forms").fetchall()
    finally:
        con.close()
    assert {kind for kind, _, _ in rows} == {0, 1} and all(isinstance(p, str) and ":" in p for _, _, p in rows)
    voc = vocab.load(gen)
    assert isinstance(voc.syl_forms, vocab.StoredForms)
    assert voc.syllable_df("đảng") > 0 and voc.folded_df("dang") >= voc.syllable_df("đảng")
    assert voc.is_word("đảng_viên") and not voc.is_word("viên_đảng")
    assert voc.word_candidates("dang_vien")[0][0] == "đảng_viên"
    assert "khôngcó" not in voc.syl_forms and voc.syl_forms.get("khôngcó") is None  # asked twice: remembered absent
    assert len(voc.syl_forms) == sum(1 for kind, _, _ in rows if kind == 0) == len(list(voc.syl_forms))
    assert dict(voc.syl_forms.items()) == {k: voc.syl_forms[k] for k in voc.syl_forms}


def test_a_stored_vocabulary_asks_sqlite_once_per_key_and_once_for_its_size(seed_index):
    """Every query asks whether there is a vocabulary (its size) and looks keys up
    again and again: each is one statement, the first time only."""
    voc = vocab.load(_gen(seed_index))
    statements: list[str] = []
    voc.syl_forms._con.set_trace_callback(statements.append)
    for _ in range(3):
        assert voc.syl_forms and len(voc.syl_forms) > 100
        assert voc.syllable_forms("dang") and voc.syl_forms.get("khôngcó") is None
    assert len(statements) == 3, statements  # the size, "dang", "khôngcó"


def test_threads_share_one_stored_vocabulary(seed_index):
    voc = vocab.load(_gen(seed_index))
    keys = list(voc.syl_forms)
    want = {k: list(vocab.load(_gen(seed_index)).syl_forms[k]) for k in keys}
    errors: list[BaseException] = []

    def read(offset: int) -> None:
        try:
            for k in keys[offset:] + keys[:offset]:
                assert voc.syl_forms[k] == want[k]
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=read, args=(i * 7,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and keys


def test_format_2_is_still_read_with_the_same_answers(tmp_path, seed_index):
    new = vocab.load(_gen(seed_index))
    data = {
        "format": 2,
        "syl_forms": vocab.pack(dict(new.syl_forms.items())),
        "word_forms": vocab.pack(dict(new.word_forms.items())),
        "abbreviations": ["UBKT = Ủy ban Kiểm tra"],
    }
    (tmp_path / vocab.JSON_VOCAB).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    voc = vocab.load(tmp_path)
    assert isinstance(voc.syl_forms, vocab.PackedForms) and voc.abbreviation_lines == ["UBKT = Ủy ban Kiểm tra"]
    assert dict(voc.syl_forms) == dict(new.syl_forms.items()) and dict(voc.word_forms) == dict(new.word_forms.items())


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
    (tmp_path / vocab.JSON_VOCAB).write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
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
    (tmp_path / vocab.JSON_VOCAB).write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError):
        vocab.load(tmp_path)


def test_a_table_of_another_format_or_no_database_is_refused(tmp_path):
    con = sqlite3.connect(tmp_path / vocab.VOCAB)
    con.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT)")
    con.execute("INSERT INTO meta VALUES ('format', '4')")
    con.commit()
    con.close()
    with pytest.raises(ValueError, match="format 3"):
        vocab.load(tmp_path)
    (tmp_path / vocab.VOCAB).write_bytes(b"not a database, " * 64)
    with pytest.raises(sqlite3.DatabaseError):  # the searcher reports it as a damaged index
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


@pytest.mark.parametrize("read_ahead", [1 << 20, 64, 7])
def test_field_doc_frequencies_read_the_term_table_as_whoosh_does(tmp_path, monkeypatch, read_ahead):
    """Raw records of the term table give each field's terms and counts as whoosh's own
    reading does: inlined and block postings, the first and last fields, an absent
    field, and reads that end inside a record (a small read-ahead)."""
    from whoosh import index as windex

    from searcher import whoosh_internals as wi
    from searcher.schema import build_schema

    monkeypatch.setattr(wi, "_READ_AHEAD", read_ahead)
    ix = windex.create_in(str(tmp_path), build_schema())
    w = wi.open_writer(ix)
    texts = ["Kết luận 21 của Bộ Chính trị", "Hà Nội", "Bộ Chính trị họp " + "dài" * 40] + [
        f"hội nghị lần {i} ở Hà Nội" for i in range(40)
    ]
    for i, t in enumerate(texts):
        w.add_document(id=f"d{i}", syl=t, title=t, fold=t, ref=f"kl-{i % 3}")
    wi.commit_segments(w, [])
    try:
        with ix.reader() as r:
            (leaf, _), = r.leaf_readers()
            checked = 0
            indexed = [f for f in ix.schema.names() if ix.schema[f].indexed]
            for field in [*indexed, "no_such_field"]:
                want = [(b, info.doc_frequency()) for b, info in leaf.iter_field(field, b"")] if field in indexed else []
                got = list(wi.field_doc_frequencies(leaf, field))
                assert got == want, field
                checked += len(got)
            assert checked > 100
            assert dict(wi.field_doc_frequencies(leaf, "syl"))["nội".encode()] == 41
    finally:
        ix.close()


def test_fold_word_folds_as_fold_does():
    """A syllable at a time gives what folding the whole word gives, lookalikes of Đ,
    decomposed marks and case included."""
    from searcher.normalise import fold

    words = ["công_tác", "Đảng_viên", "ÐẢNG_ủy", "hoà_bình", "ke\u0301t_lua\u0323n", "kĩ_thuật", "ɖi_đâu", "_", "a__b", "", "21-kl_tw"]
    for w in words:
        assert vocab.fold_word(w) == fold(w), w
    assert vocab.fold_word("Đảng_viên") == "dang_vien"


def test_a_damaged_term_table_record_is_damage_not_a_hang(tmp_path):
    """A record whose length went negative (a damaged file) raises struct.error, which
    the index job and the searcher take for damage, instead of reading on for ever."""
    from whoosh import index as windex

    from searcher import whoosh_internals as wi
    from searcher.schema import build_schema

    ix = windex.create_in(str(tmp_path), build_schema())
    w = wi.open_writer(ix)
    for i, t in enumerate(["Kết luận 21 của Bộ Chính trị", "Hà Nội"]):
        w.add_document(id=f"d{i}", syl=t, title=t)
    wi.commit_segments(w, [])
    with ix.reader() as r:
        (leaf, _), = r.leaf_readers()
        assert list(wi.field_doc_frequencies(leaf, "syl"))
        terms = leaf._terms
        pos = terms._tindex.closest_key_pos(terms._keycoder("syl", b""))
    ix.close()
    (trm,) = tmp_path.glob("*.trm")
    data = bytearray(trm.read_bytes())
    data[pos : pos + 4] = (-12).to_bytes(4, "big", signed=True)  # the record's key length
    trm.write_bytes(bytes(data))
    ix = windex.open_dir(str(tmp_path))
    try:
        with ix.reader() as r:
            (leaf, _), = r.leaf_readers()
            with pytest.raises(struct.error, match="damaged term table"):
                list(wi.field_doc_frequencies(leaf, "syl"))
    finally:
        ix.close()
