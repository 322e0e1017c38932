"""Pure metric functions: retrieval ranking metrics, answer matching, sentence selection, latency.

Ranking functions take ``ranked_ids`` best first and a collection of relevant ids. Repeated ids in a
ranking count once, at their first position (a ranking of articles built from chunks may repeat an
article). Ranks are 1-based; ``k`` cut-offs larger than the ranking simply see the whole ranking.
Gains are binary throughout, as in ``trec_eval`` with 0/1 qrels.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Collection, Iterable, Sequence

import numpy as np

__all__ = [
    "answer_in",
    "answer_rank",
    "average_precision",
    "dedupe",
    "first_relevant_rank",
    "mean",
    "ndcg_at_k",
    "normalize_answer",
    "percentile",
    "rank_by_score",
    "recall_at_k",
    "reciprocal_rank",
    "sentence_selection",
]


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}.")


def dedupe(ids: Iterable[str]) -> list[str]:
    """The distinct ids of ``ids`` in order of first appearance."""
    return list(dict.fromkeys(ids))


def first_relevant_rank(ranked_ids: Sequence[str], relevant: Collection[str]) -> int | None:
    """The 1-based rank of the first relevant id in the deduplicated ranking, None if there is none."""
    for rank, doc in enumerate(dedupe(ranked_ids), start=1):
        if doc in relevant:
            return rank
    return None


def recall_at_k(ranked_ids: Sequence[str], relevant: Collection[str], k: int) -> float:
    """QA-style recall@k (top-k accuracy): 1.0 if any relevant id is in the first ``k``, else 0.0.

    This is the definition behind the RealTime QA baselines of ``data/README.md`` ("a hit for
    retrieval is any article in ``article_ids_containing_answer``") and DPR's top-k accuracy; it is
    ``Success@k`` in ``ir_measures``, not the fraction of relevant items found (``R@k``). A question
    without relevant ids scores 0.0.
    """
    _check_k(k)
    rank = first_relevant_rank(ranked_ids, relevant)
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(ranked_ids: Sequence[str], relevant: Collection[str], k: int | None = None) -> float:
    """1/rank of the first relevant id (within the first ``k`` when given), 0.0 if none is found."""
    if k is not None:
        _check_k(k)
    rank = first_relevant_rank(ranked_ids, relevant)
    if rank is None or (k is not None and rank > k):
        return 0.0
    return 1.0 / rank


def ndcg_at_k(ranked_ids: Sequence[str], relevant: Collection[str], k: int) -> float:
    """nDCG@k with binary gains: sum of 1/log2(rank+1) over relevant ranks <= k, over the ideal sum.

    The ideal ranking puts ``min(len(relevant), k)`` relevant ids first. No relevant ids: 0.0.
    """
    _check_k(k)
    wanted = set(relevant)
    if not wanted:
        return 0.0
    dcg = sum(1.0 / math.log2(rank + 1) for rank, doc in enumerate(dedupe(ranked_ids)[:k], start=1) if doc in wanted)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(wanted), k) + 1))
    return dcg / ideal


def average_precision(labels_in_ranked_order: Sequence[int]) -> float:
    """Average precision of a ranked list of 0/1 labels: mean of precision@rank over positive ranks.

    Every positive is in the list (answer-sentence selection ranks all candidates), so the
    denominator is the number of positives. No positive: 0.0 (callers exclude such questions).
    """
    hits = 0
    total = 0.0
    for rank, label in enumerate(labels_in_ranked_order, start=1):
        if label > 0:
            hits += 1
            total += hits / rank
    return total / hits if hits else 0.0


def rank_by_score(scores: Sequence[float] | np.ndarray) -> list[int]:
    """Indexes of ``scores`` from highest to lowest; ties keep the original (candidate) order."""
    values = np.asarray(scores, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"scores must be one-dimensional, not of shape {values.shape}.")
    return [int(i) for i in np.argsort(-values, kind="stable")]


def sentence_selection(ranked_labels: Iterable[Sequence[int]]) -> tuple[float, float, int]:
    """``(MAP, MRR, n)`` over the questions with at least one positive label (TrecQA protocol).

    Each element of ``ranked_labels`` is one question's candidate labels in ranked order;
    all-negative questions are left out, and ``n`` counts those kept. Nothing kept: ``(0.0, 0.0, 0)``.
    """
    aps: list[float] = []
    rrs: list[float] = []
    for labels in ranked_labels:
        positives = [rank for rank, label in enumerate(labels, start=1) if label > 0]
        if not positives:
            continue
        aps.append(average_precision(labels))
        rrs.append(1.0 / positives[0])
    if not aps:
        return 0.0, 0.0, 0
    return mean(aps), mean(rrs), len(aps)


def normalize_answer(s: str) -> str:
    """Lower-case ``s``, turn every run of punctuation and whitespace into one space, and strip.

    Unicode-aware: curly quotes and dashes count as punctuation, so "World’s" -> "world s".
    Articles are kept ("The Week" stays "the week"), unlike SQuAD's normalisation.
    """
    chars = [" " if unicodedata.category(c).startswith("P") else c for c in s.casefold()]
    return " ".join("".join(chars).split())


def answer_in(sentence: str, answers: Iterable[str]) -> bool:
    """Whether a gold answer occurs in ``sentence`` as whole tokens, after :func:`normalize_answer`.

    Token boundaries keep "17" from matching "2017"; answers that normalise to nothing never match.
    """
    padded = f" {normalize_answer(sentence)} "
    for answer in answers:
        norm = normalize_answer(answer)
        if norm and f" {norm} " in padded:
            return True
    return False


def answer_rank(sentences: Sequence[str], answers: Iterable[str]) -> int | None:
    """1-based rank of the first of ``sentences`` (best first) that contains an answer, else None."""
    gold = tuple(answers)
    for rank, sentence in enumerate(sentences, start=1):
        if answer_in(sentence, gold):
            return rank
    return None


def mean(values: Iterable[float]) -> float:
    """Arithmetic mean; raises ValueError on no values rather than returning NaN."""
    items = [float(v) for v in values]
    if not items:
        raise ValueError("mean of no values: evaluate at least one question.")
    return math.fsum(items) / len(items)


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q``-th percentile (0..100) with linear interpolation between order statistics (numpy's default)."""
    items = [float(v) for v in values]
    if not items:
        raise ValueError("percentile of no values: evaluate at least one question.")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"q must be between 0 and 100, not {q}.")
    return float(np.percentile(np.asarray(items), q))
