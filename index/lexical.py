"""The lexical (BM25) side of the index, with bm25s: accents folded, English stop-words, Snowball stemming."""

from __future__ import annotations

import bisect
import json
import logging
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from functools import cached_property, lru_cache
from pathlib import Path

import bm25s
import numpy as np

from index.facets import ChunkFacets, ChunkFilter
from index.fold import fold_accents

__all__ = ["LexicalIndex", "tokenize"]

logger = logging.getLogger(__name__)

ARTICLES_DIR = "articles"  # where a saved index keeps its ranking of whole articles
TOKENS = "folded"  # how a saved index's texts were tokenized (rows.json); older ones kept accents


@lru_cache(maxsize=1)
def _stemmer() -> object:
    import Stemmer

    return Stemmer.Stemmer("english")


def _bm25_tokens(texts: Sequence[str], return_ids: bool = True):  # type: ignore[no-untyped-def]
    folded = [fold_accents(t) for t in texts]
    return bm25s.tokenize(folded, stopwords="en", stemmer=_stemmer(), return_ids=return_ids, show_progress=False)


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Accent-folded, lower-cased, stop-worded, stemmed tokens of each text, the way the index was
    built ("Kīlauea" and "Kilauea" are one token)."""
    return [list(t) for t in _bm25_tokens(texts, return_ids=False)]


class LexicalIndex:
    """BM25 over chunk texts; row ``i`` of the bm25s index is chunk ``chunk_ids[i]``.

    It may also rank whole articles (:meth:`with_articles`, :meth:`article_ranks`): a question's
    words are often spread over several passages of the article that answers it. With each
    chunk's date and source (:meth:`with_facets`) it searches under a :class:`ChunkFilter`
    (:meth:`search_text`, :meth:`rank_articles`).

    Where a search is restricted, ``allowed`` is either a set of chunk ids or a bool array over
    the rows (``allowed[i]`` for chunk ``chunk_ids[i]``); either way, an empty one allows nothing.
    """

    def __init__(
        self,
        bm25: bm25s.BM25 | None,
        chunk_ids: np.ndarray,
        articles: LexicalIndex | None = None,
        article_of: np.ndarray | None = None,
        folded: bool = True,
        facets: ChunkFacets | None = None,
    ) -> None:
        if facets is not None and not np.array_equal(facets.chunk_ids, chunk_ids):
            raise ValueError("the facets must describe the index's chunks, row for row")
        self._bm25 = bm25
        self.facets = facets
        # Whether the texts were tokenized as :func:`tokenize` does now. An index saved before
        # accents were folded was not: its "Kīlauea" is not the query's "kilauea".
        self.folded = folded
        self.chunk_ids = chunk_ids
        self._row_of = {int(c): i for i, c in enumerate(chunk_ids)}
        # BM25 over article texts, whose "chunk ids" are article numbers; article_of[i] is the
        # number of the article that holds chunk row i.
        self._articles = articles
        self._article_of = article_of

    @classmethod
    def build(cls, chunk_ids: Sequence[int], texts: Sequence[str]) -> LexicalIndex:
        ids = np.asarray(chunk_ids, dtype=np.int64)
        if len(ids) == 0:
            return cls(None, ids)
        bm25 = bm25s.BM25()
        bm25.index(_bm25_tokens(texts), show_progress=False)
        return cls(bm25, ids)

    def with_articles(self, article_of: Sequence[int], article_texts: Sequence[str]) -> LexicalIndex:
        """This index, also ranking whole articles: ``article_texts[article_of[i]]`` is the text
        (title, then body) of the article that holds chunk row ``i``."""
        of = np.asarray(article_of, dtype=np.int64)
        if not _numbers_fit(of, len(self), len(article_texts)):
            raise ValueError(f"article_of must give one of {len(article_texts)} articles to each of {len(self)} chunks")
        articles = LexicalIndex.build(range(len(article_texts)), article_texts)
        return LexicalIndex(self._bm25, self.chunk_ids, articles, of, self.folded, self.facets)

    def with_facets(self, facets: ChunkFacets) -> LexicalIndex:
        """This index, able to search under a :class:`ChunkFilter` with ``facets`` (row for row)."""
        return LexicalIndex(self._bm25, self.chunk_ids, self._articles, self._article_of, self.folded, facets)

    def search_text(self, query: str, k: int, where: ChunkFilter | None = None) -> list[tuple[int, float]]:
        """:meth:`search` restricted to the chunks ``where`` lets through."""
        return self.search(query, k, self._filtered_rows(where))

    def rank_articles(
        self, query: str, chunk_ids: Sequence[int], depth: int, where: ChunkFilter | None = None
    ) -> np.ndarray:
        """:meth:`article_ranks` among the articles of the chunks ``where`` lets through."""
        return self.article_ranks(query, chunk_ids, depth, self._filtered_rows(where))

    def _filtered_rows(self, where: ChunkFilter | None) -> np.ndarray | None:
        if where is None or not where.restricts:
            return None
        if self.facets is None:
            raise ValueError("this index has no chunk facets to filter on: load it with them (with_facets)")
        return self.facets.rows(where)

    @property
    def ranks_articles(self) -> bool:
        """Whether :meth:`article_ranks` ranks anything (an index saved before it did does not)."""
        return self._articles is not None

    def article_ranks(
        self, query: str, chunk_ids: Sequence[int], depth: int, allowed: AbstractSet[int] | np.ndarray | None = None
    ) -> np.ndarray:
        """For each of ``chunk_ids``, the rank (1 = best) of its article by BM25 over whole
        articles among the best ``depth`` for ``query``, or 0 when it is not among them (or the
        chunk or the article ranking is unknown). ``allowed`` (chunk ids) restricts the articles
        ranked to those holding one of them, as :meth:`search` does for chunks."""
        out = np.zeros(len(chunk_ids), dtype=np.int64)
        if self._articles is None or self._article_of is None:
            return out
        rows = self._row_mask(allowed)
        allowed_articles = None
        if rows is not None:
            allowed_articles = np.zeros(len(self._articles), dtype=bool)
            allowed_articles[self._article_of[rows]] = True
        rank = {a: i for i, (a, _) in enumerate(self._articles.search(query, depth, allowed_articles), start=1)}
        for j, c in enumerate(chunk_ids):
            row = self._row_of.get(int(c))
            if row is not None:
                out[j] = rank.get(int(self._article_of[row]), 0)
        return out

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "chunk_ids.npy", self.chunk_ids, allow_pickle=False)
        rows = {"rows": int(len(self.chunk_ids)), "tokens": TOKENS if self.folded else "plain"}
        (directory / "rows.json").write_text(json.dumps(rows))
        if self._bm25 is not None:
            self._bm25.save(str(directory))
        if self._articles is not None and self._article_of is not None:
            np.save(directory / "article_of.npy", self._article_of, allow_pickle=False)
            self._articles.save(directory / ARTICLES_DIR)

    @property
    def is_current(self) -> bool:
        """Whether this index, and its article ranking if it has one, tokenized as :func:`tokenize` does."""
        return self.folded and (self._articles is None or self._articles.folded)

    @staticmethod
    def saved_whole(directory: Path) -> bool:
        """Whether ``directory`` holds all that :meth:`save` writes now: the article ranking, and
        texts tokenized as :func:`tokenize` does (a damaged ``rows.json`` cannot tell, so no)."""
        return _saved_folded(directory) and _saved_folded(directory / ARTICLES_DIR)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        """The index :meth:`save` wrote. One saved without its article ranking loads without it;
        one saved before accents were folded loads with ``folded`` false."""
        chunk_ids = np.load(directory / "chunk_ids.npy", allow_pickle=False)
        folded = _saved_folded(directory)
        articles = article_of = None
        if (directory / ARTICLES_DIR).is_dir():
            articles = cls.load(directory / ARTICLES_DIR)
            article_of = np.load(directory / "article_of.npy", allow_pickle=False)
            if not _numbers_fit(article_of, len(chunk_ids), len(articles)):
                raise ValueError(
                    f"article_of.npy does not give one of {len(articles)} articles for each of {len(chunk_ids)} chunks"
                )
        if len(chunk_ids) == 0:
            return cls(None, chunk_ids, articles, article_of, folded)
        bm25 = bm25s.BM25.load(str(directory), mmap=False)
        n_docs = int(bm25.scores["num_docs"])
        if n_docs != len(chunk_ids):
            raise ValueError(f"BM25 holds {n_docs} documents but chunk_ids.npy {len(chunk_ids)}")
        _check_matrix(bm25.scores, n_docs)
        return cls(bm25, chunk_ids, articles, article_of, folded)

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def unknown_terms(self, terms: Sequence[str]) -> list[str]:
        """Those of ``terms`` that occur in no indexed passage (some token of the term, tokenized as
        the index was, is not in its vocabulary), in order. Stop-words are never unknown; an empty
        index knows nothing but reports nothing, since it cannot tell."""
        vocab = None if self._bm25 is None else self._bm25.vocab_dict
        if not vocab:
            return []
        tokens = tokenize(list(terms)) if terms else []
        return [term for term, toks in zip(terms, tokens, strict=True) if any(t not in vocab for t in toks)]

    def tokens_starting(self, prefix: str, limit: int = 50) -> list[str]:
        """The vocabulary's tokens that start with ``prefix`` (as :func:`tokenize` gives tokens), in
        order, at most ``limit``."""
        vocab = self._sorted_vocab
        at = bisect.bisect_left(vocab, prefix)
        out = []
        for token in vocab[at : at + limit]:
            if not token.startswith(prefix):
                break
            out.append(token)
        return out

    def document_frequency(self, token: str) -> int:
        """How many indexed passages hold ``token`` (as :func:`tokenize` gives tokens)."""
        return len(self._rows_with(token))

    def close_tokens(self, token: str, max_distance: int, limit: int = 10) -> list[tuple[str, int]]:
        """The vocabulary's tokens within ``max_distance`` edits of ``token`` (insertions, deletions,
        substitutions and swaps of two neighbouring letters: optimal string alignment), other than
        itself, as (token, distance), nearest first, at most ``limit``."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        found = process.extract(
            token, self._sorted_vocab, scorer=OSA.distance, score_cutoff=max_distance, limit=limit + 1
        )
        return [(t, int(d)) for t, d, _ in sorted(found, key=lambda f: (f[1], f[2])) if t != token][:limit]

    def passages_with(self, token: str, limit: int = 5) -> list[int]:
        """The chunk ids of up to ``limit`` passages that hold ``token``."""
        return [int(self.chunk_ids[r]) for r in self._rows_with(token)[:limit]]

    @cached_property
    def _sorted_vocab(self) -> list[str]:
        return sorted(self._bm25.vocab_dict) if self._bm25 is not None else []

    def idf(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25's (Lucene) IDF of each token over the indexed passages; a token in none gets the
        highest, that of a document frequency of 0."""
        n = len(self.chunk_ids)
        df = np.array([len(self._rows_with(t)) for t in tokens], dtype=np.float64)
        return np.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def presence(self, chunk_ids: Sequence[int], tokens: Sequence[str]) -> np.ndarray:
        """Whether each chunk holds each token: bool ``(len(chunk_ids), len(tokens))``. Tokens are
        as :func:`tokenize` gives them; unknown chunk ids and tokens hold nothing."""
        out = np.zeros((len(chunk_ids), len(tokens)), dtype=bool)
        rows = np.array([self._row_of.get(int(c), -1) for c in chunk_ids], dtype=np.int64)
        known = rows >= 0
        if not known.any():
            return out
        for j, token in enumerate(tokens):
            docs = self._rows_with(token)
            if len(docs):
                out[known, j] = np.isin(rows[known], docs)
        return out

    def knows(self, chunk_ids: Sequence[int]) -> np.ndarray:
        """Whether each chunk id is one this index holds: bool ``(len(chunk_ids),)``."""
        return np.array([int(c) in self._row_of for c in chunk_ids], dtype=bool)

    def _row_mask(self, allowed: AbstractSet[int] | np.ndarray | None) -> np.ndarray | None:
        """``allowed`` as a bool array over the rows (None: no restriction)."""
        if allowed is None:
            return None
        if isinstance(allowed, np.ndarray):
            if allowed.shape != (len(self.chunk_ids),) or allowed.dtype != np.bool_:
                raise ValueError(f"a row mask must be a bool array of {len(self.chunk_ids)} rows")
            return allowed
        mask = np.zeros(len(self.chunk_ids), dtype=bool)
        mask[[r for c in allowed if (r := self._row_of.get(int(c))) is not None]] = True
        return mask

    def _rows_with(self, token: str) -> np.ndarray:
        """The rows (passages) whose text holds ``token``."""
        column = None if self._bm25 is None else self._bm25.vocab_dict.get(token)
        scores = None if self._bm25 is None else self._bm25.scores
        # bm25s keeps "" in its vocabulary without a column of its own
        if column is None or scores is None or column + 1 >= len(scores["indptr"]):
            return np.zeros(0, dtype=np.int64)
        start, end = int(scores["indptr"][column]), int(scores["indptr"][column + 1])
        return np.asarray(scores["indices"][start:end])

    def search(
        self, query: str, k: int, allowed: AbstractSet[int] | np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Up to ``k`` (chunk id, BM25 score) pairs, best first, only positive scores; ``allowed``
        (chunk ids, or a bool mask over the rows) restricts the result to those chunks."""
        if self._bm25 is None or k < 1:
            return []
        rows = self._row_mask(allowed)
        if rows is not None and not rows.any():
            return []
        tokens = tokenize([query])
        if not tokens[0]:
            return []
        mask = None if rows is None else rows.astype(np.float32)
        k = min(k, len(self.chunk_ids))
        docs, scores = self._bm25.retrieve(tokens, k=k, show_progress=False, weight_mask=mask, n_threads=1)
        return [(int(self.chunk_ids[d]), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]


def _saved_folded(directory: Path) -> bool:
    """Whether the index saved in ``directory`` says it was tokenized with accents folded."""
    try:
        rows = json.loads((directory / "rows.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(rows, dict) and rows.get("tokens") == TOKENS


def _numbers_fit(article_of: np.ndarray, n_chunks: int, n_articles: int) -> bool:
    """Whether ``article_of`` gives one article number below ``n_articles`` for each chunk."""
    if len(article_of) != n_chunks:
        return False
    return n_chunks == 0 or 0 <= int(article_of.min()) <= int(article_of.max()) < n_articles


def _check_matrix(scores: dict, n_docs: int) -> None:  # type: ignore[type-arg]
    """Raise ValueError unless the score matrix (CSC: data, indices, indptr) is well formed: a
    damaged file that still parses would otherwise index out of bounds at the first query."""
    data, indices, indptr = (np.asarray(scores[k]) for k in ("data", "indices", "indptr"))
    if not (len(data) == len(indices) and len(indptr) and indptr[0] == 0 and indptr[-1] == len(indices)):
        raise ValueError("the BM25 score matrix's arrays do not fit together")
    if len(indices) and (indices.min() < 0 or indices.max() >= n_docs):
        raise ValueError("the BM25 score matrix points at documents that do not exist")
    if np.any(np.diff(indptr) < 0) or not np.all(np.isfinite(data)):
        raise ValueError("the BM25 score matrix is malformed")
