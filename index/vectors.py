"""The dense side of the index: a FAISS index whose ids are chunk ids."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import faiss
import numpy as np

__all__ = ["FaissKind", "build_faiss", "read_faiss", "search_faiss", "write_faiss"]

logger = logging.getLogger(__name__)

FaissKind = Literal["flat", "hnsw", "ivfpq"]


def build_faiss(ids: np.ndarray, vectors: np.ndarray, kind: FaissKind = "flat") -> faiss.Index:
    """An inner-product index over L2-normalised ``vectors`` (so scores are cosines), ids ``ids``.

    ``flat`` is exact; ``hnsw`` (32 links) is for large corpora; ``ivfpq`` is for very large ones and
    falls back to flat while there are too few vectors to train it.
    """
    dim = int(vectors.shape[1])
    if kind == "hnsw":
        hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efSearch = 64
        base: faiss.Index = hnsw
    elif kind == "ivfpq" and len(vectors) >= 40 * 256:
        nlist = int(min(4096, max(256, 4 * np.sqrt(len(vectors)))))
        m = 48 if dim % 48 == 0 else 16 if dim % 16 == 0 else 8
        base = faiss.index_factory(dim, f"IVF{nlist},PQ{m}", faiss.METRIC_INNER_PRODUCT)
        base.train(vectors)
        faiss.extract_index_ivf(base).nprobe = 16
    else:
        base = faiss.IndexFlatIP(dim)
    index = faiss.IndexIDMap2(base)
    if len(vectors):
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))
    return index


def write_faiss(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def read_faiss(path: Path) -> faiss.Index:
    return faiss.read_index(str(path))


def search_faiss(
    index: faiss.Index, query: np.ndarray, k: int, allowed: set[int] | None = None
) -> list[tuple[int, float]]:
    """Up to ``k`` (chunk id, cosine) pairs, best first; ``allowed`` restricts to those chunk ids."""
    if index.ntotal == 0 or k < 1 or (allowed is not None and not allowed):
        return []
    k = min(k, index.ntotal)
    q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
    if allowed is None:
        scores, ids = index.search(q, k)
    else:
        selector = faiss.IDSelectorBatch(np.fromiter(allowed, dtype=np.int64, count=len(allowed)))
        # faiss wraps SearchParameters.__init__ to take fields as keywords; its stub declares no arguments.
        params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
        scores, ids = index.search(q, k, params=params)
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
