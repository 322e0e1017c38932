"""The index on disk: one directory you can inspect.

    DIR/manifest.json        schema version, model, dimension, counts, generation, current files
    DIR/store.sqlite         articles (with their duplicates), chunks, embeddings by content hash
    DIR/vectors-<gen>.faiss  FAISS index over chunk vectors, ids = chunk ids
    DIR/bm25-<gen>/          bm25s index over chunk texts (+ chunk_ids.npy)

SQLite is the source of truth and every change to it is one transaction that also bumps the
*generation*. The FAISS and BM25 files are derived from it, written under new names, and only then
named in ``manifest.json``, which is replaced atomically. So a kill at any moment leaves either the
old or the new manifest, both pointing at complete files; when SQLite is ahead of the manifest (a
kill between a committed batch and the end of an ingest) the derived files are rebuilt from SQLite
on load and on the next write. Nothing is pickled.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus.article import Article
from index.chunk import Chunk
from index.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError
from index.facets import ChunkFacets
from index.lexical import LexicalIndex
from index.vectors import FaissKind, VectorIndex, build_faiss, read_faiss, write_faiss

__all__ = ["SCHEMA_VERSION", "ChunkRecord", "IndexStore", "Manifest", "StoredArticle", "creation_interrupted"]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "store.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    title TEXT, text TEXT NOT NULL, date TEXT, source TEXT, url TEXT, extra TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    signature BLOB NOT NULL,
    duplicate_of TEXT
);
CREATE INDEX IF NOT EXISTS articles_duplicate_of ON articles (duplicate_of);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    vector_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks (article_id);
CREATE TABLE IF NOT EXISTS vectors (hash TEXT PRIMARY KEY, vector BLOB NOT NULL);
"""


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` holds; ``load`` compares it with SQLite and the files it names."""

    schema_version: int
    model: str
    dim: int
    faiss_kind: str
    generation: int
    articles: int
    duplicates: int
    chunks: int
    vectors_file: str | None
    lexical_dir: str | None
    updated: str

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True) + "\n"


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
        db = _connect(root / DATABASE)
        # Tables and metadata in one transaction, so a kill leaves all of them or none.
        db.execute("BEGIN IMMEDIATE")
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
        db.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [("schema_version", str(SCHEMA_VERSION)), ("model", model), ("dim", str(dim)),
             ("faiss_kind", faiss_kind), ("generation", "0")],
        )
        db.execute("COMMIT")
        store = cls(root, db, _empty_manifest(model, dim, faiss_kind))
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
        manifest = _read_manifest(manifest_path) if manifest_path.exists() else None
        try:
            db = _connect(db_path)
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
            for table in ("articles", "chunks", "vectors"):
                db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(
                f"{db_path} is damaged ({exc}): the index cannot be read. Restore it from a backup or "
                "rebuild the index with `newsqa ingest` into a new directory."
            ) from exc
        try:
            version = int(meta["schema_version"])
            model, dim, kind = meta["model"], int(meta["dim"]), meta.get("faiss_kind", "flat")
        except (KeyError, ValueError) as exc:
            raise IndexCorruptError(f"{db_path} lacks its metadata ({exc}); rebuild the index.") from exc
        if version != SCHEMA_VERSION:
            raise IndexMismatchError(
                f"{root} has index schema {version}; this version reads schema {SCHEMA_VERSION}. Rebuild the index."
            )
        if manifest is None:
            logger.warning("%s is missing; it will be rewritten from %s", manifest_path, db_path)
            manifest = _empty_manifest(model, dim, kind, generation=-1)
        elif (manifest.model, manifest.dim, manifest.schema_version) != (model, dim, version):
            raise IndexCorruptError(
                f"{manifest_path} says model {manifest.model!r} / dimension {manifest.dim} but {db_path} says "
                f"{model!r} / {dim}: the files do not belong together. Rebuild the index."
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
        return StoredArticle(_article(row), row[7], row[8])

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
        return [_article(r) for r in rows]

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
    def _snapshot(self) -> Iterator[None]:
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
        any more are removed after that.
        """
        with self._snapshot():  # one consistent view even while another process commits
            generation = self.generation
            ids, vectors = self.all_chunk_vectors()
            chunk_ids, texts = self.all_chunk_texts()
            article_of, articles = self.all_article_texts()
            stats = self.stats()
        vectors_file = f"vectors-{generation}.faiss"
        lexical_dir = f"bm25-{generation}"
        if lexical_dir == self.manifest.lexical_dir:
            # completing this generation's files (see is_complete): the folder in use stays whole
            # until the new manifest names another
            lexical_dir = f"bm25-{generation}-{time.time_ns()}"
        index = build_faiss(ids, vectors if len(vectors) else np.zeros((0, self.dim), np.float32), self.faiss_kind)
        tmp_vectors = self.path / f".{vectors_file}.tmp"
        write_faiss(index, tmp_vectors)
        _fsync_file(tmp_vectors)
        os.replace(tmp_vectors, self.path / vectors_file)
        tmp_lexical = self.path / f".{lexical_dir}.tmp"
        shutil.rmtree(tmp_lexical, ignore_errors=True)
        LexicalIndex.build(chunk_ids, texts).with_articles(article_of, articles).save(tmp_lexical)
        for f in tmp_lexical.rglob("*"):
            if f.is_file():
                _fsync_file(f)
        shutil.rmtree(self.path / lexical_dir, ignore_errors=True)
        os.replace(tmp_lexical, self.path / lexical_dir)
        manifest = Manifest(
            schema_version=SCHEMA_VERSION, model=self.model, dim=self.dim, faiss_kind=self.faiss_kind,
            generation=generation, articles=stats.articles, duplicates=stats.duplicates, chunks=stats.chunks,
            vectors_file=vectors_file, lexical_dir=lexical_dir,
            updated=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
        _atomic_write(self.path / MANIFEST, manifest.to_json())
        self.manifest = manifest
        self._remove_stale_files()
        return manifest

    def _remove_stale_files(self) -> None:
        keep = {self.manifest.vectors_file, self.manifest.lexical_dir, MANIFEST, DATABASE}
        for entry in self.path.iterdir():
            stale = entry.name.startswith(("vectors-", "bm25-", ".vectors-", ".bm25-", ".manifest"))
            if stale and entry.name not in keep:
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)

    # -- derived files, for searching --------------------------------------------------------

    def _lexical_from_database(self) -> LexicalIndex:
        """The BM25 index of the chunks and of whole articles, built in memory from SQLite."""
        chunk_ids, texts = self.all_chunk_texts()
        return LexicalIndex.build(chunk_ids, texts).with_articles(*self.all_article_texts())

    def load_search(self) -> tuple[VectorIndex, LexicalIndex]:
        """What searching needs: :meth:`load_derived`'s files, with each chunk's date and source
        (:meth:`chunk_facets`) so that a filtered search needs no query of the database."""
        vectors, lexical = self.load_derived()
        facets = self.chunk_facets(lexical.chunk_ids)
        return VectorIndex(vectors, facets), lexical.with_facets(facets)  # type: ignore[arg-type]  # a faiss.Index

    def load_derived(self) -> tuple[object, LexicalIndex]:
        """The FAISS index and the BM25 index the manifest names, or rebuilt in memory from SQLite
        when the manifest lags behind it (an interrupted ingest) — the next write persists them."""
        if not self.is_current() or self.manifest.vectors_file is None or self.manifest.lexical_dir is None:
            logger.warning(
                "%s: the search files lag behind the database (interrupted ingest?); rebuilding them in memory",
                self.path,
            )
            with self._snapshot():
                ids, vectors = self.all_chunk_vectors()
                lexical = self._lexical_from_database()
            return build_faiss(ids, vectors, self.faiss_kind), lexical
        vectors_path = self.path / self.manifest.vectors_file
        lexical_path = self.path / self.manifest.lexical_dir
        try:
            index = read_faiss(vectors_path)
        except Exception as exc:  # faiss raises RuntimeError for any unreadable file
            raise IndexCorruptError(
                f"{vectors_path} is unreadable ({str(exc).splitlines()[0] if str(exc) else exc}). "
                f"Delete it and {self.path / MANIFEST}, then run `newsqa ingest` again to rebuild it from {DATABASE}."
            ) from exc
        if index.ntotal != self.manifest.chunks or (index.ntotal and index.d != self.dim):
            raise IndexCorruptError(
                f"{vectors_path} holds {index.ntotal} vectors of dimension {index.d}; the manifest expects "
                f"{self.manifest.chunks} of {self.dim}. Delete it and {MANIFEST}, then run `newsqa ingest` to rebuild."
            )
        try:
            lexical = LexicalIndex.load(lexical_path)
        except Exception as exc:  # bm25s/numpy/json raise many kinds of errors for damaged files
            raise IndexCorruptError(
                f"{lexical_path} is unreadable ({exc}). Delete it and {self.path / MANIFEST}, then run "
                f"`newsqa ingest` again to rebuild it from {DATABASE}."
            ) from exc
        if len(lexical) != self.manifest.chunks:
            raise IndexCorruptError(
                f"{lexical_path} holds {len(lexical)} chunks, the manifest {self.manifest.chunks}; rebuild it."
            )
        if not lexical.is_current:
            # saved before accents were folded: tokenized anew in memory (11 s for 4,831
            # articles) until the next ingest writes the files anew
            logger.info(
                "%s: the BM25 files keep accents (“Kīlauea” is not “Kilauea”); rebuilding them in memory. "
                "`newsqa ingest` on this index saves that",
                self.path,
            )
            with self._snapshot():
                lexical = self._lexical_from_database()
        elif not lexical.ranks_articles:
            # saved before articles were ranked as a whole: ranked in memory (a few seconds for
            # 5,000 articles) until the next ingest writes the files anew
            logger.info("%s: ranking whole articles in memory; `newsqa ingest` on this index saves that", self.path)
            with self._snapshot():
                lexical = lexical.with_articles(*self.all_article_texts())
        return index, lexical


def creation_interrupted(root: Path) -> bool:
    """Whether ``root`` holds a database that a kill left half-created: no manifest, no metadata,
    no articles. Such a directory holds nothing and ``create`` may start over in it."""
    db_path = root / DATABASE
    if (root / MANIFEST).exists() or not db_path.exists():
        return False
    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" in tables and db.execute("SELECT 1 FROM meta WHERE key = 'model'").fetchone():
            return False
        return "articles" not in tables or db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 0
    except sqlite3.Error:
        return False  # unreadable: that is damage, which ``open`` reports
    finally:
        db.close()


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=60)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    return db


def _article(row: Sequence[object]) -> Article:
    extra = tuple(sorted(json.loads(str(row[6])).items())) if row[6] else ()
    return Article(id=str(row[0]), title=row[1], text=str(row[2]), date=row[3], source=row[4], url=row[5], extra=extra)  # type: ignore[arg-type]


def _empty_manifest(model: str, dim: int, kind: str, generation: int = 0) -> Manifest:
    return Manifest(SCHEMA_VERSION, model, dim, kind, generation, 0, 0, 0, None, None, "")


def _read_manifest(path: Path) -> Manifest:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(**{k: data[k] for k in Manifest.__dataclass_fields__})
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise IndexCorruptError(
            f"{path} is unreadable or incomplete ({exc!r}). Delete it and run `newsqa ingest` on the index to "
            f"rewrite it from {DATABASE}."
        ) from exc


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
