"""The index held by Milvus: the same articles, chunks and searches as the local index.

A location is spelt as pymilvus spells it: a path ending in ``.db`` is a Milvus Lite database (a
directory, served from inside this process), ``http(s)://host:19530`` (optionally ``/db_name``)
a Milvus server. One index is five collections:

    newsqa_meta           key -> value: schema version, model, dimension, vector index kind,
                          generations, the next chunk key, the statistics
    newsqa_articles       every article (duplicates too) with its content hash, fingerprint,
                          MinHash signature and the article it duplicates; the text in parts of
                          at most 16,000 characters, one row each (Milvus caps a VARCHAR at
                          65,535 bytes)
    newsqa_chunks         each chunk: its int64 key, its dense vector, the tokens BM25 reads and
                          the sparse vector Milvus's BM25 function makes of them, its offsets and
                          text, and its article's id, title, date, day, source and url
    newsqa_article_terms  the tokens and BM25 vector of each article that has chunks (the
                          ranking of whole articles)
    newsqa_vocabulary     token -> the number of passages holding it (the term statistics)

Milvus wants a vector field in every collection; those without one of their own carry a
two-dimensional ``placeholder``.

Tokens. Texts are tokenised here with :func:`index.lexical.tokenize` (accents folded,
stop-words, Snowball stems) and stored joined by spaces, so that Milvus's analyzer only splits
them again; queries are tokenised the same way. BM25 therefore reads the local index's tokens,
and with k1 = 1.5, b = 0.75 and Lucene's IDF Milvus scores as bm25s does. The term statistics
(unknown words, IDF, close spellings) come from the vocabulary, read into memory when the
searches load; which chunks hold which tokens is read from their stored tokens.

Writing. Milvus has no transactions: :meth:`MilvusStore.transaction` gathers a batch's changes
and applies them in an order a kill cannot make inconsistent for the next ingest: the generation
is bumped first (so the vocabulary and statistics count as lagging until ``write_derived``
rewrites them), then chunks go and come, and each article's row, whose content hash tells an
ingest the article is done, is written last. Chunk keys are numbered from 1 in the order chunks
are written, as the local index numbers them (``copy-index`` keeps the local index's own).

Limits of Milvus Lite (milvus-lite 3.2.2, the version tested):

- BM25 statistics (passage count, document frequencies, mean length) are those of each segment,
  not of the collection. An ingest flushes once at its end, so a corpus written in one ingest is
  one segment up to the memory budget of Lite's memtable (128 MiB, some tens of thousands of
  chunks), and a larger or a later ingest adds segments scored on their own statistics.
  Compaction merges similar-sized segments; until it does, rows deleted or replaced still count
  in their segment's statistics.
- Rows not yet flushed (an ingest under way or interrupted) are scored, under a filter, with
  the statistics of the rows the filter lets through.
- One process at a time: the process that opens a ``.db`` locks it, so ``newsqa ingest`` into
  a Lite database that ``newsqa serve`` holds fails (uploads through the served page work: they
  run in the serving process). A Milvus server takes many readers; write from one process.
- A Milvus server's standard tokenizer splits a CJK token into characters; Lite's does not.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from pymilvus import DataType, Function, FunctionType, MilvusClient, MilvusException

from corpus.article import Article
from index.chunk import Chunk
from index.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError, IndexUnavailableError
from index.facets import ChunkFilter
from index.lexical import tokenize
from index.store import ChunkRecord, Stats, StoredArticle

__all__ = ["SCHEMA_VERSION", "MilvusLexical", "MilvusStore", "MilvusVectors", "is_lite", "milvus_filter"]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
PREFIX = "newsqa_"
META, ARTICLES, CHUNKS, ARTICLE_TERMS, VOCABULARY = (
    f"{PREFIX}{name}" for name in ("meta", "articles", "chunks", "article_terms", "vocabulary")
)
COLLECTIONS = (META, ARTICLES, CHUNKS, ARTICLE_TERMS, VOCABULARY)

TEXT_PART = 16_000  # characters of an article's text a row holds: at most 64,000 bytes in UTF-8
MAX_VARCHAR = 65_535  # Milvus's cap, in bytes
MAX_ID = 4_096  # the longest article id taken (bytes)
BATCH = 500  # rows a write or an ``in [...]`` filter carries
BM25 = {"bm25_k1": 1.5, "bm25_b": 0.75}  # bm25s's defaults
ANALYZER = {"tokenizer": "standard"}
VECTOR_INDEXES = {"flat": ("FLAT", {}), "hnsw": ("HNSW", {"M": 32, "efConstruction": 200})}
VECTOR_SEARCH = {"flat": {}, "hnsw": {"ef": 64}}
PLACEHOLDER = [0.0, 0.0]
CHUNK_FIELDS = ["key", "article_id", "ordinal", "start_char", "end_char", "text", "title", "source", "date", "url"]
ARTICLE_FIELDS = ["row", "id", "part", "parts", "title", "text", "date", "source", "url", "extra", "content_hash",
                  "fingerprint", "signature", "duplicate_of"]


def is_lite(location: str) -> bool:
    """Whether ``location`` names a Milvus Lite database (a path ending in ``.db``)."""
    return location.rstrip("/").endswith(".db")


def _literal(text: str) -> str:
    """``text`` as a string literal of Milvus's filter expressions."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return '"' + escaped.replace("\t", "\\t") + '"'


