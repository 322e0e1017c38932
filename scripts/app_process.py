"""Run ``app.py`` in a subprocess for a script or a test: a free port, the offline environment, the
start, the wait until it serves, and the stop.

Used by ``scripts/screenshots.py`` and ``scripts/load_test.py`` (run as ``python scripts/x.py``, so
this folder is on ``sys.path``) and by ``tests/ui/conftest.py`` (which puts this folder there).
Standard library only. :func:`wait_until_serving` raises :class:`RuntimeError` carrying the tail of
the app's log; a script turns that into ``SystemExit``, a test lets it fail the fixture.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

__all__ = ["APP", "OFFLINE_ENV", "app_env", "free_port", "log_tail", "start_app", "stop_app", "wait_until_serving"]

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"

# The packaged model is loaded from disk: no Hugging Face Hub lookups, no Gradio analytics calls, and
# no tokenizer thread pool fighting the app's own workers on a small machine.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def app_env(**extra: str) -> dict[str, str]:
    """This process's environment with :data:`OFFLINE_ENV` set over it, then ``extra``."""
    return {**os.environ, **OFFLINE_ENV, **extra}


def start_app(
    index_dir: str | os.PathLike[str], port: int, log_path: Path | None = None, extra_args: Sequence[str] = ()
) -> subprocess.Popen[bytes]:
    """Start ``python app.py --index index_dir --port port *extra_args`` from the repository root,
    in :func:`app_env`. Its stdout and stderr go to ``log_path`` (overwritten) or, when that is
    None, to this process's own. Returns at once: call :func:`wait_until_serving` next."""
    args = [sys.executable, str(APP), "--index", str(index_dir), "--port", str(port), *extra_args]
    if log_path is None:
        return subprocess.Popen(args, cwd=ROOT, env=app_env())
    with open(log_path, "wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(args, cwd=ROOT, env=app_env(), stdout=out, stderr=subprocess.STDOUT)


def log_tail(path: Path | None, lines: int = 40) -> str:
    """The last ``lines`` lines of the log at ``path`` ("" when there is none)."""
    if path is None or not path.exists():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def wait_until_serving(
    url: str, proc: subprocess.Popen[bytes], log_path: Path | None = None, timeout: float = 600.0
) -> None:
    """Poll ``url`` until it answers 200.

    Raises RuntimeError, with the tail of ``log_path`` when given, if ``proc`` exits first or
    ``timeout`` seconds pass; the process is left as it is (stop it with :func:`stop_app`).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(_with_log(f"the app exited with status {proc.returncode}", log_path))
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:  # refused, reset or timed out while the app is still loading
            pass
        time.sleep(0.5)  # polling interval, not a wait for the app
    raise RuntimeError(_with_log(f"the app did not answer on {url} within {timeout:.0f}s", log_path))


def stop_app(proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Ask the app to stop (SIGTERM); kill it if it has not exited after ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _with_log(message: str, log_path: Path | None) -> str:
    tail = log_tail(log_path)
    return f"{message}:\n{tail}" if tail else message
