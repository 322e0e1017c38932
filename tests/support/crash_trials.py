"""Kill trials: SIGKILL a real ingest, update or delete process at a random moment, then check the
index and finish the work. Used by ``tests/reliability/test_crash.py`` and ``scripts/kill_trials.py``.

One trial:

1. copy the starting index (none for ``ingest``, the built corpus for ``update`` and ``delete``);
2. start ``crash_worker.py`` on it, wait until it has imported everything (``ready``), sleep a random
   time within the operation's measured duration and SIGKILL it;
3. the index, if one exists yet, must load and agree with itself (``index_checks.check_consistent``);
4. the same operation run again to the end must leave exactly the index an uninterrupted run leaves
   (``index_checks.snapshot``): nothing lost, nothing twice.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from index_checks import Counts, check_consistent, index_exists, snapshot
from tests_support import demo_articles

from index.embed import Embedder, HashingEmbedder
from index.ingest import delete, ingest

WORKER = Path(__file__).resolve().parent / "crash_worker.py"
MODES = ("ingest", "update", "delete")


@dataclass(frozen=True)
class TrialResult:
    mode: str
    trial: int
    kill_after: float  # seconds after the worker said "ready"
    outcome: str  # "interrupted", "finished before the kill" or "no index yet"
    counts_after_kill: Counts | None
    seconds: float


class KillTrials:
    """The corpora, the expected end states and the worker command for one set of trials.

    ``real_model`` runs the packaged sentence-transformers model in the worker and here (slow);
    otherwise the deterministic hashing embedder.
    """

    def __init__(
        self, work_dir: Path, n_articles: int = 48, real_model: bool = False, delay: float = 0.05, stall: float = 0.15
    ) -> None:
        self.work_dir = work_dir
        self.n_articles = n_articles
        self.real_model = real_model
        self.delay = delay
        self.stall = stall
        self._embedder: Embedder | None = None
        self._expected: dict[str, object] = {}
        self._window: dict[str, float] = {}

    # -- set-up ----------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Write the corpora and build the starting index and the expected end states."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        articles = demo_articles(self.n_articles + 8)
        v1, extra = articles[: self.n_articles], articles[self.n_articles :]
        # Syndicated copies of a few stories: deleting the kept copy makes ingest promote one.
        wires = [
            dict(a, id=f"wire-{a['id']}", source="Wire Service", text="LONDON (Wire) - " + a["text"]) for a in v1[:4]
        ]
        self.v1 = self._write("v1.jsonl", v1 + wires)
        changed = [
            dict(a, text=a["text"] + "\n\nThis story was updated with a correction on the following day.")
            if i % 4 == 0
            else a
            for i, a in enumerate(v1)
        ]
        self.v2 = self._write("v2.jsonl", changed + wires + extra)
        self.delete_ids = [v1[0]["id"], v1[1]["id"], v1[5]["id"], v1[6]["id"], wires[2]["id"], "no-such-id"]

        self.base = self.work_dir / "base"
        shutil.rmtree(self.base, ignore_errors=True)
        self.run_ingest(self.v1, self.base)
        self._expected["ingest"] = snapshot(self.base)
        for mode, finish in (
            ("update", lambda d: self.run_ingest(self.v2, d)),
            ("delete", lambda d: self.run_delete(d)),
        ):
            target = self.work_dir / f"expected-{mode}"
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(self.base, target)
            finish(target)
            check_consistent(target)
            self._expected[mode] = snapshot(target)

    def _write(self, name: str, rows: list[dict]) -> Path:  # type: ignore[type-arg]
        path = self.work_dir / name
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        return path

    def embedder(self) -> Embedder:
        if self._embedder is None:
            if self.real_model:
                from index.embed import SentenceTransformerEmbedder

                self._embedder = SentenceTransformerEmbedder.from_name(None)
            else:
                from crash_worker import FAKE_DIM, FAKE_MODEL

                self._embedder = HashingEmbedder(dim=FAKE_DIM, name=FAKE_MODEL)
        return self._embedder

    def _model_and_chunker(self):  # type: ignore[no-untyped-def]
        if self.real_model:
            from assistant.settings import Settings

            settings = Settings()
            return settings.model, settings.chunker()
        from crash_worker import FAKE_MODEL, fake_chunker

        return FAKE_MODEL, fake_chunker()

    def run_ingest(self, corpus: Path, index_dir: Path) -> None:
        model, chunker = self._model_and_chunker()
        embedder = self.embedder()
        ingest([str(corpus)], index_dir, lambda: embedder, model, chunker, batch_articles=8)

    def run_delete(self, index_dir: Path) -> None:
        _, chunker = self._model_and_chunker()
        embedder = self.embedder()
        delete(self.delete_ids, index_dir, lambda: embedder, chunker)

    # -- trials ----------------------------------------------------------------------------------

    def _command(self, mode: str, index_dir: Path) -> list[str]:
        if mode == "delete":
            action, items = "delete", self.delete_ids
        else:
            action, items = "ingest", [str(self.v1 if mode == "ingest" else self.v2)]
        cmd = [
            sys.executable,
            str(WORKER),
            action,
            str(index_dir),
            *items,
            "--delay",
            str(self.delay),
            "--stall",
            str(self.stall),
        ]
        return cmd + (["--real-model"] if self.real_model else [])

    def _fresh_dir(self, mode: str, name: str) -> Path:
        index_dir = self.work_dir / name
        shutil.rmtree(index_dir, ignore_errors=True)
        if mode != "ingest":
            shutil.copytree(self.base, index_dir)
        return index_dir

    def _start(self, mode: str, index_dir: Path) -> subprocess.Popen[str]:
        env = dict(os.environ, OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
        proc = subprocess.Popen(
            self._command(mode, index_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        assert proc.stdout is not None
        line = _readline(proc, timeout=300)
        if line.strip() != "ready":
            proc.kill()
            raise RuntimeError(f"worker did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
        return proc

    def window(self, mode: str) -> float:
        """How long the operation takes uninterrupted (ready → exit), measured once per mode."""
        if mode not in self._window:
            index_dir = self._fresh_dir(mode, f"calibrate-{mode}")
            proc = self._start(mode, index_dir)
            started = time.monotonic()
            out, err = proc.communicate(timeout=600)
            if proc.returncode != 0:
                raise RuntimeError(f"uninterrupted {mode} failed:\n{err}")
            self._window[mode] = time.monotonic() - started
            assert snapshot(index_dir) == self._expected[mode], f"an uninterrupted {mode} in a worker differs"
            shutil.rmtree(index_dir, ignore_errors=True)
        return self._window[mode]

    def trial(self, mode: str, number: int, rng: random.Random) -> TrialResult:
        started = time.monotonic()
        window = self.window(mode)
        index_dir = self._fresh_dir(mode, f"trial-{mode}-{number}")
        proc = self._start(mode, index_dir)
        kill_after = rng.uniform(0.0, window)
        time.sleep(kill_after)
        finished = proc.poll() is not None
        if not finished:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        if finished and proc.returncode != 0:
            raise AssertionError(f"the {mode} worker failed on its own:\n{proc.stderr.read() if proc.stderr else ''}")
        counts = None
        if index_exists(index_dir):
            counts = check_consistent(index_dir)
            outcome = "finished before the kill" if finished else "interrupted"
        else:
            assert mode == "ingest", f"the {mode} kill lost the index"
            outcome = "no index yet"
        # Resume: the same operation, run to the end, must give the uninterrupted result.
        if mode == "delete":
            self.run_delete(index_dir)
        else:
            self.run_ingest(self.v1 if mode == "ingest" else self.v2, index_dir)
        check_consistent(index_dir)
        assert snapshot(index_dir) == self._expected[mode], f"{mode} resumed after a kill at {kill_after:.2f}s differs"
        shutil.rmtree(index_dir, ignore_errors=True)
        return TrialResult(mode, number, kill_after, outcome, counts, time.monotonic() - started)

    def run(
        self, plan: dict[str, int], seed: int, report: Callable[[TrialResult], None] | None = None
    ) -> list[TrialResult]:
        """Run ``plan[mode]`` trials of each mode, interleaved, with kill times drawn from ``seed``."""
        rng = random.Random(seed)
        order = [m for m in MODES for _ in range(plan.get(m, 0))]
        rng.shuffle(order)
        results = []
        counters = dict.fromkeys(MODES, 0)
        for mode in order:
            counters[mode] += 1
            result = self.trial(mode, counters[mode], rng)
            results.append(result)
            if report:
                report(result)
        return results


def _readline(proc: subprocess.Popen[str], timeout: float) -> str:
    """The worker's first line of output, or "" if it says nothing within ``timeout`` seconds."""
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline() if proc.stdout else ""), daemon=True)
    reader.start()
    reader.join(timeout)
    return box[0] if box else ""
