"""Load an index and ask it one question, in a process of its own, and say what happened as JSON.

    python damage_probe.py INDEX_DIR QUESTION

Exit 0 with ``{"status": "answer", ...}`` when it answered (every citation checked against the
article text), 2 with ``{"status": "error", "type", "message"}`` for one of the project's own errors;
anything else (a traceback, a signal) is what ``tests/reliability/test_damage.py`` calls a failure.
Uses the fake embedder the index was built with and a word-overlap scorer, so no model loads.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from assistant.api import Assistant  # noqa: E402
from assistant.records import AskSettings  # noqa: E402
from index.embed import HashingEmbedder  # noqa: E402
from index.errors import NewsQAError  # noqa: E402

_WORD = re.compile(r"\w+")


class OverlapScorer:
    def score(
        self,
        question: str,
        sentences: Sequence[str],
        *,
        passage_scores: Sequence[float] | None = None,
        titles: Sequence[str] | None = None,
    ) -> np.ndarray:
        q = {w for w in _WORD.findall(question.lower()) if len(w) > 2}
        return np.asarray(
            [len(q & set(_WORD.findall(s.lower()))) / max(1, len(q)) for s in sentences], dtype=np.float32
        )


def main() -> int:
    index_dir, question = sys.argv[1:3]
    try:
        assistant = Assistant.load(
            index_dir, AskSettings(min_confidence=0.2), embedder=HashingEmbedder(dim=32), scorer=OverlapScorer()
        )
        answer = assistant.ask(question)
        valid = all(
            assistant.article_text(s.citation.article_id)[s.citation.start : s.citation.end] == s.text
            for s in answer.sentences
        )
        articles = [s.citation.article_id for s in answer.sentences]
        assistant.close()
    except NewsQAError as exc:
        print(json.dumps({"status": "error", "type": type(exc).__name__, "message": str(exc)}))
        return 2
    print(json.dumps({"status": "answer", "is_answer": answer.is_answer, "articles": articles, "valid": valid}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
