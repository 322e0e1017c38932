"""Exp 01: the first stage alone (lexical + passage features, no embedding) against BM25, and how
much of the answer the first stage keeps in its top N (the recall the second stage can work with)."""

from __future__ import annotations

import harness as H
import numpy as np

from assistant import scorer_weights as W

T = H.T
sets = H.load()
cfg = T.Config()


def first_only(weights: W.ScorerWeights, part: list[T.Featurised], with_passage: bool) -> list[np.ndarray]:
    model = weights.model("first", with_passage)
    return [model.predict(T._first_rows(f, with_passage)) for f in part]


weights = T.train([*sets.trec_train, *sets.rtqa_2022], cfg, sets.embeddings)
groups23 = [f.group for f in sets.rtqa_2023]
for name, part in (("2022 (in-sample)", sets.rtqa_2022), ("2023", sets.rtqa_2023)):
    groups = [f.group for f in part]
    bm = T.answer_at_k(groups, T.bm25_baseline(part), ks=(1, 3, 16, 32, 48))
    fs = T.answer_at_k(groups, first_only(weights, part, True), ks=(1, 3, 16, 32, 48))
    print(f"{name}: answer@1/3/16/32/48  BM25 {np.round(bm, 3).tolist()}  first stage {np.round(fs, 3).tolist()}")
m, r = T.trec_metrics([f.group for f in sets.trec_dev], first_only(weights, sets.trec_dev, False))
print(f"TrecQA dev, first stage alone: MAP {m:.3f} MRR {r:.3f}")
