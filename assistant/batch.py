"""Many questions at once, read from a file: ``newsqa ask --questions FILE``.

A file of questions is plain text, one question a line (blank lines and lines starting with "#"
skipped), or JSON Lines (``.jsonl``, ``.ndjson``): one object a line with a ``"question"`` string,
an optional ``"id"`` (string or number) given back with its answer, and an optional ``"date"``
(``YYYY-MM-DD`` or ``YYYY/MM/DD``: the day the question is about, for ``--near question``). Other
fields are ignored, so a question set of ``newsqa eval`` can be asked as it is. A line that cannot
be read is reported with its file and line number, and the other questions are still asked.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

__all__ = ["LineProblem", "QuestionLine", "count_lines", "iso_day", "read_questions"]

_JSON_LINES = (".jsonl", ".ndjson")


@dataclass(frozen=True)
class QuestionLine:
    """A question read from ``place`` ("questions.txt:3"), with the ``id`` its line gave (as given:
    a string or a number) and its ``date`` (ISO ``YYYY-MM-DD``)."""

    place: str
    question: str
    id: str | int | float | None = None
    date: str | None = None


@dataclass(frozen=True)
class LineProblem:
    """A line at ``place`` that gives no question, and why."""

    place: str
    reason: str


def read_questions(path: str | Path) -> Iterator[QuestionLine | LineProblem]:
    """The questions of ``path`` in file order ("-" reads plain text from standard input), each
    unreadable line as a :class:`LineProblem` in its place. Opening the file may raise ``OSError``."""
    name = str(path)
    json_lines = name.lower().endswith(_JSON_LINES)
    if name == "-":
        yield from _parse(iter(sys.stdin.buffer), "<stdin>", json_lines=False)
        return
    with open(path, "rb") as f:
        yield from _parse(f, name, json_lines)


def count_lines(path: str | Path) -> int | None:
    """How many items :func:`read_questions` gives for ``path`` (questions and problems), or None for
    standard input, which can be read only once."""
    return None if str(path) == "-" else sum(1 for _ in read_questions(path))


def _parse(lines: Iterator[bytes], name: str, json_lines: bool) -> Iterator[QuestionLine | LineProblem]:
    for number, raw in enumerate(lines, 1):
        place = f"{name}:{number}"
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8").strip()
        except UnicodeDecodeError as exc:
            yield LineProblem(place, f"not UTF-8 text (byte {exc.start + 1})")
            continue
        if not text or (not json_lines and text.startswith("#")):
            continue
        yield _json_question(text, place) if json_lines else QuestionLine(place, text)


def _json_question(text: str, place: str) -> QuestionLine | LineProblem:
    try:
        data = json.loads(text)
    except ValueError as exc:
        return LineProblem(place, f"not valid JSON ({exc})")
    if not isinstance(data, dict):
        return LineProblem(place, 'expected a JSON object with a "question" field')
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        return LineProblem(place, 'field "question": expected a non-empty string')
    ident = data.get("id")
    if ident is not None and (isinstance(ident, bool) or not isinstance(ident, str | int | float)):
        return LineProblem(place, 'field "id": expected a string or a number')
    day = data.get("date")
    if day is not None:
        day = iso_day(day)
        if day is None:
            return LineProblem(place, 'field "date": expected a date as YYYY-MM-DD or YYYY/MM/DD')
    return QuestionLine(place, question.strip(), ident, day)


def iso_day(value: object) -> str | None:
    """``value`` as an ISO date when it is one written ``YYYY-MM-DD`` or ``YYYY/MM/DD`` (the RealTime
    QA form), else None. The question sets of ``newsqa eval`` read their dates with it too."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip().replace("/", "-")).isoformat()
    except ValueError:
        return None
