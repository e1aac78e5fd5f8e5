"""The hardening commit, end to end: honest exit codes, nothing taken from data,
damage repaired, hostile corpus files and terminal text made harmless.

One or more tests per item of the hardening brief (``test_itemNN_…``).  Real
whoosh indexes (``build_index`` / ``bantin index``), real processes, real file
systems (a 400 KB tmpfs for the full disk), a real unprivileged user (``nobody``
via ``setpriv``) where permissions matter; no mocks.  The one injected fault is
item 8's: ``searcher.search.make_snippet`` made to raise, to see that a bug is
reported as a bug.  Tests needing root, ``mount`` or ``setpriv`` skip, saying why,
where those are missing.

Every error checked is one ``Error: …`` line on stderr, no traceback, and the
documented code of :class:`searcher.cli.common.Exit`.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import pickle
import random
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from contextlib import closing
from pathlib import Path

import pytest
from conftest import assert_one_line_error, run

from searcher import Searcher, build_index, update_index
from searcher.analysis import MAX_SENTENCE_CHARS, sentences
from searcher.bulletins import MAX_BODY_CHARS
from searcher.cli.common import Exit
from searcher.errors import (
    BantinError,
    IndexCorruptError,
    IndexWriteError,
    QueryError,
    SearcherClosedError,
)
from searcher.models import Citation

PROJECT = Path(__file__).resolve().parents[1]
NOBODY = 65534
AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]

# A bulletin short enough for an index that fits on a 400 KB disk.
TINY_TXT = "Hội nghị chi bộ ngắn\n\nBản tin ngắn về hội nghị zebrafoo của chi bộ thôn.\n"


# --- helpers --------------------------------------------------------------------------------


def _env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANTIN_")}
    for k in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        env.pop(k, None)
    env.update(extra or {})
    return env


def bantin(*args: str, prefix: tuple[str, ...] = (), cwd: Path = PROJECT, env: dict | None = None,
           raw: bool = False, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m searcher ARGS`` in a real process (``prefix``: e.g. setpriv)."""
    return subprocess.run(
        [*prefix, sys.executable, "-m", "searcher", *args],
        capture_output=True, text=not raw, timeout=timeout, env=_env(env), cwd=cwd,
    )


def one_line_error(p: subprocess.CompletedProcess, code: int) -> str:
    """A real process exited ``code`` with one ``Error:`` line on stderr and no traceback."""
    assert "Traceback" not in p.stderr, p.stderr
    assert p.returncode == code, (p.returncode, p.stdout[-2000:], p.stderr[-2000:])
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: "), lines
    return lines[0]


def index_json(*args: str, **kw) -> dict:
    """``bantin index ARGS --json``, which must succeed; its report."""
    p = bantin("index", *args, "--json", **kw)
    assert p.returncode == Exit.OK, p.stderr
    assert "Traceback" not in p.stderr
    return json.loads(p.stdout)


def search_ids(index: Path, query: str, *extra: str) -> list[str]:
    """Ids of ``bantin search QUERY --json`` (a real process; no corpus to build from)."""
    p = bantin("search", query, *extra, "--index", str(index), "--corpus", str(index.parent / "no-corpus"), "--json")
    assert p.returncode in (Exit.OK, Exit.NO_RESULTS), p.stderr
    assert "Traceback" not in p.stderr
    return [h["id"] for h in json.loads(p.stdout)["hits"]]


def live_gen(index: Path) -> Path:
    return index / (index / "CURRENT").read_text(encoding="utf-8").strip()


def copy_seeds(corpus_dir: Path, dest: Path) -> Path:
    shutil.copytree(corpus_dir, dest)
    return dest


def _only(gen: Path, pattern: str) -> Path:
    found = sorted(gen.glob(pattern))
    assert len(found) == 1, (pattern, found)
    return found[0]


def damage_same_size(path: Path) -> None:
    """Overwrite ``path`` in place with other bytes of the same length (every byte inverted)."""
    before = path.stat()
    data = path.read_bytes()
    with open(path, "r+b") as f:
        f.write(bytes(b ^ 0xFF for b in data))
    after = path.stat()
    assert after.st_size == before.st_size
    if after.st_mtime_ns == before.st_mtime_ns:  # written within one clock tick of the build
        os.utime(path, ns=(after.st_atime_ns, before.st_mtime_ns + 1_000_000_000))


