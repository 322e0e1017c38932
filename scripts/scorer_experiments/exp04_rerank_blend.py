"""How reranking the retrieved passages by sentence evidence moves article Recall@1/@5 and MRR.

    python scripts/scorer_experiments/exp04_rerank_blend.py --index results/index-2022 \\
        ../shared/data/realtimeqa/questions_2022.jsonl

For each question: the fused top 50 passages (what ``Assistant.search`` starts from), the sentence
scores of the first 20, then rankings without rerank and with two blends of each passage's or
article's best sentence score with ``alpha / (1 + rank)``: "passage" reorders passages (what
``AskSettings(rerank=True)`` does, alpha 0.5), "article" reorders articles by the best sentence over
their passages and their first fused rank. Articles are ranked by first appearance, as
``newsqa eval questions`` ranks them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from assistant.answer import candidates  # noqa: E402
from assistant.api import Assistant, _clean_question  # noqa: E402
from eval.formats import load_questions  # noqa: E402
from eval.metrics import dedupe, first_relevant_rank  # noqa: E402

Case = tuple[set[str], list[str], list[float]]  # relevant ids, passage article ids, best sentence score per passage


def cases(assistant: Assistant, questions_file: Path, passages: int = 20) -> list[Case]:
    out = []
    for q in load_questions(questions_file):
        query = _clean_question(q.question)
        hits, _, _ = assistant.retriever.ranked(query, 50, None)
        found = candidates(hits[:passages])
        best: dict[int, float] = {}
        for c, s in zip(found, assistant._score(query, found, hits), strict=True):
            best[c.hit.chunk_id] = max(best.get(c.hit.chunk_id, 0.0), float(s))
        out.append((set(q.article_ids), [h.article_id for h in hits], [best.get(h.chunk_id, 0.0) for h in hits]))
    return out


def ranking(ids: Sequence[str], best: Sequence[float], alpha: float | None, mode: str, limit: int = 20) -> list[str]:
    head = range(min(limit, len(ids)))
    if alpha is None:
        return dedupe(ids)
    if mode == "passage":
        order = sorted(head, key=lambda r: -(best[r] + alpha / (1 + r))) + list(range(len(head), len(ids)))
        return dedupe([ids[r] for r in order])
    articles = dedupe(ids[:limit])
    top = {a: max(best[r] for r in head if ids[r] == a) for a in articles}
    ranked = sorted(articles, key=lambda a: -(top[a] + alpha / (1 + articles.index(a))))
    return ranked + [a for a in dedupe(ids) if a not in top]


def measure(data: Sequence[Case], alpha: float | None, mode: str) -> tuple[float, float, float]:
    r1 = r5 = mrr = 0.0
    for relevant, ids, best in data:
        rank = first_relevant_rank(ranking(ids, best, alpha, mode)[:10], relevant)
        r1 += rank == 1
        r5 += rank is not None and rank <= 5
        mrr += 1 / rank if rank else 0.0
    return r1 / len(data), r5 / len(data), mrr / len(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--alphas", type=float, nargs="+", default=[0.5, 0.75, 1.0, 1.5, 2.0, 3.0])
    args = parser.parse_args()
    data = cases(Assistant.load(args.index), args.questions)

    def line(label: str, alpha: float | None, mode: str) -> str:
        r1, r5, mrr = measure(data, alpha, mode)
        return f"{label:18s} R@1 {r1:.3f} R@5 {r5:.3f} MRR@10 {mrr:.3f}"

    print(line("no rerank", None, ""))
    for mode in ("passage", "article"):
        for alpha in args.alphas:
            print(line(f"{mode} alpha {alpha:.2f}", alpha, mode), flush=True)


if __name__ == "__main__":
    main()
