"""The ``bantin`` command: a thin layer over the :mod:`searcher` library.

Each command lives in its own module, imported only when that command runs
(or when ``bantin --help`` lists them): ``bantin search`` never loads the
index job, the evaluation or the web server.
"""

from __future__ import annotations

from importlib import import_module

import click

from .. import __version__

# Command name -> (module in this package, attribute), imported on demand.
_COMMANDS: dict[str, tuple[str, str]] = {
    "eval": ("eval_cmd", "eval_cmd"),
    "index": ("index_cmd", "index_cmd"),
    "refs": ("refs_cmd", "refs_cmd"),
    "search": ("search_cmd", "search_cmd"),
    "serve": ("serve_cmd", "serve_cmd"),
    "show": ("search_cmd", "show_cmd"),
    "stats": ("index_cmd", "stats_cmd"),
}


class LazyGroup(click.Group):
    """A group whose commands are imported the first time they are asked for.

    Commands added with :meth:`add_command` (tests, plug-ins) are served as usual.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*_COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in _COMMANDS:
            module, attribute = _COMMANDS[cmd_name]
            command = getattr(import_module(f"{__name__}.{module}"), attribute)
            self.commands[cmd_name] = command
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bantin")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error (a bug) instead of one line.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Search Vietnamese news bulletins, with or without diacritics.

    \b
    Exit codes: 0 results, 1 no results / not found, 2 usage or bad query,
    3 index missing, 4 index corrupt, 5 index locked by another job,
    6 corpus missing, unreadable or found empty, 7 index not writable
    (permissions, full disk), 70 internal error (a bug: rerun with --debug),
    130 interrupted.
    """
    ctx.meta["bantin.debug"] = debug
