"""Conversations: follow-up questions resolved against earlier turns, without a generative model.

A follow-up such as "And where did it happen?" says too little to search on. A question leans on
the conversation when it opens with "and"/"what about"/..., when its subject is a personal pronoun
right after its question words ("Did he test positive?", "Which team did she play for?"), or when it
names nothing of its own (no name, no number) and says little: up to six words that carry a subject
with a personal pronoun or "there" ("How many people died there?"). A question of at most four such
words that points back at nothing ("Where was the tournament played?", "What caught fire?") may go
either way: ``Assistant.ask`` keeps its follow-up reading when that quotes the story the
conversation was on (an article the last turn quoted or found closest: a story is often told by
several articles), and otherwise reads it on its own if that finds an answer ("What caught fire?"
after a question on the WHO). Keeping whichever reading was more confident instead picked the
wrong one 4 times of 5 on the demo's conversations.

A question that names nothing but spells out its subject ("Which country saw its prime minister
resign this week?") stands on its own: news quizzes and users who change the subject ask that way,
and reading them as follow-ups dragged the old topic into their search. On the topic shifts of
``scripts/topic_shift.py`` (RealtimeQA 2022 and 2023, 568 conversations), 1 second question may be
read as a follow-up (88 before); of the conversations' follow-ups, 83 of 89 (2022), 70 of 79 (2023)
and 36 of 36 (demo) may.

The query of a follow-up is the question, then the words that carry the earlier subject: those of
the previous query, in order, then up to :data:`ANSWER_NAMES` names of the previous answer's best
sentence, at most :data:`MAX_CARRIED` in all, none the question says itself. The question is never
repeated (the scorer weighs its own words apart, see ``Assistant.ask``), and a chain of follow-ups
carries no more than one question does. Measured on the 2022 conversations (over an index of their
264 articles and 700 others of 2022) and the demo's, against the query that repeated the question
and carried every earlier word (follow-up answer@3 0.652 and 0.222): at most 24 words keep 0.652
and 0.222 (answer@1 0.371 -> 0.449 on 2022); 16 give 0.629, 12 give 0.618, as the last words
carried are often the answer's names ("Gronkowski"); carrying names first, or only 8 words, dropped
the subject's common nouns ("dive boat", "hours") and the demo's answer@3 to 0.167.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from assistant.records import Answer, Filters
from assistant.words import REFERRING, WORD, content_words, is_name, names_something

__all__ = [
    "ANSWER_NAMES", "MAX_CARRIED", "Conversation", "Reading", "Turn", "carried_words", "follow_up_reading",
    "is_follow_up", "resolve",
]

MAX_CARRIED = 24  # words of the earlier subject a follow-up's query carries (see the module's docstring)
ANSWER_NAMES = 4  # of them, names from the previous answer's best sentence
_SHORT = 4  # a question naming nothing with at most this many subject words leans on the conversation
_SHORT_REFERRING = 6  # ... or with at most this many and a personal pronoun or "there"


@dataclass(frozen=True)
class Turn:
    """One question of a conversation: as asked, as searched, its answer (None if answering failed)
    and the filters it was asked with."""

    question: str
    query: str
    answer: Answer | None
    filters: Filters = field(default_factory=Filters)


@dataclass
class Conversation:
    """The turns of one chat, oldest first. ``Assistant.ask`` appends to it."""

    turns: list[Turn] = field(default_factory=list)

    def add(self, turn: Turn) -> None:
        self.turns.append(turn)

    def clear(self) -> None:
        self.turns.clear()

    def pop(self) -> Turn | None:
        """Take back the last turn (to ask its question again another way); None when there is none."""
        return self.turns.pop() if self.turns else None

    @property
    def last(self) -> Turn | None:
        return self.turns[-1] if self.turns else None


_OPENERS = ("and ", "but ", "also ", "what about", "how about", "and?", "so ", "then ")
_PRONOUN_SUBJECT = re.compile(  # "Did he …", "When did she …", "Which team did he …": someone said before
    r"^\W*(?:(?:who|whom|what|when|where|why|which|whose|how(?:\s+(?:many|much|long|old|far|often))?)"
    r"(?:\s+[^\W\d_][\w'’\-]*){0,2}\s+)?"
    r"(?:did|does|do|is|was|are|were|has|have|had|will|would|can|could|should)\s+(?:he|she|they|him|them)\b",
    re.I,
)
_PERSONAL = (REFERRING - {"it", "its", "this", "that", "these", "those", "the same", "such"})


Reading = Literal["follow-up", "either", "own"]


def follow_up_reading(question: str) -> Reading:
    """How ``question`` reads in a conversation (see the module's docstring): surely a follow-up
    (an opener, a pronoun as its subject, a personal pronoun or "there" in a short question, or a
    single word of its own), ``"either"`` (short and naming nothing, but pointing back at nothing:
    "What caught fire?" may ask about the story before or about any fire), or on its own."""
    if question.strip().lower().startswith(_OPENERS) or _PRONOUN_SUBJECT.match(question):
        return "follow-up"
    words = content_words(question)
    if names_something(question):
        return "follow-up" if len(words) <= 1 else "own"
    personal = any(w.lower() in _PERSONAL for w in WORD.findall(question))
    if personal and len(words) <= _SHORT_REFERRING or len(words) <= 1:
        return "follow-up"
    return "either" if len(words) <= _SHORT else "own"


def is_follow_up(question: str) -> bool:
    """Whether ``question`` may lean on earlier turns to be understood (see :func:`follow_up_reading`)."""
    return follow_up_reading(question) != "own"


def carried_words(question: str, last: Turn) -> list[str]:
    """The words of ``last``'s subject a follow-up ``question`` needs: the previous query's, in
    order, then names of its answer's best sentence; none the question says itself; at most
    :data:`MAX_CARRIED`."""
    own = {w.lower() for w in content_words(question)}
    earlier = [w for w in content_words(last.query) if w.lower() not in own]
    seen = own | {w.lower() for w in earlier}
    best = last.answer.sentences[0].text if last.answer is not None and last.answer.sentences else ""
    names = [w for w in content_words(best) if is_name(w) and w.lower() not in seen]
    return (earlier + names[:ANSWER_NAMES])[:MAX_CARRIED]


def resolve(question: str, conversation: Conversation | None, follow_up: bool | None = None) -> str:
    """The query to search for ``question`` in ``conversation``: the question itself when it stands
    alone (``follow_up`` False, or None and :func:`is_follow_up` says so) or when there is nothing
    earlier to lean on; else the question and the words it carries (:func:`carried_words`)."""
    last = conversation.last if conversation else None
    leans = is_follow_up(question) if follow_up is None else follow_up
    if last is None or not leans:
        return question
    carried = carried_words(question, last)
    return f"{question} {' '.join(carried)}" if carried else question
