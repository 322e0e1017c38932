"""Choose ``AskSettings.min_coverage`` and ``uncovered_min_confidence`` on answerable and unanswerable questions.

    python scripts/calibrate_coverage.py --index results/index-2022 \\
        ../shared/data/realtimeqa/questions_2022.jsonl eval/data/unanswerable.jsonl

Asks every question with the coverage check off and no confidence threshold, and computes the
question's support (the best article among the retrieved passages: whether it mentions the
question's names and numbers together, and the IDF-weighted share of its words it mentions; see
``assistant/support.py``). Then prints, for each pair of thresholds, the share of answerable and of
unanswerable questions the assistant would abstain on (for any reason: unknown words, names not
together, low confidence, or low coverage with a confidence below ``uncovered_min_confidence``),
and the pair that separates them best (most unanswerable minus answerable abstentions) while
abstaining on at most ``--max-answerable-abstain`` of answerable ones.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _questions(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line)["question"] for line in f if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("answerable", type=Path, help="questions JSONL (RealtimeQA format)")
    parser.add_argument("unanswerable", type=Path, help="unanswerable questions JSONL")
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--max-answerable-abstain", type=float, default=0.10)
    args = parser.parse_args()

    from assistant.api import Assistant
    from assistant.question import Question
    from assistant.records import AskSettings

    assistant = Assistant.load(args.index, AskSettings(min_coverage=0.0, min_confidence=0.0))
    base = AskSettings().min_confidence

    def signals(question: str) -> tuple[float, float, float, float]:
        answer = assistant.ask(question)
        support = assistant.support(Question.of(question), answer.searched)
        return float(answer.is_answer), answer.confidence, float(support.names_together), support.coverage

    good = np.array([signals(q) for q in _questions(args.answerable)], dtype=float)
    bad = np.array([signals(q) for q in _questions(args.unanswerable)], dtype=float)

    def abstained(rows: np.ndarray, min_coverage: float, uncovered_min_confidence: float) -> float:
        answered, confidence, together, coverage = rows.T
        kept = (answered > 0) & (confidence >= base)
        if min_coverage > 0:
            low = coverage < min_coverage
            kept &= (together > 0) & ~(low & (confidence < max(base, uncovered_min_confidence)))
        return float(1.0 - kept.mean())

    print(f"answerable: {len(good)}  unanswerable: {len(bad)}  (index {args.index}; min_confidence {base})")
    print("min_coverage  uncovered_min_confidence  abstain(answerable)  abstain(unanswerable)")
    best = None
    for c in np.round(np.arange(0.0, 0.951, 0.05), 2):
        for u in np.round(np.arange(0.2, 0.551, 0.05), 2) if c > 0 else (base,):
            a, b = abstained(good, c, u), abstained(bad, c, u)
            print(f"{c:12.2f}  {u:24.2f}  {a:19.3f}  {b:21.3f}")
            if a <= args.max_answerable_abstain and (best is None or b - a > best[0] + 1e-9):
                best = (b - a, c, u, a, b)
    if best is not None:
        _, c, u, a, b = best
        print(f"best with at most {args.max_answerable_abstain:.0%} of answerable questions abstained on: "
              f"min_coverage {c}, uncovered_min_confidence {u} (answerable {a:.3f}, unanswerable {b:.3f})")


if __name__ == "__main__":
    main()
