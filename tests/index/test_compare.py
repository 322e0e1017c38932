"""index.compare: what tells an index from another, as the Ray checks rely on it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tests_support import DEMO

from index.chunk import Chunker
from index.compare import compare, index_contents
from index.embed import HashingEmbedder
from index.ingest import ingest

MODEL = "hashing-32"


def _ingest(tmp_path: Path, name: str, rows: list[dict[str, object]], dim: int = 32) -> Path:
    corpus = tmp_path / f"{name}.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    ingest([corpus], tmp_path / name, lambda: HashingEmbedder(dim=dim), MODEL, Chunker(30, 5))
    return tmp_path / name


@pytest.fixture(scope="module")
def rows() -> list[dict[str, object]]:
    lines = DEMO.read_text(encoding="utf-8").splitlines()[:12]
    return [json.loads(line) for line in lines]


def test_the_same_corpus_ingested_twice_is_the_same_index(tmp_path: Path, rows: list[dict[str, object]]) -> None:
    a, b = index_contents(_ingest(tmp_path, "a", rows)), index_contents(_ingest(tmp_path, "b", rows))
    result = compare(a, b)
    assert result.same(0.9999)
    assert len(a.articles) == 12 and a.duplicates == 0
    assert len(result.cosines) == len(a.chunks) > 12
    assert np.allclose(result.cosines, 1.0)


def test_an_edited_article_and_a_copy_are_told_apart(tmp_path: Path, rows: list[dict[str, object]]) -> None:
    plain = index_contents(_ingest(tmp_path, "plain", rows))
    edited = [dict(r) for r in rows]
    edited[3]["text"] = str(edited[3]["text"]).replace(".", ";", 1)
    changed = compare(plain, index_contents(_ingest(tmp_path, "edited", edited)))
    assert not changed.same_articles and not changed.same_chunks and not changed.same(0.9999)
    copied = compare(plain, index_contents(_ingest(tmp_path, "copied", [*rows, {**rows[0], "id": "again"}])))
    assert not copied.same_articles  # one more article, a duplicate of the first
    assert copied.same_chunks  # a duplicate adds no chunks
    assert copied.vectors_within(0.9999) and not copied.same(0.9999)
