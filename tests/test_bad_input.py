"""Bad input: each case gives a one-line error that says what to do, a documented
exit code, and no traceback; the library raises a typed error, never a raw one.

Exit codes (``searcher/cli/common.py``): 0 results, 1 no results, 2 usage or bad
query, 3 index missing, 4 index corrupt, 5 index locked, 6 corpus missing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_one_line_error, run

from searcher import Searcher
from searcher.cli.common import Exit
from searcher.errors import BantinError, CorpusError, IndexCorruptError, IndexMissingError, QueryError

LONG_QUERY = ("Kết luận 21 " * 900)[:10_000]


# --- queries ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, hint",
    [("", "empty query"), ("   ", "empty query"), ("?!…,", "no letters or digits"), (LONG_QUERY, "too long")],
    ids=["empty", "blank", "punctuation", "10000-chars"],
)
def test_unsearchable_query_exits_2(seed_index, query, hint):
    line = assert_one_line_error(run("search", "--index", str(seed_index), query), Exit.USAGE)
    assert hint in line
    assert len(line) < 200  # the long query is not echoed back


@pytest.mark.parametrize("query", ["", "   ", "?!…,", LONG_QUERY, "\u200b", "--", "-\"\""])
def test_unsearchable_query_is_a_query_error(seed_searcher, query):
    with pytest.raises(QueryError) as info:
        seed_searcher.search(query)
    assert "\n" not in str(info.value)


def test_missing_query_argument_is_a_usage_error(seed_index):
    r = run("search", "--index", str(seed_index))
    assert r.exit_code == Exit.USAGE
    assert "Traceback" not in r.output and "empty query" in r.stderr  # words are optional only with a filter


def test_bad_cites_value_exits_2(seed_index):
    line = assert_one_line_error(run("search", "--index", str(seed_index), "--cites", "hello", "hội nghị"), Exit.USAGE)
    assert "Nghị quyết" in line  # shows how to write a reference


def test_bad_limit_is_a_usage_error(seed_index):
    r = run("search", "--index", str(seed_index), "--limit", "0", "Kết luận 21")
    assert r.exit_code == Exit.USAGE and "Traceback" not in r.output


# --- corpus files ----------------------------------------------------------------------


@pytest.fixture
def mixed_corpus(tmp_path, corpus_dir) -> Path:
    """Two good seeds and three bad .txt files."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for p in sorted(corpus_dir.glob("*.txt"))[:2]:
        (corpus / p.name).write_bytes(p.read_bytes())
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    (corpus / "latin1.txt").write_bytes("Hội nghị tổng kết công tác Đảng".encode("utf-8")[:3] + "Café résumé".encode("latin-1"))
    return corpus


BAD_FILES = ["binary.txt", "empty.txt", "latin1.txt"]


