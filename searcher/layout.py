"""On-disk layout of an index folder: generations, the live pointer, the write lock.

::

    index/
      CURRENT          name of the live generation ("gen-000007"), replaced atomically
      LOCK             held (flock) by the one job that may write; released by the kernel if it dies
      gen-000007/      a complete whoosh index + meta.json + manifest.json + vocab.pickle
      gen-000008.tmp/  a job in progress; never read; removed by the next job

A job builds or updates a *new* generation and then renames ``CURRENT`` into
place, so a reader sees either the old index or the new one, never a half-made
one, whatever moment the job is killed at.  Unchanged segment files are shared
between generations by hard links (whoosh never rewrites a segment file).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
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
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def read_json(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_json(path: Path, data: dict) -> None:
    write_atomic(path, json.dumps(data, ensure_ascii=False))


def current_generation(root: Path) -> Generation:
    """The live generation, or a typed error that says what to do."""
    root = Path(root)
    if not root.is_dir():
        raise IndexMissingError(
            f"no index at '{root}': build it with `bantin index --index {root}`"
        )
    pointer = root / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        if any(root.glob(GEN_PREFIX + "*")) or (root / "_MAIN_1.toc").exists():
            raise IndexCorruptError(
                f"index at '{root}' has no CURRENT pointer: rebuild it with `bantin index --rebuild --index {root}`"
            ) from None
        raise IndexMissingError(
            f"no index at '{root}': build it with `bantin index --index {root}`"
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise IndexCorruptError(
            f"cannot read '{pointer}' ({e.__class__.__name__}): rebuild with `bantin index --rebuild --index {root}`"
        ) from None
    if not name.startswith(GEN_PREFIX) or "/" in name or not (root / name).is_dir():
        raise IndexCorruptError(
            f"index at '{root}' points to a missing generation '{name[:40]}': rebuild with `bantin index --rebuild --index {root}`"
        )
    return Generation(root, name)


def current_token(root: Path) -> str | None:
    """Cheap check of which generation is live (used to notice a new commit)."""
    try:
        return (Path(root) / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        return None


def new_generation(root: Path) -> Generation:
    """Reserve the next generation name as a ``.tmp`` folder."""
    root.mkdir(parents=True, exist_ok=True)
    numbers = [0]
    for p in root.glob(GEN_PREFIX + "*"):
        try:
            numbers.append(Generation(root, p.name).number)
        except ValueError:
            continue
    name = f"{GEN_PREFIX}{max(numbers) + 1:06d}.tmp"
    (root / name).mkdir()
    return Generation(root, name)


def link_copy(src: Path, dst: Path) -> None:
    """Copy a generation's files into ``dst`` by hard links (copy where links fail)."""
    for p in src.iterdir():
        if p.is_file():
            try:
                os.link(p, dst / p.name)
            except OSError:
                shutil.copy2(p, dst / p.name)


def publish(gen: Generation) -> Generation:
    """Make a finished ``.tmp`` generation the live one, atomically."""
    final = Generation(gen.root, gen.name.removesuffix(".tmp"))
    for p in gen.path.iterdir():  # make the files durable before they go live
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
    os.rename(gen.path, final.path)
    _fsync_dir(gen.root)
    write_atomic(gen.root / CURRENT, final.name + "\n")
    return final


def collect_garbage(root: Path) -> None:
    """Remove unfinished generations and all but the newest finished ones."""
    live = current_token(root)
    finished = []
    for p in root.glob(GEN_PREFIX + "*"):
        if p.name.endswith(".tmp"):
            shutil.rmtree(p, ignore_errors=True)
        elif p.is_dir():
            finished.append(p)
    finished.sort(key=lambda p: p.name)
    for p in finished[:-KEEP_GENERATIONS]:
        if p.name != live:
            shutil.rmtree(p, ignore_errors=True)
    for p in root.glob(CURRENT + ".*.tmp"):
        p.unlink(missing_ok=True)


class WriteLock:
    """An exclusive, kernel-held lock on ``index/LOCK``.

    ``flock`` is released when the holder dies, even by SIGKILL, so a lock can
    never go stale; the file's content (pid, start time) is only for messages.
    """

    def __init__(self, root: Path, wait: float = 0.0):
        self.root = Path(root)
        self.wait = wait
        self._fd: int | None = None

    def __enter__(self) -> "WriteLock":
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / LOCK
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + max(self.wait, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise
                if time.monotonic() >= deadline:
                    holder = _read_holder(fd)
                    os.close(fd)
                    raise IndexLockedError(
                        f"another index job{holder} is writing '{self.root}': "
                        "wait for it, or pass --wait SECONDS"
                    ) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "since": time.time()}).encode())
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read_holder(fd: int) -> str:
    try:
        data = json.loads(os.pread(fd, 200, 0) or b"{}")
        return f" (pid {int(data['pid'])})"
    except (ValueError, KeyError, TypeError, OSError):
        return ""
