import sys
import types

import numpy as np
import pytest
from transformers.utils import logging as hf_logging

from index.embed import CachedEmbedder, HashingEmbedder, SentenceTransformerEmbedder, quiet_weight_loading


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


# --- no "Loading weights" bars ---------------------------------------------------------------------


@pytest.fixture
def bars_on():  # type: ignore[no-untyped-def]
    was = hf_logging.is_progress_bar_enabled()
    hf_logging.enable_progress_bar()
    yield
    if not was:
        hf_logging.disable_progress_bar()


def test_quiet_weight_loading_turns_the_bars_off_and_back_on(bars_on) -> None:  # type: ignore[no-untyped-def]
    with quiet_weight_loading():
        assert not hf_logging.is_progress_bar_enabled()
        with quiet_weight_loading():
            assert not hf_logging.is_progress_bar_enabled()
        assert not hf_logging.is_progress_bar_enabled()
    assert hf_logging.is_progress_bar_enabled()
    with pytest.raises(RuntimeError), quiet_weight_loading():
        raise RuntimeError("a failed load")
    assert hf_logging.is_progress_bar_enabled()


def test_quiet_weight_loading_leaves_bars_that_were_off_off(bars_on) -> None:  # type: ignore[no-untyped-def]
    hf_logging.disable_progress_bar()
    with quiet_weight_loading():
        pass
    assert not hf_logging.is_progress_bar_enabled()


def test_the_embedding_model_loads_without_progress_bars(bars_on, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Regression: every command printed transformers' "Loading weights 103/103" bars."""
    seen: list[bool] = []

    class FakeSentenceTransformer:
        max_seq_length = 128

        def __init__(self, path: str, device: str) -> None:
            seen.append(hf_logging.is_progress_bar_enabled())

        def get_embedding_dimension(self) -> int:
            return 8

    fake = types.ModuleType("sentence_transformers")
    fake.SentenceTransformer = FakeSentenceTransformer  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sentence_transformers", fake)
    embedder = SentenceTransformerEmbedder.from_name("some/local-model")
    assert embedder.dim == 8 and seen == [False]
    assert hf_logging.is_progress_bar_enabled()


@pytest.mark.integration
@pytest.mark.slow
def test_the_packaged_model_loads_silently(bars_on, capfd) -> None:  # type: ignore[no-untyped-def]
    SentenceTransformerEmbedder.from_name()
    err = capfd.readouterr().err
    assert "Loading weights" not in err and "it/s]" not in err, err[-2000:]
