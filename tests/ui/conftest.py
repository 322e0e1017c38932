"""Fixtures for the browser test: an index of the UI fixture corpus built with the real packaged
model, the app serving it from a real subprocess on a free local port, and headless Chromium.

The shared app's index never changes: a test that adds articles gets an app of its own, serving a
copy (``own_app_url``), so that every test sees the same corpus whatever runs before it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

# The app-launch helpers live in scripts/app_process.py, shared with the scripts that start the app
# the same way; scripts/ is not a package, so its folder goes on the path.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from app_process import app_env, free_port, start_app, stop_app, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "ui"
ARTIFACTS = ROOT / "test-artifacts" / "ui"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
START_TIMEOUT = 300.0  # seconds for the app to load the model and answer HTTP on a busy 2-core machine


@pytest.fixture(scope="session")
def ui_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture corpus ingested with the real packaged model, as ``newsqa ingest`` does it."""
    index = tmp_path_factory.mktemp("ui") / "index"
    subprocess.run(
        [sys.executable, "-m", "newsqa", "ingest", str(FIXTURES / "articles.jsonl"), "--index", str(index), "-q"],
        cwd=ROOT, env=app_env(), check=True, capture_output=True, timeout=300,
    )
    return index


@contextmanager
def _serving(index: Path, log: Path) -> Iterator[str]:
    """``python app.py --index index`` serving on a free 127.0.0.1 port until the block ends."""
    port = free_port()
    proc = start_app(index, port, log)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_serving(url, proc, log, timeout=START_TIMEOUT)  # a RuntimeError carries the app's log
        yield url
    finally:
        stop_app(proc, timeout=20)


@dataclass(frozen=True)
class App:
    """A running app: where it serves, and the file its output (its log) goes to."""

    url: str
    log: Path


@pytest.fixture(scope="session")
def shared_app(ui_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The app serving the fixture corpus, shared by the tests that only read it; stopped after the session."""
    log = tmp_path_factory.mktemp("ui-app") / "app.log"
    with _serving(ui_index, log) as url:
        yield App(url, log)


@pytest.fixture(scope="session")
def app_url(shared_app: App) -> str:
    return shared_app.url


@pytest.fixture
def own_app_url(ui_index: Path, tmp_path: Path) -> Iterator[str]:
    """An app of the test's own over a copy of the fixture corpus's index, for a test that changes
    it (uploads); stopped after the test."""
    index = tmp_path / "index"
    shutil.copytree(ui_index, index)
    with _serving(index, tmp_path / "app.log") as url:
        yield url


@pytest.fixture
def milvus_app_url(ui_index: Path, tmp_path: Path) -> Iterator[str]:
    """``newsqa serve`` over a Milvus Lite copy of the fixture corpus's index (``newsqa copy-index``:
    the same vectors), stopped after the test; skipped without the ``scale`` extra."""
    pytest.importorskip("pymilvus")
    pytest.importorskip("milvus_lite")
    index = tmp_path / "index.db"
    subprocess.run(
        [sys.executable, "-m", "newsqa", "copy-index", str(ui_index), str(index), "-q"],
        cwd=ROOT, env=app_env(), check=True, capture_output=True, timeout=300,
    )
    port, log = free_port(), tmp_path / "app.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "newsqa", "serve", "--index", str(index), "--port", str(port)],
            cwd=ROOT, env=app_env(), stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_serving(url, proc, log, timeout=START_TIMEOUT)
        yield url
    finally:
        stop_app(proc, timeout=20)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/test.sh does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
