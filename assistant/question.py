"""A question analysed once: its words, names, dates and years, what it asks for, and how it reads
in a conversation. :meth:`Question.of` computes it; the answer step passes it down rather than
each check re-reading the text (:mod:`assistant.support`, :mod:`assistant.terms`,
:mod:`assistant.api`).
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.chat import Reading, follow_up_reading
from assistant.lexicon import content_terms
from assistant.phrase import phrase_kind
from assistant.signals import answer_type
from assistant.support import asked_words, date_words, event_years, kind_words
from assistant.terms import question_names, question_words

__all__ = ["Question"]


@dataclass(frozen=True)
class Question:
    """What the checks read of a question's text.

    ``words``: its words after the first, function words aside (:func:`assistant.terms.question_words`);
    ``names``: those that name something; ``dates``: the words that give a date, and ``years``
    the years it asks about (none when it speaks of the future; :func:`assistant.support.event_years`);
    ``asks_for``: the kind of answer ("number", "time", "person", "place", "entity", "other");
    ``phrase_kind``: the kind of named thing that answers it, read where its asking begins
    (:func:`assistant.phrase.phrase_kind`; None when no named thing does); ``terms``: its content
    terms (:func:`assistant.lexicon.content_terms`), which an answer phrase must not repeat;
    ``kind_words``: the words that say that kind ("company" in "Which company …");
    ``asked_words``: what it asks a count or an attribute of ("bedrooms" in "How many bedrooms …");
    ``reading``: whether it leans on a conversation ("follow-up", "either", "own").
    """

    text: str
    words: tuple[str, ...]
    names: frozenset[str]
    dates: frozenset[str]
    years: frozenset[int]
    asks_for: str
    phrase_kind: str | None
    terms: frozenset[str]
    kind_words: frozenset[str]
    asked_words: tuple[str, ...]
    reading: Reading

    @classmethod
    def of(cls, text: str) -> Question:
        return cls(
            text=text,
            words=tuple(question_words(text)),
            names=frozenset(question_names(text)),
            dates=frozenset(date_words(text)),
            years=event_years(text),
            asks_for=answer_type(text),
            phrase_kind=phrase_kind(text),
            terms=frozenset(content_terms(text)),
            kind_words=kind_words(text),
            asked_words=asked_words(text),
            reading=follow_up_reading(text),
        )
