"""Ingest on a Ray cluster: the index :func:`index.ingest.ingest` builds, with reading, cleaning,
MinHash signatures, chunking and embedding spread over Ray Data.

The input is cut into shards, one a file. Two passes run over them, each a Ray Data pipeline:

1. **Judge.** Tasks read and clean each shard's records and compute each article's content hash and
   MinHash signature. The driver takes them in reading order and judges each article (unchanged,
   a near-duplicate of a kept article, or kept) with the plain ingest's own code and the same
   :class:`~corpus.dedup.DuplicateFinder`, so the duplicate groups are those of a plain ingest.
2. **Embed and write.** Tasks read the shards again, drop the unchanged articles, chunk the kept
   ones and emit one row per chunk; a pool of actors, each holding the encoder, embeds the rows in
   batches of :data:`ENCODE_BATCH`. The driver takes the rows in reading order and writes them
   batch by batch with the plain ingest's write code: one transaction a batch, so an ingest killed
   part-way resumes as a plain one does, without duplicates.

Judging is sequential by nature (an article is a duplicate of whatever was kept before it), so it
cannot run on the workers; embedding before judging would embed every duplicate only to drop it.
Reading twice costs far less: on the Wikinews demo corpus reading, cleaning and signing take about
6 ms an article, embedding its chunks 20 to 80 times that (on 2 cores, idle or shared). A worker
process that dies (a killed encoder actor, a lost read task) is replaced and its work redone: Ray
Data's defaults restart its actors and retry their calls and its tasks after a system failure
(``max_restarts``, ``max_task_retries`` and ``max_retries`` of -1), and rows still reach the driver
in reading order, once each.

Ray is imported here only, and only when this module is: the plain ingest never loads it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import NewsQAError

try:
    import ray
    import ray.data
except ImportError as exc:
    raise NewsQAError(
        f"ingest on Ray needs ray[data] ({exc.name} is missing): pip install -e \".[scale]\""
    ) from exc

from corpus.article import Article
from corpus.dedup import minhash_signature, text_fingerprint
from corpus.load import ColumnMap, Skipped, read_articles
from index.chunk import Chunk, Chunker
from index.embed import Embedder
from index.ingest import (
    IngestReport,
    _decide,
    _Planned,
    _require_paths,
    _State,
    _write_batch,
    content_hash,
    embedding_text,
    open_or_create,
    vector_key,
)
from index.vectors import FaissKind

__all__ = ["ENCODE_BATCH", "Throughput", "ingest_with_ray", "measure_throughput"]

logger = logging.getLogger(__name__)

# Chunk rows per call to an encoder actor, chosen by measurement (2 shared cores, two actors, the
# Wikinews demo): Ray Data costs 5 to 14 ms a batch (with a near-free encoder 10,808 chunks took
# 13.8 s in batches of 16, 6.5 s in 64, 5.9 s in 256), all-MiniLM-L6-v2 on onnxruntime 20 to 80 ms a
# chunk, so 64 rows lose about 1% to Ray. Larger batches only leave actors idle at the end of a small
# input (361 chunks: 11.3 chunks/s in batches of 16, 10.3 in 64, 8.0 in 256) and give a killed actor
# more to redo.
ENCODE_BATCH = 64
# An encoder actor reserves 0.9 of a core so that every node keeps room for the light read and
# chunk tasks (0.1 each) that feed it; each actor's encoder runs on one thread.
_ACTOR_CPUS = 0.9
_LIGHT_CPUS = 0.1

# What a shard's rows hold: a record's place in the input (shard, then position within the shard's
# items, skipped records included), so the driver can take everything in reading order.
_DROP, _HEADER, _CHUNKED = 0, 1, 2  # pass 2: unchanged (not sent), written without chunks, chunked


def ingest_with_ray(
    paths: Sequence[str | os.PathLike[str]],
    index_dir: str | os.PathLike[str],
    load_embedder: Callable[[], Embedder],
    model: str,
    chunker: Chunker,
    columns: ColumnMap | None = None,
    faiss_kind: FaissKind = "flat",
    batch_articles: int = 64,
    progress: Callable[[int], None] | None = None,
    address: str | None = None,
    workers: int | None = None,
) -> IngestReport:
    """:func:`index.ingest.ingest` on Ray: the same index and the same report, the work spread.

    ``address`` is a running cluster's (``host:port``, as ``ray start --head`` prints it, or
    ``ray://...``); None starts a Ray instance on this machine's cores for the ingest and stops it
    after. When this process is already connected to Ray, that connection is used and left open.
    ``workers`` is the number of encoder actors, by default one per core of the cluster.
    ``load_embedder`` and ``chunker`` are sent to the workers, which must be able to import this
    project (install it on every node). Raises as :func:`index.ingest.ingest` does; a missing path
    is reported before Ray is started.
    """
    started = time.perf_counter()
    _require_paths(paths)
    if workers is not None and workers < 1:
        raise ValueError("workers must be at least 1.")
    connected_here = _connect(address)
    try:
        cpus = float(ray.cluster_resources().get("CPU", 1))
        workers = workers or max(1, int(cpus))
        if workers * _ACTOR_CPUS > cpus:
            logger.warning(
                "%d encoder workers need %.1f CPUs and the cluster has %.1f: the ingest waits until nodes join it.",
                workers, workers * _ACTOR_CPUS, cpus,
            )
        store = open_or_create(index_dir, model, lambda: _RemoteEmbedder(load_embedder), faiss_kind)
        try:
            report = IngestReport()
            shards = _shards(paths)
            plan = _judge(shards, columns, _State(store), report)
            if progress and report.unchanged:
                progress(report.unchanged)
            rows = _encoded_rows(shards, columns, plan, chunker, load_embedder, workers)
            for batch, vectors in _batches(rows, plan, batch_articles):
                _write_batch(store, batch, partial(_stacked, vectors), report)
                if progress:
                    progress(len(batch))
            if not store.is_up_to_date():
                store.write_derived()
            report.seconds = time.perf_counter() - started
            return report
        finally:
            store.close()
    finally:
        if connected_here:
            ray.shutdown()


def _stacked(vectors: dict[str, np.ndarray], keys: list[str], texts: list[str]) -> np.ndarray:
    return np.stack([vectors[k] for k in keys])


_LOCAL_STARTS = 3


def _connect(address: str | None) -> bool:
    """Connect to Ray; True when this call did (and so must disconnect)."""
    if ray.is_initialized():
        return False
    options: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING}
    if address is not None:
        ray.init(address=address, **options)
        return True
    # "local" never joins a cluster found on this machine: --ray alone means this machine only, on
    # the cores Ray finds (a container's CPU limit included). Ray gives its new node 30 s to
    # register, which a busy machine can miss; the start is tried again before giving up.
    for attempt in range(1, _LOCAL_STARTS + 1):
        try:
            ray.init(address="local", **options)
            return True
        except Exception as exc:
            if "timed out during startup" not in str(exc) or attempt == _LOCAL_STARTS:
                raise
            logger.warning("the local Ray instance did not start in time (try %d of %d): %s", attempt,
                           _LOCAL_STARTS, exc)
            ray.shutdown()
    raise AssertionError("unreachable")


class _RemoteEmbedder:
    """What :func:`open_or_create` asks of the embedder to create an index (its dimension), learnt
    on a worker, so that the driver never loads the model."""

    def __init__(self, load: Callable[[], Embedder]) -> None:
        self._load = load
        self.name, self.dim = ray.get(_describe.remote(load))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return ray.get(_embed.remote(self._load, list(texts)))  # type: ignore[no-any-return]


@ray.remote(num_cpus=_ACTOR_CPUS)
def _describe(load: Callable[[], Embedder]) -> tuple[str, int]:
    embedder = load()
    return embedder.name, embedder.dim


@ray.remote(num_cpus=_ACTOR_CPUS)
def _embed(load: Callable[[], Embedder], texts: list[str]) -> np.ndarray:
    return load().embed(texts)


# --- shards ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shard:
    """A file to read, or a place that could not be read at all (a directory's walk error)."""

    path: str
    reason: str = ""


def _shards(paths: Sequence[str | os.PathLike[str]]) -> list[_Shard]:
    """The files ``read_articles(paths)`` reads, in its order: directories walked recursively in
    sorted order, hidden names passed over, walk errors reported where it reports them."""
    shards: list[_Shard] = []
    for given in [paths] if isinstance(paths, str | os.PathLike) else paths:
        root = Path(given)
        if not root.is_dir():
            shards.append(_Shard(str(root)))
            continue
        errors: list[OSError] = []
        files: list[Path] = []
        for dirpath, dirnames, filenames in os.walk(root, onerror=errors.append):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            files.extend(Path(dirpath, f) for f in filenames if not f.startswith("."))
        shards += [_Shard(str(e.filename or root), f"cannot read directory: {e.strerror}") for e in errors]
        shards += [_Shard(str(p)) for p in sorted(files, key=lambda p: p.relative_to(root).parts)]
    return shards


def _items(shard: _Shard, columns: ColumnMap | None) -> Iterator[Article | Skipped]:
    if shard.reason:
        yield Skipped(shard.path, shard.reason)
    else:
        yield from read_articles([shard.path], columns)


def _shard_dataset(shards: list[_Shard]) -> ray.data.Dataset:
    items = [{"shard": i, "path": s.path, "reason": s.reason} for i, s in enumerate(shards)]
    dataset = ray.data.from_items(items, override_num_blocks=max(1, len(items)))
    # The driver judges and writes in reading order; blocks must reach it in the order they left.
    dataset.context.execution_options.preserve_order = True
    dataset.context.enable_progress_bars = False
    dataset.context.print_on_execution_start = False
    return dataset


def _shard_of(row: dict[str, Any]) -> _Shard:
    return _Shard(str(row["path"]), str(row["reason"]))


def _encode_article(article: Article) -> str:
    # JSON with ASCII escapes: a text may hold lone surrogates (undecodable input bytes), which
    # Arrow's UTF-8 columns refuse.
    return json.dumps([article.id, article.title, article.text, article.date, article.source, article.url,
                       [list(pair) for pair in article.extra]])


def _decode_article(encoded: str) -> Article:
    article_id, title, text, date, source, url, extra = json.loads(encoded)
    return Article(article_id, title, text, date, source, url, tuple((k, v) for k, v in extra))


# --- pass 1: judge --------------------------------------------------------------------------------


@dataclass
class _Plan:
    """The driver's judgements, by shard and position: what pass 2 sends and how it is written."""

    actions: list[np.ndarray]  # per shard, an int8 per item: _DROP, _HEADER or _CHUNKED
    duplicate_of: dict[tuple[int, int], str]
    digests: dict[tuple[int, int], str]  # of each article sent, to see that the input did not change


def _sign_shard(row: dict[str, Any], columns: ColumnMap | None) -> Iterator[dict[str, Any]]:
    for pos, item in enumerate(_items(_shard_of(row), columns)):
        if isinstance(item, Skipped):
            yield {"shard": row["shard"], "pos": pos, "id": "", "digest": "", "signature": b"",
                   "place": item.place, "reason": item.reason}
        else:
            yield {"shard": row["shard"], "pos": pos, "id": item.id, "digest": content_hash(item),
                   "signature": minhash_signature(item.text).tobytes(), "place": "", "reason": ""}


def _judge(shards: list[_Shard], columns: ColumnMap | None, state: _State, report: IngestReport) -> _Plan:
    counts = [0] * len(shards)
    actions: dict[tuple[int, int], int] = {}
    plan = _Plan([], {}, {})
    signed = _shard_dataset(shards).flat_map(partial(_sign_shard, columns=columns), num_cpus=1)
    for row in _in_order(signed.iter_rows()):
        shard, pos = int(row["shard"]), int(row["pos"])
        counts[shard] = pos + 1
        if row["reason"]:
            report.skipped.append(Skipped(str(row["place"]), str(row["reason"])))
            continue
        report.read += 1
        signature = partial(np.frombuffer, row["signature"], dtype=np.uint64)
        verdict = _decide(state, str(row["id"]), str(row["digest"]), signature, report)
        if verdict is None:
            continue
        actions[(shard, pos)] = _CHUNKED if verdict[1] is None else _HEADER
        plan.digests[(shard, pos)] = str(row["digest"])
        if verdict[1] is not None:
            plan.duplicate_of[(shard, pos)] = verdict[1]
    plan.actions = [np.zeros(n, dtype=np.int8) for n in counts]
    for (shard, pos), action in actions.items():
        plan.actions[shard][pos] = action
    return plan


def _in_order(rows: Any) -> Iterator[dict[str, Any]]:
    """``rows`` as they come, checked to be in reading order (Ray Data's preserve_order promises it)."""
    last = (-1, -1, 0)
    for row in rows:
        place = (int(row["shard"]), int(row["pos"]), int(row.get("ordinal", 0)))
        if place <= last:
            raise RuntimeError(
                f"Ray Data delivered rows out of order ({place} after {last}); nothing after them was written."
            )
        last = place
        yield row


# --- pass 2: chunk, embed, write ------------------------------------------------------------------


def _chunk_shard(
    row: dict[str, Any], columns: ColumnMap | None, actions: list[np.ndarray], chunker: Chunker
) -> Iterator[dict[str, Any]]:
    """One header row per article to write (ordinal -1) followed by one row per chunk to embed."""
    shard = int(row["shard"])
    wanted = actions[shard]
    for pos, item in enumerate(_items(_shard_of(row), columns)):
        if pos >= len(wanted) or wanted[pos] == _DROP or isinstance(item, Skipped):
            continue
        yield {"shard": shard, "pos": pos, "ordinal": -1, "article": _encode_article(item),
               "digest": content_hash(item), "fingerprint": text_fingerprint(item.text),
               "signature": minhash_signature(item.text).tobytes(), "start": 0, "end": 0, "key": "", "text": b""}
        if wanted[pos] != _CHUNKED:
            continue
        for chunk in chunker.split(item.text):
            text = embedding_text(item.title, chunk.text)
            yield {"shard": shard, "pos": pos, "ordinal": chunk.ordinal, "article": "", "digest": "",
                   "fingerprint": "", "signature": b"", "start": chunk.start, "end": chunk.end,
                   "key": vector_key(text), "text": text.encode("utf-8", "surrogatepass")}


class _Encoder:
    """A Ray Data actor holding the encoder: fills the ``vector`` column (float32 bytes) of chunk rows."""

    def __init__(self, load: Callable[[], Embedder], threads: int) -> None:
        _limit_threads(threads)
        self._embedder = load()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows = np.flatnonzero(batch["ordinal"] >= 0)
        vectors = np.empty(len(batch["ordinal"]), dtype=object)
        vectors[:] = b""
        if len(rows):
            texts = [bytes(batch["text"][r]).decode("utf-8", "surrogatepass") for r in rows]
            embedded = np.asarray(self._embedder.embed(texts), dtype=np.float32)
            for r, vector in zip(rows, embedded, strict=True):
                vectors[r] = vector.tobytes()
        batch["vector"] = vectors
        return batch


def _limit_threads(threads: int) -> None:
    # The encoder's thread pools size themselves by the machine's cores, not the actor's share.
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)