@pytest.fixture
def world_dir():
    """A temporary folder every user can enter (pytest's own are root-only)."""
    path = Path(tempfile.mkdtemp(prefix="bantin-hardening-"))
    os.chmod(path, 0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def nobody(world_dir):
    """The ``setpriv`` prefix that runs a command as user nobody; skips when that cannot work."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run a command as user nobody")
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv is not installed")
    probe = subprocess.run(
        [*AS_NOBODY, sys.executable, "-c", "import os, searcher.cli; print(os.getuid())"],
        capture_output=True, text=True, timeout=120, env=_env({"HOME": str(world_dir)}), cwd=world_dir,
    )
    if probe.returncode != 0 or probe.stdout.strip() != str(NOBODY):
        pytest.skip(f"user nobody cannot run bantin here: {probe.stderr.strip()[-300:]}")
    return tuple(AS_NOBODY)


def world_readable_seeds(corpus_dir: Path, world_dir: Path) -> Path:
    corpus = copy_seeds(corpus_dir, world_dir / "corpus")
    os.chmod(corpus, 0o755)
    for p in corpus.iterdir():
        os.chmod(p, 0o644)
    return corpus


# --- 1. symbolic link loops -------------------------------------------------------------------


def test_item01_symlink_loop_is_skipped_and_the_good_bulletin_indexed(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(TINY_TXT, encoding="utf-8")
    os.symlink("b.txt", corpus / "a.txt")
    os.symlink("a.txt", corpus / "b.txt")
    index = tmp_path / "index"

    report = index_json("--corpus", str(corpus), "--index", str(index))

    assert report["documents"] == 1 and report["added"] == 1
    skipped = {s["path"]: s["reason"] for s in report["skipped"]}
    assert set(skipped) == {"a.txt", "b.txt"}, skipped
    assert all("symbolic link loop" in reason for reason in skipped.values()), skipped
    assert search_ids(index, "zebrafoo") == ["good"]


def test_item01_symlink_loop_warnings_in_text_mode(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(TINY_TXT, encoding="utf-8")
    os.symlink("b.txt", corpus / "a.txt")
    os.symlink("a.txt", corpus / "b.txt")
    p = bantin("index", "--corpus", str(corpus), "--index", str(tmp_path / "index"))
    assert p.returncode == Exit.OK, p.stderr
    assert "Traceback" not in p.stderr
    warnings = [line for line in p.stderr.splitlines() if line.startswith("warning: skipped")]
    assert len(warnings) == 2, p.stderr
    assert all("symbolic link loop" in line for line in warnings)


# --- 2. an index that cannot be written ---------------------------------------------------------


def test_item02_index_folder_not_writable_by_the_user_exits_7(nobody, world_dir, corpus_dir, seed_ids):
    corpus = world_readable_seeds(corpus_dir, world_dir)
    index = world_dir / "index"
    build_index(corpus, index)  # as root: the folder is root's, mode 0755
    assert stat.S_IMODE(index.stat().st_mode) == 0o755 and index.stat().st_uid == 0
    live = (index / "CURRENT").read_text(encoding="utf-8")
    (corpus / "new.txt").write_text(TINY_TXT, encoding="utf-8")
    os.chmod(corpus / "new.txt", 0o644)

    p = bantin("index", "--corpus", str(corpus), "--index", str(index),
               prefix=nobody, cwd=world_dir, env={"HOME": str(world_dir)})

    line = one_line_error(p, Exit.INDEX_UNWRITABLE)
    assert "permission" in line.lower(), line
    assert str(index) in line
    assert (index / "CURRENT").read_text(encoding="utf-8") == live
    assert not list(index.glob("gen-*.tmp"))
    # the index still serves, to root and to nobody (its files are world-readable)
    with Searcher(index) as s:
        assert [h.id for h in s.search("Kết luận 21").hits] == [seed_ids["003"], seed_ids["000"]]
    q = bantin("search", "Kết luận 21", "--index", str(index), "--corpus", str(world_dir / "none"), "--json",
               prefix=nobody, cwd=world_dir, env={"HOME": str(world_dir)})
    assert q.returncode == Exit.OK, q.stderr
    assert [h["id"] for h in json.loads(q.stdout)["hits"]] == [seed_ids["003"], seed_ids["000"]]


@pytest.fixture
def small_disk(tmp_path):
    """A 400 KB tmpfs, unmounted afterwards; skips without root or mount."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs")
    if shutil.which("mount") is None or shutil.which("umount") is None:
        pytest.skip("mount/umount are not installed")
    disk = tmp_path / "disk"
    disk.mkdir()
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(disk)],
                       capture_output=True, text=True, timeout=60)
    if m.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {m.stderr.strip()}")
    try:
        yield disk
    finally:
        gc.collect()  # files a failed job left open (see the test below) must not keep it busy
        u = subprocess.run(["umount", str(disk)], capture_output=True, text=True, timeout=60)
        if u.returncode != 0:
            subprocess.run(["umount", "-l", str(disk)], capture_output=True, timeout=60)
            raise AssertionError(f"could not unmount {disk} (still in use?): {u.stderr.strip()}")


def test_item02_full_disk_exits_7_and_the_previous_index_serves(small_disk, tmp_path, corpus_dir):
    tiny = tmp_path / "tiny-corpus"
    tiny.mkdir()
    (tiny / "tin.txt").write_text(TINY_TXT, encoding="utf-8")
    index = small_disk / "index"
    first = index_json("--corpus", str(tiny), "--index", str(index))
    assert first["documents"] == 1
    live = (index / "CURRENT").read_text(encoding="utf-8")

    p = bantin("index", "--corpus", str(corpus_dir), "--index", str(index))

    line = one_line_error(p, Exit.INDEX_UNWRITABLE)
    assert "no space left" in line, line
    assert (index / "CURRENT").read_text(encoding="utf-8") == live
    assert not list(index.glob("gen-*.tmp")), "the failed generation must be cleaned up"
    assert search_ids(index, "zebrafoo") == ["tin"]

    # library callers get a typed error (a BantinError and an OSError)
    with pytest.raises(IndexWriteError, match="no space left") as info:
        update_index(corpus_dir, index)
    assert isinstance(info.value, BantinError) and isinstance(info.value, OSError)
    assert (index / "CURRENT").read_text(encoding="utf-8") == live
    with Searcher(index) as s:
        assert [h.id for h in s.search("zebrafoo").hits] == ["tin"]


