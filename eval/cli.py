"""The ``newsqa eval`` subcommand: a thin layer that reads a question set, runs it and writes the report.

```
newsqa eval questions|conversations|unanswerable FILE --index DIR [--out DIR] [--compare] [--limit N] [--model NAME]
    [--near-date question|YYYY-MM-DD]
newsqa eval sentences FILE [--out DIR] [--limit N] [--model NAME]
```

:func:`add_eval_parser` registers it on the ``newsqa`` sub-parsers; :func:`run_eval` runs parsed
arguments and returns the exit status (0 done, 1 an input or contract error, reported on stderr).
The real assistant and scorer are imported only here, when a run needs them.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

from eval.errors import EvalError
from eval.formats import load_conversations, load_questions, load_sentences, load_unanswerable
from eval.report import format_table, write_report
from eval.run import (
    QA,
    Result,
    SentenceScoring,
    evaluate_conversations,
    evaluate_questions,
    evaluate_sentences,
    evaluate_unanswerable,
)
from newsqa.args import positive_int

if TYPE_CHECKING:
    from assistant.records import AskSettings

__all__ = ["COMPARE_MODES", "DEFAULT_MODE", "TASKS", "add_eval_parser", "ask_settings", "run_eval"]

logger = logging.getLogger(__name__)

TASKS = ("questions", "conversations", "unanswerable", "sentences")

COMPARE_MODES: dict[str, tuple[Literal["hybrid", "bm25", "dense"], bool, bool]] = {
    "bm25": ("bm25", False, False),
    "dense": ("dense", False, False),
    "hybrid": ("hybrid", False, False),
    "hybrid+rerank": ("hybrid", True, False),
    "hybrid+reader": ("hybrid", False, True),
}
"""The ``--compare`` ablations in display order: mode -> (``AskSettings.retrieval``,
``AskSettings.rerank``, ``AskSettings.reader``); ``hybrid+reader`` is the default with the reader."""

DEFAULT_MODE = "hybrid"
"""The mode of ``AskSettings()``: the run whose keys go unprefixed in metrics.json."""

QALoader = Callable[[Path, "AskSettings", "str | None"], QA]
ScorerLoader = Callable[["str | None"], SentenceScoring]

_TASK_HELP = {
    "questions": "questions with gold answers and the articles holding them (RealTime QA format)",
    "conversations": "scripted conversations whose turns are asked in order within one conversation",
    "unanswerable": "questions the corpus cannot answer: abstaining is right",
    "sentences": "answer-sentence selection (TrecQA format): rank candidates with the scorer alone, no index",
}


def _near_date(text: str) -> str:
    if text == "question":
        return text
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'question' or a date as YYYY-MM-DD, not {text!r}") from None


def add_eval_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``eval`` (with one sub-command per task) on the ``newsqa`` CLI's sub-parsers.

    The parsed namespace carries ``func=run_eval`` and ``eval_task`` (one of :data:`TASKS`).
    """
    parser = subparsers.add_parser(
        "eval",
        help="evaluate the assistant against a question set",
        description="Evaluate the assistant against a question set; print a table and optionally write a report.",
    )
    tasks = parser.add_subparsers(dest="eval_task", required=True, metavar="TASK")
    for task in TASKS:
        sub = tasks.add_parser(task, help=_TASK_HELP[task], description=_TASK_HELP[task])
        sub.add_argument("file", type=Path, metavar="FILE", help=f"the {task} JSONL file")
        if task != "sentences":
            sub.add_argument(
                "--index", type=Path, required=True, metavar="DIR", help="the index to ask (built by `newsqa ingest`)"
            )
            sub.add_argument(
                "--compare",
                action="store_true",
                help="run each ablation (" + ", ".join(COMPARE_MODES) + ") and report them side by side",
            )
        sub.add_argument(
            "--out", type=Path, metavar="DIR", help="write metrics.json, per_question.jsonl, report.md and plots here"
        )
        sub.add_argument("--limit", type=positive_int, metavar="N", help="evaluate only the first N items")
        if task != "sentences":
            sub.add_argument(
                "--min-confidence",
                type=float,
                metavar="P",
                help="abstain below this confidence instead of the default (0 never abstains: for calibrating)",
            )
            sub.add_argument(
                "--near-date",
                type=_near_date,
                metavar="WHEN",
                help="prefer articles published shortly before a day: 'question' for each item's own `date` "
                "field (items without one get no preference), or one YYYY-MM-DD for every item",
            )
            sub.add_argument(
                "--allow-unknown-names",
                action="store_true",
                help="answer even when the question names something (a name or a number) no indexed article "
                "contains (by default the assistant abstains and says which name)",
            )
            sub.add_argument(
                "--allow-unknown-words",
                action="store_true",
                help="answer even when another word of the question is in no indexed article (the default since "
                "AskSettings.require_known_words is off; with it on, the assistant abstains and says which word)",
            )
        sub.add_argument("--model", metavar="NAME", help="embedding model name or path (default: the packaged one)")
    parser.set_defaults(func=run_eval)


