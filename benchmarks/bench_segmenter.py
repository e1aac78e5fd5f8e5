"""Benchmark searcher.segmenter against pyvi itself, side by side, in one run.

    python benchmarks/bench_segmenter.py                  # 20,000 VNTC sentences, 5 rounds
    python benchmarks/bench_segmenter.py --n 5000 --rounds 1

The sample: a fixed-seed sample of sentences (split as the indexer splits them,
:func:`searcher.analysis.sentences`) of ``../shared/corpora/vntc.jsonl.xz``, or,
when that is missing, the sentences of the seed bulletins in ``corpus/``.

Each measurement runs in a fresh subprocess (this script with ``--phase``):

* ready time: importing the tokenizer and segmenting one sentence (pyvi loads
  its model, and scikit-learn, at import; ours loads on first use);
* pass 1 over the sample (ours starts with an empty per-syllable cache) and
  pass 2 over it again, wall and CPU time; sentences/s and MB/s (UTF-8 input)
  from the wall time;
* peak RSS (``ru_maxrss``) once ready and at the end, and whether scikit-learn
  was imported.

Rounds alternate the order (pyvi first, then ours first, ...); the table
reports the best time over rounds (the machine is shared) and the median RSS,
the summary both best-of and median speed-ups.  Outputs of pass 1 are compared sentence by
sentence.  Results go to ``benchmarks/results/bench_segmenter.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import lzma
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
CORPUS = PROJECT / "corpus"
VNTC = PROJECT.parent / "shared" / "corpora" / "vntc.jsonl.xz"
RESULTS = HERE / "results" / "bench_segmenter.md"
SEED = 1234
ARTICLE_RATE = 0.02  # ~1,600 of the 80,790 VNTC articles, ~30,000 sentences
IMPLS = ("pyvi", "native")
LABELS = {
    "pyvi": "pyvi `ViTokenizer.tokenize`",
    "native": "`searcher.segmenter.tokenize`",
}


# --- the sample --------------------------------------------------------------------


def sample(n: int) -> tuple[list[str], str]:
    sys.path.insert(0, str(PROJECT))
    from searcher.analysis import sentences

    rng = random.Random(SEED)
    sents: list[str] = []
    if VNTC.is_file():
        with lzma.open(VNTC, "rt", encoding="utf-8") as fh:
            for line in fh:
                if rng.random() < ARTICLE_RATE:
                    art = json.loads(line)
                    text = f"{art['title']}\n{art['body']}"
                    sents.extend(s for s, _ in sentences(text))
        rng.shuffle(sents)
        where = (
            f"VNTC (`../shared/corpora/vntc.jsonl.xz`), articles drawn with "
            f"p={ARTICLE_RATE} (seed {SEED}), split by `searcher.analysis.sentences`, "
            "shuffled"
        )
        return sents[:n], where
    for path in sorted(CORPUS.glob("*.txt")):
        sents.extend(s for s, _ in sentences(path.read_text(encoding="utf-8")))
    return sents, "the seed bulletins in `corpus/` (VNTC missing), every sentence"


# --- one measurement, in a fresh process --------------------------------------------


def rss_mb() -> float:
    """Peak RSS of this process (VmHWM).  Not ``ru_maxrss``: Linux carries that
    over ``execve`` from the forking parent, which holds the decompressed corpus."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase(impl: str, input_path: Path, output_path: Path) -> None:
    t0 = time.perf_counter()
    if impl == "pyvi":
        from pyvi import ViTokenizer

        tokenize = ViTokenizer.tokenize
    else:
        sys.path.insert(0, str(PROJECT))
        from searcher.segmenter import tokenize
    t_import = time.perf_counter() - t0
    tokenize("Đảng viên gương mẫu.")
    t_ready = time.perf_counter() - t0
    rss_ready = rss_mb()
    sents: list[str] = json.loads(input_path.read_text(encoding="utf-8"))
    passes = []
    out: list[str] = []
    for _ in range(2):
        w, c = time.perf_counter(), time.process_time()
        out = [tokenize(s) for s in sents]
        passes.append((time.perf_counter() - w, time.process_time() - c))
    output_path.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    print(
        json.dumps(
            {
                "import_s": t_import,
                "ready_s": t_ready,
                "pass1_wall": passes[0][0],
                "pass1_cpu": passes[0][1],
                "pass2_wall": passes[1][0],
                "pass2_cpu": passes[1][1],
                "rss_ready_mb": rss_ready,
                "rss_end_mb": rss_mb(),
                "sklearn": "sklearn" in sys.modules,
                "backend": _backend(impl),
            }
        )
    )


def _backend(impl: str) -> str:
    if impl == "pyvi":
        return "pyvi"
    from searcher.segmenter import backend

    return backend()


