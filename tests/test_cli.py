"""Tests of the ``bantin`` command, through click's CliRunner and real subprocesses.

Every invocation names its index (``--index`` or ``$BANTIN_INDEX``) so that no
test reads or writes the project's own ``index/`` folder.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from searcher.cli import main


def run(*args: str, env: dict | None = None):
    """Invoke ``bantin`` in-process; stdout and stderr stay apart (click >= 8.2)."""
    return CliRunner().invoke(main, list(args), env=env)


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def ranks(listing: str) -> list[int]:
    """The rank numbers of a text listing ("  1. Title  date  [id]")."""
    return [int(m.group(1)) for line in listing.splitlines() if (m := re.match(r"\s*(\d+)\. ", line))]


def no_crash(result) -> None:
    """The command ended by itself (exit code), not with an uncaught exception."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


@pytest.fixture
def index_copy(tmp_path, corpus_dir) -> Path:
    """A private index of the seeds, for commands that write."""
    from searcher import build_index

    index = tmp_path / "index"
    build_index(corpus_dir, index)
    return index


# --- search ------------------------------------------------------------------------------


def test_search_prints_a_ranked_listing(seed_index, seed_ids):
    r = run("search", "--index", str(seed_index), "Kết luận 21")
    no_crash(r)
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0].startswith("2 bulletins for")
    assert ranks(r.stdout) == [1, 2]
    first = next(line for line in lines if line.lstrip().startswith("1. "))
    second = next(line for line in lines if line.lstrip().startswith("2. "))
    assert "Làm tốt việc quán triệt, triển khai các văn bản mới về công tác tổ chức xây dựng Đảng" in first
    assert "05/04/2022" in first and seed_ids["003"] in first
    assert "30/06/2022" in second and seed_ids["000"] in second
    snippet = lines[lines.index(first) + 1]
    assert "Kết luận số 21" in snippet
    assert lines.index(first) < lines.index(second)


def test_search_json_shape_and_utf8(seed_index, seed_ids):
    r = run("search", "--index", str(seed_index), "--json", "Kết luận 21")
    no_crash(r)
    assert r.exit_code == 0
    assert "\\u" not in r.stdout  # Vietnamese is printed as is
    assert "Kết luận" in r.stdout and "Đảng" in r.stdout
    data = json.loads(r.stdout)
    assert {"query", "total", "hits"} <= set(data)
    assert data["query"] == "Kết luận 21"
    assert data["total"] == 2
    assert [h["id"] for h in data["hits"]] == [seed_ids["003"], seed_ids["000"]]
    for h in data["hits"]:
        assert {"id", "title", "date", "score", "snippet", "highlights"} <= set(h)
        for a, b in h["highlights"]:
            assert 0 <= a < b <= len(h["snippet"])
    top = data["hits"][0]
    assert top["date"] == "2022-04-05"
    assert any("21" in top["snippet"][a:b] for a, b in top["highlights"])


def test_search_limit(seed_index, seed_ids):
    r = run("search", "--index", str(seed_index), "--json", "--limit", "1", "Kết luận 21")
    data = json.loads(r.stdout)
    assert r.exit_code == 0
    assert [h["id"] for h in data["hits"]] == [seed_ids["003"]]
    assert data["total"] == 2
    r = run("search", "--index", str(seed_index), "-n", "3", "hội nghị")
    assert r.exit_code == 0
    assert ranks(r.stdout) == [1, 2, 3]


def test_search_words_may_come_as_several_arguments(seed_index):
    one = run("search", "--index", str(seed_index), "--json", "Kết luận 21")
    many = run("search", "--index", str(seed_index), "--json", "Kết", "luận", "21")
    assert json.loads(one.stdout)["hits"] == json.loads(many.stdout)["hits"]


def test_search_without_results_exits_1(seed_index):
    r = run("search", "--index", str(seed_index), "PublishingPortal")
    no_crash(r)
    assert r.exit_code == 1
    assert r.stdout.startswith("0 bulletins")
    r = run("search", "--index", str(seed_index), "--json", "PublishingPortal")
    assert r.exit_code == 1
    assert json.loads(r.stdout)["total"] == 0


