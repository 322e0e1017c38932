"""Where an index lives, and opening it: a directory holds a local index (:mod:`index.store`), a
Milvus location, spelt as pymilvus spells it, a Milvus one (:mod:`index.milvus`):

    data/index                  a local index directory (FAISS + bm25s + SQLite)
    data/index.db               a Milvus Lite database, served from inside this process
    http://localhost:19530      a Milvus server (https:// too; a path names its database)

Every command's ``--index`` and :meth:`assistant.api.Assistant.load` go through here, so a Milvus
location works wherever a directory does. Milvus needs the ``scale`` extra
(``pip install -e ".[scale]"``); a local index needs nothing more.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

import numpy as np

from index.backend import ArticleFetch, ChunkFetch, IndexStatistics, LexicalSearch, VectorSearch
from index.errors import IndexMismatchError, NewsQAError

if TYPE_CHECKING:
    from corpus.article import Article
    from index.chunk import Chunk
    from index.store import StoredArticle
    from index.vectors import FaissKind

__all__ = ["IndexWriter", "OpenIndex", "StoredIndex", "is_milvus", "open_index", "open_or_create_index"]


class OpenIndex(ChunkFetch, ArticleFetch, IndexStatistics, Protocol):
    """An open index as the assistant, the CLI and the app read it."""

    @property
    def location(self) -> str: ...

    @property
    def model(self) -> str:
        """The embedding model its vectors came from."""
        ...

    @property
    def dim(self) -> int: ...

    @property
    def faiss_kind(self) -> str: ...

    @property
    def search_generation(self) -> int:
        """Which write the searches :meth:`load_search` gives reflect: a refresh compares it."""
        ...

    def is_current(self) -> bool:
        """Whether the searches reflect the last write."""
        ...

    def is_up_to_date(self) -> bool:
        """Whether an ingest has nothing left to rewrite."""
        ...

    def load_search(self) -> tuple[VectorSearch, LexicalSearch]: ...

    def close(self) -> None: ...


class IndexWriter(Protocol):
    """What an ingest writes through (see :mod:`index.ingest`)."""

    @property
    def model(self) -> str: ...

    def content_hashes(self) -> dict[str, str]: ...

    def kept_signatures(self) -> Iterator[tuple[str, bytes]]: ...

    def known_vectors(self, hashes: Iterable[str]) -> set[str]: ...

    def get(self, article_id: str) -> StoredArticle | None: ...

    def duplicates_of(self, article_id: str) -> list[Article]: ...

    def transaction(self) -> AbstractContextManager[None]:
        """The writes inside happen together, or (as far as the backend can) not at all."""
        ...

    def put_vectors(self, hashes: Sequence[str], vectors: np.ndarray) -> None: ...

    def put_article(
        self, article: Article, content_hash: str, fingerprint: str, signature: bytes, duplicate_of: str | None
    ) -> None: ...

    def put_chunks(self, article_id: str, chunks: Sequence[Chunk], vector_hashes: Sequence[str]) -> None: ...

    def set_duplicate_of(self, article_ids: Sequence[str], kept: str | None) -> None: ...

    def delete_article(self, article_id: str) -> bool: ...

    def is_up_to_date(self) -> bool: ...

    def write_derived(self) -> object:
        """Bring what is derived from the stored articles (search files, vocabulary) up to date."""
        ...

    def close(self) -> None: ...


class StoredIndex(OpenIndex, IndexWriter, Protocol):
    """An open index, to read and to write."""


def is_milvus(location: str | os.PathLike[str]) -> bool:
    """Whether ``location`` names a Milvus index: a path ending in ``.db`` (Milvus Lite) or an
    ``http(s)://`` URI (a Milvus server); anything else is a local index directory."""
    text = os.fspath(location)
    return text.rstrip("/").endswith(".db") or text.startswith(("http://", "https://"))


def _milvus():  # type: ignore[no-untyped-def]
    try:
        from index import milvus
    except ImportError as exc:
        raise NewsQAError(
            f"a Milvus index needs pymilvus and milvus-lite ({exc.name} is missing): pip install -e \".[scale]\""
        ) from exc
    return milvus


def open_index(location: str | os.PathLike[str]) -> StoredIndex:
    """Open the index at ``location`` (see the module docstring); IndexNotFoundError when there is none."""
    if is_milvus(location):
        store: StoredIndex = _milvus().MilvusStore.open(os.fspath(location))
        return store
    from index.store import IndexStore

    return IndexStore.open(Path(location))


def open_or_create_index(
    location: str | os.PathLike[str], model: str, dim: int | Callable[[], int], faiss_kind: str = "flat"
) -> StoredIndex:
    """Open the index at ``location``, or create it for ``model`` with vectors of ``dim``
    dimensions (a callable is called only when the index is created: loading the model to learn
    it may take seconds). An existing index built with another model is an error, not a silent mix."""
    store: StoredIndex
    if is_milvus(location):
        from index.errors import IndexNotFoundError

        milvus = _milvus()
        try:
            store = milvus.MilvusStore.open(os.fspath(location))
        except IndexNotFoundError:
            return milvus.MilvusStore.create(os.fspath(location), model, dim if isinstance(dim, int) else dim(),
                                             faiss_kind)
    else:
        from index.manifest import MANIFEST, creation_interrupted
        from index.schema import DATABASE
        from index.store import IndexStore

        root = Path(location)
        if not ((root / MANIFEST).exists() or (root / DATABASE).exists()) or creation_interrupted(root):
            if faiss_kind not in ("flat", "hnsw", "ivfpq"):
                raise ValueError(f"the vector index kind is flat, hnsw or ivfpq, not {faiss_kind!r}.")
            return IndexStore.create(root, model, dim if isinstance(dim, int) else dim(), cast("FaissKind", faiss_kind))
        store = IndexStore.open(root)
    built_with = store.model
    if built_with != model:
        store.close()
        raise IndexMismatchError(
            f"{os.fspath(location)} was built with the model {built_with!r}, not {model!r}: use --model "
            f"{built_with} or ingest into a new --index location."
        )
    return store
