"""Extractive answers: the best sentences of the retrieved passages, quoted verbatim and cited."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from assistant.records import Answer, AnswerSentence, Citation, Hit
from assistant.sentences import Span, split_sentences, without_speaker

__all__ = [
    "Candidate",
    "SentenceScoring",
    "abstention_notes",
    "answer_notes",
    "answered_in_turn",
    "build_answer",
    "candidates",
    "corrections_note",
    "follow_up_note",
    "near_duplicate_key",
    "uncovered_terms_note",
    "unreported_years_note",
    "unknown_terms_note",
]


class SentenceScoring(Protocol):
    """Scores candidate sentences for a question: shape ``(len(sentences),)``, in [0, 1], higher is
    better. ``passage_scores`` and ``titles`` (one per sentence: its passage's retrieval score, its
    article's title) are context a scorer may read or ignore."""

    def score(
        self,
        question: str,
        sentences: Sequence[str],
        *,
        passage_scores: Sequence[float] | None = None,
        titles: Sequence[str] | None = None,
    ) -> np.ndarray: ...


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage; ``span`` offsets are into the article's text."""

    span: Span
    hit: Hit
    passage_rank: int  # 0 for the best passage

    @property
    def asks(self) -> bool:
        """Whether the sentence is itself a question: an interviewer's ("Why do you plan to make
        Melbourne the capital?"), an explainer's ("What is the new sandwich made of?"), a quiz's.
        It states nothing, whatever words it shares with the question, so it is never quoted (see
        :func:`answered_in_turn`); it stays among the candidates, whose set the scorer's features
        are relative to."""
        return _ASKS.search(self.span.sentence) is not None


_MIN_WORDS = 4
_ASKS = re.compile(r"\?[\"'”’»)\]]*\s*$")
# At most this many characters between a question and the sentence replying to it, besides an
# interview's speaker label ("((Dorsa Derakhshani))", no part of the reply: see split_sentences).
_REPLY_GAP = 20


def candidates(hits: Sequence[Hit]) -> list[Candidate]:
    """Sentences of ``hits`` in passage order; a sentence seen in an earlier (overlapping) passage of
    the same article is kept once, under the best-ranked passage. Fragments under four words —
    bylines, captions, headings — are not answers on their own."""
    seen: set[tuple[str, int]] = set()
    out: list[Candidate] = []
    for rank, hit in enumerate(hits):
        for span in split_sentences(hit.text, offset=hit.start):
            key = (hit.article_id, span.start)
            if key in seen or len(span.sentence.split()) < _MIN_WORDS:
                continue
            seen.add(key)
            out.append(Candidate(span, hit, rank))
    return out


def answered_in_turn(found: Sequence[Candidate], values: np.ndarray) -> np.ndarray:
    """``values`` with each asking sentence's value lent to the sentence right after it in its
    article, when that is a candidate too and scores lower: interviews, explainers and FAQs answer a
    question in the next sentence ("What is it made of? The sandwich swaps chicken for
    cauliflower."). Only a few characters may lie between them (an interview's "((WSS))" label)."""
    return _lent(values, _replies(found))


def _replies(found: Sequence[Candidate]) -> list[tuple[int, int]]:
    """(asking sentence, the candidate replying to it) pairs of :func:`answered_in_turn`."""
    asking = [i for i, c in enumerate(found) if c.asks]
    if not asking:
        return []
    starts: dict[str, list[tuple[int, int]]] = {}
    for j, c in enumerate(found):
        if not c.asks:
            starts.setdefault(c.hit.article_id, []).append((c.span.start, j))
    for spans in starts.values():
        spans.sort()
    pairs = []
    for i in asking:
        q = found[i]
        after = [(start, j) for start, j in starts.get(q.hit.article_id, ()) if start >= q.span.end]
        if after and _gap(q, found[after[0][1]]) <= _REPLY_GAP:
            pairs.append((i, after[0][1]))
    return pairs


def _gap(first: Candidate, then: Candidate) -> int:
    """Characters between two sentences of one article, not counting a speaker's label."""
    gap = then.span.start - first.span.end
    hit = then.hit
    if hit.start <= first.span.end and then.span.start <= hit.end:
        gap = len(without_speaker(hit.text[first.span.end - hit.start : then.span.start - hit.start]))
    return gap


def _lent(values: np.ndarray, replies: Sequence[tuple[int, int]]) -> np.ndarray:
    out = np.array(values, copy=True)
    for i, j in replies:
        out[j] = max(out[j], out[i])
    return out


_NON_WORD = re.compile(r"[\W_]+")


def near_duplicate_key(sentence: str) -> str:
    """Sentences equal after lower-casing and dropping punctuation and spacing count as one: the same
    wire sentence run by several outlets."""
    return _NON_WORD.sub(" ", sentence.lower()).strip()


def _citation(c: Candidate) -> Citation:
    h = c.hit
    return Citation(h.article_id, h.title, h.source, h.date, h.url, c.span.sentence, c.span.start, c.span.end)


def build_answer(
    question: str,
    query: str,
    found: Sequence[Candidate],
    scores: np.ndarray,
    hits: Sequence[Hit],
    max_sentences: int,
    min_confidence: float,
    follow_scores: np.ndarray | None = None,
    order_scores: np.ndarray | None = None,
    may_quote: Sequence[bool] | None = None,
    min_later: float = 0.0,
    pooled: bool = False,
) -> Answer:
    """The best ``max_sentences`` sentences by score, questions aside (their scores go to the
    sentences replying to them: :func:`answered_in_turn`), near-duplicates merged (the merged ones
    become ``also_reported_by``). Below ``min_confidence`` for the best sentence, the answer
    abstains. ``order_scores``, when given, orders the sentences instead of ``scores``, the best
    one being the first of that order whose own score reaches ``min_confidence`` (so whether the
    answer abstains is the same either way); ``follow_scores`` orders those after the best one.
    Each sentence's score, and the confidence (the best sentence's), come from ``scores``.
    ``may_quote``, when given, says which sentences may be quoted at all: the others are scored
    but never shown, as questions are. A sentence after the best one is quoted only when its score
    reaches ``min_later``. ``pooled``: the confidence is the best score of all the sentences that may
    be quoted, and the best sentence is the first of ``order_scores`` outright (a reader that
    orders the sentences while the scorer says whether any answers)."""

    quotable = [i for i, c in enumerate(found) if not c.asks and (may_quote is None or may_quote[i])]

    def by(values: np.ndarray) -> list[int]:
        return sorted(quotable, key=lambda i: (-float(values[i]), found[i].passage_rank, found[i].span.start))

    replies = _replies(found)
    scores = _lent(scores, replies)
    follow_scores = None if follow_scores is None else _lent(follow_scores, replies)
    order_scores = None if order_scores is None else _lent(order_scores, replies)

    order = by(scores)
    best_score = float(scores[order[0]]) if order else 0.0
    if order_scores is not None and order:
        ordered = by(order_scores)
        best = ordered[0] if pooled else next((i for i in ordered if scores[i] >= min_confidence), order[0])
        order = [best, *(i for i in ordered if i != best)]
    if follow_scores is not None and order:
        order = [order[0], *(i for i in by(follow_scores) if i != order[0])]
    groups: dict[str, list[int]] = {}
    for i in order:
        groups.setdefault(near_duplicate_key(found[i].span.sentence), []).append(i)
    picked: list[AnswerSentence] = []
    used: set[str] = set()
    for i in order:
        key = near_duplicate_key(found[i].span.sentence)
        if key in used or (picked and scores[i] < min_later):
            continue
        used.add(key)
        others = tuple(
            _citation(found[j]) for j in groups[key][1:] if found[j].hit.article_id != found[i].hit.article_id
        )
        picked.append(AnswerSentence(found[i].span.sentence, _citation(found[i]), float(scores[i]), others))
        if len(picked) == max_sentences:
            break
    confidence = (best_score if pooled else picked[0].score) if picked else 0.0
    is_answer = bool(picked) and confidence >= min_confidence
    return Answer(
        question=question,
        query=query,
        sentences=tuple(picked) if is_answer else (),
        confidence=confidence,
        is_answer=is_answer,
        searched=tuple(hits),
    )


def unknown_terms_note(terms: Sequence[str]) -> str:
    """The sentence telling the user which names of the question no indexed article contains."""
    return "No indexed article mentions " + ", ".join(f"“{t}”" for t in terms) + "."


def uncovered_terms_note(terms: Sequence[str]) -> str:
    """The sentence telling the user what of the question the closest article does not mention."""
    return "The closest article found does not mention " + ", ".join(f"“{t}”" for t in terms) + "."


def unreported_years_note(years: Sequence[str]) -> str:
    """The sentence telling the user that the articles found predate the year the question asks about."""
    return (
        "No sentence found reports on " + ", ".join(f"“{y}”" for y in years)
        + ": the articles it could come from were published before."
    )


def abstention_notes(answer: Answer) -> list[str]:
    """Why an answer abstained, as sentences for the user (none when the reason is low confidence)."""
    notes = []
    if answer.unknown_terms:
        notes.append(unknown_terms_note(answer.unknown_terms))
    if answer.uncovered_terms:
        notes.append(uncovered_terms_note(answer.uncovered_terms))
    if answer.unreported_years:
        notes.append(unreported_years_note(answer.unreported_years))
    return notes


def corrections_note(answer: Answer) -> str | None:
    """The misspellings searched as indexed words ("Searched for 'Hampshire' (no article holds
    'Hampsire')."), or None."""
    if not answer.corrections:
        return None
    searched = ", ".join(f"'{c.searched}'" for c in answer.corrections)
    typed = ", ".join(f"'{c.typed}'" for c in answer.corrections)
    return f"Searched for {searched} (no article holds {typed})."


def follow_up_note(answer: Answer) -> str | None:
    """The earlier question a follow-up was read with, or None when it was read on its own."""
    if answer.follow_up_to is None:
        return None
    return f"Read as a follow-up to “{answer.follow_up_to}”."


def answer_notes(answer: Answer) -> list[str]:
    """Everything every interface says under an answer, as sentences: the words corrected, the
    earlier question a follow-up leaned on, why it abstained, and the filters it was asked with."""
    from assistant.filters import filter_notes

    notes = [n for n in (corrections_note(answer), follow_up_note(answer)) if n]
    return notes + abstention_notes(answer) + filter_notes(answer.filters)
