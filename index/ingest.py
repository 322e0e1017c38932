"""From article files to the index: read, dedup, chunk, embed, store — incrementally and safely.

Articles are processed in batches; each batch is one SQLite transaction (see ``index.store``), so a
kill loses at most the batch under way, and the next run redoes it without duplicates because an
article whose stored content hash matches is left alone.

:mod:`index.ray_ingest` spreads reading, chunking and embedding over a Ray cluster and judges and
writes with the functions here (``_decide``, ``_write_batch``), so both build the same index.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from corpus.article import Article
from corpus.dedup import DuplicateFinder, minhash_signature, text_fingerprint
from corpus.load import ColumnMap, Skipped, read_articles
from index.chunk import Chunk, Chunker
from index.embed import Embedder
from index.errors import InputNotFoundError
from index.location import IndexWriter, open_index, open_or_create_index
from index.vectors import FaissKind

__all__ = ["IngestReport", "delete", "ingest", "open_or_create"]

logger = logging.getLogger(__name__)


@dataclass
class IngestReport:
    """What an ingest did; ``skipped`` names each bad record's place and reason."""

    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    skipped: list[Skipped] = field(default_factory=list)
    duplicate_pairs: list[tuple[str, str]] = field(default_factory=list)  # (duplicate id, kept id)

    def summary(self) -> str:
        lines = [
            f"articles read: {self.read}",
            f"added: {self.added}  updated: {self.updated}  unchanged: {self.unchanged}  duplicates: {self.duplicates}",
            f"chunks written: {self.chunks}  texts embedded: {self.embedded}",
            f"skipped: {len(self.skipped)}",
        ]
        lines += [f"  {s.place}: {s.reason}" for s in self.skipped[:50]]
        if len(self.skipped) > 50:
            lines.append(f"  ... and {len(self.skipped) - 50} more")
        lines.append(f"seconds: {self.seconds:.1f}")
        return "\n".join(lines)


def content_hash(article: Article) -> str:
    """Identity of an article's content: same id with another hash means the article changed."""
    payload = json.dumps([article.title, article.text, article.date, article.source, article.url, list(article.extra)])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def embedding_text(title: str | None, chunk_text: str) -> str:
    """What is embedded for a chunk: the title gives each passage its story's context."""
    return f"{title}\n{chunk_text}" if title else chunk_text


def vector_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def open_or_create(
    index_dir: str | os.PathLike[str], model: str, embedder: Callable[[], Embedder], faiss_kind: FaissKind = "flat"
) -> IndexWriter:
    """Open the index at ``index_dir`` (a directory or a Milvus location: :mod:`index.location`), or
    create it for ``model`` (loading the embedder to learn its dimension). An existing index built
    with another model is an error, not a silent mix."""
    return open_or_create_index(index_dir, model, lambda: embedder().dim, faiss_kind)


