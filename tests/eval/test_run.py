"""The runners against a scripted assistant and a table scorer; every number is worked out by hand."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from assistant.records import Filters
from eval.errors import ContractError, EvalError
from eval.formats import (
    Candidate,
    ConversationCase,
    Question,
    SentenceQuestion,
    Turn,
    UnanswerableQuestion,
)
from eval.run import (
    QuestionRecord,
    Result,
    evaluate_conversations,
    evaluate_questions,
    evaluate_sentences,
    evaluate_unanswerable,
    near_filters,
)

L2 = math.log2(3)


def test_evaluate_questions_metrics_by_hand(question_result: Result) -> None:
    result = question_result
    m = result.metrics
    assert result.task == "questions"
    assert m["n"] == 3
    # distinct rankings: q1 [a2, a1, a3] (a1 at 2), q2 [a3, a1] (a3 at 1), q3 [a1, a2] (a4 missing)
    assert m["recall@1"] == pytest.approx(1 / 3)
    assert m["recall@2"] == pytest.approx(2 / 3)
    assert m["recall@5"] == m["recall@10"] == pytest.approx(2 / 3)
    assert m["mrr"] == pytest.approx((1 / 2 + 1 + 0) / 3)
    assert m["ndcg@10"] == pytest.approx((1 / L2 + 1 + 0) / 3)
    # answers: q1 at sentence 2, q2 at sentence 1, q3 abstains
    assert m["answer@1"] == pytest.approx(1 / 3)
    assert m["answer@3"] == pytest.approx(2 / 3)
    assert m["abstain_rate"] == pytest.approx(1 / 3)
    # article texts holding an answer: q1's a1 at 2, q2's a3 at 1, q3 none
    assert m["text_recall@1"] == pytest.approx(1 / 3)
    assert m["text_recall@5"] == m["text_recall@10"] == pytest.approx(2 / 3)
    # citations: q1 two plus one also_reported_by, all valid; q2 one, off by one
    assert m["n_citations"] == 4
    assert m["citation_validity"] == pytest.approx(3 / 4)
    assert m["latency_p50_ms"] == pytest.approx(20)
    assert m["latency_p95_ms"] == pytest.approx(56)
    assert m["latency_mean_ms"] == pytest.approx(30)
    assert {f"recall@{k}" for k in range(1, 11)} <= m.keys()
    assert all(isinstance(v, float) for v in m.values())


def test_evaluate_questions_records(question_result: Result) -> None:
    r1, r2, r3 = question_result.records
    assert isinstance(r1, QuestionRecord) and isinstance(r2, QuestionRecord) and isinstance(r3, QuestionRecord)
    assert r1.retrieved_article_ids == ("a2", "a1", "a3")
    assert r1.first_relevant_rank == 2
    assert r1.answer_rank == 2
    assert [s.has_answer for s in r1.sentences] == [False, True]
    assert r1.sentences[1].also_reported_by == ("a5",)
    assert (r1.citations, r1.valid_citations, r1.correct) == (3, 3, True)
    assert r2.sentences[0].citation_valid is False
    assert (r2.answer_rank, r2.correct) == (1, True)
    assert (r3.is_answer, r3.sentences, r3.answer_rank, r3.first_relevant_rank, r3.correct) == (
        False,
        (),
        None,
        None,
        False,
    )
    assert [r.latency_ms for r in (r1, r2, r3)] == pytest.approx([10, 20, 60])


def test_text_recall_counts_an_unlisted_article_that_holds_the_answer(kit: Any) -> None:
    qa = kit.FakeQA({kit.Q1: kit.Script(["gone", "a2", "a1"])})  # "gone": an id the assistant no longer knows
    result = evaluate_questions(qa, [Question("q1", kit.Q1, ("Hong Kong",), ("a5",))])
    (record,) = result.records
    assert (record.first_relevant_rank, record.first_answer_article_rank) == (None, 3)
    assert result.metrics["recall@5"] == 0.0 and result.metrics["text_recall@1"] == 0.0
    assert result.metrics["text_recall@5"] == 1.0


def test_evaluate_questions_searches_deep_enough(fake_qa: Any, questions: list[Question], kit: Any) -> None:
    evaluate_questions(fake_qa, questions, k=10, search_k=40)
    assert fake_qa.searches == [(kit.Q1, 40), (kit.Q2, 40), (kit.Q3, 40)]
    assert [q for q, _ in fake_qa.asked] == [kit.Q1, kit.Q2, kit.Q3]


def test_evaluate_questions_k_sets_the_deepest_cutoff(fake_qa: Any, questions: list[Question]) -> None:
    m = evaluate_questions(fake_qa, questions, k=2).metrics
    assert "recall@2" in m and "ndcg@2" in m
    assert "recall@3" not in m and "ndcg@10" not in m
    assert m["ndcg@2"] == pytest.approx((1 / L2 + 1) / 3)


def test_evaluate_questions_checks_its_arguments(fake_qa: Any, questions: list[Question]) -> None:
    with pytest.raises(ValueError, match="search_k"):
        evaluate_questions(fake_qa, questions, k=10, search_k=5)
    with pytest.raises(EvalError, match="no questions"):
        evaluate_questions(fake_qa, [])


def test_a_citation_to_an_unknown_article_is_invalid_not_an_error(kit: Any) -> None:
    class Forgetful(kit.FakeQA):  # type: ignore[name-defined,misc]
        def article_text(self, article_id: str) -> str:
            raise KeyError(article_id)

    qa = Forgetful({kit.Q1: kit.Script(["a1"], [kit.quote("a1", "Hong Kong is the priciest city.")])})
    m = evaluate_questions(qa, [Question("q1", kit.Q1, ("Hong Kong",), ("a1",))]).metrics
    assert (m["citation_validity"], m["n_citations"], m["answer@1"]) == (0.0, 1.0, 1.0)


def test_no_citations_means_full_validity(kit: Any) -> None:
    qa = kit.FakeQA({kit.Q3: kit.Script(["a1"])})
    m = evaluate_questions(qa, [Question("q3", kit.Q3, ("Smith",), ("a1",))]).metrics
    assert (m["citation_validity"], m["n_citations"], m["abstain_rate"]) == (1.0, 0.0, 1.0)


FOLLOW = "And which came second?"
CITY = "Which is the most expensive city?"
AGE = "What is the minimum age for senior skaters?"
CASES = [
    ConversationCase("c1", (Turn(CITY, ("Hong Kong",), ("a1",)), Turn(FOLLOW, ("Tokyo",), ("a2",)))),
    ConversationCase("c2", (Turn(AGE, ("17",), ("a3",)),)),
]


@pytest.fixture
def conversation_qa(kit: Any) -> Any:
    assert (kit.Q1, kit.Q2) == (CITY, AGE)
    return kit.FakeQA(
        {
            CITY: kit.Script(["a1", "a2"], [kit.quote("a1", "Hong Kong is the priciest city.")]),
            # the follow-up as the fake resolves it
            f"{CITY} {FOLLOW}": kit.Script(
                ["a1", "a2"],
                [kit.quote("a2", "Prices rose there."), kit.quote("a2", "Tokyo came second in the ranking.")],
            ),
            AGE: kit.Script(["a1"]),  # retrieval misses a3 and it abstains
        }
    )


def test_evaluate_conversations_keeps_one_conversation_per_case(conversation_qa: Any) -> None:
    qa = conversation_qa
    evaluate_conversations(qa, CASES, list)
    (q1, conv1), (q2, conv2), (q3, conv3) = qa.asked
    assert (q1, q2, q3) == (CITY, FOLLOW, AGE)
    assert conv1 is conv2 and conv1 is not conv3
    assert conv1 == [CITY, FOLLOW] and conv3 == [AGE]
    # retrieval is scored on the resolved follow-up, not the bare one
    assert [q for q, _ in qa.searches] == [CITY, f"{CITY} {FOLLOW}", AGE]


def test_evaluate_conversations_metrics_by_turn_position(conversation_qa: Any, kit: Any) -> None:
    result = evaluate_conversations(conversation_qa, CASES, list, clock=kit.clock_of([5, 15, 25]))
    m = result.metrics
    assert result.task == "conversations"
    assert (m["n"], m["n_conversations"], m["n_turn1"], m["n_turn2"], m["n_followup"]) == (3, 2, 2, 1, 1)
    # turn 1s: c1 answers at rank 1 (a1 at rank 1); c2 abstains (a3 not retrieved)
    assert m["answer@1_turn1"] == 0.5 and m["answer@3_turn1"] == 0.5
    assert m["recall@1_turn1"] == 0.5 and m["mrr_turn1"] == 0.5
    assert m["abstain_rate_turn1"] == 0.5
    # the follow-up: answer in its 2nd sentence; a2 at rank 2
    assert m["answer@1_followup"] == 0.0 and m["answer@3_followup"] == 1.0
    assert m["answer@3_turn2"] == 1.0
    assert m["recall@1_followup"] == 0.0 and m["recall@5_followup"] == 1.0 and m["mrr_followup"] == 0.5
    # over all turns
    assert m["answer@3"] == pytest.approx(2 / 3)
    assert m["recall@1"] == pytest.approx(1 / 3)
    assert m["latency_p50_ms"] == pytest.approx(15)
    records = result.records
    assert [(r.conversation_id, r.turn, r.id) for r in records if isinstance(r, QuestionRecord)] == [
        ("c1", 1, "c1#1"),
        ("c1", 2, "c1#2"),
        ("c2", 1, "c2#1"),
    ]


def test_single_turn_conversations_have_no_followup_keys(conversation_qa: Any) -> None:
    m = evaluate_conversations(conversation_qa, CASES[1:], list).metrics
    assert "answer@3_turn1" in m
    assert not any(key.endswith("_followup") for key in m)


def test_evaluate_unanswerable_rewards_abstaining(kit: Any) -> None:
    qa = kit.FakeQA(
        {
            kit.Q3: kit.Script(["a1", "a1", "a2"]),
            kit.Q1: kit.Script(["a1"], [kit.quote("a1", "It beat New York again.")]),
        }
    )
    result = evaluate_unanswerable(
        qa, [UnanswerableQuestion("u1", kit.Q3), UnanswerableQuestion("u2", kit.Q1)], clock=kit.clock_of([4, 8])
    )
    assert result.metrics == pytest.approx(
        {
            "n": 2,
            "abstain_rate": 0.5,
            "abstain_unknown_names_rate": 0.0,
            "abstain_unknown_words_rate": 0.0,
            "abstain_uncovered_rate": 0.0,
            "abstain_unreported_years_rate": 0.0,
            "citation_validity": 1.0,
            "n_citations": 1,
            "latency_p50_ms": 6,
            "latency_p95_ms": 7.8,
            "latency_mean_ms": 6,
        }
    )
    u1, u2 = result.records
    assert isinstance(u1, QuestionRecord)
    assert (u1.correct, u2.correct) == (True, False)
    assert u1.retrieved_article_ids == ("a1", "a2")  # what it looked at before abstaining
    assert qa.searches == []  # no search is scored for unanswerable questions


def test_near_filters() -> None:
    assert near_filters(None, "2022-06-10") is None
    assert near_filters("question", "2022-06-10") == Filters(near_date="2022-06-10")
    assert near_filters("question", None) is None  # an undated item gets no preference
    one_day = Filters(near_date="2022-01-03")
    assert near_filters("2022-01-03", None) == near_filters("2022-01-03", "2022-06-10") == one_day


def test_near_dates_reach_both_ask_and_search(fake_qa: Any, questions: list[Question]) -> None:
    dated = [dataclasses.replace(questions[0], date="2022-06-10"), *questions[1:]]
    evaluate_questions(fake_qa, dated, near="question")
    near = Filters(near_date="2022-06-10")
    assert fake_qa.filters == [("ask", near), ("search", near)] + [("ask", None), ("search", None)] * 2
    fake_qa.filters.clear()
    evaluate_questions(fake_qa, dated)  # without ``near`` the dates are ignored
    assert [f for _, f in fake_qa.filters] == [None] * 6


def test_near_dates_hold_for_a_whole_conversation_and_for_unanswerable_questions(kit: Any) -> None:
    qa = kit.FakeQA({kit.Q1: kit.Script(["a1"]), f"{kit.Q1} And why?": kit.Script(["a2"])})
    case = ConversationCase("c1", (Turn(kit.Q1, ("x",), ("a1",)), Turn("And why?", ("y",), ("a2",))), "2022-06-10")
    evaluate_conversations(qa, [case], list, near="question")
    assert {f for _, f in qa.filters} == {Filters(near_date="2022-06-10")} and len(qa.filters) == 4
    qa.filters.clear()
    evaluate_unanswerable(qa, [UnanswerableQuestion("u1", kit.Q1)], near="2023-01-31")
    assert qa.filters == [("ask", Filters(near_date="2023-01-31"))]


def item(ident: str, *candidates: tuple[str, int]) -> SentenceQuestion:
    return SentenceQuestion(ident, "q?", tuple(Candidate(s, label) for s, label in candidates))


SCORES = {"s1": 0.9, "s2": 0.5, "s3": 0.1, "s4": 0.7, "s5": 0.5, "s6": 0.5, "s7": 0.9, "s8": 0.2}
ITEMS = [
    item("i1", ("s1", 0), ("s2", 1), ("s3", 0), ("s4", 1)),  # ranked s1 s4 s2 s3 -> [0, 1, 1, 0]
    item("i2", ("s1", 0), ("s3", 0)),  # all negative: left out
    item("i3", ("s5", 0), ("s6", 1)),  # a tie: candidate order puts s5 first -> [0, 1]
    item("i4", ("s7", 1), ("s8", 0)),  # [1, 0]
    item("i5"),  # no candidates at all (TrecQA has such items): left out
]


def test_evaluate_sentences_map_mrr_by_hand(kit: Any) -> None:
    result = evaluate_sentences(kit.TableScorer(SCORES), ITEMS, clock=kit.clock_of([1, 2, 3, 4, 5]))
    m = result.metrics
    assert result.task == "sentences"
    assert m["n"] == 3 and m["n_skipped"] == 2
    assert m["map"] == pytest.approx(((1 / 2 + 2 / 3) / 2 + 1 / 2 + 1) / 3)
    assert m["mrr"] == pytest.approx((1 / 2 + 1 / 2 + 1) / 3)
    assert m["p@1"] == pytest.approx(1 / 3)
    assert m["latency_p50_ms"] == pytest.approx(3)
    i1, i2, i3, i4, i5 = result.records
    assert i1.ranking == (0, 3, 1, 2) and i1.ranked_labels == (0, 1, 1, 0)  # type: ignore[union-attr]
    assert i2.average_precision is None and i2.reciprocal_rank is None  # type: ignore[union-attr]
    assert i3.top_sentence == "s5" and i3.reciprocal_rank == 0.5  # type: ignore[union-attr]
    assert i4.correct is True and i4.average_precision == 1.0  # type: ignore[union-attr]
    assert i5.ranking == () and i5.top_sentence == ""  # type: ignore[union-attr]


class BadScorer:
    def __init__(self, scores: Sequence[float]) -> None:
        self.scores = scores

    def score(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        return np.asarray(self.scores, dtype=float)


@pytest.mark.parametrize(("scores", "match"), [([0.1], "shape"), ([0.1, float("nan")], "NaN")])
def test_evaluate_sentences_rejects_a_scorer_breaking_its_contract(scores: list[float], match: str) -> None:
    with pytest.raises(ContractError, match=match):
        evaluate_sentences(BadScorer(scores), [item("i1", ("a", 1), ("b", 0))])


def test_abstentions_on_unknown_names_are_counted_and_recorded(kit: Any) -> None:
    qa = kit.FakeQA(
        {
            "Who runs Zorvath Industries?": kit.Script(["a1"], unknown_terms=("Zorvath",)),
            "How do I bake khachapuri?": kit.Script(["a1"], unknown_terms=("khachapuri",)),
            kit.Q3: kit.Script(["a1"]),
            kit.Q1: kit.Script(["a1"], [kit.quote("a1", "It beat New York again.")]),
        }
    )
    questions = [UnanswerableQuestion("u1", "Who runs Zorvath Industries?"), UnanswerableQuestion("u2", kit.Q3),
                 UnanswerableQuestion("u3", kit.Q1), UnanswerableQuestion("u4", "How do I bake khachapuri?")]
    result = evaluate_unanswerable(qa, questions, clock=kit.clock_of([1, 1, 1, 1]))
    assert result.metrics["abstain_rate"] == pytest.approx(3 / 4)
    assert result.metrics["abstain_unknown_names_rate"] == pytest.approx(1 / 4)
    assert result.metrics["abstain_unknown_words_rate"] == pytest.approx(1 / 4)
    assert [r.unknown_terms for r in result.records] == [("Zorvath",), (), (), ("khachapuri",)]


def test_abstentions_on_a_later_year_are_counted_and_recorded(kit: Any) -> None:
    qa = kit.FakeQA(
        {
            "Who won the 2031 final?": kit.Script(["a1"], unreported_years=("2031",)),
            kit.Q3: kit.Script(["a1"]),
            kit.Q1: kit.Script(["a1"], [kit.quote("a1", "It beat New York again.")]),
        }
    )
    questions = [UnanswerableQuestion("u1", "Who won the 2031 final?"), UnanswerableQuestion("u2", kit.Q3),
                 UnanswerableQuestion("u3", kit.Q1)]
    result = evaluate_unanswerable(qa, questions, clock=kit.clock_of([1, 1, 1]))
    assert result.metrics["abstain_unreported_years_rate"] == pytest.approx(1 / 3)
    assert [r.unreported_years for r in result.records] == [("2031",), (), ()]
