"""The dense side of the index: a FAISS index whose ids are chunk ids."""

from __future__ import annotations

import logging
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import faiss
import numpy as np

from index.facets import ChunkFacets, ChunkFilter

__all__ = ["FaissKind", "VectorIndex", "build_faiss", "read_faiss", "search_faiss", "write_faiss"]

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
    index: faiss.Index, query: np.ndarray, k: int, allowed: AbstractSet[int] | np.ndarray | None = None
) -> list[tuple[int, float]]:
    """Up to ``k`` (chunk id, cosine) pairs, best first; ``allowed`` (a set or an array of chunk
    ids) restricts to those chunk ids, an empty one to none."""
    if index.ntotal == 0 or k < 1 or (allowed is not None and not len(allowed)):
        return []
    k = min(k, index.ntotal)
    q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
    if allowed is None:
        scores, ids = index.search(q, k)
    else:
        wanted = allowed if isinstance(allowed, np.ndarray) else np.fromiter(allowed, np.int64, len(allowed))
        selector, _keep_alive = _selector(np.asarray(wanted, dtype=np.int64))
        # faiss wraps SearchParameters.__init__ to take fields as keywords; its stub declares no arguments.
        params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
        scores, ids = index.search(q, k, params=params)
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]


# A bitmap over ids 0..max costs max/8 bytes and one pass to fill; a hash set (IDSelectorBatch)
# costs an insertion per allowed id. Chunk ids are dense (SQLite numbers them from 1), so the
# bitmap is the cheaper one unless the ids are spread far wider than there are allowed ones.
_BITMAP_SPREAD = 64


def _selector(ids: np.ndarray) -> tuple[faiss.IDSelector, np.ndarray]:
    """A selector letting exactly ``ids`` (non-negative) through, and the array it reads from,
    which must outlive the search (faiss keeps only a pointer to it)."""
    top = int(ids.max())
    if ids.min() >= 0 and top < _BITMAP_SPREAD * (len(ids) + 1024):
        bits = np.zeros(top + 1, dtype=bool)
        bits[ids] = True
        bitmap = np.packbits(bits, bitorder="little")  # faiss reads bit (id & 7) of byte id >> 3
        return faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap)), bitmap
    return faiss.IDSelectorBatch(ids), ids


@dataclass(frozen=True)
class VectorIndex:
    """The FAISS index with each chunk's date and source, to search under a :class:`ChunkFilter`."""

    index: faiss.Index
    facets: ChunkFacets

    def search_vector(self, vector: np.ndarray, k: int, where: ChunkFilter | None = None) -> list[tuple[int, float]]:
        """Up to ``k`` (chunk id, cosine) pairs for ``vector`` (L2-normalised), best first, among
        the chunks ``where`` lets through."""
        return search_faiss(self.index, vector, k, self.facets.ids(where))