def _in(field_name: str, values: Iterable[str | int]) -> str:
    items = ", ".join(_literal(v) if isinstance(v, str) else str(int(v)) for v in values)
    return f"{field_name} in [{items}]"


def milvus_filter(where: ChunkFilter | None) -> str:
    """``where`` as a Milvus filter expression over ``day`` (the first ten characters of the
    article's date, null when undated: a null matches no bound) and ``source``; "" when it
    restricts nothing. Compared as :class:`index.facets.ChunkFacets` compares them."""
    if where is None or not where.restricts:
        return ""
    parts = []
    if where.date_from:
        parts.append(f"day >= {_literal(where.date_from[:10])}")
    if where.date_to:
        parts.append(f"day <= {_literal(where.date_to[:10])}")
    if where.sources:
        parts.append(_in("source", where.sources))
    return " and ".join(parts)


def _tokens(texts: Sequence[str]) -> list[str]:
    """Each text's tokens (:func:`index.lexical.tokenize`), joined by spaces, for BM25."""
    return [" ".join(t) for t in tokenize(list(texts))] if texts else []


def _capped(tokens: str) -> str:
    """``tokens`` cut at a token boundary to fit a VARCHAR: only an article of some 100,000
    characters is that long, and BM25 then ranks it by its first 65,535 bytes of tokens."""
    data = tokens.encode("utf-8")
    if len(data) <= MAX_VARCHAR:
        return tokens
    return data[:MAX_VARCHAR].decode("utf-8", errors="ignore").rsplit(" ", 1)[0]


def _bm25_text(title: str | None, text: str) -> str:
    return f"{title}\n{text}" if title else text


def _batches(items: Sequence[Any], size: int = BATCH) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# Milvus Lite is served from this process, one server per database; it is stopped when the last
# store that uses it closes (pymilvus would keep it until the process exits).
_lite_users: Counter[str] = Counter()
_lite_lock = threading.Lock()


