"""Filtered search by each chunk's date and source arrays finds what filtering by the set of every
allowed chunk id (the SQL query it replaced) found, on tests/conftest.py's SMALL_CORPUS."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from index.chunk import Chunker
from index.embed import HashingEmbedder
from index.facets import ChunkFacets, ChunkFilter
from index.ingest import ingest
from index.lexical import LexicalIndex
from index.store import IndexStore
from index.vectors import VectorIndex, search_faiss

FILTERS = [
    ChunkFilter(date_from="2021-01-01"),
    ChunkFilter(date_to="2021-03-02"),  # inclusive: a1 is dated that day
    ChunkFilter(date_from="2021-03-02", date_to="2021-03-02"),
    ChunkFilter(date_from="2030-01-01"),  # nothing
    ChunkFilter(sources=("Riverton Post",)),
    ChunkFilter(sources=("Sports Daily", "Riverton Post")),
    ChunkFilter(sources=("riverton post",)),  # exact names: nothing
    ChunkFilter(date_from="2021-01-01", sources=("Riverton Post",)),
    ChunkFilter(date_from="2020-01-01", date_to="2020-12-31", sources=("Riverton Post", "Sports Daily")),
    ChunkFilter(date_to="2020-12-31", sources=("Sports Daily",)),  # nothing
]
QUERIES = ["Riverton", "bridge flooded river", "library books", "basketball championship team", "Riverton town"]


def _allowed_the_old_way(store: IndexStore, where: ChunkFilter) -> set[int]:
    """The query ``IndexStore.chunk_ids_where`` ran at each filtered question."""
    clauses, params = [], []  # type: ignore[var-annotated]
    if where.date_from:
        clauses.append("substr(a.date, 1, 10) >= ?")
        params.append(where.date_from[:10])
    if where.date_to:
        clauses.append("substr(a.date, 1, 10) <= ?")
        params.append(where.date_to[:10])
    if where.sources:
        clauses.append(f"a.source IN ({','.join('?' * len(where.sources))})")
        params.extend(where.sources)
    rows = store.db.execute(
        f"SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id WHERE {' AND '.join(clauses) or '1'}", params
    )
    return {r[0] for r in rows}


@pytest.fixture
def loaded(tmp_path: Path, small_corpus_file: Path) -> Iterator[tuple[IndexStore, object, VectorIndex, LexicalIndex]]:
    embedder = HashingEmbedder(dim=64)
    ingest([str(small_corpus_file)], tmp_path / "ix", lambda: embedder, embedder.name, Chunker(25, 5))
    store = IndexStore.open(tmp_path / "ix")
    vectors, lexical = store.load_search()
    yield store, embedder, vectors, lexical
    store.close()


@pytest.mark.parametrize("where", FILTERS, ids=str)
def test_filtered_search_equals_filtering_by_the_set_of_allowed_ids(loaded, where: ChunkFilter) -> None:  # type: ignore[no-untyped-def]
    store, embedder, vectors, lexical = loaded
    allowed = _allowed_the_old_way(store, where)
    assert set(lexical.facets.ids(where).tolist()) == allowed
    for query in QUERIES:
        assert lexical.search_text(query, 100, where) == lexical.search(query, 100, allowed)
        q = embedder.embed([query])[0]
        assert vectors.search_vector(q, 100, where) == search_faiss(vectors.index, q, 100, allowed)
        ids = [c for c, _ in lexical.search(query, 100)]
        assert lexical.rank_articles(query, ids, 10, where).tolist() == lexical.article_ranks(
            query, ids, 10, allowed
        ).tolist()


def test_no_filter_restricts_nothing(loaded) -> None:  # type: ignore[no-untyped-def]
    _, embedder, vectors, lexical = loaded
    assert lexical.facets.rows(None) is None and lexical.facets.rows(ChunkFilter()) is None
    assert lexical.search_text("Riverton", 10, ChunkFilter()) == lexical.search("Riverton", 10)
    q = embedder.embed(["Riverton"])[0]
    assert vectors.search_vector(q, 10, None) == search_faiss(vectors.index, q, 10)


def test_dates_compare_as_the_database_compared_them() -> None:
    # timestamps by their first ten characters; undated, empty and odd dates as SQLite compared the strings
    dates = ["2021-03-02T23:59:00", None, "2021-03-03", "2021/03/02", "", "2021-03-01", "Ünknown"]
    sources = ["A", "B", None, "A", "B", "C", "A"]
    facets = ChunkFacets.from_columns(np.arange(1, 8), dates, sources)
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE a (id INTEGER, date TEXT, source TEXT)")
    rows = [(i, d, s) for i, (d, s) in enumerate(zip(dates, sources, strict=True), start=1)]
    db.executemany("INSERT INTO a VALUES (?, ?, ?)", rows)
    days = [None, "2021-03-01", "2021-03-02", "2021-03-03", "2030-01-01", "2021/03/02"]
    for low in days:
        for high in days:
            for wanted in [(), ("A",), ("B", "C"), ("Z",)]:
                where = ChunkFilter(low, high, wanted)
                if not where.restricts:
                    continue
                clauses, params = [], []  # type: ignore[var-annotated]
                if low:
                    clauses, params = [*clauses, "substr(date, 1, 10) >= ?"], [*params, low]
                if high:
                    clauses, params = [*clauses, "substr(date, 1, 10) <= ?"], [*params, high]
                if wanted:
                    clauses, params = [*clauses, f"source IN ({','.join('?' * len(wanted))})"], [*params, *wanted]
                sql = f"SELECT id FROM a WHERE {' AND '.join(clauses)} ORDER BY id"
                expected = [r[0] for r in db.execute(sql, params)]
                assert np.asarray(facets.ids(where)).tolist() == expected, where


def test_an_id_array_selects_as_a_set_does() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 16)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    from index.vectors import build_faiss

    for ids in (np.arange(1, 301, dtype=np.int64), np.arange(1, 301, dtype=np.int64) * 1_000_003):  # dense, sparse
        index = build_faiss(ids, x)
        allowed = ids[::3]
        assert search_faiss(index, x[0], 20, allowed) == search_faiss(index, x[0], 20, set(allowed.tolist()))
        assert {c for c, _ in search_faiss(index, x[0], 300, allowed)} == set(allowed.tolist())
        assert search_faiss(index, x[0], 20, allowed[:0]) == []


def test_facets_must_match_the_rows() -> None:
    index = LexicalIndex.build([1, 2], ["cat", "dog"])
    with pytest.raises(ValueError, match="row for row"):
        index.with_facets(ChunkFacets.from_columns(np.array([1, 3]), [None, None], [None, None]))
    with pytest.raises(ValueError, match="facets"):
        index.search_text("cat", 5, ChunkFilter(sources=("A",)))
