"""The ``newsqa`` argument parser: filter flags become the ``Filters`` the assistant is asked with."""

from __future__ import annotations

import pytest

from assistant.cli import _filters, build_parser
from assistant.records import Filters


@pytest.mark.parametrize("command", ["ask", "chat"])
def test_filter_flags_become_filters(command: str) -> None:
    argv = [command, "--index", "ix", "--from", "2022-01-01", "--source", "A", "--source", "B", "--near", "2022-06-10"]
    if command == "ask":
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
