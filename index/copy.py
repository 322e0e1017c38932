"""Copy a local index into Milvus without embedding anything again: the stored vectors, chunks
(with their ids as keys) and duplicate groups are carried over as they are.

Batches of articles are written one transaction each, so the copy is resumable: run again, it
skips the articles whose content the destination already holds, copies the rest, and removes
the articles the source no longer has.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from index.chunk import Chunk
from index.location import is_milvus, open_or_create_index
from index.store import IndexStore

if TYPE_CHECKING:
    from index.milvus import MilvusStore

__all__ = ["CopyReport", "copy_index"]

logger = logging.getLogger(__name__)


@dataclass
class CopyReport:
    copied: int = 0  # articles written (duplicates included)
    unchanged: int = 0  # already there with the same content
    removed: int = 0  # in the destination, no longer in the source
    chunks: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"articles copied: {self.copied}  already there: {self.unchanged}  removed: {self.removed}\n"
            f"chunks written: {self.chunks}\nseconds: {self.seconds:.1f}"
        )


def copy_index(
    source: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    batch_articles: int = 256,
    progress: Callable[[int], None] | None = None,
    total: Callable[[int], None] | None = None,
) -> CopyReport:
    """Copy the local index at ``source`` into the Milvus location ``dest`` (created if absent;
    an existing one must have the same model). ``total`` is called once with the number of
    articles, ``progress`` with the number just handled."""
    if not is_milvus(dest):
        raise ValueError(f"{os.fspath(dest)} is not a Milvus location: give a path ending in .db or an http(s):// URI.")
    if batch_articles < 1:
        raise ValueError("batch_articles must be at least 1.")
    started = time.perf_counter()
    src = IndexStore.open(Path(source))
    try:
        kind = src.faiss_kind if src.faiss_kind in ("flat", "hnsw") else "flat"
        dst = cast("MilvusStore", open_or_create_index(dest, src.model, src.dim, kind))
        try:
            report = CopyReport()
            hashes = dict(src.db.execute("SELECT id, content_hash FROM articles ORDER BY id").fetchall())
            held = dst.content_hashes()
            todo = [a for a, h in hashes.items() if held.get(a) != h]
            gone = sorted(set(held) - set(hashes))
            report.unchanged = len(hashes) - len(todo)
            if total:
                total(len(hashes))
            if progress and report.unchanged:
                progress(report.unchanged)
            for i in range(0, len(todo), batch_articles):
                batch = todo[i : i + batch_articles]
                report.chunks += _copy_batch(src, dst, batch)
                report.copied += len(batch)
                if progress:
                    progress(len(batch))
            if gone:
                with dst.transaction():
                    for article_id in gone:
                        dst.delete_article(article_id)
                report.removed = len(gone)
            if not dst.is_up_to_date():
                dst.write_derived()
        finally:
            dst.close()
    finally:
        src.close()
    report.seconds = time.perf_counter() - started
    return report


def _copy_batch(src: IndexStore, dst: MilvusStore, article_ids: Sequence[str]) -> int:
    """Copy those articles and their chunks in one transaction; the number of chunks."""
    marks = ",".join("?" * len(article_ids))
    extras = {r[0]: (r[1], bytes(r[2])) for r in src.db.execute(
        f"SELECT id, fingerprint, signature FROM articles WHERE id IN ({marks})", list(article_ids)
    )}
    rows = src.db.execute(
        f'SELECT c.article_id, c.id, c.ordinal, c.start, c."end", c.text, c.vector_hash, v.vector '
        f"FROM chunks c JOIN vectors v ON v.hash = c.vector_hash WHERE c.article_id IN ({marks}) ORDER BY c.id",
        list(article_ids),
    ).fetchall()
    chunks: dict[str, list[tuple[int, Chunk, str]]] = {}
    vectors: dict[str, np.ndarray] = {}
    for article_id, key, ordinal, start, end, text, vector_hash, blob in rows:
        chunks.setdefault(article_id, []).append((key, Chunk(ordinal, start, end, text), vector_hash))
        vectors[vector_hash] = np.frombuffer(blob, dtype=np.float32)
    with dst.transaction():
        if vectors:
            dst.put_vectors(list(vectors), np.stack(list(vectors.values())))
        for article_id in article_ids:
            stored = src.get(article_id)
            if stored is None:  # deleted from the source meanwhile
                continue
            fingerprint, signature = extras[article_id]
            dst.put_article(stored.article, stored.content_hash, fingerprint, signature, stored.duplicate_of)
            if article_id in chunks:
                keys, parts, hashes = zip(*chunks[article_id], strict=True)
                dst.put_chunks(article_id, parts, hashes, keys=keys)
    return len(rows)
