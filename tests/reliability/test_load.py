"""A small run of ``scripts/load_test.py``: the app on 127.0.0.1 under 20 concurrent clients while
articles are uploaded. Zero failed requests, every citation slices its article, hostile questions
included. The full run is ``python scripts/load_test.py`` (see docs/RELIABILITY.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "load_test.py"


def test_app_under_concurrent_questions_and_an_upload(tmp_path: Path) -> None:
    out = tmp_path / "summary.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--clients",
            "20",
            "--seconds",
            "30",
            "--articles",
            "12",
            "--uploads",
            "1",
            "--upload-articles",
            "4",
            "--work",
            str(tmp_path / "work"),
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads(out.read_text(encoding="utf-8"))
    assert summary["failed"] == 0, summary["errors"]
    assert summary["citations_wrong"] == 0, summary["wrong_citations"]
    assert summary["requests"] >= 20 and summary["citations_checked"] > 0
    assert [u["ok"] for u in summary["uploads"]] == [True], summary["uploads"]
    assert all(h["asked"] and not h["failed"] for h in summary["hostile"].values()), summary["hostile"]
    assert proc.returncode == 0, proc.stdout[-3000:]
