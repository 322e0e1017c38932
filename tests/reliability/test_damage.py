"""Damaged index files: truncated, emptied, deleted, overwritten or altered.

Each damaged copy of a small index is loaded and asked a question in a process of its own
(``tests/support/damage_probe.py``), so that a segfault in FAISS, numpy or SQLite shows as a
failure rather than killing the test run. Every case must end in one of two ways:

- a correct answer whose citations slice their articles (damage the index can route around, such
  as a missing manifest, which is rebuilt from SQLite), or
- one of the project's own errors, naming the damaged file and saying what to do.

Never a crash, a traceback, or an answer citing text the article does not hold.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from tests_support import demo_articles

from index.chunk import Chunker
from index.embed import HashingEmbedder
from index.ingest import ingest
from index.vectors import build_faiss, write_faiss

pytestmark = pytest.mark.slow  # about 45 s of probe processes on two cores; still in the default run

PROBE = Path(__file__).resolve().parents[1] / "support" / "damage_probe.py"
QUESTION = "Why did the city council close the Old Mill bridge in Riverton?"
EXPECTED_ARTICLE = "a1"
ADVICE = ("newsqa ingest", "rebuild", "Rebuild", "Restore", "Delete")

RIVERTON = {
    "id": "a1",
    "title": "Flooding closes bridge in Riverton",
    "date": "2021-03-02",
    "source": "Riverton Post",
    "url": "https://example.org/a1",
    "text": "Heavy rain flooded the Riverton valley on Monday. The Old Mill bridge was closed by the city council "
    "after the river rose four metres.\n\nMayor Jane Holloway said the bridge would reopen next week.",
}

Damage = Callable[[Path, dict], None]  # type: ignore[type-arg]


def manifest_of(root: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((root / "manifest.json").read_text())


def set_manifest(**changes: object) -> Damage:
    def damage(root: Path, m: dict) -> None:  # type: ignore[type-arg]
        (root / "manifest.json").write_text(json.dumps({**m, **changes}))

    return damage


def drop_manifest_field(name: str) -> Damage:
    def damage(root: Path, m: dict) -> None:  # type: ignore[type-arg]
        (root / "manifest.json").write_text(json.dumps({k: v for k, v in m.items() if k != name}))

    return damage


def truncate(rel: Callable[[dict], str], keep: float) -> Damage:  # type: ignore[type-arg]
    def damage(root: Path, m: dict) -> None:  # type: ignore[type-arg]
        path = root / rel(m)
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * keep)])

    return damage


def overwrite(rel: Callable[[dict], str], at: float, data: bytes) -> Damage:  # type: ignore[type-arg]
    def damage(root: Path, m: dict) -> None:  # type: ignore[type-arg]
        path = root / rel(m)
        raw = bytearray(path.read_bytes())
        start = int(len(raw) * at)
        raw[start : start + len(data)] = data
        path.write_bytes(bytes(raw))

    return damage


def remove(rel: Callable[[dict], str]) -> Damage:  # type: ignore[type-arg]
    def damage(root: Path, m: dict) -> None:  # type: ignore[type-arg]
        path = root / rel(m)
        shutil.rmtree(path) if path.is_dir() else path.unlink()

    return damage


def sql(statement: str) -> Damage:
    def damage(root: Path, m: dict) -> None:  # type: ignore[type-arg]
        db = sqlite3.connect(root / "store.sqlite")
        with db:
            db.execute(statement)
        db.close()

    return damage


def npy(rel: Callable[[dict], str], change: Callable[[np.ndarray], np.ndarray]) -> Damage:  # type: ignore[type-arg]
    """Rewrite a .npy file as a valid array with altered values."""

    def damage(root: Path, m: dict) -> None:  # type: ignore[type-arg]
        path = root / rel(m)
        np.save(path, change(np.load(path, allow_pickle=False)), allow_pickle=False)

    return damage


def other_dimension_faiss(root: Path, m: dict) -> None:  # type: ignore[type-arg]
    n = m["chunks"]
    vectors = np.eye(n, 16, dtype=np.float32)
    write_faiss(build_faiss(np.arange(n, dtype=np.int64), vectors), root / m["vectors_file"])


def MANIFEST(m: dict) -> str:  # type: ignore[type-arg]  # noqa: N802
    return "manifest.json"


def FAISS(m: dict) -> str:  # type: ignore[type-arg]  # noqa: N802
    return str(m["vectors_file"])


def SQLITE(m: dict) -> str:  # type: ignore[type-arg]  # noqa: N802
    return "store.sqlite"


def bm25(name: str) -> Callable[[dict], str]:  # type: ignore[type-arg]
    return lambda m: f"{m['lexical_dir']}/{name}"


BM25_FILES = [
    "chunk_ids.npy",
    "rows.json",
    "params.index.json",
    "vocab.index.json",
    "data.csc.index.npy",
    "indices.csc.index.npy",
    "indptr.csc.index.npy",
]

# name -> (damage, what the error message must name if it is an error)
CASES: dict[str, tuple[Damage, str]] = {
    "manifest truncated": (truncate(MANIFEST, 0.5), "manifest.json"),
    "manifest empty": (truncate(MANIFEST, 0.0), "manifest.json"),
    "manifest binary garbage": (overwrite(MANIFEST, 0.0, b"\x00\xff\xfe" * 40), "manifest.json"),
    "manifest not an object": (lambda r, m: (r / "manifest.json").write_text("[1, 2]"), "manifest.json"),
    "manifest field missing": (drop_manifest_field("vectors_file"), "manifest.json"),
    "manifest chunks wrong": (lambda r, m: set_manifest(chunks=m["chunks"] + 7)(r, m), "vectors-"),
    "manifest chunks not a number": (set_manifest(chunks="many"), "manifest.json"),
    "manifest generation behind": (lambda r, m: set_manifest(generation=m["generation"] - 1)(r, m), "manifest.json"),
    "manifest deleted": (remove(MANIFEST), "manifest.json"),
    "manifest names a missing faiss file": (set_manifest(vectors_file="vectors-999.faiss"), "vectors-999.faiss"),
    "manifest names a file outside the index": (set_manifest(vectors_file="../../../../../etc/passwd"), "passwd"),
    "manifest names a directory outside": (set_manifest(lexical_dir="/etc"), "etc"),
    "manifest of another model": (set_manifest(model="other-model"), "manifest.json"),
    "manifest of another dimension": (set_manifest(dim=384), "manifest.json"),
    "faiss truncated to half": (truncate(FAISS, 0.5), "vectors-"),
    "faiss missing its last bytes": (truncate(FAISS, 0.99), "vectors-"),
    "faiss empty": (truncate(FAISS, 0.0), "vectors-"),
    "faiss deleted": (remove(FAISS), "vectors-"),
    "faiss header overwritten": (overwrite(FAISS, 0.0, b"\xde\xad\xbe\xef" * 4), "vectors-"),
    "faiss sizes overwritten": (overwrite(FAISS, 0.0, b"IxM2" + b"\xff" * 12), "vectors-"),
    "faiss of another dimension": (other_dimension_faiss, "vectors-"),
    **{f"bm25 {name} truncated": (truncate(bm25(name), 0.5), "bm25-") for name in BM25_FILES},
    **{f"bm25 {name} deleted": (remove(bm25(name)), "bm25-") for name in BM25_FILES},
    "bm25 indices out of range": (npy(bm25("indices.csc.index.npy"), lambda a: a + 10**6), "bm25-"),
    "bm25 indptr out of range": (npy(bm25("indptr.csc.index.npy"), lambda a: a * 1000), "bm25-"),
    "bm25 chunk ids unknown": (npy(bm25("chunk_ids.npy"), lambda a: a + 10**9), "bm25-"),
    "bm25 directory deleted": (remove(lambda m: m["lexical_dir"]), "bm25-"),
    # the ranking of whole articles: damaged, it is an error; missing whole, it is built in memory
    "bm25 article_of.npy truncated": (truncate(bm25("article_of.npy"), 0.5), "bm25-"),
    "bm25 article_of.npy deleted": (remove(bm25("article_of.npy")), "bm25-"),
    "bm25 article_of out of range": (npy(bm25("article_of.npy"), lambda a: a + 10**6), "bm25-"),
    "bm25 articles' score matrix truncated": (truncate(bm25("articles/data.csc.index.npy"), 0.5), "bm25-"),
    "bm25 articles' vocabulary deleted": (remove(bm25("articles/vocab.index.json")), "bm25-"),
    "bm25 articles directory deleted": (remove(bm25("articles")), "bm25-"),
    "sqlite truncated to half": (truncate(SQLITE, 0.5), "store.sqlite"),
    "sqlite empty": (truncate(SQLITE, 0.0), "store.sqlite"),
    "sqlite header overwritten": (overwrite(SQLITE, 0.0, b"garbage" * 20), "store.sqlite"),
    "sqlite pages overwritten": (overwrite(SQLITE, 0.4, b"\xff" * 8192), "store.sqlite"),
    "sqlite deleted": (remove(SQLITE), "store.sqlite"),
    "sqlite metadata row deleted": (sql("DELETE FROM meta WHERE key = 'model'"), "store.sqlite"),
    "sqlite of another schema version": (sql("UPDATE meta SET value = '99' WHERE key = 'schema_version'"), "schema"),
    "sqlite chunks table dropped": (sql("DROP TABLE chunks"), "store.sqlite"),
    "sqlite chunk text altered": (sql("UPDATE chunks SET text = 'tampered ' || text"), "store.sqlite"),
    "sqlite article text altered": (sql("UPDATE articles SET text = 'Tampered. ' || text"), "store.sqlite"),
}


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> dict[str, subprocess.CompletedProcess[str]]:
    """The probe of every selected case, two at a time (each probe is mostly interpreter start-up)."""
    selected = {
        item.callspec.params["case"]
        for item in request.session.items
        if hasattr(item, "callspec") and "case" in item.callspec.params
    }
    root = tmp_path_factory.mktemp("damage")
    corpus = root / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in [RIVERTON, *demo_articles(12)]), encoding="utf-8")
    pristine = root / "pristine"
    ingest([str(corpus)], pristine, lambda: HashingEmbedder(dim=32), "hashing-test", Chunker(30, 5))

    def run(name: str, index_dir: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(PROBE), str(index_dir), QUESTION], capture_output=True, text=True, timeout=600
        )

    dirs = {"undamaged": pristine}
    for i, (name, (damage, _)) in enumerate(CASES.items()):
        if name not in selected:
            continue
        target = root / f"case-{i}"
        shutil.copytree(pristine, target)
        damage(target, manifest_of(target))
        dirs[name] = target
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run, name, d) for name, d in dirs.items()}
        return {name: f.result() for name, f in futures.items()}


def check(proc: subprocess.CompletedProcess[str], named: str) -> None:
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}: {proc.stderr[-2000:]}"
    assert proc.returncode in (0, 2), f"an unexpected exception:\n{proc.stderr[-3000:]}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if result["status"] == "answer":
        assert result["valid"], "a citation does not slice its article: a silent wrong answer"
        assert result["is_answer"] and EXPECTED_ARTICLE in result["articles"], result
    else:
        assert named in result["message"], f"the message does not name {named!r}: {result['message']}"
        assert any(a in result["message"] for a in ADVICE), f"the message does not say what to do: {result['message']}"


def test_undamaged_index_answers(outcomes: dict[str, subprocess.CompletedProcess[str]]) -> None:
    proc = outcomes["undamaged"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["is_answer"] and result["valid"] and result["articles"][0] == EXPECTED_ARTICLE


@pytest.mark.parametrize("case", list(CASES))
def test_damage_is_routed_around_or_named(outcomes: dict[str, subprocess.CompletedProcess[str]], case: str) -> None:
    check(outcomes[case], CASES[case][1])
