"""Filtered search: the set of every allowed chunk id from SQLite (before) against per-chunk date
and source arrays read at load (now), measured in the same run.

    python benchmarks/bench_filters.py --index data/demo/index [--synthetic 500000] [--repeat 20]

On the index: for date-only, source-only and both filters, the median time of a filtered BM25
search, FAISS search and article ranking (depth 100) done each way, and of the filter alone (the
SQL set against the mask); the results are checked to be identical. With ``--synthetic N``: the
filter alone on N chunks (an SQLite table of N chunks against ``ChunkFacets``), turning it into
what BM25 takes (a row mask, from the set through the id→row map as before) and a filtered FAISS
search over N 64-d vectors (``IDSelectorBatch`` of the set, as before, against the id array).
"""

from __future__ import annotations

import argparse
import functools
import os
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.facets import ChunkFacets, ChunkFilter  # noqa: E402

QUERIES = ["building collapse", "election results president", "earthquake tsunami warning", "football cup final"]


def _sql_set(db: sqlite3.Connection, where: ChunkFilter) -> set[int]:
    """What ``IndexStore.chunk_ids_where`` returned, by the same query."""
    clauses, params = [], []  # type: ignore[var-annotated]
    if where.date_from:
        clauses, params = [*clauses, "substr(a.date, 1, 10) >= ?"], [*params, where.date_from]
    if where.date_to:
        clauses, params = [*clauses, "substr(a.date, 1, 10) <= ?"], [*params, where.date_to]
    if where.sources:
        clauses, params = [*clauses, f"a.source IN ({','.join('?' * len(where.sources))})"], [*params, *where.sources]
    sql = f"SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id WHERE {' AND '.join(clauses)}"
    return {r[0] for r in db.execute(sql, params)}


def _ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def on_index(path: Path, repeat: int) -> None:
    from index.store import IndexStore
    from index.vectors import search_faiss

    store = IndexStore.open(path)
    t = time.perf_counter()
    vectors, lexical = store.load_search()
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    store.chunk_facets(lexical.chunk_ids)
    facets_ms = 1000 * (time.perf_counter() - t)
    stats = store.stats()
    facets = lexical.facets
    assert facets is not None
    print(f"{path}: {len(lexical)} chunks; load_search {load_s:.2f} s, of which the facets {facets_ms:.1f} ms")
    top_source = stats.sources[0][0]
    filters = {
        "date": ChunkFilter(date_from="2019-06-01", date_to="2019-12-31"),
        "source": ChunkFilter(sources=(top_source,)),
        "both": ChunkFilter(date_from="2019-06-01", sources=(top_source,)),
    }
    rng = np.random.default_rng(0)
    vector = rng.normal(size=store.dim).astype(np.float32)
    vector /= np.linalg.norm(vector)
    print(f"{'filter':8} {'allowed':>8} {'filter: SQL set':>16} {'mask':>8} {'search: before':>15} {'now':>8}  "
          f"(ms, median of {repeat})")
    for name, where in filters.items():
        allowed = _sql_set(store.db, where)

        def before(where: ChunkFilter = where) -> list[object]:
            ids = _sql_set(store.db, where)
            out: list[object] = []
            for q in QUERIES:
                found = lexical.search(q, 100, ids)
                out += [found, search_faiss(vectors.index, vector, 100, ids)]
                out.append(lexical.article_ranks(q, [c for c, _ in found], 100, ids).tolist())
            return out

        def now(where: ChunkFilter = where) -> list[object]:
            out: list[object] = []
            for q in QUERIES:
                found = lexical.search_text(q, 100, where)
                out += [found, vectors.search_vector(vector, 100, where)]
                out.append(lexical.rank_articles(q, [c for c, _ in found], 100, where).tolist())
            return out

        assert before() == now(), f"{name}: results differ"
        per = len(QUERIES)
        print(
            f"{name:8} {len(allowed):>8} {_ms(functools.partial(_sql_set, store.db, where), repeat):>16.2f} "
            f"{_ms(functools.partial(facets.rows, where), repeat):>8.3f} "
            f"{_ms(before, repeat) / per:>15.2f} {_ms(now, repeat) / per:>8.2f}"
        )
    store.close()


