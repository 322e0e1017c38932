"""Runners: ask the system under test every question of a set, keep what it did, and score it.

Each ``evaluate_*`` returns a :class:`Result`: flat metrics (``dict[str, float]``, numbers only) and
one record per question (or per conversation turn) saying what was retrieved, what was answered and
whether it hit. Metrics are computed from the records alone, so ``per_question.jsonl`` explains them.

The system under test is reached through two narrow protocols, :class:`QA` (the assistant) and
:class:`SentenceScoring` (the answer-sentence scorer), so tests drive the runners with fakes and the
real models are only loaded by the CLI.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from assistant.records import Filters
from assistant.terms import is_name
from eval.errors import ContractError, EvalError
from eval.formats import ConversationCase, Question, SentenceQuestion, UnanswerableQuestion
from eval.metrics import (
    answer_in,
    average_precision,
    dedupe,
    first_relevant_rank,
    mean,
    ndcg_at_k,
    normalize_answer,
    percentile,
    rank_by_score,
    recall_at_k,
    reciprocal_rank,
    sentence_selection,
)

if TYPE_CHECKING:
    from assistant.records import Answer, Citation, Hit

__all__ = [
    "MRR_DEPTH",
    "TEXT_RECALL_DEPTH",
    "QA",
    "QuestionRecord",
    "QuotedSentence",
    "Result",
    "SentenceRecord",
    "SentenceScoring",
    "Task",
    "evaluate_conversations",
    "evaluate_questions",
    "evaluate_sentences",
    "evaluate_unanswerable",
    "near_filters",
    "summarize_answers",
    "summarize_sentences",
]

logger = logging.getLogger(__name__)

Task = Literal["questions", "conversations", "unanswerable", "sentences"]

MRR_DEPTH = 20
"""``mrr`` is MRR@20 over articles, the cut-off of the RealTime QA baseline in ``data/README.md``."""

TEXT_RECALL_DEPTH = 10
"""How many retrieved articles are read for ``text_recall@k`` (so k goes up to 10)."""

_PROGRESS_EVERY = 25


class QA(Protocol):
    """What the runners need of the assistant (``assistant.Assistant`` provides it)."""

    def ask(self, question: str, conversation: Any = None, filters: Filters | None = None) -> Answer:
        """Answer ``question``, recording the turn in ``conversation`` when one is given."""
        ...

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """The ``k`` best chunks for ``query``, best first (an article may appear several times)."""
        ...

    def article_text(self, article_id: str) -> str:
        """The full text citation offsets point into; raises ``LookupError`` for an unknown id."""
        ...


class SentenceScoring(Protocol):
    """The answer-sentence scorer alone (``assistant.score.SentenceScorer`` provides it)."""

    def score(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        """One score per sentence, shape ``(len(sentences),)``; higher = more likely to answer."""
        ...


@dataclass(frozen=True)
class QuotedSentence:
    """One sentence an answer quoted, where it cites, and how it fared."""

    rank: int  # 1-based position in the answer
    text: str
    score: float
    article_id: str
    start: int
    end: int
    citation_valid: bool  # article_text(article_id)[start:end] == citation.sentence
    has_answer: bool  # a gold answer occurs in ``text`` (always False for unanswerable questions)
    also_reported_by: tuple[str, ...]  # article ids of the other outlets' citations
    phrase: str | None = None  # the words marked as the answer inside the sentence, if any


@dataclass(frozen=True)
class QuestionRecord:
    """What happened to one question (or one conversation turn).

    ``retrieved_article_ids`` are the distinct articles of the search, best first; for unanswerable
    questions (no search is scored) they are the articles of ``Answer.searched``. ``correct`` is the
    plain verdict: an answer string was quoted (questions, turns), or the assistant abstained
    (unanswerable).
    """

    id: str
    question: str
    query: str
    answers: tuple[str, ...]
    relevant_article_ids: tuple[str, ...]
    retrieved_article_ids: tuple[str, ...]
    first_relevant_rank: int | None
    is_answer: bool
    confidence: float
    sentences: tuple[QuotedSentence, ...]
    answer_rank: int | None  # 1-based rank of the first quoted sentence holding an answer
    citations: int  # citations returned, counting ``also_reported_by``
    valid_citations: int
    latency_ms: float
    correct: bool
    conversation_id: str | None = None
    turn: int | None = None  # 1-based position in its conversation
    unknown_terms: tuple[str, ...] = ()  # words of the question no indexed article contains
    uncovered_terms: tuple[str, ...] = ()  # words of the question the closest article lacks (an abstention)
    unreported_years: tuple[str, ...] = ()  # years asked about that no confident sentence names (an abstention)
    # 1-based rank of the first retrieved article whose text holds an answer string, listed as
    # relevant or not (within the top TEXT_RECALL_DEPTH; None for unanswerable questions)
    first_answer_article_rank: int | None = None


@dataclass(frozen=True)
class SentenceRecord:
    """How the scorer ranked one answer-sentence selection item."""

    id: str
    question: str
    scores: tuple[float, ...]  # in candidate (file) order
    ranking: tuple[int, ...]  # candidate indexes, best first; ties keep candidate order
    ranked_labels: tuple[int, ...]
    n_positive: int
    average_precision: float | None  # None: no positive candidate, left out of MAP and MRR
    reciprocal_rank: float | None
    top_sentence: str  # "" when there are no candidates
    latency_ms: float
    correct: bool  # the top-ranked candidate is labelled 1


@dataclass(frozen=True)
class Result:
    """One evaluation run: flat numeric metrics plus one record per question, in input order."""

    task: Task
    metrics: dict[str, float]
    records: tuple[QuestionRecord, ...] | tuple[SentenceRecord, ...]

    @property
    def latencies_ms(self) -> tuple[float, ...]:
        """Time per question (per ``ask`` call, or per ``score`` call for sentences), in milliseconds."""
        return tuple(r.latency_ms for r in self.records)


def _check_depth(k: int, search_k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}.")
    if search_k < k:
        raise ValueError(f"search_k ({search_k}) must be at least k ({k}) to rank {k} articles.")


def _require(items: Sequence[object], what: str) -> None:
    if not items:
        raise EvalError(f"no {what} to evaluate: the input file is empty.")


class _Texts:
    """Article texts fetched once per run, to check citation offsets."""

    def __init__(self, qa: QA) -> None:
        self._qa = qa
        self._cache: dict[str, str | None] = {}

    def text(self, article_id: str) -> str | None:
        """The article's text, or None (logged) for an id the assistant does not know."""
        if article_id not in self._cache:
            try:
                self._cache[article_id] = self._qa.article_text(article_id)
            except LookupError:
                logger.warning("unknown article %r", article_id)
                self._cache[article_id] = None
        return self._cache[article_id]

    def valid(self, citation: Citation) -> bool:
        text = self.text(citation.article_id)
        return (
            text is not None
            and 0 <= citation.start <= citation.end
            and (text[citation.start : citation.end] == citation.sentence)
        )


