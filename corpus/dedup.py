"""Exact and near-duplicate detection for articles.

Exact copies are caught by ``text_fingerprint`` (a hash of the normalised text). Near copies
(syndicated wire stories under another headline or intro, re-scrapes with small edits, a copy
with a footer added or the last paragraphs cut) are caught by MinHash signatures over word
5-gram shingles, indexed in an LSH so a lookup touches only likely candidates, never every pair.

Signatures are plain ``uint64`` numpy arrays so a store can keep ``signature.tobytes()`` and
rebuild a finder later from ``np.frombuffer(b, dtype=np.uint64)``. They are deterministic across
processes and runs: fixed seed, fixed permutation scheme, SHA-1 based shingle hashing.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

__all__ = [
    "DEFAULT_THRESHOLD",
    "DuplicateFinder",
    "minhash_signature",
    "shingles",
    "text_fingerprint",
]

logger = logging.getLogger(__name__)

# Estimated Jaccard similarity of word 5-gram sets above which two texts count as the same story.
# Measured on the 295 Wikinews articles: a copy with a rewritten first sentence and a wire footer
# scores a median of 0.84 (95% above 0.65); a copy with its last third cut, 0.78. The most
# similar pair of *different* articles (two interviews from one templated election series,
# sharing their boilerplate questions) scores 0.34; related news stories stay below 0.25.
DEFAULT_THRESHOLD = 0.5

# Pinned so signatures stored today still compare with those computed after a datasketch upgrade
# (datasketch 2.0 changed its default scheme); "affine64" stores uint64 values natively.
_SCHEME = "affine64"
_SEED = 1
# The LSH only proposes candidates; every candidate is then checked against the threshold with
# the full signature. Tuning the LSH for a lower threshold than the decision threshold makes
# missed candidates (false negatives) rare, at the cost of a few extra checks.
_LSH_THRESHOLD_FACTOR = 0.8
_LSH_WEIGHTS = (0.3, 0.7)  # (false positive, false negative) weights: misses cost more

_APOSTROPHES = re.compile("['\u2019\u02bc]")
_WORDS = re.compile(r"[^\W_]+")


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).casefold()
    return _WORDS.findall(_APOSTROPHES.sub("", text))


def shingles(text: str, k: int = 5) -> set[bytes]:
    """Word ``k``-gram shingles of ``text``, UTF-8 encoded.

    The text is case-folded and stripped of punctuation first ("Don't" and "dont" agree), so
    copies that differ only in quoting, punctuation or case share all their shingles. A text with
    fewer than ``k`` words gives one shingle of all its words; a text with no words gives an
    empty set.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}.")
    words = _words(text)
    if not words:
        return set()
    if len(words) < k:
        return {" ".join(words).encode("utf-8")}
    return {" ".join(words[i : i + k]).encode("utf-8") for i in range(len(words) - k + 1)}


@lru_cache(maxsize=8)
def _template(num_perm: int) -> MinHash:
    # Generating the permutations is the costly part of a MinHash; share them per num_perm.
    return MinHash(num_perm=num_perm, seed=_SEED, scheme=_SCHEME)


def minhash_signature(text: str, num_perm: int = 128, k: int = 5) -> np.ndarray:
    """MinHash signature of ``shingles(text, k)``: a 1-D ``uint64`` array of ``num_perm`` values.

    Deterministic across processes and machines. The fraction of equal positions between two
    signatures estimates the Jaccard similarity of the two shingle sets.
    """
    if num_perm < 2:
        raise ValueError(f"num_perm must be at least 2, got {num_perm}.")
    template = _template(num_perm)
    minhash = MinHash(num_perm=num_perm, seed=_SEED, scheme=_SCHEME, permutations=template.permutations)
    items = sorted(shingles(text, k))
    if items:
        minhash.update_batch(items)
    return np.array(minhash.hashvalues, dtype=np.uint64, copy=True)


