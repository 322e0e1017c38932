"""Write a conversations file of topic shifts, built from a questions file.

    python scripts/topic_shift.py ../shared/data/realtimeqa/questions_2022.jsonl > results/topic-shift-2022.jsonl
    newsqa eval conversations results/topic-shift-2022.jsonl --index results/index-2022 --out results/topic-shift-2022

Each conversation asks question i, then question i + n/2, an unrelated one that stands on its own.
The second turn measures what follow-up handling costs a user who changes the subject: it should be
searched as asked, so its ``*_followup`` metrics should match what the same questions score alone.
The file is derived, not stored: the question sets' licences keep them out of the repository.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval.formats import Question, load_questions  # noqa: E402


def _turn(q: Question) -> dict[str, object]:
    return {"question": q.question, "answers": list(q.answers), "article_ids": list(q.article_ids)}


def topic_shifts(questions: list[Question]) -> list[dict[str, object]]:
    """Conversations of two unrelated questions: (0, n/2), (1, n/2 + 1), ..."""
    half = len(questions) // 2
    return [
        {"id": f"shift-{first.id}-{second.id}", "turns": [_turn(first), _turn(second)]}
        for first, second in zip(questions[:half], questions[half : 2 * half], strict=True)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path, help="a questions file (the RealtimeQA format)")
    args = parser.parse_args()
    for conversation in topic_shifts(load_questions(args.questions)):
        sys.stdout.write(json.dumps(conversation, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
