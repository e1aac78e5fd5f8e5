"""Tests for searcher.evaluation: metrics, diacritic stripping, query files, evaluate()."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from searcher.errors import BantinError, QueryError
from searcher.evaluation import (
    EvalError,
    EvalReport,
    JudgedQuery,
    evaluate,
    load_queries,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
    strip_diacritics,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
EVAL_SETS = ["viquad_test", "xquad_vi", "alqac_2022", "alqac_2023_2025", "alqac_2023_statements"]

LOG2_3 = math.log2(3)  # discount at rank 2
LOG2_5 = math.log2(5)  # discount at rank 4


# --- metrics ------------------------------------------------------------------


def test_reciprocal_rank_first_relevant_position():
    assert reciprocal_rank(["a", "b", "c"], {"a"}, 10) == 1.0
    assert reciprocal_rank(["x", "y", "c"], {"c"}, 10) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x", "b", "c"], {"b", "c"}, 10) == 0.5  # first one counts


def test_reciprocal_rank_outside_cutoff_or_missing_is_zero():
    assert reciprocal_rank(["x", "y", "c"], {"c"}, 2) == 0.0
    assert reciprocal_rank([], {"c"}, 10) == 0.0
    assert reciprocal_rank(["x", "y"], {"c"}, 10) == 0.0


def test_repeated_id_counts_once_at_first_position():
    # "x" twice must not push "a" out of the top 2.
    assert reciprocal_rank(["x", "x", "a"], {"a"}, 2) == 0.5


def test_recall_with_two_relevant_ids():
    relevant = ("a", "b")
    assert recall_at_k(["a", "x", "b"], relevant, 10) == 1.0
    assert recall_at_k(["a", "x", "b"], relevant, 2) == 0.5
    assert recall_at_k(["x", "y", "z"], relevant, 10) == 0.0
    assert recall_at_k(["b", "b", "b"], relevant, 10) == 0.5  # duplicates do not add up


def test_ndcg_single_relevant_at_rank_three():
    # DCG = 1/log2(4) = 0.5, ideal DCG = 1.
    assert ndcg_at_k(["x", "y", "a"], {"a"}, 10) == pytest.approx(0.5)


def test_ndcg_two_relevant_at_ranks_two_and_four():
    # DCG = 1/log2(3) + 1/log2(5) = 1.061606; IDCG = 1 + 1/log2(3) = 1.630930.
    got = ndcg_at_k(["x", "a", "y", "b"], ("a", "b"), 10)
    assert got == pytest.approx((1 / LOG2_3 + 1 / LOG2_5) / (1 + 1 / LOG2_3))
    assert got == pytest.approx(0.650921, abs=1e-6)


def test_ndcg_cutoff_drops_late_hits_but_keeps_ideal():
    # k=2: DCG = 1/log2(3) = 0.630930; IDCG (2 relevant, 2 slots) = 1.630930.
    assert ndcg_at_k(["x", "a", "y", "b"], ("a", "b"), 2) == pytest.approx(0.386853, abs=1e-6)


def test_ndcg_perfect_and_empty():
    assert ndcg_at_k(["a", "b", "x"], ("a", "b"), 10) == pytest.approx(1.0)
    assert ndcg_at_k([], ("a",), 10) == 0.0


def test_ideal_dcg_is_capped_by_k():
    # 3 relevant, k=1: a hit at rank 1 is already perfect.
    assert ndcg_at_k(["a"], ("a", "b", "c"), 1) == pytest.approx(1.0)


@pytest.mark.parametrize("metric", [reciprocal_rank, recall_at_k, ndcg_at_k])
def test_metrics_reject_undefined_inputs(metric):
    with pytest.raises(EvalError):
        metric(["a"], (), 10)
    with pytest.raises(EvalError):
        metric(["a"], ("a",), 0)


# --- strip_diacritics ---------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Đảng viên Hòa", "Dang vien Hoa"),
        (
            "Đồng chí Trương Thị Mai, Ủy viên Bộ Chính trị, Bí thư Trung ương Đảng",
            "Dong chi Truong Thi Mai, Uy vien Bo Chinh tri, Bi thu Trung uong Dang",
        ),
        (
            "Giao ban công tác tổ chức xây dựng Đảng 13 tỉnh trung du, miền núi phía Bắc",
            "Giao ban cong tac to chuc xay dung Dang 13 tinh trung du, mien nui phia Bac",
        ),
        ("Điện Biên, Lai Châu, Lào Cai, Sơn La", "Dien Bien, Lai Chau, Lao Cai, Son La"),
        ("BAN TỔ CHỨC TRUNG ƯƠNG ĐẢNG", "BAN TO CHUC TRUNG UONG DANG"),
        ("đường, Được, ươn ướt, ỷ, Ỹ", "duong, Duoc, uon uot, y, Y"),
        ("Chiều ngày 28/6/2022", "Chieu ngay 28/6/2022"),
    ],
)
def test_strip_diacritics_real_strings(given, expected):
    assert strip_diacritics(given) == expected


def test_strip_diacritics_decomposed_and_lookalike_input():
    decomposed = "Tha\u0300nh pho\u0302\u0301 Ba\u0306\u0301c Giang"  # NFD "Thành phố Bắc Giang"
    assert strip_diacritics(decomposed) == "Thanh pho Bac Giang"
    assert strip_diacritics("\u00d0ảng") == "Dang"  # Icelandic Ð typed for Đ


def test_strip_diacritics_is_idempotent_and_keeps_length():
    text = "Trưởng Ban Tổ chức Trung ương phát biểu tại hội nghị."
    once = strip_diacritics(text)
    assert strip_diacritics(once) == once
    assert len(once) == len(text)
    assert re.fullmatch(r"[\x00-\x7f]*", once)


# --- load_queries -------------------------------------------------------------


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "queries.jsonl"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _lines(*records: object) -> str:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n"


def test_load_queries_good_file(tmp_path):
    path = _write(
        tmp_path,
        _lines(
            {"qid": "q1", "query": "Ai chủ trì hội nghị?", "relevant_ids": ["d1"], "answers": ["x"]},
            {"qid": 7, "query": "tỉnh Bắc Giang", "relevant_ids": ["d2", "d3", "d2"]},
        )
        + "\n   \n",
    )
    got = load_queries(path)
    assert got == [
        JudgedQuery("q1", "Ai chủ trì hội nghị?", ("d1",)),
        JudgedQuery("7", "tỉnh Bắc Giang", ("d2", "d3")),
    ]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (_lines({"qid": "q1", "query": "a", "relevant_ids": ["d"]}) + "{not json\n", ":2:"),
        (_lines({"qid": "q1", "query": "a"}), "relevant_ids"),
        (_lines({"qid": "q1", "query": "a", "relevant_ids": []}), "relevant_ids"),
        (_lines({"qid": "q1", "query": "   ", "relevant_ids": ["d"]}), "query"),
        (_lines({"query": "a", "relevant_ids": ["d"]}), "qid"),
        (_lines(["q1", "a", ["d"]]), "JSON object"),
        (
            _lines(
                {"qid": "q1", "query": "a", "relevant_ids": ["d"]},
                {"qid": "q1", "query": "b", "relevant_ids": ["e"]},
            ),
            "duplicate qid",
        ),
        ("\n\n", "no queries"),
        ("Hội nghị".encode("utf-16"), "UTF-8"),  # a UTF-16 file with BOM
    ],
)
def test_load_queries_bad_files(tmp_path, content, needle):
    path = _write(tmp_path, content)
    with pytest.raises(EvalError) as info:
        load_queries(path)
    message = str(info.value)
    assert needle in message
    assert str(path) in message
    assert "\n" not in message


def test_load_queries_missing_file_is_typed_error(tmp_path):
    with pytest.raises(BantinError, match="no such queries file"):
        load_queries(tmp_path / "nope.jsonl")
    with pytest.raises(EvalError, match="is a folder"):
        load_queries(tmp_path)


# --- evaluate -----------------------------------------------------------------

# Three passages cut from the seed bulletin 000 (Giao ban công tác tổ chức...).
DOCS = {
    "d1": "Giao ban công tác tổ chức xây dựng Đảng 13 tỉnh trung du, miền núi phía Bắc",
    "d2": "Đồng chí Trương Thị Mai, Ủy viên Bộ Chính trị, Bí thư Trung ương Đảng",
    "d3": "lãnh đạo Ban Tổ chức các tỉnh Bắc Giang, Bắc Cạn, Cao Bằng, Điện Biên, Lai Châu",
}
QUERIES = [
    JudgedQuery("q1", "Trương Thị Mai", ("d2",)),  # only d2 matches -> rank 1
    JudgedQuery("q2", "tổ chức Đảng", ("d3",)),  # d1 (3 words) > d3 (2) > d2 (1) -> rank 2
    JudgedQuery("q3", "!!!", ("d1",)),  # no words -> QueryError
    JudgedQuery("q4", "Sơn La", ("d1",)),  # no document has these words
]


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"\w+", text)}


def _overlap_search(query: str, k: int) -> list[str]:
    """Exact-syllable overlap search: more shared distinct words first, ties by id."""
    words = _words(query)
    if not words:
        raise QueryError("the query has no words; type at least one word")
    scored = [(len(words & _words(body)), doc_id) for doc_id, body in DOCS.items()]
    return [doc_id for score, doc_id in sorted(scored, key=lambda s: (-s[0], s[1])) if score][:k]


def test_evaluate_as_given():
    report = evaluate(_overlap_search, QUERIES, k=10)
    assert isinstance(report, EvalReport)
    assert (report.k, report.queries, report.no_diacritics) == (10, 4, False)
    assert report.mrr == pytest.approx((1 + 0.5 + 0 + 0) / 4)
    assert report.recall == pytest.approx(2 / 4)
    assert report.ndcg == pytest.approx((1 + 1 / LOG2_3) / 4)
    assert report.zero_results == 2
    by_qid = {o.qid: o for o in report.outcomes}
    assert by_qid["q2"].ranked_ids == ["d1", "d3", "d2"]
    assert by_qid["q2"].rr == 0.5
    assert by_qid["q3"].ranked_ids == [] and by_qid["q3"].rr == 0.0
    assert 0.0 <= report.latency_p50_ms <= report.latency_p95_ms
    assert all(o.seconds >= 0 for o in report.outcomes)


def test_evaluate_no_diacritics_runs_stripped_queries():
    seen: list[str] = []

    def search(query: str, k: int) -> list[str]:
        seen.append(query)
        return _overlap_search(query, k)

    report = evaluate(search, QUERIES, k=10, no_diacritics=True)
    assert seen == ["Truong Thi Mai", "to chuc Dang", "!!!", "Son La"]
    assert [o.query for o in report.outcomes] == seen
    # "mai" still matches d2; "to chuc dang" matches nothing once the marks are gone.
    assert report.mrr == pytest.approx(1 / 4)
    assert report.zero_results == 3
    assert report.no_diacritics is True


def test_evaluate_cuts_rankings_to_k():
    report = evaluate(_overlap_search, [QUERIES[1]], k=1)
    assert report.outcomes[0].ranked_ids == ["d1"]
    assert (report.mrr, report.recall, report.ndcg) == (0.0, 0.0, 0.0)


def test_evaluate_propagates_other_errors():
    def broken(query: str, k: int) -> list[str]:
        raise RuntimeError("index went away")

    with pytest.raises(RuntimeError, match="index went away"):
        evaluate(broken, QUERIES, k=10)


def test_evaluate_rejects_empty_input_and_bad_k():
    with pytest.raises(EvalError):
        evaluate(_overlap_search, [], k=10)
    with pytest.raises(EvalError):
        evaluate(_overlap_search, QUERIES, k=0)


def test_worst_orders_by_rr_then_ndcg_then_qid():
    report = evaluate(_overlap_search, QUERIES, k=10)
    assert [o.qid for o in report.worst(3)] == ["q3", "q4", "q2"]
    assert [o.qid for o in report.worst()] == ["q3", "q4", "q2", "q1"]
    assert report.worst(0) == []


def test_to_dict_is_json_ready():
    report = evaluate(_overlap_search, QUERIES, k=10)
    summary = report.to_dict()
    assert "outcomes" not in summary
    assert summary["mrr"] == pytest.approx(0.375)
    assert summary["zero_results"] == 2
    full = json.loads(json.dumps(report.to_dict(per_query=True), ensure_ascii=False))
    assert [o["qid"] for o in full["outcomes"]] == ["q1", "q2", "q3", "q4"]
    assert full["outcomes"][1]["ranked_ids"] == ["d1", "d3", "d2"]


# --- shared data smoke test ---------------------------------------------------


@pytest.fixture
def eval_dir() -> Path:
    path = SHARED / "eval"
    if not path.is_dir():
        pytest.skip(f"{path} is missing")
    return path


@pytest.mark.shared
@pytest.mark.parametrize("name", EVAL_SETS)
def test_every_shared_set_loads(eval_dir, name):
    queries = load_queries(eval_dir / name / "queries.jsonl")
    meta = json.loads((eval_dir / name / "meta.json").read_text(encoding="utf-8"))
    assert len(queries) == meta["queries"]
    with open(eval_dir / name / "passages.jsonl", encoding="utf-8") as fh:
        passage_ids = {json.loads(line)["id"] for line in fh if line.strip()}
    judged = {r for q in queries for r in q.relevant_ids}
    assert judged <= passage_ids


# --- benchmarks/baselines.py: the peers evaluate() is run against --------------


@pytest.fixture
def baselines():
    """The benchmarks/baselines.py module (benchmarks/ is not a package)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "baselines.py"
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    spec = importlib.util.spec_from_file_location("bantin_baselines", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fts5_match_quotes_every_token(baselines):
    assert baselines.fts5_match('Ai chủ trì "hội nghị" AND NOT x:y?') == (
        '"Ai" OR "chủ" OR "trì" OR "hội" OR "nghị" OR "AND" OR "NOT" OR "x" OR "y"'
    )
    assert baselines.fts5_match("?!") == ""


@pytest.mark.parametrize(
    ("engine", "folds", "folds_dd"),
    [
        ("fts5", True, False),  # unicode61 remove_diacritics 2 keeps đ apart from d
        ("fts5-exact", False, False),
        ("whoosh-plain", False, False),
        ("whoosh-fold", True, True),
    ],
)
def test_baseline_engines_rank_and_fold_as_documented(baselines, tmp_path, engine, folds, folds_dd):
    passages = [{"id": i, "title": "", "body": body} for i, body in DOCS.items()]
    eng = baselines.ENGINES[engine]()
    try:
        built = eng.build(passages, tmp_path / engine)
        assert built["docs"] == 3 and built["bytes"] > 0
        assert eng.search("Trương Thị Mai", 10) == ["d2"]
        assert eng.search("Trương Thị Mai: AND (OR", 10)[0] == "d2"  # syntax is not parsed
        # "Truong Thi" only finds d2 when the engine folds marks away.
        assert eng.search("Truong Thi", 10) == (["d2"] if folds else [])
        # "Dang" only finds "Đảng" (d1, d2) when đ is folded to d as well.
        assert sorted(eng.search("Dang", 10)) == (["d1", "d2"] if folds_dd else [])
        with pytest.raises(QueryError):
            eng.search("!!!", 10)
        report = evaluate(eng.search, QUERIES[:2], k=10)
        assert report.mrr > 0.5
    finally:
        eng.close()
