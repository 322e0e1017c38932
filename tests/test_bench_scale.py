"""benchmarks/bench_scale.py, run in a tiny configuration so that it keeps working."""

from __future__ import annotations

import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from index.chunk import Chunker
from index.embed import HashingEmbedder

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo" / "wikinews.jsonl"


def _bench() -> ModuleType:
    if "bench_scale" in sys.modules:
        return sys.modules["bench_scale"]
    spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "benchmarks" / "bench_scale.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_scale"] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def hashed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo corpus ingested with the hashing embedder: real chunk vectors in seconds."""
    from index.ingest import ingest

    root = tmp_path_factory.mktemp("bench") / "ix"
    ingest([str(DEMO)], root, lambda: HashingEmbedder(dim=64), "hashing-test", Chunker(120, 20))
    return root


def test_search_table_on_real_and_derived_vectors(hashed_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from index.store import IndexStore

    bench = _bench()
    try:
        import pymilvus  # noqa: F401

        milvus: list[str] = []
    except ImportError:
        milvus = ["--skip-milvus"]
    store = IndexStore.open(hashed_index)
    chunks = store.stats().chunks
    store.close()
    real, size = chunks - 5, chunks + 300  # 5 held out as queries
    bench.main(["--skip-ray", *milvus, "--vectors", str(hashed_index), "--held-out", "--queries", "5",
                "--sizes", f"200,{size}"])
    out = capsys.readouterr().out
    assert "200 vectors (all real)" in out
    assert f"{size:,} vectors ({real:,} real + {size - real:,} derived)" in out
    flat_rows = [line.split() for line in out.splitlines() if line.strip().startswith("flat ")]
    assert len(flat_rows) == 2 and all(row[5] == "1.000" for row in flat_rows)  # flat is the exact baseline
    assert "ivfpq (flat)" in out  # too few vectors to train IVF-PQ: built as build_faiss builds it
    assert ("milvus-lite hnsw" in out) != bool(milvus)


def test_derived_vectors_are_unit_length_and_near_their_sources() -> None:
    bench = _bench()
    rng = np.random.default_rng(0)
    real = rng.normal(size=(50, 384)).astype(np.float32)
    real /= np.linalg.norm(real, axis=1, keepdims=True)
    out = bench.noisy(real, 0.04, rng)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert 0.7 < float(np.mean(np.sum(out * real, axis=1))) < 0.9
    assert bench.derived(real, 120, 0.04, rng).shape == (120, 384)


def test_corpus_slice_keeps_the_first_articles_in_order(tmp_path: Path) -> None:
    bench = _bench()
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(f'{{"id": "{i}"}}\n' for i in range(7)), encoding="utf-8")
    paths = bench.corpus_slice(corpus, 5, 2, tmp_path / "slice")
    lines = [line for p in paths for line in p.read_text(encoding="utf-8").splitlines()]
    assert len(paths) == 2 and lines == [f'{{"id": "{i}"}}' for i in range(5)]
    assert bench.corpus_slice(corpus, 0, 2, tmp_path / "all") == [corpus]


@pytest.mark.slow
def test_ingest_rates_on_ray(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ray")
    bench = _bench()
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    temp_dir = tempfile.mkdtemp(prefix="ray-")  # Ray's session files; short, for its socket paths
    monkeypatch.setenv("RAY_TMPDIR", temp_dir)
    try:
        paths = bench.corpus_slice(ROOT / "data" / "demo" / "wikinews.jsonl", 6, 2, tmp_path / "corpus")
        rates = bench.ingest_rates(paths, lambda: HashingEmbedder(dim=32), "hashing-test", Chunker(60, 10),
                                   tmp_path / "ingest")
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    assert [r.label for r in rates] == ["bare encoder", "ray, 1 worker", "ray, 2 workers"]
    assert rates[0].chunks > 0 and all(r.chunks == rates[0].chunks for r in rates)  # no duplicates in 6 articles
