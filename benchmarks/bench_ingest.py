"""Ingest throughput against the bare encoder, measured in the same run.

    python benchmarks/bench_ingest.py [--corpus FILE] [--index DIR] [--baseline-share 0.25]

Ingests the corpus (default: RealtimeQA 2022, 4,973 articles, from ../shared/data) into a fresh
index with the ordinary ingest path and the packaged model, then encodes a random share of the very
chunk texts it embedded with the bare encoder the pipeline used (onnxruntime's session, or
``SentenceTransformer.encode`` when the model runs on torch; same batch size), and with bare
``SentenceTransformer.encode`` as well. It prints articles/s, chunks/s, tokens/s, peak memory, the
ratio of the pipeline's embedding throughput to its bare encoder's (the target is at least 0.9)
and to torch's.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "realtimeqa" / "articles_2022.jsonl.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--index", type=Path, default=ROOT / "results" / "index-bench")
    parser.add_argument(
        "--baseline-share", type=float, default=0.25, help="share of chunk texts the bare encoder re-encodes"
    )
    parser.add_argument("--keep", action="store_true", help="keep an existing index (then nothing is embedded)")
    args = parser.parse_args()

    from assistant.settings import Settings
    from index.ingest import embedding_text, ingest
    from index.store import IndexStore

    if args.index.exists() and not args.keep:
        shutil.rmtree(args.index)
    settings = Settings()
    loaded = {}

    def load():  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        loaded["embedder"] = settings.load_embedder()
        loaded["load_seconds"] = time.perf_counter() - t
        return loaded["embedder"]

    started = time.perf_counter()
    report = ingest([args.corpus], args.index, load, settings.model, settings.chunker())
    seconds = time.perf_counter() - started - loaded.get("load_seconds", 0.0)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    store = IndexStore.open(args.index)
    rows = store.db.execute("SELECT a.title, c.text FROM chunks c JOIN articles a ON a.id = c.article_id").fetchall()
    texts = [embedding_text(t, x) for t, x in rows]
    store.close()
    from tokenizers import Tokenizer

    from index.embed import default_model_path

    tok = Tokenizer.from_file(str(Path(default_model_path()) / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    tokens = sum(len(e.ids) for e in tok.encode_batch(texts))

    rng = random.Random(0)
    sample = rng.sample(texts, max(1, int(len(texts) * args.baseline_share)))
    from index.embed import OnnxEmbedder, SentenceTransformerEmbedder

    embedder = loaded.get("embedder") or load()
    on_onnx = isinstance(embedder, OnnxEmbedder)
    # the pipeline's own model when it ran on torch; loaded again only to compare with onnxruntime
    torch_model = embedder
    if not isinstance(torch_model, SentenceTransformerEmbedder):
        torch_model = SentenceTransformerEmbedder.from_name(settings.model)

    def rate(encode) -> float:  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        encode(sample)
        return len(sample) / (time.perf_counter() - t)

    onnx_rate = rate(embedder.embed) if on_onnx else None  # first, as the pipeline's own encoder
    torch_rate = rate(lambda texts: torch_model._model.encode(  # type: ignore[attr-defined]
        texts, batch_size=settings.embed_batch, normalize_embeddings=True, convert_to_numpy=True))
    bare_rate = torch_rate if onnx_rate is None else onnx_rate

    pipeline_rate = report.embedded / seconds if seconds else 0.0
    print(f"corpus: {args.corpus}")
    print(
        f"articles read: {report.read}  kept: {report.added - report.duplicates}  "
        f"duplicates: {report.duplicates}  skipped: {len(report.skipped)}"
    )
    print(f"chunks: {report.chunks}  texts embedded: {report.embedded}  tokens: {tokens}")
    print(f"ingest seconds (model load excluded): {seconds:.1f}  (model load {loaded.get('load_seconds', 0):.1f} s)")
    print(f"articles/s: {report.read / seconds:.1f}")
    print(f"chunks/s: {report.chunks / seconds:.1f}")
    print(f"tokens/s: {tokens / seconds:.0f}")
    print(f"peak memory (max RSS): {peak_mb:.0f} MB")
    engine = f"onnxruntime, batch {embedder.batch_size}" if on_onnx else f"torch, batch {settings.embed_batch}"
    print(f"pipeline embedded texts/s: {pipeline_rate:.1f}  ({engine})")
    print(f"bare encoder ({engine}) on {len(sample)} of the same chunk texts: {bare_rate:.1f} chunks/s")
    print(f"bare SentenceTransformer.encode (torch, batch {settings.embed_batch}): {torch_rate:.1f} chunks/s")
    print(f"ratio pipeline / bare encoder: {pipeline_rate / bare_rate:.3f}  (target >= 0.9)")
    print(f"ratio pipeline / bare torch: {pipeline_rate / torch_rate:.3f}")


if __name__ == "__main__":
    main()
