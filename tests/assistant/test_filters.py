"""Filters checked at the edge: dates as users type them, sources as the index spells them."""

from __future__ import annotations

import pytest

from assistant.filters import FilterError, date_bound, day, filter_notes, match_sources
from assistant.records import Filters

KNOWN = ["Wikinews (en)", "BBC News", "BBC Sport", "Reuters"]


def test_sources_match_regardless_of_case_or_by_the_start_of_one_name() -> None:
    assert match_sources([" reuters", "wikinews"], KNOWN) == ("Reuters", "Wikinews (en)")
    assert match_sources(["BBC sport", "bbc SPORT"], KNOWN) == ("BBC Sport",)  # once
    with pytest.raises(FilterError, match=r"no source 'BBC': it holds 'BBC News', 'BBC Sport', 'Reuters'"):
        match_sources(["BBC"], KNOWN)  # the start of two names: which one?


def test_many_sources_are_listed_in_part() -> None:
    known = [f"Outlet {i:02d}" for i in range(30)]
    with pytest.raises(FilterError, match=r"and 18 more \(newsqa stats lists them\)"):
        match_sources(["Nowhere"], known)


def test_date_bounds() -> None:
    assert date_bound("2020") == "2020-01-01" and date_bound("2020", end=True) == "2020-12-31"
    assert date_bound("2024-02", end=True) == "2024-02-29" and date_bound("2024-2-9") == "2024-02-09"
    for bad in ("yesterday", "2020-13", "2020-02-30", "20-01-01", "", "2020-01-01T00:00"):
        with pytest.raises(FilterError, match=repr(bad)):
            date_bound(bad, "From date")
    assert day("2021-03-02") == "2021-03-02"
    with pytest.raises(FilterError, match="'2021-03' is not a day"):
        day("2021-03")


def test_every_interface_says_the_same_of_the_filters() -> None:
    assert filter_notes(Filters()) == []
    assert filter_notes(Filters(date_to="2020", sources=("Reuters",), prefer_recent=True)) == [
        "Searched only articles from Reuters; dated any time to 2020-12-31.",
        "Ranked the articles the newest first.",
    ]
