"""Ingest on Ray gives the plain ingest's index: on a two-node Ray cluster on 127.0.0.1 started and
stopped here, with the Wikinews demo corpus plus near-copies of some of its articles; and when an
encoder actor is killed part-way. Without ``--ray`` Ray is never imported."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from tests_support import DEMO

from index.chunk import Chunker
from index.compare import compare, index_contents
from index.embed import Embedder, HashingEmbedder
from index.ingest import IngestReport, ingest
from index.store import IndexStore

MODEL = "hashing-test"
ROOT = Path(__file__).resolve().parents[2]


def test_plain_ingest_and_the_cli_never_import_ray(tmp_path: Path, small_corpus_file: Path) -> None:
    """(The CLI's own ingest loads the packaged model: here its parser, then the ingest it calls.)"""
    code = (
        "import sys\n"
        "import newsqa.cli\n"
        f"newsqa.cli.build_parser().parse_args(['ingest', {str(small_corpus_file)!r}, '--index', 'x'])\n"
        "from index.chunk import Chunker\n"
        "from index.embed import HashingEmbedder\n"
        "from index.ingest import ingest\n"
        f"report = ingest([{str(small_corpus_file)!r}], {str(tmp_path / 'index')!r}, lambda: HashingEmbedder(dim=16),"
        " 'hashing-test', Chunker(30, 5))\n"
        "assert report.added == 3, report\n"
        "assert 'ray' not in sys.modules, 'ray was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


# --- a corpus with duplicates, and what an index holds ---------------------------------------------------


def _corpus(folder: Path, articles: int | None = None) -> Path:
    """The demo corpus (its first ``articles``, or all) in one file, and in another: near-copies of
    some of them (a wire footer, a rewritten first sentence, the last paragraph cut), exact copies
    under other ids, a changed version of an article read before, and a line that is not JSON."""
    rows = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = rows[:articles] if articles else rows
    rng = random.Random(22)
    copies: list[dict[str, object]] = []
    for n, row in enumerate(rng.sample(rows, max(3, len(rows) // 10))):
        paragraphs = str(row["text"]).split("\n\n")
        if n % 3 == 0:
            text = str(row["text"]) + "\n\nDistributed by the Associated Wire Service. All rights reserved."
        elif n % 3 == 1:
            rest = "\n\n".join(paragraphs[1:] or paragraphs)
            text = "In a statement on Tuesday, officials confirmed the report. " + rest
        else:
            text = "\n\n".join(paragraphs[: max(1, len(paragraphs) * 2 // 3)])
        copies.append({**row, "id": f"copy-{n}", "title": f"Copy: {row.get('title')}", "text": text})
    copies += [{**rows[1], "id": "exact-copy"}, {**rows[2], "text": str(rows[2]["text"]) + "\n\nCorrection appended."}]
    (folder / "a").mkdir(parents=True)
    (folder / "b").mkdir()
    (folder / "a" / "wikinews.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    lines = [json.dumps(r) for r in copies]
    lines.insert(3, "{not json")
    (folder / "b" / "copies.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _same_report(ray_report: IngestReport, plain: IngestReport) -> None:
    for name in ("read", "added", "updated", "unchanged", "duplicates", "chunks", "embedded",
                 "skipped", "duplicate_pairs"):
        assert getattr(ray_report, name) == getattr(plain, name), name


def _same_index(ray_dir: Path, plain_dir: Path, min_cosine: float = 1.0 - 1e-6) -> None:
    ray, plain = index_contents(str(ray_dir)), index_contents(str(plain_dir))
    store = IndexStore.open(ray_dir)
    try:
        assert store.is_up_to_date()
    finally:
        store.close()
    result = compare(ray, plain)
    assert result.same_articles  # the same articles, content and duplicate groups
    assert result.same_chunks
    assert result.same_vector_keys
    assert result.same(min_cosine), result.cosines.min()


@pytest.mark.slow
def test_ray_ingest_on_a_local_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--ray without an address: Ray started on this machine for the ingest and stopped after."""
    ray = pytest.importorskip("ray")
    from index.ray_ingest import ingest_with_ray

    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    temp_dir = tempfile.mkdtemp(prefix="ray-")  # Ray's session files; short, for its socket paths
    monkeypatch.setenv("RAY_TMPDIR", temp_dir)
    corpus = _corpus(tmp_path / "corpus", articles=30)
    plain = ingest([corpus], tmp_path / "plain", lambda: HashingEmbedder(dim=32), MODEL, Chunker(30, 5))
    handled: list[int] = []
    try:
        on_ray = ingest_with_ray(
            [corpus], tmp_path / "ray", lambda: HashingEmbedder(dim=32), MODEL, Chunker(30, 5), progress=handled.append
        )
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    assert not ray.is_initialized()
    assert sum(handled) == on_ray.read
    _same_report(on_ray, plain)
    _same_index(tmp_path / "ray", tmp_path / "plain")


# --- a two-node cluster on this machine --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _node(temp_dir: str, log: Path, *first: str) -> subprocess.Popen[bytes]:
    """``ray start --block`` for one node of one CPU: stopping this process stops the node."""
    ports = [f"--{name}={_free_port()}" for name in (
        "node-manager-port", "object-manager-port", "metrics-export-port", "dashboard-agent-listen-port",
        "dashboard-agent-grpc-port", "runtime-env-agent-port")]
    command = [str(Path(sys.executable).with_name("ray")), "start", *first, "--block", "--node-ip-address=127.0.0.1",
               "--num-cpus=1", "--object-store-memory=150000000", "--disable-usage-stats", f"--temp-dir={temp_dir}",
               *ports]
    with log.open("ab") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a node: its processes (raylet, GCS, workers) share the session ``ray start`` began."""
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """The address of a Ray cluster of two one-CPU nodes, both on 127.0.0.1."""
    ray = pytest.importorskip("ray")
    # The cluster listens on 127.0.0.1 only and lives for this module: no token to generate or share,
    # and no usage statistics (whose collector asks a Prometheus that is not there, noisily).
    settings = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    temp_dir = tempfile.mkdtemp(prefix="ray-")  # short: Ray's socket paths live under it
    log = Path(temp_dir) / "nodes.log"
    port = _free_port()
    address = f"127.0.0.1:{port}"
    nodes = [_node(temp_dir, log, "--head", f"--port={port}", "--include-dashboard=false",
                   f"--ray-client-server-port={_free_port()}")]
    try:
        _wait_for_port(port, nodes[0], log)
        nodes.append(_node(temp_dir, log, f"--address={address}"))
        ray.init(address=address, include_dashboard=False)
        try:
            deadline = time.monotonic() + 90
            while sum(n["Alive"] for n in ray.nodes()) < 2:
                assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
                assert all(p.poll() is None for p in nodes), log.read_text(errors="replace")[-3000:]
                time.sleep(0.5)
        finally:
            ray.shutdown()
        yield address
    finally:
        for process in reversed(nodes):
            _stop(process)
        shutil.rmtree(temp_dir, ignore_errors=True)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)


# --- the tests -------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_ray_ingest_on_two_nodes_gives_the_plain_index(cluster: str, tmp_path: Path) -> None:
    from index.ray_ingest import ingest_with_ray

    corpus = _corpus(tmp_path / "corpus")
    plain = ingest([corpus], tmp_path / "plain", lambda: HashingEmbedder(dim=32), MODEL, Chunker(30, 5))
    assert plain.duplicates >= 25 and plain.updated == 1 and len(plain.skipped) == 1  # the corpus tests something
    on_ray = ingest_with_ray(
        [corpus], tmp_path / "ray", lambda: HashingEmbedder(dim=32), MODEL, Chunker(30, 5), address=cluster
    )
    _same_report(on_ray, plain)
    _same_index(tmp_path / "ray", tmp_path / "plain")

    # Again, with a few more articles: the unchanged ones are judged as such and nothing is embedded twice.
    extra = tmp_path / "corpus" / "c.jsonl"
    extra.write_text(json.dumps({"id": "late", "title": "Late news", "text": "A late story about bridges."}) + "\n")
    plain = ingest([corpus], tmp_path / "plain", lambda: HashingEmbedder(dim=32), MODEL, Chunker(30, 5))
    on_ray = ingest_with_ray(
        [corpus], tmp_path / "ray", lambda: HashingEmbedder(dim=32), MODEL, Chunker(30, 5), address=cluster
    )
    assert (on_ray.added, on_ray.updated, on_ray.embedded) == (1, 2, 1)  # the article read in two versions: 2
    _same_report(on_ray, plain)
    _same_index(tmp_path / "ray", tmp_path / "plain")


@pytest.mark.slow
@pytest.mark.integration
def test_ray_ingest_with_the_packaged_model_gives_the_same_vectors(cluster: str, tmp_path: Path) -> None:
    """A subset (24 articles and their copies): embedding the whole corpus twice takes minutes on 2 cores."""
    from assistant.settings import Settings
    from index.ray_ingest import ingest_with_ray

    corpus = _corpus(tmp_path / "corpus", articles=24)
    settings = Settings()
    plain = ingest([corpus], tmp_path / "plain", settings.load_embedder, settings.model, settings.chunker())
    on_ray = ingest_with_ray(
        [corpus], tmp_path / "ray", settings.load_embedder, settings.model, settings.chunker(), address=cluster
    )
    _same_report(on_ray, plain)
    _same_index(tmp_path / "ray", tmp_path / "plain", min_cosine=0.9999)


def _watched(pid_file: str) -> Callable[[], Embedder]:
    """A loader of a fake encoder whose first process, at its third batch, leaves its pid in ``pid_file``
    and waits there: long enough for the test to kill it part-way through the ingest. (Defined here, so
    that Ray sends the class itself to the workers, which cannot import the tests.)"""

    class Watched(HashingEmbedder):
        batches = 0

        def embed(self, texts: Sequence[str]) -> np.ndarray:
            self.batches += 1
            if self.batches == 3 and not os.path.exists(pid_file):
                with open(f"{pid_file}.tmp", "w") as f:
                    f.write(str(os.getpid()))
                os.replace(f"{pid_file}.tmp", pid_file)
                time.sleep(60)
            return super().embed(texts)

    return lambda: Watched(dim=32)


@pytest.mark.slow
def test_ray_ingest_survives_a_killed_encoder(cluster: str, tmp_path: Path) -> None:
    from index.ray_ingest import ingest_with_ray

    corpus = _corpus(tmp_path / "corpus", articles=120)
    plain = ingest([corpus], tmp_path / "plain", lambda: HashingEmbedder(dim=32), MODEL, Chunker(30, 5))
    pid_file = str(tmp_path / "encoder.pid")
    killed: list[int] = []

    def kill_when_seen() -> None:
        deadline = time.monotonic() + 240
        while not os.path.exists(pid_file) and time.monotonic() < deadline:
            time.sleep(0.1)
        if os.path.exists(pid_file):
            pid = int(Path(pid_file).read_text())
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    killer = threading.Thread(target=kill_when_seen, daemon=True)
    killer.start()
    on_ray = ingest_with_ray(
        [corpus], tmp_path / "ray", _watched(pid_file), MODEL, Chunker(30, 5), address=cluster
    )
    killer.join(timeout=10)
    assert killed, "no encoder was killed"
    _same_report(on_ray, plain)
    _same_index(tmp_path / "ray", tmp_path / "plain")
