import re

import pytest

from assistant.filters import FilterError
from assistant.records import Filters
from assistant.retrieve import FusionWeights, date_factor, day_number, fuse


def test_fuse_matches_hand_computed_rrf() -> None:
    scores = fuse([(1.0, [1, 2, 3]), (2.0, [3, 1])], k=10)
    assert scores[1] == pytest.approx(1 / 11 + 2 / 12)
    assert scores[2] == pytest.approx(1 / 12)
    assert scores[3] == pytest.approx(1 / 13 + 2 / 11)
    assert max(scores, key=scores.get) == 3


def test_bad_weights_are_refused() -> None:
    with pytest.raises(ValueError):
        FusionWeights(bm25=0, dense=0)
    with pytest.raises(ValueError, match="near_floor"):
        FusionWeights(near_floor=1.5)
    with pytest.raises(ValueError, match="half-lives"):
        FusionWeights(near_half_life_days=0)


def test_day_number_reads_iso_and_slashed_dates() -> None:
    assert day_number("2022-06-10") == day_number("2022/06/10") == day_number("2022-06-10T08:00:00Z")
    assert day_number("2022-06-11") == day_number("2022-06-10") + 1  # type: ignore[operator]
    assert day_number("June 2022") is None and day_number(None) is None


def test_date_factor_favours_the_days_just_before_the_reference() -> None:
    day = 1000
    days = {1: day, 2: day - 14, 3: day + 14, 4: None, 5: day - 140}
    out = {i: date_factor(d, day, half_life=14, floor=0.4, after=3) for i, d in days.items()}
    assert out[1] == pytest.approx(1.0)
    assert out[2] == pytest.approx(0.4 + 0.6 * 0.5)  # one half-life before
    assert out[3] == pytest.approx(0.4 + 0.6 * 0.125)  # after the day, ages three times as fast
    assert out[4] == pytest.approx(0.4)  # undated: the floor
    assert 0.4 < out[5] < out[3]
    assert {date_factor(d, day, 14, 1.0, 3) for d in days.values()} == {1.0}  # floor 1: no preference


def test_date_factor_is_one_on_the_day_and_the_floor_for_undated() -> None:
    assert date_factor(1000, 1000, 14, 0.4, 3) == pytest.approx(1.0)
    assert date_factor(None, 1000, 14, 0.4, 3) == pytest.approx(0.4)
    assert date_factor(1000 - 28, 1000, 14, 0.4, 3) == pytest.approx(0.4 + 0.6 * 0.25)


def test_date_factors_follow_the_filters(small_assistant) -> None:  # type: ignore[no-untyped-def]
    r = small_assistant.retriever
    dates = ["2021-03-02", "2021-05-10", None]
    assert r.date_factors(dates, None) is None and r.date_factors(dates, Filters(sources=("A",))) is None
    near = r.date_factors(dates, Filters(near_date="2021-03-02"))
    assert near[0] == pytest.approx(1.0) and near[1] < near[0] and near[2] == pytest.approx(r.weights.near_floor)
    recent = r.date_factors(dates, Filters(prefer_recent=True))  # the index's newest article is 2021-05-10
    assert recent[1] == pytest.approx(1.0) and 0.5 < recent[0] < 1.0 and recent[2] == pytest.approx(0.5)
    both = r.date_factors(dates, Filters(prefer_recent=True, near_date="2021-03-02"))
    assert both == pytest.approx(near * recent)


def test_a_malformed_near_date_is_refused() -> None:
    with pytest.raises(ValueError, match="near_date"):
        Filters(near_date="10 June 2022")


def test_search_finds_the_right_article(small_assistant) -> None:  # type: ignore[no-untyped-def]
    hits = small_assistant.search("basketball championship final", k=3)
    assert hits[0].article_id == "a2"
    assert all(small_assistant.article_text(h.article_id)[h.start : h.end] == h.text for h in hits)


def test_source_filter_really_filters(small_assistant) -> None:  # type: ignore[no-untyped-def]
    hits = small_assistant.search("Riverton", k=10, filters=Filters(sources=("Sports Daily",)))
    assert hits and {h.source for h in hits} == {"Sports Daily"}


def test_date_filter_really_filters(small_assistant) -> None:  # type: ignore[no-untyped-def]
    hits = small_assistant.search("Riverton library bridge team", k=10, filters=Filters(date_from="2021-01-01"))
    assert hits and all(h.date >= "2021-01-01" for h in hits)
    hits = small_assistant.search("Riverton library bridge team", k=10, filters=Filters(date_to="2020-12-31"))
    assert hits and {h.article_id for h in hits} == {"a3"}


