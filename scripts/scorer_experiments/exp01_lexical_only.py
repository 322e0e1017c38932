"""Exp 01: lexical features only (cosine set to 0), logistic regression, while embeddings compute."""

from __future__ import annotations

import numpy as np
import harness as H

T = H.T
groups = {
    "trec_train": T.load_trecqa(T.DEFAULT_DATA / "trecqa" / "train.jsonl"),
    "trec_dev": T.load_trecqa(T.DEFAULT_DATA / "trecqa" / "dev.jsonl"),
    "r22": T.build_realtimeqa(T.DEFAULT_DATA, 2022, T.DEFAULT_CACHE),
    "r23": T.build_realtimeqa(T.DEFAULT_DATA, 2023, T.DEFAULT_CACHE),
}
splits = {k: H.Split(v, [np.zeros(len(g.sentences)) for g in v], [], None, []) for k, v in groups.items()}
H.featurise(splits)
names = list(H.S.FEATURE_NAMES)
H.evaluate_scores(splits, lambda g, c, x: x[:, names.index("bm25_rel")], "own bm25 (set)")
for c in (0.1, 1.0):
    H.evaluate(splits, H.fit_logistic(c), label=f"LR lexical C={c}")
    H.evaluate(splits, H.fit_logistic(c), passage=True, label=f"LR lexical+passage C={c}")
