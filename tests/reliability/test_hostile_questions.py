"""Hostile questions through the Python API, with the real model over a small real index.

A 100,000-character question, control characters, NUL bytes, markup, stop-words only, other
languages and scripts, emoji, empty and whitespace-only: each is answered in bounded time, without
an exception, with either citations that slice their articles or an abstention. The same questions
go through the browser app in ``scripts/load_test.py``.
"""

from __future__ import annotations

import json
import time

import pytest
from tests_support import demo_articles

from assistant.api import Assistant
from assistant.chat import Conversation
from assistant.records import Answer
from assistant.settings import Settings
from index.ingest import ingest

pytestmark = pytest.mark.integration

# CPU seconds, not wall-clock ones, so that a machine busy with other work does not fail the bound.
CPU_SECONDS_PER_QUESTION = 20.0

HOSTILE = {
    "100,000 characters": "Why did the building collapse? " * 3226,
    "one 100,000-character word": "x" * 100_000,
    "control characters": "Who\x07 was\x1b[31m elected\x08 speaker\x0c?\x7f",
    "NUL bytes": "What\x00 happened\x00 in\x00 Magnitogorsk?\x00",
    "only NUL bytes": "\x00" * 1000,
    "markup": "<script>alert(1)</script><img src=x onerror=alert(2)> **bold** [a](javascript:x) {{7*7}} ${x} `rm`",
    "SQL and FTS syntax": "'; DROP TABLE articles; -- \" OR 1=1 NEAR(a b) *",
    "stop-words only": "the of and to in is it that was for on",
    "punctuation only": "?!.,;:—…()[]{}",
    "another language": "¿Cuántas personas murieron en el derrumbe del edificio de Magnitogorsk?",
    "another script": "Сколько человек погибло при обрушении дома в Магнитогорске?",
    "CJK": "马格尼托哥尔斯克公寓楼倒塌造成多少人死亡？",
    "emoji": "🏢💥❓ 😱😱😱",
    "empty": "",
    "whitespace": "   \n\t  \r\n ",
    "right-to-left and zero-width": "\u202eWho\u200b won\u2066 the\u2069 election?\ufeff",
    "lone surrogate": "Who won \ud800 the election?",
}


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(a) + "\n" for a in demo_articles(15)), encoding="utf-8")
    settings = Settings()
    ingest([str(corpus)], root / "ix", settings.load_embedder, settings.model, settings.chunker())
    loaded = Assistant.load(root / "ix")
    yield loaded  # type: ignore[misc]
    loaded.close()


# Questions with nothing in them to answer: each must be declined. The others ask about the
# corpus through the noise and may be answered.
NOTHING_TO_ANSWER = (
    "one 100,000-character word", "only NUL bytes", "markup", "SQL and FTS syntax", "stop-words only",
    "punctuation only", "emoji", "empty", "whitespace",
)


def check_answer(assistant: Assistant, question: str, conversation: Conversation | None = None) -> Answer:
    started = time.process_time()
    answer = assistant.ask(question, conversation=conversation)
    assert time.process_time() - started < CPU_SECONDS_PER_QUESTION
    assert answer.is_answer == bool(answer.sentences)  # an answer quotes; an abstention quotes nothing
    for s in answer.sentences:
        c = s.citation
        assert assistant.article_text(c.article_id)[c.start : c.end] == s.text
    for text in (answer.question, answer.query):
        assert len(text) <= 10_000 and "\x00" not in text
        text.encode("utf-8")
    return answer


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_question_is_answered_or_abstained_in_bounded_time(assistant: Assistant, case: str) -> None:
    answer = check_answer(assistant, HOSTILE[case])
    if case in NOTHING_TO_ANSWER:
        assert not answer.is_answer, case


def test_a_question_through_the_noise_is_still_answered(assistant: Assistant) -> None:
    answer = check_answer(assistant, HOSTILE["NUL bytes"])  # "What happened in Magnitogorsk?" with NULs
    assert answer.is_answer and "Magnitogorsk" in " ".join(s.citation.title or "" for s in answer.sentences)


def test_empty_and_stop_word_questions_abstain(assistant: Assistant) -> None:
    for case in ("empty", "whitespace", "only NUL bytes", "punctuation only"):
        assert not assistant.ask(HOSTILE[case]).is_answer, case


def test_hostile_follow_ups_in_one_conversation(assistant: Assistant) -> None:
    chat = Conversation()
    check_answer(assistant, "How many people died in the Magnitogorsk apartment building collapse?", chat)
    for question in HOSTILE.values():
        check_answer(assistant, question, chat)
    check_answer(assistant, "And when did that happen?", chat)


def test_search_takes_hostile_queries(assistant: Assistant) -> None:
    for question in HOSTILE.values():
        for hit in assistant.search(question, k=3):
            assert hit.text
