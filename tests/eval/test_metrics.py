"""Golden cases for the metric functions, worked by hand, and a cross-check against ir_measures."""

from __future__ import annotations

import math

import ir_measures
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ir_measures import AP, RR, Success, nDCG

from eval.metrics import (
    answer_in,
    answer_rank,
    average_precision,
    dedupe,
    first_relevant_rank,
    mean,
    ndcg_at_k,
    normalize_answer,
    percentile,
    rank_by_score,
    recall_at_k,
    reciprocal_rank,
    sentence_selection,
)

L2, L3 = math.log2(3), math.log2(4)  # discounts at ranks 2 and 3


@pytest.mark.parametrize(
    ("ranked", "relevant", "k", "expected"),
    [
        (["a", "b", "c"], {"a"}, 1, 1.0),  # relevant at rank 1
        (["a", "b", "c"], {"c"}, 2, 0.0),  # just past the cut-off
        (["a", "b", "c"], {"c"}, 3, 1.0),
        (["a", "b", "c"], {"c"}, 10, 1.0),  # k larger than the list
        (["a", "b", "c"], {"z"}, 10, 0.0),  # no relevant item retrieved
        (["a", "b"], set(), 10, 0.0),  # nothing is relevant
        ([], {"a"}, 5, 0.0),  # empty ranking
        (["a", "a", "a", "b"], {"b"}, 2, 1.0),  # repeats count once: b is 2nd distinct
        (["x", "b", "a"], {"a", "b"}, 2, 1.0),  # any relevant suffices (top-k accuracy)
    ],
)
def test_recall_at_k(ranked: list[str], relevant: set[str], k: int, expected: float) -> None:
    assert recall_at_k(ranked, relevant, k) == expected


@pytest.mark.parametrize(
    ("ranked", "relevant", "k", "expected"),
    [
        (["a", "b"], {"a"}, None, 1.0),
        (["x", "b", "a"], {"a", "b"}, None, 0.5),
        (["x", "y", "a"], {"a"}, None, 1 / 3),
        (["x", "y", "a"], {"a"}, 2, 0.0),  # beyond k
        (["x", "x", "a"], {"a"}, None, 0.5),  # repeated x counts once
        (["x", "y"], {"a"}, None, 0.0),  # none retrieved
        (["x", "y", "a"], {"a"}, 50, 1 / 3),  # k larger than the list
    ],
)
def test_reciprocal_rank(ranked: list[str], relevant: set[str], k: int | None, expected: float) -> None:
    assert reciprocal_rank(ranked, relevant, k) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("ranked", "relevant", "k", "expected"),
    [
        (["a", "x"], {"a"}, 10, 1.0),  # the single relevant at rank 1
        (["x", "a"], {"a"}, 10, 1 / L2),
        (["x", "b", "a"], {"a", "b"}, 10, (1 / L2 + 1 / L3) / (1 + 1 / L2)),
        (["x", "b", "a"], {"a", "b"}, 2, (1 / L2) / (1 + 1 / L2)),
        (["a"], {"a", "b", "c"}, 1, 1.0),  # ideal is cut at k too
        (["a"], {"a", "b"}, 10, 1 / (1 + 1 / L2)),  # k larger than the list: missing b still costs
        (["x", "y"], {"a"}, 10, 0.0),
        (["x"], set(), 10, 0.0),
        (["x", "x", "a"], {"a"}, 10, 1 / L2),
    ],
)
def test_ndcg_at_k(ranked: list[str], relevant: set[str], k: int, expected: float) -> None:
    assert ndcg_at_k(ranked, relevant, k) == pytest.approx(expected)


@pytest.mark.parametrize("metric", [recall_at_k, ndcg_at_k])
def test_k_must_be_positive(metric: object) -> None:
    with pytest.raises(ValueError, match="k must be at least 1"):
        metric(["a"], {"a"}, 0)  # type: ignore[operator]


def test_reciprocal_rank_rejects_zero_k() -> None:
    with pytest.raises(ValueError, match="k must be at least 1"):
        reciprocal_rank(["a"], {"a"}, 0)


def test_first_relevant_rank_and_dedupe() -> None:
    assert dedupe(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]
    assert first_relevant_rank(["b", "b", "a", "c"], {"c"}) == 3
    assert first_relevant_rank(["b"], {"c"}) is None


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ([1, 0, 0], 1.0),
        ([0, 0, 1], 1 / 3),
        ([0, 1, 1, 0], (1 / 2 + 2 / 3) / 2),
        ([1, 0, 1], (1 + 2 / 3) / 2),
        ([1, 1], 1.0),
        ([0, 0], 0.0),
        ([], 0.0),
    ],
)
def test_average_precision(labels: list[int], expected: float) -> None:
    assert average_precision(labels) == pytest.approx(expected)


def test_sentence_selection_excludes_all_negative_questions() -> None:
    map_, mrr, n = sentence_selection([[0, 1, 1], [0, 0, 0], [1, 0]])
    assert n == 2
    assert map_ == pytest.approx(((1 / 2 + 2 / 3) / 2 + 1.0) / 2)
    assert mrr == pytest.approx((0.5 + 1.0) / 2)


def test_sentence_selection_of_only_negatives_is_empty() -> None:
    assert sentence_selection([[0, 0], [0]]) == (0.0, 0.0, 0)


def test_rank_by_score_is_descending_and_breaks_ties_by_candidate_order() -> None:
    assert rank_by_score([0.5, 0.9, 0.5, 0.1, 0.9]) == [1, 4, 0, 2, 3]
    with pytest.raises(ValueError, match="one-dimensional"):
        rank_by_score([[0.1, 0.2]])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hong Kong", "hong kong"),
        ("World’s most “expensive” city", "world s most expensive city"),
        ("  U.S.-led   Coalition!! ", "u s led coalition"),
        ("The Week", "the week"),  # articles are kept
        ("?!", ""),
    ],
)
def test_normalize_answer(raw: str, expected: str) -> None:
    assert normalize_answer(raw) == expected


