"""The index on disk: one directory you can inspect.

    DIR/manifest.json        schema version, model, dimension, counts, generation, current files
    DIR/store.sqlite         articles (with their duplicates), chunks, embeddings by content hash
    DIR/vectors-<gen>.faiss  FAISS index over chunk vectors, ids = chunk ids
    DIR/bm25-<gen>/          bm25s index over chunk texts (+ chunk_ids.npy)

SQLite is the source of truth (:mod:`index.schema`) and every change to it is one transaction that
also bumps the *generation*. The FAISS and BM25 files are derived from it (:mod:`index.derived`),
written under new names, and only then named in ``manifest.json`` (:mod:`index.manifest`), which
is replaced atomically. So a kill at any moment leaves either the old or the new manifest, both
pointing at complete files; when SQLite is ahead of the manifest (a kill between a committed batch
and the end of an ingest) the derived files are rebuilt from SQLite on load and on the next write.
Nothing is pickled.

:class:`IndexStore` is the one class to open, read and write such a directory with.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus.article import Article
from index import derived
from index.chunk import Chunk
from index.errors import IndexCorruptError, IndexNotFoundError
from index.facets import ChunkFacets
from index.lexical import LexicalIndex
from index.manifest import MANIFEST, Manifest, creation_interrupted, read_manifest
from index.schema import DATABASE, article_from_row, connect, create_tables, open_database
from index.vectors import FaissKind, VectorIndex

__all__ = ["ChunkRecord", "IndexStore", "Stats", "StoredArticle"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredArticle:
    """An article as stored, with what ingest needs to decide whether it changed."""

    article: Article
    content_hash: str
    duplicate_of: str | None


@dataclass(frozen=True)
class ChunkRecord:
    """A chunk joined with its article's metadata: what retrieval hands on."""

    id: int
    article_id: str
    ordinal: int
    start: int
    end: int
    text: str
    title: str | None
    source: str | None
    date: str | None
    url: str | None


@dataclass(frozen=True)
class Stats:
    articles: int
    duplicates: int
    chunks: int
    sources: tuple[tuple[str, int], ...]  # (source, kept articles), most first
    date_min: str | None
    date_max: str | None


