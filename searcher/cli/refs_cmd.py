"""``bantin refs``: the corpus's table of cited documents."""

from __future__ import annotations

import click

from .common import (
    NO_RESULTS,
    QueryCommand,
    echo_json,
    handle_errors,
    index_option,
    json_option,
    short_lived,
    stdout_console,
)


@click.command("refs", cls=QueryCommand)
@click.argument("query", nargs=-1)
@index_option
@click.option("--limit", "-n", type=click.IntRange(1, 100000), default=50, show_default=True)
@json_option
@handle_errors
@short_lived
def refs_cmd(query, index_dir, limit, as_json):
    """List the documents the bulletins cite, most cited first.

    QUERY narrows the list: "Kết luận", "nghi quyet 18", "KL/TW".
    """
    from ..search import Searcher

    with Searcher(index_dir) as s:
        refs = s.refs(" ".join(query) or None)[:limit]
    if as_json:
        echo_json([r.to_dict() for r in refs])
    else:
        from .render import print_refs

        print_refs(stdout_console(), refs)
    if not refs:
        raise SystemExit(NO_RESULTS)
