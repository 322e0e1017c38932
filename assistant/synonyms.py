"""Words that stand for a question's word in an article: "aircraft" for "plane", "dead" for "died".

People ask in their own words; the coverage checks (:mod:`assistant.support`) ask whether an article
mentions the question's words, so without this a synonym is a reason to decline. The neighbours
come from the word-piece embedding table of the packaged all-MiniLM-L6-v2 (the model's first layer,
read from its ``model.safetensors``; no other download): whole words of its vocabulary whose
vectors lie close to the word's. In that table "plane" has "airplane", "aircraft", "jet" and
"flight" nearest, "died" has "killed", "dead", "death", "perished". A word the vocabulary lacks
("carmaker" splits into pieces) has no neighbours.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

__all__ = ["DEFAULT_THRESHOLD", "neighbours"]

DEFAULT_THRESHOLD = 0.45  # cosine between word-piece vectors; see AskSettings.synonym_threshold
_LIMIT = 12


@functools.cache
def _table(model_dir: str) -> tuple[np.ndarray, tuple[str, ...], dict[str, int]]:
    """The model's whole-word vocabulary (letters only, three or more) and their L2-normalised
    word-piece vectors."""
    from safetensors import safe_open

    folder = Path(model_dir)
    vocab = (folder / "vocab.txt").read_text(encoding="utf-8").split("\n")
    with safe_open(str(folder / "model.safetensors"), framework="numpy") as weights:
        name = next(k for k in weights.keys() if k.endswith("word_embeddings.weight"))  # noqa: SIM118
        table = weights.get_tensor(name)
    rows = [i for i, w in enumerate(vocab[: len(table)]) if len(w) >= 3 and w.isalpha() and w.isascii()]
    vectors = np.asarray(table[rows], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
    words = tuple(vocab[i] for i in rows)
    return vectors, words, {w: j for j, w in enumerate(words)}


@functools.lru_cache(maxsize=50_000)
def neighbours(word: str, threshold: float = DEFAULT_THRESHOLD, model_dir: str | None = None) -> tuple[str, ...]:
    """Up to 12 whole words whose vectors have a cosine of at least ``threshold`` with ``word``'s,
    nearest first (``word`` itself left out); none when the vocabulary lacks it."""
    if model_dir is None:
        from index.embed import default_model_path

        model_dir = default_model_path()
    vectors, words, row = _table(model_dir)
    j = row.get(word.lower())
    if j is None:
        return ()
    cosines = vectors @ vectors[j]
    best = np.argsort(-cosines)[: _LIMIT + 1]
    return tuple(words[i] for i in best if i != j and cosines[i] >= threshold)

