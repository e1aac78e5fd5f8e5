"""Rank every engine on every retrieval test set, as given and without diacritics.

    python benchmarks/eval_all.py [--sets viquad_test,xquad_vi,...]
        [--engines bantin,fts5,whoosh-plain,whoosh-fold] [--k 10]
        [--out benchmarks/results/eval.md] [--json benchmarks/results/eval.json]
        [--limit-queries N] [--keep-work]

Each engine is built once per set under ``benchmarks/work/<set>/<engine>``
(git-ignored, removed afterwards unless ``--keep-work``), then evaluated with
the queries as given and with every diacritic stripped.  Progress goes to
stderr; the Markdown table goes to ``--out`` and stdout, full figures to
``--json``.  Exits 2 with a one-line message when ``../shared/eval`` is missing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
BENCH = ROOT / "benchmarks"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from baselines import ENGINES, bantin_available, load_passages  # noqa: E402
from searcher.evaluation import EvalError, EvalReport, evaluate, load_queries  # noqa: E402

DEFAULT_SETS = ["viquad_test", "xquad_vi", "alqac_2022", "alqac_2023_2025", "alqac_2023_statements"]
DEFAULT_ENGINES = ["bantin", "fts5", "whoosh-plain", "whoosh-fold"]
EVAL_DIR = ROOT.parent / "shared" / "eval"
WORK_DIR = BENCH / "work"

# MRR@10 of the best peers as reported by the product owner (as given, no diacritics).
PEER_BEST = {
    "viquad_test": (0.816, 0.765),
    "xquad_vi": (0.952, 0.926),
    "alqac_2022": (0.913, 0.873),
    "alqac_2023_2025": (0.828, 0.780),
}


def log(message: str) -> None:
    """Progress line on stderr."""
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sets", default=",".join(DEFAULT_SETS), help="comma-separated set names")
    p.add_argument("--engines", default=",".join(DEFAULT_ENGINES), help="comma-separated engines")
    p.add_argument("--k", type=int, default=10, help="rank cut-off (default 10)")
    p.add_argument("--out", type=Path, default=BENCH / "results" / "eval.md")
    p.add_argument("--json", type=Path, default=BENCH / "results" / "eval.json")
    p.add_argument("--limit-queries", type=int, default=None, metavar="N", help="first N queries per set")
    p.add_argument("--eval-dir", type=Path, default=EVAL_DIR, help="folder holding the sets")
    p.add_argument("--keep-work", action="store_true", help="keep the built indexes")
    return p.parse_args(argv)


def split_names(value: str, known: list[str] | None, what: str) -> list[str]:
    """Split a comma list; reject names not in ``known`` with a one-line SystemExit."""
    names = [n.strip() for n in value.split(",") if n.strip()]
    if not names:
        raise SystemExit(f"error: no {what} given")
    unknown = [n for n in names if known is not None and n not in known]
    if unknown:
        raise SystemExit(f"error: unknown {what}: {', '.join(unknown)} (choose from {', '.join(known)})")
    return names


def report_summary(report: EvalReport, worst: int = 10) -> dict:
    """Summary of a report plus its worst queries, for the JSON output."""
    data = report.to_dict()
    data["worst"] = [
        {"qid": o.qid, "query": o.query, "rr": o.rr, "top3": o.ranked_ids[:3]} for o in report.worst(worst)
    ]
    return data


def _remove_if_empty(path: Path) -> None:
    """Remove a work folder left empty once its engines' indexes are gone."""
    try:
        path.rmdir()
    except OSError:
        pass


def run_engine(engine_name: str, set_name: str, passages: list[dict], queries: list, args) -> dict:
    """Build one engine on one set, evaluate both query forms, return a result row."""
    engine = ENGINES[engine_name]()
    workdir = WORK_DIR / set_name / engine_name
    wall = time.perf_counter()
    try:
        built = engine.build(passages, workdir)
        log(f"[{set_name}] {engine_name}: built {built['docs']} docs in {built['seconds']:.1f} s")
        reports = {}
        for label, no_dia in (("given", False), ("no_diacritics", True)):
            t0 = time.perf_counter()
            rep = evaluate(engine.search, queries, k=args.k, no_diacritics=no_dia)
            reports[label] = rep
            log(
                f"[{set_name}] {engine_name} {label}: MRR@{args.k} {rep.mrr:.3f} "
                f"R@{args.k} {rep.recall:.3f} zero {rep.zero_results} "
                f"({rep.queries} queries, {time.perf_counter() - t0:.1f} s)"
            )
    finally:
        engine.close()
        if not args.keep_work:
            shutil.rmtree(workdir, ignore_errors=True)
            _remove_if_empty(workdir.parent)
    return {
        "set": set_name,
        "engine": engine_name,
        "docs": built["docs"],
        "queries": len(queries),
        "build_seconds": built["seconds"],
        "index_bytes": built["bytes"],
        "wall_seconds": time.perf_counter() - wall,
        "given": report_summary(reports["given"]),
        "no_diacritics": report_summary(reports["no_diacritics"]),
    }


def run_set(set_name: str, engines: list[str], args, failures: list[str]) -> Iterator[dict]:
    """Load one set and yield a row per engine; engine failures are logged and recorded."""
    folder = args.eval_dir / set_name
    passages = load_passages(folder / "passages.jsonl")
    queries = load_queries(folder / "queries.jsonl")
    if args.limit_queries:
        queries = queries[: args.limit_queries]
    log(f"[{set_name}] {len(passages)} passages, {len(queries)} queries")
    for name in engines:
        try:
            row = run_engine(name, set_name, passages, queries, args)
        except Exception as exc:  # noqa: BLE001 - keep going, report at the end
            msg = f"[{set_name}] {name} failed: {type(exc).__name__}: {exc}"
            log(msg)
            failures.append(msg)
        else:
            yield row


