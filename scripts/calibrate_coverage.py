"""Choose ``AskSettings.min_coverage`` on answerable and unanswerable questions, and print the trade-off.

    python scripts/calibrate_coverage.py --index results/index-2022 \\
        ../shared/data/realtimeqa/questions_2022.jsonl eval/data/unanswerable.jsonl

Asks every question with the coverage check off, and computes the question's support (the best
article among the retrieved passages: whether it mentions the question's names and numbers
together, and the IDF-weighted share of its words it mentions; see ``assistant/support.py``). Then
prints, for each candidate threshold, the share of answerable and of unanswerable questions the
assistant would abstain on (for any reason: unknown words, low confidence, or low coverage), and
the highest threshold that abstains on at most ``--max-answerable-abstain`` of answerable ones.
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
    from assistant.records import AskSettings
    from assistant.support import question_support

    assistant = Assistant.load(args.index, AskSettings(min_coverage=0.0))

    def signals(question: str) -> tuple[bool, bool, float]:
        answer = assistant.ask(question)
        hits = answer.searched
        articles = list(dict.fromkeys(h.article_id for h in hits))
        support = question_support(question, assistant.store.chunk_ids_of(articles), assistant.retriever.lexical)
        return answer.is_answer, support.names_together, support.coverage

    good = np.array([signals(q) for q in _questions(args.answerable)], dtype=float)
    bad = np.array([signals(q) for q in _questions(args.unanswerable)], dtype=float)
    print(f"answerable: {len(good)}  unanswerable: {len(bad)}  (index {args.index})")
    print("min_coverage  abstain(answerable)  abstain(unanswerable)")
    chosen = 0.0
    for t in np.round(np.arange(0.0, 0.951, 0.05), 2):
        rates = []
        for rows in (good, bad):
            answered, together, coverage = rows[:, 0] > 0, rows[:, 1] > 0, rows[:, 2]
            kept = answered & (together & (coverage >= t) if t > 0 else True)
            rates.append(1.0 - kept.mean())
        print(f"{t:12.2f}  {rates[0]:19.3f}  {rates[1]:21.3f}")
        if rates[0] <= args.max_answerable_abstain:
            chosen = float(t)
    print(f"highest min_coverage abstaining on at most {args.max_answerable_abstain:.0%} of answerable questions: "
          f"{chosen}")


if __name__ == "__main__":
    main()