def _open_files_under(folder: Path) -> list[str]:
    """Files this process holds open under ``folder`` (Linux /proc)."""
    out = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(folder) + "/"):
            out.append(target)
    return out


def test_item02_a_job_failing_on_a_full_disk_gives_the_space_back(small_disk, tmp_path, corpus_dir):
    tiny = tmp_path / "tiny-corpus"
    tiny.mkdir()
    (tiny / "tin.txt").write_text(TINY_TXT, encoding="utf-8")
    index = small_disk / "index"
    build_index(tiny, index)
    free_before = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    gc.disable()  # what a long-running caller sees until the collector happens to run
    try:
        try:
            update_index(corpus_dir, index)
        except IndexWriteError:
            pass
        else:
            pytest.fail("the seed corpus fits on a 400 KB disk: nothing was tested")
        held = _open_files_under(small_disk)
        free_after = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    finally:
        gc.enable()
        gc.collect()
    assert held == [], held
    assert free_after >= free_before - 16 * 1024, (free_before, free_after)


def test_item02_index_path_that_is_a_file(tmp_path, corpus_dir):
    a_file = tmp_path / "index"
    a_file.write_text("not an index", encoding="utf-8")

    line = assert_one_line_error(
        run("search", "Kết luận 21", "--index", str(a_file), "--corpus", str(tmp_path / "no-corpus")),
        Exit.INDEX_MISSING,
    )
    assert str(a_file) in line

    p = bantin("index", "--corpus", str(corpus_dir), "--index", str(a_file))
    line = one_line_error(p, Exit.INDEX_UNWRITABLE)
    assert "is a file" in line and str(a_file) in line
    assert a_file.read_text(encoding="utf-8") == "not an index"

    with pytest.raises(IndexWriteError):
        update_index(corpus_dir, a_file)


# --- 3. same-size damage, found and repaired -------------------------------------------------------

DAMAGED_PARTS = {
    "pst": "*.pst",
    "stored": "*_stored.col",
    "sidecar": "*.bantin",
    "pairs": "*.pairs",
    "vocab": "vocab.sqlite",
}


@pytest.mark.parametrize("part", list(DAMAGED_PARTS))
def test_item03_same_size_damage_exits_4_then_the_job_rebuilds(tmp_path, seed_index, corpus_dir, seed_ids, part):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    want = [seed_ids["003"], seed_ids["000"]]
    assert search_ids(index, "Kết luận 21") == want
    victim = _only(live_gen(index), DAMAGED_PARTS[part])
    size = victim.stat().st_size
    damage_same_size(victim)
    assert victim.stat().st_size == size

    # "Kết luận 21" opens the vocabulary, reads postings, the sidecar and stored fields
    p = bantin("search", "Kết luận 21", "--index", str(index), "--corpus", str(tmp_path / "no-corpus"))
    line = one_line_error(p, Exit.INDEX_CORRUPT)
    assert "--rebuild" in line

    report = index_json("--corpus", str(corpus_dir), "--index", str(index))
    assert report["rebuilt"] is True, report
    assert victim.name in (report["reason"] or ""), report
    assert report["documents"] == 5
    assert search_ids(index, "Kết luận 21") == want
    again = index_json("--corpus", str(corpus_dir), "--index", str(index))
    assert again["rebuilt"] is False and again["unchanged"] == 5


def test_item03_damage_where_only_the_typo_reader_looks_exits_4(tmp_path, seed_index):
    """Pages of the sidecar's pair counts damaged in place: reading the query
    (the typo reader counts pairs there) reports the index damaged, not a bug."""
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    victim = _only(live_gen(index), "*.bantin")
    with closing(sqlite3.connect(victim)) as con:
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
        try:
            pages = [n for (n,) in con.execute("SELECT pageno FROM dbstat WHERE name = 'pairs'")]
        except sqlite3.OperationalError:
            pytest.skip("this SQLite has no dbstat table to find the pages by")
    assert pages
    size = victim.stat().st_size
    with open(victim, "r+b") as f:
        for n in pages:
            f.seek((n - 1) * page_size)
            f.write(b"\xff" * page_size)
    assert victim.stat().st_size == size

    p = bantin("search", "Bộ Chính trị họp", "--index", str(index), "--corpus", str(tmp_path / "no-corpus"))
    line = one_line_error(p, Exit.INDEX_CORRUPT)
    assert "--rebuild" in line and "damaged" in line
    with Searcher(index) as s, pytest.raises(IndexCorruptError):
        s.plan("Bộ Chính trị họp")


