import numpy as np
import pytest

from index.vectors import build_faiss, read_faiss, search_faiss, write_faiss


def _data(n: int = 500, dim: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    ids = np.arange(1000, 1000 + n, dtype=np.int64)
    return ids, x


def _brute(ids: np.ndarray, x: np.ndarray, q: np.ndarray, k: int, allowed: set[int] | None = None) -> list[int]:
    scores = x @ q
    order = [int(ids[i]) for i in np.argsort(-scores, kind="stable")]
    if allowed is not None:
        order = [i for i in order if i in allowed]
    return order[:k]


def test_flat_search_equals_brute_force() -> None:
    ids, x = _data()
    index = build_faiss(ids, x, "flat")
    for q in x[:20]:
        got = [c for c, _ in search_faiss(index, q, 10)]
        assert got == _brute(ids, x, q, 10)


def test_scores_are_cosines() -> None:
    ids, x = _data()
    index = build_faiss(ids, x, "flat")
    (best, score), *_ = search_faiss(index, x[3], 1)
    assert best == ids[3] and score == pytest.approx(1.0, abs=1e-5)


def test_allowed_ids_restrict_results() -> None:
    ids, x = _data()
    index = build_faiss(ids, x, "flat")
    allowed = {int(i) for i in ids[::7]}
    got = [c for c, _ in search_faiss(index, x[0], 10, allowed)]
    assert set(got) <= allowed and got == _brute(ids, x, x[0], 10, allowed)
    assert search_faiss(index, x[0], 10, set()) == []


def test_hnsw_recall_is_high() -> None:
    ids, x = _data(2000)
    index = build_faiss(ids, x, "hnsw")
    hits = sum(len(set(c for c, _ in search_faiss(index, q, 10)) & set(_brute(ids, x, q, 10))) for q in x[:50])
    assert hits / 500 > 0.9


def test_round_trip_through_a_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ids, x = _data(100)
    index = build_faiss(ids, x, "flat")
    write_faiss(index, tmp_path / "v.faiss")
    again = read_faiss(tmp_path / "v.faiss")
    assert search_faiss(again, x[5], 5) == search_faiss(index, x[5], 5)


def test_empty_index_returns_nothing() -> None:
    index = build_faiss(np.zeros(0, np.int64), np.zeros((0, 8), np.float32))
    assert search_faiss(index, np.ones(8, np.float32), 5) == []
