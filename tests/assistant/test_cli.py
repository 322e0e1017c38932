"""The ``newsqa`` argument parser (filter flags become the ``Filters`` asked with) and its plain-text output."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.cli import _filters, build_parser, format_hits
from assistant.records import Filters, Hit


@pytest.mark.parametrize("command", ["ask", "search", "chat"])
def test_filter_flags_become_filters(command: str) -> None:
    argv = [command, "--index", "ix", "--from", "2022-01-01", "--source", "A", "--source", "B", "--near", "2022-06-10"]
    if command != "chat":
        argv.insert(1, "Who won?")
    args = build_parser().parse_args(argv)
    assert _filters(args) == Filters("2022-01-01", None, ("A", "B"), False, "2022-06-10")


def test_no_flags_filter_nothing() -> None:
    assert _filters(build_parser().parse_args(["ask", "Who won?", "--index", "ix"])) == Filters()


def test_a_malformed_near_date_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(["ask", "Who won?", "--index", "ix", "--near", "last week"])
    assert caught.value.code == 2
    assert "expected a date as YYYY-MM-DD, not 'last week'" in capsys.readouterr().err


def test_search_takes_a_count_of_passages(capsys: pytest.CaptureFixture[str]) -> None:
    assert build_parser().parse_args(["search", "harbour fire", "--index", "ix"]).k == 10
    assert build_parser().parse_args(["search", "harbour fire", "--index", "ix", "-k", "3"]).k == 3
    for bad in ("0", "many"):
        with pytest.raises(SystemExit) as caught:
            build_parser().parse_args(["search", "harbour fire", "--index", "ix", "-k", bad])
        assert caught.value.code == 2
    assert "must be at least 1, not 0" in capsys.readouterr().err


def test_search_results_name_their_article_and_place() -> None:
    hit = Hit("a1", 7, "Harbour fire", "Coast Wire", "2021-06-01", "https://x.example/1", "word " * 100, 120, 620, 0.9)
    text = format_hits([hit, replace(hit, title=None, url=None, text="A short passage.")])
    assert text.splitlines()[:2] == [
        "[1] Harbour fire — Coast Wire, 2021-06-01",
        "    https://x.example/1  (article a1, characters 120–620)",
    ]
    assert text.splitlines()[2].endswith("word …") and len(text.splitlines()[2]) < 310
    assert text.splitlines()[3:] == [
        "[2] (untitled) — Coast Wire, 2021-06-01",
        "    (no link)  (article a1, characters 120–620)",
        "    A short passage.",
    ]
    assert format_hits([]) == "No passage matches that."


def test_answer_text_gives_each_quote_its_resolved_dates() -> None:
    from assistant.cli import format_answer
    from assistant.dates import date_mentions
    from assistant.records import Answer, AnswerSentence, Citation

    sentence = "The roof of Notre Dame caught fire yesterday."
    c = Citation("n1", "Notre Dame fire", "Wikinews", "2019-04-16", None, sentence, 0, len(sentence))
    dated = AnswerSentence(sentence, c, 0.5, (), date_mentions(sentence, c.date))
    plain = AnswerSentence("Both bell towers were saved.", replace(c, sentence="Both bell towers were saved."), 0.4)
    lines = format_answer(Answer("When?", "When?", (dated, plain), 0.5, True)).splitlines()
    assert lines[:3] == [
        f"“{sentence}” [1]",
        "    ‘yesterday’ = Monday 15 April 2019, by the article's date",
        "“Both bell towers were saved.” [2]",
    ]