def test_item03_damage_with_its_mtime_restored_needs_verify(tmp_path, seed_index, corpus_dir, seed_ids):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    victim = _only(live_gen(index), "*.pst")
    before = victim.stat()
    damage_same_size(victim)
    os.utime(victim, ns=(before.st_atime_ns, before.st_mtime_ns))  # the damage hides its tracks
    assert victim.stat().st_mtime_ns == before.st_mtime_ns and victim.stat().st_size == before.st_size

    plain = index_json("--corpus", str(corpus_dir), "--index", str(index))
    assert plain["rebuilt"] is False and plain["reason"] is None, plain
    assert plain["unchanged"] == 5

    verified = index_json("--corpus", str(corpus_dir), "--index", str(index), "--verify")
    assert verified["rebuilt"] is True, verified
    assert victim.name in verified["reason"], verified
    assert search_ids(index, "Kết luận 21") == [seed_ids["003"], seed_ids["000"]]
    clean = index_json("--corpus", str(corpus_dir), "--index", str(index), "--verify")
    assert clean["rebuilt"] is False


# --- 4. no code from the index; fixed file modes ----------------------------------------------------


class _Touch:
    """Unpickling this calls ``open(path, "w")``: it creates ``path``."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _unpickle_in_a_process(payload: bytes, where: Path) -> None:
    where.write_bytes(payload)
    code = "import pickle, sys\nwith open(sys.argv[1], 'rb') as f:\n    pickle.load(f)\n"
    subprocess.run([sys.executable, "-c", code, str(where)], capture_output=True, timeout=60, check=True)


@pytest.fixture
def evil_pickle(tmp_path):
    """``(payload, marker)``: a pickle that creates ``marker`` when loaded (checked
    on a twin payload aimed at another path, so ``marker`` itself stays absent)."""
    twin_marker = tmp_path / "twin-marker"
    _unpickle_in_a_process(pickle.dumps(_Touch(twin_marker)), tmp_path / "twin.pickle")
    assert twin_marker.exists(), "the payload must be potent for the test to mean anything"
    marker = tmp_path / "PWNED"
    return pickle.dumps(_Touch(marker)), marker


def test_item04_a_planted_vocab_pickle_is_never_unpickled(tmp_path, seed_index, corpus_dir, seed_ids, evil_pickle):
    payload, marker = evil_pickle
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    (live_gen(index) / "vocab.pickle").write_bytes(payload)
    (index / "vocab.pickle").write_bytes(payload)

    assert search_ids(index, "Kết luận 21") == [seed_ids["003"], seed_ids["000"]]
    assert search_ids(index, "truong thi mai")  # the vocabulary (restoring diacritics) is in use
    assert index_json("--corpus", str(corpus_dir), "--index", str(index))["rebuilt"] is False
    assert index_json("--corpus", str(corpus_dir), "--index", str(index), "--verify")["rebuilt"] is False
    # an update with a new bulletin reads the live index too
    corpus = copy_seeds(corpus_dir, tmp_path / "corpus")
    (corpus / "new.txt").write_text(TINY_TXT, encoding="utf-8")
    assert index_json("--corpus", str(corpus), "--index", str(index))["added"] == 1
    assert not marker.exists(), "vocab.pickle was unpickled"


def _vocab_as_pickle(index: Path, name: str, payload: bytes, fix_meta: bool) -> None:
    gen = live_gen(index)
    (gen / "vocab.sqlite").unlink()
    (gen / name).write_bytes(payload)
    if fix_meta:  # the file records agree with the new bytes: only its content can tell
        meta_path = gen / "meta.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        del meta["files"]["vocab.sqlite"]
        st = (gen / name).stat()
        meta["files"][name] = [st.st_size, st.st_mtime_ns, hashlib.sha1(payload).hexdigest()]
        meta_path.write_text(json.dumps(meta), encoding="utf-8")


@pytest.mark.parametrize("name", ["vocab.sqlite", "vocab.json"])
@pytest.mark.parametrize("fix_meta", [False, True], ids=["as-is", "meta-agrees"])
def test_item04_a_vocabulary_holding_a_pickle_is_corrupt_not_code(tmp_path, seed_index, evil_pickle, fix_meta, name):
    """Today's vocabulary file, or the JSON one of earlier versions, holding a pickle."""
    payload, marker = evil_pickle
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    _vocab_as_pickle(index, name, payload, fix_meta)

    p = bantin("search", "Kết luận 21", "--index", str(index), "--corpus", str(tmp_path / "no-corpus"))
    one_line_error(p, Exit.INDEX_CORRUPT)
    with pytest.raises(IndexCorruptError):
        Searcher(index)
    assert not marker.exists(), f"{name} was unpickled"


def _modes(index: Path) -> dict[str, int]:
    out = {}
    for p in [index, *index.rglob("*")]:
        out[p.relative_to(index).as_posix() or "."] = stat.S_IMODE(p.lstat().st_mode)
    return out