def synthetic(n: int, repeat: int) -> None:
    import faiss

    from index.vectors import build_faiss, search_faiss

    rng = np.random.default_rng(0)
    n_articles = max(1, n // 7)
    article_of = np.sort(rng.integers(0, n_articles, n))
    days = rng.integers(0, 3650, n_articles)
    dates = [str(np.datetime64("2015-01-01") + int(d)) for d in days]
    sources = [f"outlet {i % 40}" for i in range(n_articles)]
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, date TEXT, source TEXT)")
    db.execute("CREATE TABLE chunks (id INTEGER PRIMARY KEY, article_id INTEGER)")
    db.executemany("INSERT INTO articles VALUES (?, ?, ?)", zip(range(n_articles), dates, sources, strict=True))
    db.executemany("INSERT INTO chunks VALUES (?, ?)", ((i + 1, int(a)) for i, a in enumerate(article_of)))
    ids = np.arange(1, n + 1, dtype=np.int64)
    facets = ChunkFacets.from_columns(ids, [dates[a] for a in article_of], [sources[a] for a in article_of])
    row_of = {int(c): i for i, c in enumerate(ids)}
    x = rng.normal(size=(n, 64)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    index = build_faiss(ids, x)
    q = x[0]
    print(f"\nsynthetic: {n} chunks, {n_articles} articles, 40 outlets, 10 years; 64-d flat FAISS")
    print(f"{'filter':8} {'allowed':>8} {'SQL set':>9} {'mask':>7} {'BM25 rows: set':>15} {'mask':>7} "
          f"{'FAISS: set':>11} {'ids':>7}  (ms)")
    for name, where in {
        "date": ChunkFilter(date_from="2019-01-01", date_to="2019-12-31"),
        "source": ChunkFilter(sources=("outlet 3",)),
        "both": ChunkFilter(date_from="2019-01-01", sources=("outlet 3", "outlet 7")),
        "wide": ChunkFilter(date_from="2015-06-01"),
    }.items():
        allowed = _sql_set(db, where)
        assert allowed == set(np.asarray(facets.ids(where)).tolist())

        def rows_from_set(allowed: set[int] = allowed) -> np.ndarray:
            mask = np.zeros(n, dtype=np.float32)
            mask[[row_of[c] for c in allowed if c in row_of]] = 1.0
            return mask

        def faiss_from_set(allowed: set[int] = allowed) -> object:
            sel = faiss.IDSelectorBatch(np.fromiter(allowed, dtype=np.int64, count=len(allowed)))
            return index.search(q.reshape(1, -1), 100, params=faiss.SearchParameters(sel=sel))  # type: ignore[call-arg]

        before_ids = faiss_from_set()[1][0].tolist()  # type: ignore[index]
        assert before_ids == [c for c, _ in search_faiss(index, q, 100, facets.ids(where))]
        print(
            f"{name:8} {len(allowed):>8} {_ms(functools.partial(_sql_set, db, where), repeat):>9.1f} "
            f"{_ms(functools.partial(facets.rows, where), repeat):>7.2f} {_ms(rows_from_set, repeat):>15.1f} "
            f"{_ms(functools.partial(_float_rows, facets, where), repeat):>7.2f} "
            f"{_ms(faiss_from_set, repeat):>11.1f} "
            f"{_ms(functools.partial(_faiss_now, index, q, facets, where), repeat):>7.1f}"
        )


def _float_rows(facets: ChunkFacets, where: ChunkFilter) -> np.ndarray:
    """The mask as BM25 takes it now."""
    return np.asarray(facets.rows(where)).astype(np.float32)


def _faiss_now(index: Any, q: np.ndarray, facets: ChunkFacets, where: ChunkFilter) -> object:
    from index.vectors import search_faiss

    return search_faiss(index, q, 100, facets.ids(where))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / "data" / "demo" / "index")
    parser.add_argument("--synthetic", type=int, default=0, help="also time the filter on this many synthetic chunks")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    on_index(args.index, args.repeat)
    if args.synthetic:
        synthetic(args.synthetic, max(3, args.repeat // 4))


if __name__ == "__main__":
    main()
