"""Shared plumbing for scorer experiments: the prepared, featurised sets and one evaluation line.

Each experiment builds :class:`train_scorer.Config` variants (or patches the feature functions) and
calls :func:`evaluate`, which prints TrecQA dev MAP/MRR (plain model), RealtimeQA 2022 answer@1/@3
out of fold (5 folds; each fold's model trained on TrecQA train and the other 2022 folds, with
passage ranks as the assistant passes them) and RealtimeQA 2023 answer@1/@3 (model trained on all of
2022), exactly as ``scripts/train_scorer.py`` measures them.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import train_scorer as T  # noqa: E402


def load() -> T.Sets:
    return T.featurise_all(T.prepare(T.DEFAULT_DATA, T.DEFAULT_CACHE))


def evaluate(sets: T.Sets, cfg: T.Config, label: str = "") -> dict[str, float]:
    emb = sets.embeddings
    _, oof = T.out_of_fold(sets.rtqa_2022, sets.trec_train, cfg, emb)
    weights = T.train([*sets.trec_train, *sets.rtqa_2022], cfg, emb)
    m, r = T.trec_metrics([f.group for f in sets.trec_dev], T.score_groups(weights, sets.trec_dev, False, emb))
    a22 = T.answer_at_k([f.group for f in sets.rtqa_2022], oof)
    a23 = T.answer_at_k([f.group for f in sets.rtqa_2023], T.score_groups(weights, sets.rtqa_2023, True, emb))
    print(
        f"{label:44s} dev MAP {m:.3f} MRR {r:.3f} | 2022(oof) @1 {a22[0]:.3f} @3 {a22[1]:.3f}"
        f" | 2023 @1 {a23[0]:.3f} @3 {a23[1]:.3f}",
        flush=True,
    )
    return {"map": m, "mrr": r, "a1_22": a22[0], "a3_22": a22[1], "a1_23": a23[0], "a3_23": a23[1]}


def trec_only(sets: T.Sets, cfg: T.Config, label: str = "") -> tuple[float, float]:
    """TrecQA dev MAP/MRR of a model trained on all training data (no folds): quicker."""
    weights = T.train([*sets.trec_train, *sets.rtqa_2022], cfg, sets.embeddings)
    m, r = T.trec_metrics(
        [f.group for f in sets.trec_dev], T.score_groups(weights, sets.trec_dev, False, sets.embeddings)
    )
    print(f"{label:44s} dev MAP {m:.3f} MRR {r:.3f}", flush=True)
    return m, r
