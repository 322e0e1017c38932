"""Run an ingest with the fake embedder in a subprocess, slowly, so a test can kill it midway.

    python ingest_worker.py INDEX_DIR DELAY_SECONDS PATH...
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from index.chunk import Chunker  # noqa: E402
from index.embed import HashingEmbedder  # noqa: E402
from index.ingest import ingest  # noqa: E402


class SlowEmbedder(HashingEmbedder):
    def __init__(self, delay: float) -> None:
        super().__init__(dim=32, name="hashing-test")
        self.delay = delay

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(self.delay)
        return super().embed(texts)


def main() -> None:
    index_dir, delay, *paths = sys.argv[1:]
    print("started", flush=True)  # imports are done: a test can time its kill from here
    report = ingest(
        paths, index_dir, lambda: SlowEmbedder(float(delay)), "hashing-test", Chunker(30, 5), batch_articles=8
    )
    print(f"done added={report.added} unchanged={report.unchanged}", flush=True)


if __name__ == "__main__":
    main()
