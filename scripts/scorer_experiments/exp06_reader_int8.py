"""Exp 06: the reader's ONNX model quantised to int8 (onnxruntime's dynamic quantisation).

    python scripts/scorer_experiments/exp06_reader_int8.py [--reader DIR] [--year 2022|2023] [--limit N]

Quantises the reader's exported ONNX file (in the cache folder, made by its first load) into a
temporary folder, then reads each question's candidates (as ``scripts/check_reader.py`` makes them:
the sentences of its BM25 top-5 articles, the scorer's best ``top_n`` reread) with the float model
and the int8 one, and prints answer@1 / @3 and the milliseconds a question of each. ``--year 2022``
(the default) reads the fifth of 2022's questions held out of the reader's training.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from build_reader_data import DEFAULT_DATA, candidate_groups, held_out  # noqa: E402
from train_reader import answer_at  # noqa: E402

from assistant import reader as R  # noqa: E402
from assistant.score import SentenceScorer  # noqa: E402
from index.embed import cache_dir  # noqa: E402


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reader", type=Path, default=R.DEFAULT_DIR)
    parser.add_argument("--year", type=int, choices=(2022, 2023), default=2022)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args(argv)
    from onnxruntime.quantization import QuantType, quantize_dynamic

    float_reader = R.Reader.load(args.reader)
    digest = R._digest(args.reader / R.WEIGHTS_FILE)
    source = cache_dir() / f"reader-{digest[:16]}.onnx"
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "reader-int8.onnx"
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8)
        print(f"ONNX file: {source.stat().st_size / 2**20:.0f} MiB float, {target.stat().st_size / 2**20:.0f} MiB int8")
        run = R.onnx_runner(target)  # the session holds the model: the file may go
    int8_reader = R.Reader(run, float_reader.tokenizer, float_reader.combination, float_reader.top_n)
    groups = candidate_groups(DEFAULT_DATA, args.year)
    if args.year == 2022:
        groups = [g for g in groups if held_out(g["id"])]
    groups = groups[: args.limit]
    labels = [np.array(g["labels"]) for g in groups]
    scorer = SentenceScorer.load()
    scored = [scorer.score(g["question"], g["sentences"], passage_scores=[1 / (1 + r) for r in g["ranks"]],
                           titles=g["titles"]) for g in groups]
    print(f"RealtimeQA {args.year}: {len(groups)} questions; the scorer alone answer@1 "
          f"{answer_at(labels, scored, 1):.3f}  answer@3 {answer_at(labels, scored, 3):.3f}")
    for name, reader in (("float", float_reader), ("int8", int8_reader)):
        started = time.perf_counter()
        read = [R.reread(reader, g["question"], g["sentences"], g["titles"], s.astype(np.float64))
                for g, s in zip(groups, scored, strict=True)]
        ms = (time.perf_counter() - started) / max(len(groups), 1) * 1000
        print(f"  {name}: answer@1 {answer_at(labels, read, 1):.3f}  answer@3 {answer_at(labels, read, 3):.3f}  "
              f"{ms:.0f} ms a question (its best {reader.top_n})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
