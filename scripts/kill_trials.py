"""Kill trials: SIGKILL real ingest, update and delete processes at random moments, many times.

    python scripts/kill_trials.py [--trials 60] [--seed 1] [--real-model] [--work DIR]

Each trial starts a worker process (``tests/support/crash_worker.py``) on a copy of an index, kills
it at a random moment within the operation's measured duration, checks that the index loads and that
SQLite, FAISS, BM25 and the manifest agree, then runs the operation again and checks that the result
equals an uninterrupted run (no article lost, no chunk twice). ``--trials`` is split evenly between
ingest, update and delete. ``--real-model`` uses the packaged sentence-transformers model instead of
the fast fake embedder (minutes per trial on a small machine). Exits 1 on the first failed trial.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "support"), str(ROOT)]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from crash_trials import MODES, KillTrials, TrialResult  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--articles", type=int, default=40, help="demo articles in the corpus")
    parser.add_argument("--real-model", action="store_true")
    parser.add_argument("--work", type=Path, help="working directory (default: a temporary one)")
    args = parser.parse_args(argv)

    work = args.work or Path(tempfile.mkdtemp(prefix="newsqa-kill-"))
    trials = KillTrials(
        work, n_articles=args.articles, real_model=args.real_model, delay=0.0 if args.real_model else 0.05
    )
    started = time.monotonic()
    print(f"preparing corpora and expected indexes in {work} ...", flush=True)
    trials.prepare()
    for mode in MODES:
        print(f"{mode}: an uninterrupted run takes {trials.window(mode):.1f} s", flush=True)
    plan = {m: args.trials // len(MODES) + (i < args.trials % len(MODES)) for i, m in enumerate(MODES)}

    def report(r: TrialResult) -> None:
        counts = (
            f"{r.counts_after_kill.articles} articles, {r.counts_after_kill.chunks} chunks"
            if r.counts_after_kill
            else "-"
        )
        print(
            f"{r.mode:>6} #{r.trial:<3} killed at {r.kill_after:5.2f} s: {r.outcome:<25} after the kill: {counts:<28}"
            f" resumed OK ({r.seconds:.1f} s)",
            flush=True,
        )

    try:
        results = trials.run(plan, seed=args.seed, report=report)
    except AssertionError as exc:
        print(f"FAIL: {exc}", flush=True)
        return 1
    outcomes = Counter((r.mode, r.outcome) for r in results)
    print(f"\n{len(results)} trials in {time.monotonic() - started:.0f} s, all passed")
    for mode in MODES:
        print(f"  {mode}: " + ", ".join(f"{n} {o}" for (m, o), n in sorted(outcomes.items()) if m == mode))
    return 0


if __name__ == "__main__":
    sys.exit(main())
