"""The seam between the assistant and an index: what ``assistant/`` needs from one, as protocols.

Each protocol is one concept with few methods; a backend implements them with whatever classes
suit it. The local index (FAISS + bm25s + SQLite) is one, and the default:

    TextSearch, TermStatistics   index.lexical.LexicalIndex (with its facets: IndexStore.load_search)
    VectorSearch                 index.vectors.VectorIndex
    ChunkFetch, ArticleFetch,    index.store.IndexStore
    IndexStatistics

Milvus (``index.milvus``) is the other: MilvusLexical, MilvusVectors and MilvusStore in the same
places. ``index.location`` opens either from a location (a directory, or a Milvus one).

Chunk keys are opaque ints: the assistant only hands back keys a backend gave it. Filters go down
as data (:class:`ChunkFilter`), for the backend to apply where its data lives. Every backend must
pass the shared contract tests (``tests/index/test_backend_contract.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

from index.facets import ChunkFilter

if TYPE_CHECKING:
    from corpus.article import Article
    from index.store import ChunkRecord, Stats

__all__ = [
    "ArticleFetch", "ChunkFetch", "ChunkFilter", "ChunkKey", "IndexStatistics", "LexicalSearch", "TermStatistics",
    "TextSearch", "VectorSearch",
]

ChunkKey = int  # a backend's key for one chunk: given out by it, handed back to it, never made up


class TextSearch(Protocol):
    """Passages, and whole articles, by BM25 over their words."""

    def search_text(self, query: str, k: int, where: ChunkFilter | None = None) -> list[tuple[ChunkKey, float]]:
        """Up to ``k`` (key, score > 0) of the chunks ``where`` lets through, best first."""
        ...

    def rank_articles(
        self, query: str, keys: Sequence[ChunkKey], depth: int, where: ChunkFilter | None = None
    ) -> np.ndarray:
        """For each of ``keys``, the rank (1 = best) of its article among the best ``depth``
        articles for ``query`` that ``where`` lets through, 0 when not among them (int array)."""
        ...


class VectorSearch(Protocol):
    """Passages by the inner product of their embedding with a query's."""

    def search_vector(
        self, vector: np.ndarray, k: int, where: ChunkFilter | None = None
    ) -> list[tuple[ChunkKey, float]]:
        """Up to ``k`` (key, cosine) of the chunks ``where`` lets through, best first; ``vector``
        is L2-normalised, of the index's dimension."""
        ...


class ChunkFetch(Protocol):
    """Chunks by key, with their article's metadata."""

    def chunks(self, keys: Sequence[ChunkKey]) -> list[ChunkRecord]:
        """Those chunks in the order asked, unknown keys left out; ``record.text`` is
        ``article.text[record.start:record.end]``."""
        ...

    def chunk_ids_of(self, article_ids: Sequence[str]) -> dict[str, list[ChunkKey]]:
        """The keys of each article's chunks (an unknown article has none)."""
        ...

    def chunk_dates(self, keys: Sequence[ChunkKey]) -> dict[ChunkKey, str | None]:
        """Each chunk's article date (None when undated; unknown keys left out)."""
        ...


class ArticleFetch(Protocol):
    """Whole articles by id."""

    def article(self, article_id: str) -> Article | None: ...

    def duplicates_of(self, article_id: str) -> list[Article]:
        """The copies merged into that article at ingest (syndicated copies), by id."""
        ...

    def article_ids(self) -> list[str]:
        """The ids of the articles that are not duplicates, in order."""
        ...


class TermStatistics(Protocol):
    """What the abstention checks and the spelling corrections ask of the indexed words. Tokens
    are as :func:`index.lexical.tokenize` gives them."""

    def unknown_terms(self, terms: Sequence[str]) -> list[str]:
        """Those of ``terms`` that some token of occurs in no passage, in order."""
        ...

    def idf(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25's (Lucene) IDF of each token over the passages."""
        ...

    def presence(self, keys: Sequence[ChunkKey], tokens: Sequence[str]) -> np.ndarray:
        """bool ``(len(keys), len(tokens))``: whether each chunk holds each token."""
        ...

    def knows(self, keys: Sequence[ChunkKey]) -> np.ndarray:
        """bool ``(len(keys),)``: whether the statistics cover each chunk."""
        ...

    def document_frequency(self, token: str) -> int: ...

    def close_tokens(self, token: str, max_distance: int, limit: int = 10) -> list[tuple[str, int]]:
        """Vocabulary tokens within ``max_distance`` edits of ``token`` (not itself), nearest first."""
        ...

    def passages_with(self, token: str, limit: int = 5) -> list[ChunkKey]: ...

    def tokens_starting(self, prefix: str, limit: int = 50) -> list[str]: ...


class LexicalSearch(TextSearch, TermStatistics, Protocol):
    """Both lexical sides in one object, as both backends give them (statistics of the words searched)."""


class IndexStatistics(Protocol):
    """Counts and spans of the index as a whole."""

    def stats(self) -> Stats: ...
