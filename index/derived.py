"""The search files of a local index, derived from its database:

    vectors-<gen>.faiss   FAISS index over the chunk vectors, ids = chunk ids
    bm25-<gen>/           bm25s index over the chunk texts and whole articles (+ chunk_ids.npy)

:func:`write_derived` builds both from one consistent read of SQLite, writes each under a
temporary name, fsyncs and renames it, and only then names them in a new manifest
(:mod:`index.manifest`); :func:`remove_stale_files` then removes what no manifest names.

:func:`load_derived` reads the files the manifest names and checks them against it. What they lack
is built in memory from SQLite until the next write saves it: everything when the manifest lags
behind the database (a kill between a committed batch and the end of an ingest), the BM25 index
when it was saved before accents were folded, the ranking of whole articles when it was saved
before articles were ranked.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.errors import IndexCorruptError
from index.lexical import LexicalIndex
from index.manifest import MANIFEST, Manifest, fsync_path, write_manifest
from index.schema import DATABASE, SCHEMA_VERSION
from index.vectors import build_faiss, read_faiss, write_faiss

if TYPE_CHECKING:
    from index.store import IndexStore

__all__ = ["load_derived", "remove_stale_files", "write_derived"]

logger = logging.getLogger(__name__)


def write_derived(store: IndexStore) -> Manifest:
    """Build the FAISS and BM25 files from ``store``'s database and publish them: the new manifest,
    already written. New files get new names; the manifest is replaced atomically last."""
    with store.snapshot():  # one consistent view even while another process commits
        generation = store.generation
        ids, vectors = store.all_chunk_vectors()
        chunk_ids, texts = store.all_chunk_texts()
        article_of, articles = store.all_article_texts()
        stats = store.stats()
    root = store.path
    vectors_file = f"vectors-{generation}.faiss"
    lexical_dir = f"bm25-{generation}"
    if lexical_dir == store.manifest.lexical_dir:
        # completing this generation's files (see IndexStore.is_complete): the folder in use stays
        # whole until the new manifest names another
        lexical_dir = f"bm25-{generation}-{time.time_ns()}"
    index = build_faiss(ids, vectors if len(vectors) else np.zeros((0, store.dim), np.float32), store.faiss_kind)
    tmp_vectors = root / f".{vectors_file}.tmp"
    write_faiss(index, tmp_vectors)
    fsync_path(tmp_vectors)
    os.replace(tmp_vectors, root / vectors_file)
    tmp_lexical = root / f".{lexical_dir}.tmp"
    shutil.rmtree(tmp_lexical, ignore_errors=True)
    LexicalIndex.build(chunk_ids, texts).with_articles(article_of, articles).save(tmp_lexical)
    for f in tmp_lexical.rglob("*"):
        if f.is_file():
            fsync_path(f)
    shutil.rmtree(root / lexical_dir, ignore_errors=True)
    os.replace(tmp_lexical, root / lexical_dir)
    manifest = Manifest(
        schema_version=SCHEMA_VERSION, model=store.model, dim=store.dim, faiss_kind=store.faiss_kind,
        generation=generation, articles=stats.articles, duplicates=stats.duplicates, chunks=stats.chunks,
        vectors_file=vectors_file, lexical_dir=lexical_dir,
        updated=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )
    write_manifest(root / MANIFEST, manifest)
    return manifest


def remove_stale_files(root: Path, manifest: Manifest) -> None:
    """Remove the search files, and temporary files, in ``root`` that ``manifest`` does not name."""
    keep = {manifest.vectors_file, manifest.lexical_dir, MANIFEST, DATABASE}
    for entry in root.iterdir():
        stale = entry.name.startswith(("vectors-", "bm25-", ".vectors-", ".bm25-", ".manifest"))
        if stale and entry.name not in keep:
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def load_derived(store: IndexStore) -> tuple[object, LexicalIndex]:
    """The FAISS index and the BM25 index ``store``'s manifest names, or built in memory from SQLite
    when the manifest lags behind it (an interrupted ingest) — the next write persists them."""
    manifest, root = store.manifest, store.path
    if not store.is_current() or manifest.vectors_file is None or manifest.lexical_dir is None:
        logger.warning(
            "%s: the search files lag behind the database (interrupted ingest?); rebuilding them in memory", root
        )
        with store.snapshot():
            ids, vectors = store.all_chunk_vectors()
            lexical = _lexical_from_database(store)
        return build_faiss(ids, vectors, store.faiss_kind), lexical
    vectors_path = root / manifest.vectors_file
    lexical_path = root / manifest.lexical_dir
    try:
        index = read_faiss(vectors_path)
    except Exception as exc:  # faiss raises RuntimeError for any unreadable file
        raise IndexCorruptError(
            f"{vectors_path} is unreadable ({str(exc).splitlines()[0] if str(exc) else exc}). "
            f"Delete it and {root / MANIFEST}, then run `newsqa ingest` again to rebuild it from {DATABASE}."
        ) from exc
    if index.ntotal != manifest.chunks or (index.ntotal and index.d != store.dim):
        raise IndexCorruptError(
            f"{vectors_path} holds {index.ntotal} vectors of dimension {index.d}; the manifest expects "
            f"{manifest.chunks} of {store.dim}. Delete it and {MANIFEST}, then run `newsqa ingest` to rebuild."
        )
    try:
        lexical = LexicalIndex.load(lexical_path)
    except Exception as exc:  # bm25s/numpy/json raise many kinds of errors for damaged files
        raise IndexCorruptError(
            f"{lexical_path} is unreadable ({exc}). Delete it and {root / MANIFEST}, then run "
            f"`newsqa ingest` again to rebuild it from {DATABASE}."
        ) from exc
    if len(lexical) != manifest.chunks:
        raise IndexCorruptError(
            f"{lexical_path} holds {len(lexical)} chunks, the manifest {manifest.chunks}; rebuild it."
        )
    if not lexical.is_current:
        # saved before accents were folded: tokenized anew in memory (11 s for 4,831
        # articles) until the next ingest writes the files anew
        logger.info(
            "%s: the BM25 files keep accents (“Kīlauea” is not “Kilauea”); rebuilding them in memory. "
            "`newsqa ingest` on this index saves that",
            root,
        )
        with store.snapshot():
            lexical = _lexical_from_database(store)
    elif not lexical.ranks_articles:
        # saved before articles were ranked as a whole: ranked in memory (a few seconds for
        # 5,000 articles) until the next ingest writes the files anew
        logger.info("%s: ranking whole articles in memory; `newsqa ingest` on this index saves that", root)
        with store.snapshot():
            lexical = lexical.with_articles(*store.all_article_texts())
    return index, lexical


def _lexical_from_database(store: IndexStore) -> LexicalIndex:
    """The BM25 index of the chunks and of whole articles, built in memory from SQLite."""
    chunk_ids, texts = store.all_chunk_texts()
    return LexicalIndex.build(chunk_ids, texts).with_articles(*store.all_article_texts())