def ask_settings(
    mode: str,
    min_confidence: float | None = None,
    allow_unknown_names: bool = False,
    allow_unknown_words: bool = False,
) -> AskSettings:
    """The ``AskSettings`` of a ``--compare`` mode (see :data:`COMPARE_MODES`), with the default
    abstention threshold unless ``min_confidence`` is given."""
    from assistant.records import AskSettings

    retrieval, rerank, reader = COMPARE_MODES[mode]
    settings = AskSettings(
        retrieval=retrieval,
        rerank=rerank,
        reader=reader,
        require_known_names=AskSettings.require_known_names and not allow_unknown_names,
        require_known_words=AskSettings.require_known_words and not allow_unknown_words,
    )
    if min_confidence is not None:
        settings = dataclasses.replace(settings, min_confidence=min_confidence)
    return settings


def _load_assistant(index: Path, settings: AskSettings, model: str | None) -> QA:
    from assistant import Assistant

    assistant: QA = Assistant.load(index, settings=settings, model=model)
    return assistant


def _load_scorer(model: str | None) -> SentenceScoring:
    from assistant.score import SentenceScorer

    if model is None:
        return SentenceScorer.load()
    from index.embed import SentenceTransformerEmbedder

    # The scorer's weights were trained with the default embedder: another model is an experiment.
    logger.warning("scoring sentences with embedder %r instead of the one the scorer was trained with", model)
    return SentenceScorer.load(embedder=SentenceTransformerEmbedder.from_name(model))


def _new_conversation() -> object:
    from assistant.chat import Conversation

    return Conversation()


def _runner(args: argparse.Namespace, new_conversation: Callable[[], object]) -> Callable[[QA], Result]:
    """Read the task's file now (so a malformed file fails before any model loads); run it per QA later."""
    near = getattr(args, "near_date", None)
    if args.eval_task == "questions":
        questions = load_questions(args.file)[: args.limit]
        return lambda qa: evaluate_questions(qa, questions, near=near)
    if args.eval_task == "conversations":
        cases = load_conversations(args.file)[: args.limit]
        return lambda qa: evaluate_conversations(qa, cases, new_conversation, near=near)
    unanswerable = load_unanswerable(args.file)[: args.limit]
    return lambda qa: evaluate_unanswerable(qa, unanswerable, near=near)


def _evaluate(
    args: argparse.Namespace,
    load_qa: QALoader,
    load_scorer: ScorerLoader,
    new_conversation: Callable[[], object],
) -> dict[str, Result]:
    """Run the task once, or once per ablation with ``--compare``; runs keyed by mode, in display order."""
    if args.eval_task == "sentences":
        items = load_sentences(args.file)[: args.limit]
        return {args.model or "default": evaluate_sentences(load_scorer(args.model), items)}
    run = _runner(args, new_conversation)
    results = {}
    for mode in list(COMPARE_MODES) if args.compare else [DEFAULT_MODE]:
        logger.info("evaluating %s on %s with mode %s", args.eval_task, args.file, mode)
        settings = ask_settings(
            mode,
            getattr(args, "min_confidence", None),
            getattr(args, "allow_unknown_names", False),
            getattr(args, "allow_unknown_words", False),
        )
        results[mode] = run(load_qa(args.index, settings, args.model))
    return results


def run_eval(
    args: argparse.Namespace,
    *,
    load_qa: QALoader | None = None,
    load_scorer: ScorerLoader | None = None,
    new_conversation: Callable[[], object] | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Run a parsed ``newsqa eval`` command: print the metrics table and write the report to ``--out``.

    The loaders default to the real assistant (``assistant.Assistant.load``), scorer
    (``assistant.score.SentenceScorer.load``) and ``assistant.chat.Conversation``; tests pass fakes.
    Returns 0 on success and 1 when the input file or the system under test is at fault.
    """
    out = stdout or sys.stdout
    try:
        results = _evaluate(
            args, load_qa or _load_assistant, load_scorer or _load_scorer, new_conversation or _new_conversation
        )
        primary = DEFAULT_MODE if DEFAULT_MODE in results else next(iter(results))
        print(f"{args.eval_task}: {args.file}", file=out)
        print(format_table(results, primary), file=out)
        if args.out is not None:
            title = f"Input: `{args.file}`"
            if getattr(args, "near_date", None):
                title += f"; asked near the date: `{args.near_date}`"
            files = write_report(args.out, results, primary, title=title)
            print(f"wrote {files.report.parent}/", file=out)
    except (EvalError, OSError) as exc:
        print(f"newsqa eval: error: {exc}", file=sys.stderr)
        return 1
    return 0
