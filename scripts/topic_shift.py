"""Write a conversations file of topic shifts, built from a questions file.

    python scripts/topic_shift.py ../shared/data/realtimeqa/questions_2022.jsonl > results/topic-shift-2022.jsonl
    newsqa eval conversations results/topic-shift-2022.jsonl --index results/index-2022 --out results/topic-shift-2022

Each conversation asks question i, then question i + n/2, an unrelated one that stands on its own.
The second turn measures what follow-up handling costs a user who changes the subject: it should be
searched as asked, so its ``*_followup`` metrics should match what the same questions score alone.
The file is derived, not stored: the question sets' licences keep them out of the repository.

    python scripts/topic_shift.py QUESTIONS... --readings [--conversations FILE...]

counts instead, with no index: how many second questions of the topic shifts of each questions file
may be read as follow-ups (``assistant.chat.is_follow_up``; a short question that may go either way
is read on its own at ask time unless its follow-up reading stays on the story), and how many later
turns of each conversations file may. The first should be near 0, the second near all.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.chat import follow_up_reading  # noqa: E402
from eval.formats import Question, load_conversations, load_questions  # noqa: E402


def _turn(q: Question) -> dict[str, object]:
    return {"question": q.question, "answers": list(q.answers), "article_ids": list(q.article_ids)}


def topic_shifts(questions: list[Question]) -> list[dict[str, object]]:
    """Conversations of two unrelated questions: (0, n/2), (1, n/2 + 1), ..."""
    half = len(questions) // 2
    return [
        {"id": f"shift-{first.id}-{second.id}", "turns": [_turn(first), _turn(second)]}
        for first, second in zip(questions[:half], questions[half : 2 * half], strict=True)
    ]


def _readings(questions: list[str]) -> str:
    counts = {r: sum(follow_up_reading(q) == r for q in questions) for r in ("follow-up", "either", "own")}
    return (f"{counts['follow-up'] + counts['either']} of {len(questions)} may read as follow-ups "
            f"({counts['follow-up']} surely, {counts['either']} either way)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path, nargs="+", help="questions files (the RealtimeQA format)")
    parser.add_argument("--readings", action="store_true", help="count follow-up readings instead (no index)")
    parser.add_argument("--conversations", type=Path, nargs="*", default=[], help="with --readings: these too")
    args = parser.parse_args()
    if args.readings:
        seconds = []
        for path in args.questions:
            shifted = [str(c["turns"][1]["question"]) for c in topic_shifts(load_questions(path))]  # type: ignore[index]
            seconds += shifted
            print(f"{path}: topic shifts: {_readings(shifted)}")
        if len(args.questions) > 1:
            print(f"all topic shifts: {_readings(seconds)}")
        for path in args.conversations:
            later = [t.question for c in load_conversations(path) for t in c.turns[1:]]
            print(f"{path}: turns after the first: {_readings(later)}")
        return 0
    for path in args.questions:
        for conversation in topic_shifts(load_questions(path)):
            sys.stdout.write(json.dumps(conversation, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
