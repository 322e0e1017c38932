"""Parsing the four question-set formats, and located errors for malformed rows."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eval.errors import EvalError, FormatError
from eval.formats import (
    Candidate,
    ConversationCase,
    Question,
    SentenceQuestion,
    Turn,
    UnanswerableQuestion,
    load_conversations,
    load_questions,
    load_sentences,
    load_unanswerable,
)


def write(tmp_path: Path, *rows: Any) -> Path:
    """Write rows (dicts become JSON; strings are written as they are) one a line."""
    path = tmp_path / "set.jsonl"
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


QUESTION = {
    "id": "q1",
    "question": "Which city is priciest?",
    "answers": ["Hong Kong"],
    "article_ids_containing_answer": ["a1", "a5"],
    "choices": ["Tokyo", "Hong Kong"],  # extra fields are ignored
}
TURNS = [
    {"question": "Which city is priciest?", "answers": ["Hong Kong"], "article_ids": ["a1"]},
    {"question": "And second?", "answers": ["Tokyo"], "article_ids": ["a2", "a3"]},
]
SENTENCES = {
    "id": "s1",
    "question": "What age?",
    "candidates": [{"sentence": "Skaters must be 17.", "label": 1}, {"sentence": "It snowed.", "label": 0}],
}


def test_load_questions(tmp_path: Path) -> None:
    path = write(tmp_path, QUESTION, "", {**QUESTION, "id": "q2", "answers": ["HK", "Hong Kong"]})
    assert load_questions(path) == [
        Question("q1", "Which city is priciest?", ("Hong Kong",), ("a1", "a5")),
        Question("q2", "Which city is priciest?", ("HK", "Hong Kong"), ("a1", "a5")),
    ]


def test_load_conversations(tmp_path: Path) -> None:
    path = write(tmp_path, {"id": "c1", "turns": TURNS})
    assert load_conversations(path) == [
        ConversationCase(
            "c1",
            (
                Turn("Which city is priciest?", ("Hong Kong",), ("a1",)),
                Turn("And second?", ("Tokyo",), ("a2", "a3")),
            ),
        )
    ]


def test_dates_are_optional_and_read_in_either_form(tmp_path: Path) -> None:
    questions = load_questions(write(tmp_path, {**QUESTION, "date": "2022/06/10"}, {**QUESTION, "id": "q2"}))
    assert [q.date for q in questions] == ["2022-06-10", None]
    path = write(tmp_path, {"id": "c1", "turns": TURNS, "date": "2022-06-10"})
    assert load_conversations(path)[0].date == "2022-06-10"
    path = write(tmp_path, {"id": "u1", "question": "Why?", "date": "2023-01-02"})
    assert load_unanswerable(path) == [UnanswerableQuestion("u1", "Why?", "2023-01-02")]


def test_load_unanswerable(tmp_path: Path) -> None:
    path = write(tmp_path, {"id": "u1", "question": "Who won the 2040 election?"}, {"id": "u2", "question": "Why?"})
    assert load_unanswerable(path) == [
        UnanswerableQuestion("u1", "Who won the 2040 election?"),
        UnanswerableQuestion("u2", "Why?"),
    ]


def test_load_sentences_keeps_candidate_order_and_accepts_json_booleans(tmp_path: Path) -> None:
    row = {**SENTENCES, "candidates": [*SENTENCES["candidates"], {"sentence": "Yes, 17.", "label": True}]}
    assert load_sentences(write(tmp_path, row)) == [
        SentenceQuestion(
            "s1",
            "What age?",
            (Candidate("Skaters must be 17.", 1), Candidate("It snowed.", 0), Candidate("Yes, 17.", 1)),
        )
    ]


def test_real_trecqa_dev_parses_if_present() -> None:
    path = Path("/work/shared/data/trecqa/dev.jsonl")
    if not path.exists():
        pytest.skip("shared TrecQA data not on this machine")
    items = load_sentences(path)
    assert len(items) == 82
    assert sum(1 for i in items if not any(c.label for c in i.candidates)) == 4


Loader = Callable[[Path], list[Any]]


@pytest.mark.parametrize(
    ("loader", "rows", "where", "field"),
    [
        (load_questions, [QUESTION, '{"id": "q2", "question": '], ":2:", "JSON"),
        (load_questions, [QUESTION, "[1, 2]"], ":2:", "JSON object"),
        (load_questions, [{k: v for k, v in QUESTION.items() if k != "answers"}], ":1:", "'answers' is missing"),
        (load_questions, [{**QUESTION, "answers": "Hong Kong"}], ":1:", "'answers' must be a list"),
        (load_questions, [{**QUESTION, "answers": []}], ":1:", "'answers' must list at least one"),
        (load_questions, [{**QUESTION, "answers": ["HK", 7]}], ":1:", "'answers[1]' must be a string"),
        (load_questions, [{**QUESTION, "id": 3}], ":1:", "'id' must be a string"),
        (load_questions, [QUESTION, "", {**QUESTION, "question": "  "}], ":3:", "'question' must not be empty"),
        (
            load_questions,
            [{k: v for k, v in QUESTION.items() if k != "article_ids_containing_answer"}],
            ":1:",
            "'article_ids_containing_answer' is missing",
        ),
        (load_questions, [QUESTION, QUESTION], ":2:", "'id' repeats 'q1'"),
        (load_conversations, [{"id": "c1", "turns": []}], ":1:", "'turns' must be a list of objects, not empty"),
        (load_conversations, [{"id": "c1", "turns": [TURNS[0], "hi"]}], ":1:", "'turns[1]' must be an object"),
        (
            load_conversations,
            [{"id": "c1", "turns": [TURNS[0], {**TURNS[1], "article_ids": None}]}],
            ":1:",
            "'turns[1].article_ids' must be a list",
        ),
        (load_unanswerable, [{"question": "Why?"}], ":1:", "'id' is missing"),
        (
            load_sentences,
            [{**SENTENCES, "candidates": [SENTENCES["candidates"][0], {"sentence": "x", "label": 2}]}],
            ":1:",
            "'candidates[1].label' must be 0 or 1",
        ),
        (
            load_sentences,
            [{**SENTENCES, "candidates": [{"label": 1}]}],
            ":1:",
            "'candidates[0].sentence' is missing",
        ),
    ],
)
def test_malformed_rows_name_path_line_and_field(
    tmp_path: Path, loader: Loader, rows: list[Any], where: str, field: str
) -> None:
    path = write(tmp_path, *rows)
    with pytest.raises(FormatError) as caught:
        loader(path)
    message = str(caught.value)
    assert message.startswith(f"{path}{where}")
    assert field in message


def test_format_error_is_a_value_error_and_an_eval_error() -> None:
    assert issubclass(FormatError, ValueError)
    assert issubclass(FormatError, EvalError)


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_questions(tmp_path / "nope.jsonl")


@pytest.mark.parametrize(
    ("loader", "rows", "where", "field"),
    [
        (load_questions, [QUESTION, {**QUESTION, "id": "q2", "article_ids_containing_answer": []}], ":2:",
         "'article_ids_containing_answer' must list at least one"),
        (load_conversations, [{"id": "c1", "turns": [{k: v for k, v in TURNS[0].items() if k != "answers"}]}], ":1:",
         "'turns[0].answers' is missing"),
        (load_conversations, [{"id": "c1", "turns": [TURNS[0], {**TURNS[1], "question": 5}]}], ":1:",
         "'turns[1].question' must be a string"),
        (load_conversations, [{"id": "c1", "turns": TURNS}, {"id": "c1", "turns": TURNS}], ":2:", "'id' repeats 'c1'"),
        (load_conversations, [{"id": "c1"}], ":1:", "'turns' is missing"),
        (load_unanswerable, [{"id": "u1", "question": "Why?"}, {"id": "u2", "question": ""}], ":2:",
         "'question' must not be empty"),
        (load_unanswerable, ["", "", "not json"], ":3:", "not valid JSON"),
        (load_questions, [QUESTION, {**QUESTION, "id": "q2", "date": "June 10"}], ":2:", "'date' must be a date"),
        (load_conversations, [{"id": "c1", "turns": TURNS, "date": 20220610}], ":1:", "'date' must be a date string"),
        (load_sentences, [{**SENTENCES, "candidates": "Skaters must be 17."}], ":1:", "'candidates' must be a list"),
        (load_sentences, [{k: v for k, v in SENTENCES.items() if k != "question"}], ":1:", "'question' is missing"),
        (load_sentences, [{**SENTENCES, "candidates": [{"sentence": "x", "label": "1"}]}], ":1:",
         "'candidates[0].label' must be 0 or 1"),
    ],
)  # fmt: skip
def test_more_malformed_rows_name_path_line_and_field(
    tmp_path: Path, loader: Loader, rows: list[Any], where: str, field: str
) -> None:
    path = write(tmp_path, *rows)
    with pytest.raises(FormatError) as caught:
        loader(path)
    assert str(caught.value).startswith(f"{path}{where}")
    assert field in str(caught.value)


def test_empty_candidate_list_is_allowed(tmp_path: Path) -> None:
    assert load_sentences(write(tmp_path, {**SENTENCES, "candidates": []})) == [SentenceQuestion("s1", "What age?", ())]


@pytest.mark.parametrize("answers", [[""], ["   "], ["?!"]])
def test_an_answer_that_can_never_match_is_rejected(tmp_path: Path, answers: list[str]) -> None:
    with pytest.raises(FormatError, match="answers"):
        load_questions(write(tmp_path, {**QUESTION, "answers": answers}))
