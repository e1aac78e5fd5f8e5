"""On-disk layout of an index folder: generations, the live pointer, the write lock.

::

    index/
      CURRENT          name of the live generation ("gen-000007"), replaced atomically
      LOCK             held (flock) by the one job that may write; released by the kernel if it dies
      gen-000007/      a complete whoosh index (+ a scoring sidecar and pair postings per segment) + meta.json
                       (every file's size, mtime and SHA-1) + manifest.json + vocab.sqlite
      gen-000008.tmp/  a job in progress; never read; removed by the next job

A job builds or updates a *new* generation and then renames ``CURRENT`` into
place, so a reader sees either the old index or the new one, never a half-made
one, whatever moment the job is killed at.  Unchanged segment files are shared
between generations by hard links (whoosh never rewrites a segment file; its
deletions live in the generation's own TOC).  The next job removes what a
killed one left: ``.tmp`` folders, and finished generations newer than the
live one (never published, so no reader can have them open).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import IndexCorruptError, IndexLockedError, IndexMissingError

CURRENT = "CURRENT"
LOCK = "LOCK"
META = "meta.json"
MANIFEST = "manifest.json"
GEN_PREFIX = "gen-"
KEEP_GENERATIONS = 2  # the live one and the one before, for readers still on it


@dataclass(frozen=True)
class Generation:
    root: Path
    name: str

    @property
    def path(self) -> Path:
        return self.root / self.name

    @property
    def number(self) -> int:
        return int(self.name[len(GEN_PREFIX) :].split(".")[0])


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: str) -> None:
    """Write a small text file so that readers see the old or the new content."""
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(data)
        f.flush()
        os.fchmod(f.fileno(), FILE_MODE)
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def read_json(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_json(path: Path, data: dict) -> None:
    write_atomic(path, json.dumps(data, ensure_ascii=False))


FILE_MODE = 0o644  # index files: never group- or world-writable, whatever the umask
DIR_MODE = 0o755


def _sha1_file(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha1").hexdigest()


def file_records(path: Path, previous: dict | None = None) -> dict[str, list]:
    """``{name: [size, mtime_ns, sha1]}`` for a generation's files, recorded in its
    ``meta.json`` (``files``).

    A file shared by hard link with the previous generation (same size and
    mtime as ``previous`` records) keeps its recorded checksum instead of being
    read again.
    """
    previous = previous or {}
    out: dict[str, list] = {}
    for p in sorted(path.iterdir()):
        if not p.is_file() or p.name == META or p.name.endswith("_WRITELOCK"):
            continue
        st = p.stat()
        old = previous.get(p.name)
        if isinstance(old, list) and len(old) == 3 and old[0] == st.st_size and old[1] == st.st_mtime_ns:
            out[p.name] = old
        else:
            out[p.name] = [st.st_size, st.st_mtime_ns, _sha1_file(p)]
    return out


def damage(gen: Generation, meta: dict, *, verify: bool = False) -> str | None:
    """What is wrong with the files ``meta`` records, or None.

    Always checks that each file exists with its recorded size.  A file whose
    modification time changed since it was written is read and its SHA-1
    compared (damage that keeps the size: a same-size overwrite); with
    ``verify``, every file is.
    """
    for name, record in (meta.get("files") or {}).items():
        if not (isinstance(record, list) and len(record) == 3):
            return f"{META} lists {name} in an unknown form"
        size, mtime_ns, sha1 = record
        try:
            st = (gen.path / name).stat()
        except OSError:
            return f"{name} is missing"
        if st.st_size != size:
            return f"{name} has {st.st_size} bytes instead of {size}"
        if verify or st.st_mtime_ns != mtime_ns:
            try:
                actual = _sha1_file(gen.path / name)
            except OSError as e:
                return f"{name} cannot be read ({e.strerror or e.__class__.__name__})"
            if actual != sha1:
                return f"{name} was changed after it was written (checksum differs)"
    return None


def cheap_damage(gen: Generation, meta: dict) -> str | None:
    """Missing files or other sizes only: what every reader checks on opening."""
    for name, record in (meta.get("files") or {}).items():
        size = record[0] if isinstance(record, list) and record else None
        try:
            actual = (gen.path / name).stat().st_size
        except OSError:
            return f"{name} is missing"
        if actual != size:
            return f"{name} has {actual} bytes instead of {size}"
    return None


def fix_modes(path: Path) -> None:
    """Give a generation folder and its files fixed modes (0755 / 0644), so that
    no umask leaves an index group- or world-writable."""
    os.chmod(path, DIR_MODE)
    for p in path.iterdir():
        if p.is_file() and not p.is_symlink():
            os.chmod(p, FILE_MODE)


def current_generation(root: Path) -> Generation:
    """The live generation, or a typed error that says what to do."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise IndexMissingError(f"'{root}' is a file, not an index folder: give --index a folder")
    if not root.is_dir():
        raise IndexMissingError(f"no index at '{root}': build it with `bantin index --index {root}`")
    pointer = root / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        if _finished_generations(root) or (root / "_MAIN_1.toc").exists():
            raise IndexCorruptError(
                f"index at '{root}' has no CURRENT pointer: rebuild it with `bantin index --rebuild --index {root}`"
            ) from None
        raise IndexMissingError(f"no index at '{root}': build it with `bantin index --index {root}`") from None
    except (OSError, UnicodeDecodeError) as e:
        raise IndexCorruptError(
            f"cannot read '{pointer}' ({e.__class__.__name__}): rebuild with `bantin index --rebuild --index {root}`"
        ) from None
    if not name.startswith(GEN_PREFIX) or "/" in name or not (root / name).is_dir():
        raise IndexCorruptError(
            f"index at '{root}' points to a missing generation '{name[:40]}': rebuild with `bantin index --rebuild --index {root}`"
        )
    return Generation(root, name)


