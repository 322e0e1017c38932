"""``newsqa ask --questions FILE``: every readable line asked, every unreadable one reported by file and line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.batch import LineProblem, QuestionLine, count_lines, read_questions
from assistant.records import Answer, Filters
from newsqa import cli


def test_plain_text_is_a_question_a_line(tmp_path: Path) -> None:
    path = tmp_path / "q.txt"
    path.write_bytes(
        "\ufeffWho designed the library?\n\n# notes on the set\n  How much did it cost?  \n".encode()
        + b"Caf\xe9 fire?\nWhere is Riverton?"
    )
    assert list(read_questions(path)) == [
        QuestionLine(f"{path}:1", "Who designed the library?"),  # the byte-order mark is no part of it
        QuestionLine(f"{path}:4", "How much did it cost?"),
        LineProblem(f"{path}:5", "not UTF-8 text (byte 4)"),
        QuestionLine(f"{path}:6", "Where is Riverton?"),  # the last line needs no newline
    ]


def test_json_lines_give_the_question_and_its_id_back_as_given(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    rows = [
        '{"id": 7, "question": "Who designed the library?", "answers": ["Priya Nair"], "date": "2020/11/20"}',
        '{"question": " How much did it cost? "}',
        "{oops",
        '["Who designed the library?"]',
        '{"id": "x", "question": ""}',
        '{"id": {"n": 1}, "question": "Where?"}',
        '{"id": true, "question": "Where?"}',
        '{"id": "last", "question": "Where is Riverton?"}',
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    got = list(read_questions(path))
    assert got[:2] == [
        QuestionLine(f"{path}:1", "Who designed the library?", 7, "2020-11-20"),
        QuestionLine(f"{path}:2", "How much did it cost?"),
    ]
    assert [(p.place, p.reason.split(" (")[0]) for p in got[2:7] if isinstance(p, LineProblem)] == [
        (f"{path}:3", "not valid JSON"),
        (f"{path}:4", 'expected a JSON object with a "question" field'),
        (f"{path}:5", 'field "question": expected a non-empty string'),
        (f"{path}:6", 'field "id": expected a string or a number'),
        (f"{path}:7", 'field "id": expected a string or a number'),
    ]
    assert got[7] == QuestionLine(f"{path}:8", "Where is Riverton?", "last")


def test_a_line_may_give_the_day_its_question_is_about(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"question": "Who won?", "date": "2022/06/10"}\n{"question": "Who won?", "date": "2022-06-17"}\n'
        '{"question": "Who won?", "date": "last week"}\n{"question": "Who won?", "date": 20220610}\n',
        encoding="utf-8",
    )
    got = list(read_questions(path))
    assert [q.date for q in got[:2]] == ["2022-06-10", "2022-06-17"]  # type: ignore[union-attr]
    assert got[2:] == [LineProblem(f"{path}:{n}", 'field "date": expected a date as YYYY-MM-DD or YYYY/MM/DD')
                       for n in (3, 4)]


def test_near_question_asks_each_line_near_its_own_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asked: list[tuple[str, object]] = []

    class Recording:
        def ask(self, question: str, filters: object = None) -> object:
            asked.append((question, filters))
            return Answer(question, question, (), 0.0, False)

    monkeypatch.setattr(cli, "_load_assistant", lambda args: Recording())
    monkeypatch.setattr(cli, "_checked_filters", cli._filters)  # no index here to check the source against
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "A?", "date": "2022/06/10"}\n{"question": "B?"}\n', encoding="utf-8")
    argv = ["ask", "--questions", str(path), "--index", "ix", "--source", "Wire"]
    assert cli.main([*argv, "--near", "question"]) == 0
    assert asked == [("A?", Filters(sources=("Wire",), near_date="2022-06-10")), ("B?", Filters(sources=("Wire",)))]
    asked.clear()
    assert cli.main([*argv, "--near", "2022-01-05"]) == 0  # one day for every line
    assert [f for _, f in asked] == [Filters(sources=("Wire",), near_date="2022-01-05")] * 2
    # a single question has no line to take a date from
    assert cli.main(["ask", "Who?", "--index", "ix", "--near", "question"]) == 2
    assert "--near question needs --questions FILE" in capsys.readouterr().err


def test_a_progress_bar_counts_the_lines_when_the_answers_go_to_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Declining:
        def ask(self, question: str, filters: object = None) -> object:
            return Answer(question, question, (), 0.0, False)

    monkeypatch.setattr(cli, "_load_assistant", lambda args: Declining())
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "A?"}\n{oops\n\n{"question": "B?"}\n', encoding="utf-8")
    argv = ["ask", "--questions", str(path), "--index", "ix", "--json"]
    assert count_lines(path) == 3 and count_lines("-") is None
    assert cli.main(argv) == cli.EXIT_SKIPPED  # captured stdout is no terminal
    err = capsys.readouterr().err
    assert "asking" in err and "3/3" in err and f"{path}:2: skipped" in err
    assert cli.main([*argv, "--quiet"]) == cli.EXIT_SKIPPED
    err = capsys.readouterr().err
    assert "asking" not in err and f"{path}:2: skipped" in err


def test_a_dash_reads_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"Who won?\n\xff\nWhere?\n")))
    assert list(read_questions("-")) == [
        QuestionLine("<stdin>:1", "Who won?"), LineProblem("<stdin>:2", "not UTF-8 text (byte 1)"),
        QuestionLine("<stdin>:3", "Where?"),
    ]


def test_a_hash_opens_a_question_in_json_lines_but_a_comment_in_text(tmp_path: Path) -> None:
    (tmp_path / "q.ndjson").write_text('{"question": "#1 seed?"}\n', encoding="utf-8")
    assert [q.question for q in read_questions(tmp_path / "q.ndjson")] == ["#1 seed?"]  # type: ignore[union-attr]
    (tmp_path / "q.txt").write_text("#1 seed?\n", encoding="utf-8")
    assert list(read_questions(tmp_path / "q.txt")) == []


def test_ask_questions_answers_each_line_and_reports_the_rest(
    tmp_path: Path, small_assistant: Assistant, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "_load_assistant", lambda args: small_assistant)
    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"id": "a", "question": "Who designed the new library?"}\n{oops\n'
        '{"id": "b", "question": "What is the Zorvath tunnel?"}\n',
        encoding="utf-8",
    )
    status = cli.main(["ask", "--questions", str(path), "--index", str(tmp_path / "ix"), "--json"])
    out, err = capsys.readouterr()
    assert status == cli.EXIT_SKIPPED
    records = [json.loads(line) for line in out.splitlines()]  # JSON Lines: one object a line
    assert [(r["place"], r["id"]) for r in records] == [(f"{path}:1", "a"), (f"{path}:3", "b")]
    first, second = records
    assert first["is_answer"] and "Priya Nair" in first["sentences"][0]["text"]
    for s in first["sentences"]:
        c = s["citation"]
        assert small_assistant.article_text(c["article_id"])[c["start"] : c["end"]] == s["text"]
    assert not second["is_answer"] and second["unknown_terms"] == ["Zorvath"]
    assert f"{path}:2: skipped: not valid JSON" in err
    assert "2 question(s) asked, 1 line(s) skipped" in err

    path = tmp_path / "q.txt"
    path.write_text("Who designed the new library?\n", encoding="utf-8")
    assert cli.main(["ask", "--questions", str(path), "--index", str(tmp_path / "ix")]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"[{path}:1] Who designed the new library?\n“") and "confidence:" in text


def test_a_missing_file_is_an_error_naming_it_and_no_model_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_model(args: object) -> None:
        raise AssertionError("the model loaded before the questions were read")

    monkeypatch.setattr(cli, "_load_assistant", no_model)
    assert cli.main(["ask", "--questions", str(tmp_path / "none.txt"), "--index", "ix"]) == 1
    assert str(tmp_path / "none.txt") in capsys.readouterr().err
    (tmp_path / "empty.txt").write_text("\n# nothing yet\n", encoding="utf-8")
    assert cli.main(["ask", "--questions", str(tmp_path / "empty.txt"), "--index", "ix"]) == 0
    assert "0 question(s) asked" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["ask", "--index", "ix"], ["ask", "Who?", "--questions", "q.txt", "--index", "ix"]])
def test_a_question_or_a_file_of_them_exactly(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.build_parser().parse_args(argv)
    assert caught.value.code == 2
    assert "question" in capsys.readouterr().err
