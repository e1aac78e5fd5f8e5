"""A cold ``bantin search`` loads only what a search needs.

Each check runs a fresh Python process (a module once imported stays imported)
and looks at ``sys.modules``: the command modules of ``index``, ``eval`` and
``serve``, the index job, the web stack and the word segmenter must stay out,
and ``searcher.refs`` must compile its patterns on first use, not on import.
No timing is asserted: what is imported is what costs the time.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from conftest import run

from searcher.cli import main

# Never needed to answer a query.
NOT_FOR_A_SEARCH = [
    "pyvi",
    "sklearn",
    "sklearn_crfsuite",
    "fastapi",
    "uvicorn",
    "starlette",
    "jinja2",
    "multiprocessing",
    "searcher.indexer",
    "searcher.bulletins",
    "searcher.segmenter",
    "searcher.whoosh_internals",
    "searcher.evaluation",
    "searcher.serve",
    "searcher.cli.eval_cmd",
    "searcher.cli.index_cmd",
    "searcher.cli.refs_cmd",
    "searcher.cli.serve_cmd",
    "benchmarks",
    # whoosh imports these for nothing a search does (see cli.common.import_whoosh_lightly)
    "urllib.request",
    "http.client",
    "email",
    "asyncio",
]
# --json prints no rich text; the plain output draws no table without --facets.
NOT_FOR_JSON = ["rich", "searcher.cli.render"]
NOT_FOR_TEXT = ["rich.table"]

_PROBE = """\
import json, sys
from searcher.cli import main
try:
    main(sys.argv[1:], prog_name="bantin")
except SystemExit as e:
    code = e.code