def test_item04_index_modes_are_fixed_under_umask_0(tmp_path, corpus_dir):
    corpus = copy_seeds(corpus_dir, tmp_path / "corpus")
    index = tmp_path / "index"
    code = (
        "import os, sys\n"
        "os.umask(0)\n"
        "from searcher import build_index, update_index\n"
        "build_index(sys.argv[1], sys.argv[2])\n"
        "open(os.path.join(sys.argv[3], 'probe'), 'w').close()\n"
    )
    p = subprocess.run([sys.executable, "-c", code, str(corpus), str(index), str(tmp_path)],
                       capture_output=True, text=True, timeout=300, env=_env(), cwd=PROJECT)
    assert p.returncode == 0, p.stderr
    assert stat.S_IMODE((tmp_path / "probe").stat().st_mode) == 0o666, "umask 0 was not in force"
    # an incremental update (hard-linked files) under umask 0 as well
    (corpus / "new.txt").write_text(TINY_TXT, encoding="utf-8")
    code2 = "import os, sys\nos.umask(0)\nfrom searcher import update_index\nprint(update_index(sys.argv[1], sys.argv[2]).added)\n"
    p = subprocess.run([sys.executable, "-c", code2, str(corpus), str(index)],
                       capture_output=True, text=True, timeout=300, env=_env(), cwd=PROJECT)
    assert p.returncode == 0 and p.stdout.strip() == "1", p.stderr

    modes = _modes(index)
    gens = [name for name in modes if name.startswith("gen-") and "/" not in name]
    assert gens, modes
    for name in gens:
        assert modes[name] == 0o755, (name, oct(modes[name]))
    files = {name: m for name, m in modes.items() if "/" in name}
    assert len(files) > 10
    bad = {name: oct(m) for name, m in files.items() if m != 0o644}
    assert not bad, bad
    assert modes["."] == 0o755 and modes["CURRENT"] == 0o644 and modes["LOCK"] == 0o644, modes


# --- 5. symbolic links out of the corpus ----------------------------------------------------------