def near_filters(near: str | None, asked: str | None) -> Filters | None:
    """The filters an item is asked with: ``near`` is None (no date preference), ``"question"``
    (prefer articles near the item's own ``date``, none when it has no date) or a ``YYYY-MM-DD``
    day for every item."""
    day = asked if near == "question" else near
    return Filters(near_date=day) if day else None


def _timed_ask(
    qa: QA, question: str, conversation: object, clock: Callable[[], float], filters: Filters | None = None
) -> tuple[Answer, float]:
    started = clock()
    if filters is not None:
        answer = qa.ask(question, conversation, filters)
    else:
        answer = qa.ask(question, conversation) if conversation is not None else qa.ask(question)
    return answer, (clock() - started) * 1000.0


def _record(
    *,
    ident: str,
    question: str,
    answers: tuple[str, ...],
    relevant: tuple[str, ...],
    retrieved: Sequence[str],
    answer: Answer,
    latency_ms: float,
    texts: _Texts,
    unanswerable: bool = False,
    conversation_id: str | None = None,
    turn: int | None = None,
) -> QuestionRecord:
    quoted = []
    citations = valid = 0
    for rank, sentence in enumerate(answer.sentences, start=1):
        ok = texts.valid(sentence.citation)
        others = [texts.valid(c) for c in sentence.also_reported_by]
        citations += 1 + len(others)
        valid += int(ok) + sum(others)
        quoted.append(
            QuotedSentence(
                rank=rank,
                text=sentence.text,
                score=float(sentence.score),
                article_id=sentence.citation.article_id,
                start=sentence.citation.start,
                end=sentence.citation.end,
                citation_valid=ok,
                has_answer=answer_in(sentence.text, answers),
                also_reported_by=tuple(c.article_id for c in sentence.also_reported_by),
                phrase=sentence.phrase.text if sentence.phrase is not None else None,
            )
        )
    hit_rank = next((q.rank for q in quoted if q.has_answer), None)
    articles = tuple(dedupe(retrieved))
    return QuestionRecord(
        id=ident,
        question=question,
        query=answer.query,
        answers=answers,
        relevant_article_ids=relevant,
        retrieved_article_ids=articles,
        first_relevant_rank=first_relevant_rank(retrieved, relevant) if relevant else None,
        first_answer_article_rank=_first_answer_article(articles, answers, texts) if answers else None,
        is_answer=answer.is_answer,
        confidence=float(answer.confidence),
        sentences=tuple(quoted),
        answer_rank=hit_rank,
        citations=citations,
        valid_citations=valid,
        latency_ms=latency_ms,
        correct=(not answer.is_answer) if unanswerable else hit_rank is not None,
        conversation_id=conversation_id,
        turn=turn,
        unknown_terms=tuple(getattr(answer, "unknown_terms", ())),
        uncovered_terms=tuple(getattr(answer, "uncovered_terms", ())),
        unreported_years=tuple(getattr(answer, "unreported_years", ())),
    )


