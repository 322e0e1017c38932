"""Shared plumbing for scorer experiments: cached candidates, cosines, features and an evaluator.

Numbers reported: TrecQA dev MAP/MRR, RealtimeQA 2022 answer@1/@3 out-of-fold (5-fold grouped CV,
each fold's model trained on TrecQA train + the other 2022 folds), RealtimeQA 2023 answer@1/@3.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import train_scorer as T  # noqa: E402

from assistant import score as S  # noqa: E402


@dataclass
class Split:
    groups: list[T.Group]
    cos: list[np.ndarray]
    qvec: list[np.ndarray]
    svec: list[np.ndarray] | None
    x: list[np.ndarray]


def load(with_vectors: bool = False) -> tuple[T.Prepared, dict[str, Split]]:
    prep = T.prepare(T.DEFAULT_DATA, T.DEFAULT_CACHE)
    out = {}
    for name, groups in (
        ("trec_train", prep.trec_train),
        ("trec_dev", prep.trec_dev),
        ("r22", prep.rtqa_2022),
        ("r23", prep.rtqa_2023),
    ):
        cos, qv, sv = [], [], []
        for g in groups:
            q = prep.embeddings.get([g.question])[0]
            s = prep.embeddings.get(g.sentences) if g.sentences else np.zeros((0, 384), np.float32)
            cos.append(s.astype(np.float64) @ q.astype(np.float64))
            qv.append(q)
            if with_vectors:
                sv.append(s)
        out[name] = Split(groups, cos, qv, sv if with_vectors else None, [])
    return prep, out


def featurise(splits: dict[str, Split], fn: Callable[[str, Sequence[str], np.ndarray], np.ndarray] = S.feature_matrix) -> None:
    for sp in splits.values():
        sp.x = [fn(g.question, g.sentences, c) for g, c in zip(sp.groups, sp.cos, strict=True)]


def with_passage(sp: Split) -> list[np.ndarray]:
    out = []
    for g, x in zip(sp.groups, sp.x, strict=True):
        if g.passage_scores is None:
            out.append(np.hstack([x, np.tile([1.0, 1.0], (len(x), 1))]))
        else:
            out.append(np.hstack([x, S.passage_features(g.passage_scores)]))
    return out


def stack(xs: list[np.ndarray], groups: list[T.Group], scale: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, labels and weights where each question's rows add up to ``scale``."""
    x = np.vstack([a for a in xs if len(a)])
    y = np.concatenate([g.labels for g in groups if len(g.labels)])
    w = np.concatenate([np.full(len(g.labels), scale / len(g.labels)) for g in groups if len(g.labels)])
    return x, y, w


Fit = Callable[[np.ndarray, np.ndarray, np.ndarray], Callable[[np.ndarray], np.ndarray]]


def fit_logistic(c: float = 1.0) -> Fit:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        sc = StandardScaler().fit(x)
        lr = LogisticRegression(C=c, max_iter=2000).fit(sc.transform(x), y, sample_weight=w / w.mean())
        return lambda z: lr.predict_proba(sc.transform(z))[:, 1]

    return fit


def evaluate(
    splits: dict[str, Split],
    fit: Fit,
    passage: bool = False,
    trec_scale: float = 1.0,
    folds: int = 5,
    label: str = "",
) -> dict[str, float]:
    def xs(sp: Split) -> list[np.ndarray]:
        return with_passage(sp) if passage else sp.x

    tt, r22 = splits["trec_train"], splits["r22"]
    xt, yt, wt = stack(xs(tt), tt.groups, trec_scale)
    x22 = xs(r22)
    # full model: TrecQA train + all of 2022
    xa, ya, wa = stack(x22, r22.groups)
    model = fit(np.vstack([xt, xa]), np.concatenate([yt, ya]), np.concatenate([wt, wa]))
    dev = splits["trec_dev"]
    dev_scores = [model(x) if len(x) else np.zeros(0) for x in xs(dev)]
    m, r = T.trec_metrics(dev.groups, dev_scores)
    s23 = [model(x) for x in xs(splits["r23"])]
    a1_23, a3_23 = T.answer_at_k(splits["r23"].groups, s23)
    # out-of-fold 2022
    idx = np.arange(len(r22.groups))
    oof: list[np.ndarray] = [np.zeros(0)] * len(idx)
    for f in range(folds):
        test = idx[idx % folds == f]
        train = idx[idx % folds != f]
        xa, ya, wa = stack([x22[i] for i in train], [r22.groups[i] for i in train])
        mf = fit(np.vstack([xt, xa]), np.concatenate([yt, ya]), np.concatenate([wt, wa]))
        for i in test:
            oof[i] = mf(x22[i])
    a1_22, a3_22 = T.answer_at_k(r22.groups, oof)
    res = {"dev_map": m, "dev_mrr": r, "r22_a1": a1_22, "r22_a3": a3_22, "r23_a1": a1_23, "r23_a3": a3_23}
    print(
        f"{label:40s} dev MAP {m:.3f} MRR {r:.3f} | 2022(oof) @1 {a1_22:.3f} @3 {a3_22:.3f} | 2023 @1 {a1_23:.3f} @3 {a3_23:.3f}",
        flush=True,
    )
    return res


def evaluate_scores(splits: dict[str, Split], score: Callable[[T.Group, np.ndarray, np.ndarray], np.ndarray], label: str) -> None:
    """Unsupervised scores (baselines)."""
    res = {}
    for name in ("trec_dev", "r22", "r23"):
        sp = splits[name]
        sc = [score(g, c, x) for g, c, x in zip(sp.groups, sp.cos, sp.x or [None] * len(sp.groups), strict=True)]
        if name == "trec_dev":
            res["map"], res["mrr"] = T.trec_metrics(sp.groups, sc)
        else:
            res[name] = T.answer_at_k(sp.groups, sc)
    print(
        f"{label:40s} dev MAP {res['map']:.3f} MRR {res['mrr']:.3f} | 2022 @1 {res['r22'][0]:.3f} @3 {res['r22'][1]:.3f}"
        f" | 2023 @1 {res['r23'][0]:.3f} @3 {res['r23'][1]:.3f}",
        flush=True,
    )
