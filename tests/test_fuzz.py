"""Property-based tests (hypothesis) over the query reader, search, snippets and
the corpus reader.

Properties:

* nothing raises except a documented :class:`~searcher.errors.BantinError`;
* highlights lie inside the snippet;
* every result is JSON-encodable as UTF-8;
* no query takes over 2 s on the seeds (hypothesis' own per-example deadline).

The example budget is small by default so the suite stays quick; set
``BANTIN_FUZZ_EXAMPLES`` (say 2000) for a longer run.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searcher.bulletins import iter_jsonl, read_txt
from searcher.errors import BadDocument, BantinError, QueryError
from searcher.query import read_query
from searcher.snippets import Terms, make_snippet

EXAMPLES = int(os.environ.get("BANTIN_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=os.environ.get("CI") == "true",  # CI runs the same examples every time
)

# Vietnamese letters with and without marks, tone styles, look-alikes, width forms.
VI_LETTERS = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxy"
    "àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
    "ĐÐƉ"
    "ＫＥＴＬＵＡＮ２１"
)
SYNTAX = ['"', "-", "OR", "NOT", "AND", "title:", "^2", "(", ")", "*", "?", ":", "/", "\\", "|", "&&"]
ODD = [
    "\u0300", "\u0301", "\u0309", "\u0303", "\u0323",  # lone combining tone marks
    "\x00", "\x1b]0;x\x07", "\x1b[2J", "\x85", "\r", "\t", "\n",  # controls
    "\u202e", "\u200f", "\u200b", "\ufeff", "\u00a0",  # bidi, zero-width, NBSP
    "\ud800", "\udfff",  # lone surrogates
    "Kết luận 21", "21-KL/TW", "Nghị quyết số 18-NQ/TW", "ket luan", "qủa", "hoà", "uỷ",
]

words = st.text(alphabet=VI_LETTERS + "0123456789", min_size=1, max_size=12)
pieces = st.one_of(words, st.sampled_from(SYNTAX), st.sampled_from(ODD), st.text(max_size=6))
queries = st.one_of(
    st.lists(pieces, max_size=12).map(" ".join),
    st.text(max_size=60),
    st.lists(words, min_size=300, max_size=400).map(" ".join).map(lambda s: s[:2000]),
)


def _assert_json_ready(data) -> None:
    json.dumps(data, ensure_ascii=False).encode("utf-8")


@FUZZ
@given(queries)
def test_query_reader_raises_only_query_errors(text):
    try:
        plan = read_query(text)
    except QueryError:
        return
    assert plan.all_query is not None and plan.best_query is not None


@FUZZ
@given(queries)
def test_search_on_the_seeds(seed_searcher, text):
    try:
        res = seed_searcher.search(text, limit=5)
    except QueryError:
        return
    assert res.total >= len(res.hits)
    for h in res.hits:
        for a, b in h.highlights:
            assert 0 <= a < b <= len(h.snippet)
    _assert_json_ready(res.to_dict())


@FUZZ
@given(queries)
def test_refs_and_get_on_the_seeds(seed_searcher, text):
    try:
        refs = seed_searcher.refs(text)
    except QueryError:
        refs = []
    _assert_json_ready([r.to_dict() for r in refs])
    try:
        seed_searcher.get(text)
    except BantinError:
        pass


@FUZZ
@given(st.text(max_size=400), queries)
def test_snippets_highlight_inside(body, text):
    try:
        plan = read_query(text)
    except QueryError:
        return
    terms = Terms(frozenset(plan.norms), frozenset(plan.folds), frozenset(plan.ref_keys))
    snippet, highlights = make_snippet(body, terms)
    for a, b in highlights:
        assert 0 <= a < b <= len(snippet)


@FUZZ
@given(st.binary(max_size=600))
def test_corpus_txt_from_random_bytes(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("fuzz-txt")
    path = folder / "x.txt"
    path.write_bytes(data)
    try:
        b = read_txt(path, folder)
    except BadDocument:
        return
    _assert_json_ready(b.to_dict())
    assert b.body.strip()


@FUZZ
@given(st.lists(st.one_of(st.binary(max_size=80), queries.map(lambda q: json.dumps({"id": q[:8] or "x", "body": q}).encode())), max_size=6))
def test_corpus_jsonl_from_random_lines(tmp_path_factory, lines):
    folder = tmp_path_factory.mktemp("fuzz-jsonl")
    path = folder / "x.jsonl"
    path.write_bytes(b"\n".join(line.replace(b"\n", b" ") for line in lines))
    for item in iter_jsonl(path, folder):
        assert isinstance(item, BadDocument) or item.body.strip()
        if not isinstance(item, BadDocument):
            _assert_json_ready(item.to_dict())