def _first_answer_article(articles: Sequence[str], answers: Sequence[str], texts: _Texts) -> int | None:
    """1-based rank of the first of the top ``TEXT_RECALL_DEPTH`` articles whose text holds an answer string."""
    for rank, article_id in enumerate(articles[:TEXT_RECALL_DEPTH], start=1):
        text = texts.text(article_id)
        if text is not None and answer_in(text, answers):
            return rank
    return None


def _progress(task: str, done: int, total: int) -> None:
    if done % _PROGRESS_EVERY == 0 or done == total:
        logger.info("%s: %d/%d done", task, done, total)


def _answer_quality(records: Sequence[QuestionRecord]) -> dict[str, float]:
    """Keys every task shares: abstention, citation validity and latency."""
    citations = sum(r.citations for r in records)
    latencies = [r.latency_ms for r in records]
    return {
        "n": float(len(records)),
        "abstain_rate": mean(0.0 if r.is_answer else 1.0 for r in records),
        # the share abstained on because the question names something (a name or a number) no
        # indexed article contains, and because it has another word that none contains
        "abstain_unknown_names_rate": mean(
            0.0 if r.is_answer or not any(map(is_name, r.unknown_terms)) else 1.0 for r in records
        ),
        "abstain_unknown_words_rate": mean(
            0.0 if r.is_answer or not r.unknown_terms or any(map(is_name, r.unknown_terms)) else 1.0 for r in records
        ),
        # ... and because no retrieved article covers the question (its names together, most of its words)
        "abstain_uncovered_rate": mean(0.0 if r.is_answer or not r.uncovered_terms else 1.0 for r in records),
        # ... and because the articles predate a year it asks about, and no confident sentence names it
        "abstain_unreported_years_rate": mean(0.0 if r.is_answer or not r.unreported_years else 1.0 for r in records),
        # Nothing cited means nothing mis-cited.
        "citation_validity": sum(r.valid_citations for r in records) / citations if citations else 1.0,
        "n_citations": float(citations),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
        "latency_mean_ms": mean(latencies),
    }


