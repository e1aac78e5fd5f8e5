"""What every command shares: paths, exit codes, error mapping, JSON output."""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path

import click

from ..errors import (
    BantinError,
    CorpusError,
    DocumentNotFound,
    IndexCorruptError,
    IndexLockedError,
    IndexMissingError,
    QueryError,
)

# Exit codes (documented in README.md, "Exit codes").
OK = 0
NO_RESULTS = 1
USAGE = 2
INDEX_MISSING = 3
INDEX_CORRUPT = 4
INDEX_LOCKED = 5
CORPUS_ERROR = 6
INTERRUPTED = 130

_EXIT_FOR = [
    (QueryError, USAGE),
    (DocumentNotFound, NO_RESULTS),
    (IndexMissingError, INDEX_MISSING),
    (IndexCorruptError, INDEX_CORRUPT),
    (IndexLockedError, INDEX_LOCKED),
    (CorpusError, CORPUS_ERROR),
]


class BantinCliError(click.ClickException):
    """A one-line error with its own exit code; click prints ``Error: <message>``."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


def exit_code_for(err: BantinError) -> int:
    for cls, code in _EXIT_FOR:
        if isinstance(err, cls):
            return code
    return USAGE


def handle_errors(fn):
    """Turn library errors and Ctrl-C into one-line messages and exit codes."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BantinError as e:
            raise BantinCliError(str(e), exit_code_for(e)) from None
        except KeyboardInterrupt:
            raise BantinCliError(
                "interrupted: nothing was changed; the index is as it was before this run", INTERRUPTED
            ) from None
        except BrokenPipeError:
            sys.stderr.close()
            raise SystemExit(OK) from None

    return wrapper


def default_index() -> str:
    return os.environ.get("BANTIN_INDEX") or "index"


def default_corpus() -> str:
    return os.environ.get("BANTIN_CORPUS") or "corpus"


index_option = click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=default_index,
    show_default="./index or $BANTIN_INDEX",
    help="Index folder.",
)
corpus_option = click.option(
    "--corpus",
    "corpus_dir",
    # Not file_okay=False: the library's CorpusError gives the documented exit code 6.
    type=click.Path(path_type=Path),
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

    stream = sys.stderr if stderr else sys.stdout
    return Console(
        stderr=stderr, highlight=False, markup=False, emoji=False, soft_wrap=not stream.isatty()
    )


def stderr_console():
    return _console(stderr=True)


def stdout_console():
    return _console(stderr=False)
