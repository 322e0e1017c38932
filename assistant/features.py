"""Features of each (question, candidate sentence) pair, functions of their inputs: lexical ones
that need no embedding (BM25 and IDF-weighted overlap within the candidate set, the same with the
sentence's article title read beside it and a word's synonyms counting, how tightly the matches
cluster, what the sentence adds matched against the expected answer type, redundancy across
candidates, length), the bi-encoder cosine's, and the passage retrieval score's. The synonyms are
read from the packaged model's word-piece table (:mod:`assistant.synonyms`) unless the caller gives
its own."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from assistant.lexicon import STOPWORDS, bigrams, bm25_scores, content_terms, stem_word, tokenize
from assistant.signals import SentenceSignals, answer_type, sentence_signals
from assistant.synonyms import DEFAULT_THRESHOLD, neighbours

__all__ = [
    "DENSE_FEATURE_NAMES",
    "FEATURE_NAMES",
    "LEXICAL_FEATURE_NAMES",
    "PASSAGE_FEATURE_NAMES",
    "dense_features",
    "feature_matrix",
    "lexical_features",
    "passage_features",
    "stage_features",
]

LEXICAL_FEATURE_NAMES: tuple[str, ...] = (
    "bm25_rel",
    "bm25_rr",
    "bm25_z",
    "cover_idf",
    "cover_idf_gap",
    "cover_frac",
    "bigram_frac",
    "window_frac",
    "novel_frac",
    "log_len",
    "short",
    "new_caps",
    "new_number",
    "has_date",
    "type_person_caps",
    "type_place_caps",
    "type_entity_caps",
    "type_time_date",
    "type_number_number",
    "type_number_date",
    "quote",
    "pronoun_start",
    "support",
    "support_typed",
    "support_freq",
    "cover_title",
)
DENSE_FEATURE_NAMES: tuple[str, ...] = ("cos", "cos_gap", "cos_z", "cos_rr")
FEATURE_NAMES: tuple[str, ...] = LEXICAL_FEATURE_NAMES + DENSE_FEATURE_NAMES
PASSAGE_FEATURE_NAMES: tuple[str, ...] = ("passage_rel", "passage_rr")

_PRONOUNS = frozenset("he she it they this that these those his her its their we".split())


def _reciprocal_rank(values: np.ndarray) -> np.ndarray:
    """1 / (1 + dense rank by decreasing value): ties share a rank."""
    uniq = np.unique(-values)
    return 1.0 / (1.0 + np.searchsorted(uniq, -values))


def _zscore(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / (values.std() + 1e-6)


Synonyms = Callable[[str], Sequence[str]]


def default_synonyms(word: str) -> Sequence[str]:
    """The packaged table's neighbours of ``word`` at the default threshold, called as the coverage
    checks call them (``threshold=`` by keyword), so that both share one cache entry a word."""
    return neighbours(word, threshold=DEFAULT_THRESHOLD)


def lexical_features(
    question: str,
    sentences: Sequence[str],
    titles: Sequence[str] | None = None,
    synonyms: Synonyms | None = default_synonyms,
) -> np.ndarray:
    """Features that need no embedding, shape ``(len(sentences), len(LEXICAL_FEATURE_NAMES))``.

    Set-relative features (BM25, IDF, gaps to the best) take the candidate set as the collection,
    so they mean the same whatever the corpus: score the whole candidate set in one call.

    ``titles`` (one per sentence: its article's title) are read beside the sentence for
    ``cover_title``: an answer seldom repeats the subject its article's title names ("A total of 39
    are confirmed dead" under "Magnitogorsk apartment building collapse"). Without them that feature
    reads the sentence alone. ``synonyms`` gives the words that stand for a question word there
    ("dead" for "died"); None counts the words themselves only.
    """
    n = len(sentences)
    out = np.zeros((n, len(LEXICAL_FEATURE_NAMES)), dtype=np.float64)
    if n == 0:
        return out
    q_terms = content_terms(question)
    q_set = frozenset(q_terms)
    q_bigrams = bigrams(q_terms)
    docs = [content_terms(s) for s in sentences]
    bm = bm25_scores(q_terms, docs)
    df: dict[str, int] = {}
    for d in docs:
        for t in q_set.intersection(d):
            df[t] = df.get(t, 0) + 1
    idf = {t: math.log(1.0 + (n + 1) / (df.get(t, 0) + 0.5)) for t in q_set}
    idf_total = sum(idf.values()) or 1.0
    kind = answer_type(question)
    signals = []
    for i, (sent, d) in enumerate(zip(sentences, docs, strict=True)):
        matched = q_set.intersection(d)
        sig = sentence_signals(sent, q_set, d)
        signals.append(sig)
        caps = min(sig.new_capitalised, 5) / 5.0
        hits = [j for j, t in enumerate(d) if t in q_set]
        first_word = sent.lstrip("\"“'‘( ").split(" ", 1)[0].lower()
        out[i, 3] = sum(idf[t] for t in matched) / idf_total
        out[i, 5] = len(matched) / max(len(q_set), 1)
        out[i, 6] = len(q_bigrams & bigrams(d)) / max(len(q_bigrams), 1)
        out[i, 7] = len(matched) / (hits[-1] - hits[0] + 1) if hits else 0.0
        out[i, 8] = sig.new_terms / max(len(d), 1)
        out[i, 9] = math.log1p(len(d))
        out[i, 10] = float(sig.new_terms == 0)
        out[i, 11] = caps
        out[i, 12] = float(sig.new_number)
        out[i, 13] = float(sig.has_date)
        out[i, 14] = caps * (kind == "person")
        out[i, 15] = caps * (kind == "place")
        out[i, 16] = caps * (kind == "entity")
        out[i, 17] = float(sig.has_date and kind == "time")
        out[i, 18] = float(sig.new_number and kind == "number")
        out[i, 19] = float(sig.has_date and kind == "number")
        out[i, 20] = float('"' in sent or "“" in sent or "”" in sent)
        out[i, 21] = float(first_word in _PRONOUNS)
    out[:, 0] = bm / bm.max() if bm.max() > 0 else 0.0
    out[:, 1] = _reciprocal_rank(bm) * (bm > 0)
    out[:, 2] = _zscore(bm)
    out[:, 4] = out[:, 3] - out[:, 3].max()
    out[:, 22:25] = _support(signals, out[:, 3], kind)
    out[:, 25] = _title_cover(question, q_set, idf, docs, titles, synonyms)
    return out


def _alternates(question: str, q_set: frozenset[str], synonyms: Synonyms | None) -> dict[str, frozenset[str]]:
    """Each question term (stemmed) with the stems of the words that stand for it, itself included."""
    stem = stem_word()
    out = {t: {t} for t in q_set}
    if synonyms is None:
        return {t: frozenset(v) for t, v in out.items()}
    for word in tokenize(question):
        word = word.partition("'")[0]
        if word in STOPWORDS or not word.isalpha():
            continue
        term = stem(word)
        if term in out:
            out[term].update(stem(w) for w in synonyms(word) if w not in STOPWORDS)
    return {t: frozenset(v) for t, v in out.items()}


def _title_cover(
    question: str,
    q_set: frozenset[str],
    idf: dict[str, float],
    docs: Sequence[Sequence[str]],
    titles: Sequence[str] | None,
    synonyms: Synonyms | None,
) -> np.ndarray:
    """Shape ``(n,)``: the IDF-weighted share of the question's terms that the sentence and its
    article's title hold together, a term counting where one of its synonyms stands for it. With
    no titles (TrecQA, :meth:`assistant.api.Assistant.score_sentences`), the sentence's alone.

    The same share over the sentence alone, as a feature beside this one, was given a negative
    weight by the training (on quiz questions that reuse the articles' words, a sentence that holds
    a synonym but not the word is more often another sentence): it is not kept."""
    out = np.zeros(len(docs))
    if not q_set:
        return out
    if titles is not None and len(titles) != len(docs):
        raise ValueError(f"titles has {len(titles)} values for {len(docs)} sentences; give one per sentence.")
    alternates = _alternates(question, q_set, synonyms)
    total = sum(idf.values()) or 1.0
    title_terms: dict[str, frozenset[str]] = {}
    for i, d in enumerate(docs):
        held = set(d)
        if titles is not None:
            title = titles[i]
            if title not in title_terms:
                title_terms[title] = frozenset(content_terms(title))
            held |= title_terms[title]
        out[i] = sum(idf[t] for t, alts in alternates.items() if not alts.isdisjoint(held)) / total
    return out


def _support(signals: Sequence[SentenceSignals], weight: np.ndarray, kind: str) -> np.ndarray:
    """Redundancy: a sentence whose new names or numbers recur in other candidates that match the
    question is more likely to hold the answer. Shape ``(n, 3)``: the best support (summed
    ``weight`` of the other sentences holding the same name or number) of the sentence's names and
    numbers, scaled by the set's best; the same over the candidates of the expected type only;
    and the share of sentences holding its most frequent one."""
    n = len(signals)
    out = np.zeros((n, 3))
    support: dict[str, float] = {}
    count: dict[str, int] = {}
    cands = []
    for sig, w in zip(signals, weight, strict=True):
        c = sig.names | {"#" + t for t in sig.numbers}
        cands.append(c)
        for t in c:
            support[t] = support.get(t, 0.0) + float(w)
            count[t] = count.get(t, 0) + 1
    if not support:
        return out
    numeric = kind in ("number", "time")
    typed = kind in ("number", "time", "person", "place", "entity")
    for i, (c, w) in enumerate(zip(cands, weight, strict=True)):
        if not c:
            continue
        others = [support[t] - float(w) for t in c]
        out[i, 0] = max(others)
        if typed:
            out[i, 1] = max((o for t, o in zip(c, others, strict=True) if t.startswith("#") == numeric), default=0.0)
        out[i, 2] = max(count[t] for t in c) / n
    for j in (0, 1):
        top = out[:, j].max()
        if top > 0:
            out[:, j] /= top
    return out


def dense_features(cosines: np.ndarray) -> np.ndarray:
    """Features of the bi-encoder cosines of a set of sentences with the question, shape
    ``(n, len(DENSE_FEATURE_NAMES))``: the cosine, its gap to the best, its z-score and 1/(1+rank)
    within the set."""
    cos = np.asarray(cosines, dtype=np.float64)
    out = np.zeros((len(cos), len(DENSE_FEATURE_NAMES)))
    if len(cos) == 0:
        return out
    out[:, 0] = cos
    out[:, 1] = cos - cos.max()
    out[:, 2] = _zscore(cos)
    out[:, 3] = _reciprocal_rank(cos)
    return out


def feature_matrix(
    question: str, sentences: Sequence[str], cosines: np.ndarray, titles: Sequence[str] | None = None
) -> np.ndarray:
    """All features of each sentence, shape ``(len(sentences), len(FEATURE_NAMES))``: the lexical
    ones then the dense ones (``cosines``: the bi-encoder cosine of each sentence with the question)."""
    return np.hstack([lexical_features(question, sentences, titles), dense_features(cosines)])


def passage_features(passage_scores: Sequence[float] | np.ndarray) -> np.ndarray:
    """Scale-free features of each sentence's passage retrieval score, shape ``(n, 2)``: the score
    min-max scaled within the set, and 1/(1+rank) of the passage among distinct scores."""
    p = np.asarray(passage_scores, dtype=np.float64)
    out = np.zeros((len(p), len(PASSAGE_FEATURE_NAMES)))
    if len(p) == 0:
        return out
    span = p.max() - p.min()
    out[:, 0] = (p - p.min()) / span if span > 0 else 1.0
    out[:, 1] = _reciprocal_rank(p)
    return out


def stage_features(stage: str, with_passage: bool) -> tuple[str, ...]:
    """The feature names a model of ``stage`` ("first": no embedding; "final": all) reads."""
    if stage not in ("first", "final"):
        raise ValueError(f"stage must be 'first' or 'final', not {stage!r}.")
    base = LEXICAL_FEATURE_NAMES if stage == "first" else FEATURE_NAMES
    return base + PASSAGE_FEATURE_NAMES if with_passage else base