def text_fingerprint(text: str) -> str:
    """SHA-256 hex digest of the NFC-normalised, case-folded, whitespace-collapsed text.

    Equal for exact copies that differ only in case or spacing.
    """
    normalised = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    return hashlib.sha256(normalised.encode("utf-8", "surrogatepass")).hexdigest()


def _estimated_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Share of equal positions of two signatures of the same length: estimated Jaccard."""
    return float(np.count_nonzero(a == b)) / float(len(a))


class DuplicateFinder:
    """Holds an LSH over the signatures of kept articles and finds near-duplicates among them.

    State lives here (the LSH and the signatures by key) so a store can rebuild it from saved
    signatures with ``add``. ``find`` proposes candidates with the LSH and confirms each with the
    full signature, so a returned key always has estimated Jaccard >= ``threshold``.
    """

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, num_perm: int = 128) -> None:
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0.0 < threshold <= 1.0:
            raise ValueError(
                f"threshold must be a number in (0, 1], got {threshold!r}; "
                f"{DEFAULT_THRESHOLD} catches edited copies but not different stories."
            )
        if isinstance(num_perm, bool) or not isinstance(num_perm, int) or num_perm < 2:
            raise ValueError(
                f"num_perm must be an integer >= 2, got {num_perm!r}; use the num_perm the "
                f"signatures were made with (128 by default)."
            )
        self.threshold = float(threshold)
        self.num_perm = num_perm
        self._signatures: dict[str, np.ndarray] = {}
        self._added: dict[str, int] = {}  # key -> insertion number, for stable tie-breaking
        self._counter = 0
        self._lsh: MinHashLSH | None = None  # built on first use: choosing its bands costs ~10 ms

    def _index(self) -> MinHashLSH:
        if self._lsh is None:
            self._lsh = MinHashLSH(
                threshold=self.threshold * _LSH_THRESHOLD_FACTOR,
                num_perm=self.num_perm,
                weights=_LSH_WEIGHTS,
            )
        return self._lsh

    def _checked(self, signature: np.ndarray) -> np.ndarray:
        array = np.asarray(signature)
        if array.dtype != np.uint64 or array.ndim != 1:
            raise ValueError(
                f"signature must be a 1-D uint64 array (from minhash_signature, or "
                f"np.frombuffer(b, dtype=np.uint64)), got dtype {array.dtype} with shape "
                f"{array.shape}."
            )
        if len(array) != self.num_perm:
            raise ValueError(
                f"signature has {len(array)} values but this DuplicateFinder uses "
                f"num_perm={self.num_perm}; compute signatures with the same num_perm."
            )
        return array

    def _lean(self, signature: np.ndarray) -> LeanMinHash:
        return LeanMinHash(seed=_SEED, hashvalues=signature, scheme=_SCHEME)

    def add(self, key: str, signature: np.ndarray) -> None:
        """Index ``signature`` under ``key``; an existing ``key`` is replaced."""
        array = self._checked(signature).copy()  # own it: frombuffer arrays are read-only views
        if key in self._signatures:
            self.remove(key)
        self._index().insert(key, self._lean(array))
        self._signatures[key] = array
        self._added[key] = self._counter
        self._counter += 1

    def remove(self, key: str) -> None:
        """Forget ``key``; no error if it is not there."""
        if self._signatures.pop(key, None) is not None:
            del self._added[key]
            self._index().remove(key)

    def find(self, signature: np.ndarray) -> str | None:
        """Key of the most similar added signature with estimated Jaccard >= threshold, else None.

        Ties go to the key added first. Nothing is excluded: to re-check an article that is
        already added, ``remove`` its key first.
        """
        array = self._checked(signature)
        if not self._signatures:
            return None
        best_key: str | None = None
        best = -1.0
        candidates = self._index().query(self._lean(array))
        for key in sorted(candidates, key=self._added.__getitem__):
            similarity = _estimated_jaccard(array, self._signatures[key])
            if similarity >= self.threshold and similarity > best:
                best_key, best = key, similarity
        return best_key

    def __len__(self) -> int:
        return len(self._signatures)

    def __contains__(self, key: object) -> bool:
        return key in self._signatures
