"""Settings read once at the edge (CLI, app) and passed down."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from index.chunk import Chunker
from index.embed import (
    DEFAULT_MODEL,
    Embedder,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    cache_dir,
    default_model_path,
)
from index.vectors import FaissKind

__all__ = ["DEMO_CORPUS", "DEMO_INDEX", "Settings"]

_ROOT = Path(__file__).resolve().parent.parent
DEMO_CORPUS = _ROOT / "data" / "demo" / "wikinews.jsonl"
DEMO_INDEX = _ROOT / "data" / "demo" / "index"


@dataclass(frozen=True)
class Settings:
    """How to build and read an index. ``model`` is a sentence-transformers name or local path;
    ``onnx`` embeds the chunks with onnxruntime when the model can run there (see
    :meth:`load_embedder`), ``embed_batch`` is torch's batch size."""

    model: str = DEFAULT_MODEL
    chunk_tokens: int = 200
    chunk_overlap: int = 30
    faiss_kind: FaissKind = "flat"
    embed_batch: int = 16
    progress: bool = False
    onnx: bool = True

    def __post_init__(self) -> None:
        if self.chunk_tokens < 16:
            raise ValueError("chunk_tokens must be at least 16.")
        if not 0 <= self.chunk_overlap < self.chunk_tokens:
            raise ValueError("chunk_overlap must be at least 0 and smaller than chunk_tokens.")
        if self.faiss_kind not in ("flat", "hnsw", "ivfpq"):
            raise ValueError("faiss_kind must be 'flat', 'hnsw' or 'ivfpq'.")
        if self.embed_batch < 1:
            raise ValueError("embed_batch must be greater than 0.")

    def load_embedder(self) -> Embedder:
        """The model that embeds chunks at ingest. On onnxruntime where it can run (the vectors of
        torch's, cosine above 0.9999; on 2 cores about 1.6 times the chunks per second of torch, and
        batches of 8 do best there), else on torch. The export is cached as for questions."""
        model = SentenceTransformerEmbedder.from_name(self.model, batch_size=self.embed_batch, progress=self.progress)
        fast = OnnxEmbedder.from_sentence_transformer(model, cache_dir(), batch_size=8) if self.onnx else None
        return fast if fast is not None else model

    def chunker(self) -> Chunker:
        """Token-aware when the model's tokenizer is on disk; otherwise words (~0.75 per token)."""
        folder = default_model_path() if self.model == DEFAULT_MODEL else self.model
        if (Path(folder) / "tokenizer.json").is_file():
            return Chunker.for_tokenizer(folder, self.chunk_tokens, self.chunk_overlap)
        return Chunker(max(12, self.chunk_tokens * 3 // 4), self.chunk_overlap * 3 // 4)
