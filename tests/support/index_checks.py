"""What a loadable index must hold, checked from the outside; shared by the reliability tests and
``scripts/kill_trials.py``.

``check_consistent`` opens the index as ``Assistant.load`` does and compares every view of it:
SQLite rows, the FAISS file's ids, the BM25 files' ids and the manifest's counts. ``snapshot`` is
the index's content without its generation-dependent names, to compare an interrupted-then-resumed
index with one built in one go.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from index.manifest import MANIFEST
from index.schema import DATABASE
from index.store import IndexStore


@dataclass(frozen=True)
class Counts:
    articles: int  # kept articles (not duplicates)
    duplicates: int
    chunks: int


@dataclass(frozen=True)
class Snapshot:
    """The content of an index: articles with their content hash and what they duplicate, and chunks
    by article, position and embedded text; chunk ids and file names left out."""

    articles: tuple[tuple[str, str, str | None], ...]
    chunks: tuple[tuple[str, int, int, int, str], ...]


def index_exists(index_dir: Path) -> bool:
    return (index_dir / MANIFEST).exists() or (index_dir / DATABASE).exists()


def check_consistent(index_dir: Path) -> Counts:
    """Raise AssertionError (or the index's own error) unless every view of the index agrees."""
    store = IndexStore.open(index_dir)
    try:
        db = store.db
        kept = {r[0] for r in db.execute("SELECT id FROM articles WHERE duplicate_of IS NULL")}
        n_dups = db.execute("SELECT COUNT(*) FROM articles WHERE duplicate_of IS NOT NULL").fetchone()[0]
        with_chunks = {r[0] for r in db.execute("SELECT DISTINCT article_id FROM chunks")}
        assert with_chunks == kept, (
            f"kept articles without chunks: {sorted(kept - with_chunks)[:5]}, "
            f"chunks of unknown or duplicate articles: {sorted(with_chunks - kept)[:5]}"
        )
        twice = db.execute(
            "SELECT COUNT(*) FROM (SELECT article_id, ordinal FROM chunks GROUP BY 1, 2 HAVING COUNT(*) > 1)"
        )
        assert twice.fetchone()[0] == 0, "a chunk is stored twice"
        dangling = db.execute(
            "SELECT COUNT(*) FROM articles WHERE duplicate_of IS NOT NULL AND duplicate_of NOT IN "
            "(SELECT id FROM articles WHERE duplicate_of IS NULL)"
        ).fetchone()[0]
        assert dangling == 0, "a duplicate points at an article that is not kept"
        texts = {}
        for aid, start, end, text in db.execute('SELECT article_id, start, "end", text FROM chunks'):
            if aid not in texts:
                texts[aid] = store.article(aid).text  # type: ignore[union-attr]
            assert texts[aid][start:end] == text, f"chunk of {aid} at {start}:{end} does not slice its article"
        chunk_ids = np.array(sorted(r[0] for r in db.execute("SELECT id FROM chunks")), dtype=np.int64)
        no_vector = db.execute("SELECT COUNT(*) FROM chunks WHERE vector_hash NOT IN (SELECT hash FROM vectors)")
        assert no_vector.fetchone()[0] == 0, "a chunk has no stored vector"

        vectors, lexical = store.load_derived()
        assert vectors.ntotal == len(chunk_ids), f"FAISS holds {vectors.ntotal} vectors for {len(chunk_ids)} chunks"  # type: ignore[attr-defined]
        if len(chunk_ids):
            faiss_ids = np.sort(faiss.vector_to_array(vectors.id_map)) if hasattr(vectors, "id_map") else chunk_ids  # type: ignore[attr-defined]
            assert np.array_equal(faiss_ids, chunk_ids), "FAISS ids are not the chunk ids"
        assert np.array_equal(np.sort(lexical.chunk_ids), chunk_ids), "BM25 rows are not the chunk ids"
        if store.is_current():
            m = store.manifest
            in_sqlite = (len(kept), n_dups, len(chunk_ids))
            in_manifest = (m.articles, m.duplicates, m.chunks)
            assert in_manifest == in_sqlite, f"manifest counts {in_manifest} != SQLite {in_sqlite}"
            assert m.vectors_file and (index_dir / m.vectors_file).is_file()
            assert m.lexical_dir and (index_dir / m.lexical_dir).is_dir()
            on_disk = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
            assert on_disk["generation"] == store.generation
        return Counts(len(kept), n_dups, len(chunk_ids))
    finally:
        store.close()


def snapshot(index_dir: Path) -> Snapshot:
    store = IndexStore.open(index_dir)
    try:
        articles = tuple(store.db.execute("SELECT id, content_hash, duplicate_of FROM articles ORDER BY id").fetchall())
        chunks = tuple(
            store.db.execute(
                'SELECT article_id, ordinal, start, "end", vector_hash FROM chunks ORDER BY article_id, ordinal'
            ).fetchall()
        )
        return Snapshot(articles, chunks)
    finally:
        store.close()