def _connect(location: str, create: bool = False) -> MilvusClient:
    if is_lite(location):
        path = Path(location)
        if not create and not path.exists():
            raise IndexNotFoundError(
                f"no index at {location}: build one with `newsqa ingest PATH... --index {location}`."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # Milvus Lite logs a traceback when another process holds the database; the error raised
        # below says so and what to do.
        with _quiet("milvus_lite.server_manager", logging.CRITICAL):
            client = MilvusClient(uri=location)
    except MilvusException as exc:
        reason = (
            "another process holds this Milvus Lite database (one process at a time: stop the other one, "
            "or upload through the page it serves)" if is_lite(location) else "is the Milvus server running?"
        )
        raise IndexUnavailableError(f"cannot open the Milvus index at {location}: {reason} ({exc.message})") from exc
    if is_lite(location):
        with _lite_lock:
            _lite_users[os.path.abspath(location)] += 1
    return client


def _disconnect(location: str, client: MilvusClient) -> None:
    client.close()
    if not is_lite(location):
        return
    key = os.path.abspath(location)
    with _lite_lock:
        _lite_users[key] -= 1
        last = _lite_users[key] <= 0
        if last:
            del _lite_users[key]
    if last:
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(key)


def _read_meta(client: MilvusClient) -> dict[str, str]:
    """The index's metadata ({} when there is none: no index, or its creation was cut short)."""
    if not client.has_collection(META):
        return {}
    client.load_collection(META)
    return {r["key"]: r["value"] for r in client.query(META, filter='key != ""', output_fields=["key", "value"])}


@contextmanager
def _quiet(name: str, level: int) -> Iterator[None]:
    """The logger ``name`` shows only records of ``level`` and above inside the block."""
    log = logging.getLogger(name)
    before = log.level
    log.setLevel(level)
    try:
        yield
    finally:
        log.setLevel(before)


def _scan(client: MilvusClient, collection: str, expr: str, fields: list[str], batch: int = 2000) -> Iterator[dict]:  # type: ignore[type-arg]
    """Every row of ``collection`` that ``expr`` lets through, with ``fields``."""
    # Milvus Lite gives no MVCC timestamp, and pymilvus warns about it at every scan.
    with _quiet("pymilvus.client.iterator.query_iterator", logging.ERROR):
        it = client.query_iterator(collection, batch_size=batch, filter=expr, output_fields=fields)
    try:
        while rows := it.next():
            yield from rows
    finally:
        it.close()


def _query_in(
    client: MilvusClient, collection: str, field_name: str, values: Sequence[str | int], fields: list[str],
    extra: str = "",
) -> list[dict]:  # type: ignore[type-arg]
    """The rows whose ``field_name`` is one of ``values``, in batches."""
    out: list[dict] = []  # type: ignore[type-arg]
    for part in _batches(list(dict.fromkeys(values))):
        expr = _in(field_name, part) + (f" and {extra}" if extra else "")
        out += client.query(collection, filter=expr, output_fields=fields)
    return out


# -- the schema --------------------------------------------------------------------------------


def _create_collections(client: MilvusClient, dim: int, kind: str) -> None:
    def placeholder(schema: Any) -> None:
        schema.add_field("placeholder", DataType.FLOAT_VECTOR, dim=len(PLACEHOLDER))

    def indexes(dense: str, dense_kind: str = "flat", sparse: str | None = None) -> Any:
        params = client.prepare_index_params()
        index_type, build = VECTOR_INDEXES[dense_kind]
        params.add_index(field_name=dense, index_type=index_type, metric_type="IP", params=build)
        if sparse is not None:
            params.add_index(field_name=sparse, index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=BM25)
        return params

    def bm25(schema: Any) -> None:
        schema.add_field("tokens", DataType.VARCHAR, max_length=MAX_VARCHAR, enable_analyzer=True,
                         analyzer_params=ANALYZER, enable_match=True)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                     input_field_names=["tokens"], output_field_names=["sparse"]))

    def create(name: str, schema: Any, params: Any) -> None:
        client.create_collection(name, schema=schema, consistency_level="Strong")
        # not waited for (pymilvus polls each index every 0.5 s): loading waits for them
        client.create_index(name, params, sync=False)
        client.load_collection(name)

    s = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("key", DataType.VARCHAR, is_primary=True, max_length=256)
    s.add_field("value", DataType.VARCHAR, max_length=MAX_VARCHAR)
    placeholder(s)
    create(META, s, indexes("placeholder"))

    s = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("row", DataType.VARCHAR, is_primary=True, max_length=MAX_ID + 16)
    s.add_field("id", DataType.VARCHAR, max_length=MAX_ID)
    s.add_field("part", DataType.INT32)
    s.add_field("parts", DataType.INT32)
    s.add_field("text", DataType.VARCHAR, max_length=MAX_VARCHAR)
    for name in ("title", "date", "source", "url", "extra", "content_hash", "fingerprint", "duplicate_of"):
        s.add_field(name, DataType.VARCHAR, max_length=MAX_VARCHAR if name in ("title", "url", "extra") else MAX_ID,
                    nullable=True)
    s.add_field("day", DataType.VARCHAR, max_length=10, nullable=True)
    s.add_field("signature", DataType.VARCHAR, max_length=MAX_VARCHAR, nullable=True)  # hex
    placeholder(s)
    create(ARTICLES, s, indexes("placeholder"))

    s = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("key", DataType.INT64, is_primary=True)
    s.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    bm25(s)
    s.add_field("article_id", DataType.VARCHAR, max_length=MAX_ID)
    s.add_field("ordinal", DataType.INT32)
    s.add_field("start_char", DataType.INT64)
    s.add_field("end_char", DataType.INT64)
    s.add_field("text", DataType.VARCHAR, max_length=MAX_VARCHAR)
    s.add_field("vector_hash", DataType.VARCHAR, max_length=128)
    for name in ("title", "date", "source", "url"):
        s.add_field(name, DataType.VARCHAR, max_length=MAX_VARCHAR if name in ("title", "url") else MAX_ID,
                    nullable=True)
    s.add_field("day", DataType.VARCHAR, max_length=10, nullable=True)
    create(CHUNKS, s, indexes("vector", kind, "sparse"))

    s = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("id", DataType.VARCHAR, is_primary=True, max_length=MAX_ID)
    bm25(s)
    s.add_field("source", DataType.VARCHAR, max_length=MAX_ID, nullable=True)
    s.add_field("day", DataType.VARCHAR, max_length=10, nullable=True)
    placeholder(s)
    params = indexes("placeholder")
    params.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=BM25)
    create(ARTICLE_TERMS, s, params)

    s = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("token", DataType.VARCHAR, is_primary=True, max_length=MAX_ID)
    s.add_field("df", DataType.INT64)
    placeholder(s)
    create(VOCABULARY, s, indexes("placeholder"))


# -- the store ---------------------------------------------------------------------------------


@dataclass
class _Pending:
    """A transaction's changes, applied together when it ends. ``articles`` holds each touched
    article's new state (None: deleted); ``cleared`` the articles whose stored chunks go."""

    articles: dict[str, StoredArticle | None] = field(default_factory=dict)
    extras: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # id -> (fingerprint, signature)
    cleared: set[str] = field(default_factory=set)
    chunks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)


