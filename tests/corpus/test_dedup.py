"""Tests for corpus.dedup: shingles, signatures, fingerprints and the LSH duplicate finder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from corpus.dedup import (
    DEFAULT_THRESHOLD,
    DuplicateFinder,
    minhash_signature,
    shingles,
    text_fingerprint,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"
ROOT = Path(__file__).resolve().parent.parent.parent


def wikinews() -> dict[str, dict[str, str]]:
    with (FIXTURES / "wikinews_sample.jsonl").open(encoding="utf-8") as f:
        return {r["id"]: r for r in map(json.loads, f)}


ARTICLES = wikinews()
MAGNITOGORSK = ARTICLES["wikinews-e8d671d30811"]["text"]
WALL_EMERGENCY = ARTICLES["wikinews-4c31c6d58e41"]["text"]  # Trump says he may declare an emergency
WALL_LAWSUIT = ARTICLES["wikinews-fd0515c42c78"]["text"]  # states sue over the declared emergency
INTERVIEW_A = ARTICLES["wikinews-d7782c2509f4"]["text"]  # two interviews from one templated series,
INTERVIEW_B = ARTICLES["wikinews-65f400e5c59b"]["text"]  # sharing their boilerplate questions


def wire_copy(text: str) -> str:
    """A syndicated copy: a new first sentence, the last paragraph cut, two paragraphs run together,
    and a wire footer (the headline differs too, but only the text is compared)."""
    _first, _, rest = text.partition(". ")
    paragraphs = rest.split("\n\n")[:-1]
    body = "\n\n".join(paragraphs).replace("\n\n", " ", 1)
    return (
        "Officials on Wednesday gave new details of what happened. "
        + body
        + "\n\nThis story was distributed by Example Wire. Copyright 2019 Example Wire. All rights reserved."
    )


def rescrape(text: str) -> str:
    """A re-scrape with small edits: a corrected figure, changed quotes and case, a trailing link."""
    edited = text.replace("39", "40", 1).replace('"', "\u201c").replace("Monday", "monday")
    return edited + "\n\nRead more: Russia mourns the victims"


def exact_jaccard(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


# --- shingles, signatures, fingerprints -----------------------------------------------------------


def test_shingles_are_word_kgrams_of_normalised_text() -> None:
    assert shingles("The Quick, brown fox! Jumps over it.", k=3) == {
        b"the quick brown",
        b"quick brown fox",
        b"brown fox jumps",
        b"fox jumps over",
        b"jumps over it",
    }
    assert shingles("Don\u2019t stop", k=2) == shingles("dont STOP!", k=2) == {b"dont stop"}


def test_short_and_empty_texts() -> None:
    assert shingles("Only three words", k=5) == {b"only three words"}
    assert shingles("  ...  ") == set()
    with pytest.raises(ValueError, match="k must be at least 1"):
        shingles("text", k=0)


def test_signature_shape_dtype_and_determinism() -> None:
    sig = minhash_signature(MAGNITOGORSK)
    assert sig.dtype == np.uint64 and sig.shape == (128,)
    assert np.array_equal(sig, minhash_signature(MAGNITOGORSK))
    assert minhash_signature(MAGNITOGORSK, num_perm=64).shape == (64,)
    assert not np.array_equal(sig, minhash_signature(WALL_LAWSUIT))


def test_signature_values_are_pinned() -> None:
    # Stored signatures are compared with new ones, so the seed, scheme and hashing must not drift.
    sig = minhash_signature("The quick brown fox jumps over the lazy dog near the river bank.")
    assert sig[:4].tolist() == [1474939145853010980, 247588860702407640, 87970250827630942, 1279921570892769217]


def test_signature_is_the_same_in_another_process() -> None:
    code = (
        "import sys; from corpus.dedup import minhash_signature; "
        "sys.stdout.write(minhash_signature(sys.stdin.read()).tobytes().hex())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], input=WALL_EMERGENCY, capture_output=True, text=True, env=env, check=True
    ).stdout
    assert bytes.fromhex(out) == minhash_signature(WALL_EMERGENCY).tobytes()


def test_signature_estimates_jaccard() -> None:
    # brute-force check of the estimate against exact Jaccard of the shingle sets
    pairs = [(WALL_EMERGENCY, wire_copy(WALL_EMERGENCY)), (INTERVIEW_A, INTERVIEW_B), (MAGNITOGORSK, WALL_LAWSUIT)]
    for a, b in pairs:
        estimate = float(np.mean(minhash_signature(a) == minhash_signature(b)))
        assert abs(estimate - exact_jaccard(a, b)) < 0.15


def test_text_fingerprint() -> None:
    fp = text_fingerprint(MAGNITOGORSK)
    assert len(fp) == 64 and int(fp, 16) >= 0
    assert text_fingerprint("  " + MAGNITOGORSK.upper().replace(" ", "  \n") + "\n") == fp
    assert text_fingerprint(MAGNITOGORSK.replace("39", "40", 1)) != fp


# --- DuplicateFinder ----------------------------------------------------------------------------


@pytest.fixture
def finder() -> DuplicateFinder:
    f = DuplicateFinder()
    for key in ARTICLES:
        f.add(key, minhash_signature(ARTICLES[key]["text"]))
    return f


def test_exact_copy_is_found(finder: DuplicateFinder) -> None:
    assert finder.find(minhash_signature(MAGNITOGORSK)) == "wikinews-e8d671d30811"


@pytest.mark.parametrize(
    ("key", "edit"),
    [
        ("wikinews-4c31c6d58e41", wire_copy),
        ("wikinews-e8d671d30811", wire_copy),
        ("wikinews-e8d671d30811", rescrape),
        ("wikinews-65f400e5c59b", rescrape),
    ],
)
def test_near_copy_is_found(finder: DuplicateFinder, key: str, edit: Callable[[str], str]) -> None:
    copy = edit(ARTICLES[key]["text"])
    assert copy != ARTICLES[key]["text"]
    assert finder.find(minhash_signature(copy)) == key


def test_default_threshold_catches_copies_a_strict_one_misses() -> None:
    # The wire copy of a short story shares well under 0.8 of its shingles; the default must still
    # catch it, while staying above the most similar pair of different stories.
    copy = wire_copy(WALL_EMERGENCY)
    assert exact_jaccard(WALL_EMERGENCY, copy) < 0.8
    assert exact_jaccard(INTERVIEW_A, INTERVIEW_B) < DEFAULT_THRESHOLD < exact_jaccard(WALL_EMERGENCY, copy)
    f = DuplicateFinder()
    f.add("wall", minhash_signature(WALL_EMERGENCY))
    assert f.find(minhash_signature(copy)) == "wall"
    strict = DuplicateFinder(threshold=0.8)
    strict.add("wall", minhash_signature(WALL_EMERGENCY))
    assert strict.find(minhash_signature(copy)) is None


def test_truncated_copy_is_found(finder: DuplicateFinder) -> None:
    paragraphs = MAGNITOGORSK.split("\n\n")
    first_two_thirds = "\n\n".join(paragraphs[: (2 * len(paragraphs) + 2) // 3])
    assert finder.find(minhash_signature(first_two_thirds)) == "wikinews-e8d671d30811"


@pytest.mark.parametrize(
    ("kept", "other"),
    [
        ("wikinews-4c31c6d58e41", "wikinews-fd0515c42c78"),  # two border-wall emergency stories
        ("wikinews-d7782c2509f4", "wikinews-65f400e5c59b"),  # two interviews sharing a template
    ],
)
def test_different_stories_on_one_topic_are_not_duplicates(kept: str, other: str) -> None:
    f = DuplicateFinder()
    f.add(kept, minhash_signature(ARTICLES[kept]["text"]))
    assert f.find(minhash_signature(ARTICLES[other]["text"])) is None
    assert exact_jaccard(ARTICLES[kept]["text"], ARTICLES[other]["text"]) < DEFAULT_THRESHOLD


def test_unrelated_story_is_not_a_duplicate() -> None:
    f = DuplicateFinder()
    f.add("m", minhash_signature(MAGNITOGORSK))
    assert f.find(minhash_signature(WALL_LAWSUIT)) is None


def test_most_similar_key_wins() -> None:
    f = DuplicateFinder()
    f.add("wire", minhash_signature(wire_copy(MAGNITOGORSK)))
    f.add("exact", minhash_signature(MAGNITOGORSK))
    f.add("rescrape", minhash_signature(rescrape(MAGNITOGORSK)))
    assert f.find(minhash_signature(MAGNITOGORSK)) == "exact"


def test_ties_go_to_the_key_added_first() -> None:
    f = DuplicateFinder()
    sig = minhash_signature(MAGNITOGORSK)
    f.add("second-name", sig)
    f.add("a-first-name", sig)
    assert f.find(sig) == "second-name"


def test_signature_bytes_round_trip(finder: DuplicateFinder) -> None:
    sig = minhash_signature(wire_copy(MAGNITOGORSK))
    restored = np.frombuffer(sig.tobytes(), dtype=np.uint64)
    assert np.array_equal(restored, sig)
    rebuilt = DuplicateFinder()
    for key in ARTICLES:
        blob = minhash_signature(ARTICLES[key]["text"]).tobytes()
        rebuilt.add(key, np.frombuffer(blob, dtype=np.uint64))  # read-only views, as a store gives them
    assert len(rebuilt) == len(finder)
    assert rebuilt.find(restored) == finder.find(sig) == "wikinews-e8d671d30811"


def test_remove(finder: DuplicateFinder) -> None:
    sig = minhash_signature(MAGNITOGORSK)
    finder.remove("wikinews-e8d671d30811")
    assert finder.find(sig) is None
    assert len(finder) == len(ARTICLES) - 1
    assert "wikinews-e8d671d30811" not in finder
    finder.remove("wikinews-e8d671d30811")  # absent: no error
    finder.remove("never-added")
    finder.add("wikinews-e8d671d30811", sig)
    assert finder.find(sig) == "wikinews-e8d671d30811"


def test_add_same_key_replaces() -> None:
    f = DuplicateFinder()
    f.add("k", minhash_signature(MAGNITOGORSK))
    f.add("k", minhash_signature(WALL_LAWSUIT))
    assert len(f) == 1
    assert f.find(minhash_signature(MAGNITOGORSK)) is None
    assert f.find(minhash_signature(WALL_LAWSUIT)) == "k"


def test_empty_finder() -> None:
    f = DuplicateFinder()
    assert len(f) == 0
    assert f.find(minhash_signature(MAGNITOGORSK)) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold": 0.0}, "threshold must be a number in \\(0, 1\\]"),
        ({"threshold": 1.5}, "threshold must be a number in \\(0, 1\\]"),
        ({"threshold": "0.5"}, "threshold must be a number"),
        ({"num_perm": 1}, "num_perm must be an integer >= 2"),
        ({"num_perm": 64.0}, "num_perm must be an integer >= 2"),
    ],
)
def test_constructor_validates(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DuplicateFinder(**kwargs)  # type: ignore[arg-type]


def test_signature_shape_and_dtype_are_checked() -> None:
    f = DuplicateFinder(num_perm=128)
    with pytest.raises(ValueError, match="num_perm=128"):
        f.add("k", minhash_signature(MAGNITOGORSK, num_perm=64))
    with pytest.raises(ValueError, match="uint64"):
        f.find(minhash_signature(MAGNITOGORSK).astype(np.float64))
    with pytest.raises(ValueError, match="uint64"):
        f.add("k", np.frombuffer(minhash_signature(MAGNITOGORSK).tobytes(), dtype=np.uint32))
    assert len(f) == 0
