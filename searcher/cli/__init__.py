"""The ``bantin`` command: a thin layer over the :mod:`searcher` library."""

from __future__ import annotations

import click

from .. import __version__
from .eval_cmd import eval_cmd
from .index_cmd import index_cmd, stats_cmd
from .refs_cmd import refs_cmd
from .search_cmd import search_cmd, show_cmd
from .serve_cmd import serve_cmd


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bantin")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error (a bug) instead of one line.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Search Vietnamese news bulletins, with or without diacritics.

    \b
    Exit codes: 0 results, 1 no results / not found, 2 usage or bad query,
    3 index missing, 4 index corrupt, 5 index locked by another job,
    6 corpus missing or unreadable, 7 index not writable (permissions,
    full disk), 70 internal error (a bug: rerun with --debug),
    130 interrupted.
    """
    ctx.meta["bantin.debug"] = debug


main.add_command(search_cmd)
main.add_command(show_cmd)
main.add_command(index_cmd)
main.add_command(stats_cmd)
main.add_command(refs_cmd)
main.add_command(eval_cmd)
main.add_command(serve_cmd)