def test_search_for_an_uncited_reference_says_so_on_stderr(seed_index):
    r = run("search", "--index", str(seed_index), "Kết luận 99")
    no_crash(r)
    assert r.exit_code == 1
    assert "Kết luận 99" in r.stderr and "cites" in r.stderr
    data = json.loads(run("search", "--index", str(seed_index), "--json", "Kết luận 99").stdout)
    assert data["notice"] and data["hits"] == []


def test_search_cites(seed_index, seed_ids):
    r = run("search", "--index", str(seed_index), "--json", "--cites", "Kết luận 21", "hội nghị")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert {h["id"] for h in data["hits"]} == {seed_ids["000"], seed_ids["003"]}
    assert data["total"] == 2
    everything = json.loads(run("search", "--index", str(seed_index), "--json", "hội nghị").stdout)
    assert everything["total"] == 5


# --- show, stats, refs ---------------------------------------------------------------------


def test_show_prints_the_bulletin(seed_index, seed_ids):
    r = run("show", "--index", str(seed_index), seed_ids["003"])
    no_crash(r)
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0] == "Làm tốt việc quán triệt, triển khai các văn bản mới về công tác tổ chức xây dựng Đảng"
    assert "date: 05/04/2022" in lines
    assert "author: PV" in lines
    assert any(line.startswith("cites: ") and "Kết luận 21" in line for line in lines)
    assert "Ban Tổ chức Trung ương vừa tổ chức hội nghị giao ban trực tuyến" in r.stdout


def test_show_json(seed_index, seed_ids):
    r = run("show", "--index", str(seed_index), "--json", seed_ids["004"])
    assert r.exit_code == 0
    d = json.loads(r.stdout)
    assert d["id"] == seed_ids["004"]
    assert d["date"] == "2022-12-29"
    assert d["author"] == "Linh Lan"
    assert d["body"].startswith("Đó là một trong những ý kiến chỉ đạo")
    assert any(ref["key"] == "nq:dh-xiii" for ref in d["refs"])


def test_show_unknown_id_exits_1_with_one_line(seed_index):
    r = run("show", "--index", str(seed_index), "999_nope")
    no_crash(r)
    assert r.exit_code == 1
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and "999_nope" in r.stderr


def test_stats_json(seed_index, corpus_dir):
    r = run("stats", "--index", str(seed_index), "--corpus", str(corpus_dir), "--json")
    no_crash(r)
    assert r.exit_code == 0
    st = json.loads(r.stdout)
    assert st["documents"] == 5
    assert st["generation"].startswith("gen-")
    assert st["analysis_current"] is True
    assert st["bytes"] > 0
    assert st["corpus_changed"] is False


def test_stats_text(seed_index):
    r = run("stats", "--index", str(seed_index))
    assert r.exit_code == 0
    assert any(line.split() == ["documents", "5"] for line in r.stdout.splitlines())


def test_refs_table(seed_index):
    r = run("refs", "--index", str(seed_index))
    no_crash(r)
    assert r.exit_code == 0
    row = next(line for line in r.stdout.splitlines() if " kl:21 " in line)
    assert "Kết luận 21" in row and row.rstrip(" │|").split()[-1] == "2"


def test_refs_json(seed_index):
    r = run("refs", "--index", str(seed_index), "--json")
    assert r.exit_code == 0
    rows = json.loads(r.stdout)
    by_key = {row["key"]: row for row in rows}
    assert by_key["kl:21"] == {"key": "kl:21", "label": "Kết luận 21", "type": "Kết luận", "bulletins": 2}
    counts = [row["bulletins"] for row in rows]
    assert counts == sorted(counts, reverse=True)


