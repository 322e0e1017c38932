"""The words the sentence scorer reads: tokens, stemmed content terms, bigrams, and BM25 within a
candidate set (so that it means the same whatever the corpus)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

import numpy as np

from index.fold import fold_accents

__all__ = ["STOPWORDS", "bigrams", "bm25_scores", "content_terms", "stem_word", "tokenize"]

# Function words, question words and the PTB bracket tokens TrecQA keeps (-LRB- ...). Matching on
# them says nothing about whether a sentence answers.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over own
    same she should so some such than that the their theirs them themselves then there these they
    this those through to too under until up very was we were what when where which while who whom
    whose why will with would you your yours yourself yourselves also may might must shall s t ll re ve
    d m according recent recently new week weeks year years this last said says say one
    lrb rrb lsb rsb lcb rcb""".split()
)

_WORD = re.compile(r"[0-9a-z]+(?:'[a-z]+)?")


def tokenize(text: str) -> list[str]:
    """Accent-folded, lower-cased word tokens; an apostrophe suffix stays with its word (``"it's"``)."""
    return _WORD.findall(fold_accents(text).lower().replace("’", "'"))


@functools.cache
def stem_word() -> Callable[[str], str]:
    import Stemmer  # PyStemmer; imported lazily so importing this module loads nothing

    stemmer = Stemmer.Stemmer("english")
    return functools.lru_cache(maxsize=200_000)(stemmer.stemWord)  # type: ignore[no-any-return]


def content_terms(text: str) -> list[str]:
    """Stemmed tokens that are not stopwords, in order (possessive ``'s`` dropped)."""
    stem = stem_word()
    words = (tok.partition("'")[0] for tok in tokenize(text))
    return [stem(w) for w in words if w not in STOPWORDS]


def bigrams(terms: Sequence[str]) -> set[tuple[str, str]]:
    return set(zip(terms, terms[1:], strict=False))


def bm25_scores(query: Sequence[str], docs: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75) -> np.ndarray:
    """BM25 (Lucene IDF) of each doc against ``query``, with statistics from ``docs`` alone.

    Returns shape ``(len(docs),)`` float64. Repeated query terms count once.
    """
    n = len(docs)
    if n == 0:
        return np.zeros(0)
    lengths = np.array([len(d) for d in docs], dtype=np.float64)
    avg = max(lengths.mean(), 1e-9)
    scores = np.zeros(n)
    qset = list(dict.fromkeys(query))
    if not qset:
        return scores
    tf = np.zeros((n, len(qset)))
    index = {t: j for j, t in enumerate(qset)}
    for i, d in enumerate(docs):
        for t in d:
            j = index.get(t)
            if j is not None:
                tf[i, j] += 1
    df = (tf > 0).sum(axis=0)
    idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
    norm = k1 * (1 - b + b * lengths / avg)
    scores = ((tf * (k1 + 1)) / (tf + norm[:, None]) * idf[None, :]).sum(axis=1)
    return scores
