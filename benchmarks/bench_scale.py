"""Past one machine: ingest on Ray against the bare encoder, and dense search as the corpus grows
(local FAISS flat, the exact baseline, against HNSW, IVF-PQ and Milvus Lite), measured in one run.

    python benchmarks/bench_scale.py [--articles 100] [--sizes 20000,50000,100000] [--queries 200]
        [--vectors DIR ...] [--questions FILE | --held-out] [--skip-ray] [--skip-milvus]

Ingest: ``index.ray_ingest.measure_throughput`` on the first ``--articles`` articles of the
corpus (the Wikinews demo by default; 0 takes it whole), cut into one file per worker (a file
is a shard): chunks/s of the bare encoder (one process, the model loaded beforehand, on every
core) and of a whole Ray ingest with 1 and with 2 encoder workers (each on one thread; Ray's own
start-up excluded), and the ratios.

Search: the chunk vectors of the indexes given with ``--vectors`` (by default the demo index, and
results/index-2022 once an ingest has finished it) are the real vectors, shuffled. A size beyond
them is filled with vectors derived from real ones: a real vector plus Gaussian noise of
``--noise`` per dimension, L2-normalised again (the default 0.04 puts a derived vector at about
the cosine from its source that a real vector has from its nearest real neighbour); the output
says how many of each size are real. Queries are the embeddings of the RealtimeQA 2022 questions
(``--questions``), or with ``--held-out`` real chunk vectors taken out of the corpus.

At each size the indexes are built as ``index.vectors.build_faiss`` builds them (HNSW: 32 links,
efSearch 64; IVF-PQ: IVF of 4·sqrt(n) lists, PQ48, nprobe 16, flat below 10,240 vectors) and as
``index.milvus`` creates the chunk collection of a Milvus Lite database (FLAT and HNSW; filled,
flushed and opened again as ``newsqa serve`` opens it; searched through ``MilvusVectors``). Then
every query runs on each in turn, one query at a time (as a question does), so that whatever else
the machine does weighs on all alike. Printed per size and kind: build seconds, p50/p95 ms, the
p50 ratio to flat, recall@10 of the exact top 10 (flat's), and disk and memory per million
vectors: the index file (FAISS) or the database directory (Milvus Lite), and the growth of this
process's resident memory when the index is read back (FAISS) or filled, opened and searched once
(Milvus Lite, which runs inside this process; both counted from the empty database). Lite's
memory figure is rough: the process reuses memory freed by the steps before it.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import secrets
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_CORPUS = ROOT / "data" / "demo" / "wikinews.jsonl"
DEFAULT_INDEXES = (ROOT / "data" / "demo" / "index", ROOT / "results" / "index-2022")
DEFAULT_QUESTIONS = ROOT.parent / "shared" / "data" / "realtimeqa" / "questions_2022.jsonl"
K = 10
MB = 1 << 20


@dataclass(frozen=True)
class SearchRow:
    """One kind of index at one size: what it cost to build, to search and to keep."""

    size: int
    kind: str
    build_s: float
    ms: np.ndarray  # one search per query, milliseconds
    recall: float  # mean recall@10 of the exact top 10
    disk_bytes: float | None  # the index file or database directory; None when not measurable
    memory_bytes: float | None  # growth of resident memory; None when not measurable

    def per_million(self, nbytes: float | None) -> str:
        return "n/a" if nbytes is None else f"{nbytes / self.size * 1e6 / MB:,.0f}"


# --- ingest -----------------------------------------------------------------------------------------


def corpus_slice(corpus: Path, articles: int, files: int, folder: Path) -> list[Path]:
    """The first ``articles`` records of a JSONL corpus, in ``files`` consecutive files under
    ``folder`` (a file is a shard of a Ray ingest); the corpus itself when ``articles`` is 0."""
    if articles <= 0:
        return [corpus]
    with corpus.open(encoding="utf-8") as f:
        lines = [line for line in f if line.strip()][:articles]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, part in enumerate(np.array_split(np.arange(len(lines)), max(1, min(files, len(lines))))):
        path = folder / f"part-{i}.jsonl"
        path.write_text("".join(lines[j] for j in part), encoding="utf-8")
        paths.append(path)
    return paths


def ingest_rates(
    paths: Sequence[Path], load_embedder: Callable[[], Any], model: str, chunker: Any, workdir: Path,
    workers: Sequence[int] = (1, 2),
) -> list[Any]:
    """``measure_throughput``'s rates (the bare encoder first), on a Ray instance of this machine.

    A Ray instance started here turns token authentication on (Ray 2.60) and, unless one is given,
    writes a token to ~/.ray/auth_token; the benchmark gives it one of its own in the environment
    instead, which the instance's processes inherit."""
    if not any(os.environ.get(v) for v in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")):
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import logging

    from index.ray_ingest import measure_throughput

    logging.getLogger("ray").setLevel(logging.ERROR)
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    return measure_throughput(paths, load_embedder, model, chunker, workdir, workers=workers)


def print_rates(rates: Sequence[Any]) -> None:
    bare = rates[0].chunks_per_second
    print(f"{'':16} {'chunks':>7} {'seconds':>8} {'chunks/s':>9} {'/ bare':>7}")
    for r in rates:
        print(f"{r.label:16} {r.chunks:>7} {r.seconds:>8.1f} {r.chunks_per_second:>9.1f} "
              f"{r.chunks_per_second / bare:>7.2f}")
    if len(rates) >= 3:
        print(f"ray 2 workers / 1 worker: {rates[2].chunks_per_second / rates[1].chunks_per_second:.2f}")


# --- vectors ------------------------------------------------------------------------------------------


def real_vectors(indexes: Sequence[Path]) -> tuple[np.ndarray, list[str]]:
    """Every chunk vector of ``indexes`` (L2-normalised float32 rows), and a line on each index."""
    from index.store import IndexStore

    parts, notes = [], []
    for path in indexes:
        store = IndexStore.open(path)
        try:
            _, vectors = store.all_chunk_vectors()
            notes.append(f"{path} ({len(vectors):,} chunks, {store.model}, {store.dim}-d)")
        finally:
            store.close()
        parts.append(vectors)
    return np.concatenate(parts), notes


def derived(real: np.ndarray, n: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` vectors, each a real one (taken in turn, in a random order) plus Gaussian noise of
    ``noise`` per dimension, L2-normalised."""
    return noisy(real[np.resize(rng.permutation(len(real)), n)], noise, rng)


def noisy(vectors: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """``vectors`` plus Gaussian noise of ``noise`` per dimension, L2-normalised."""
    out = vectors + rng.normal(scale=noise, size=vectors.shape).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def nearest_real_cosine(real: np.ndarray, sample: int, rng: np.random.Generator) -> float:
    """Median cosine of a real vector to its nearest other real vector (over a sample of them)."""
    rows = rng.choice(len(real), size=min(sample, len(real)), replace=False)
    sims = real[rows] @ real.T
    sims[np.arange(len(rows)), rows] = -1.0
    return float(np.median(sims.max(axis=1)))


def question_vectors(path: Path, n: int, load_embedder: Callable[[], Any]) -> np.ndarray:
    with path.open(encoding="utf-8") as f:
        questions = [json.loads(line)["question"] for line in f if line.strip()][:n]
    return np.asarray(load_embedder().embed(questions), dtype=np.float32)


# --- searching ---------------------------------------------------------------------------------------


def _rss() -> int | None:
    """Resident memory of this process in bytes (Linux); None elsewhere."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None


def _settle() -> int | None:
    """Resident memory once freed memory has gone back to the system (as far as glibc lets it)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    return _rss()


def _grown(before: int | None) -> float | None:
    after = _settle()
    return None if before is None or after is None else float(max(0, after - before))


def _du(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class _Faiss:
    """A local FAISS index as ``index.vectors`` builds it, written out and read back (to measure it)."""

    def __init__(self, kind: str, base: np.ndarray, ids: np.ndarray, folder: Path) -> None:
        import faiss

        from index.vectors import build_faiss, read_faiss, write_faiss

        started = time.perf_counter()
        built = build_faiss(ids, base, kind)  # type: ignore[arg-type]
        self.build_s = time.perf_counter() - started
        trained = kind != "ivfpq" or faiss.try_extract_index_ivf(built) is not None
        self.kind = kind if trained else "ivfpq (flat)"  # too few vectors to train: build_faiss falls back
        path = folder / f"{kind}.faiss"
        write_faiss(built, path)
        self.disk_bytes: float | None = float(path.stat().st_size)
        del built
        before = _settle()
        self.index = read_faiss(path)
        self.memory_bytes = _grown(before)
        path.unlink()

    def search(self, query: np.ndarray) -> list[int]:
        from index.vectors import search_faiss

        return [c for c, _ in search_faiss(self.index, query, K)]

    def close(self) -> None:
        del self.index


class _MilvusLite:
    """The chunk collection of a new Milvus Lite database as ``index.milvus`` creates it, holding
    only the vectors (the text fields empty), searched through ``MilvusVectors``."""

    def __init__(self, kind: str, base: np.ndarray, ids: np.ndarray, folder: Path) -> None:
        from index.milvus import CHUNKS, MilvusStore, MilvusVectors

        self.kind = f"milvus-lite {kind}"
        self.path = folder / f"milvus-{kind}.db"
        started = time.perf_counter()
        self.store = MilvusStore.create(str(self.path), "bench", base.shape[1], kind)
        before, empty = _settle(), _du(self.path)  # what an empty index costs is not per vector
        for start in range(0, len(base), 2000):
            rows = [{"key": int(i), "vector": v, "tokens": "", "article_id": "", "ordinal": 0, "start_char": 0,
                     "end_char": 0, "text": "", "vector_hash": ""}
                    for i, v in zip(ids[start:start + 2000], base[start:start + 2000], strict=True)]
            self.store.client.insert(CHUNKS, rows)
        self.store.client.flush(CHUNKS)
        # Lite indexes flushed segments in a background thread, searching them by brute force
        # meanwhile; opening the database again, as a server would, builds every index first.
        self.store.close()
        self.store = MilvusStore.open(str(self.path))
        self.vectors = MilvusVectors(self.store.client, kind)
        self.vectors.search_vector(base[0], K)
        self.build_s = time.perf_counter() - started
        self.memory_bytes = _grown(before)
        self.disk_bytes: float | None = float(_du(self.path) - empty)

    def search(self, query: np.ndarray) -> list[int]:
        return [c for c, _ in self.vectors.search_vector(query, K)]

    def close(self) -> None:
        self.store.close()
        shutil.rmtree(self.path, ignore_errors=True)


def search_at_size(
    base: np.ndarray, queries: np.ndarray, folder: Path, milvus: bool = True
) -> list[SearchRow]:
    """Each kind of index over ``base`` (ids 1..n), every query on each in turn; flat first, the
    exact top 10 that recall is counted against."""
    ids = np.arange(1, len(base) + 1, dtype=np.int64)
    indexes: list[Any] = [_Faiss(kind, base, ids, folder) for kind in ("flat", "hnsw", "ivfpq")]
    if milvus:
        indexes += [_MilvusLite(kind, base, ids, folder) for kind in ("flat", "hnsw")]
    try:
        for index in indexes:  # warm up
            for q in queries[:3]:
                index.search(q)
        ms = np.zeros((len(indexes), len(queries)))
        hits = np.zeros((len(indexes), len(queries)))
        for j, q in enumerate(queries):
            exact: set[int] = set()
            for i, index in enumerate(indexes):
                started = time.perf_counter()
                found = index.search(q)
                ms[i, j] = (time.perf_counter() - started) * 1000
                if i == 0:
                    exact = set(found)
                hits[i, j] = len(exact.intersection(found)) / max(1, len(exact))
        return [SearchRow(len(base), index.kind, index.build_s, ms[i], float(hits[i].mean()), index.disk_bytes,
                          index.memory_bytes) for i, index in enumerate(indexes)]
    finally:
        for index in indexes:
            index.close()


def print_rows(rows: Sequence[SearchRow], real: int) -> None:
    flat_p50 = float(np.percentile(rows[0].ms, 50))
    size = rows[0].size
    origin = "all real" if real >= size else f"{real:,} real + {size - real:,} derived"
    print(f"{size:,} vectors ({origin})")
    for r in rows:
        p50, p95 = np.percentile(r.ms, 50), np.percentile(r.ms, 95)
        print(f"  {r.kind:18} {r.build_s:>8.1f} {p50:>8.2f} {p95:>8.2f} {p50 / flat_p50:>9.2f} {r.recall:>9.3f} "
              f"{r.per_million(r.disk_bytes):>10} {r.per_million(r.memory_bytes):>11}")


# --- the run -----------------------------------------------------------------------------------------


def _sizes(text: str) -> list[int]:
    sizes = sorted({int(s.replace("_", "")) for s in text.split(",") if s.strip()})
    if not sizes or sizes[0] < K:
        raise argparse.ArgumentTypeError(f"sizes are comma-separated vector counts of at least {K}")
    return sizes


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="JSONL corpus to ingest on Ray")
    parser.add_argument("--articles", type=int, default=100, help="its first N articles (0: all)")
    parser.add_argument("--vectors", type=Path, action="append", metavar="INDEX",
                        help="a local index whose chunk vectors are the real ones (repeatable)")
    parser.add_argument("--sizes", type=_sizes, default=_sizes("20000,50000,100000"))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, help="JSONL with a \"question\" field")
    parser.add_argument("--held-out", action="store_true", help="query with real chunk vectors held out of the corpus")
    parser.add_argument("--noise", type=float, default=0.04, help="per-dimension noise of derived vectors")
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument("--skip-milvus", action="store_true")
    args = parser.parse_args(argv)

    from assistant.settings import Settings

    argv_shown = sys.argv[1:] if argv is None else list(argv)
    print("$ python benchmarks/bench_scale.py " + shlex.join(argv_shown))
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the start")
    settings = Settings()
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        if not args.skip_ray:
            paths = corpus_slice(args.corpus, args.articles, 2, work / "corpus")
            print(f"\n## Ingest: {args.articles or 'all'} articles of {args.corpus.name} in {len(paths)} file(s), "
                  f"{settings.model}")
            rates = ingest_rates(paths, settings.load_embedder, settings.model, settings.chunker(), work / "ingest")
            print_rates(rates)
            print(f"load average {os.getloadavg()[0]:.1f} after the ingests")

        given = args.vectors or [p for p in DEFAULT_INDEXES if _finished(p)]
        real, notes = real_vectors(given)
        rng = np.random.default_rng(0)
        real = real[rng.permutation(len(real))]
        use_questions = not args.held_out and args.questions.is_file()
        if use_questions:
            queries = question_vectors(args.questions, args.queries, settings.load_embedder)
            where = f"the first {len(queries)} questions of {args.questions.name}, embedded with {settings.model}"
        else:
            queries, real = real[: args.queries], real[args.queries:]
            where = f"{len(queries)} real chunk vectors held out of the corpus"
        print(f"\n## Dense search, top {K}, one query at a time; faiss threads {_faiss_threads()}")
        print("real vectors: " + "; ".join(notes) + f"; {len(real):,} in the corpus")
        print(f"queries: {where}")
        if args.sizes[-1] > len(real):
            sample = real[:2000]
            to_source = float(np.mean(np.sum(noisy(sample, args.noise, np.random.default_rng(2)) * sample, axis=1)))
            print(f"derived vectors (beyond {len(real):,}): a real vector + N(0, {args.noise}²) per dimension, "
                  f"renormalised; cosine to its source {to_source:.2f} on average (a real vector's nearest "
                  f"real neighbour: median {nearest_real_cosine(real, 1000, rng):.2f})")
        extra = derived(real, max(0, args.sizes[-1] - len(real)), args.noise, np.random.default_rng(1))
        pool = np.concatenate([real, extra])
        print(f"  {'kind':18} {'build s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p50/flat':>9} {'recall@10':>9} "
              f"{'disk MB/M':>10} {'memory MB/M':>11}")
        last: list[SearchRow] = []
        for size in args.sizes:
            last = search_at_size(pool[:size], queries, work, milvus=not args.skip_milvus)
            print_rows(last, len(real))
        print("(MB/M: MB per million vectors, from the index file or database directory and the growth of resident "
              f"memory at that size; build s includes inserting for Milvus Lite)\nper million 384-d vectors at "
              f"{last[0].size:,}: " + "; ".join(
                  f"{r.kind} {r.per_million(r.disk_bytes)} MB disk, {r.per_million(r.memory_bytes)} MB memory"
                  for r in last))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _finished(index: Path) -> bool:
    """Whether a local index has been written by a finished ingest (its manifest counts chunks)."""
    try:
        return json.loads((index / "manifest.json").read_text(encoding="utf-8")).get("chunks", 0) > 0
    except (OSError, ValueError):
        return False


def _faiss_threads() -> int:
    import faiss

    return int(faiss.omp_get_max_threads())


if __name__ == "__main__":
    main()
