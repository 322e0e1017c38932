"""Choose ``AskSettings.off_subject_weight`` on answerable and unanswerable questions.

    python scripts/tune_off_subject.py --index results/index-2022 \\
        ../shared/data/realtimeqa/questions_2022.jsonl eval/data/unanswerable.jsonl [--weights 1 0.6 0.3]

Loads the assistant once and, for each weight, asks every question (``newsqa eval questions`` and
``newsqa eval unanswerable`` with that weight) and prints answer@1, answer@3, the share of
answerable questions abstained on and the share of unanswerable ones declined.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    from assistant.api import Assistant
    from eval.formats import load_questions, load_unanswerable
    from eval.run import evaluate_questions, evaluate_unanswerable

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("answerable", type=Path, help="questions JSONL (RealtimeQA format)")
    parser.add_argument("unanswerable", type=Path, help="unanswerable questions JSONL")
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--weights", type=float, nargs="+", default=[1.0, 0.6, 0.3])
    args = parser.parse_args()
    assistant = Assistant.load(args.index)
    questions, unanswerable = load_questions(args.answerable), load_unanswerable(args.unanswerable)
    base = assistant.settings
    for weight in args.weights:
        assistant.settings = dataclasses.replace(base, off_subject_weight=weight)
        answered = evaluate_questions(assistant, questions).metrics
        declined = evaluate_unanswerable(assistant, unanswerable).metrics
        print(
            f"off_subject_weight {weight:.2f}: answer@1 {answered['answer@1']:.3f} answer@3 {answered['answer@3']:.3f}"
            f" abstained {answered['abstain_rate']:.3f} | unanswerable declined {declined['abstain_rate']:.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
