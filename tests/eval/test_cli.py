"""The ``eval`` subcommand: argument parsing, and runs with a fake scorer and a fake assistant."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path
from typing import Any

import pytest

from assistant.records import AskSettings
from eval.__main__ import build_parser
from eval.cli import COMPARE_MODES, DEFAULT_MODE, add_eval_parser, ask_settings, run_eval


def newsqa_parser() -> argparse.ArgumentParser:
    """A stand-in for the ``newsqa`` CLI with the eval subcommand wired in."""
    parser = argparse.ArgumentParser(prog="newsqa")
    add_eval_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def candidates(*labelled: tuple[str, int]) -> list[dict[str, Any]]:
    return [{"sentence": s, "label": label} for s, label in labelled]


SENTENCE_ROWS = [
    {"id": "t1", "question": "What age?", "candidates": candidates(("s1", 0), ("s2", 1))},
    {"id": "t2", "question": "Which city?", "candidates": candidates(("s3", 1))},
    {"id": "t3", "question": "Who?", "candidates": candidates(("s4", 1), ("s5", 0))},
]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_sentences_parses_without_an_index(tmp_path: Path) -> None:
    args = newsqa_parser().parse_args(["eval", "sentences", "dev.jsonl", "--limit", "2", "--out", str(tmp_path)])
    assert (args.command, args.eval_task, args.file, args.limit, args.out, args.model) == (
        "eval",
        "sentences",
        Path("dev.jsonl"),
        2,
        tmp_path,
        None,
    )
    assert args.func is run_eval


def test_sentences_run_with_a_fake_scorer(tmp_path: Path, kit: Any) -> None:
    path = write_jsonl(tmp_path / "dev.jsonl", SENTENCE_ROWS)
    out = tmp_path / "out"
    args = newsqa_parser().parse_args(
        ["eval", "sentences", str(path), "--limit", "2", "--out", str(out), "--model", "tiny"]
    )
    loaded: list[str | None] = []

    def load_scorer(model: str | None) -> Any:
        loaded.append(model)
        return kit.TableScorer({"s1": 0.9, "s2": 0.1})  # puts the negative s1 first

    stdout = io.StringIO()
    assert run_eval(args, load_scorer=load_scorer, stdout=stdout) == 0
    assert loaded == ["tiny"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] == 2  # --limit 2
    assert metrics["map"] == pytest.approx((0.5 + 1.0) / 2)
    assert metrics["mrr"] == pytest.approx((0.5 + 1.0) / 2)
    printed = stdout.getvalue()
    assert "| metric | tiny |" in printed
    assert "| map | 0.750 |" in printed
    assert (out / "report.md").exists() and (out / "per_question.jsonl").exists()


def test_without_out_nothing_is_written(tmp_path: Path, kit: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_jsonl(tmp_path / "dev.jsonl", SENTENCE_ROWS)
    monkeypatch.chdir(tmp_path)
    args = newsqa_parser().parse_args(["eval", "sentences", str(path)])
    stdout = io.StringIO()
    assert run_eval(args, load_scorer=lambda m: kit.TableScorer({}), stdout=stdout) == 0
    assert "| n | 3 |" in stdout.getvalue()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev.jsonl"]


@pytest.mark.parametrize("task", ["questions", "conversations", "unanswerable"])
def test_index_is_required_except_for_sentences(task: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        newsqa_parser().parse_args(["eval", task, "set.jsonl"])
    assert caught.value.code == 2
    assert "--index" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["eval", "sentences", "f.jsonl", "--compare"],  # no ablations without an index
        ["eval", "sentences", "f.jsonl", "--limit", "0"],
        ["eval", "questions", "f.jsonl", "--index", "ix", "--limit", "many"],
        ["eval", "paragraphs", "f.jsonl"],
        ["eval", "sentences"],
        ["eval", "questions", "f.jsonl", "--index", "ix", "--near-date", "soon"],
        ["eval", "sentences", "f.jsonl", "--near-date", "question"],  # no index, nothing to prefer
    ],
)
def test_bad_arguments_exit_with_usage(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        newsqa_parser().parse_args(argv)
    assert caught.value.code == 2


def test_malformed_file_exits_1_naming_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "dev.jsonl"
    path.write_text(json.dumps(SENTENCE_ROWS[0]) + "\n{oops\n", encoding="utf-8")
    args = newsqa_parser().parse_args(["eval", "sentences", str(path)])

    def never(model: str | None) -> Any:
        raise AssertionError("the scorer must not load before the file is read")

    assert run_eval(args, load_scorer=never) == 1
    assert f"{path}:2: not valid JSON" in capsys.readouterr().err


def test_missing_file_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str], kit: Any) -> None:
    args = newsqa_parser().parse_args(["eval", "questions", str(tmp_path / "nope.jsonl"), "--index", "ix"])
    assert run_eval(args, load_qa=lambda *a: kit.FakeQA({})) == 1
    assert "nope.jsonl" in capsys.readouterr().err


QUESTION_ROWS = [
    {"id": "q1", "question": "Which is the most expensive city?", "answers": ["Hong Kong"],
     "article_ids_containing_answer": ["a1"]},
    {"id": "q2", "question": "What is the minimum age for senior skaters?", "answers": ["17"],
     "article_ids_containing_answer": ["a3"]},
]  # fmt: skip


def test_compare_runs_every_ablation(tmp_path: Path, fake_qa: Any) -> None:
    path = write_jsonl(tmp_path / "q.jsonl", QUESTION_ROWS)
    args = newsqa_parser().parse_args(
        ["eval", "questions", str(path), "--index", str(tmp_path / "ix"), "--compare", "--out", str(tmp_path / "o")]
    )
    calls: list[tuple[Path, AskSettings, str | None]] = []

    def load_qa(index: Path, settings: AskSettings, model: str | None) -> Any:
        calls.append((index, settings, model))
        return fake_qa

    stdout = io.StringIO()
    assert run_eval(args, load_qa=load_qa, stdout=stdout) == 0
    assert [(c[1].retrieval, c[1].rerank, c[1].reader) for c in calls] == [
        ("bm25", False, False),
        ("dense", False, False),
        ("hybrid", False, False),
        ("hybrid", True, False),
        ("hybrid", False, True),
    ]
    assert all(index == tmp_path / "ix" and model is None for index, _, model in calls)
    metrics = json.loads((tmp_path / "o" / "metrics.json").read_text())
    for mode in ("bm25", "dense", "hybrid", "hybrid+rerank", "hybrid+reader"):
        assert metrics[f"{mode}/recall@1"] == pytest.approx(0.5)
    assert metrics["n"] == 2 and metrics["answer@3"] == 1.0
    assert "| metric | bm25 | dense | hybrid | hybrid+rerank | hybrid+reader |" in stdout.getvalue()


def test_conversations_use_fresh_conversations(tmp_path: Path, kit: Any) -> None:
    turn = {"question": kit.Q1, "answers": ["Hong Kong"], "article_ids": ["a1"]}
    path = write_jsonl(tmp_path / "c.jsonl", [{"id": "c1", "turns": [turn]}, {"id": "c2", "turns": [turn]}])
    qa = kit.FakeQA({kit.Q1: kit.Script(["a1"], [kit.quote("a1", "Hong Kong is the priciest city.")])})
    made: list[list[str]] = []

    def new_conversation() -> list[str]:
        made.append([])
        return made[-1]

    args = newsqa_parser().parse_args(["eval", "conversations", str(path), "--index", "ix", "--model", "m"])
    stdout = io.StringIO()
    assert run_eval(args, load_qa=lambda *a: qa, new_conversation=new_conversation, stdout=stdout) == 0
    assert made == [[kit.Q1], [kit.Q1]]
    assert "| answer@1_turn1 | 1.000 |" in stdout.getvalue()


def test_near_date_question_asks_each_question_near_its_own_date(tmp_path: Path, fake_qa: Any) -> None:
    path = write_jsonl(tmp_path / "q.jsonl", [{**QUESTION_ROWS[0], "date": "2022/06/10"}, QUESTION_ROWS[1]])
    args = newsqa_parser().parse_args(
        ["eval", "questions", str(path), "--index", "ix", "--near-date", "question", "--out", str(tmp_path / "o")]
    )
    assert run_eval(args, load_qa=lambda *a: fake_qa, stdout=io.StringIO()) == 0
    dates = [f.near_date if f else None for _, f in fake_qa.filters]
    assert dates == ["2022-06-10", "2022-06-10", None, None]
    assert "asked near the date: `question`" in (tmp_path / "o" / "report.md").read_text()


def test_default_mode_is_the_default_settings() -> None:
    assert ask_settings(DEFAULT_MODE) == AskSettings()
    assert list(COMPARE_MODES) == ["bm25", "dense", "hybrid", "hybrid+rerank", "hybrid+reader"]
    assert ask_settings("dense") == AskSettings(retrieval="dense", rerank=False)
    assert ask_settings("hybrid+reader") == AskSettings(reader=True)


def test_python_dash_m_parser_takes_the_task_first() -> None:
    args = build_parser().parse_args(["eval", "unanswerable", "u.jsonl", "--index", "ix"])
    assert (args.eval_task, args.index, args.compare, args.out) == ("unanswerable", Path("ix"), False, None)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["eval", "unanswerable", "u.jsonl"])
