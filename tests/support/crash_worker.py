"""An ingest or a delete in its own process, slowed down so that a kill lands in the middle of it.

    python crash_worker.py ingest INDEX_DIR PATH... [--delay S] [--stall S] [--real-model]
    python crash_worker.py delete INDEX_DIR ID...  [--delay S] [--stall S] [--real-model]

``--delay`` sleeps before every embedding call (the fake embedder is otherwise instant); ``--stall``
sleeps inside the steps that publish the index — mid-transaction after chunks are written, before
the FAISS file is written, before the manifest is replaced — so a random kill often lands in the
windows where a crash could do harm. Prints ``ready`` once imports are done and ``done`` at the end.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import index.derived as derived_module  # noqa: E402
import index.manifest as manifest_module  # noqa: E402
import index.store as store_module  # noqa: E402
from index.chunk import Chunker  # noqa: E402
from index.embed import Embedder, HashingEmbedder  # noqa: E402
from index.ingest import delete, ingest  # noqa: E402

FAKE_MODEL = "hashing-test"
FAKE_DIM = 32


def fake_chunker() -> Chunker:
    return Chunker(30, 5)


class SlowEmbedder:
    """Any embedder, sleeping ``delay`` seconds before each call."""

    def __init__(self, inner: Embedder, delay: float) -> None:
        self.inner, self.delay = inner, delay
        self.name, self.dim = inner.name, inner.dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(self.delay)
        return self.inner.embed(texts)


def _stalled(fn: Callable[..., Any], seconds: float) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        time.sleep(seconds)
        return fn(*args, **kwargs)

    return wrapper


def stall_publishing(seconds: float) -> None:
    """Widen the windows between the steps that make a change durable."""
    derived_module.write_faiss = _stalled(derived_module.write_faiss, seconds)  # type: ignore[attr-defined]
    manifest_module._atomic_write = _stalled(manifest_module._atomic_write, seconds)
    put_chunks = store_module.IndexStore.put_chunks

    def put_chunks_then_stall(self: Any, *args: Any, **kwargs: Any) -> None:
        put_chunks(self, *args, **kwargs)
        time.sleep(seconds / 4)  # inside the open transaction

    store_module.IndexStore.put_chunks = put_chunks_then_stall  # type: ignore[method-assign]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["ingest", "delete"])
    parser.add_argument("index")
    parser.add_argument("items", nargs="+", help="paths to ingest, or ids to delete")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--stall", type=float, default=0.0)
    parser.add_argument("--real-model", action="store_true")
    args = parser.parse_args(argv)
    if args.real_model:
        from assistant.settings import Settings
        from index.embed import SentenceTransformerEmbedder

        settings = Settings()
        inner: Embedder = SentenceTransformerEmbedder.from_name(settings.model)
        model, chunker = settings.model, settings.chunker()
    else:
        inner, model, chunker = HashingEmbedder(dim=FAKE_DIM, name=FAKE_MODEL), FAKE_MODEL, fake_chunker()
    embedder = SlowEmbedder(inner, args.delay)
    if args.stall:
        stall_publishing(args.stall)
    print("ready", flush=True)
    if args.action == "ingest":
        report = ingest(args.items, args.index, lambda: embedder, model, chunker, batch_articles=8)
        print(f"done added={report.added} updated={report.updated} unchanged={report.unchanged}", flush=True)
    else:
        result = delete(args.items, args.index, lambda: embedder, chunker)
        print(f"done deleted={len(result.deleted)} missing={len(result.missing)}", flush=True)


if __name__ == "__main__":
    main()
