"""Shared fixtures: the seed corpus, one index of it per session, tiny corpora, ../shared.

Nothing here changes global state: indexes live under pytest's temporary folders
and every fixture hands out paths or read-only objects.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterable

import pytest

PROJECT = Path(__file__).resolve().parents[1]
CORPUS = PROJECT / "corpus"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def project_dir() -> Path:
    """The project root (the folder holding ``searcher/`` and ``corpus/``)."""
    return PROJECT


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shipped seed corpus; skips when it is missing."""
    if not CORPUS.is_dir() or not any(CORPUS.glob("*.txt")):
        pytest.skip(f"seed corpus missing: {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def seed_ids(corpus_dir: Path) -> dict[str, str]:
    """Seed ids by their three-digit prefix: ``{"000": "000_1c6d7c9d19558e0d", ...}``."""
    return {p.stem[:3]: p.stem for p in sorted(corpus_dir.glob("*.txt"))}


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, corpus_dir: Path) -> Path:
    """An index of the seed corpus, built once per session.  Treat it as read-only."""
    from searcher import build_index

    index = tmp_path_factory.mktemp("seed-index") / "index"
    build_index(corpus_dir, index)
    return index


@pytest.fixture(scope="session")
def seed_searcher(seed_index: Path):
    """One shared :class:`searcher.Searcher` over :func:`seed_index` (read-only use)."""
    from searcher import Searcher

    s = Searcher(seed_index)
    yield s
    s.close()


@pytest.fixture
def shared_dir() -> Path:
    """``../shared`` beside the project; skips the test when it is missing."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is missing")
    return SHARED


def write_jsonl(path: Path, records: Iterable[dict]) -> Path:
    """Write records as UTF-8 JSON lines (not ASCII-escaped)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


@pytest.fixture
def tiny_index(tmp_path: Path) -> Callable[[list[dict]], Path]:
    """Factory: ``tiny_index(records)`` writes ``records`` to a one-file JSONL corpus
    under ``tmp_path`` and returns the path of a fresh index built from it."""
    from searcher import build_index

    counter = iter(range(1_000_000))

    def make(records: list[dict]) -> Path:
        n = next(counter)
        corpus = tmp_path / f"tiny-corpus-{n}"
        write_jsonl(corpus / "records.jsonl", records)
        index = tmp_path / f"tiny-index-{n}"
        build_index(corpus, index)
        return index

    return make


# --- the CLI in this process -------------------------------------------------------------------


def run(*args: str, env: dict | None = None):
    """``bantin ARGS`` in this process (click's runner); stdout and stderr stay apart."""
    from click.testing import CliRunner

    from searcher.cli import main

    return CliRunner().invoke(main, list(args), env=env)


def assert_one_line_error(result, code: int) -> str:
    """Exit ``code``, no uncaught exception, exactly one ``Error:`` line on stderr."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: ")
    assert result.stdout == ""
    return lines[0]