class IndexStore:
    """An open index directory. :meth:`open` and :meth:`create` touch the disk; ``__init__`` does not."""

    def __init__(self, path: Path, db: sqlite3.Connection, manifest: Manifest) -> None:
        self.path = path
        self.db = db
        self.manifest = manifest

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | os.PathLike[str], model: str, dim: int, faiss_kind: FaissKind = "flat") -> IndexStore:
        """A new, empty index at ``path`` (created), ready to take articles."""
        root = Path(path)
        if creation_interrupted(root):
            # A kill while creating it left a database without metadata: nothing to keep.
            for leftover in (DATABASE, f"{DATABASE}-wal", f"{DATABASE}-shm"):
                (root / leftover).unlink(missing_ok=True)
        if (root / MANIFEST).exists() or (root / DATABASE).exists():
            raise FileExistsError(f"{root} already holds an index; open it instead.")
        root.mkdir(parents=True, exist_ok=True)
        db = connect(root / DATABASE)
        create_tables(db, model, dim, faiss_kind)
        store = cls(root, db, Manifest.empty(model, dim, faiss_kind))
        store.write_derived()
        return store

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> IndexStore:
        """Open an existing index; fails with a message naming the file when something is off."""
        root = Path(path)
        manifest_path, db_path = root / MANIFEST, root / DATABASE
        if not manifest_path.exists() and not db_path.exists():
            raise IndexNotFoundError(f"no index at {root}: build one with `newsqa ingest PATH... --index {root}`.")
        if not db_path.exists():
            raise IndexCorruptError(f"{db_path} is missing: the index cannot be used; rebuild it with `newsqa ingest`.")
        if creation_interrupted(root):
            raise IndexNotFoundError(
                f"the index at {root} was never finished (its creation was interrupted): run "
                f"`newsqa ingest PATH... --index {root}` again."
            )
        manifest = read_manifest(manifest_path) if manifest_path.exists() else None
        db, meta = open_database(db_path)
        if manifest is None:
            logger.warning("%s is missing; it will be rewritten from %s", manifest_path, db_path)
            manifest = Manifest.empty(meta.model, meta.dim, meta.faiss_kind, generation=-1)
        elif (manifest.model, manifest.dim, manifest.schema_version) != (meta.model, meta.dim, meta.schema_version):
            raise IndexCorruptError(
                f"{manifest_path} says model {manifest.model!r} / dimension {manifest.dim} but {db_path} says "
                f"{meta.model!r} / {meta.dim}: the files do not belong together. Rebuild the index."
            )
        return cls(root, db, manifest)

    def close(self) -> None:
        self.db.close()

    # -- reading -----------------------------------------------------------------------------

    @property
    def location(self) -> str:
        """Where the index is, as :func:`index.location.open_index` takes it."""
        return str(self.path)

    @property
    def search_generation(self) -> int:
        """The generation of the search files the manifest names."""
        return self.manifest.generation

    @property
    def model(self) -> str:
        return self._meta("model")

    @property
    def dim(self) -> int:
        return int(self._meta("dim"))

    @property
    def faiss_kind(self) -> FaissKind:
        kind = self._meta("faiss_kind")
        return kind if kind in ("flat", "hnsw", "ivfpq") else "flat"  # type: ignore[return-value]

    @property
    def generation(self) -> int:
        return int(self._meta("generation"))

    def _meta(self, key: str) -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise IndexCorruptError(f"{self.path / DATABASE} lacks {key!r} in its metadata; rebuild the index.")
        return str(row[0])

    def is_current(self) -> bool:
        """Whether the derived files named in the manifest reflect SQLite's last commit."""
        return self.manifest.generation == self.generation

    def is_complete(self) -> bool:
        """Whether the derived files hold all this version saves: an index written before whole
        articles were ranked lacks that ranking, one written before accents were folded has other
        tokens (``load_derived`` then builds them in memory)."""
        lexical_dir = self.manifest.lexical_dir
        return lexical_dir is None or self.manifest.chunks == 0 or LexicalIndex.saved_whole(self.path / lexical_dir)

    def is_up_to_date(self) -> bool:
        """Whether the derived files are current and complete: nothing for an ingest to rewrite."""
        return self.is_current() and self.is_complete()

    def get(self, article_id: str) -> StoredArticle | None:
        row = self.db.execute(
            "SELECT id, title, text, date, source, url, extra, content_hash, duplicate_of FROM articles WHERE id = ?",
            (article_id,),
        ).fetchone()
        if row is None:
            return None
        return StoredArticle(article_from_row(row), row[7], row[8])

    def article(self, article_id: str) -> Article | None:
        stored = self.get(article_id)
        return stored.article if stored else None

    def content_hashes(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT id, content_hash FROM articles").fetchall())

    def article_ids(self) -> list[str]:
        """The ids of the articles that are not duplicates, in order."""
        return [r[0] for r in self.db.execute("SELECT id FROM articles WHERE duplicate_of IS NULL ORDER BY id")]

    def kept_signatures(self) -> Iterator[tuple[str, bytes]]:
        """(article id, MinHash signature bytes) of every article that is not a duplicate."""
        yield from self.db.execute("SELECT id, signature FROM articles WHERE duplicate_of IS NULL")

    def chunk_ids_of(self, article_ids: Sequence[str]) -> dict[str, list[int]]:
        """The chunk ids of each of those articles (an unknown id gets none)."""
        out: dict[str, list[int]] = {a: [] for a in article_ids}
        wanted = list(out)
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            rows = self.db.execute(
                f"SELECT article_id, id FROM chunks WHERE article_id IN ({','.join('?' * len(part))}) ORDER BY id", part
            )
            for article_id, chunk_id in rows:
                out[article_id].append(chunk_id)
        return out

    def chunk_dates(self, chunk_ids: Sequence[int]) -> dict[int, str | None]:
        """The publication date of each chunk's article (None when undated; unknown ids are left out)."""
        out: dict[int, str | None] = {}
        for i in range(0, len(chunk_ids), 500):
            part = list(chunk_ids[i : i + 500])
            rows = self.db.execute(
                f"SELECT c.id, a.date FROM chunks c JOIN articles a ON a.id = c.article_id "
                f"WHERE c.id IN ({','.join('?' * len(part))})",
                part,
            )
            out.update(rows)
        return out

    def duplicates_of(self, article_id: str) -> list[Article]:
        rows = self.db.execute(
            "SELECT id, title, text, date, source, url, extra FROM articles WHERE duplicate_of = ? ORDER BY id",
            (article_id,),
        ).fetchall()
        return [article_from_row(r) for r in rows]

    def known_vectors(self, hashes: Iterable[str]) -> set[str]:
        wanted = list(set(hashes))
        found: set[str] = set()
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            marks = ",".join("?" * len(part))
            found.update(r[0] for r in self.db.execute(f"SELECT hash FROM vectors WHERE hash IN ({marks})", part))
        return found

    def chunks(self, chunk_ids: Sequence[int]) -> list[ChunkRecord]:
        """The chunks with those ids, in the order asked (unknown ids are left out)."""
        if not chunk_ids:
            return []
        marks = ",".join("?" * len(chunk_ids))
        # The last column says whether the chunk still slices its article (SQLite's substr counts
        # characters, as Python does): citations are offsets into the article, so a chunk that
        # does not is damage to report, not text to quote.
        rows = self.db.execute(
            f'SELECT c.id, c.article_id, c.ordinal, c.start, c."end", c.text, a.title, a.source, a.date, a.url, '
            f'substr(a.text, c.start + 1, c."end" - c.start) = c.text '
            f"FROM chunks c JOIN articles a ON a.id = c.article_id WHERE c.id IN ({marks})",
            list(chunk_ids),
        ).fetchall()
        for r in rows:
            if not r[-1]:
                raise IndexCorruptError(
                    f"{self.path / DATABASE}: chunk {r[0]} no longer matches the text of article {r[1]!r} (altered "
                    "or damaged). Rebuild the index with `newsqa ingest` into a new directory."
                )
        by_id = {r[0]: ChunkRecord(*r[:-1]) for r in rows}
        return [by_id[i] for i in chunk_ids if i in by_id]

    def chunk_facets(self, chunk_ids: np.ndarray) -> ChunkFacets:
        """The date and source of each of ``chunk_ids``' articles, row for row, read in one pass
        (a chunk the database no longer holds gets neither, and so matches no filter)."""
        of = {r[0]: (r[1], r[2]) for r in self.db.execute(
            "SELECT c.id, a.date, a.source FROM chunks c JOIN articles a ON a.id = c.article_id"
        )}
        ids = np.asarray(chunk_ids, dtype=np.int64)
        facts = [of.get(c, (None, None)) for c in ids.tolist()]
        dates, sources = [d for d, _ in facts], [s for _, s in facts]
        return ChunkFacets.from_columns(ids, dates, sources)

    def stats(self) -> Stats:
        one = self.db.execute
        articles = one("SELECT COUNT(*) FROM articles WHERE duplicate_of IS NULL").fetchone()[0]
        duplicates = one("SELECT COUNT(*) FROM articles WHERE duplicate_of IS NOT NULL").fetchone()[0]
        chunks = one("SELECT COUNT(*) FROM chunks").fetchone()[0]
        sources = one(
            "SELECT COALESCE(source, ''), COUNT(*) FROM articles WHERE duplicate_of IS NULL "
            "GROUP BY source ORDER BY COUNT(*) DESC, source"
        ).fetchall()
        dmin, dmax = one(
            "SELECT MIN(substr(date, 1, 10)), MAX(substr(date, 1, 10)) FROM articles WHERE date IS NOT NULL"
        ).fetchone()
        return Stats(articles, duplicates, chunks, tuple((s, n) for s, n in sources), dmin, dmax)

    def all_chunk_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, vectors) of every chunk, ordered by chunk id."""
        rows = self.db.execute(
            "SELECT c.id, v.vector FROM chunks c JOIN vectors v ON v.hash = c.vector_hash ORDER BY c.id"
        ).fetchall()
        n_chunks = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        if len(rows) != n_chunks:
            raise IndexCorruptError(
                f"{self.path / DATABASE}: {n_chunks - len(rows)} chunks have no stored vector; rebuild the index."
            )
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vectors = np.zeros((len(rows), self.dim), dtype=np.float32)
        for i, (_, blob) in enumerate(rows):
            vectors[i] = np.frombuffer(blob, dtype=np.float32)
        return ids, vectors

    def all_chunk_texts(self) -> tuple[list[int], list[str]]:
        """(chunk ids, text for BM25: the article's title, then the chunk), ordered by chunk id."""
        rows = self.db.execute(
            "SELECT c.id, COALESCE(a.title, ''), c.text FROM chunks c JOIN articles a ON a.id = c.article_id "
            "ORDER BY c.id"
        ).fetchall()
        return [r[0] for r in rows], [f"{t}\n{x}" if t else x for _, t, x in rows]

    def all_article_texts(self) -> tuple[list[int], list[str]]:
        """For each chunk, ordered by chunk id, the number of its article; and the text for BM25 of
        each of those articles (title, then text), in that numbering."""
        owners = [r[0] for r in self.db.execute("SELECT article_id FROM chunks ORDER BY id")]
        rows = self.db.execute(
            "SELECT id, COALESCE(title, ''), text FROM articles WHERE id IN (SELECT article_id FROM chunks) ORDER BY id"
        ).fetchall()
        number = {article_id: i for i, (article_id, _, _) in enumerate(rows)}
        return [number[a] for a in owners], [f"{t}\n{x}" if t else x for _, t, x in rows]

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one commit of the database, whatever other processes commit meanwhile."""
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.execute("COMMIT")

    # -- writing -----------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic change: everything inside commits together, with a new generation, or not at all."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            yield
            self.db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

    def put_article(
        self, article: Article, content_hash: str, fingerprint: str, signature: bytes, duplicate_of: str | None
    ) -> None:
        self.delete_article(article.id)
        self.db.execute(
            "INSERT INTO articles"
            " (id, title, text, date, source, url, extra, content_hash, fingerprint, signature, duplicate_of)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (article.id, article.title, article.text, article.date, article.source, article.url,
             json.dumps(dict(article.extra), sort_keys=True), content_hash, fingerprint, signature, duplicate_of),
        )

    def set_duplicate_of(self, article_ids: Sequence[str], kept: str | None) -> None:
        self.db.executemany("UPDATE articles SET duplicate_of = ? WHERE id = ?", [(kept, a) for a in article_ids])

    def put_chunks(self, article_id: str, chunks: Sequence[Chunk], vector_hashes: Sequence[str]) -> None:
        self.db.executemany(
            'INSERT INTO chunks (article_id, ordinal, start, "end", text, vector_hash) VALUES (?, ?, ?, ?, ?, ?)',
            [(article_id, c.ordinal, c.start, c.end, c.text, h) for c, h in zip(chunks, vector_hashes, strict=True)],
        )

    def put_vectors(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        if vectors.shape != (len(hashes), self.dim):
            raise ValueError(f"expected vectors of shape ({len(hashes)}, {self.dim}), got {vectors.shape}")
        self.db.executemany(
            "INSERT OR IGNORE INTO vectors (hash, vector) VALUES (?, ?)",
            [(h, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for h, v in zip(hashes, vectors, strict=True)],
        )

    def delete_article(self, article_id: str) -> bool:
        """Remove an article and its chunks (not its duplicates: the caller decides about those)."""
        self.db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
        return self.db.execute("DELETE FROM articles WHERE id = ?", (article_id,)).rowcount > 0

    def write_derived(self) -> Manifest:
        """Rebuild the FAISS and BM25 files from SQLite and publish them with a new manifest.

        New files get new names; the manifest is replaced atomically last; files no manifest names
        any more are removed after that (see :mod:`index.derived`).
        """
        self.manifest = derived.write_derived(self)
        derived.remove_stale_files(self.path, self.manifest)
        return self.manifest

    # -- derived files, for searching --------------------------------------------------------

    def load_search(self) -> tuple[VectorIndex, LexicalIndex]:
        """What searching needs: :meth:`load_derived`'s files, with each chunk's date and source
        (:meth:`chunk_facets`) so that a filtered search needs no query of the database."""
        vectors, lexical = self.load_derived()
        facets = self.chunk_facets(lexical.chunk_ids)
        return VectorIndex(vectors, facets), lexical.with_facets(facets)  # type: ignore[arg-type]  # a faiss.Index

    def load_derived(self) -> tuple[object, LexicalIndex]:
        """The FAISS index and the BM25 index the manifest names, or rebuilt in memory from SQLite
        when the manifest lags behind it (an interrupted ingest) — the next write persists them."""
        return derived.load_derived(self)
