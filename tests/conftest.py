"""Shared fixtures: a deterministic fake embedder and a small inline corpus."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Derived model files (the ONNX export) go to a fresh folder, not the user's cache.
os.environ.setdefault("NEWSQA_CACHE", tempfile.mkdtemp(prefix="newsqa-cache-"))

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))
SHARED_DATA = ROOT.parent / "shared" / "data"

SMALL_CORPUS = [
    {
        "id": "a1", "title": "Flooding closes bridge in Riverton", "date": "2021-03-02", "source": "Riverton Post",
        "url": "https://example.org/a1",
        "text": "Heavy rain flooded the Riverton valley on Monday. The Old Mill bridge was closed by the city council "
        "after the river rose four metres.\n\nMayor Jane Holloway said the bridge would reopen next week. "
        "Engineers are inspecting the supports.",
    },
    {
        "id": "a2", "title": "Local team wins championship", "date": "2021-05-10", "source": "Sports Daily",
        "url": "https://example.org/a2",
        "text": "The Riverton Rockets won the regional basketball championship on Saturday. Captain Sam Ortiz "
        "scored 31 points in the final against the Lakeside Herons.\n\nThe team will parade through the town on "
        "Friday.",
    },
    {
        "id": "a3", "title": "New library opens downtown", "date": "2020-11-20", "source": "Riverton Post",
        "url": "https://example.org/a3",
        "text": "A new public library opened downtown on Thursday. The building holds 120,000 books and a "
        "children's reading room.\n\nThe library cost 14 million dollars and was designed by architect Priya Nair.",
    },
]


@pytest.fixture
def small_corpus_file(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in SMALL_CORPUS), encoding="utf-8")
    return path
