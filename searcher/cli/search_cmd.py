"""``bantin search`` and ``bantin show``."""

from __future__ import annotations

import click

from ..errors import IndexMissingError
from ..normalise import printable
from .common import (
    NO_RESULTS,
    QueryCommand,
    collector,
    corpus_option,
    echo_json,
    handle_errors,
    import_whoosh_lightly,
    index_option,
    json_option,
    short_lived,
    stderr_console,
    stdout_console,
)


def open_searcher(index_dir, corpus_dir=None):
    """Open the index; on a fresh clone, build the missing index from the corpus first."""
    import_whoosh_lightly()
    from ..search import Searcher

    try:
        return Searcher(index_dir)
    except IndexMissingError:
        if corpus_dir is None or not corpus_dir.is_dir() or (index_dir.exists() and not index_dir.is_dir()):
            raise  # nothing to build from, or a file is in the way
    from ..indexer import update_index

    stderr_console().print(
        f"no index at '{index_dir}' yet: building it from '{corpus_dir}' (once; later runs reuse it)…"
    )
    with collector(True):  # a build is no short job: let the collector run (see short_lived)
        report = update_index(corpus_dir, index_dir)
    for s in report.skipped:
        stderr_console().print(printable(f"warning: skipped {s['path']}: {s['reason']}"))
    return Searcher(index_dir)


@click.command("search", cls=QueryCommand)
@click.argument("query", nargs=-1)
@index_option
@corpus_option
@click.option("--limit", "-n", type=click.IntRange(1, 1000), default=10, show_default=True, help="Hits to show.")
@click.option("--offset", type=click.IntRange(0), default=0, help="Skip this many hits (paging).")
@click.option("--page", type=click.IntRange(1), default=None, help="Page N of --limit hits (sets --offset).")
@click.option(
    "--sort",
    type=click.Choice(["relevance", "newest", "oldest"]),
    default=None,
    help="Order (default: relevance with words, newest without). Undated bulletins come last.",
)
@click.option("--since", metavar="DATE", help="From this date on: 2022, 2022-03 (1 March) or 2022-03-05.")
@click.option("--until", metavar="DATE", help="Up to this date: 2022 (31 December), 2022-06 or 2022-06-30.")
@click.option("--year", metavar="YYYY", help="Only this year (same as --since YYYY --until YYYY).")
@click.option("--source", "sources", multiple=True, metavar="DOMAIN", help="Only from this source (repeatable).")
@click.option("--author", "authors", multiple=True, metavar="NAME", help="Only by this author (repeatable).")
@click.option(
    "--cites",
    multiple=True,
    metavar="REF",
    help='Only bulletins citing this document, e.g. "Nghị quyết 18" (repeatable).',
)
@click.option("--facets", metavar="LIST", help="Counts over all matches: year,month,source,author,cites.")
@click.option("--facet-limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="Values per facet.")
@click.option(
    "--no-correct",
    "no_correct",
    is_flag=True,
    help="Search exactly what was typed: no Telex/VNI decoding, typo corrections or abbreviations.",
)
@json_option
@handle_errors
@short_lived
def search_cmd(
    query,
    index_dir,
    corpus_dir,
    limit,
    offset,
    page,
    sort,
    since,
    until,
    year,
    sources,
    authors,
    cites,
    facets,
    facet_limit,
    no_correct,
    as_json,
):
    """Search the bulletins; with filters and no words, list them newest first.

    \b
    Syntax: words (all required), "a phrase", a OR b, -excluded or NOT excluded,
    title:word, and filters date:2022, date:2022-01..2022-06, date:>2022-06-01,
    source:dangcongsan.vn, author:"Linh Lan", cites:"Kết luận 21".
    Diacritics and tone style are optional: "ket luan 21" finds "Kết luận số 21-KL/TW".
    """
    text = " ".join(query)
    filters: dict = {}
    if year is not None:
        filters["year"] = year
    if page is not None:
        offset = (page - 1) * limit
    with open_searcher(index_dir, corpus_dir) as s:
        res = s.search(
            text,
            limit=limit,
            offset=offset,
            sort=sort,
            since=since,
            until=until,
            sources=list(sources),
            authors=list(authors),
            cites=list(cites),
            filter=filters or None,
            facets=facets,
            facet_limit=facet_limit,
            correct=not no_correct,
        )
    if as_json:
        echo_json(res.to_dict())
    else:
        from .render import print_facets, print_reading, print_results

        if res.notice:
            stderr_console().print(res.notice)
        out = stdout_console()
        print_reading(out, res)
        print_results(out, res)
        if res.facets:
            print_facets(out, res.facets)
    if not res.hits:
        raise SystemExit(NO_RESULTS)


@click.command("show")
@click.argument("doc_id")
@index_option
@json_option
@handle_errors
@short_lived
def show_cmd(doc_id, index_dir, as_json):
    """Print one bulletin: its metadata, the documents it cites, its cleaned text."""
    import_whoosh_lightly()
    from ..search import Searcher

    with Searcher(index_dir) as s:
        doc = s.get(doc_id)
    if as_json:
        echo_json(doc.to_dict())
    else:
        from .render import print_document

        print_document(stdout_console(), doc)
