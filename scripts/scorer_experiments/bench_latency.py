"""Time ``SentenceScorer.score`` for one question with 150 candidate sentences (model loaded,
torch on 2 threads), over RealtimeQA 2023 questions, with passage ranks as the assistant passes
them. Prints p50/p90 of the whole call and of its parts.

    python scripts/scorer_experiments/bench_latency.py [--top-n N] [--questions 40]
"""

from __future__ import annotations

import argparse
import json
import time

import harness as H
import numpy as np

S = H.S
T = H.T

parser = argparse.ArgumentParser()
parser.add_argument("--top-n", type=int, default=None)
parser.add_argument("--questions", type=int, default=40)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()

import torch  # noqa: E402

torch.set_num_threads(args.threads)
scorer = S.SentenceScorer.load()
groups = [T._group_from_json(r) for r in json.loads((T.DEFAULT_CACHE / "realtimeqa_2023_groups.json").read_text())]
groups = [g for g in groups if len(g.sentences) >= 150][: args.questions]
scorer.score(groups[0].question, list(groups[0].sentences[:150]))  # warm up
total, lexical, embed = [], [], []
for g in groups:
    sents = list(g.sentences[:150])
    assert g.article_ranks is not None
    passage = (1.0 / (1.0 + g.article_ranks[:150])).tolist()
    t0 = time.perf_counter()
    scorer.score(g.question, sents, passage_scores=passage, top_n=args.top_n)
    total.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    S.lexical_features(g.question, sents)
    lexical.append(time.perf_counter() - t0)
    k = args.top_n or scorer.weights.top_n
    t0 = time.perf_counter()
    scorer.embedder.embed([g.question, *sents[:k]])
    embed.append(time.perf_counter() - t0)
for name, v in (("score()", total), ("lexical features", lexical), ("embed question + top_n", embed)):
    ms = np.array(v) * 1000
    print(f"{name:24s} p50 {np.median(ms):6.1f} ms  p90 {np.quantile(ms, 0.9):6.1f} ms  (n={len(ms)})")
