"""Tune the fusion weights of hybrid retrieval on a question set, and print the grid.

    python scripts/tune_fusion.py --index results/index-2022 --questions ../shared/data/realtimeqa/questions_2022.jsonl

Runs BM25, dense and whole-article BM25 search once per question (depth 100), then scores every
setting of weighted reciprocal rank fusion on article-level Recall@1/5/10 and MRR: the search is
done once, the grid is pure arithmetic. Check the chosen setting on another year before making it the default.

With ``--near-question-date`` the fusion weights stay the defaults and the grid is over the
``near_date`` preference instead (half-life, floor, after), each question asked near its own
``date`` field (``YYYY/MM/DD`` or ``YYYY-MM-DD``), as ``newsqa eval questions --near-question-date``
does.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.retrieve import FusionWeights, date_factor, day_number, fuse  # noqa: E402
from eval.metrics import dedupe, first_relevant_rank  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--near-question-date", action="store_true", help="tune the near_date preference")
    args = parser.parse_args()

    from assistant.api import Assistant

    qa = Assistant.load(args.index)
    r = qa.retriever
    questions = [json.loads(line) for line in args.questions.open(encoding="utf-8")]
    article_of: dict[int, str] = {}
    day_of: dict[int, int | None] = {}
    runs = []
    vectors = r.embedder.embed([q["question"] for q in questions])
    for q, vec in zip(questions, vectors, strict=True):
        lex = [c for c, _ in r.lexical.search_text(q["question"], args.depth)]
        den = [c for c, _ in r.vectors.search_vector(vec, args.depth)]
        missing = [c for c in set(lex) | set(den) if c not in article_of]
        for rec in r.store.chunks(missing):
            article_of[rec.id] = rec.article_id
            day_of[rec.id] = day_number(rec.date)
        ids = list(dict.fromkeys(lex + den))
        article_rank = dict(zip(ids, r.lexical.rank_articles(q["question"], ids, args.depth).tolist(), strict=True))
        runs.append((lex, den, article_rank, tuple(q["article_ids_containing_answer"]), day_number(q.get("date"))))

    def score(
        wb: float, wd: float, k: float, wa: float, near: tuple[float, float, float] | None = None
    ) -> tuple[float, ...]:
        ranks = []
        for lex, den, article_rank, relevant, asked in runs:
            fused = fuse([(wb, lex), (wd, den)], k)
            fused = {c: f + (wa / (k + article_rank[c]) if article_rank[c] else 0.0) for c, f in fused.items()}
            if near is not None and asked is not None:
                fused = {c: f * date_factor(day_of.get(c), asked, *near) for c, f in fused.items()}
            order = sorted(fused, key=lambda c: (-fused[c], c))
            articles = dedupe(article_of[c] for c in order)
            ranks.append(first_relevant_rank(articles, relevant) or 10**9)
        a = np.asarray(ranks)
        return ((a <= 1).mean(), (a <= 5).mean(), (a <= 10).mean(), np.where(a <= 20, 1.0 / a, 0.0).mean())

    print(f"{len(runs)} questions; article-level metrics")
    if args.near_question_date:
        w = FusionWeights()
        base = score(w.bm25, w.dense, w.k, w.articles)
        print(f"no date preference: R@1 {base[0]:.3f}  R@5 {base[1]:.3f}  R@10 {base[2]:.3f}  MRR@20 {base[3]:.3f}")
        print(f"{'half':>5} {'floor':>5} {'after':>5}  R@1    R@5    R@10   MRR@20")
        grid = []
        for near in itertools.product((3.0, 7.0, 14.0, 30.0, 90.0), (0.2, 0.4, 0.6, 0.8), (1.0, 3.0)):
            grid.append((*near, *score(w.bm25, w.dense, w.k, w.articles, near)))
        for row in sorted(grid, key=lambda x: (-x[4], -x[3])):
            print(f"{row[0]:5.0f} {row[1]:5.2f} {row[2]:5.1f}  {row[3]:.3f}  {row[4]:.3f}  {row[5]:.3f}  {row[6]:.3f}")
        return
    print(f"{'bm25':>5} {'dense':>5} {'k':>4} {'arts':>5}  R@1    R@5    R@10   MRR@20")
    rows = []
    settings = itertools.product((1.0,), (0.0, 0.25, 0.5, 1.0), (5.0, 10.0, 30.0, 60.0), (0.0, 0.5, 1.0, 1.5, 2.0))
    for wb, wd, k, wa in settings:
        rows.append((wb, wd, k, wa, *score(wb, wd, k, wa)))
    rows.append((0.0, 1.0, 60.0, 0.0, *score(0.0, 1.0, 60.0, 0.0)))
    for row in sorted(rows, key=lambda x: (-x[5], -x[4])):
        print(f"{row[0]:5.2f} {row[1]:5.2f} {row[2]:4.0f} {row[3]:5.2f}  " + "  ".join(f"{x:.3f}" for x in row[4:]))


if __name__ == "__main__":
    main()
