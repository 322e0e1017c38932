"""What an index holds, in a form two indexes can be compared by: their articles (content hashes and
duplicate groups), chunks (offsets and texts) and vectors, each keyed by what the ingest decides
(article id, place in the article) rather than by ids a backend assigns. Used to check that an
ingest on Ray gives the plain ingest's index (``scripts/compare_indexes.py``, the Ray tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.store import IndexStore

__all__ = ["Comparison", "IndexContents", "compare", "index_contents"]

ChunkKey = tuple[str, int]  # article id, ordinal of the chunk in it


@dataclass(frozen=True)
class IndexContents:
    """``articles``: id -> (content hash, the article it duplicates or None); ``chunks``: (start,
    end, text); ``vectors``: the chunk's vector."""

    articles: dict[str, tuple[str, str | None]]
    chunks: dict[ChunkKey, tuple[int, int, str]]
    vectors: dict[ChunkKey, np.ndarray]

    @property
    def duplicates(self) -> int:
        return sum(1 for _, of in self.articles.values() if of is not None)


@dataclass(frozen=True)
class Comparison:
    """Whether two indexes hold the same articles and chunks, and how close their vectors are
    (the cosines of the chunks both hold; ``same_vector_keys``: whether they hold the same chunks'
    vectors)."""

    same_articles: bool
    same_chunks: bool
    same_vector_keys: bool
    cosines: np.ndarray

    def vectors_within(self, min_cosine: float) -> bool:
        """Both hold vectors for the same chunks, each pair at a cosine of ``min_cosine`` or more."""
        return self.same_vector_keys and bool(len(self.cosines)) and float(self.cosines.min()) >= min_cosine

    def same(self, min_cosine: float) -> bool:
        return self.same_articles and self.same_chunks and self.vectors_within(min_cosine)


def index_contents(index_dir: str | Path) -> IndexContents:
    """Everything the local index in ``index_dir`` holds."""
    store = IndexStore.open(Path(index_dir))
    try:
        articles: dict[str, tuple[str, str | None]] = {}
        for article_id, digest in store.content_hashes().items():
            stored = store.get(article_id)
            articles[article_id] = (digest, stored.duplicate_of if stored is not None else None)
        keys = [c for cs in store.chunk_ids_of(list(articles)).values() for c in cs]
        records = store.chunks(keys)
        chunks = {(r.article_id, r.ordinal): (r.start, r.end, r.text) for r in records}
        place = {r.id: (r.article_id, r.ordinal) for r in records}
        chunk_ids, matrix = store.all_chunk_vectors()
        vectors = {place[int(c)]: v for c, v in zip(chunk_ids, matrix, strict=True) if int(c) in place}
        return IndexContents(articles, chunks, vectors)
    finally:
        store.close()


def compare(a: IndexContents, b: IndexContents) -> Comparison:
    shared = sorted(a.vectors.keys() & b.vectors.keys())
    cosines = np.array([float(np.dot(a.vectors[k], b.vectors[k])) for k in shared], dtype=np.float64)
    return Comparison(a.articles == b.articles, a.chunks == b.chunks, a.vectors.keys() == b.vectors.keys(), cosines)
