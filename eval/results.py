"""Compose ``eval/RESULTS.md`` from the run folders that ``scripts/reproduce_results.sh`` fills.

    python -m eval.results results/ > eval/RESULTS.md

Reads each ``<run>/metrics.json`` written by ``newsqa eval ... --out <run>`` and the benchmark
outputs (``bench-*.txt``) and lays them out as tables. It computes nothing itself: every figure is
one that a command measured, and the page says which command.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from eval.cli import COMPARE_MODES
from eval.report import format_metric

__all__ = ["compose", "main"]

YEARS = ("2022", "2023")
QUESTION_KEYS = ("n", "recall@1", "recall@5", "recall@10", "text_recall@1", "text_recall@5", "text_recall@10",
                 "mrr", "ndcg@10", "answer@1", "answer@3", "phrase_marked", "phrase_exact", "phrase_precision",
                 "citation_validity", "abstain_rate", "abstain_unknown_names_rate", "abstain_unknown_words_rate",
                 "abstain_uncovered_rate", "abstain_unreported_years_rate", "latency_p50_ms", "latency_p95_ms")
CONVERSATION_KEYS = ("n", "recall@5", "answer@1", "answer@3", "answer@1_turn1", "answer@1_followup",
                     "answer@3_followup", "recall@5_followup", "citation_validity", "abstain_rate",
                     "latency_p50_ms")
TOPIC_SHIFT_KEYS = ("n_followup", "recall@5_followup", "answer@1_followup", "answer@3_followup",
                    "abstain_rate_followup")
UNANSWERABLE_KEYS = ("n", "abstain_rate", "abstain_unknown_names_rate", "abstain_unknown_words_rate",
                     "abstain_uncovered_rate", "abstain_unreported_years_rate", "latency_p50_ms", "latency_p95_ms")
SENTENCE_KEYS = ("n", "map", "mrr")


def _read(path: Path) -> dict[str, float] | None:
    try:
        return {str(k): float(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}
    except FileNotFoundError:
        return None


def _cell(key: str, value: float | None) -> str:
    return format_metric(key, value, ms_digits=0)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def _ablation(metrics: Mapping[str, float], keys: Sequence[str]) -> list[str]:
    modes = [m for m in COMPARE_MODES if any(f"{m}/{k}" in metrics for k in keys)]
    if not modes:  # a run without --compare: the primary keys only
        return _table(["metric", "value"], [[k, _cell(k, metrics.get(k))] for k in keys if k in metrics])
    present = [k for k in keys if any(f"{m}/{k}" in metrics for m in modes)]
    rows = [[k, *(_cell(k, metrics.get(f"{m}/{k}")) for m in modes)] for k in present]
    return _table(["metric", *modes], rows)


def _by_year(runs: Path, stem: str, keys: Sequence[str]) -> list[str]:
    found = {y: _read(runs / f"{stem}-{y}" / "metrics.json") for y in YEARS}
    years = [y for y, m in found.items() if m is not None]
    if not years:
        return ["(not run)"]
    rows = [[k, *(_cell(k, found[y].get(k)) for y in years)] for k in keys]  # type: ignore[union-attr]
    return _table(["metric", *years], rows)


def _bench(runs: Path, name: str) -> list[str]:
    path = runs / name
    if not path.exists():
        return ["(not run)"]
    return ["```", path.read_text(encoding="utf-8").strip(), "```"]


def compose(runs: Path) -> str:
    """The Markdown of RESULTS.md for the run folders under ``runs``."""
    parts = [
        "# Measured results",
        "",
        "Every figure below was produced by `bash scripts/reproduce_results.sh` (which ingests the corpora",
        "with the ordinary `newsqa ingest`, runs `newsqa eval` and the benchmarks into `results/`, then",
        "`python -m eval.results results/ > eval/RESULTS.md`) on a 2-core CPU machine with the packaged",
        "all-MiniLM-L6-v2. Data: `../shared/data` (RealtimeQA 2022 and 2023 corpora each ingested into its",
        "own index; TrecQA dev). 2022 is the set the defaults were tuned on; 2023 checks that they hold.",
        "Metric definitions: [eval/README.md](README.md).",
        "",
        "Latency in the evaluation tables is the wall time of each `ask` within that run, on whatever else",
        "the machine was doing; the ask benchmark at the end, run alone, is the latency figure to quote.",
        "",
    ]
    for year in YEARS:
        metrics = _read(runs / f"questions-{year}" / "metrics.json")
        parts += [f"## RealtimeQA {year}: questions, ablation (`newsqa eval questions ... --compare`)", ""]
        parts += _ablation(metrics, QUESTION_KEYS) if metrics else [f"(not run: no `questions-{year}` run in {runs})"]
        parts += [""]
    parts += ["## RealtimeQA: questions asked near their quiz date (`newsqa eval questions ... --near-date question`)",
              "",
              "The same questions, each preferring articles published shortly before the day the quiz asked it",
              "(`Filters.near_date`), as a user asking about that week's news would set it. Beside them, the",
              "unanswerable questions asked near the middle quiz date of the year",
              "(`newsqa eval unanswerable ... --near-date <date>`: 2022-09-16 and 2023-05-26).", ""]
    parts += _by_year(runs, "questions-near", QUESTION_KEYS) + [""]
    parts += _by_year(runs, "unanswerable-near", UNANSWERABLE_KEYS) + [""]
    parts += ["## Multi-turn conversations (`newsqa eval conversations eval/data/conversations_<year>.jsonl`)", ""]
    parts += _by_year(runs, "conversations", CONVERSATION_KEYS) + [""]
    parts += ["## Topic shifts (`scripts/topic_shift.py`, then `newsqa eval conversations`)", "",
              "Each conversation asks a RealtimeQA question, then an unrelated one that stands on its own; the",
              "second turn's metrics show what follow-up handling costs a user who changes the subject (compare",
              "with the questions tables above).", ""]
    parts += _by_year(runs, "topic-shift", TOPIC_SHIFT_KEYS) + [""]
    parts += ["## Unanswerable questions (`newsqa eval unanswerable eval/data/unanswerable.jsonl`)", "",
              "abstain_rate is the share declined: higher is right here (the answerable questions' own",
              "abstain_rate is in the tables above).", ""]
    parts += _by_year(runs, "unanswerable", UNANSWERABLE_KEYS) + [""]
    parts += ["Held out (`eval/data/unanswerable_heldout_<year>.jsonl`, each on its year's index): 20 details",
              "per year that no article about a story the corpus reports gives, written after the abstention",
              "rules were set. A rule tried after reading the ones answered wrongly was reverted",
              "(see scripts/scorer_experiments/README.md).", ""]
    parts += _by_year(runs, "unanswerable-heldout", UNANSWERABLE_KEYS) + [""]
    parts += ["Choosing `AskSettings.min_coverage` on 2022 (`python scripts/calibrate_coverage.py`): the share",
              "of answerable and unanswerable questions abstained on, for any reason, at each threshold.", ""]
    parts += _bench(runs, "calibrate-coverage-2022.txt") + [""]
    sentences = _read(runs / "sentences-trecqa-dev" / "metrics.json")
    parts += ["## TrecQA dev: the sentence scorer alone (`newsqa eval sentences`)", ""]
    if sentences:
        parts += _table(["metric", "value"], [[k, _cell(k, sentences.get(k))] for k in SENTENCE_KEYS])
    else:
        parts += ["(not run)"]
    parts += ["", "The BM25 baseline on the same candidates is printed by `python scripts/train_scorer.py`.", ""]
    parts += ["## Benchmarks", "", "`python benchmarks/bench_ask.py --index results/index-2022`:", ""]
    parts += _bench(runs, "bench-ask-2022.txt") + [""]
    parts += ["`python benchmarks/bench_ingest.py` (RealtimeQA 2022, 4,973 articles):", ""]
    parts += _bench(runs, "bench-ingest.txt") + [""]
    parts += ["A ratio above 1 means the bare encoder met more competition for the CPU than the pipeline did:",
              "both phases must run on an otherwise idle machine for the ratio to mean what it says.", ""]
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, help="the folder holding the run folders (results/)")
    args = parser.parse_args(argv)
    sys.stdout.write(compose(args.runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
