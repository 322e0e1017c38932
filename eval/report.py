"""Write an evaluation's results to a directory: metrics, per-question records, a Markdown report, plots.

Files written by :func:`write_report` into the output directory:

- ``metrics.json``: flat ``{key: number}``. With several runs (``--compare``), the primary run's keys
  unprefixed plus ``<mode>/<key>`` for every run.
- ``per_question.jsonl``: one record per question (per turn for conversations) and run, with its
  ``mode``: what was retrieved, the quoted sentences with their citations, and whether it hit.
- ``report.md``: the metrics as a Markdown table (one column per run), the plots, and the first misses.
- ``recall_at_k.png`` (tasks with article retrieval; one line per run) and ``latency.png``.

Plots use matplotlib's Agg canvas directly, so no display and no pyplot global state is involved.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from eval.run import QuestionRecord, Result, SentenceRecord

__all__ = [
    "ReportFiles",
    "flatten_metrics",
    "format_metric",
    "format_table",
    "plot_latency",
    "plot_recall",
    "write_report",
]

logger = logging.getLogger(__name__)

_RECALL_KEY = re.compile(r"^recall@(\d+)$")
_MISSES_SHOWN = 10


@dataclass(frozen=True)
class ReportFiles:
    """The paths :func:`write_report` wrote; ``plots`` lists only the plots that applied."""

    metrics: Path
    per_question: Path
    report: Path
    plots: tuple[Path, ...]


def _check(results: Mapping[str, Result], primary: str) -> None:
    if not results:
        raise ValueError("results must hold at least one run.")
    if primary not in results:
        raise ValueError(f"primary run {primary!r} is not among the runs {sorted(results)}.")
    if "/" in "".join(results):
        raise ValueError("run names must not contain '/': it separates the run from the key in metrics.json.")


def flatten_metrics(results: Mapping[str, Result], primary: str) -> dict[str, float]:
    """The metrics.json mapping: the primary run's keys, plus ``<mode>/<key>`` per run if there are several.

    Raises ValueError if a value is not a finite number (JSON has no NaN).
    """
    _check(results, primary)
    flat = dict(results[primary].metrics)
    if len(results) > 1:
        for mode, result in results.items():
            flat.update({f"{mode}/{key}": value for key, value in result.metrics.items()})
    for key, value in flat.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"metric {key!r} is {value!r}; metrics must be finite numbers.")
    return {key: float(value) for key, value in flat.items()}


def format_metric(key: str, value: float | None, ms_digits: int = 1) -> str:
    """One table cell: counts as whole numbers, milliseconds with ``ms_digits`` decimals, the rest
    with three; a missing value as a dash."""
    if value is None:
        return "–"
    if key == "n" or key.startswith("n_"):
        return str(round(value))
    if key.endswith("_ms"):
        return f"{value:.{ms_digits}f}"
    return f"{value:.3f}"


def format_table(results: Mapping[str, Result], primary: str) -> str:
    """A Markdown table of the metrics: one row per key of the primary run, one column per run."""
    _check(results, primary)
    modes = list(results)
    lines = [
        "| metric | " + " | ".join(modes) + " |",
        "|---|" + "---:|" * len(modes),
    ]
    for key in results[primary].metrics:
        cells = [format_metric(key, results[mode].metrics.get(key)) for mode in modes]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _recall_curve(metrics: Mapping[str, float]) -> list[tuple[int, float]]:
    points = []
    for key, value in metrics.items():
        match = _RECALL_KEY.match(key)
        if match:
            points.append((int(match.group(1)), value))
    return sorted(points)


def _figure() -> Figure:
    figure = Figure(figsize=(6.4, 4.0), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def plot_recall(results: Mapping[str, Result], path: Path) -> bool:
    """Plot recall@k against k, one line per run, into ``path`` (PNG). False, and no file, without recall keys."""
    curves = {mode: _recall_curve(result.metrics) for mode, result in results.items()}
    if not any(curves.values()):
        return False
    figure = _figure()
    axes = figure.add_subplot()
    for mode, points in curves.items():
        if points:
            axes.plot([k for k, _ in points], [v for _, v in points], marker="o", label=mode)
    axes.set_xlabel("k (articles)")
    axes.set_ylabel("recall@k (any relevant article in top k)")
    axes.set_ylim(0.0, 1.02)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, format="png")
    return True


def plot_latency(results: Mapping[str, Result], path: Path) -> bool:
    """Histogram of per-question latency (ms), one series per run, into ``path`` (PNG). False without latencies."""
    series = {mode: result.latencies_ms for mode, result in results.items() if result.latencies_ms}
    if not series:
        return False
    figure = _figure()
    axes = figure.add_subplot()
    # Outlines on shared bins stay readable when four ablations overlap; a step per run.
    axes.hist(list(series.values()), bins=30, label=list(series), histtype="step", linewidth=1.5)
    axes.set_xlabel("latency per question (ms)")
    axes.set_ylabel("questions")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper right")
    figure.tight_layout()
    figure.savefig(path, format="png")
    return True


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _misses(result: Result) -> list[str]:
    lines = []
    for record in result.records:
        # Sentence items without a positive candidate are not scored, so they cannot miss.
        if record.correct or (isinstance(record, SentenceRecord) and record.n_positive == 0):
            continue
        if isinstance(record, QuestionRecord):
            said = (
                f"“{_one_line(record.sentences[0].text)}” ({record.sentences[0].article_id})"
                if record.sentences
                else "(abstained)"
            )
            gold = f" — gold: {', '.join(record.answers)}" if record.answers else ""
        else:
            said, gold = f"“{_one_line(record.top_sentence)}”", ""
        lines.append(f"- `{record.id}` {_one_line(record.question)}{gold}; top: {said}")
        if len(lines) == _MISSES_SHOWN:
            break
    return lines


_NOTES = {
    "questions": (
        "recall@k: share of questions with any article containing the answer among the first k distinct "
        "articles searched (top-k accuracy, as in the data README's baselines); mrr: MRR@20 over articles; "
        "answer@k: a gold answer (lower-cased, punctuation collapsed, whole tokens) in the top k quoted "
        "sentences; citation_validity: share of citations whose offsets slice back to the quoted sentence."
    ),
    "unanswerable": "abstain_rate is the share of questions the assistant declined to answer: higher is right here.",
    "sentences": (
        "MAP and MRR over questions with at least one positive candidate (n); all-negative questions are "
        "left out (n_skipped). Ties keep candidate order."
    ),
}
_NOTES["conversations"] = _NOTES["questions"] + " Suffixes: _turn<i> per turn position, _followup over turns 2+."


def _markdown(results: Mapping[str, Result], primary: str, title: str, plots: Sequence[Path]) -> str:
    task = results[primary].task
    parts = [f"# Evaluation: {task}", ""]
    if title:
        parts += [title, ""]
    parts += [format_table(results, primary), "", _NOTES[task], ""]
    parts += [f"![{p.stem}]({p.name})" for p in plots]
    misses = _misses(results[primary])
    if misses:
        parts += ["", f"## First misses ({primary})", "", *misses]
    return "\n".join(parts) + "\n"


def write_report(out_dir: Path, results: Mapping[str, Result], primary: str, *, title: str = "") -> ReportFiles:
    """Write metrics.json, per_question.jsonl, report.md and the plots that apply into ``out_dir``.

    ``results`` maps a run's name (its mode, e.g. ``"bm25"``) to its result, in display order;
    ``primary`` names the run whose keys go unprefixed. ``title`` is a line for the report's head
    (e.g. the input file). Creates ``out_dir`` if needed; overwrites earlier files there.
    """
    metrics = flatten_metrics(results, primary)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = ReportFiles(
        metrics=out_dir / "metrics.json",
        per_question=out_dir / "per_question.jsonl",
        report=out_dir / "report.md",
        plots=(),
    )
    files.metrics.write_text(json.dumps(metrics, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    with files.per_question.open("w", encoding="utf-8") as handle:
        for mode, result in results.items():
            for record in result.records:
                handle.write(json.dumps({"mode": mode, **asdict(record)}, ensure_ascii=False) + "\n")
    plots = []
    if plot_recall(results, out_dir / "recall_at_k.png"):
        plots.append(out_dir / "recall_at_k.png")
    if plot_latency(results, out_dir / "latency.png"):
        plots.append(out_dir / "latency.png")
    files = ReportFiles(files.metrics, files.per_question, files.report, tuple(plots))
    files.report.write_text(_markdown(results, primary, title, plots), encoding="utf-8")
    logger.info("wrote the report to %s", out_dir)
    return files
