"""Helpers shared by tests (importable as ``tests_support``; see tests/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "wikinews.jsonl"


def demo_articles(n: int) -> list[dict]:  # type: ignore[type-arg]
    """The first ``n`` articles of the bundled Wikinews corpus, as raw JSON objects."""
    with open(DEMO, encoding="utf-8") as f:
        return [json.loads(line) for _, line in zip(range(n), f, strict=False)]
