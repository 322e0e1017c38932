"""The onnxruntime twin of the packaged model gives the torch model's vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.embed import OnnxEmbedder, SentenceTransformerEmbedder

pytestmark = pytest.mark.integration

TEXTS = [
    "Who won the election?",
    "The Riverton Rockets won the regional basketball championship on Saturday, beating the Lakeside Herons "
    "88-80 in front of a sold-out crowd at the city's new arena.",
    "x",
    "",
    "Émigrés in Zürich — 12,000 of them — wrote to the mayor. " * 40,  # longer than the model reads
    "How many people died?",
]


@pytest.fixture(scope="module")
def model() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder.from_name(batch_size=8)


def test_onnx_vectors_match_the_torch_models(model: SentenceTransformerEmbedder, tmp_path: Path) -> None:
    onnx = OnnxEmbedder.from_sentence_transformer(model, tmp_path)
    assert onnx is not None and (onnx.name, onnx.dim) == (model.name, model.dim)
    got, want = onnx.embed(TEXTS), model.embed(TEXTS)
    assert got.shape == want.shape == (len(TEXTS), model.dim) and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert float((got * want).sum(axis=1).min()) > 0.9999
    # a text's vector does not depend on the batch it shares
    assert np.allclose(onnx.embed(TEXTS[:1])[0], got[0], atol=1e-5)
    assert onnx.embed([]).shape == (0, model.dim)


def test_the_export_is_made_once_and_reused(model: SentenceTransformerEmbedder, tmp_path: Path) -> None:
    assert OnnxEmbedder.from_sentence_transformer(model, tmp_path) is not None
    files = list(tmp_path.glob("*.onnx"))
    assert len(files) == 1 and not list(tmp_path.glob(".*tmp"))
    stamp = files[0].stat().st_mtime_ns
    assert OnnxEmbedder.from_sentence_transformer(model, tmp_path) is not None
    assert [f.stat().st_mtime_ns for f in tmp_path.glob("*.onnx")] == [stamp]


def test_what_a_killed_export_left_is_cleared(model: SentenceTransformerEmbedder, tmp_path: Path) -> None:
    import os

    first = tmp_path / "first"
    assert OnnxEmbedder.from_sentence_transformer(model, first) is not None
    name = next(first.glob("*.onnx")).name
    cache = tmp_path / "cache"
    cache.mkdir()
    old, recent = cache / f".{name}.1.tmp", cache / f".{name}.2.tmp"  # killed long ago; maybe still running
    for f in (old, recent):
        f.write_bytes(b"partial")
    os.utime(old, (0, 0))
    assert OnnxEmbedder.from_sentence_transformer(model, cache) is not None
    assert (cache / name).is_file() and not old.exists() and recent.exists()


def test_a_damaged_export_is_made_again(model: SentenceTransformerEmbedder, tmp_path: Path) -> None:
    assert OnnxEmbedder.from_sentence_transformer(model, tmp_path) is not None
    path = next(tmp_path.glob("*.onnx"))
    size = path.stat().st_size
    path.write_bytes(path.read_bytes()[: size // 3])  # a disk that filled up, say
    onnx = OnnxEmbedder.from_sentence_transformer(model, tmp_path)
    assert onnx is not None and path.stat().st_size == size
    assert float(onnx.embed(TEXTS[:1])[0] @ model.embed(TEXTS[:1])[0]) > 0.9999


def test_a_model_pooled_otherwise_stays_on_torch(model: SentenceTransformerEmbedder, tmp_path: Path) -> None:
    pooling = model._model[1]  # type: ignore[index]
    saved = pooling.get_config_dict
    pooling.get_config_dict = lambda: {"pooling_mode": "cls"}
    try:
        assert OnnxEmbedder.from_sentence_transformer(model, tmp_path) is None
    finally:
        pooling.get_config_dict = saved
    assert not list(tmp_path.iterdir())


def test_an_unwritable_cache_falls_back_to_torch(model: SentenceTransformerEmbedder, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert OnnxEmbedder.from_sentence_transformer(model, blocker / "cache") is None


def test_ingest_embeds_on_onnxruntime_unless_told_not_to(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from assistant.settings import Settings

    monkeypatch.setenv("NEWSQA_CACHE", str(tmp_path))
    fast, plain = Settings().load_embedder(), Settings(onnx=False, embed_batch=4).load_embedder()
    assert isinstance(fast, OnnxEmbedder) and fast.batch_size == 8
    assert isinstance(plain, SentenceTransformerEmbedder) and plain.batch_size == 4
    assert float((fast.embed(TEXTS) * plain.embed(TEXTS)).sum(axis=1).min()) > 0.9999