class MilvusStore:
    """An open Milvus index (see the module docstring). :meth:`open` and :meth:`create` connect;
    ``__init__`` does not. It reads and writes as :class:`index.store.IndexStore` does, so that
    ingest writes to either, and :meth:`load_search` gives the searches."""

    def __init__(self, location: str, client: MilvusClient, meta: dict[str, str]) -> None:
        self.location = location
        self.client = client
        self._meta = meta
        self._pending: _Pending | None = None
        # The vocabulary's changes since it was last written; None when it lags for another
        # reason (an interrupted ingest) and must be counted anew.
        self._vocabulary_delta: Counter[str] | None = Counter() if self.is_current() else None

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def create(cls, location: str, model: str, dim: int, faiss_kind: str = "flat") -> MilvusStore:
        """A new, empty index at ``location``, ready to take articles. ``faiss_kind`` picks the
        vector index: ``flat`` (exact) or ``hnsw``."""
        if faiss_kind not in VECTOR_INDEXES:
            raise ValueError(f"a Milvus index takes the vector index kinds flat and hnsw, not {faiss_kind!r}.")
        client = _connect(location, create=True)
        try:
            if "model" in _read_meta(client):
                raise FileExistsError(f"{location} already holds an index; open it instead.")
            for name in COLLECTIONS:  # what an interrupted creation left
                if client.has_collection(name):
                    client.drop_collection(name)
            _create_collections(client, dim, faiss_kind)
            meta = {"schema_version": str(SCHEMA_VERSION), "model": model, "dim": str(dim), "faiss_kind": faiss_kind,
                    "generation": "0", "derived_generation": "0", "next_key": "1"}
            # written last: a creation cut short leaves no meta, and is started over
            client.upsert(META, [{"key": k, "value": v, "placeholder": PLACEHOLDER} for k, v in meta.items()])
        except BaseException:
            _disconnect(location, client)
            raise
        return cls(location, client, meta)

    @classmethod
    def open(cls, location: str) -> MilvusStore:
        """Open an existing index; fails with a message saying what to do when something is off."""
        client = _connect(location)
        try:
            meta = _read_meta(client)
            if "model" not in meta:  # none, or its creation was cut short
                raise IndexNotFoundError(
                    f"no index at {location}: build one with `newsqa ingest PATH... --index {location}`."
                )
            for name in COLLECTIONS:
                if not client.has_collection(name):
                    raise IndexCorruptError(
                        f"the index at {location} lacks its collection {name}: it cannot be used; build it anew "
                        f"with `newsqa ingest` into another location."
                    )
                client.load_collection(name)
            if int(meta["schema_version"]) != SCHEMA_VERSION:
                raise IndexMismatchError(
                    f"{location} has index schema {meta['schema_version']}; this version reads schema "
                    f"{SCHEMA_VERSION}. Rebuild the index."
                )
        except BaseException:
            _disconnect(location, client)
            raise
        return cls(location, client, meta)

    def close(self) -> None:
        _disconnect(self.location, self.client)

    # -- what it is ----------------------------------------------------------------------------

    @property
    def model(self) -> str:
        return self._meta["model"]

    @property
    def dim(self) -> int:
        return int(self._meta["dim"])

    @property
    def faiss_kind(self) -> str:
        return self._meta.get("faiss_kind", "flat")

    @property
    def generation(self) -> int:
        """Bumped as each change starts: the vocabulary and statistics reflect ``derived_generation``."""
        return int(self._meta["generation"])

    @property
    def search_generation(self) -> int:
        """The generation the vocabulary and statistics were written at."""
        return int(self._meta.get("derived_generation", "-1"))

    def is_current(self) -> bool:
        return self.search_generation == self.generation

    def is_complete(self) -> bool:
        return True

    def is_up_to_date(self) -> bool:
        return self.is_current()

    def _write_meta(self, values: dict[str, str]) -> None:
        self.client.upsert(META, [{"key": k, "value": v, "placeholder": PLACEHOLDER} for k, v in values.items()])
        self._meta.update(values)

    # -- articles ------------------------------------------------------------------------------

    def get(self, article_id: str) -> StoredArticle | None:
        """The article as stored, seeing the changes of a transaction under way."""
        if self._pending is not None and article_id in self._pending.articles:
            return self._pending.articles[article_id]
        found = self._read_articles([article_id])
        return found[0][0] if found else None

    def article(self, article_id: str) -> Article | None:
        stored = self.get(article_id)
        return stored.article if stored else None

    def _read_articles(self, article_ids: Sequence[str]) -> list[tuple[StoredArticle, str, bytes]]:
        """The stored articles with those ids (all their parts read), with their fingerprints and
        signatures, by id."""
        return _assemble(_query_in(self.client, ARTICLES, "id", article_ids, ARTICLE_FIELDS))

    def content_hashes(self) -> dict[str, str]:
        return {r["id"]: r["content_hash"] for r in _scan(self.client, ARTICLES, "part == 0", ["id", "content_hash"])}

    def article_ids(self) -> list[str]:
        """The ids of the articles that are not duplicates, in order."""
        return sorted(r["id"] for r in _scan(self.client, ARTICLES, "part == 0 and duplicate_of is null", ["id"]))

    def kept_signatures(self) -> Iterator[tuple[str, bytes]]:
        """(article id, MinHash signature bytes) of every article that is not a duplicate."""
        for r in _scan(self.client, ARTICLES, "part == 0 and duplicate_of is null", ["id", "signature"]):
            yield r["id"], bytes.fromhex(r["signature"] or "")

    def duplicates_of(self, article_id: str) -> list[Article]:
        """The articles merged into that one, seeing the changes of a transaction under way."""
        rows = self.client.query(
            ARTICLES, filter=f"part == 0 and duplicate_of == {_literal(article_id)}", output_fields=["id"]
        )
        ids = {r["id"] for r in rows}
        if self._pending is not None:
            for pending_id, stored in self._pending.articles.items():
                if stored is not None and stored.duplicate_of == article_id:
                    ids.add(pending_id)
                else:
                    ids.discard(pending_id)
        return [a for i in sorted(ids) if (a := self.article(i)) is not None]

    # -- chunks --------------------------------------------------------------------------------

    def chunks(self, keys: Sequence[int]) -> list[ChunkRecord]:
        """The chunks with those keys, in the order asked (unknown keys are left out)."""
        rows = _query_in(self.client, CHUNKS, "key", [int(k) for k in keys], CHUNK_FIELDS)
        by_key = {
            int(r["key"]): ChunkRecord(int(r["key"]), r["article_id"], int(r["ordinal"]), int(r["start_char"]),
                                       int(r["end_char"]), r["text"], r["title"], r["source"], r["date"], r["url"])
            for r in rows
        }
        return [by_key[int(k)] for k in keys if int(k) in by_key]

    def chunk_ids_of(self, article_ids: Sequence[str]) -> dict[str, list[int]]:
        """The chunk keys of each of those articles (an unknown id gets none), ascending."""
        out: dict[str, list[int]] = {a: [] for a in article_ids}
        for r in _query_in(self.client, CHUNKS, "article_id", list(out), ["key", "article_id"]):
            out[r["article_id"]].append(int(r["key"]))
        return {a: sorted(keys) for a, keys in out.items()}

    def chunk_dates(self, keys: Sequence[int]) -> dict[int, str | None]:
        """The date of each chunk's article (None when undated; unknown keys are left out)."""
        return {int(r["key"]): r["date"] for r in _query_in(self.client, CHUNKS, "key", list(keys), ["key", "date"])}

    def known_vectors(self, hashes: Iterable[str]) -> set[str]:
        """Those of ``hashes`` (of embedded texts) some stored chunk has the vector of."""
        rows = _query_in(self.client, CHUNKS, "vector_hash", sorted(set(hashes)), ["key", "vector_hash"])
        return {r["vector_hash"] for r in rows}

    def _stored_vectors(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        rows = _query_in(self.client, CHUNKS, "vector_hash", hashes, ["key", "vector_hash", "vector"])
        return {r["vector_hash"]: np.asarray(r["vector"], dtype=np.float32) for r in rows}

    # -- statistics ----------------------------------------------------------------------------

    def stats(self) -> Stats:
        """Counts, sources and dates: as written with the vocabulary, or counted now when changes
        came after that."""
        saved = self._meta.get("stats")
        if saved and self._meta.get("stats_generation") == str(self.generation):
            data = json.loads(saved)
            return Stats(data["articles"], data["duplicates"], data["chunks"],
                         tuple((s, n) for s, n in data["sources"]), data["date_min"], data["date_max"])
        return self._count_stats()

    def _count_stats(self) -> Stats:
        kept: Counter[str] = Counter()
        duplicates = 0
        days: list[str] = []
        for r in _scan(self.client, ARTICLES, "part == 0", ["id", "source", "day", "duplicate_of"]):
            if r["duplicate_of"] is None:
                kept[r["source"] or ""] += 1
            else:
                duplicates += 1
            if r["day"] is not None:
                days.append(r["day"])
        chunks = int(self.client.query(CHUNKS, filter="", output_fields=["count(*)"])[0]["count(*)"])
        sources = tuple(sorted(kept.items(), key=lambda sn: (-sn[1], sn[0])))
        return Stats(sum(kept.values()), duplicates, chunks, sources, min(days, default=None), max(days, default=None))

    # -- writing -------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One batch of changes, applied when the block ends (nothing of it when it raises)."""
        if self._pending is not None:
            raise RuntimeError("transactions do not nest")
        self._pending = _Pending()
        try:
            yield
            self._commit(self._pending)
        finally:
            self._pending = None

    def _changes(self) -> _Pending:
        if self._pending is None:
            raise RuntimeError("write inside `with store.transaction():`")
        return self._pending

    def put_article(
        self, article: Article, content_hash: str, fingerprint: str, signature: bytes, duplicate_of: str | None
    ) -> None:
        if len(article.id.encode("utf-8")) > MAX_ID:
            raise ValueError(f"article id {article.id[:80]!r}... is longer than {MAX_ID} bytes; shorten it.")
        self.delete_article(article.id)
        changes = self._changes()
        changes.articles[article.id] = StoredArticle(article, content_hash, duplicate_of)
        changes.extras[article.id] = (fingerprint, signature)

    def set_duplicate_of(self, article_ids: Sequence[str], kept: str | None) -> None:
        changes = self._changes()
        for article_id in article_ids:
            if article_id in changes.articles:
                stored = changes.articles[article_id]
            else:
                found = self._read_articles([article_id])
                stored = found[0][0] if found else None
                if found:
                    changes.extras[article_id] = found[0][1:]
            if stored is not None:
                changes.articles[article_id] = StoredArticle(stored.article, stored.content_hash, kept)

    def put_vectors(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        if vectors.shape != (len(hashes), self.dim):
            raise ValueError(f"expected vectors of shape ({len(hashes)}, {self.dim}), got {vectors.shape}")
        changes = self._changes()
        for h, v in zip(hashes, vectors, strict=True):
            changes.vectors[h] = np.ascontiguousarray(v, dtype=np.float32)

    def put_chunks(
        self, article_id: str, chunks: Sequence[Chunk], vector_hashes: Sequence[str], keys: Sequence[int] | None = None
    ) -> None:
        """Add chunks to an article put before (or stored); their vectors are those put in this
        transaction or stored with other chunks. ``keys`` keeps given chunk keys (a copy of
        another index); by default they are numbered on."""
        changes = self._changes()
        stored = self.get(article_id)
        if stored is None:
            raise ValueError(f"put the article {article_id!r} before its chunks")
        if keys is None:
            start = int(self._meta["next_key"])
            keys = range(start, start + len(chunks))
        if len(keys) != len(chunks):
            raise ValueError(f"{len(keys)} keys for {len(chunks)} chunks")
        self._meta["next_key"] = str(max(int(self._meta["next_key"]), max(keys, default=0) + 1))
        missing = [h for h in dict.fromkeys(vector_hashes) if h not in changes.vectors]
        found = self._stored_vectors(missing) if missing else {}
        if unknown := [h for h in missing if h not in found]:
            raise ValueError(f"no vector was put or stored for {len(unknown)} chunk(s) of {article_id!r}")
        a = stored.article
        tokens = _tokens([_bm25_text(a.title, c.text) for c in chunks])
        rows = changes.chunks.setdefault(article_id, [])
        for key, chunk, h, toks in zip(keys, chunks, vector_hashes, tokens, strict=True):
            if len(chunk.text.encode("utf-8")) > MAX_VARCHAR or len(toks.encode("utf-8")) > MAX_VARCHAR:
                raise ValueError(f"a chunk of {article_id!r} is longer than Milvus takes ({MAX_VARCHAR} bytes)")
            vector = changes.vectors.get(h)
            rows.append({
                "key": int(key), "vector": (vector if vector is not None else found[h]).tolist(), "tokens": toks,
                "article_id": article_id, "ordinal": chunk.ordinal, "start_char": chunk.start, "end_char": chunk.end,
                "text": chunk.text, "vector_hash": h, "title": a.title, "date": a.date, "day": _day(a.date),
                "source": a.source, "url": a.url,
            })

    def delete_article(self, article_id: str) -> bool:
        """Remove an article and its chunks (not its duplicates: the caller decides about those)."""
        changes = self._changes()
        existed = self.get(article_id) is not None
        changes.articles[article_id] = None
        changes.extras.pop(article_id, None)
        changes.cleared.add(article_id)
        changes.chunks.pop(article_id, None)
        return existed

    def _commit(self, changes: _Pending) -> None:
        try:
            self._apply(changes)
        except BaseException:
            self._vocabulary_delta = None  # what of the change was applied is unknown: count anew
            raise

    def _apply(self, changes: _Pending) -> None:
        # The order matters for a kill half-way: see the module docstring. The keys given out are
        # saved first, so that none is given twice.
        self._write_meta({"generation": str(self.generation + 1), "next_key": self._meta["next_key"]})
        delta = self._vocabulary_delta
        cleared = sorted(changes.cleared)
        if cleared:
            if delta is not None:
                for r in _query_in(self.client, CHUNKS, "article_id", cleared, ["key", "tokens"]):
                    delta.subtract(set(r["tokens"].split()))
            for part in _batches(cleared):
                self.client.delete(CHUNKS, filter=_in("article_id", part))
                self.client.delete(ARTICLE_TERMS, filter=_in("id", part))
        new_chunks = [row for rows in changes.chunks.values() for row in rows]
        for part in _batches(new_chunks):
            self.client.upsert(CHUNKS, list(part))
        if delta is not None:
            for row in new_chunks:
                delta.update(set(row["tokens"].split()))
        ranked = [found.article for i, rows in changes.chunks.items() if rows and (found := self.get(i)) is not None]
        terms = [{"id": a.id, "tokens": _capped(_tokens([_bm25_text(a.title, a.text)])[0]), "source": a.source,
                  "day": _day(a.date), "placeholder": PLACEHOLDER} for a in ranked]
        for part in _batches(terms):
            self.client.upsert(ARTICLE_TERMS, list(part))
        kept = {i: stored for i, stored in changes.articles.items() if stored is not None}
        for part in _batches([i for i, stored in changes.articles.items() if stored is None]):
            self.client.delete(ARTICLES, filter=_in("id", part))
        rows = [r for i, stored in kept.items() for r in _article_rows(stored, *changes.extras[i])]
        for part in _batches(rows, 100):
            self.client.upsert(ARTICLES, list(part))
        by_parts: dict[int, list[str]] = {}
        for i, stored in kept.items():
            by_parts.setdefault(_parts(stored.article.text), []).append(i)
        for n, ids in by_parts.items():  # the parts a longer text had before
            for part in _batches(ids):
                self.client.delete(ARTICLES, filter=f"{_in('id', part)} and part >= {n}")

    def write_derived(self) -> None:
        """Write the vocabulary and the statistics for the articles and chunks stored, and flush:
        what ``newsqa ingest`` ends with. The vocabulary takes this process's changes when it
        was current before them, else it is counted anew from every chunk."""
        started = time.perf_counter()
        for name in (CHUNKS, ARTICLE_TERMS, ARTICLES):
            self.client.flush(name)
        generation = self.generation
        delta = self._vocabulary_delta
        if delta is None:
            logger.info("%s: counting the vocabulary anew from the chunks", self.location)
            counts = _count_vocabulary(self.client)
            self.client.delete(VOCABULARY, filter='token != ""')
            rows = [{"token": t, "df": n, "placeholder": PLACEHOLDER} for t, n in counts.items()]
            for part in _batches(rows, 2000):
                self.client.insert(VOCABULARY, list(part))
        elif delta:
            touched = [t for t, n in delta.items() if n]
            before = {r["token"]: int(r["df"]) for r in _query_in(self.client, VOCABULARY, "token", touched,
                                                                  ["token", "df"])}
            after = {t: before.get(t, 0) + delta[t] for t in touched}
            for part in _batches([t for t, n in after.items() if n <= 0]):
                self.client.delete(VOCABULARY, filter=_in("token", part))
            rows = [{"token": t, "df": n, "placeholder": PLACEHOLDER} for t, n in after.items() if n > 0]
            for part in _batches(rows, 2000):
                self.client.upsert(VOCABULARY, list(part))
        self.client.flush(VOCABULARY)
        stats = self._count_stats()
        data = {"articles": stats.articles, "duplicates": stats.duplicates, "chunks": stats.chunks,
                "sources": [list(s) for s in stats.sources], "date_min": stats.date_min, "date_max": stats.date_max}
        self._write_meta({"stats": json.dumps(data), "stats_generation": str(generation),
                          "derived_generation": str(generation)})
        self.client.flush(META)
        self._vocabulary_delta = Counter()
        logger.info("%s: vocabulary and statistics written in %.1f s", self.location, time.perf_counter() - started)

    # -- searching -----------------------------------------------------------------------------

    def load_search(self) -> tuple[MilvusVectors, MilvusLexical]:
        """The searches, with the vocabulary read into memory (counted from the chunks when an
        interrupted ingest left it behind them)."""
        if self.is_current():
            vocabulary = {r["token"]: int(r["df"]) for r in _scan(self.client, VOCABULARY, "", ["token", "df"], 10_000)}
        else:
            logger.warning(
                "%s: the vocabulary lags behind the chunks (interrupted ingest?); counting it in memory. "
                "`newsqa ingest` on this index writes it", self.location,
            )
            vocabulary = dict(_count_vocabulary(self.client))
        stats = self.stats()
        return (MilvusVectors(self.client, self.faiss_kind),
                MilvusLexical(self.client, vocabulary, stats.chunks))


def _day(date: str | None) -> str | None:
    return date[:10] if date is not None else None


def _parts(text: str) -> int:
    return max(1, math.ceil(len(text) / TEXT_PART))


def _article_rows(stored: StoredArticle, fingerprint: str, signature: bytes) -> list[dict[str, Any]]:
    """An article's rows: part 0 holds what describes it, every part a slice of its text."""
    a = stored.article
    n = _parts(a.text)
    rows = []
    for part in range(n):
        row: dict[str, Any] = {
            "row": a.id if part == 0 else f"{a.id}\x1f{part}", "id": a.id, "part": part, "parts": n,
            "text": a.text[part * TEXT_PART : (part + 1) * TEXT_PART], "placeholder": PLACEHOLDER,
        }
        if part == 0:
            row.update({
                "title": a.title, "date": a.date, "day": _day(a.date), "source": a.source, "url": a.url,
                "extra": json.dumps(dict(a.extra), sort_keys=True), "content_hash": stored.content_hash,
                "fingerprint": fingerprint, "signature": signature.hex(), "duplicate_of": stored.duplicate_of,
            })
        rows.append(row)
    return rows


def _assemble(rows: Sequence[dict[str, Any]]) -> list[tuple[StoredArticle, str, bytes]]:
    """Articles, with their fingerprints and signatures, from their rows (one lacking a part is
    left out: a write cut short), by id."""
    by_id: dict[str, dict[int, dict[str, Any]]] = {}
    for r in rows:
        by_id.setdefault(r["id"], {})[int(r["part"])] = r
    out = []
    for article_id in sorted(by_id):
        parts = by_id[article_id]
        head = parts.get(0)
        if head is None or any(p not in parts for p in range(int(head["parts"]))):
            continue
        text = "".join(parts[p]["text"] for p in range(int(head["parts"])))
        extra = tuple(sorted(json.loads(head["extra"]).items())) if head["extra"] else ()
        article = Article(article_id, head["title"], text, head["date"], head["source"], head["url"], extra)
        stored = StoredArticle(article, head["content_hash"] or "", head["duplicate_of"])
        out.append((stored, head["fingerprint"] or "", bytes.fromhex(head["signature"] or "")))
    return out


def _count_vocabulary(client: MilvusClient) -> Counter[str]:
    """How many chunks hold each token, counted from every chunk's tokens."""
    counts: Counter[str] = Counter()
    for r in _scan(client, CHUNKS, "", ["key", "tokens"]):
        counts.update(set(r["tokens"].split()))
    return counts


# -- the searches ------------------------------------------------------------------------------


def _hits(results: Any) -> list[tuple[int, float]]:
    """(key, score) of a one-query search, best first."""
    return [(int(h["key"]), float(h["distance"])) for h in results[0]] if results else []


@dataclass(frozen=True)
class MilvusVectors:
    """Dense search (:class:`index.backend.VectorSearch`): inner product of the chunks' vectors."""

    client: MilvusClient
    kind: str = "flat"

    def search_vector(self, vector: np.ndarray, k: int, where: ChunkFilter | None = None) -> list[tuple[int, float]]:
        """Up to ``k`` (chunk key, cosine) pairs for ``vector`` (L2-normalised), best first,
        among the chunks ``where`` lets through."""
        if k < 1:
            return []
        results = self.client.search(
            CHUNKS, data=[np.asarray(vector, dtype=np.float32).tolist()], anns_field="vector", limit=min(k, 16_384),
            filter=milvus_filter(where), output_fields=["key"],
            search_params={"metric_type": "IP", "params": VECTOR_SEARCH.get(self.kind, {})},
        )
        return _hits(results)


class MilvusLexical:
    """BM25 by Milvus over the chunks and the whole articles (:class:`index.backend.TextSearch`),
    and the term statistics (:class:`index.backend.TermStatistics`) from the vocabulary."""

    def __init__(self, client: MilvusClient, vocabulary: dict[str, int], passages: int) -> None:
        self.client = client
        self.vocabulary = vocabulary
        self.passages = passages

    def _search(
        self, collection: str, query: str, k: int, where: ChunkFilter | None, key: str
    ) -> list[tuple[Any, float]]:
        tokens = _tokens([query])[0]
        if not tokens or k < 1:
            return []
        results = self.client.search(
            collection, data=[tokens], anns_field="sparse", limit=min(k, 16_384), filter=milvus_filter(where),
            output_fields=[key], search_params={"metric_type": "BM25"},
        )
        # Milvus Lite gives the score negated (a distance), a server as it is: BM25 is never negative.
        found = [(h[key], abs(float(h["distance"]))) for h in results[0]] if results else []
        return [(f, s) for f, s in found if s > 0]

    def search_text(self, query: str, k: int, where: ChunkFilter | None = None) -> list[tuple[int, float]]:
        """Up to ``k`` (chunk key, BM25 score > 0) of the chunks ``where`` lets through, best first."""
        return [(int(c), s) for c, s in self._search(CHUNKS, query, k, where, "key")]

    def rank_articles(
        self, query: str, keys: Sequence[int], depth: int, where: ChunkFilter | None = None
    ) -> np.ndarray:
        """For each of ``keys``, the rank (1 = best) of its article by BM25 over whole articles
        among the best ``depth`` that ``where`` lets through, 0 when not among them."""
        out = np.zeros(len(keys), dtype=np.int64)
        ranked = self._search(ARTICLE_TERMS, query, depth, where, "id")
        if not ranked or not len(keys):
            return out
        rank = {a: i for i, (a, _) in enumerate(ranked, start=1)}
        article_of = {int(r["key"]): r["article_id"]
                      for r in _query_in(self.client, CHUNKS, "key", [int(k) for k in keys], ["key", "article_id"])}
        for j, key in enumerate(keys):
            out[j] = rank.get(article_of.get(int(key), ""), 0)
        return out

    # -- term statistics -----------------------------------------------------------------------

    def unknown_terms(self, terms: Sequence[str]) -> list[str]:
        """Those of ``terms`` some token of which no passage holds, in order (an empty index
        reports none, since it cannot tell)."""
        if not self.vocabulary:
            return []
        tokens = tokenize(list(terms)) if terms else []
        return [t for t, toks in zip(terms, tokens, strict=True) if any(x not in self.vocabulary for x in toks)]

    def idf(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25's (Lucene) IDF of each token over the passages."""
        df = np.array([self.vocabulary.get(t, 0) for t in tokens], dtype=np.float64)
        return np.log(1.0 + (self.passages - df + 0.5) / (df + 0.5))

    def presence(self, keys: Sequence[int], tokens: Sequence[str]) -> np.ndarray:
        """bool ``(len(keys), len(tokens))``: whether each chunk holds each token."""
        out = np.zeros((len(keys), len(tokens)), dtype=bool)
        if not len(keys) or not len(tokens):
            return out
        held = {int(r["key"]): set(r["tokens"].split())
                for r in _query_in(self.client, CHUNKS, "key", [int(k) for k in keys], ["key", "tokens"])}
        for i, key in enumerate(keys):
            chunk = held.get(int(key))
            if chunk:
                out[i] = [t in chunk for t in tokens]
        return out

    def knows(self, keys: Sequence[int]) -> np.ndarray:
        """bool ``(len(keys),)``: whether each key is a stored chunk's."""
        found = {int(r["key"]) for r in _query_in(self.client, CHUNKS, "key", [int(k) for k in keys], ["key"])}
        return np.array([int(k) in found for k in keys], dtype=bool)

    def document_frequency(self, token: str) -> int:
        return self.vocabulary.get(token, 0)

    @cached_property
    def _sorted_vocabulary(self) -> list[str]:
        return sorted(self.vocabulary)

    def close_tokens(self, token: str, max_distance: int, limit: int = 10) -> list[tuple[str, int]]:
        """Vocabulary tokens within ``max_distance`` edits (optimal string alignment) of ``token``,
        other than itself, nearest first."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        found = process.extract(
            token, self._sorted_vocabulary, scorer=OSA.distance, score_cutoff=max_distance, limit=limit + 1
        )
        return [(t, int(d)) for t, d, _ in sorted(found, key=lambda f: (f[1], f[2])) if t != token][:limit]

    def passages_with(self, token: str, limit: int = 5) -> list[int]:
        """The keys of up to ``limit`` passages holding ``token``, the first written first."""
        if limit < 1 or token not in self.vocabulary or not token.strip() or " " in token:
            return []
        rows = self.client.query(
            CHUNKS, filter=f"text_match(tokens, {_literal(token)})", output_fields=["key"],
            limit=min(16_384, max(limit, self.vocabulary[token])),
        )
        return sorted(int(r["key"]) for r in rows)[:limit]

    def tokens_starting(self, prefix: str, limit: int = 50) -> list[str]:
        import bisect

        vocabulary = self._sorted_vocabulary
        at = bisect.bisect_left(vocabulary, prefix)
        return [t for t in vocabulary[at : at + limit] if t.startswith(prefix)]
