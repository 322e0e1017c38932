"""Hybrid passage retrieval: BM25 and dense (FAISS) results fused by weighted reciprocal rank."""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import numpy as np

from assistant.records import Filters, Hit
from index.backend import ChunkFetch, ChunkFilter, IndexStatistics, TextSearch, VectorSearch
from index.embed import Embedder
from index.store import ChunkRecord

__all__ = ["FusionWeights", "Retriever", "date_factor", "day_number", "fuse"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FusionWeights:
    """Weighted reciprocal rank fusion: ``score = Σ weight / (k + rank)`` over the ranked lists.

    The lists are passages by BM25 (``bm25``) and by the embedding (``dense``), and, in hybrid
    mode, whole articles by BM25 (``articles``): each passage counts its article's rank there
    too. ``depth`` is how many results each list contributes.

    Date preferences scale a passage's fused score by ``floor + (1 - floor) * 0.5 ** (age / half_life)``,
    its age in days counted from a reference day. ``Filters.prefer_recent`` counts from the newest
    article (``recency_half_life_days``, floor 0.5). ``Filters.near_date`` counts from that day
    (``near_half_life_days``, ``near_floor``); an article dated after it counts ``near_after`` days
    of age for each day, so that reports of that week lead, later ones trail and older background
    stays findable. A passage without a date gets the floor.
    """

    # Tuned on RealtimeQA 2022 with scripts/tune_fusion.py: BM25 leads, dense breaks its ties and
    # adds what lexical search misses (article Recall@5 0.885 against 0.874 for either k=60 equal
    # weights or BM25 alone; before whole articles were ranked).
    bm25: float = 1.0
    dense: float = 0.25
    # Tuned the same way, the other weights kept: 2022 Recall@1 0.648 -> 0.682, Recall@5 0.885 ->
    # 0.885; 2023 0.562 -> 0.594 and 0.816 -> 0.845.
    articles: float = 1.0
    k: float = 10.0
    depth: int = 100
    recency_half_life_days: float = 180.0
    # Tuned on RealtimeQA 2022 with scripts/tune_fusion.py --near-question-date (each question
    # asked near its quiz date), before whole articles were ranked: article Recall@5 0.885 -> 0.912,
    # Recall@1 0.648 -> 0.726; on 2023 0.816 -> 0.839 and 0.562 -> 0.642 (with them: 0.921 / 0.761
    # and 0.853 / 0.669).
    near_half_life_days: float = 14.0
    near_floor: float = 0.4
    near_after: float = 3.0

    def __post_init__(self) -> None:
        if min(self.bm25, self.dense, self.articles) < 0 or self.bm25 + self.dense == 0:
            raise ValueError("fusion weights must be non-negative, and bm25 and dense not both 0.")
        if self.k <= 0 or self.depth < 1:
            raise ValueError("fusion k must be > 0 and depth at least 1.")
        if min(self.recency_half_life_days, self.near_half_life_days) <= 0 or self.near_after < 0:
            raise ValueError("half-lives must be > 0 and near_after >= 0.")
        if not 0 <= self.near_floor <= 1:
            raise ValueError(f"near_floor must be in [0, 1], not {self.near_floor}.")


def fuse(rankings: Sequence[tuple[float, Sequence[int]]], k: float) -> dict[int, float]:
    """Weighted reciprocal rank fusion of ranked id lists given as (weight, ids best first)."""
    scores: dict[int, float] = {}
    for weight, ids in rankings:
        for rank, item in enumerate(ids, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return scores


class PassageStore(ChunkFetch, IndexStatistics, Protocol):
    """What the retriever reads besides searching: the chunks found, and the newest date."""


class Retriever:
    """Searches one loaded index (see :mod:`index.backend`). ``mode`` is ``hybrid``, ``bm25`` or ``dense``."""

    def __init__(
        self,
        store: PassageStore,
        vectors: VectorSearch,
        lexical: TextSearch,
        embedder: Embedder,
        mode: str = "hybrid",
        weights: FusionWeights | None = None,
    ) -> None:
        if mode not in ("hybrid", "bm25", "dense"):
            raise ValueError(f"mode must be 'hybrid', 'bm25' or 'dense', not {mode!r}.")
        self.store = store
        self.vectors = vectors
        self.lexical = lexical
        self.embedder = embedder
        self.mode = mode
        self.weights = weights or FusionWeights()

    @staticmethod
    def where(filters: Filters | None) -> ChunkFilter | None:
        """What ``filters`` restrict, as the index takes it, or None when they restrict nothing."""
        if filters is None or not (filters.date_from or filters.date_to or filters.sources):
            return None
        return ChunkFilter(filters.date_from, filters.date_to, tuple(filters.sources))

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """Up to ``k`` passages for ``query``, best first. A filter matching nothing gives nothing."""
        return self.ranked(query, k, filters)[0]

    def ranked(
        self, query: str, k: int, filters: Filters | None = None
    ) -> tuple[list[Hit], dict[int, float], dict[int, float]]:
        """The hits, plus each side's raw scores by chunk id (BM25 scores, cosines) for later stages."""
        where = self.where(filters)
        depth = max(k, self.weights.depth)
        lexical: list[tuple[int, float]] = []
        dense: list[tuple[int, float]] = []
        if self.mode in ("hybrid", "bm25"):
            lexical = self.lexical.search_text(query, depth, where)
        if self.mode in ("hybrid", "dense") and query.strip():
            vector = self.embedder.embed([query])[0]
            dense = self.vectors.search_vector(vector, depth, where)
        rankings = []
        if lexical:
            rankings.append((self.weights.bm25 if self.mode == "hybrid" else 1.0, [c for c, _ in lexical]))
        if dense:
            rankings.append((self.weights.dense if self.mode == "hybrid" else 1.0, [c for c, _ in dense]))
        scores = fuse(rankings, self.weights.k)
        if self.mode == "hybrid" and self.weights.articles > 0 and scores:
            self._add_article_ranks(query, scores, depth, where)
        if filters is not None and filters.prefers_dates:
            scores = self._prefer_dates(scores, filters)
        order = sorted(scores, key=lambda c: (-scores[c], c))
        hits: list[Hit] = []
        # Only the best k are read from the store (with their texts); a chunk an ingest removed
        # meanwhile is skipped and the next one read in its place.
        while len(hits) < k and order:
            batch, order = order[: k - len(hits)], order[k - len(hits) :]
            hits += [_hit(r, scores[r.id]) for r in self.store.chunks(batch)]
        return hits, dict(lexical), dict(dense)

    def _add_article_ranks(self, query: str, scores: dict[int, float], depth: int, where: ChunkFilter | None) -> None:
        ids = list(scores)
        ranks = self.lexical.rank_articles(query, ids, depth, where)
        for c, rank in zip(ids, ranks.tolist(), strict=True):
            if rank:
                scores[c] += self.weights.articles / (self.weights.k + rank)

    def _prefer_dates(self, scores: dict[int, float], filters: Filters) -> dict[int, float]:
        dates = self.store.chunk_dates(list(scores))
        factors = self.date_factors([dates.get(c) for c in scores], filters)
        if factors is None:
            return scores
        return {c: s * float(f) for (c, s), f in zip(scores.items(), factors, strict=True)}

    def date_factors(self, dates: Sequence[str | None], filters: Filters | None) -> np.ndarray | None:
        """What the date preferences of ``filters`` scale a score dated each of ``dates`` by (see
        :class:`FusionWeights`), or None when they prefer no date."""
        if filters is None or not filters.prefers_dates:
            return None
        days = [day_number(d) for d in dates]
        out = np.ones(len(days))
        w = self.weights
        if filters.prefer_recent and (newest := self._newest_day) is not None:
            out *= [date_factor(d, newest, w.recency_half_life_days, 0.5, 1.0) for d in days]
        if filters.near_date:
            near = day_number(filters.near_date)
            assert near is not None  # Filters checked it
            out *= [date_factor(d, near, w.near_half_life_days, w.near_floor, w.near_after) for d in days]
        return out

    @functools.cached_property
    def _newest_day(self) -> int | None:
        # Read once: a retriever serves the search files it was built with, and a refresh after an
        # ingest builds a new one.
        return day_number(self.store.stats().date_max)


def date_factor(day: int | None, reference: int, half_life: float, floor: float, after: float) -> float:
    """``floor + (1 - floor) * 0.5 ** (age / half_life)``, the age in days before ``reference``, or
    ``after`` times the days after it; ``floor`` for an undated item (see :class:`FusionWeights`)."""
    if day is None:
        return floor
    age = reference - day if day <= reference else (day - reference) * after
    return floor + (1.0 - floor) * 0.5 ** (age / half_life)


def day_number(text: str | None) -> int | None:
    """The day ordinal of a date's first 10 characters (``YYYY-MM-DD`` or ``YYYY/MM/DD``), else None."""
    try:
        return date.fromisoformat(text[:10].replace("/", "-")).toordinal() if text else None
    except ValueError:
        return None


def _hit(record: ChunkRecord, score: float) -> Hit:
    return Hit(
        article_id=record.article_id, chunk_id=record.id, title=record.title, source=record.source,
        date=record.date, url=record.url, text=record.text, start=record.start, end=record.end,
        score=float(score) if math.isfinite(score) else 0.0,
    )


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine of L2-normalised vectors ``a`` (n, d) against one ``b`` (d,)."""
    return a @ b