def run_phase(impl: str, input_path: Path, output_path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--phase", impl, "--input", str(input_path),
         "--output", str(output_path)],
        capture_output=True, text=True, check=True, cwd=PROJECT,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def bare_python_rss() -> float:
    code = (
        "import pathlib; print([l.split()[1] for l in pathlib.Path('/proc/self/status')"
        ".read_text().splitlines() if l.startswith('VmHWM:')][0])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return int(done.stdout) / 1024


# --- report --------------------------------------------------------------------------


def version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as v

    try:
        return v(dist)
    except PackageNotFoundError:
        return "?"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=20_000, help="sentences (VNTC sample)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--phase", choices=IMPLS, help=argparse.SUPPRESS)
    ap.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args()
    if args.phase:
        phase(args.phase, args.input, args.output)
        return

    started = time.time()
    sents, where = sample(args.n)
    n = len(sents)
    mb = sum(len(s.encode("utf-8")) for s in sents) / 1e6
    syllables = sum(len(s.split()) for s in sents)
    print(f"{n} sentences, {mb:.2f} MB, from {where}", file=sys.stderr)
    load_before = os.getloadavg()
    runs: dict[str, list[dict[str, Any]]] = {impl: [] for impl in IMPLS}
    with tempfile.TemporaryDirectory() as tmp:
        inp = Path(tmp) / "sentences.json"
        inp.write_text(json.dumps(sents, ensure_ascii=False), encoding="utf-8")
        outs = {impl: Path(tmp) / f"{impl}.json" for impl in IMPLS}
        for r in range(args.rounds):
            order = IMPLS if r % 2 == 0 else IMPLS[::-1]
            for impl in order:
                res = run_phase(impl, inp, outs[impl])
                runs[impl].append(res)
                print(f"round {r + 1} {impl}: {res}", file=sys.stderr)
        a, b = (json.loads(outs[i].read_text(encoding="utf-8")) for i in IMPLS)
    same = sum(x == y for x, y in zip(a, b, strict=True))
    load_after = os.getloadavg()
    bare = bare_python_rss()

    def med(impl: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[impl])

    def best(impl: str, key: str) -> float:
        return min(run[key] for run in runs[impl])

    rows = []
    for impl in IMPLS:
        rows.append(
            f"| {LABELS[impl]} | {best(impl, 'import_s'):.3f} | {best(impl, 'ready_s'):.3f} "
            f"| {n / best(impl, 'pass1_wall'):,.0f} | {mb / best(impl, 'pass1_wall'):.3f} "
            f"| {best(impl, 'pass1_cpu'):.2f} "
            f"| {n / best(impl, 'pass2_wall'):,.0f} | {best(impl, 'pass2_cpu'):.2f} "
            f"| {med(impl, 'rss_ready_mb'):.0f} | {med(impl, 'rss_end_mb'):.0f} "
            f"| {'yes' if runs[impl][0]['sklearn'] else 'no'} |"
        )

    def ratio(key: str, of: Any = best) -> float:
        return float(of("pyvi", key) / of("native", key))

    elapsed = time.time() - started
    cmd = (
        "python benchmarks/bench_segmenter.py"
        + (f" --n {args.n}" if args.n != 20_000 else "")
        + (f" --rounds {args.rounds}" if args.rounds != 5 else "")
    )
    text = f"""# Word segmentation: `searcher.segmenter` vs pyvi

`{cmd}` ({dt.date.today().isoformat()}, {elapsed:.0f} s in all)

* Sample: {n:,} sentences, {mb:.2f} MB of UTF-8, {syllables:,} space-separated syllables; {where}.
* Machine: {cpu_name()}, {os.cpu_count()} cores, shared with other work (load average {load_before[0]:.2f} before, {load_after[0]:.2f} after): wall times are noisy, CPU times less so. Python {platform.python_version()}; pyvi {version("pyvi")}, python-crfsuite {version("python-crfsuite")}, scikit-learn {version("scikit-learn")}, sklearn-crfsuite {version("sklearn-crfsuite")}.
* {args.rounds} fresh processes per tokenizer, the order alternating by round; times are the best of them (the least disturbed by the other work on the machine), RSS the median.
* RSS is the peak (VmHWM): "ready" once the tokenizer has segmented one sentence, before the sample is loaded; "end" after both passes (sample and outputs included).  A bare `python` peaks at {bare:.0f} MB.

| tokenizer | import s | ready s (import + 1st sentence) | pass 1 sent/s | pass 1 MB/s | pass 1 CPU s | pass 2 sent/s | pass 2 CPU s | peak RSS ready MB | peak RSS end MB | imports scikit-learn |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|
{rows[0]}
{rows[1]}

* Speed-up, ours over pyvi, in CPU time (the steadier measure here), best of {args.rounds}: **{ratio("pass1_cpu"):.2f}×** on pass 1, **{ratio("pass2_cpu"):.2f}×** on pass 2 (warm per-syllable cache); median of {args.rounds}: {ratio("pass1_cpu", med):.2f}× and {ratio("pass2_cpu", med):.2f}×.  In wall time, best of {args.rounds}: {ratio("pass1_wall"):.2f}× and {ratio("pass2_wall"):.2f}×; median: {ratio("pass1_wall", med):.2f}× and {ratio("pass2_wall", med):.2f}× (wall ratios swing with the load of the other processes).  Ready {ratio("ready_s"):.0f}× sooner; peak RSS once ready {med("pyvi", "rss_ready_mb") - med("native", "rss_ready_mb"):.0f} MB lower.
* Output: **{same:,} of {n:,}** sentences byte-identical to pyvi's.
* Backend in use: `{runs["native"][0]["backend"]}` (`pyvi` would mean the fallback to pyvi itself).
"""
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
