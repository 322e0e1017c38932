"""The database of a local index, ``store.sqlite``: the source of truth its other files derive from.

    meta      key → value: schema_version, model, dim, faiss_kind, generation
    articles  every article read (duplicates too), its content hash, MinHash fingerprint and
              signature, and the kept article it duplicates (NULL when it is kept itself)
    chunks    the chunks of kept articles: character offsets into the article's text, and the
              hash of the text their vector was embedded from
    vectors   embedding vectors (float32 bytes) by that hash: a text is embedded once

The tables and the metadata are made in one transaction (:func:`create_tables`), so a kill leaves
all of them or none; :func:`is_unfinished` tells such a database from a damaged one. A database of
another :data:`SCHEMA_VERSION` is refused with a message to rebuild, never migrated in place.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from corpus.article import Article
from index.errors import IndexCorruptError, IndexMismatchError

__all__ = ["DATABASE", "SCHEMA", "SCHEMA_VERSION", "Metadata", "article_from_row", "connect", "create_tables",
           "is_unfinished", "open_database"]

SCHEMA_VERSION = 1
DATABASE = "store.sqlite"

SCHEMA = """
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
class Metadata:
    """What the ``meta`` table says the index was built with."""

    schema_version: int
    model: str
    dim: int
    faiss_kind: str


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), write-ahead logged and synced in full."""
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=60)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    return db


def create_tables(db: sqlite3.Connection, model: str, dim: int, faiss_kind: str) -> None:
    """Make the tables and write the metadata (generation 0), in one transaction."""
    db.execute("BEGIN IMMEDIATE")
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    db.executemany(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        [("schema_version", str(SCHEMA_VERSION)), ("model", model), ("dim", str(dim)),
         ("faiss_kind", faiss_kind), ("generation", "0")],
    )
    db.execute("COMMIT")


def open_database(db_path: Path) -> tuple[sqlite3.Connection, Metadata]:
    """Connect to an existing database and read its metadata; IndexCorruptError when it is
    damaged or lacks them, IndexMismatchError when it is of another schema version."""
    try:
        db = connect(db_path)
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
            f"{db_path.parent} has index schema {version}; this version reads schema {SCHEMA_VERSION}. "
            "Rebuild the index."
        )
    return db, Metadata(version, model, dim, kind)


def is_unfinished(db_path: Path) -> bool:
    """Whether the database at ``db_path`` is one a kill left half-created: no metadata and no
    articles. A database that cannot be read is not: that is damage, which :func:`open_database`
    reports."""
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
        return False
    finally:
        db.close()


def article_from_row(row: Sequence[object]) -> Article:
    """The article in a row of ``articles``: (id, title, text, date, source, url, extra, ...)."""
    extra = tuple(sorted(json.loads(str(row[6])).items())) if row[6] else ()
    return Article(id=str(row[0]), title=row[1], text=str(row[2]), date=row[3], source=row[4], url=row[5], extra=extra)  # type: ignore[arg-type]
