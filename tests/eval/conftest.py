"""Deterministic fakes for the evaluation tests: a scripted assistant, a table scorer and a fake clock."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from assistant.records import Answer, AnswerSentence, Citation, Filters, Hit
from eval.formats import Candidate, Question, SentenceQuestion
from eval.run import Result, evaluate_questions, evaluate_sentences

ARTICLES = {
    "a1": "Hong Kong is the priciest city. It beat New York again.",
    "a2": "Tokyo came second in the ranking. Prices rose there.",
    "a3": "Figure skaters must now be 17 to compete. The rule starts in 2024.",
    "a5": "Report: Hong Kong is the priciest city. More follows.",
}


def cite(article_id: str, sentence: str, shift: int = 0) -> Citation:
    """A citation of ``sentence`` in ``ARTICLES[article_id]``; ``shift`` moves its offsets (a broken citation)."""
    start = ARTICLES[article_id].index(sentence) + shift
    return Citation(article_id, None, None, None, None, sentence, start, start + len(sentence))


def quote(article_id: str, sentence: str, shift: int = 0, also: Sequence[Citation] = ()) -> AnswerSentence:
    citation = cite(article_id, sentence, shift)
    return AnswerSentence(text=sentence, citation=citation, score=0.5, also_reported_by=tuple(also))


def hit(article_id: str, chunk_id: int = 0) -> Hit:
    return Hit(article_id, chunk_id, None, None, None, None, ARTICLES.get(article_id, ""), 0, 1, 1.0)


@dataclass
class Script:
    """What the fake assistant does for one question: chunks its search returns and sentences it quotes."""

    chunks: Sequence[str]
    quotes: Sequence[AnswerSentence] = ()
    unknown_terms: tuple[str, ...] = ()  # the names the assistant reports no article contains
    unreported_years: tuple[str, ...] = ()  # the years asked about that no confident sentence names


@dataclass
class FakeQA:
    """A scripted assistant: ``ask`` and ``search`` look the (resolved) question up in ``scripts``.

    With a conversation (a list), ``ask`` appends the question and resolves a follow-up by prefixing
    the first question of the conversation, the way a real assistant would rewrite it.
    """

    scripts: dict[str, Script]
    searches: list[tuple[str, int]] = field(default_factory=list)
    asked: list[tuple[str, Any]] = field(default_factory=list)
    filters: list[tuple[str, Filters | None]] = field(default_factory=list)  # ("ask"|"search", filters)

    def ask(self, question: str, conversation: Any = None, filters: Filters | None = None) -> Answer:
        self.asked.append((question, conversation))
        self.filters.append(("ask", filters))
        query = question
        if conversation is not None:
            if conversation:
                query = f"{conversation[0]} {question}"
            conversation.append(question)
        quotes = tuple(self.scripts[query].quotes)
        searched = tuple(hit(a) for a in self.scripts[query].chunks)
        script = self.scripts[query]
        return Answer(
            question, query, quotes, 0.9 if quotes else 0.1, bool(quotes), searched, script.unknown_terms,
            unreported_years=script.unreported_years,
        )

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        self.searches.append((query, k))
        self.filters.append(("search", filters))
        return [hit(a, i) for i, a in enumerate(self.scripts[query].chunks)][:k]

    def article_text(self, article_id: str) -> str:
        return ARTICLES[article_id]


@dataclass
class TableScorer:
    """Scores each sentence by a fixed table (unknown sentences 0.0)."""

    table: dict[str, float]

    def score(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        return np.array([self.table.get(s, 0.0) for s in sentences], dtype=np.float32)


def ticking(latencies_ms: Sequence[float]) -> Iterator[float]:
    """Clock readings such that consecutive start/stop pairs are ``latencies_ms`` apart."""
    for i, ms in enumerate(latencies_ms):
        yield float(i * 100)
        yield i * 100 + ms / 1000.0


def clock_of(latencies_ms: Sequence[float]) -> Any:
    readings = ticking(latencies_ms)
    return lambda: next(readings)


PRICIEST = "Hong Kong is the priciest city."

# Three questions whose metrics are worked out by hand in test_run.py.
Q1 = "Which is the most expensive city?"
Q2 = "What is the minimum age for senior skaters?"
Q3 = "Who won the election?"


@pytest.fixture
def fake_qa() -> FakeQA:
    return FakeQA(
        {
            # relevant a1 at distinct rank 2; answer in the 2nd quoted sentence, which a5 also ran
            Q1: Script(
                ["a2", "a2", "a1", "a3"],
                [
                    quote("a2", "Tokyo came second in the ranking."),
                    quote("a1", PRICIEST, also=[cite("a5", PRICIEST)]),
                ],
            ),
            # relevant a3 at rank 1; answer in the top sentence, but its offsets are off by one
            Q2: Script(["a3", "a1"], [quote("a3", "Figure skaters must now be 17 to compete.", shift=1)]),
            # relevant a4 never retrieved; abstains
            Q3: Script(["a1", "a2"]),
        }
    )


@pytest.fixture
def questions() -> list[Question]:
    return [
        Question("q1", Q1, ("Hong Kong",), ("a1",)),
        Question("q2", Q2, ("17",), ("a3",)),
        Question("q3", Q3, ("Smith",), ("a4",)),
    ]


@dataclass(frozen=True)
class Kit:
    """The helpers above, for test modules (which cannot import conftest under --import-mode=importlib)."""

    FakeQA: type[FakeQA] = FakeQA
    Script: type[Script] = Script
    TableScorer: type[TableScorer] = TableScorer
    quote: Any = staticmethod(quote)
    cite: Any = staticmethod(cite)
    clock_of: Any = staticmethod(clock_of)
    Q1: str = Q1
    Q2: str = Q2
    Q3: str = Q3


@pytest.fixture
def kit() -> Kit:
    return Kit()


@pytest.fixture
def question_result(fake_qa: FakeQA, questions: list[Question]) -> Result:
    return evaluate_questions(fake_qa, questions, clock=clock_of([10, 20, 60]))


SENTENCE_ITEMS = [
    SentenceQuestion("i1", "What age?", (Candidate("s1", 0), Candidate("s2", 1), Candidate("s3", 0))),
    SentenceQuestion("i2", "What city?", (Candidate("s4", 1), Candidate("s5", 0))),
    SentenceQuestion("i3", "Who?", (Candidate("s6", 0),)),  # no positive: not scored
]


@pytest.fixture
def sentence_result() -> Result:
    scorer = TableScorer({"s1": 0.9, "s2": 0.5, "s4": 0.8})
    return evaluate_sentences(scorer, SENTENCE_ITEMS, clock=clock_of([3, 4, 5]))
