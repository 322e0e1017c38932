import numpy as np
import pytest

from index.embed import CachedEmbedder, HashingEmbedder


def test_cached_embedder_gives_the_inner_vectors_and_embeds_each_text_once():
    inner = HashingEmbedder(dim=32)
    cached = CachedEmbedder(inner)
    texts = ["a storm hit the coast", "the mayor resigned", "a storm hit the coast"]
    first = cached.embed(texts)
    assert np.array_equal(first, inner.embed(texts))
    inner.calls = 0
    again = cached.embed(["the mayor resigned", "a storm hit the coast", "new text here"])
    assert inner.calls == 1  # only the unseen text went to the model
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[1], first[0])


def test_cached_embedder_forgets_the_least_recently_used_beyond_its_size():
    inner = HashingEmbedder(dim=16)
    cached = CachedEmbedder(inner, max_items=2)
    cached.embed(["one", "two"])
    cached.embed(["one"])  # "one" is now the most recent
    cached.embed(["three"])  # "two" goes
    assert len(cached) == 2
    inner.calls = 0
    cached.embed(["one", "three"])
    assert inner.calls == 0
    cached.embed(["two"])
    assert inner.calls == 1


def test_cached_embedder_keeps_name_and_dim_and_handles_no_texts():
    cached = CachedEmbedder(HashingEmbedder(dim=8, name="h"))
    assert (cached.name, cached.dim) == ("h", 8)
    assert cached.embed([]).shape == (0, 8)
    with pytest.raises(ValueError):
        CachedEmbedder(HashingEmbedder(), max_items=0)


def test_cached_vectors_cannot_be_changed_through_a_result():
    cached = CachedEmbedder(HashingEmbedder(dim=8))
    out = cached.embed(["a text"])
    out[0] = 0.0
    assert np.linalg.norm(cached.embed(["a text"])[0]) == pytest.approx(1.0)
