"""Latency of ``Assistant.ask`` against bare BM25 search, measured in the same run.

    python benchmarks/bench_ask.py --index results/index-2022 [--questions FILE] [--n 300]
                                   [--milvus results/index-2022.db]

Loads the index and the model once, warms up, then times ``ask`` for each question (p50/p95/max)
and, on the same questions, the BM25 search alone (the lexical index's top 20) — the floor any
answer costs — and ``ask`` with the model on torch instead of onnxruntime (a second assistant,
``Assistant.load(..., onnx=False)``), and ``ask`` with the reader (``AskSettings(reader=True)``,
off by default), and with ``--milvus LOCATION`` ``ask`` on a copy of the index in Milvus (``newsqa
copy-index``). They run in turn on each question, so that whatever else the machine does weighs on
all alike. Prints each and the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_QUESTIONS = ROOT.parent / "shared" / "data" / "realtimeqa" / "questions_2022.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / "results" / "index-2022")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--milvus", help="a Milvus location holding a copy of --index, timed beside it")
    args = parser.parse_args()

    import torch

    from assistant.api import Assistant
    from assistant.records import AskSettings

    with open(args.questions, encoding="utf-8") as f:
        questions = [json.loads(line)["question"] for line in f][: args.n]
    t = time.perf_counter()
    assistant = Assistant.load(args.index)
    load_s = time.perf_counter() - t
    on_torch = Assistant.load(args.index, onnx=False)
    with_reader = Assistant.load(args.index, AskSettings(reader=True))
    on_milvus = Assistant.load(args.milvus) if args.milvus else None
    for q in questions[:5]:
        assistant.ask(q)
        on_torch.ask(q)
        with_reader.ask(q)
        if on_milvus is not None:
            on_milvus.ask(q)
    ask_ms, torch_ms, bm25_ms, scorer_ms, milvus_ms = [], [], [], [], []
    for q in questions:
        t = time.perf_counter()
        assistant.retriever.lexical.search(q, 20)
        bm25_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        assistant.ask(q)
        ask_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        on_torch.ask(q)
        torch_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        with_reader.ask(q)
        scorer_ms.append((time.perf_counter() - t) * 1000)
        if on_milvus is not None:
            t = time.perf_counter()
            on_milvus.ask(q)
            milvus_ms.append((time.perf_counter() - t) * 1000)
    stats = assistant.stats()
    embedder = type(assistant.retriever.embedder.inner).__name__  # type: ignore[attr-defined]
    print(f"index: {args.index} ({stats.articles} articles, {stats.chunks} chunks); load {load_s:.1f} s; "
          f"torch threads {torch.get_num_threads()}; embedder {embedder}")
    named = (("ask", ask_ms), ("ask, model on torch", torch_ms), ("ask with the reader", scorer_ms),
             ("bm25 search only", bm25_ms), (f"ask on {args.milvus}", milvus_ms))
    for name, xs in named:
        if not xs:
            continue
        a = np.asarray(xs)
        print(
            f"{name:>22}: n={len(a)} p50 {np.percentile(a, 50):.1f} ms  p95 {np.percentile(a, 95):.1f} ms  "
            f"max {a.max():.1f} ms"
        )
    ratio = np.percentile(ask_ms, 50) / np.percentile(bm25_ms, 50)
    print(f"ask / bm25 p50 ratio: {ratio:.1f}x  (target: p50 <= 150 ms, p95 <= 400 ms; with the reader 300 / 600)")
    ratio = np.percentile(ask_ms, 50) / np.percentile(scorer_ms, 50)
    print(f"ask / ask with the reader p50 ratio: {ratio:.2f}x")
    ratio = np.percentile(ask_ms, 50) / np.percentile(torch_ms, 50)
    print(f"ask / ask on torch p50 ratio: {ratio:.2f}x")
    if milvus_ms:
        ratio = np.percentile(milvus_ms, 50) / np.percentile(ask_ms, 50)
        print(f"ask on Milvus / ask on the local index p50 ratio: {ratio:.2f}x")


if __name__ == "__main__":
    main()