def test_item05_links_out_of_the_corpus_need_follow_symlinks(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(
        "Tài liệu mật\n\nNội dung có từ khoá quasisecretword chỉ ở đây.\n", encoding="utf-8"
    )
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(TINY_TXT, encoding="utf-8")
    os.symlink(outside / "secret.txt", corpus / "secret.txt")
    # a link to a file inside the corpus (in a hidden folder, so only the link reads it)
    (corpus / ".store").mkdir()
    (corpus / ".store" / "inner.txt").write_text(
        "Tin nội bộ\n\nBản tin có từ khoá innerlinkword trong thư mục ẩn.\n", encoding="utf-8"
    )
    os.symlink(Path(".store") / "inner.txt", corpus / "inner.txt")
    index = tmp_path / "index"

    report = index_json("--corpus", str(corpus), "--index", str(index))
    skipped = {s["path"]: s["reason"] for s in report["skipped"]}
    assert list(skipped) == ["secret.txt"], skipped
    assert "--follow-symlinks" in skipped["secret.txt"]
    assert report["documents"] == 2
    assert search_ids(index, "quasisecretword") == []
    p = bantin("search", "quasisecretword", "--index", str(index), "--corpus", str(tmp_path / "none"))
    assert p.returncode == Exit.NO_RESULTS and "Traceback" not in p.stderr
    assert search_ids(index, "innerlinkword") == ["inner"]

    followed = index_json("--corpus", str(corpus), "--index", str(index), "--follow-symlinks")
    assert followed["added"] == 1 and followed["skipped"] == [], followed
    assert search_ids(index, "quasisecretword") == ["secret"]
    assert search_ids(index, "innerlinkword") == ["inner"]


# --- 6. terminal control sequences ------------------------------------------------------------------

CONTROL_TITLE = "Tiêu đề alphaword \x1b]0;pwned\x07 betaword [bold]x[/bold] kết thúc"
CONTROL_BODY = "Mở đầu gammaword \x1b[2J deltaword tiếp theo epsilonword \x9b31m zetaword hết bài."


def _no_controls(text: str) -> None:
    bad = sorted({f"U+{ord(c):04X}" for c in text if c in "\x1b\x07" or "\x80" <= c <= "\x9f"})
    assert not bad, bad


@pytest.fixture
def control_index(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ctl.txt").write_text(f"{CONTROL_TITLE}\n\n{CONTROL_BODY}\n", encoding="utf-8")
    index = tmp_path / "index"
    build_index(corpus, index)
    return index


def test_item06_show_prints_no_terminal_controls(control_index, tmp_path):
    p = bantin("show", "ctl", "--index", str(control_index), raw=True)
    assert p.returncode == Exit.OK, p.stderr
    out = p.stdout.decode("utf-8")
    _no_controls(out)
    _no_controls(p.stderr.decode("utf-8"))
    for word in ("alphaword", "betaword", "gammaword", "deltaword", "epsilonword", "zetaword", "kết thúc"):
        assert word in out, word
    assert "[bold]x[/bold]" in out  # rich markup in a title is printed as written

    j = bantin("show", "ctl", "--index", str(control_index), "--json", raw=True)
    assert j.returncode == Exit.OK
    _no_controls(j.stdout.decode("utf-8"))
    doc = json.loads(j.stdout)
    _no_controls(doc["title"] + doc["body"])
    assert "[bold]x[/bold]" in doc["title"]


def test_item06_search_prints_no_terminal_controls(control_index, tmp_path):
    for word in ("deltaword", "betaword"):
        p = bantin("search", word, "--index", str(control_index), "--corpus", str(tmp_path / "none"), raw=True)
        assert p.returncode == Exit.OK, p.stderr
        out = p.stdout.decode("utf-8")
        _no_controls(out)
        _no_controls(p.stderr.decode("utf-8"))
        for kept in ("alphaword", "betaword", "[bold]x[/bold]", "gammaword", "deltaword", "epsilonword", "zetaword"):
            assert kept in out, (word, kept, out)


# --- 7. size limits -----------------------------------------------------------------------------------

VI_WORDS = (
    "hội nghị đảng viên cán bộ công tác tổ chức xây dựng chính trị nhân dân tỉnh ủy thành phố "
    "kết luận nghị quyết thực hiện nhiệm vụ phát triển kinh tế xã hội ban chấp hành trung ương "
    "quán triệt triển khai đồng chí bí thư thường trực"
).split()


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory) -> Path:
    """One .txt bulletin: a single 2 MB line of random Vietnamese words (fixed seed)."""
    rng = random.Random(20261129)
    words, size = [], 0
    while size < 2_000_000:
        w = rng.choice(VI_WORDS)
        words.append(w)
        size += len(w.encode("utf-8")) + 1
    corpus = tmp_path_factory.mktemp("big") / "corpus"
    corpus.mkdir()
    text = " ".join(words)
    assert "\n" not in text
    (corpus / "big.txt").write_text(text, encoding="utf-8")
    assert (corpus / "big.txt").stat().st_size >= 2_000_000
    return corpus


def test_item07_a_2mb_one_line_bulletin_is_capped_with_a_warning(big_corpus, tmp_path):
    index = tmp_path / "index"
    report = build_index(big_corpus, index)
    assert report.documents == 1 and report.skipped == []
    assert len(report.warnings) == 1, report.warnings
    assert report.warnings[0]["path"] == "big.txt"
    assert "big.txt" in report.warnings[0]["message"]
    assert f"{MAX_BODY_CHARS:,}" in report.warnings[0]["message"]
    with Searcher(index) as s:
        doc = s.get("big")
        assert 0 < len(doc.body) <= MAX_BODY_CHARS
        assert len(doc.body) > MAX_BODY_CHARS // 2  # cut near the limit, not emptied
        assert [h.id for h in s.search("quán triệt").hits] == ["big"]


def test_item07_index_json_names_the_capped_file_in_warnings(big_corpus, tmp_path):
    report = index_json("--corpus", str(big_corpus), "--index", str(tmp_path / "index"))
    assert report["documents"] == 1 and report["skipped"] == []
    warnings = report.get("warnings")
    assert warnings and len(warnings) == 1, report
    assert warnings[0]["path"] == "big.txt" and "big.txt" in warnings[0]["message"], warnings


def test_item07_index_text_output_prints_the_warning(big_corpus, tmp_path):
    p = bantin("index", "--corpus", str(big_corpus), "--index", str(tmp_path / "index"))
    assert p.returncode == Exit.OK, p.stderr
    assert "Traceback" not in p.stderr
    lines = [line for line in p.stderr.splitlines() if line.startswith("warning:")]
    assert len(lines) == 1 and "big.txt" in lines[0] and f"{MAX_BODY_CHARS:,}" in lines[0], p.stderr


@pytest.mark.parametrize("kind", ["words", "no-spaces", "mixed"])
def test_item07_sentences_are_bounded_on_line_less_text(kind):
    rng = random.Random(7)
    if kind == "words":
        text = " ".join(rng.choice(VI_WORDS) for _ in range(20_000))
    elif kind == "no-spaces":
        text = "".join(rng.choice(VI_WORDS) for _ in range(5_000))
    else:
        text = " ".join(rng.choice(VI_WORDS) * rng.choice([1, 1, 1, 40, 200]) for _ in range(3_000))
    assert "\n" not in text and "." not in text
    pieces = list(sentences(text))
    assert len(pieces) > len(text) // MAX_SENTENCE_CHARS
    longest = max(len(piece) for piece, _ in pieces)
    assert longest <= MAX_SENTENCE_CHARS, longest
    for piece, start in pieces:  # the offsets point at the pieces, and they cover the text
        assert text[start : start + len(piece)] == piece
    assert "".join(piece for piece, _ in pieces) == text


# --- 8. errors that do not lie -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.get(None),
        lambda s: s.get(""),
        lambda s: s.search("x", limit=1.5),
        lambda s: s.search("x", limit=True),
        lambda s: s.search(None),
    ],
    ids=["get-None", "get-empty", "limit-1.5", "limit-True", "search-None"],
)
def test_item08_bad_arguments_raise_query_error(seed_searcher, call):
    with pytest.raises(QueryError):
        call(seed_searcher)


def test_item08_use_after_close_raises_searcher_closed(seed_index, seed_ids):
    s = Searcher(seed_index)
    assert s.search("Kết luận 21").hits
    s.close()
    for call in (lambda: s.search("Kết luận 21"), lambda: s.get(seed_ids["003"]), lambda: s.refs()):
        with pytest.raises(SearcherClosedError) as info:
            call()
        assert isinstance(info.value, BantinError)


def _boom(*args, **kwargs):
    raise ZeroDivisionError("injected fault")


def test_item08_a_bug_propagates_as_itself_from_the_library(seed_index, monkeypatch):
    monkeypatch.setattr("searcher.search.make_snippet", _boom)
    with Searcher(seed_index) as s:
        with pytest.raises(ZeroDivisionError, match="injected fault") as info:
            s.search("Kết luận 21")
        assert not isinstance(info.value, IndexCorruptError)


