"""Sentence boundaries with character offsets (nupunkt's Punkt model, which ships inside its package)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import nupunkt

__all__ = ["Span", "split_sentences", "without_speaker"]


@dataclass(frozen=True)
class Span:
    """A sentence of ``text``: ``text[start:end] == sentence``, with no surrounding white space."""

    start: int
    end: int
    sentence: str


# A speaker's label opening a line of an interview: "((Wikinews))", "((WN))" as Wikinews writes
# them, "Q:" and "A:", and a name of two to four capitalised words and a colon ("Natasha Gownaris:").
# One-word labels ("Background:", "Note:", "BRENNAN:") are left in the sentence: in news they are
# more often an editor's than a speaker's, and a quote loses nothing by keeping them.
_NAME = r"(?:[QA]|[A-Z][a-z][\w.'’-]*(?:\s[A-Z][a-z][\w.'’-]*){1,3})"
_LABEL = re.compile(_NAME + r":$")  # a label alone, before a line break
_SPEAKER = re.compile(r"\(\([^()\n]{1,60}\)\)\s*|" + _NAME + r":\s+(?=\S)")


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Sentences of ``text`` in order; offsets are shifted by ``offset`` (the text's place in its
    article). Line breaks always end a sentence: headlines, bylines and list items are not merged
    into the next sentence. A speaker's label opening a line ("((Dorsa Derakhshani))", "Q:",
    "Natasha Gownaris:") is no part of the sentence after it: it names who speaks, and would
    otherwise make every reply of an interview match a question about its speaker."""
    spans: list[Span] = []
    for start, end in nupunkt.sent_spans(text):
        line_start = start
        for line in text[start:end].split("\n"):
            stripped = line.strip()
            if stripped:
                s = line_start + line.index(stripped)
                label = _SPEAKER.match(stripped)
                if label and label.end() < len(stripped) and (line_start == 0 or text[line_start - 1] == "\n"):
                    s += label.end()
                    stripped = stripped[label.end() :]
                spans.append(Span(offset + s, offset + s + len(stripped), stripped))
            line_start += len(line) + 1
    return spans


def without_speaker(text: str) -> str:
    """``text`` stripped, less a speaker's label that opens it ("((WN)) " in "\n\n((WN)) ")."""
    stripped = text.strip()
    label = _SPEAKER.match(stripped) or _LABEL.match(stripped)
    return stripped[label.end() :].strip() if label else stripped
