"""Fixtures for the browser test: an index of the UI fixture corpus built with the real packaged
model, the app serving it from a real subprocess on a free local port, and headless Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "ui"
ARTIFACTS = ROOT / "test-artifacts" / "ui"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
START_TIMEOUT = 300.0  # seconds for the app to load the model and answer HTTP on a busy 2-core machine


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False",
               TOKENIZERS_PARALLELISM="false")
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _log_tail(path: Path, lines: int = 40) -> str:
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def wait_until_serving(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = START_TIMEOUT) -> None:
    """Poll ``url`` until it answers 200; fail with the server's log if it exits or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with status {proc.returncode}:\n{_log_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)  # polling interval, not a wait for the app
    raise RuntimeError(f"the app did not answer on {url} within {timeout:.0f}s:\n{_log_tail(log)}")


@pytest.fixture(scope="session")
def ui_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture corpus ingested with the real packaged model, as ``newsqa ingest`` does it."""
    index = tmp_path_factory.mktemp("ui") / "index"
    subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", str(FIXTURES / "articles.jsonl"), "--index", str(index), "-q"],
        cwd=ROOT, env=_env(), check=True, capture_output=True, timeout=300,
    )
    return index


@pytest.fixture(scope="session")
def app_url(ui_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python app.py --index ...`` serving on a free 127.0.0.1 port, stopped after the session."""
    port = free_port()
    log = tmp_path_factory.mktemp("ui-app") / "app.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "app.py", "--index", str(ui_index), "--port", str(port)],
            cwd=ROOT, env=_env(), stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_serving(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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
