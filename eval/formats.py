"""The four JSONL question-set formats the evaluation reads, one record a line.

- questions:     ``{"id", "question", "answers": [...], "article_ids_containing_answer": [...]}``
- conversations: ``{"id", "turns": [{"question", "answers": [...], "article_ids": [...]}, ...]}``
- unanswerable:  ``{"id", "question"}`` (the right response is to abstain)
- sentences:     ``{"id", "question", "candidates": [{"sentence", "label"}, ...]}``

``answers``, the article id lists and ``turns`` must be non-empty (``candidates`` may be empty: TrecQA
has such items, which count as all-negative): a question without a gold answer cannot be
scored (put it in an unanswerable file instead). Questions, conversations and unanswerable questions
may carry a ``date`` (the day asked, ``YYYY-MM-DD`` or ``YYYY/MM/DD``), used by ``--near-date question``.
Other extra fields are ignored and blank lines skipped.
Every ``load_*`` raises :class:`FormatError` naming ``path:line`` and the offending field for bad
JSON, a missing or mistyped field, or a repeated id.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from assistant.batch import iso_day
from eval.errors import FormatError
from eval.metrics import normalize_answer

__all__ = [
    "Candidate",
    "ConversationCase",
    "FormatError",
    "Question",
    "SentenceQuestion",
    "Turn",
    "UnanswerableQuestion",
    "load_conversations",
    "load_questions",
    "load_sentences",
    "load_unanswerable",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Question:
    """A question with its gold answer strings and the articles whose text contains an answer."""

    id: str
    question: str
    answers: tuple[str, ...]
    article_ids: tuple[str, ...]  # from ``article_ids_containing_answer``
    date: str | None = None  # the day it was asked, YYYY-MM-DD (optional ``date`` field)


@dataclass(frozen=True)
class Turn:
    """One turn of a conversation; a follow-up may lean on earlier turns ("and who won it?")."""

    question: str
    answers: tuple[str, ...]
    article_ids: tuple[str, ...]


@dataclass(frozen=True)
class ConversationCase:
    """A scripted conversation: its turns are asked in order within one conversation."""

    id: str
    turns: tuple[Turn, ...]
    date: str | None = None  # the day it was held, YYYY-MM-DD (optional ``date`` field)


@dataclass(frozen=True)
class UnanswerableQuestion:
    """A question the corpus cannot answer: the right response is to abstain."""

    id: str
    question: str
    date: str | None = None  # the day it was asked, YYYY-MM-DD (optional ``date`` field)


@dataclass(frozen=True)
class Candidate:
    """A candidate answer sentence; ``label`` 1 when it answers the question, else 0."""

    sentence: str
    label: int


@dataclass(frozen=True)
class SentenceQuestion:
    """An answer-sentence selection item (TrecQA style): rank the candidates for the question.

    ``candidates`` may be empty; like an all-negative item, it is then left out of MAP and MRR.
    """

    id: str
    question: str
    candidates: tuple[Candidate, ...]


class _Row:
    """One parsed JSON object with its location, for field access with located error messages."""

    def __init__(self, data: dict[str, Any], where: str, prefix: str = "") -> None:
        self.data = data
        self.where = where
        self.prefix = prefix

    def fail(self, field: str, problem: str) -> FormatError:
        return FormatError(f"{self.where}: field '{self.prefix}{field}' {problem}")

    def raw(self, field: str) -> Any:
        if field not in self.data:
            raise self.fail(field, "is missing")
        return self.data[field]

    def text(self, field: str) -> str:
        value = self.raw(field)
        if not isinstance(value, str):
            raise self.fail(field, f"must be a string, not {type(value).__name__}")
        if not value.strip():
            raise self.fail(field, "must not be empty")
        return value

    def date(self, field: str = "date") -> str | None:
        """An optional date, ``YYYY-MM-DD`` or ``YYYY/MM/DD`` (the RealTime QA form), as ``YYYY-MM-DD``."""
        value = self.data.get(field)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(field, f"must be a date string, not {type(value).__name__}")
        iso = iso_day(value)
        if iso is None:
            raise self.fail(field, f"must be a date as YYYY-MM-DD or YYYY/MM/DD, not {value!r}")
        return iso

    def strings(self, field: str) -> tuple[str, ...]:
        """A non-empty list of strings."""
        value = self.raw(field)
        if not isinstance(value, list):
            raise self.fail(field, f"must be a list of strings, not {type(value).__name__}")
        if not value:
            raise self.fail(field, "must list at least one string")
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.fail(f"{field}[{i}]", f"must be a string, not {type(item).__name__}")
        return tuple(value)

    def answers(self, field: str = "answers") -> tuple[str, ...]:
        """A non-empty list of answer strings, each with a letter or digit (else it could never match)."""
        value = self.strings(field)
        for i, item in enumerate(value):
            if not normalize_answer(item):
                raise self.fail(f"{field}[{i}]", "must contain a letter or digit: it could never match")
        return value

    def objects(self, field: str, *, allow_empty: bool = False) -> list[_Row]:
        value = self.raw(field)
        if not isinstance(value, list) or not (value or allow_empty):
            raise self.fail(field, "must be a list of objects" + ("" if allow_empty else ", not empty"))
        rows = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.fail(f"{field}[{i}]", f"must be an object, not {type(item).__name__}")
            rows.append(_Row(item, self.where, f"{self.prefix}{field}[{i}]."))
        return rows

    def label(self, field: str) -> int:
        value = self.raw(field)
        # bool is an int subclass: JSON true/false are accepted as 1/0.
        if not isinstance(value, int) or value not in (0, 1):
            raise self.fail(field, f"must be 0 or 1, not {value!r}")
        return int(value)


def _rows(path: Path) -> Iterator[_Row]:
    """Yield each non-blank line of ``path`` as a JSON object, located as ``path:line``."""
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise FormatError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
            if not isinstance(data, dict):
                raise FormatError(f"{where}: expected a JSON object, not {type(data).__name__}")
            yield _Row(data, where)


def _load(path: Path, parse: Callable[[_Row], T], ident: Callable[[T], str]) -> list[T]:
    """Parse every row of ``path`` with ``parse``; ids must be unique within the file."""
    records: list[T] = []
    seen: set[str] = set()
    for row in _rows(path):
        record = parse(row)
        key = ident(record)
        if key in seen:
            raise row.fail("id", f"repeats {key!r}; ids must be unique within a file")
        seen.add(key)
        records.append(record)
    logger.debug("read %d records from %s", len(records), path)
    return records


def _question(row: _Row) -> Question:
    return Question(
        id=row.text("id"),
        question=row.text("question"),
        answers=row.answers(),
        article_ids=row.strings("article_ids_containing_answer"),
        date=row.date(),
    )


def _turn(row: _Row) -> Turn:
    return Turn(question=row.text("question"), answers=row.answers(), article_ids=row.strings("article_ids"))


def _conversation(row: _Row) -> ConversationCase:
    return ConversationCase(id=row.text("id"), turns=tuple(_turn(t) for t in row.objects("turns")), date=row.date())


def _unanswerable(row: _Row) -> UnanswerableQuestion:
    return UnanswerableQuestion(id=row.text("id"), question=row.text("question"), date=row.date())


def _candidate(row: _Row) -> Candidate:
    return Candidate(sentence=row.text("sentence"), label=row.label("label"))


def _sentence_question(row: _Row) -> SentenceQuestion:
    return SentenceQuestion(
        id=row.text("id"),
        question=row.text("question"),
        candidates=tuple(_candidate(c) for c in row.objects("candidates", allow_empty=True)),
    )


def load_questions(path: Path) -> list[Question]:
    """Read a question set (RealTime QA style), in file order."""
    return _load(path, _question, lambda q: q.id)


def load_conversations(path: Path) -> list[ConversationCase]:
    """Read scripted conversations, in file order; each needs at least one turn."""
    return _load(path, _conversation, lambda c: c.id)


def load_unanswerable(path: Path) -> list[UnanswerableQuestion]:
    """Read questions the corpus cannot answer, in file order."""
    return _load(path, _unanswerable, lambda q: q.id)


def load_sentences(path: Path) -> list[SentenceQuestion]:
    """Read answer-sentence selection items (TrecQA style), in file order; candidates keep their order."""
    return _load(path, _sentence_question, lambda q: q.id)
