import pytest

from assistant.records import Filters
from assistant.retrieve import FusionWeights, fuse


def test_fuse_matches_hand_computed_rrf() -> None:
    scores = fuse([(1.0, [1, 2, 3]), (2.0, [3, 1])], k=10)
    assert scores[1] == pytest.approx(1 / 11 + 2 / 12)
    assert scores[2] == pytest.approx(1 / 12)
    assert scores[3] == pytest.approx(1 / 13 + 2 / 11)
    assert max(scores, key=scores.get) == 3


def test_bad_weights_are_refused() -> None:
    with pytest.raises(ValueError):
        FusionWeights(bm25=0, dense=0)


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
    assert small_assistant.search("bridge", k=10, filters=Filters(sources=("No Such Paper",))) == []
    assert small_assistant.search("bridge", k=10, filters=Filters(date_from="2030-01-01")) == []
    answer = small_assistant.ask("Why was the bridge closed?", filters=Filters(sources=("No Such Paper",)))
    assert not answer.is_answer and answer.searched == ()


def test_prefer_recent_ranks_newer_articles_higher(small_assistant) -> None:  # type: ignore[no-untyped-def]
    plain = small_assistant.search("Riverton", k=10)
    recent = small_assistant.search("Riverton", k=10, filters=Filters(prefer_recent=True))
    assert {h.article_id for h in plain} == {h.article_id for h in recent}
    assert recent[0].date == max(h.date for h in recent)
