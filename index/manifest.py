"""``manifest.json``: what a local index has published, replaced atomically.

Every change to the database commits with a new *generation*. The search files for a generation
are written under new names (:mod:`index.derived`) and only then named in a new manifest, which is
written to a temporary file, fsynced and renamed over the old one, the directory fsynced after.
So a kill at any moment leaves the old manifest or the new, each naming complete files. An index
whose creation was killed before its first manifest holds an empty database and nothing else
(:func:`creation_interrupted`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from index.errors import IndexCorruptError
from index.schema import DATABASE, SCHEMA_VERSION, is_unfinished

__all__ = ["MANIFEST", "Manifest", "creation_interrupted", "fsync_path", "read_manifest", "write_manifest"]

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` holds; opening an index compares it with SQLite and the files it names."""

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

    @classmethod
    def empty(cls, model: str, dim: int, faiss_kind: str, generation: int = 0) -> Manifest:
        """A manifest naming no files: a new index's (generation 0), or the stand-in for a missing
        one (generation -1, behind any database, so that the search files are built anew)."""
        return cls(SCHEMA_VERSION, model, dim, faiss_kind, generation, 0, 0, 0, None, None, "")

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True) + "\n"


def read_manifest(path: Path) -> Manifest:
    """The manifest at ``path``; IndexCorruptError when it is unreadable or lacks a field."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(**{k: data[k] for k in Manifest.__dataclass_fields__})
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise IndexCorruptError(
            f"{path} is unreadable or incomplete ({exc!r}). Delete it and run `newsqa ingest` on the index to "
            f"rewrite it from {DATABASE}."
        ) from exc


def write_manifest(path: Path, manifest: Manifest) -> None:
    """Replace the manifest at ``path`` atomically and durably."""
    _atomic_write(path, manifest.to_json())


def creation_interrupted(root: Path) -> bool:
    """Whether ``root`` holds a database that a kill left half-created: no manifest, no metadata,
    no articles. Such a directory holds nothing and ``IndexStore.create`` may start over in it."""
    db_path = root / DATABASE
    if (root / MANIFEST).exists() or not db_path.exists():
        return False
    return is_unfinished(db_path)


def fsync_path(path: Path) -> None:
    """Flush a file, or a directory (the renames in it), to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_path(path.parent)