def _phrase_metrics(records: Sequence[QuestionRecord]) -> dict[str, float]:
    """The answer phrase marked in the top quoted sentence: ``phrase_marked``, the share of
    questions with one; ``phrase_exact``, the share whose phrase is an answer string (after
    :func:`normalize_answer`); ``phrase_precision``, that share among the marked ones."""
    top = [r.sentences[0].phrase if r.sentences else None for r in records]
    marked = [(p, r) for p, r in zip(top, records, strict=True) if p is not None]
    exact = sum(1 for p, r in marked if normalize_answer(p) in {normalize_answer(a) for a in r.answers})
    return {
        "phrase_marked": len(marked) / len(records),
        "phrase_exact": exact / len(records),
        "phrase_precision": exact / len(marked) if marked else 0.0,
    }


def summarize_answers(records: Sequence[QuestionRecord], k: int = 10) -> dict[str, float]:
    """Metrics of answered questions (or turns), computed from their records alone.

    Keys: ``n``, ``recall@1`` .. ``recall@k`` (QA-style: any relevant article in the top j), ``mrr``
    (MRR@20), ``ndcg@k``, ``answer@1``, ``answer@3`` (an answer string in the top 1 / 3 quoted
    sentences), ``phrase_marked``, ``phrase_exact``, ``phrase_precision`` (the answer phrase marked
    in the top sentence: :func:`_phrase_metrics`), ``citation_validity``, ``n_citations``,
    ``abstain_rate``, ``latency_p50_ms``, ``latency_p95_ms``, ``latency_mean_ms``; and
    ``text_recall@1``, ``@5``, ``@10``: the share whose top 1 / 5 / 10 retrieved articles include
    one whose text holds an answer string, whether the question file lists that article or not
    (RealTime QA lists only articles of the question's own search results, so ``recall@k`` misses
    relevant articles found elsewhere in the corpus; this key counts them, along with any article
    that merely mentions a short answer). Raises ValueError on no records.
    """
    if not records:
        raise ValueError("no records to summarise.")
    metrics = {"n": float(len(records))}
    for j in range(1, k + 1):
        metrics[f"recall@{j}"] = mean(recall_at_k(r.retrieved_article_ids, r.relevant_article_ids, j) for r in records)
    for j in (1, 5, 10):
        metrics[f"text_recall@{j}"] = mean(
            1.0 if r.first_answer_article_rank is not None and r.first_answer_article_rank <= j else 0.0
            for r in records
        )
    metrics["mrr"] = mean(reciprocal_rank(r.retrieved_article_ids, r.relevant_article_ids, MRR_DEPTH) for r in records)
    metrics[f"ndcg@{k}"] = mean(ndcg_at_k(r.retrieved_article_ids, r.relevant_article_ids, k) for r in records)
    for j in (1, 3):
        metrics[f"answer@{j}"] = mean(1.0 if r.answer_rank is not None and r.answer_rank <= j else 0.0 for r in records)
    metrics.update(_phrase_metrics(records))
    metrics.update(_answer_quality(records))
    return metrics


