"""Choose the abstention threshold from evaluation runs, and print the trade-off.

    python scripts/calibrate_abstention.py results/questions-2022 results/unanswerable-2022

Reads the ``per_question.jsonl`` of an answerable run (``newsqa eval questions``) and of an
unanswerable run (``newsqa eval unanswerable``), both made with the same settings, and prints for
each candidate threshold the share of answerable questions that would be abstained on (and how
many of those had a correct top sentence), and the share of unanswerable ones abstained on. The
threshold is the confidence of the best sentence: an answer is given when it is at least that.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def _records(run: Path, mode: str | None) -> list[dict]:  # type: ignore[type-arg]
    rows = [json.loads(line) for line in (run / "per_question.jsonl").open(encoding="utf-8")]
    modes = {r["mode"] for r in rows}
    want = mode or ("hybrid+rerank" if "hybrid+rerank" in modes else sorted(modes)[0])
    return [r for r in rows if r["mode"] == want]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("answerable", type=Path, help="run folder of `newsqa eval questions`")
    parser.add_argument("unanswerable", type=Path, help="run folder of `newsqa eval unanswerable`")
    parser.add_argument("--mode", help="the run's mode in per_question.jsonl (default: hybrid+rerank)")
    parser.add_argument("--max-answerable-abstain", type=float, default=0.10)
    args = parser.parse_args()

    good = _records(args.answerable, args.mode)
    bad = _records(args.unanswerable, args.mode)
    conf_good = np.array([r["confidence"] for r in good])
    right = np.array([r["answer_rank"] == 1 for r in good])
    conf_bad = np.array([r["confidence"] for r in bad])
    print(f"answerable: {len(good)}  unanswerable: {len(bad)}")
    print("threshold  abstain(answerable)  of which top-1 right  abstain(unanswerable)")
    chosen = None
    for t in np.round(np.arange(0.05, 0.96, 0.025), 3):
        a = conf_good < t
        u = conf_bad < t
        print(f"{t:9.3f}  {a.mean():19.3f}  {(a & right).sum():21d}  {u.mean():21.3f}")
        if a.mean() <= args.max_answerable_abstain:
            chosen = t
    if chosen is not None:
        print(
            f"highest threshold abstaining on at most {args.max_answerable_abstain:.0%} "
            f"of answerable questions: {chosen}"
        )


if __name__ == "__main__":
    main()