class _LazyEmbedder:
    """Loads the model on first use, so that an unchanged corpus costs no model load."""

    def __init__(self, load: Callable[[], Embedder]) -> None:
        self._load = load
        self._embedder: Embedder | None = None

    def __call__(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._load()
        return self._embedder


def ingest(
    paths: Sequence[str | os.PathLike[str]],
    index_dir: str | os.PathLike[str],
    load_embedder: Callable[[], Embedder],
    model: str,
    chunker: Chunker,
    columns: ColumnMap | None = None,
    faiss_kind: FaissKind = "flat",
    batch_articles: int = 64,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Read ``paths`` into the index at ``index_dir`` (created if absent) and report what happened.

    ``paths`` are files or folders. If any of them does not exist, nothing is ingested:
    :class:`InputNotFoundError` names every missing one, raised before the index is opened or
    created and before ``load_embedder`` is called, so a mistyped path costs no model load and
    leaves no index behind (an existing one is not touched). A typo among several paths is most
    likely a mistake in the command, and ingesting the others first would leave the index
    half-updated by a command that is about to be run again. Records or files that exist but
    cannot be read are not errors: they are listed in the report's ``skipped``.

    ``progress`` is called with the number of articles just handled (for a progress bar).
    """
    started = time.perf_counter()
    _require_paths(paths)
    embedder = _LazyEmbedder(load_embedder)
    store = open_or_create(index_dir, model, embedder, faiss_kind)
    try:
        report = IngestReport()
        state = _State(store)
        batch: list[Article] = []
        for item in read_articles(paths, columns):
            if isinstance(item, Skipped):
                report.skipped.append(item)
                continue
            report.read += 1
            batch.append(item)
            if len(batch) >= batch_articles:
                _ingest_batch(store, state, batch, embedder, chunker, report)
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            _ingest_batch(store, state, batch, embedder, chunker, report)
            if progress:
                progress(len(batch))
        if not store.is_up_to_date():
            store.write_derived()
        report.seconds = time.perf_counter() - started
        return report
    finally:
        store.close()


def _require_paths(paths: Sequence[str | os.PathLike[str]]) -> None:
    """Raise InputNotFoundError naming every one of ``paths`` that does not exist."""
    missing = [str(p) for p in ([paths] if isinstance(paths, str | os.PathLike) else paths) if not Path(p).exists()]
    if len(missing) == 1:
        raise InputNotFoundError(f"no such file or directory: {missing[0]!r}; nothing was ingested. Check the path.")
    if missing:
        raise InputNotFoundError(
            f"{len(missing)} of the paths given do not exist: {', '.join(repr(m) for m in missing)}; "
            "nothing was ingested. Correct them or leave them out."
        )


class _State:
    """What the ingest keeps between batches: stored content hashes and the duplicate finder."""

    def __init__(self, store: IndexWriter) -> None:
        self.hashes = store.content_hashes()
        self.finder = DuplicateFinder()
        for article_id, blob in store.kept_signatures():
            self.finder.add(article_id, np.frombuffer(blob, dtype=np.uint64))


@dataclass
class _Planned:
    article: Article
    content_hash: str
    fingerprint: str
    signature: np.ndarray
    duplicate_of: str | None
    chunks: list[Chunk]
    keys: list[str]


def _decide(
    state: _State, article_id: str, digest: str, signature: Callable[[], np.ndarray], report: IngestReport
) -> tuple[np.ndarray, str | None] | None:
    """Judge one article in reading order: None when it is unchanged, else its signature and the kept
    article it duplicates (None when it is kept itself). ``state`` and ``report`` are updated.

    Every ingest, plain or on Ray, makes these judgements here, one article at a time in reading
    order, so the duplicate groups do not depend on how the other stages were spread."""
    previous = state.hashes.get(article_id)
    if previous == digest:
        report.unchanged += 1
        return None
    if previous is None:
        report.added += 1
    else:
        report.updated += 1
        state.finder.remove(article_id)
    computed = signature()
    kept = state.finder.find(computed)
    state.hashes[article_id] = digest
    if kept is not None and kept != article_id:
        report.duplicates += 1
        report.duplicate_pairs.append((article_id, kept))
        return computed, kept
    state.finder.add(article_id, computed)
    return computed, None


def _chunks_and_keys(article: Article, chunker: Chunker) -> tuple[list[Chunk], list[str]]:
    chunks = chunker.split(article.text)
    return chunks, [vector_key(embedding_text(article.title, c.text)) for c in chunks]


def _ingest_batch(
    store: IndexWriter,
    state: _State,
    batch: list[Article],
    embedder: _LazyEmbedder,
    chunker: Chunker,
    report: IngestReport,
) -> None:
    planned: list[_Planned] = []
    for article in batch:
        digest = content_hash(article)
        verdict = _decide(state, article.id, digest, partial(minhash_signature, article.text), report)
        if verdict is None:
            continue
        signature, duplicate_of = verdict
        chunks, keys = _chunks_and_keys(article, chunker) if duplicate_of is None else ([], [])
        planned.append(
            _Planned(article, digest, text_fingerprint(article.text), signature, duplicate_of, chunks, keys)
        )
    _write_batch(store, planned, lambda keys, texts: embedder().embed(texts), report)


def _write_batch(
    store: IndexWriter,
    planned: Sequence[_Planned],
    vectors_of: Callable[[list[str], list[str]], np.ndarray],
    report: IngestReport,
) -> None:
    """Write ``planned`` in one transaction. ``vectors_of(keys, texts)`` gives the vectors, ``(len(keys),
    dim)``, of the chunk texts whose vectors the index does not hold yet (each text once)."""
    if not planned:
        return
    texts_by_key: dict[str, str] = {}
    for p in planned:
        for c, k in zip(p.chunks, p.keys, strict=True):
            texts_by_key.setdefault(k, embedding_text(p.article.title, c.text))
    missing = sorted(set(texts_by_key) - store.known_vectors(texts_by_key))
    vectors = vectors_of(missing, [texts_by_key[k] for k in missing]) if missing else None
    with store.transaction():
        if vectors is not None:
            store.put_vectors(missing, vectors)
        for p in planned:
            store.put_article(p.article, p.content_hash, p.fingerprint, p.signature.tobytes(), p.duplicate_of)
            if p.duplicate_of is None:
                store.put_chunks(p.article.id, p.chunks, p.keys)
            else:
                # Whatever pointed at this article now points at the story it duplicates.
                store.set_duplicate_of([d.id for d in store.duplicates_of(p.article.id)], p.duplicate_of)
    report.embedded += len(missing)
    report.chunks += sum(len(p.chunks) for p in planned)


@dataclass
class DeleteReport:
    deleted: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    promoted: list[str] = field(default_factory=list)  # duplicates that became the kept copy


def delete(
    article_ids: Iterable[str],
    index_dir: str | os.PathLike[str],
    load_embedder: Callable[[], Embedder],
    chunker: Chunker,
) -> DeleteReport:
    """Delete articles by id, in one transaction. When a kept article had duplicates, the first of
    them takes its place (chunked and embedded), so the story stays findable."""
    ids = list(dict.fromkeys(article_ids))
    store = open_index(index_dir)
    embedder = _LazyEmbedder(load_embedder)
    report = DeleteReport()
    try:
        plans: list[tuple[Article, list[Chunk], list[str], list[str]]] = []
        for article_id in ids:
            stored = store.get(article_id)
            if stored is None:
                report.missing.append(article_id)
                continue
            report.deleted.append(article_id)
            if stored.duplicate_of is None:
                dups = [d for d in store.duplicates_of(article_id) if d.id not in ids]
                if dups:
                    heir = dups[0]
                    chunks = chunker.split(heir.text)
                    keys = [vector_key(embedding_text(heir.title, c.text)) for c in chunks]
                    plans.append((heir, chunks, keys, [d.id for d in dups[1:]]))
        texts = {k: embedding_text(h.title, c.text) for h, cs, ks, _ in plans for c, k in zip(cs, ks, strict=True)}
        missing = sorted(set(texts) - store.known_vectors(texts))
        vectors = embedder().embed([texts[k] for k in missing]) if missing else None
        with store.transaction():
            if vectors is not None:
                store.put_vectors(missing, vectors)
            for article_id in report.deleted:
                store.delete_article(article_id)
            for heir, chunks, keys, others in plans:
                store.set_duplicate_of([heir.id], None)
                store.put_chunks(heir.id, chunks, keys)
                store.set_duplicate_of(others, heir.id)
                report.promoted.append(heir.id)
        store.write_derived()
        return report
    finally:
        store.close()
