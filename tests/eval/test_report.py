"""Report writing: flat numeric metrics.json, per-question records, the Markdown table and valid PNGs."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest
from matplotlib.image import imread

from eval.report import flatten_metrics, format_table, write_report
from eval.run import Result

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path) -> None:
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    pixels = imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert pixels.std() > 0  # something was drawn


def assert_flat_numbers(metrics: object) -> None:
    assert isinstance(metrics, dict)
    for key, value in metrics.items():
        assert isinstance(key, str)
        assert type(value) in (int, float), (key, value)
        assert math.isfinite(value)


def test_single_run_report(tmp_path: Path, question_result: Result) -> None:
    runs = {"hybrid+rerank": question_result}
    files = write_report(tmp_path / "out", runs, "hybrid+rerank", title="Input: `q.jsonl`")
    metrics = json.loads(files.metrics.read_text())
    assert_flat_numbers(metrics)
    assert metrics == pytest.approx(question_result.metrics)
    assert metrics.keys() == question_result.metrics.keys()  # no prefixes for a single run
    for key in ("n", "recall@1", "recall@5", "recall@10", "mrr", "ndcg@10", "answer@1", "answer@3"):
        assert key in metrics
    for key in ("citation_validity", "abstain_rate", "latency_p50_ms", "latency_p95_ms"):
        assert key in metrics

    lines = [json.loads(line) for line in files.per_question.read_text().splitlines()]
    assert [(row["mode"], row["id"]) for row in lines] == [("hybrid+rerank", q) for q in ("q1", "q2", "q3")]
    q1 = lines[0]
    assert q1["retrieved_article_ids"] == ["a2", "a1", "a3"]
    assert [s["article_id"] for s in q1["sentences"]] == ["a2", "a1"]
    assert q1["sentences"][1]["has_answer"] is True and q1["correct"] is True
    assert lines[1]["sentences"][0]["citation_valid"] is False

    assert files.plots == (tmp_path / "out" / "recall_at_k.png", tmp_path / "out" / "latency.png")
    for plot in files.plots:
        assert_png(plot)
    report = files.report.read_text()
    assert report.startswith("# Evaluation: questions")
    assert "Input: `q.jsonl`" in report
    assert "| recall@10 | 0.667 |" in report
    assert "| latency_p95_ms | 56.0 |" in report
    assert "![recall_at_k](recall_at_k.png)" in report
    assert "`q3` Who won the election? — gold: Smith; top: (abstained)" in report  # a miss is listed
    assert "`q1`" not in report  # hits are not


def test_compare_report_prefixes_each_mode(tmp_path: Path, question_result: Result) -> None:
    worse = dataclasses.replace(question_result, metrics={**question_result.metrics, "recall@1": 0.0})
    runs = {"bm25": worse, "hybrid+rerank": question_result}
    files = write_report(tmp_path, runs, "hybrid+rerank")
    metrics = json.loads(files.metrics.read_text())
    assert_flat_numbers(metrics)
    assert metrics["recall@1"] == pytest.approx(1 / 3)  # the primary run, unprefixed
    assert metrics["bm25/recall@1"] == 0.0
    assert metrics["hybrid+rerank/recall@1"] == pytest.approx(1 / 3)
    assert len(metrics) == 3 * len(question_result.metrics)
    modes = [json.loads(line)["mode"] for line in files.per_question.read_text().splitlines()]
    assert modes == ["bm25"] * 3 + ["hybrid+rerank"] * 3
    assert "| metric | bm25 | hybrid+rerank |" in files.report.read_text()
    assert "| recall@1 | 0.000 | 0.333 |" in files.report.read_text()
    assert_png(files.plots[0])


def test_sentence_report_has_no_recall_plot(tmp_path: Path, sentence_result: Result) -> None:
    files = write_report(tmp_path, {"default": sentence_result}, "default")
    assert [p.name for p in files.plots] == ["latency.png"]
    assert not (tmp_path / "recall_at_k.png").exists()
    metrics = json.loads(files.metrics.read_text())
    assert_flat_numbers(metrics)
    assert {"n", "map", "mrr"} <= metrics.keys()
    report = files.report.read_text()
    assert "MAP and MRR over questions with at least one positive" in report
    assert "- `i1` What age?; top: “s1”" in report  # a scored miss is listed
    assert "`i3`" not in report  # an all-negative item is not scored, so not a miss


def test_flatten_metrics_refuses_non_numbers(question_result: Result) -> None:
    bad = dataclasses.replace(question_result, metrics={"n": 3.0, "mrr": float("nan")})
    with pytest.raises(ValueError, match="'mrr'"):
        flatten_metrics({"x": bad}, "x")
    with pytest.raises(ValueError, match="primary run 'y'"):
        flatten_metrics({"x": question_result}, "y")
    with pytest.raises(ValueError, match="must not contain '/'"):
        flatten_metrics({"a/b": question_result}, "a/b")


def test_format_table_rows_follow_the_primary_run(question_result: Result, sentence_result: Result) -> None:
    table = format_table({"only": sentence_result}, "only").splitlines()
    assert table[0] == "| metric | only |"
    assert table[2] == "| n | 2 |"
    assert [row.split(" | ")[0].lstrip("| ") for row in table[2:]] == list(sentence_result.metrics)