def test_refs_filtered_by_type(seed_index):
    r = run("refs", "--index", str(seed_index), "--json", "Kết luận")
    assert r.exit_code == 0
    keys = [row["key"] for row in json.loads(r.stdout)]
    assert "kl:21" in keys
    assert all(k.startswith("kl:") for k in keys)
    text = run("refs", "--index", str(seed_index), "Kết luận")
    assert "kl:21" in text.stdout and "nq:" not in text.stdout


def test_refs_with_nothing_found_exits_1(seed_index):
    r = run("refs", "--index", str(seed_index), "--json", "Kết luận 99")
    assert r.exit_code == 1
    assert json.loads(r.stdout) == []


# --- index -------------------------------------------------------------------------------


def test_index_json_then_incremental(tmp_path, corpus_dir):
    index = tmp_path / "idx"
    r = run("index", "--corpus", str(corpus_dir), "--index", str(index), "--json")
    no_crash(r)
    assert r.exit_code == 0
    rep = json.loads(r.stdout)
    assert {"added", "updated", "deleted", "unchanged", "skipped", "seconds", "documents"} <= set(rep)
    assert (rep["added"], rep["documents"], rep["skipped"]) == (5, 5, [])
    again = json.loads(run("index", "--corpus", str(corpus_dir), "--index", str(index), "--json").stdout)
    assert (again["added"], again["updated"], again["deleted"], again["unchanged"]) == (0, 0, 0, 5)