def _encoded_rows(
    shards: list[_Shard],
    columns: ColumnMap | None,
    plan: _Plan,
    chunker: Chunker,
    load_embedder: Callable[[], Embedder],
    workers: int,
) -> Iterator[dict[str, Any]]:
    if not plan.digests:
        return iter(())
    shard_rows = _shard_dataset(shards)
    # A block goes to one actor whole, and a read task's rows would make one block of a whole file:
    # blocks of about a batch's bytes (a chunk row is about 1.5 kB) let every actor share the work.
    # (A repartition by rows would need a task of a whole core, which the actors leave no room for.)
    shard_rows.context.target_max_block_size = ENCODE_BATCH * 1536
    dataset = (
        shard_rows
        .flat_map(partial(_chunk_shard, columns=columns, actions=plan.actions, chunker=chunker), num_cpus=_LIGHT_CPUS)
        .map_batches(
            _Encoder,
            fn_constructor_args=(load_embedder, 1),
            batch_size=ENCODE_BATCH,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=_ACTOR_CPUS,
        )
    )
    return _in_order(dataset.iter_rows())


def _batches(
    rows: Iterator[dict[str, Any]], plan: _Plan, batch_articles: int
) -> Iterator[tuple[list[_Planned], dict[str, np.ndarray]]]:
    """Rows regrouped into articles, ``batch_articles`` at a time, with the vectors of their chunks."""
    batch: list[_Planned] = []
    vectors: dict[str, np.ndarray] = {}
    articles = 0
    for row in rows:
        place = (int(row["shard"]), int(row["pos"]))
        if row["ordinal"] < 0:
            articles += 1
            if len(batch) >= batch_articles:
                yield batch, vectors
                batch, vectors = [], {}
            if row["digest"] != plan.digests.get(place):
                raise RuntimeError(
                    f"the input changed during the ingest (item {place[1] + 1} of shard {place[0]}): "
                    "run the ingest again once the files are stable; what was written is consistent."
                )
            batch.append(_Planned(
                _decode_article(str(row["article"])), str(row["digest"]), str(row["fingerprint"]),
                np.frombuffer(row["signature"], dtype=np.uint64).copy(), plan.duplicate_of.get(place), [], [],
            ))
            continue
        current = batch[-1]
        start, end = int(row["start"]), int(row["end"])
        current.chunks.append(Chunk(int(row["ordinal"]), start, end, current.article.text[start:end]))
        current.keys.append(str(row["key"]))
        vectors[str(row["key"])] = np.frombuffer(row["vector"], dtype=np.float32)
    if batch:
        yield batch, vectors
    if articles != len(plan.digests):
        raise RuntimeError(
            f"the input changed during the ingest ({len(plan.digests) - articles} articles judged are gone): "
            "run the ingest again once the files are stable; what was written is consistent."
        )


