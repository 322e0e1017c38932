"""The ``newsqa`` argument parser (filter flags become the ``Filters`` asked with) and its plain-text output."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.records import Filters, Hit
from newsqa.cli import _checked_filters, _filters, build_parser
from newsqa.text import format_answer, format_hits


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
    assert "argument --near: 'last week' is not a day: give it as YYYY-MM-DD" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--from", "--to"])
@pytest.mark.parametrize("value", ["yesterday", "2019-02-30", "2020-31-01"])
def test_a_date_that_is_not_one_is_a_usage_error_naming_it(
    flag: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from newsqa.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["ask", "Who won?", "--index", "no-such-index", flag, value])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}: {value!r} is not a date" in err and "YYYY-MM-DD" in err


def test_a_month_or_a_year_is_a_date_range_bound() -> None:
    args = build_parser().parse_args(["ask", "Who won?", "--index", "ix", "--from", "2020", "--to", "2020-02"])
    assert (args.date_from, args.date_to) == ("2020-01-01", "2020-02-29")


def test_a_source_the_index_lacks_fails_before_any_model_loads(
    tmp_path, small_corpus_file, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    import newsqa.cli as cli
    from tests.assistant.conftest import build_index

    build_index(small_corpus_file, tmp_path / "ix")
    monkeypatch.setattr(cli, "_load_assistant", lambda args: pytest.fail("the model was loaded"))
    assert cli.main(["ask", "Why?", "--index", str(tmp_path / "ix"), "--source", "Wikinews"]) == 2
    err = capsys.readouterr().err
    assert "no source 'Wikinews': it holds 'Riverton Post', 'Sports Daily'" in err
    args = build_parser().parse_args(["ask", "Why?", "--index", str(tmp_path / "ix"), "--source", "riverton POST"])
    assert _checked_filters(args).sources == ("Riverton Post",)


def test_help_is_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    out = capsys.readouterr().out
    assert "The newsqa command" in out and "``" not in out and "`" not in out


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
        "“Both bell towers were saved.” [1]",
    ]


def test_answer_text_names_the_answer_phrase_under_its_quote() -> None:
    from assistant.records import Answer, AnswerPhrase, AnswerSentence, Citation

    sentence = "A total of 39 are confirmed dead."
    c = Citation("m1", "Collapse", "Wikinews", "2019-01-02", None, sentence, 100, 100 + len(sentence))
    quoted = AnswerSentence(sentence, c, 0.5, phrase=AnswerPhrase("39", 111, 113, "number"))
    lines = format_answer(Answer("How many died?", "q", (quoted,), 0.5, True)).splitlines()
    assert lines[:2] == [f"“{sentence}” [1]", "    answer: 39"]


def test_answer_text_groups_sentences_by_source_and_states_its_notes() -> None:
    from assistant.records import Answer, AnswerSentence, Citation, Correction, Filters

    def quoted(article: str, text: str, start: int) -> AnswerSentence:
        c = Citation(article, f"Title {article}", "Wire", "2020-02-12", f"https://x.example/{article}", text, start,
                     start + len(text))
        return AnswerSentence(text, c, 0.5)

    answer = Answer(
        "Who won the New Hampsire primary?", "q",
        (quoted("a", "Sanders won.", 0), quoted("b", "Turnout was high.", 40),
         quoted("a", "Buttigieg came second.", 13)),
        0.5, True, follow_up_to="Where was the vote?", corrections=(Correction("Hampsire", "Hampshire"),),
        filters=Filters(sources=("Wire",), date_from="2020"),
    )
    lines = format_answer(answer).splitlines()
    assert lines[:3] == ["“Sanders won.” [1]", "“Turnout was high.” [2]", "“Buttigieg came second.” [1]"]
    assert lines[3:6] == [
        "Searched for 'Hampshire' (no article holds 'Hampsire').",
        "Read as a follow-up to “Where was the vote?”.",
        "Searched only articles from Wire; dated 2020-01-01 to now.",
    ]
    # one entry per article, with every quoted sentence's offsets
    assert lines[7:9] == [
        "[1] Title a — Wire, 2020-02-12",
        "    https://x.example/a  (article a, characters 0–12, 13–35)",
    ]
    assert sum(line.startswith("[") for line in lines) == 2


def test_the_terminal_chat_takes_commands(tmp_path, small_corpus_file) -> None:  # type: ignore[no-untyped-def]
    from assistant.api import Assistant
    from assistant.chat import Conversation
    from newsqa.cli import CHAT_HELP, chat_reply
    from tests.assistant.conftest import OverlapScorer, build_index

    embedder = build_index(small_corpus_file, tmp_path / "ix")
    qa = Assistant.load(tmp_path / "ix", embedder=embedder, scorer=OverlapScorer())
    chat, filters = Conversation(), Filters()
    assert chat_reply("/help", qa, chat, filters) == CHAT_HELP
    assert chat_reply("/alone", qa, chat, filters) == "Nothing to ask again yet: ask a question first."
    assert "Unknown command /frobnicate" in chat_reply("/frobnicate", qa, chat, filters)  # type: ignore[operator]
    assert not chat.turns  # no command was asked as a question
    chat_reply("Why was the Old Mill bridge in Riverton closed?", qa, chat, filters)
    followed = chat_reply("Who said it would reopen?", qa, chat, filters)
    assert "Read as a follow-up to “Why was the Old Mill bridge in Riverton closed?”." in followed  # type: ignore[operator]
    alone = chat_reply("/alone", qa, chat, filters)
    assert "Read as a follow-up" not in alone  # type: ignore[operator]
    assert [t.question for t in chat.turns] == ["Why was the Old Mill bridge in Riverton closed?",
                                                "Who said it would reopen?"]
    assert chat.turns[-1].query == "Who said it would reopen?"
    assert chat_reply("/new", qa, chat, filters) == "(new conversation)" and not chat.turns
    assert chat_reply("/quit", qa, chat, filters) is None