def test_index_reports_changes(tmp_path, corpus_dir):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for p in sorted(corpus_dir.glob("*.txt"))[:3]:
        (corpus / p.name).write_bytes(p.read_bytes())
    index = tmp_path / "idx"
    assert run("index", "--corpus", str(corpus), "--index", str(index), "-q").exit_code == 0
    first = sorted(corpus.glob("*.txt"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\nMột đoạn mới về công tác thủy lợi.\n", encoding="utf-8")
    sorted(corpus.glob("*.txt"))[1].unlink()
    r = run("index", "--corpus", str(corpus), "--index", str(index))
    assert r.exit_code == 0
    assert "2 bulletins indexed" in r.stdout
    assert "~1 updated" in r.stdout and "-1 deleted" in r.stdout and "1 unchanged" in r.stdout
    found = json.loads(run("search", "--index", str(index), "--json", "thủy lợi").stdout)
    assert [h["id"] for h in found["hits"]] == [first.stem]


def test_index_quiet_prints_nothing(tmp_path, corpus_dir):
    r = run("index", "--corpus", str(corpus_dir), "--index", str(tmp_path / "idx"), "--quiet")
    no_crash(r)
    assert r.exit_code == 0
    assert r.output == ""
    r = run("index", "--corpus", str(corpus_dir), "--index", str(tmp_path / "idx"), "-q")
    assert r.exit_code == 0 and r.output == ""


def test_index_rebuild(index_copy, corpus_dir):
    r = run("index", "--corpus", str(corpus_dir), "--index", str(index_copy), "--rebuild", "--json")
    rep = json.loads(r.stdout)
    assert rep["rebuilt"] is True and rep["added"] == 5 and rep["documents"] == 5


def test_index_messages_print_file_names_verbatim(tmp_path, corpus_dir):
    """Rich markup and emoji codes in a file name are not interpreted."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    seed = sorted(corpus_dir.glob("*.txt"))[0]
    (corpus / seed.name).write_bytes(seed.read_bytes())
    (corpus / "[bold]empty.txt").write_bytes(b"")
    (corpus / "x:thumbs_up:.txt").write_bytes(b"")
    r = run("index", "--corpus", str(corpus), "--index", str(tmp_path / "idx"))
    assert r.exit_code == 0
    assert "[bold]empty.txt" in r.stderr
    assert "x:thumbs_up:.txt" in r.stderr


# --- environment and first run --------------------------------------------------------------


def test_environment_variables_name_the_index(seed_index, seed_ids, tmp_path):
    env = {"BANTIN_INDEX": str(seed_index), "BANTIN_CORPUS": str(tmp_path / "no-corpus")}
    r = run("search", "--json", "Kết luận 21", env=env)
    assert r.exit_code == 0
    assert json.loads(r.stdout)["hits"][0]["id"] == seed_ids["003"]
    assert run("show", seed_ids["000"], env=env).exit_code == 0
    assert json.loads(run("stats", "--json", env=env).stdout)["index"] == str(seed_index)
    missing = run("show", seed_ids["000"], env={"BANTIN_INDEX": str(tmp_path / "nowhere")})
    assert missing.exit_code == 3 and str(tmp_path / "nowhere") in missing.stderr


@pytest.mark.parametrize("shipped_folder", [False, True], ids=["no-folder", "empty-folder-with-gitkeep"])
def test_first_search_builds_the_index_and_says_so(tmp_path, corpus_dir, seed_ids, shipped_folder):
    """As in a fresh clone: ``index/`` may not exist, or exist holding only ``.gitkeep``."""
    index = tmp_path / "fresh-index"
    if shipped_folder:
        index.mkdir()
        (index / ".gitkeep").write_text("", encoding="utf-8")
    env = {"BANTIN_INDEX": str(index), "BANTIN_CORPUS": str(corpus_dir)}
    r = run("search", "--json", "Kết luận 21", env=env)
    no_crash(r)
    assert r.exit_code == 0
    assert "building" in r.stderr and str(index) in r.stderr
    assert "building" not in r.stdout
    assert [h["id"] for h in json.loads(r.stdout)["hits"]] == [seed_ids["003"], seed_ids["000"]]
    assert (index / "CURRENT").is_file()
    again = run("search", "--json", "Kết luận 21", env=env)
    assert again.exit_code == 0 and again.stderr == ""


def test_index_env_corpus(tmp_path, corpus_dir):
    env = {"BANTIN_INDEX": str(tmp_path / "idx"), "BANTIN_CORPUS": str(corpus_dir)}
    r = run("index", "--json", env=env)
    assert r.exit_code == 0 and json.loads(r.stdout)["documents"] == 5


# --- eval --------------------------------------------------------------------------------

PASSAGES = [
    {"id": "p-kn", "title": "Kết nạp đảng viên", "body": "Chi bộ thôn Đông kết nạp ba đảng viên mới trong tháng Năm."},
    {"id": "p-tl", "title": "Thủy lợi", "body": "Công tác thủy lợi và phòng chống thiên tai được chú trọng."},
    {"id": "p-td", "title": "Thi đua", "body": "Hội nghị tổng kết công tác thi đua khen thưởng năm 2022."},
    {"id": "p-gd", "title": "Giáo dục", "body": "Viên chức ngành giáo dục được tập huấn về chuyển đổi số."},
]
QUERIES = [
    {"qid": "q1", "query": "kết nạp đảng viên mới", "relevant_ids": ["p-kn"]},
    {"qid": "q2", "query": "phòng chống thiên tai", "relevant_ids": ["p-tl"]},
    {"qid": "q3", "query": "tổng kết thi đua khen thưởng", "relevant_ids": ["p-td"]},
]


@pytest.fixture
def eval_files(tmp_path) -> tuple[Path, Path]:
    return write_jsonl(tmp_path / "queries.jsonl", QUERIES), write_jsonl(tmp_path / "passages.jsonl", PASSAGES)


def test_eval_json(eval_files, tmp_path):
    queries, passages = eval_files
    r = run("eval", str(queries), "--passages", str(passages), "--index", str(tmp_path / "unused"), "--json")
    no_crash(r)
    assert r.exit_code == 0
    rep = json.loads(r.stdout)
    assert rep["queries"] == 3 and rep["k"] == 10
    assert rep["no_diacritics"] is False
    assert rep["mrr"] == pytest.approx(1.0)
    assert rep["recall"] == pytest.approx(1.0)
    assert rep["zero_results"] == 0
    assert "outcomes" not in rep
    assert not (tmp_path / "unused").exists()


def test_eval_no_diacritics_and_per_query(eval_files):
    queries, passages = eval_files
    r = run("eval", str(queries), "--passages", str(passages), "--no-diacritics", "--per-query", "--json")
    assert r.exit_code == 0
    rep = json.loads(r.stdout)
    assert rep["no_diacritics"] is True
    assert {o["qid"] for o in rep["outcomes"]} == {"q1", "q2", "q3"}
    assert rep["mrr"] > 0.5


def test_eval_text(eval_files):
    queries, passages = eval_files
    r = run("eval", str(queries), "--passages", str(passages), "--per-query", "--k", "5")
    no_crash(r)
    assert r.exit_code == 0
    assert r.stdout.startswith("3 queries (as given), k=5")
    assert "MRR@5" in r.stdout and "nDCG@5" in r.stdout and "worst queries:" in r.stdout
    assert sum(1 for line in r.stdout.splitlines() if line.strip().startswith("rr=")) == 3


def test_eval_on_an_existing_index(seed_index, seed_ids, tmp_path):
    queries = write_jsonl(tmp_path / "q.jsonl", [{"qid": "kl21", "query": "ket luan 21", "relevant_ids": [seed_ids["003"]]}])
    r = run("eval", str(queries), "--index", str(seed_index), "--json")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["mrr"] == pytest.approx(1.0)


def test_eval_bad_queries_file_is_one_line(tmp_path, seed_index):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"qid": "q1", "query": "x"}\n', encoding="utf-8")
    r = run("eval", str(bad), "--index", str(seed_index))
    no_crash(r)
    assert r.exit_code == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "relevant_ids" in r.stderr


# --- processes ----------------------------------------------------------------------------


def subprocess_env() -> dict:
    env = dict(os.environ)
    env.pop("BANTIN_INDEX", None)
    env.pop("BANTIN_CORPUS", None)
    return env


def test_python_dash_m_searcher_help(project_dir):
    p = subprocess.run([sys.executable, "-m", "searcher", "--help"], capture_output=True, text=True,
                       cwd=project_dir, env=subprocess_env(), timeout=60)
    assert p.returncode == 0, p.stderr
    assert "Usage: bantin" in p.stdout
    for command in ("search", "show", "index", "stats", "refs", "eval"):
        assert command in p.stdout
    assert "Exit codes" in p.stdout


def test_cold_search_imports_neither_pyvi_nor_sklearn(seed_index, seed_ids, tmp_path):
    code = (
        "import sys, json\n"
        "from searcher.cli import main\n"
        "try:\n"
        f"    main(['search', '--index', {str(seed_index)!r}, '--json', 'ket luan 21'], standalone_mode=False)\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "print(json.dumps({'pyvi': 'pyvi' in sys.modules, 'sklearn': 'sklearn' in sys.modules}))\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                       env=subprocess_env(), timeout=60)
    assert p.returncode == 0, p.stderr
    result_json, _, flags = p.stdout.rstrip().rpartition("\n")
    assert json.loads(result_json)["hits"][0]["id"] == seed_ids["003"]
    assert json.loads(flags) == {"pyvi": False, "sklearn": False}


def test_installed_bantin_script(seed_index, seed_ids, tmp_path):
    exe = Path(sys.executable).with_name("bantin")
    if not exe.exists():
        pytest.skip("the bantin script is not installed in this environment")
    p = subprocess.run([str(exe), "search", "--index", str(seed_index), "Kết luận 21"], capture_output=True,
                       text=True, cwd=tmp_path, env=subprocess_env(), timeout=60)
    assert p.returncode == 0, p.stderr
    assert seed_ids["003"] in p.stdout.splitlines()[1]  # not wrapped: one hit per line when piped


@pytest.mark.parametrize("fmt", [[], ["--json"]])
def test_a_reader_that_goes_away_is_not_no_results(seed_index, fmt):
    """``bantin search … | head -1``: the pipe closes under the output.  That is a
    success (exit 0, nothing on stderr), not exit 1, which means "no results"."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    try:
        p = subprocess.run(
            [sys.executable, "-m", "searcher", "search", "--index", str(seed_index), *fmt, "Kết luận 21"],
            stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120,
        )
    finally:
        os.close(write_end)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