def evaluate_questions(
    qa: QA,
    questions: Sequence[Question],
    k: int = 10,
    *,
    search_k: int = 50,
    near: str | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Result:
    """Ask every question once and score retrieval and answers (see :func:`summarize_answers`).

    The article ranking is the distinct article ids of ``qa.search(question, k=search_k)`` in order
    (chunks, so ``search_k`` is set well above ``k`` to reach ``k`` distinct articles); latency times
    ``qa.ask(question)`` alone, measured with ``clock`` (seconds). Both are given the filters of
    :func:`near_filters`.
    """
    _check_depth(k, search_k)
    _require(questions, "questions")
    texts = _Texts(qa)
    records = []
    for done, q in enumerate(questions, start=1):
        filters = near_filters(near, q.date)
        answer, latency = _timed_ask(qa, q.question, None, clock, filters)
        hits = qa.search(q.question, k=search_k, filters=filters)
        records.append(
            _record(
                ident=q.id,
                question=q.question,
                answers=q.answers,
                relevant=q.article_ids,
                retrieved=[h.article_id for h in hits],
                answer=answer,
                latency_ms=latency,
                texts=texts,
            )
        )
        _progress("questions", done, len(questions))
    return Result("questions", summarize_answers(records, k), tuple(records))


_BREAKDOWN = ("recall@1", "recall@5", "recall@10", "mrr", "answer@1", "answer@3", "abstain_rate", "citation_validity")


def _breakdown(name: str, records: Sequence[QuestionRecord], k: int) -> dict[str, float]:
    summary = summarize_answers(records, k)
    keys = [key for key in (*_BREAKDOWN, f"ndcg@{k}") if key in summary]
    return {f"n_{name}": summary["n"], **{f"{key}_{name}": summary[key] for key in keys}}


def evaluate_conversations(
    qa: QA,
    conversations: Sequence[ConversationCase],
    new_conversation: Callable[[], object],
    k: int = 10,
    *,
    search_k: int = 50,
    near: str | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Result:
    """Ask each conversation's turns in order within one fresh ``new_conversation()``; score every turn.

    A turn is scored like a question, its relevant articles being the turn's ``article_ids``; its
    article ranking searches ``Answer.query`` (the follow-up as the assistant resolved it), falling
    back to the turn's question when that is empty. Metrics are those of :func:`summarize_answers`
    over all turns, plus ``<key>_turn<i>`` per turn position, ``<key>_followup`` over turns 2 and
    later, ``n_turn<i>``, ``n_followup`` and ``n_conversations``, and ``read_as_followup``: the
    share of turns 2 and later the assistant read as follow-ups (``Answer.follow_up_to`` set; near
    1 on conversations that follow up, near 0 on topic shifts, see ``scripts/topic_shift.py``).
    Every turn is asked and searched with the conversation's :func:`near_filters`.
    """
    _check_depth(k, search_k)
    _require(conversations, "conversations")
    texts = _Texts(qa)
    records, read_as_followup = [], []
    for done, case in enumerate(conversations, start=1):
        conversation = new_conversation()
        filters = near_filters(near, case.date)
        for position, turn in enumerate(case.turns, start=1):
            answer, latency = _timed_ask(qa, turn.question, conversation, clock, filters)
            if position > 1:
                read_as_followup.append(answer.follow_up_to is not None)
            hits = qa.search(answer.query or turn.question, k=search_k, filters=filters)
            records.append(
                _record(
                    ident=f"{case.id}#{position}",
                    question=turn.question,
                    answers=turn.answers,
                    relevant=turn.article_ids,
                    retrieved=[h.article_id for h in hits],
                    answer=answer,
                    latency_ms=latency,
                    texts=texts,
                    conversation_id=case.id,
                    turn=position,
                )
            )
        _progress("conversations", done, len(conversations))
    metrics = summarize_answers(records, k)
    metrics["n_conversations"] = float(len(conversations))
    for position in sorted({r.turn for r in records if r.turn is not None}):
        metrics.update(_breakdown(f"turn{position}", [r for r in records if r.turn == position], k))
    followups = [r for r in records if r.turn is not None and r.turn > 1]
    if followups:
        metrics.update(_breakdown("followup", followups, k))
        metrics["read_as_followup"] = sum(read_as_followup) / len(read_as_followup)
    return Result("conversations", metrics, tuple(records))


def evaluate_unanswerable(
    qa: QA,
    questions: Sequence[UnanswerableQuestion],
    *,
    near: str | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Result:
    """Ask questions the corpus cannot answer; abstaining is right, so ``abstain_rate`` should be high.

    Metrics: ``n``, ``abstain_rate``, ``citation_validity``, ``n_citations``, ``latency_p50_ms``,
    ``latency_p95_ms``, ``latency_mean_ms``. No search is scored. Questions are asked with the
    filters of :func:`near_filters`.
    """
    _require(questions, "unanswerable questions")
    texts = _Texts(qa)
    records = []
    for done, q in enumerate(questions, start=1):
        answer, latency = _timed_ask(qa, q.question, None, clock, near_filters(near, q.date))
        records.append(
            _record(
                ident=q.id,
                question=q.question,
                answers=(),
                relevant=(),
                retrieved=[h.article_id for h in answer.searched],
                answer=answer,
                latency_ms=latency,
                texts=texts,
                unanswerable=True,
            )
        )
        _progress("unanswerable", done, len(questions))
    return Result("unanswerable", _answer_quality(records), tuple(records))


def summarize_sentences(records: Sequence[SentenceRecord]) -> dict[str, float]:
    """Answer-sentence selection metrics over the records' ranked labels.

    ``map`` and ``mrr`` over questions with at least one positive candidate (``n`` of them);
    ``p@1`` over the same questions; ``n_skipped`` all-negative questions left out; latency of
    the ``score`` calls over all questions.
    """
    if not records:
        raise ValueError("no records to summarise.")
    map_, mrr, n = sentence_selection(r.ranked_labels for r in records)
    kept = [r for r in records if r.n_positive > 0]
    latencies = [r.latency_ms for r in records]
    return {
        "n": float(n),
        "map": map_,
        "mrr": mrr,
        "p@1": mean(1.0 if r.correct else 0.0 for r in kept) if kept else 0.0,
        "n_skipped": float(len(records) - n),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
        "latency_mean_ms": mean(latencies),
    }


def _scores(scorer: SentenceScoring, item: SentenceQuestion) -> np.ndarray:
    if not item.candidates:
        return np.zeros(0)
    raw = scorer.score(item.question, [c.sentence for c in item.candidates])
    scores = np.asarray(raw, dtype=float)
    if scores.shape != (len(item.candidates),):
        raise ContractError(
            f"{item.id}: the scorer returned scores of shape {scores.shape} for {len(item.candidates)} "
            "sentences; it must return one score per sentence."
        )
    if not np.all(np.isfinite(scores)):
        raise ContractError(f"{item.id}: the scorer returned a NaN or infinite score.")
    return scores


def evaluate_sentences(
    scorer: SentenceScoring,
    items: Sequence[SentenceQuestion],
    *,
    clock: Callable[[], float] = time.perf_counter,
) -> Result:
    """Rank each item's candidates by ``scorer.score`` and compute MAP/MRR (see :func:`summarize_sentences`).

    Ties are broken by candidate order, so a constant scorer scores the file's own order.
    """
    _require(items, "sentence-selection questions")
    records = []
    for done, item in enumerate(items, start=1):
        started = clock()
        scores = _scores(scorer, item)
        latency = (clock() - started) * 1000.0
        ranking = rank_by_score(scores)
        labels = tuple(item.candidates[i].label for i in ranking)
        n_positive = sum(1 for label in labels if label > 0)
        first = next((rank for rank, label in enumerate(labels, start=1) if label > 0), None)
        records.append(
            SentenceRecord(
                id=item.id,
                question=item.question,
                scores=tuple(float(s) for s in scores),
                ranking=tuple(ranking),
                ranked_labels=labels,
                n_positive=n_positive,
                average_precision=average_precision(labels) if first is not None else None,
                reciprocal_rank=1.0 / first if first is not None else None,
                top_sentence=item.candidates[ranking[0]].sentence if ranking else "",
                latency_ms=latency,
                correct=bool(labels) and labels[0] > 0,
            )
        )
        _progress("sentences", done, len(items))
    return Result("sentences", summarize_sentences(records), tuple(records))
