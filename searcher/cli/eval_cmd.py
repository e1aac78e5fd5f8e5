"""``bantin eval``: measure ranking quality on judged queries."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from ..normalise import printable
from .common import echo_json, handle_errors, index_option, json_option, stdout_console


def _passages_index(passages: Path, workdir: Path) -> Path:
    """Build a throw-away index of a passages file ({id, title, body} per line)."""
    from ..indexer import build_index

    corpus = workdir / "corpus"
    corpus.mkdir()
    (corpus / "passages.jsonl").symlink_to(passages.resolve())
    index = workdir / "index"
    build_index(corpus, index, follow_symlinks=True)  # the link out of the corpus is ours
    return index


@click.command("eval")
@click.argument("queries", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@index_option
@click.option(
    "--passages",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Index these passages (JSONL {id,title,body}) in a temporary index and evaluate on it.",
)
@click.option(
    "--k", type=click.IntRange(1, 1000), default=10, show_default=True, help="Cut-off for MRR, Recall and nDCG."
)
@click.option(
    "--no-diacritics", is_flag=True, help="Strip every diacritic from the queries (đ→d), as many people type."
)
@click.option("--per-query", "per_query", is_flag=True, help="Also list the worst queries.")
@click.option(
    "--worst",
    type=click.IntRange(1, 1000),
    default=10,
    show_default=True,
    help="How many worst queries --per-query lists.",
)
@json_option
@handle_errors
def eval_cmd(queries, index_dir, passages, k, no_diacritics, per_query, worst, as_json):
    """Evaluate ranking on judged queries: JSONL {qid, query, relevant_ids}.

    Reports MRR@k, Recall@k, nDCG@k, zero-result queries and latency.
    """
    from ..evaluation import evaluate, load_queries
    from ..search import Searcher

    judged = load_queries(queries)
    with tempfile.TemporaryDirectory(prefix="bantin-eval-") as tmp:
        index = _passages_index(passages, Path(tmp)) if passages else index_dir
        with Searcher(index) as s:
            report = evaluate(
                lambda q, n: [h.id for h in s.search(q, limit=n).hits], judged, k=k, no_diacritics=no_diacritics
            )
    if as_json:
        echo_json(report.to_dict(per_query=per_query))
        return
    out = stdout_console()
    cond = "no diacritics" if no_diacritics else "as given"
    out.print(f"{report.queries} queries ({cond}), k={k}")
    out.print(f"MRR@{k}     {report.mrr:.4f}")
    out.print(f"Recall@{k}  {report.recall:.4f}")
    out.print(f"nDCG@{k}    {report.ndcg:.4f}")
    out.print(f"zero-result queries  {report.zero_results}")
    out.print(f"latency  p50 {report.latency_p50_ms:.1f} ms   p95 {report.latency_p95_ms:.1f} ms")
    if per_query:
        out.print("\nworst queries:")
        for o in report.worst(worst):
            out.print(printable(f"  rr={o.rr:.2f}  {o.qid}  {o.query[:100]}"))