print("MODULES " + json.dumps({"exit": code, "modules": sorted(sys.modules)}))
"""


def _env() -> dict:
    env = dict(os.environ)
    for name in ("BANTIN_INDEX", "BANTIN_CORPUS", "BANTIN_DEBUG"):
        env.pop(name, None)
    return env


def _probe(tmp_path: Path, *args: str) -> tuple[str, int, set[str]]:
    """Run ``bantin ARGS`` in a new process: its output, exit code and loaded modules."""
    p = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, cwd=tmp_path, env=_env(), timeout=120
    )
    out, _, last = p.stdout.rstrip("\n").rpartition("\n")
    assert last.startswith("MODULES "), p.stdout + p.stderr
    report = json.loads(last.removeprefix("MODULES "))
    return out, report["exit"], set(report["modules"])


def _loaded(modules: set[str], names: list[str]) -> list[str]:
    """Which of ``names`` (a package stands for its submodules) are in ``modules``."""
    return sorted(m for m in modules for n in names if m == n or m.startswith(n + "."))


@pytest.fixture
def index(tiny_index) -> Path:
    return tiny_index(
        [
            {"id": "nd", "title": "Đất đai", "body": "Thực hiện Nghị định 181/2004/NĐ-CP về thi hành Luật Đất đai."},
            {"id": "other", "title": "Hội nghị", "body": "Hội nghị tổng kết công tác năm 2022 tại Bắc Giang."},
        ]
    )


def test_a_json_search_loads_no_command_module_web_stack_or_segmenter(index, tmp_path):
    out, code, modules = _probe(tmp_path, "search", "--index", str(index), "--json", "Nghị định 181")
    assert code in (0, None)
    assert json.loads(out)["hits"][0]["id"] == "nd"
    assert "searcher.search" in modules and "searcher.cli.search_cmd" in modules  # the probe really searched
    assert _loaded(modules, NOT_FOR_A_SEARCH + NOT_FOR_JSON) == []


def test_a_text_search_loads_rich_but_no_table(index, tmp_path):
    out, code, modules = _probe(tmp_path, "search", "--index", str(index), "ket luan 21 dat dai")
    assert code in (0, 1, None)
    assert "rich.console" in modules
    assert _loaded(modules, NOT_FOR_A_SEARCH + NOT_FOR_TEXT) == []


def test_show_loads_no_other_command(index, tmp_path):
    out, code, modules = _probe(tmp_path, "show", "--index", str(index), "--json", "nd")
    assert code in (0, None)
    assert json.loads(out)["id"] == "nd"
    assert _loaded(modules, NOT_FOR_A_SEARCH + NOT_FOR_JSON) == []


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
def test_a_search_starts_no_blas_threads_and_leaves_the_environment_alone(index, tmp_path):
    code = (
        "import os, sys\n"
        "from searcher.cli import main\n"
        "try:\n"
        f"    main(['search', '--index', {str(index)!r}, '--json', 'Nghị định 181'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('NUMPY', 'numpy' in sys.modules, 'THREADS', len(os.listdir('/proc/self/task')),\n"
        "      'ENV', os.environ.get('OPENBLAS_NUM_THREADS'))\n"
    )
    env = {k: v for k, v in _env().items() if k not in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[-1] == "NUMPY True THREADS 1 ENV None"


def test_importing_the_cli_imports_no_command(tmp_path):
    code = "import sys, json\nimport searcher.cli\nprint(json.dumps(sorted(sys.modules)))\n"
    p = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=_env(), timeout=60
    )
    assert p.returncode == 0, p.stderr
    modules = set(json.loads(p.stdout))
    commands = [m for m in modules if m.startswith("searcher.cli.") and m.endswith("_cmd")]
    assert commands == []
    assert _loaded(modules, ["searcher.search", "whoosh", "numpy", "rich", "searcher.cli.common"]) == []


def test_importing_refs_compiles_no_pattern(tmp_path):
    # Its own imports go first: what they compile is theirs.  Then every
    # re.compile (and re.match(...) with a new pattern) goes through re._compile.
    code = (
        "import dataclasses, functools, re, typing, collections.abc\n"
        "import searcher.errors, searcher.normalise\n"
        "compiled = []\n"
        "real = re._compile\n"
        "def spy(pattern, flags):\n"
        "    compiled.append(pattern)\n"
        "    return real(pattern, flags)\n"
        "re._compile = spy\n"
        "import searcher.refs\n"
        "at_import = len(compiled)\n"
        "keys = [k for r in searcher.refs.find_refs('Kết luận số 21-KL/TW') for k in r.keys()]\n"
        "print(at_import, len(compiled) > 0, keys)\n"
    )
    p = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=_env(), timeout=60
    )
    assert p.returncode == 0, p.stderr
    at_import, compiled_on_use, keys = p.stdout.split(" ", 2)
    assert at_import == "0"
    assert compiled_on_use == "True"
    assert "kl:21" in keys


def test_help_still_lists_every_command():
    r = run("--help")
    assert r.exit_code == 0
    listed = r.output.split("Commands:", 1)[1].split()
    for command in ("eval", "index", "refs", "search", "serve", "show", "stats"):
        assert command in listed
        sub = run(command, "--help")
        assert sub.exit_code == 0, sub.output
        assert f"Usage: main {command}" in sub.output or f"Usage: bantin {command}" in sub.output
    assert main.get_command(click.Context(main), "nosuch") is None


def test_a_search_in_this_process_leaves_the_collector_and_environment_as_they_were(index):
    assert gc.isenabled()
    env = dict(os.environ)
    r = run("search", "--index", str(index), "--json", "Nghị định 181")
    assert r.exit_code == 0, r.output
    assert gc.isenabled()
    assert dict(os.environ) == env


def test_the_first_run_build_collects_garbage(tmp_path, monkeypatch):
    import searcher.indexer

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Hội nghị\n\nThực hiện Nghị định 181 về thi hành Luật Đất đai.\n", encoding="utf-8")
    seen = []
    real = searcher.indexer.update_index

    def update_index(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(searcher.indexer, "update_index", update_index)
    r = run("search", "--index", str(tmp_path / "index"), "--corpus", str(corpus), "--json", "Nghị định 181")
    assert r.exit_code == 0, r.output
    assert seen == [True]
    assert gc.isenabled()


def test_whoosh_imported_lightly_still_has_what_it_imported(index, tmp_path):
    """After a cold search: ``import urllib.request`` is the real module, and
    what whoosh's ``cached_property`` asks of asyncio is answered as asyncio would."""
    code = (
        "import sys, inspect\n"
        "from searcher.cli import main\n"
        "try:\n"
        f"    main(['search', '--index', {str(index)!r}, '--json', 'Nghị định 181'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "import cached_property, whoosh.compat\n"
        "stand_in = cached_property.asyncio\n"
        "async def coro(): pass\n"
        "answers = (stand_in.iscoroutinefunction(coro), stand_in.iscoroutinefunction(print))\n"
        "loaded = 'asyncio' in sys.modules\n"
        "import urllib.request\n"
        "real = hasattr(urllib.request, 'urlopen') and inspect.getmodule(urllib.request.urlopen) is urllib.request\n"
        "future = stand_in.Future is sys.modules['asyncio'].Future\n"
        "print('ANSWERS', answers, loaded, real, callable(whoosh.compat.urlretrieve), future)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=_env(), timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[-1] == "ANSWERS (True, False) False True True True"
