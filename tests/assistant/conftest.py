from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant import reader as R
from assistant.api import Assistant
from assistant.records import AskSettings
from index.chunk import Chunker
from index.embed import HashingEmbedder
from index.ingest import ingest

_WORD = re.compile(r"\w+")


class OverlapScorer:
    """A deterministic stand-in for the learned scorer: the share of question words in the sentence."""

    def score(
        self,
        question: str,
        sentences: Sequence[str],
        *,
        passage_scores: Sequence[float] | None = None,
        titles: Sequence[str] | None = None,
    ) -> np.ndarray:
        q = {w for w in _WORD.findall(question.lower()) if len(w) > 2}
        out = [len(q & set(_WORD.findall(s.lower()))) / max(1, len(q)) for s in sentences]
        return np.asarray(out, dtype=np.float32)


class LengthReader(R.Reader):
    """Reads longer sentences as better answers: a stand-in with no model."""

    def __init__(self, top_n: int) -> None:
        super().__init__(run=None, tokenizer=None, combination=R.Combination((1.0, 0.0), 0.0), top_n=top_n)

    def logits(self, question: str, sentences, titles) -> np.ndarray:  # type: ignore[no-untyped-def]
        return np.array([len(s) / 10.0 - 2.0 for s in sentences])


def build_index(corpus: Path, index_dir: Path) -> HashingEmbedder:
    embedder = HashingEmbedder(dim=64)
    ingest([str(corpus)], index_dir, lambda: embedder, embedder.name, Chunker(25, 5))
    return embedder


@pytest.fixture
def small_assistant(tmp_path: Path, small_corpus_file: Path) -> Assistant:
    embedder = build_index(small_corpus_file, tmp_path / "ix")
    # the known-words rule on (off by default), so that its tests see it
    settings = AskSettings(min_confidence=0.2, require_known_words=True)
    return Assistant.load(tmp_path / "ix", settings, embedder=embedder, scorer=OverlapScorer())