def test_item08_a_bug_in_the_cli_exits_70_with_one_line(seed_index, tmp_path, monkeypatch):
    monkeypatch.setattr("searcher.search.make_snippet", _boom)
    r = run("search", "Kết luận 21", "--index", str(seed_index), "--corpus", str(tmp_path / "none"))
    line = assert_one_line_error(r, Exit.INTERNAL)
    assert "bug" in line and "--debug" in line
    assert "ZeroDivisionError" in line

    r = run("--debug", "search", "Kết luận 21", "--index", str(seed_index), "--corpus", str(tmp_path / "none"))
    assert isinstance(r.exception, ZeroDivisionError)  # re-raised, for Python to print


_INJECTED = (
    "import sys\n"
    "import searcher.search\n"
    "def boom(*args, **kwargs):\n"
    "    raise ZeroDivisionError('injected fault')\n"
    "searcher.search.make_snippet = boom\n"
    "from searcher.cli import main\n"
    "main(sys.argv[1:], prog_name='bantin')\n"
)


@pytest.mark.parametrize("debug", ["none", "--debug", "BANTIN_DEBUG"])
def test_item08_a_bug_in_a_real_process(seed_index, tmp_path, debug):
    args = ["search", "Kết luận 21", "--index", str(seed_index), "--corpus", str(tmp_path / "none")]
    if debug == "--debug":
        args = ["--debug", *args]
    env = _env({"BANTIN_DEBUG": "1"} if debug == "BANTIN_DEBUG" else None)
    p = subprocess.run([sys.executable, "-c", _INJECTED, *args], capture_output=True, text=True,
                       timeout=120, env=env, cwd=tmp_path)
    if debug == "none":
        line = one_line_error(p, Exit.INTERNAL)
        assert "bug" in line and "--debug" in line
    else:
        assert p.returncode not in (Exit.OK, Exit.INTERNAL, Exit.INDEX_CORRUPT), p.stderr
        assert "Traceback (most recent call last)" in p.stderr
        assert "ZeroDivisionError: injected fault" in p.stderr
        assert "make_snippet" in p.stderr or "boom" in p.stderr


# --- 9. an index path that is a file; an unreadable corpus ---------------------------------------------


@pytest.mark.parametrize(
    "command",
    [["search", "Kết luận 21", "--corpus", "{missing}"], ["show", "003_f0e23452681d55ff"], ["refs"], ["stats"],
     ["stats", "--json"]],
    ids=["search", "show", "refs", "stats", "stats-json"],
)
def test_item09_index_that_is_a_file_exits_3_for_readers(tmp_path, command):
    a_file = tmp_path / "index"
    a_file.write_text("not an index", encoding="utf-8")
    args = [c.replace("{missing}", str(tmp_path / "no-corpus")) for c in command]
    line = assert_one_line_error(run(*args, "--index", str(a_file)), Exit.INDEX_MISSING)
    assert str(a_file) in line and "is a file, not an index folder" in line
    assert a_file.read_text(encoding="utf-8") == "not an index"


def test_item09_search_with_index_a_file_exits_3_even_with_a_corpus(tmp_path, corpus_dir):
    a_file = tmp_path / "index"
    a_file.write_text("not an index", encoding="utf-8")
    r = run("search", "Kết luận 21", "--index", str(a_file), "--corpus", str(corpus_dir))
    assert_one_line_error(r, Exit.INDEX_MISSING)


def test_item09_unreadable_corpus_exits_6(tmp_path, world_dir, corpus_dir):
    index = world_dir / "index"
    index.mkdir()
    os.chmod(index, 0o777)  # only the corpus may be in the way
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("setpriv is not installed (needed to read as user nobody)")
        corpus = copy_seeds(corpus_dir, world_dir / "corpus")
        os.chmod(corpus, 0o700)  # root's; nobody cannot list it
        probe = subprocess.run([*AS_NOBODY, sys.executable, "-c", "import searcher.cli"], capture_output=True,
                               text=True, timeout=120, env=_env({"HOME": str(world_dir)}), cwd=world_dir)
        if probe.returncode != 0:
            pytest.skip(f"user nobody cannot run bantin here: {probe.stderr.strip()[-300:]}")
        p = bantin("index", "--corpus", str(corpus), "--index", str(index),
                   prefix=tuple(AS_NOBODY), cwd=world_dir, env={"HOME": str(world_dir)})
    else:
        corpus = copy_seeds(corpus_dir, tmp_path / "corpus")
        os.chmod(corpus, 0)
        try:
            if os.access(corpus, os.R_OK):
                pytest.skip("this user reads a mode-000 folder all the same")
            p = bantin("index", "--corpus", str(corpus), "--index", str(index))
        finally:
            os.chmod(corpus, 0o755)
    line = one_line_error(p, Exit.CORPUS_ERROR)
    assert str(corpus) in line and "cannot be read" in line, line
    assert "permission" in line.lower(), line
    assert not (index / "CURRENT").exists()


# --- 10. query syntax ------------------------------------------------------------------------------------