def test_index_warns_about_each_bad_file_and_indexes_the_rest(mixed_corpus, tmp_path):
    index = tmp_path / "idx"
    r = run("index", "--corpus", str(mixed_corpus), "--index", str(index))
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert "Traceback" not in r.output
    assert r.exit_code == 0
    warnings = [line for line in r.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 3
    for name in BAD_FILES:
        assert sum(name in w for w in warnings) == 1, name
    assert "2 bulletins indexed" in r.stdout
    with Searcher(index) as s:
        assert s.doc_count() == 2


def test_index_json_lists_skipped_files(mixed_corpus, tmp_path):
    r = run("index", "--corpus", str(mixed_corpus), "--index", str(tmp_path / "idx"), "--json")
    assert r.exit_code == 0
    rep = json.loads(r.stdout)
    assert rep["documents"] == 2 and rep["added"] == 2
    skipped = {s["path"]: s["reason"] for s in rep["skipped"]}
    assert sorted(skipped) == BAD_FILES
    assert "empty" in skipped["empty.txt"]
    assert "binary" in skipped["binary.txt"]
    assert "UTF-8" in skipped["latin1.txt"]


def test_first_search_over_a_mixed_corpus_warns_and_answers(mixed_corpus, tmp_path):
    r = run("search", "--index", str(tmp_path / "idx"), "--corpus", str(mixed_corpus), "--json", "hội nghị")
    assert r.exit_code == 0
    assert all(name in r.stderr for name in BAD_FILES)
    assert json.loads(r.stdout)["total"] == 2


def test_index_quiet_still_warns_about_bad_files(mixed_corpus, tmp_path):
    r = run("index", "--corpus", str(mixed_corpus), "--index", str(tmp_path / "idx"), "--quiet")
    assert r.exit_code == 0
    assert r.stdout == ""
    assert all(name in r.stderr for name in BAD_FILES)


# --- missing things ----------------------------------------------------------------------


@pytest.mark.parametrize("command", [["show", "000_1c6d7c9d19558e0d"], ["stats"], ["refs"], ["stats", "--json"]])
def test_missing_index_exits_3(tmp_path, command):
    index = tmp_path / "no-index"
    line = assert_one_line_error(run(*command, "--index", str(index)), Exit.INDEX_MISSING)
    assert str(index) in line and "bantin index" in line


def test_search_with_missing_index_and_missing_corpus(tmp_path):
    index, corpus = tmp_path / "no-index", tmp_path / "no-corpus"
    r = run("search", "--index", str(index), "--corpus", str(corpus), "Kết luận 21")
    assert r.exit_code in (Exit.INDEX_MISSING, Exit.CORPUS_ERROR)
    line = assert_one_line_error(r, r.exit_code)
    assert "bantin index" in line or "--corpus" in line
    assert not index.exists()


def test_missing_index_is_a_typed_error(tmp_path):
    with pytest.raises(IndexMissingError):
        Searcher(tmp_path / "no-index")
    (tmp_path / "empty-dir").mkdir()
    with pytest.raises(IndexMissingError):
        Searcher(tmp_path / "empty-dir")


def test_index_with_missing_corpus_exits_6(tmp_path):
    corpus = tmp_path / "no-corpus"
    line = assert_one_line_error(run("index", "--corpus", str(corpus), "--index", str(tmp_path / "idx")), Exit.CORPUS_ERROR)
    assert str(corpus) in line and "--corpus" in line


def test_index_with_a_file_as_corpus_exits_6(tmp_path):
    not_a_folder = tmp_path / "corpus.txt"
    not_a_folder.write_text("Hội nghị", encoding="utf-8")
    line = assert_one_line_error(run("index", "--corpus", str(not_a_folder), "--index", str(tmp_path / "idx")), Exit.CORPUS_ERROR)
    assert str(not_a_folder) in line


def test_missing_corpus_is_a_typed_error(tmp_path):
    from searcher import build_index

    with pytest.raises(CorpusError):
        build_index(tmp_path / "no-corpus", tmp_path / "idx")


# --- locked index -----------------------------------------------------------------------------


def test_index_locked_by_another_job_exits_5(tmp_path, corpus_dir):
    from searcher import layout

    index = tmp_path / "idx"
    with layout.WriteLock(index):
        line = assert_one_line_error(run("index", "--corpus", str(corpus_dir), "--index", str(index)), Exit.INDEX_LOCKED)
    assert "--wait" in line
    assert run("index", "--corpus", str(corpus_dir), "--index", str(index), "-q").exit_code == 0


# --- interrupted -------------------------------------------------------------------------------


def test_interrupted_index_job_exits_130_and_keeps_the_old_index(tmp_path, seed_index, corpus_dir, seed_ids):
    """A real SIGINT, sent once the rebuild is seen writing its new generation
    (a ``gen-*.tmp`` folder appears): exit 130, one line, the old index serves."""
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    live = (index / "CURRENT").read_text(encoding="utf-8")
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus)
    body = (corpus_dir / "003_f0e23452681d55ff.txt").read_text(encoding="utf-8")
    with open(corpus / "more.jsonl", "w", encoding="utf-8") as f:  # enough work to be caught mid-way
        for i in range(400):
            f.write(json.dumps({"id": f"more-{i}", "title": f"Bản tin {i}", "body": f"{i} {body}"}, ensure_ascii=False) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANTIN_")}
    job = subprocess.Popen(
        [sys.executable, "-m", "searcher", "index", "--rebuild", "--procs", "1", "--corpus", str(corpus), "--index", str(index)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env,
    )
    try:
        while job.poll() is None and not list(index.glob("gen-*.tmp")):
            pass  # the event: the job has started writing
        assert job.poll() is None, "the job ended before it was seen writing"
        job.send_signal(signal.SIGINT)
        _, err = job.communicate(timeout=120)
    finally:
        if job.poll() is None:
            job.kill()
            job.communicate()
    assert job.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("Error: interrupted")
    assert len([line for line in err.strip().splitlines() if line.startswith("Error")]) == 1
    assert (index / "CURRENT").read_text(encoding="utf-8") == live
    with Searcher(index) as s:
        assert [h.id for h in s.search("Kết luận 21").hits] == [seed_ids["003"], seed_ids["000"]]


# --- corrupt index ---------------------------------------------------------------------------


def generation_dir(index: Path) -> Path:
    return index / (index / "CURRENT").read_text(encoding="utf-8").strip()


def point_to_missing_generation(index: Path) -> None:
    (index / "CURRENT").write_text("gen-000999\n", encoding="utf-8")


def garbage_over_toc(index: Path) -> None:
    (toc,) = generation_dir(index).glob("_MAIN_*.toc")
    toc.write_bytes(bytes(range(256)) * 2)


def empty_toc(index: Path) -> None:
    (toc,) = generation_dir(index).glob("_MAIN_*.toc")
    toc.write_bytes(b"")


def segment_files(index: Path, suffix: str = "") -> list[Path]:
    """A generation's segment files (whoosh's terms, postings, columns, and bantin's sidecar)."""
    files = [p for p in generation_dir(index).glob("MAIN_*") if not p.name.endswith("WRITELOCK")]
    files = [p for p in files if p.name.endswith(suffix)]
    assert files, f"no segment file ending in {suffix!r}"
    return files


def truncate(suffix: str, keep) -> callable:
    def corrupt(index: Path) -> None:
        files = [f for f in segment_files(index, suffix) if f.stat().st_size]
        if not files:
            pytest.skip(f"the {suffix} files are empty on this corpus (small posting lists are inlined in the terms file)")
        for f in files:
            size = f.stat().st_size
            with open(f, "r+b") as fh:
                fh.truncate(keep(size))

    return corrupt


def garbage_over(suffix: str) -> callable:
    def corrupt(index: Path) -> None:
        for f in segment_files(index, suffix):
            f.write_bytes(bytes(range(256)) * 4)

    return corrupt


def remove_segment(index: Path) -> None:
    for f in segment_files(index):
        f.unlink()


def garbage_current(index: Path) -> None:
    (index / "CURRENT").write_bytes(b"\xff\xfe\x00garbage")


CORRUPTIONS = {
    "current-points-nowhere": point_to_missing_generation,
    "current-garbage": garbage_current,
    "toc-garbage": garbage_over_toc,
    "toc-empty": empty_toc,
    "terms-half": truncate(".trm", lambda n: n // 2),
    "terms-empty": truncate(".trm", lambda n: 0),
    "postings-half": truncate(".pst", lambda n: n // 2),
    "postings-10-bytes": truncate(".pst", lambda n: 10),
    "stored-half": truncate("_stored.col", lambda n: n // 2),
    "stored-empty": truncate("_stored.col", lambda n: 0),
    "sidecar-half": truncate(".bantin", lambda n: n // 2),
    "sidecar-empty": truncate(".bantin", lambda n: 0),
    "sidecar-garbage": garbage_over(".bantin"),
    "segment-missing": remove_segment,
}


@pytest.fixture
def corrupt_index(tmp_path, seed_index):
    """A private copy of the seed index with one kind of damage."""

    def make(kind: str) -> Path:
        index = tmp_path / f"corrupt-{kind}"
        shutil.copytree(seed_index, index)
        CORRUPTIONS[kind](index)
        return index

    return make


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_corrupt_index_search_exits_4(corrupt_index, tmp_path, kind):
    index = corrupt_index(kind)
    r = run("search", "--index", str(index), "--corpus", str(tmp_path / "no-corpus"), "Kết luận 21")
    line = assert_one_line_error(r, Exit.INDEX_CORRUPT)
    assert "--rebuild" in line


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_corrupt_index_show_exits_4(corrupt_index, seed_ids, kind):
    index = corrupt_index(kind)
    assert_one_line_error(run("show", "--index", str(index), seed_ids["003"]), Exit.INDEX_CORRUPT)


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_corrupt_index_library_raises_index_corrupt_error(corrupt_index, seed_ids, kind):
    index = corrupt_index(kind)
    with pytest.raises(IndexCorruptError) as info:
        with Searcher(index) as s:
            s.search("Kết luận 21")
            s.get(seed_ids["003"])
    assert "\n" not in str(info.value) and "--rebuild" in str(info.value)


@pytest.mark.parametrize("suffix", [".trm", ".pst", "_stored.col", ".bantin"])
def test_damaged_segment_bytes_give_only_typed_errors(tmp_path, seed_index, seed_ids, suffix):
    """Overwrite 200 bytes at several places of a segment file: whatever breaks must
    break as a BantinError (a wrong or missing result is acceptable, a raw
    zlib/struct/pickle/sqlite error is not)."""
    (name,) = [f.name for f in segment_files(seed_index, suffix)]
    size = (generation_dir(seed_index) / name).stat().st_size
    raw: list[str] = []
    for i, pos in enumerate(range(0, max(size - 200, 1), max(size // 25, 1))):
        index = tmp_path / f"damaged-{i}"
        shutil.copytree(seed_index, index)
        with open(generation_dir(index) / name, "r+b") as fh:
            fh.seek(pos)
            fh.write(b"\xff" * 200)
        try:
            with Searcher(index) as s:
                for q in ("Kết luận 21", "dang vien", "hội nghị", '"kết luận"'):
                    s.search(q, limit=10)
                for doc_id in seed_ids.values():
                    s.get(doc_id)
                s.refs()
        except BantinError:
            pass
        except Exception as e:  # noqa: BLE001 - collected for the assertion
            raw.append(f"offset {pos}: {e.__class__.__module__}.{e.__class__.__name__}: {str(e)[:60]}")
        shutil.rmtree(index)
    assert raw == [], "\n".join(raw)


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_rebuild_repairs_a_corrupt_index(corrupt_index, corpus_dir, seed_ids, kind):
    """The error message says "rebuild it with `bantin index --rebuild`": that must work."""
    index = corrupt_index(kind)
    r = run("index", "--corpus", str(corpus_dir), "--index", str(index), "--rebuild", "--json")
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert r.exit_code == 0
    assert json.loads(r.stdout)["documents"] == 5
    r = run("search", "--index", str(index), "--json", "Kết luận 21")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["hits"][0]["id"] == seed_ids["003"]


def test_corrupt_index_in_a_real_process_prints_one_line(corrupt_index, tmp_path):
    index = corrupt_index("toc-garbage")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANTIN_")}
    p = subprocess.run(
        [sys.executable, "-m", "searcher", "search", "--index", str(index), "--corpus", str(tmp_path / "none"), "Kết luận 21"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60,
    )
    assert p.returncode == Exit.INDEX_CORRUPT
    assert "Traceback" not in p.stderr
    assert p.stdout == ""
    assert len(p.stderr.strip().splitlines()) == 1
    assert p.stderr.startswith("Error: ")