@pytest.mark.parametrize(
    ("sentence", "answers", "expected"),
    [
        ("The minimum age is now 17.", ["17"], True),
        ("In 2017 the age rose.", ["17"], False),  # not inside another token
        ("HONG-KONG tops the list", ["Hong Kong"], True),
        ("Hong Kong’s rents rose", ["Hong Kong"], True),
        ("Tokyo came second", ["Hong Kong", "Tokyo"], True),
        ("Tokyo came second", ["Paris"], False),
        ("anything at all", ["?!"], False),  # an answer that normalises to nothing never matches
        ("anything at all", [], False),
    ],
)
def test_answer_in(sentence: str, answers: list[str], expected: bool) -> None:
    assert answer_in(sentence, answers) is expected


def test_answer_rank() -> None:
    assert answer_rank(["Tokyo is second.", "Hong Kong is first.", "Hong Kong again."], ["hong kong"]) == 2
    assert answer_rank(["Tokyo is second."], ["hong kong"]) is None
    assert answer_rank([], ["x"]) is None


def test_percentile_interpolates_linearly() -> None:
    assert percentile([10, 20, 60], 50) == 20.0
    assert percentile([60, 10, 20], 95) == pytest.approx(56.0)  # index 1.9: 20 + 0.9 * 40
    assert percentile([10, 20, 60], 0) == 10.0
    assert percentile([7.5], 95) == 7.5


def test_percentile_and_mean_refuse_nothing_and_bad_q() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], 101)
    with pytest.raises(ValueError, match="no values"):
        mean([])
    assert mean([1, 2, 6]) == 3.0


# --- cross-check with ir_measures (trec_eval) on a small run -------------------------------------


def _run(rankings: dict[str, list[str]]) -> list[ir_measures.ScoredDoc]:
    # Scores fall with rank and never tie, so trec_eval keeps our order.
    return [ir_measures.ScoredDoc(q, d, float(len(ds) - i)) for q, ds in rankings.items() for i, d in enumerate(ds)]


def _qrels(relevant: dict[str, set[str]]) -> list[ir_measures.Qrel]:
    return [ir_measures.Qrel(q, d, 1) for q, docs in relevant.items() for d in sorted(docs)]


RANKINGS = {"q1": ["x", "b", "a", "y"], "q2": ["a", "y"], "q3": ["x", "y", "z"], "q4": ["y", "z", "x", "w", "c"]}
RELEVANT = {"q1": {"a", "b"}, "q2": {"a"}, "q3": {"q"}, "q4": {"c", "d"}}


def test_corpus_numbers_match_ir_measures() -> None:
    measures = [RR, RR @ 2, nDCG @ 10, nDCG @ 3, Success @ 1, Success @ 3]
    got = ir_measures.calc_aggregate(measures, _qrels(RELEVANT), _run(RANKINGS))
    ours = {
        RR: mean(reciprocal_rank(RANKINGS[q], RELEVANT[q]) for q in RANKINGS),
        RR @ 2: mean(reciprocal_rank(RANKINGS[q], RELEVANT[q], 2) for q in RANKINGS),
        nDCG @ 10: mean(ndcg_at_k(RANKINGS[q], RELEVANT[q], 10) for q in RANKINGS),
        nDCG @ 3: mean(ndcg_at_k(RANKINGS[q], RELEVANT[q], 3) for q in RANKINGS),
        Success @ 1: mean(recall_at_k(RANKINGS[q], RELEVANT[q], 1) for q in RANKINGS),
        Success @ 3: mean(recall_at_k(RANKINGS[q], RELEVANT[q], 3) for q in RANKINGS),
    }
    for measure, value in ours.items():
        assert value == pytest.approx(got[measure]), measure
    assert ours[RR] == pytest.approx((0.5 + 1 + 0 + 0.2) / 4)  # and by hand


def test_map_matches_ir_measures() -> None:
    label_lists = {"q1": [0, 1, 1, 0], "q2": [1, 0, 1], "q3": [0, 0, 0, 1]}
    run = {q: [f"d{i}" for i in range(len(labels))] for q, labels in label_lists.items()}
    relevant = {q: {f"d{i}" for i, label in enumerate(labels) if label} for q, labels in label_lists.items()}
    got = ir_measures.calc_aggregate([AP, RR], _qrels(relevant), _run(run))
    map_, mrr, n = sentence_selection(label_lists.values())
    assert n == 3
    assert map_ == pytest.approx(got[AP])
    assert mrr == pytest.approx(got[RR])


@settings(max_examples=40, deadline=None)
@given(
    ranking=st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=8, unique=True),
    relevant=st.sets(st.sampled_from("abcdefghij"), min_size=1, max_size=4),
    k=st.integers(min_value=1, max_value=10),
)
def test_random_rankings_match_ir_measures(ranking: list[str], relevant: set[str], k: int) -> None:
    got = ir_measures.calc_aggregate([RR, nDCG @ k, Success @ k], _qrels({"q": relevant}), _run({"q": ranking}))
    assert reciprocal_rank(ranking, relevant) == pytest.approx(got.get(RR, 0.0))
    assert ndcg_at_k(ranking, relevant, k) == pytest.approx(got.get(nDCG @ k, 0.0))
    assert recall_at_k(ranking, relevant, k) == pytest.approx(got.get(Success @ k, 0.0))
