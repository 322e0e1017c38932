"""Sentence boundaries with character offsets (nupunkt's Punkt model, which ships inside its package)."""

from __future__ import annotations

from dataclasses import dataclass

import nupunkt

__all__ = ["Span", "split_sentences"]


@dataclass(frozen=True)
class Span:
    """A sentence of ``text``: ``text[start:end] == sentence``, with no surrounding white space."""

    start: int
    end: int
    sentence: str


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Sentences of ``text`` in order; offsets are shifted by ``offset`` (the text's place in its
    article). Line breaks always end a sentence: headlines, bylines and list items are not merged
    into the next sentence."""
    spans: list[Span] = []
    for start, end in nupunkt.sent_spans(text):
        line_start = start
        for line in text[start:end].split("\n"):
            stripped = line.strip()
            if stripped:
                s = line_start + line.index(stripped)
                spans.append(Span(offset + s, offset + s + len(stripped), stripped))
            line_start += len(line) + 1
    return spans
