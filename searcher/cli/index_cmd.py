"""``bantin index`` (the rebuild job) and ``bantin stats``."""

from __future__ import annotations

import sys
import time

import click

from ..normalise import printable
from .common import corpus_option, echo_json, handle_errors, index_option, json_option, stderr_console, stdout_console


class _Bar:
    """A rich progress bar on stderr: documents, MB/s and ETA, then "writing" while
    the analysed documents are written out and the new generation is published."""

    def __init__(self):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("{task.description:<9}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("docs  {task.fields[rate]:5.2f} MB/s"),
            TimeRemainingColumn(),
            console=stderr_console(),
            transient=True,
        )
        self.task = None
        self.t0 = time.perf_counter()

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        self.progress.__exit__(*exc)

    def __call__(self, done: int, total: int, nbytes: int) -> None:
        if self.task is None:
            self.task = self.progress.add_task("indexing", total=total, rate=0.0)
        rate = nbytes / 1e6 / max(time.perf_counter() - self.t0, 1e-6)
        description = "writing" if done >= total else "indexing"
        self.progress.update(self.task, completed=done, rate=rate, description=description)


@click.command("index")
@corpus_option
@index_option
@click.option("--rebuild", is_flag=True, help="Build from scratch into a fresh generation and swap it in.")
@click.option(
    "--wait", type=click.FloatRange(0), default=0, metavar="SECONDS", help="Wait this long for another job's lock."
)
@click.option(
    "--procs",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes for analysis (default: every core, from 200 documents to analyse on).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and skipped-file warnings (for cron).")
@click.option("--follow-symlinks", is_flag=True, help="Also read symbolic links that point out of the corpus folder.")
@click.option(
    "--verify",
    is_flag=True,
    help="Checksum every index file (not only those changed since written); rebuild if any differs.",
)
@json_option
@handle_errors
def index_cmd(corpus_dir, index_dir, rebuild, wait, procs, quiet, follow_symlinks, verify, as_json):
    """Bring the index in step with the corpus folder.

    Incremental by default: only added and changed bulletins are analysed,
    removed ones are deleted; a bulletin whose file has become unreadable keeps
    its indexed version.  The previous index keeps serving until the new one is
    complete, whatever happens to this job (Ctrl-C, kill -9).  Indexes built
    with older analysis rules are rebuilt by themselves, and it says why.

    \b
    Exit codes: 0 done, 5 another job holds the index (see --wait),
    6 corpus missing, unreadable or found empty (nothing deleted),
    7 index not writable (permissions, full disk), 130 interrupted
    (the old index still serves).
    """
    from ..indexer import update_index

    options = dict(rebuild=rebuild, wait=wait, procs=procs, follow_symlinks=follow_symlinks, verify=verify)
    show_bar = not quiet and not as_json and sys.stderr.isatty()
    if show_bar:
        with _Bar() as bar:
            report = update_index(corpus_dir, index_dir, progress=bar, **options)
    else:
        report = update_index(corpus_dir, index_dir, **options)
    if as_json:
        d = report.to_dict()
        echo_json(
            {
                k: d[k]
                for k in (
                    "added",
                    "updated",
                    "deleted",
                    "unchanged",
                    "skipped",
                    "warnings",
                    "seconds",
                    "documents",
                    "rebuilt",
                    "reason",
                    "generation",
                )
            }
        )
        return
    err = stderr_console()
    for s in report.skipped:
        err.print(printable(f"warning: skipped {s['path']}: {s['reason']}"))
    for w in report.warnings:
        err.print(
            printable(
                f"warning: {w['message']}"
                if w["message"].startswith(w["path"])
                else f"warning: {w['path']}: {w['message']}"
            )
        )
    if quiet:
        return
    if report.reason and report.rebuilt:
        err.print(f"full build: {report.reason}")
    if report.changed:
        stdout_console().print(
            f"{report.documents} bulletins indexed in {report.seconds:.1f} s "
            f"(+{report.added} added, ~{report.updated} updated, -{report.deleted} deleted, "
            f"{report.unchanged} unchanged, {len(report.skipped)} skipped) → {report.index}/{report.generation}"
        )
    else:
        stdout_console().print(f"index is up to date: {report.documents} bulletins ({report.seconds:.1f} s)")


@click.command("stats")
@index_option
@corpus_option
@click.option("--follow-symlinks", is_flag=True, help="As for `bantin index`.")
@json_option
@handle_errors
def stats_cmd(index_dir, corpus_dir, follow_symlinks, as_json):
    """Documents, size, last update and analysis version; and whether the corpus changed since."""
    from ..indexer import index_stats

    st = index_stats(index_dir, corpus_dir if corpus_dir.is_dir() else None, follow_symlinks=follow_symlinks)
    if as_json:
        echo_json(st.to_dict())
        return
    out = stdout_console()
    out.print(f"index        {st.index}/{st.generation}")
    out.print(f"documents    {st.documents}")
    out.print(f"size         {st.bytes / 1e6:.1f} MB")
    out.print(f"updated      {st.built_at}")
    note = "" if st.analysis_current else "  (outdated: the next `bantin index` rebuilds)"
    out.print(f"analysis     {st.analysis_version}{note}")
    if st.corpus is not None:
        p = st.pending
        state = (
            f"changed since: +{p['added']} ~{p['updated']} -{p['deleted']} (run `bantin index`)"
            if st.corpus_changed
            else "unchanged since"
        )
        out.print(f"corpus       {st.corpus}: {state}")
