"""The shipped question sets in eval/data: they parse, have the promised shape, and their checker works."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from eval.formats import load_conversations, load_questions, load_unanswerable
from eval.metrics import normalize_answer

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "eval" / "data"
DEMO = REPO / "data" / "demo" / "wikinews.jsonl"
CATEGORIES = ("absent", "detail", "offtopic", "nearmiss")


def _check_data() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_data", DATA / "check_data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_data = _check_data()


@pytest.mark.parametrize("year", [2022, 2023])
def test_conversations_parse_and_have_follow_ups(year: int) -> None:
    cases = load_conversations(DATA / f"conversations_{year}.jsonl")
    assert len(cases) >= 40
    assert all(case.id.startswith(f"{year}-") for case in cases)
    assert all(2 <= len(case.turns) <= 4 for case in cases)
    assert sum(len(case.turns) >= 3 for case in cases) >= len(cases) // 2
    for case in cases:
        for turn in case.turns:
            assert all(a.strip() and normalize_answer(a) for a in turn.answers), case.id
            assert all(i.startswith("rtqa-") for i in turn.article_ids), case.id
            assert len(set(turn.article_ids)) == len(turn.article_ids), case.id


@pytest.mark.parametrize("year", [2022, 2023])
def test_conversations_carry_their_topic_terms(year: int) -> None:
    rows = [json.loads(line) for line in (DATA / f"conversations_{year}.jsonl").read_text().splitlines()]
    assert all(row["topic"] and all(isinstance(t, str) and t for t in row["topic"]) for row in rows)


def test_unanswerable_sets_have_categories() -> None:
    questions = load_unanswerable(DATA / "unanswerable.jsonl")
    assert len(questions) >= 120
    by_category = Counter(q.id.split("-", 1)[0] for q in questions)
    assert set(by_category) == set(CATEGORIES)
    assert min(by_category.values()) >= 20
    demo = load_unanswerable(DATA / "unanswerable_demo.jsonl")
    assert 25 <= len(demo) <= 40
    assert {q.id.split("-", 1)[0] for q in demo} <= set(CATEGORIES)


def test_demo_questions_parse_and_cover_many_stories() -> None:
    questions = load_questions(DATA / "questions_demo.jsonl")
    assert len(questions) >= 45
    assert all(q.id.startswith("demo-") for q in questions)
    assert all(a.strip() and normalize_answer(a) for q in questions for a in q.answers)
    assert all(i.startswith("wikinews-") for q in questions for i in q.article_ids)
    assert all(len(set(q.article_ids)) == len(q.article_ids) for q in questions)
    assert len({i for q in questions for i in q.article_ids}) >= 30


def test_demo_conversations_parse_and_have_follow_ups() -> None:
    cases = load_conversations(DATA / "conversations_demo.jsonl")
    assert len(cases) >= 12
    assert all(case.id.startswith("demo-") for case in cases)
    assert all(2 <= len(case.turns) <= 4 for case in cases)
    for case in cases:
        for turn in case.turns:
            assert all(i.startswith("wikinews-") for i in turn.article_ids), case.id
            assert len(set(turn.article_ids)) == len(turn.article_ids), case.id


def test_demo_sets_pass_their_checks_against_the_demo_corpus() -> None:
    demo = check_data.load_corpus("demo wikinews", DEMO)
    for name, check in [
        ("questions_demo.jsonl", check_data.check_questions),
        ("conversations_demo.jsonl", check_data.check_corpus_conversations),
    ]:
        problems, _ = check(DATA / name, demo)
        assert problems == [], name


@pytest.mark.parametrize(
    "text", ["Hong Kong", "World’s most “expensive” city", "  U.S.-led   Coalition!! ", "$1.8 million", "Joe's 71%"]
)
def test_checker_normalises_like_the_metric(text: str) -> None:
    assert check_data.normalize(text) == normalize_answer(text)


ARTICLES = [
    {"id": "a1", "title": "Skaters", "text": "Figure skaters must now be 17. Joe’s rink agrees."},
    {"id": "a2", "title": None, "text": "In 2017 the skaters' age was 15."},
    {"id": "a3", "title": "Weather", "text": "Skaters were 17 minutes late because of snow."},
]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_checker_answer_matching() -> None:
    corpus = check_data.Corpus("tiny", ARTICLES)
    assert corpus.has_answer("a1", ["17"])
    assert not corpus.has_answer("a2", ["17"])  # only inside 2017
    assert corpus.has_answer("a1", ["Joe's rink"])  # curly and straight apostrophes are one
    assert corpus.with_all(["skater"]) == ["a1", "a2", "a3"]  # a term may start a longer word
    assert corpus.with_all(["skaters", "snow"]) == ["a3"]
    assert corpus.count("skate") == 0  # absent terms are whole words


def test_checker_flags_wrong_and_incomplete_article_lists(tmp_path: Path) -> None:
    corpus = check_data.Corpus("tiny", ARTICLES)
    good = {"id": "c1", "topic": ["skaters", "must"], "turns": [
        {"question": "How old must skaters be?", "answers": ["17"], "article_ids": ["a1"]},
        {"question": "Whose rink agrees?", "answers": ["Joe"], "article_ids": ["a1"]},
    ]}  # fmt: skip
    problems, stats = check_data.check_conversations(write_jsonl(tmp_path / "c.jsonl", [good]), corpus)
    assert problems == [] and stats["turns"] == 2

    bad = {"id": "c2", "topic": ["skaters"], "turns": [
        {"question": "How old?", "answers": ["17"], "article_ids": ["a2", "zz"]},
    ]}  # fmt: skip
    problems, _ = check_data.check_conversations(write_jsonl(tmp_path / "c.jsonl", [bad]), corpus)
    text = "\n".join(problems)
    assert "at least two turns" in text
    assert "a2 does not contain ['17']" in text
    assert "zz is not in tiny" in text
    assert "not listed: ['a1', 'a3']" in text  # complete lists hold every on-topic article with the answer


def test_checker_flags_wrong_incomplete_and_copied_questions(tmp_path: Path) -> None:
    corpus = check_data.Corpus("tiny", ARTICLES)
    assert corpus.copied_run("Figure skaters must now be 17?", ["a1"]) == "figure skaters must now be 17"
    assert corpus.copied_run("So figure skaters must now be?", ["a1"]) is None  # five words in a row only
    good = {"id": "q1", "question": "How old do skaters have to be?", "answers": ["17"],
            "article_ids_containing_answer": ["a1", "a3"]}  # fmt: skip
    problems, stats = check_data.check_questions(write_jsonl(tmp_path / "q.jsonl", [good]), corpus)
    assert problems == [] and stats["questions"] == 1 and stats["distinct articles"] == 2

    bad = {"id": "q2", "question": "Figure skaters must now be 17?", "answers": ["17", "skating"],
           "article_ids_containing_answer": ["a2", "zz", "a1"]}  # fmt: skip
    problems, _ = check_data.check_questions(write_jsonl(tmp_path / "q.jsonl", [bad]), corpus)
    text = "\n".join(problems)
    assert "a2 does not contain ['17', 'skating']" in text
    assert "zz is not in tiny" in text
    assert "answer 'skating' is in none of the listed articles" in text
    assert "not listed: ['a3']" in text  # every article of the corpus with an answer is listed
    assert "copies 6+ words of its articles: 'figure skaters must now be 17'" in text


def test_checker_flags_demo_conversation_turns_off_their_story(tmp_path: Path) -> None:
    corpus = check_data.Corpus("tiny", ARTICLES)
    row = {"id": "c1", "topic": ["snow"], "turns": [
        {"question": "How late were the skaters?", "answers": ["17 minutes"], "article_ids": ["a3"]},
        {"question": "Whose rink was it?", "answers": ["Joe"], "article_ids": ["a1"]},
    ]}  # fmt: skip
    problems, stats = check_data.check_corpus_conversations(write_jsonl(tmp_path / "c.jsonl", [row]), corpus)
    assert stats["turns"] == 2
    assert problems == ["c.jsonl:1 (c1) turn 2: no listed article holding the topic terms ['snow'] has the answer"]
    row = {"id": "c2", "topic": ["snow"], "turns": row["turns"][:1]}
    problems, _ = check_data.check_corpus_conversations(write_jsonl(tmp_path / "c.jsonl", [row]), corpus)
    assert problems == ["c.jsonl:1 (c2): a conversation needs at least two turns"]


def test_checker_flags_present_entities_and_stated_details(tmp_path: Path) -> None:
    corpus = check_data.Corpus("tiny", ARTICLES)
    rows = [
        {"id": "absent-001", "question": "Who is Zorvath?", "absent": ["Zorvath"]},
        {"id": "absent-002", "question": "Who runs Joe's rink?", "absent": ["Joe’s rink"]},
        {"id": "detail-001", "question": "Why were they late?", "not_stated": {"with": ["Skaters"], "terms": ["snow"]}},
        {"id": "trivia-001", "question": "What is 2 + 2?"},
    ]
    problems, stats = check_data.check_unanswerable(write_jsonl(tmp_path / "u.jsonl", rows), [corpus])
    assert stats["absent"] == 2 and stats["detail"] == 1
    assert len(problems) == 3
    assert "'Joe’s rink' occurs in 1 article(s) of tiny" in problems[0]
    assert "a3 (tiny) mentions ['snow']" in problems[1]
    assert "id must start with one of" in problems[2]


def test_checker_flags_a_held_out_detail_of_a_story_no_article_reports(tmp_path: Path) -> None:
    corpus = check_data.Corpus("tiny", ARTICLES)
    rows = [
        {"id": "detail-h1", "question": "Why were they late?", "not_stated": {"with": ["Skaters"], "terms": ["rain"]}},
        {"id": "detail-h2", "question": "Why was it late?", "not_stated": {"with": ["Yacht"], "terms": ["rain"]}},
    ]
    path = write_jsonl(tmp_path / "u.jsonl", rows)
    problems, stats = check_data.check_unanswerable(path, [corpus])
    assert problems == [] and stats == check_data.Counter({"detail": 2, "not_stated checks": 2})
    problems, _ = check_data.check_unanswerable(path, [corpus], covered=True)
    assert problems == ["u.jsonl:2 (detail-h2): no article holds all of ['Yacht']"]
