"""What every command shares: paths, exit codes, error mapping, JSON output."""

from __future__ import annotations

import atexit
import functools
import gc
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path

import click

from ..errors import (
    BantinError,
    CorpusError,
    DocumentNotFound,
    IndexCorruptError,
    IndexLockedError,
    IndexMissingError,
    IndexWriteError,
    QueryError,
)
from ..normalise import printable


class Exit(IntEnum):
    """Exit codes of every ``bantin`` command (the README's "Exit codes" table)."""

    OK = 0
    NO_RESULTS = 1  # search/refs found nothing; show: no bulletin with that id
    USAGE = 2  # a bad option, parameter or query
    INDEX_MISSING = 3  # no (readable) index at that path
    INDEX_CORRUPT = 4  # the index is damaged: rebuild it
    INDEX_LOCKED = 5  # another index job holds the lock
    CORPUS_ERROR = 6  # the corpus folder is missing, unreadable, or holds no bulletin while the index holds some
    INDEX_UNWRITABLE = 7  # the index cannot be written: permissions, full disk, not a folder
    INTERNAL = 70  # a bug in bantin (sysexits EX_SOFTWARE): please report it
    INTERRUPTED = 130  # Ctrl-C; the index is as it was before the run


# Short names kept for the commands.
OK = Exit.OK
NO_RESULTS = Exit.NO_RESULTS
USAGE = Exit.USAGE
INTERRUPTED = Exit.INTERRUPTED

_EXIT_FOR: list[tuple[type[BantinError], Exit]] = [
    (QueryError, Exit.USAGE),
    (DocumentNotFound, Exit.NO_RESULTS),
    (IndexMissingError, Exit.INDEX_MISSING),
    (IndexCorruptError, Exit.INDEX_CORRUPT),
    (IndexLockedError, Exit.INDEX_LOCKED),
    (CorpusError, Exit.CORPUS_ERROR),
    (IndexWriteError, Exit.INDEX_UNWRITABLE),
]


class BantinCliError(click.ClickException):
    """A one-line error with its own exit code; click prints ``Error: <message>``.

    The message is made printable: control characters that came from a file
    name or a query never reach the terminal."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(printable(message))
        self.exit_code = int(exit_code)  # type: ignore[misc]  # click declares it on the class


def exit_code_for(err: BantinError) -> Exit:
    for cls, code in _EXIT_FOR:
        if isinstance(err, cls):
            return code
    return Exit.USAGE  # any other typed error is about the input (e.g. a bad queries file)


def debug_enabled() -> bool:
    """``bantin --debug …`` or ``BANTIN_DEBUG=1``: show tracebacks of unexpected errors."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx is not None else None
    if root is not None and root.meta.get("bantin.debug"):
        return True
    return os.environ.get("BANTIN_DEBUG", "") not in ("", "0")