# --- measuring ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Throughput:
    """Chunks embedded per second by ``label`` ("bare encoder" or "ray, N workers")."""

    label: str
    chunks: int
    seconds: float

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.seconds if self.seconds > 0 else float("nan")


def measure_throughput(
    paths: Sequence[str | os.PathLike[str]],
    load_embedder: Callable[[], Embedder],
    model: str,
    chunker: Chunker,
    workdir: str | os.PathLike[str],
    workers: Sequence[int] = (1, 2),
    address: str | None = None,
) -> list[Throughput]:
    """Chunks per second of the bare encoder (one process embedding every chunk of ``paths``, the
    model loaded beforehand) and of a whole Ray ingest of ``paths`` into a fresh index under
    ``workdir`` with each number of ``workers`` (reading, both passes, model loads in the actors
    and writing included; Ray's own start-up not). The bare encoder embeds duplicates' chunks too,
    the ingests only what they write: compare the rates, not the counts."""
    articles = [a for a in read_articles(paths) if isinstance(a, Article)]
    texts = [embedding_text(a.title, c.text) for a in articles for c in chunker.split(a.text)]
    embedder = load_embedder()
    began = time.perf_counter()
    embedder.embed(texts)
    results = [Throughput("bare encoder", len(texts), time.perf_counter() - began)]
    connected_here = _connect(address)
    try:
        for n in workers:
            report = ingest_with_ray(paths, Path(workdir, f"ray-{n}"), load_embedder, model, chunker, workers=n)
            results.append(Throughput(f"ray, {n} worker{'s' * (n > 1)}", report.chunks, report.seconds))
    finally:
        if connected_here:
            ray.shutdown()
    return results
