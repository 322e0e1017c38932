"""The corpus package's modules: a reader per kind of input, no import circle, the public names where
they have always been imported from."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def corpus_imports() -> dict[str, set[str]]:
    """Each ``corpus`` module and the ``corpus`` modules it imports, at module level or inside a function."""
    graph: dict[str, set[str]] = {}
    for path in sorted(CORPUS.glob("*.py")):
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
        graph[f"corpus.{path.stem}"] = {m for m in imported if m.startswith("corpus.")}
    return graph


def test_corpus_modules_import_no_circle() -> None:
    """Regression: corpus.feeds imported seven private names from corpus.load, which imported
    corpus.feeds back inside a function to break the circle."""
    graph = corpus_imports()
    tuple(graphlib.TopologicalSorter(graph).static_order())  # raises CycleError on a circle
    readers = ("corpus.tabular", "corpus.documents", "corpus.feeds")
    assert all("corpus.load" not in graph[r] for r in readers), {r: graph[r] for r in readers}
    assert all(set(readers).isdisjoint(graph[r]) for r in readers), "a reader imports another reader"


def test_public_names_are_imported_from_corpus_load_as_before() -> None:
    from corpus import load, reading, tabular

    assert load.__all__ == ["ColumnMap", "Skipped", "content_id", "read_articles"]
    assert (load.Skipped, load.content_id, load.ColumnMap) == (reading.Skipped, reading.content_id, tabular.ColumnMap)

