"""The contract every index backend keeps (see :mod:`index.backend`): each backend is built from
the same small corpus (tests/conftest.py's SMALL_CORPUS, as the ``small_corpus_file`` fixture
writes it) and runs the same cases.

A backend here is a :class:`Backend`: the objects that implement each protocol, and the embedder
its vectors came from. The local index (FAISS + bm25s + SQLite) and Milvus Lite (skipped without
the ``scale`` extra) run every case; another backend joins by adding a factory to ``FACTORIES``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from index.backend import (
    ArticleFetch,
    ChunkFetch,
    ChunkFilter,
    IndexStatistics,
    TermStatistics,
    TextSearch,
    VectorSearch,
)
from index.chunk import Chunker
from index.embed import Embedder, HashingEmbedder
from index.ingest import ingest
from index.lexical import tokenize
from index.store import IndexStore


@dataclass(frozen=True)
class Backend:
    text: TextSearch
    vectors: VectorSearch
    chunks: ChunkFetch
    articles: ArticleFetch
    terms: TermStatistics
    stats: IndexStatistics
    embedder: Embedder


def _local(root: Path, corpus: Path) -> Iterator[Backend]:
    embedder = HashingEmbedder(dim=64)
    ingest([str(corpus)], root / "ix", lambda: embedder, embedder.name, Chunker(25, 5))
    store = IndexStore.open(root / "ix")
    vectors, lexical = store.load_search()
    yield Backend(lexical, vectors, store, store, lexical, store, embedder)
    store.close()


def _milvus_lite(root: Path, corpus: Path) -> Iterator[Backend]:
    pytest.importorskip("pymilvus")
    pytest.importorskip("milvus_lite")
    from index.location import open_index

    embedder = HashingEmbedder(dim=64)
    ingest([str(corpus)], root / "ix.db", lambda: embedder, embedder.name, Chunker(25, 5))
    store = open_index(root / "ix.db")
    vectors, lexical = store.load_search()
    yield Backend(lexical, vectors, store, store, lexical, store, embedder)
    store.close()


FACTORIES: dict[str, Callable[[Path, Path], Iterator[Backend]]] = {"local": _local, "milvus-lite": _milvus_lite}


@pytest.fixture(params=sorted(FACTORIES))
def backend(request: pytest.FixtureRequest, tmp_path: Path, small_corpus_file: Path) -> Iterator[Backend]:
    yield from FACTORIES[request.param](tmp_path, small_corpus_file)


@pytest.fixture
def corpus(small_corpus_file: Path) -> dict[str, dict[str, str]]:
    """The corpus each backend was built from, by article id."""
    records = [json.loads(line) for line in small_corpus_file.read_text(encoding="utf-8").splitlines()]
    return {r["id"]: r for r in records}


def _articles_of(backend: Backend, found: list[tuple[int, float]]) -> list[str]:
    return [r.article_id for r in backend.chunks.chunks([k for k, _ in found])]


def _vector(backend: Backend, text: str) -> np.ndarray:
    return backend.embedder.embed([text])[0]


def test_text_search_finds_the_right_article(backend: Backend) -> None:
    found = backend.text.search_text("basketball championship Rockets", 5)
    assert _articles_of(backend, found)[0] == "a2"
    scores = [s for _, s in found]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    assert backend.text.search_text("zebra", 5) == [] and backend.text.search_text("the of and", 5) == []


def test_vector_search_finds_a_chunk_by_its_own_text(backend: Backend) -> None:
    (key, _), *_ = backend.text.search_text("library architect Priya Nair", 1)
    record = backend.chunks.chunks([key])[0]
    found = backend.vectors.search_vector(_vector(backend, f"{record.title}\n{record.text}"), 3)
    assert key in [k for k, _ in found]
    scores = [s for _, s in found]
    assert scores == sorted(scores, reverse=True) and all(-1.0001 <= s <= 1.0001 for s in scores)


def test_article_ranks(backend: Backend) -> None:
    keys = [k for ks in backend.chunks.chunk_ids_of(["a1", "a2", "a3"]).values() for k in ks]
    ranks = backend.text.rank_articles("library books architect", keys, 10)
    best = {r.article_id for r, rank in zip(backend.chunks.chunks(keys), ranks.tolist(), strict=True) if rank == 1}
    assert best == {"a3"}


@pytest.mark.parametrize(
    ("where", "articles"),
    [
        (ChunkFilter(date_from="2021-03-02"), {"a1", "a2"}),  # inclusive lower bound
        (ChunkFilter(date_to="2021-03-02"), {"a1", "a3"}),  # inclusive upper bound
        (ChunkFilter(date_from="2021-03-02", date_to="2021-03-02"), {"a1"}),
        (ChunkFilter(sources=("Riverton Post",)), {"a1", "a3"}),
        (ChunkFilter(sources=("Sports Daily", "Riverton Post")), {"a1", "a2", "a3"}),
        (ChunkFilter(date_from="2021-01-01", sources=("Riverton Post",)), {"a1"}),
        (ChunkFilter(date_from="2030-01-01"), set()),  # nothing matches: nothing found
        (ChunkFilter(sources=("riverton post",)), set()),  # names are exact
        (ChunkFilter(date_to="2020-12-31", sources=("Sports Daily",)), set()),
    ],
    ids=str,
)
def test_filters(backend: Backend, where: ChunkFilter, articles: set[str]) -> None:
    query = "Riverton bridge library team championship books river"
    text = backend.text.search_text(query, 50, where)
    dense = backend.vectors.search_vector(_vector(backend, query), 50, where)
    assert set(_articles_of(backend, text)) == articles
    assert set(_articles_of(backend, dense)) == articles  # every chunk let through has some cosine
    keys = [k for k, _ in backend.text.search_text(query, 50)]
    ranked = backend.text.rank_articles(query, keys, 10, where)
    records = backend.chunks.chunks(keys)
    assert {r.article_id for r, rank in zip(records, ranked.tolist(), strict=True) if rank} == articles


def test_chunks_slice_their_article_at_their_offsets(backend: Backend, corpus: dict[str, dict[str, str]]) -> None:
    keys_of = backend.chunks.chunk_ids_of(["a1", "a2", "a3", "nope"])
    assert keys_of["nope"] == [] and all(keys_of[a] for a in corpus)
    for article_id, keys in keys_of.items():
        records = backend.chunks.chunks([*reversed(keys), 10**9])  # in the order asked, unknown left out
        assert [r.id for r in records] == list(reversed(keys))
        for r in records:
            article = backend.articles.article(article_id)
            assert article is not None and article.text[r.start : r.end] == r.text
            assert (r.title, r.source, r.date, r.url) == (article.title, article.source, article.date, article.url)
    dates = backend.chunks.chunk_dates([keys_of["a3"][0], 10**9])
    assert dates == {keys_of["a3"][0]: "2020-11-20"}


def test_articles(backend: Backend, corpus: dict[str, dict[str, str]]) -> None:
    assert backend.articles.article_ids() == ["a1", "a2", "a3"]
    a2 = backend.articles.article("a2")
    assert a2 is not None and a2.text == corpus["a2"]["text"] and a2.title == corpus["a2"]["title"]
    assert backend.articles.article("nope") is None and backend.articles.duplicates_of("a1") == []


def test_term_statistics(backend: Backend) -> None:
    terms = backend.terms
    assert terms.unknown_terms(["Holloway", "Zanzibar", "the"]) == ["Zanzibar"]
    keys_of = backend.chunks.chunk_ids_of(["a1", "a2"])
    keys = [*keys_of["a1"], *keys_of["a2"]]
    (holloway,), (ortiz,) = tokenize(["Holloway", "Ortiz"])
    held = terms.presence(keys, [holloway, ortiz, "zanzibar"])
    assert held.shape == (len(keys), 3) and held.dtype == np.bool_
    assert held[: len(keys_of["a1"]), 0].any() and not held[: len(keys_of["a1"]), 1].any()
    assert held[len(keys_of["a1"]) :, 1].any() and not held[:, 2].any()
    assert terms.knows([keys[0], 10**9]).tolist() == [True, False]
    assert terms.document_frequency(holloway) == len(terms.passages_with(holloway, 100)) >= 1
    assert terms.document_frequency("zanzibar") == 0 and terms.passages_with("zanzibar") == []
    assert set(terms.passages_with(ortiz, 100)) <= set(keys_of["a2"])
    rare, missing = terms.idf([holloway, "zanzibar"]).tolist()
    assert 0 < rare < missing  # a token in no passage gets the highest IDF
    assert ("holloway", 1) in terms.close_tokens("hollowai", 1)
    assert holloway in terms.tokens_starting(holloway[:4])


def test_stats(backend: Backend) -> None:
    stats = backend.stats.stats()
    n_chunks = sum(len(v) for v in backend.chunks.chunk_ids_of(["a1", "a2", "a3"]).values())
    assert (stats.articles, stats.duplicates, stats.chunks) == (3, 0, n_chunks)
    assert dict(stats.sources) == {"Riverton Post": 2, "Sports Daily": 1}
    assert (stats.date_min, stats.date_max) == ("2020-11-20", "2021-05-10")