def _cli_ids(r) -> list[str]:
    assert r.exit_code == Exit.OK, (r.exit_code, r.output)
    return [h["id"] for h in json.loads(r.stdout)["hits"]]


def test_item10_minus_word_on_the_command_line_excludes(seed_index, seed_ids, tmp_path):
    none = str(tmp_path / "none")
    everything = _cli_ids(run("search", "hội", "nghị", "--index", str(seed_index), "--corpus", none, "--json"))
    assert seed_ids["004"] in everything and len(everything) >= 3

    r = run("search", "hội", "nghị", "-Thưởng", "--index", str(seed_index), "--corpus", none, "--json")
    assert "Traceback" not in r.output
    excluded = _cli_ids(r)
    assert seed_ids["004"] not in excluded
    assert excluded == [i for i in everything if i != seed_ids["004"]]

    r = run("search", "hội nghị NOT Thưởng", "--index", str(seed_index), "--corpus", none, "--json")
    assert _cli_ids(r) == excluded


def test_item10_not_boost_and_width_forms(seed_searcher, seed_ids):
    def ids(q):
        return [h.id for h in seed_searcher.search(q).hits]

    assert ids("hội nghị NOT Thưởng") == ids("hội nghị -Thưởng")
    assert seed_ids["004"] not in ids("hội nghị NOT Thưởng")
    assert ids("đảng^2") == ids("đảng") and ids("đảng")
    assert set(ids("ket luan 21")) == {seed_ids["003"], seed_ids["000"]}
    assert ids("ＫＥＴ ＬＵＡＮ ２１") == ids("ket luan 21")


def test_item10_lone_surrogate_gives_an_encodable_result(seed_searcher, seed_ids):
    res = seed_searcher.search("Kết luận 21 \ud800")
    assert [h.id for h in res.hits] == [h.id for h in seed_searcher.search("Kết luận 21").hits]
    assert {h.id for h in res.hits} == {seed_ids["003"], seed_ids["000"]}
    d = res.to_dict()
    json.dumps(d).encode("utf-8")
    json.dumps(d, ensure_ascii=False).encode("utf-8")  # as the CLI prints it


# --- 11. a corpus file turned binary ------------------------------------------------------------------------


def test_item11_a_file_turned_binary_keeps_its_indexed_version(tmp_path, corpus_dir, seed_ids):
    corpus = copy_seeds(corpus_dir, tmp_path / "corpus")
    index = tmp_path / "index"
    first = index_json("--corpus", str(corpus), "--index", str(index))
    assert first["documents"] == 5
    victim = corpus / f"{seed_ids['002']}.txt"
    assert search_ids(index, "Ninh Hải") == [seed_ids["002"]]
    victim.write_bytes(bytes(range(256)) * 40)

    report = index_json("--corpus", str(corpus), "--index", str(index))
    assert [s["path"] for s in report["skipped"]] == [victim.name], report
    assert report["documents"] == 5 and report["deleted"] == 0 and report["updated"] == 0
    assert search_ids(index, "Ninh Hải") == [seed_ids["002"]]

    p = bantin("stats", "--json", "--index", str(index), "--corpus", str(corpus))
    assert p.returncode == Exit.OK, p.stderr
    st = json.loads(p.stdout)
    assert st["pending"] == {"added": 0, "updated": 0, "deleted": 0}, st
    assert st["corpus_changed"] is False
    assert st["documents"] == 5


# --- 12. a citation in the title only -------------------------------------------------------------------------

CITE_TITLE = "Quán triệt Kết luận 99-KL/TW của Bộ Chính trị tại tỉnh"
CITE_BODY = (
    "Sáng nay, Tỉnh ủy tổ chức hội nghị quán triệt cho cán bộ chủ chốt toàn tỉnh. "
    "Các đại biểu thảo luận về nhiệm vụ xây dựng Đảng trong thời gian tới."
)


def test_item12_a_title_only_citation_is_found_and_shown(tmp_path, corpus_dir):
    corpus = copy_seeds(corpus_dir, tmp_path / "corpus")
    (corpus / "kl99.txt").write_text(f"{CITE_TITLE}\n\n{CITE_BODY}\n", encoding="utf-8")
    index = tmp_path / "index"
    build_index(corpus, index)

    assert search_ids(index, "hội nghị", "--cites", "Kết luận 99") == ["kl99"]
    assert search_ids(index, "hội nghị", "--cites", "99-KL/TW") == ["kl99"]

    with Searcher(index) as s:
        res = s.search("hội nghị", cites="Kết luận 99")
        assert [h.id for h in res.hits] == ["kl99"]
        cites = {c.key: c for c in res.hits[0].refs}
        assert "kl:99" in cites, res.hits[0].refs
        c = cites["kl:99"]
        assert isinstance(c, Citation) and c.in_title is True and c.spans == []
        assert c.label.startswith("Kết luận 99")
        doc = s.get("kl99")
        assert any(r.key == "kl:99" and r.in_title for r in doc.refs)

    p = bantin("show", "kl99", "--index", str(index))
    assert p.returncode == Exit.OK, p.stderr
    cites_lines = [line for line in p.stdout.splitlines() if line.startswith("cites:")]
    assert cites_lines and "Kết luận 99" in cites_lines[0], p.stdout
