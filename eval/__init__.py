"""Evaluation of the news assistant against question sets: formats, metrics, runners, reports, CLI.

Modules: ``formats`` (the four JSONL question-set formats), ``metrics`` (pure metric functions),
``run`` (runners over the :class:`~eval.run.QA` and :class:`~eval.run.SentenceScoring` protocols),
``report`` (metrics.json, per_question.jsonl, report.md, plots) and ``cli`` (``newsqa eval``).
``report`` and ``cli`` are not imported here, to keep ``import eval`` free of matplotlib.
"""

from __future__ import annotations

from eval.errors import ContractError, EvalError, FormatError
from eval.formats import (
    Candidate,
    ConversationCase,
    Question,
    SentenceQuestion,
    Turn,
    UnanswerableQuestion,
    load_conversations,
    load_questions,
    load_sentences,
    load_unanswerable,
)
from eval.metrics import (
    answer_in,
    average_precision,
    ndcg_at_k,
    normalize_answer,
    percentile,
    recall_at_k,
    reciprocal_rank,
    sentence_selection,
)
from eval.run import (
    QA,
    QuestionRecord,
    Result,
    SentenceRecord,
    SentenceScoring,
    evaluate_conversations,
    evaluate_questions,
    evaluate_sentences,
    evaluate_unanswerable,
)

__all__ = [
    "QA",
    "Candidate",
    "ContractError",
    "ConversationCase",
    "EvalError",
    "FormatError",
    "Question",
    "QuestionRecord",
    "Result",
    "SentenceQuestion",
    "SentenceRecord",
    "SentenceScoring",
    "Turn",
    "UnanswerableQuestion",
    "answer_in",
    "average_precision",
    "evaluate_conversations",
    "evaluate_questions",
    "evaluate_sentences",
    "evaluate_unanswerable",
    "load_conversations",
    "load_questions",
    "load_sentences",
    "load_unanswerable",
    "ndcg_at_k",
    "normalize_answer",
    "percentile",
    "recall_at_k",
    "reciprocal_rank",
    "sentence_selection",
]
