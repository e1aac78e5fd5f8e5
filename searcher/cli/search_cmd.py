"""``bantin search`` and ``bantin show``."""

from __future__ import annotations

import click

from ..errors import IndexMissingError
from ..normalise import printable
from .common import (
    NO_RESULTS,
    QueryCommand,
    corpus_option,
    echo_json,
    handle_errors,
    index_option,
    json_option,
    stderr_console,
    stdout_console,
)


def open_searcher(index_dir, corpus_dir=None):
    """Open the index; on a fresh clone, build the missing index from the corpus first."""
    from ..search import Searcher

    try:
        return Searcher(index_dir)
    except IndexMissingError:
        if corpus_dir is None or not corpus_dir.is_dir():
            raise
    from ..indexer import update_index

    stderr_console().print(
        f"no index at '{index_dir}' yet: building it from '{corpus_dir}' (once; later runs reuse it)…"
    )
    report = update_index(corpus_dir, index_dir)
    for s in report.skipped:
        stderr_console().print(printable(f"warning: skipped {s['path']}: {s['reason']}"))
    return Searcher(index_dir)


@click.command("search", cls=QueryCommand)
@click.argument("query", nargs=-1, required=True)
@index_option
@corpus_option
@click.option("--limit", "-n", type=click.IntRange(1, 1000), default=10, show_default=True, help="Hits to show.")
@click.option("--cites", metavar="REF", help='Only bulletins citing this document, e.g. "Nghị quyết 18".')
@json_option
@handle_errors
def search_cmd(query, index_dir, corpus_dir, limit, cites, as_json):
    """Search the bulletins.

    \b
    Syntax: words (all required), "a phrase", a OR b, -excluded or NOT excluded,
    title:word.
    Diacritics and tone style are optional: "ket luan 21" finds "Kết luận số 21-KL/TW".
    """
    text = " ".join(query)
    with open_searcher(index_dir, corpus_dir) as s:
        res = s.search(text, limit=limit, cites=cites)
    if as_json:
        echo_json(res.to_dict())
    else:
        from .render import print_results

        if res.notice:
            stderr_console().print(res.notice)
        print_results(stdout_console(), res)
    if not res.hits:
        raise SystemExit(NO_RESULTS)


@click.command("show")
@click.argument("doc_id")
@index_option
@json_option
@handle_errors
def show_cmd(doc_id, index_dir, as_json):
    """Print one bulletin: its metadata, the documents it cites, its cleaned text."""
    from ..search import Searcher

    with Searcher(index_dir) as s:
        doc = s.get(doc_id)
    if as_json:
        echo_json(doc.to_dict())
    else:
        from .render import print_document

        print_document(stdout_console(), doc)