def handle_errors(fn):
    """Turn library errors, Ctrl-C and bugs into one-line messages and exit codes.

    Only :class:`BantinError` is expected.  Anything else is a bug: one line
    asking for a report (exit 70), or the traceback with ``--debug``.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BantinError as e:
            raise BantinCliError(str(e), exit_code_for(e)) from None
        except KeyboardInterrupt:
            raise BantinCliError(
                "interrupted: nothing was changed; the index is as it was before this run", Exit.INTERRUPTED
            ) from None
        except BrokenPipeError:
            sys.stderr.close()
            raise SystemExit(Exit.OK) from None
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as e:  # noqa: BLE001 - the last line of defence: a bug, said as one
            if debug_enabled():
                raise
            where = f" in {fn.__name__.removesuffix('_cmd')}"
            raise BantinCliError(
                f"internal error{where} ({e.__class__.__name__}: {str(e)[:200]}): this is a bug in bantin; "
                "rerun with `bantin --debug …` to see the traceback, and report it with that output",
                Exit.INTERNAL,
            ) from None

    return wrapper


@functools.cache
def _freeze_at_exit() -> None:
    atexit.register(gc.freeze)


def short_lived(fn):
    """For a command that reads and exits (``search``, ``show``, ``refs``): no
    cyclic garbage collection while it runs, none of what it built at exit,
    and one BLAS thread.

    Such a command creates some 40,000 objects that live until the process
    ends (the modules of whoosh and numpy, the index's tables) and next to no
    cyclic garbage, yet the collector would walk them again and again while
    they are imported, and once more when the interpreter exits.  The
    collector runs again when the command returns (for callers in the same
    process); at exit what is alive is frozen (:func:`gc.freeze`), so the
    interpreter's last collection skips it.  See :func:`one_blas_thread` for
    the thread.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _freeze_at_exit()
        with collector(False), one_blas_thread():
            return fn(*args, **kwargs)

    return wrapper


def import_whoosh_lightly() -> None:
    """Import whoosh for a one-shot search without two standard modules it
    imports for nothing a search does: some 40 ms of a 250 ms cold search.

    * ``urllib.request`` (with ``http.client``, ``email``, ``ssl``...): whoosh
      imports ``urlretrieve`` from it, which searching never calls;
    * ``asyncio``: ``cached_property``, which whoosh's reader uses, imports it to
      ask ``asyncio.iscoroutinefunction`` of each property it computes.

    While whoosh is imported, a stand-in answers for each.  ``urlretrieve``
    imports the real module when called; ``iscoroutinefunction`` answers as
    asyncio would (``inspect``'s answer, as long as asyncio itself is not
    loaded), and any other attribute of ``asyncio`` imports the real one.
    The stand-ins leave ``sys.modules`` right after, so a later ``import`` of
    either gets the real module.  Nothing is done once whoosh, or one of
    them, has been imported.
    """
    if "whoosh.compat" in sys.modules:
        return
    import importlib
    import types

    def real(name: str):
        return importlib.import_module(name)

    stand_ins: dict[str, types.ModuleType] = {}
    if "urllib.request" not in sys.modules:
        request = stand_ins["urllib.request"] = types.ModuleType("urllib.request", "bantin: a stand-in")

        def urlretrieve(*args, **kwargs):
            return real("urllib.request").urlretrieve(*args, **kwargs)

        request.urlretrieve = urlretrieve  # type: ignore[attr-defined]
    if "asyncio" not in sys.modules:
        aio = stand_ins["asyncio"] = types.ModuleType("asyncio", "bantin: a stand-in")

        def iscoroutinefunction(func) -> bool:
            # asyncio's answer: inspect's, or asyncio's own mark, which no function
            # can carry before asyncio is imported
            if "asyncio" in sys.modules:
                return real("asyncio").iscoroutinefunction(func)
            import inspect

            return inspect.iscoroutinefunction(func)

        aio.iscoroutinefunction = iscoroutinefunction  # type: ignore[attr-defined]
        setattr(aio, "__getattr__", lambda attr: getattr(real("asyncio"), attr))  # noqa: B010 - PEP 562
    sys.modules.update(stand_ins)
    try:
        import whoosh.compat  # noqa: F401
        import whoosh.reading  # noqa: F401
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


_BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Let numpy, if this block imports it, start OpenBLAS with one thread.

    OpenBLAS starts a thread per core when numpy is imported, and they spin
    for a while, taking a core from the search on a busy machine; bantin never
    calls BLAS.  A thread count set by the user is kept, and the variable is
    removed again after the block (its child processes, such as the workers of
    a first-run build, inherit it).
    """
    if "numpy" in sys.modules or any(name in os.environ for name in _BLAS_THREADS):
        yield
        return
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        yield
    finally:
        os.environ.pop("OPENBLAS_NUM_THREADS", None)


@contextmanager
def collector(enabled: bool) -> Iterator[None]:
    """Run a block with the cyclic garbage collector on or off, then restore it."""
    was = gc.isenabled()
    if enabled:
        gc.enable()
    else:
        gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()


def default_index() -> str:
    return os.environ.get("BANTIN_INDEX") or "index"


def default_corpus() -> str:
    return os.environ.get("BANTIN_CORPUS") or "corpus"


index_option = click.option(
    "--index",
    "index_dir",
    # Not file_okay=False: a path that is a file is "no index there" (exit 3)
    # for readers and "cannot write there" (exit 7) for the index job.
    type=click.Path(path_type=Path, readable=False),
    default=default_index,
    show_default="./index or $BANTIN_INDEX",
    help="Index folder.",
)
corpus_option = click.option(
    "--corpus",
    "corpus_dir",
    # Not file_okay=False: the library's CorpusError gives the documented exit code 6.
    type=click.Path(path_type=Path, readable=False),
    default=default_corpus,
    show_default="./corpus or $BANTIN_CORPUS",
    help="Corpus folder (*.txt bulletins and/or *.jsonl records).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON (UTF-8, not ASCII-escaped).")


def echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _console(stderr: bool):
    """A rich console that prints text as given.

    ``markup`` and ``emoji`` are off because file names, queries and titles are
    data: ``[bold]x.txt`` or ``x:thumbs_up:.txt`` must print as written.  Output
    that is not a terminal (a pipe, a file) is not hard-wrapped at 80 columns,
    so one result stays on one line for grep.
    """
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            """The reader went away (``bantin search … | head -1``): as rich does, send
            the rest to /dev/null, but end as a success (:func:`handle_errors`), not
            with rich's exit 1, which would say "no results"."""
            self.quiet = True
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.file.fileno())
            raise BrokenPipeError

    stream = sys.stderr if stderr else sys.stdout
    return _Console(stderr=stderr, highlight=False, markup=False, emoji=False, soft_wrap=not stream.isatty())


def stderr_console():
    return _console(stderr=True)


def stdout_console():
    return _console(stderr=False)


class QueryCommand(click.Command):
    """A command whose free words form a query: a word starting with ``-`` that
    is not one of the command's own options (``-Thưởng``, ``-nguyễn``) is a
    query word (an exclusion), not an unknown option.

    Options may stand anywhere; their exact spellings (``-n 5``, ``-n5``,
    ``--limit=5``) are recognised, and ``--`` still ends them.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value: set[str] = set()
        flags: set[str] = set(ctx.help_option_names)
        for p in self.params:
            if isinstance(p, click.Option):
                names = [*p.opts, *p.secondary_opts]
                (flags if p.is_flag or p.count else takes_value).update(names)
        opts: list[str] = []
        words: list[str] = []
        rest = iter(args)
        for arg in rest:
            if arg == "--":
                words.extend(rest)
                break
            name = arg.split("=", 1)[0]
            if arg in flags:
                opts.append(arg)
            elif arg in takes_value:
                opts.append(arg)
                value = next(rest, None)
                if value is not None:
                    opts.append(value)
            elif name.startswith("--") and name in takes_value:
                opts.append(arg)  # --limit=5
            elif arg[:2] in takes_value and not arg.startswith("--") and arg[2:].isdigit():
                opts.append(arg)  # -n5
            else:
                words.append(arg)
        return super().parse_args(ctx, [*opts, "--", *words])