def machine_line() -> str:
    return f"{platform.platform()} ({platform.machine()}, {os.cpu_count()} cores), Python {platform.python_version()}"


def _pair(row: dict, key: str, fmt: str) -> tuple[str, str]:
    return format(row["given"][key], fmt), format(row["no_diacritics"][key], fmt)


def markdown(rows: list[dict], meta: dict) -> str:
    """The Markdown report: header lines, the results table, peers, notes."""
    k = meta["k"]
    lines = [
        "# Ranking evaluation",
        "",
        f"Generated {meta['generated']} on {meta['machine']}.  ",
        f"Command: `{meta['command']}`",
        "",
        "Each engine is built once per set and queried with the queries as given (*given*) and with every "
        "diacritic stripped, đ→d (*no-dia*). Latency is per query, in-process, warm index.",
        "",
        f"| set | engine | MRR@{k} given | MRR@{k} no-dia | R@{k} given | R@{k} no-dia | nDCG@{k} given "
        f"| nDCG@{k} no-dia | zero given / no-dia | p50 ms given / no-dia | p95 ms given / no-dia "
        "| build s | index MB |",
        "|---|---|" + "---:|" * 11,
    ]
    for r in rows:
        mrr, rec, ndcg = _pair(r, "mrr", ".3f"), _pair(r, "recall", ".3f"), _pair(r, "ndcg", ".3f")
        zero, p50, p95 = _pair(r, "zero_results", "d"), _pair(r, "latency_p50_ms", ".1f"), _pair(
            r, "latency_p95_ms", ".1f"
        )
        lines.append(
            f"| {r['set']} | {r['engine']} | {mrr[0]} | {mrr[1]} | {rec[0]} | {rec[1]} | {ndcg[0]} | {ndcg[1]} "
            f"| {zero[0]} / {zero[1]} | {p50[0]} / {p50[1]} | {p95[0]} / {p95[1]} "
            f"| {r['build_seconds']:.1f} | {r['index_bytes'] / 1e6:.1f} |"
        )
    lines += ["", "Best peers reported by the product owner (MRR@10, given / no-dia):", ""]
    lines += [f"- {s}: {g:.3f} / {n:.3f}" for s, (g, n) in PEER_BEST.items()]
    if meta["notes"]:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in meta["notes"]]
    return "\n".join(lines) + "\n"


def engine_times(rows: list[dict]) -> str:
    """One line: wall-clock seconds spent per engine over all sets."""
    totals: dict[str, float] = {}
    for r in rows:
        totals[r["engine"]] = totals.get(r["engine"], 0.0) + r["wall_seconds"]
    return "wall time per engine (build + both query runs, all sets): " + ", ".join(
        f"{name} {secs:.0f} s" for name, secs in totals.items()
    )


def write_outputs(rows: list[dict], meta: dict, args, final: bool) -> str:
    """Write the Markdown and JSON reports (after every engine, so a killed run keeps its rows)."""
    notes = list(meta["notes"])
    if rows:
        notes.append(engine_times(rows))
    if not final:
        notes.append("PARTIAL: the run was still going (or was interrupted) when this was written")
    full = {**meta, "notes": notes, "total_seconds": time.perf_counter() - meta["started"]}
    full.pop("started")
    text = markdown(rows, full)
    for path in (args.out, args.json):
        path.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    args.json.write_text(json.dumps({**full, "rows": rows}, ensure_ascii=False, indent=1), encoding="utf-8")
    return text


def command_line(argv: list[str] | None) -> str:
    if argv is not None:
        return "eval_all.main(" + repr(argv) + ")"
    return "python " + shlex.join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:])


def _terminate(signum, frame) -> None:
    raise SystemExit(128 + signum)  # unwinds: work dirs are removed, partial report stays


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.eval_dir.is_dir():
        print(f"error: no test sets at {args.eval_dir}; put the shared data beside the project", file=sys.stderr)
        return 2
    if args.k < 1 or (args.limit_queries is not None and args.limit_queries < 1):
        print("error: --k and --limit-queries must be at least 1", file=sys.stderr)
        return 2
    sets = split_names(args.sets, None, "sets")
    engines = split_names(args.engines, list(ENGINES), "engines")
    missing = [s for s in sets if not (args.eval_dir / s).is_dir()]
    if missing:
        print(f"error: no test set {', '.join(missing)} in {args.eval_dir}", file=sys.stderr)
        return 2
    notes: list[str] = []
    if "bantin" in engines and (why := bantin_available()):
        log(f"skipping bantin: {why}")
        notes.append(f"bantin skipped: {why}")
        engines = [e for e in engines if e != "bantin"]
    if args.limit_queries:
        notes.append(f"only the first {args.limit_queries} queries of each set were run")
    meta = {
        "generated": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine_line(),
        "command": command_line(argv),
        "k": args.k,
        "notes": notes,
        "started": time.perf_counter(),
    }
    signal.signal(signal.SIGTERM, _terminate)
    failures: list[str] = []
    rows: list[dict] = []
    try:
        for set_name in sets:
            for row in run_set(set_name, engines, args, failures):
                rows.append(row)
                write_outputs(rows, {**meta, "notes": notes + failures}, args, final=False)
    except EvalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = write_outputs(rows, {**meta, "notes": notes + failures}, args, final=True)
    print(text)
    log(f"done in {time.perf_counter() - meta['started']:.0f} s; wrote {args.out} and {args.json}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