def make_root(root: Path) -> None:
    """Create the index folder (mode 0755, whatever the umask) if it does not exist."""
    if root.is_dir():
        return
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, DIR_MODE)


def current_token(root: Path) -> str | None:
    """Cheap check of which generation is live (used to notice a new commit)."""
    try:
        return (Path(root) / CURRENT).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None


def new_generation(root: Path) -> Generation:
    """Reserve the next generation name as a ``.tmp`` folder."""
    make_root(root)
    numbers = [0]
    for p in root.glob(GEN_PREFIX + "*"):
        try:
            numbers.append(Generation(root, p.name).number)
        except ValueError:
            continue
    name = f"{GEN_PREFIX}{max(numbers) + 1:06d}.tmp"
    (root / name).mkdir()
    return Generation(root, name)


def link_copy(src: Path, dst: Path, skip: Iterable[str] = ()) -> None:
    """Copy a generation's files into ``dst`` by hard links (copy where links fail).

    Names in ``skip`` and whoosh's lock files are left out: a new generation
    gets its own metadata and its own lock.
    """
    skip = set(skip)
    for p in src.iterdir():
        if not p.is_file() or p.name in skip or p.name.endswith("_WRITELOCK"):
            continue
        try:
            os.link(p, dst / p.name)
        except OSError:
            shutil.copy2(p, dst / p.name)


def publish(gen: Generation) -> Generation:
    """Make a finished ``.tmp`` generation the live one, atomically."""
    final = Generation(gen.root, gen.name.removesuffix(".tmp"))
    fix_modes(gen.path)
    for p in gen.path.iterdir():  # make the files durable before they go live
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
    os.rename(gen.path, final.path)
    _fsync_dir(gen.root)
    write_atomic(gen.root / CURRENT, final.name + "\n")
    return final


def _finished_generations(root: Path) -> list[Generation]:
    """Complete generation folders (not ``.tmp``), oldest first."""
    found = []
    for p in root.glob(GEN_PREFIX + "*"):
        if p.name.endswith(".tmp") or not p.is_dir():
            continue
        try:
            found.append(Generation(root, p.name))
        except ValueError:
            continue
    return sorted(found, key=lambda g: g.number)


def collect_garbage(root: Path) -> None:
    """Remove what no reader can need: unfinished generations, finished ones that
    were never made live (a job killed between its rename and ``CURRENT``), and
    all but the newest ``KEEP_GENERATIONS`` up to the live one.

    Call it only while holding the :class:`WriteLock`.  Without a readable
    ``CURRENT`` nothing finished is removed.
    """
    root = Path(root)
    for p in root.glob(GEN_PREFIX + "*.tmp"):
        shutil.rmtree(p, ignore_errors=True)
    for p in root.glob(CURRENT + ".*.tmp"):
        p.unlink(missing_ok=True)
    live = current_token(root)
    finished = _finished_generations(root)
    live_gen = next((g for g in finished if g.name == live), None)
    if live_gen is None:
        return
    older = [g for g in finished if g.number < live_gen.number]
    doomed = [g for g in finished if g.number > live_gen.number]
    doomed += older[: max(len(older) - (KEEP_GENERATIONS - 1), 0)]
    for g in doomed:
        shutil.rmtree(g.path, ignore_errors=True)


class WriteLock:
    """An exclusive, kernel-held lock on ``index/LOCK``.

    ``flock`` belongs to the open file, and the kernel drops it when the last
    descriptor of that file closes, so a job killed even by SIGKILL never
    leaves a stale lock behind.  The descriptor is opened close-on-exec, and
    the index job's forked workers close their copy at once (and are killed by
    the kernel with the job), so no other process keeps it alive.  The file's content (pid, start time) is only for
    messages: ``LOCK`` itself may stay on disk forever, it means nothing unless
    a live process holds the lock.
    """

    def __init__(self, root: Path, wait: float = 0.0):
        self.root = Path(root)
        self.wait = wait
        self._fd: int | None = None

    def __enter__(self) -> WriteLock:
        make_root(self.root)
        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            self._acquire(fd)
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "since": time.time()}).encode(), 0)
        self._fd = fd
        return self

    def _acquire(self, fd: int) -> None:
        deadline = time.monotonic() + max(self.wait, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
            if time.monotonic() >= deadline:
                raise IndexLockedError(_locked_message(self.root, fd, self.wait))
            time.sleep(0.05)

    def fileno(self) -> int | None:
        """The locked descriptor (None when not held): forked helpers must close it."""
        return self._fd

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _locked_message(root: Path, fd: int, wait: float) -> str:
    """One line: who holds the lock, and what to do."""
    pid = _read_holder(fd)
    waited = f" after waiting {wait:g} s" if wait > 0 else ""
    if pid is not None and not _alive(pid):
        return (
            f"index '{root}' is still locked by a leftover process of a dead job (pid {pid}){waited}: "
            f"end it (`fuser -k {root / LOCK}`) and run the job again"
        )
    who = f" (pid {pid})" if pid is not None else ""
    return f"another index job{who} is writing '{root}'{waited}: wait for it, or pass --wait SECONDS"


def _read_holder(fd: int) -> int | None:
    try:
        return int(json.loads(os.pread(fd, 200, 0) or b"{}")["pid"])
    except (ValueError, KeyError, TypeError, OSError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
