"""Helpers shared by tests (importable as ``tests_support``; see tests/conftest.py)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "wikinews.jsonl"


def demo_articles(n: int) -> list[dict]:  # type: ignore[type-arg]
    """The first ``n`` articles of the bundled Wikinews corpus, as raw JSON objects."""
    with open(DEMO, encoding="utf-8") as f:
        return [json.loads(line) for _, line in zip(range(n), f, strict=False)]


class _Tags(HTMLParser):
    """Every start tag with its attributes, to check what a renderer's HTML would create."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html_text: str) -> list[tuple[str, dict[str, str | None]]]:
    """The start tags of ``html_text``, in order, each with its attributes."""
    parser = _Tags()
    parser.feed(html_text)
    return parser.tags