def test_a_filter_matching_nothing_returns_nothing(small_assistant) -> None:  # type: ignore[no-untyped-def]
    assert small_assistant.search("bridge", k=10, filters=Filters(date_from="2030-01-01")) == []
    answer = small_assistant.ask("Why was the bridge closed?", filters=Filters(date_to="1999"))
    assert not answer.is_answer and answer.searched == ()
    assert answer.filters.date_to == "1999-12-31"


def test_an_unknown_source_is_refused_naming_the_known_ones(small_assistant) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FilterError, match=r"no source 'No Such Paper': it holds 'Riverton Post', 'Sports Daily'"):
        small_assistant.search("bridge", k=10, filters=Filters(sources=("No Such Paper",)))
    with pytest.raises(FilterError, match="No Such Paper"):
        small_assistant.ask("Why was the bridge closed?", filters=Filters(sources=("No Such Paper",)))


def test_sources_match_regardless_of_case(small_assistant) -> None:  # type: ignore[no-untyped-def]
    answer = small_assistant.ask("Why was the bridge closed?", filters=Filters(sources=(" riverton post",)))
    assert answer.filters.sources == ("Riverton Post",)
    assert {h.source for h in answer.searched} == {"Riverton Post"}


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"date_from": "yesterday"}, "'yesterday'"),
        ({"date_from": "2019-02-30"}, "'2019-02-30'"),
        ({"date_to": "2020-31-01"}, "'2020-31-01'"),
        ({"date_from": "2021-05-01", "date_to": "2021-01"}, "2021-05-01 is after To date 2021-01-31"),
        ({"near_date": "2021"}, "'2021'"),
    ],
)
def test_a_date_that_is_not_one_is_refused_naming_it(fields: dict[str, str], named: str) -> None:
    with pytest.raises(FilterError, match=re.escape(named)):
        Filters(**fields)  # type: ignore[arg-type]


def test_a_month_or_a_year_bounds_the_dates_it_spans() -> None:
    assert Filters(date_from="2020", date_to="2020-02") == Filters(date_from="2020-01-01", date_to="2020-02-29")
    assert Filters(date_from=" 2021-3-5 ").date_from == "2021-03-05"


def test_prefer_recent_ranks_newer_articles_higher(small_assistant) -> None:  # type: ignore[no-untyped-def]
    plain = small_assistant.search("Riverton", k=10)
    recent = small_assistant.search("Riverton", k=10, filters=Filters(prefer_recent=True))
    assert {h.article_id for h in plain} == {h.article_id for h in recent}
    assert recent[0].date == max(h.date for h in recent)


def test_near_date_ranks_articles_from_just_before_it_first(small_assistant) -> None:  # type: ignore[no-untyped-def]
    query = "Riverton library bridge team"
    plain = small_assistant.search(query, k=10)
    for near, first in (("2020-11-25", "a3"), ("2021-03-05", "a1"), ("2021-05-12", "a2")):
        hits = small_assistant.search(query, k=10, filters=Filters(near_date=near))
        assert {h.article_id for h in hits} == {h.article_id for h in plain}  # it reorders, never filters
        assert hits[0].article_id == first, near


def test_hybrid_search_adds_the_rank_of_each_passages_article(small_assistant) -> None:  # type: ignore[no-untyped-def]
    from assistant.retrieve import Retriever

    r = small_assistant.retriever
    query = "Riverton library bridge team"
    without = Retriever(r.store, r.vectors, r.lexical, r.embedder, weights=FusionWeights(articles=0))
    plain = {h.chunk_id: h.score for h in without.search(query, k=50)}
    with_articles = {h.chunk_id: h.score for h in r.search(query, k=50)}
    assert set(with_articles) == set(plain)  # it reorders, adds nothing
    ids = list(plain)
    ranks = r.lexical.article_ranks(query, ids, r.weights.depth)
    assert ranks.min() >= 1  # every article of this small corpus names some of the words
    for c, rank in zip(ids, ranks.tolist(), strict=True):
        assert with_articles[c] == pytest.approx(plain[c] + r.weights.articles / (r.weights.k + rank))
    bm25 = Retriever(r.store, r.vectors, r.lexical, r.embedder, mode="bm25")  # the baseline stays BM25 alone
    assert {h.chunk_id: h.score for h in bm25.search(query, k=50)} == {
        c: pytest.approx(1 / (r.weights.k + i)) for i, (c, _) in enumerate(r.lexical.search(query, 100), start=1)
    }


def test_a_negative_article_weight_is_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        FusionWeights(articles=-1)
