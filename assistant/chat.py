"""Conversations: follow-up questions resolved against earlier turns, without a generative model.

A follow-up such as "And where did it happen?" says too little to search on. A question leans on
the conversation when it opens with "and"/"what about"/..., or when it names nothing of its own: no
name (a capitalised word after the first), no number. "Where was the tournament played?" and "Who
did she marry?" need the earlier turns; "Who won the 2022 Stanley Cup?" does not. So does a question
whose subject is a personal pronoun right after its question words ("Did he test positive for
COVID-19?", "Why did she leave the BBC?"), names or not. Other pronouns are a poor sign: a
standalone news question often says "its" or "this week", or "Which actor said he would retire?",
where "he" is the actor. The query then carries the earlier subject along: the new question first
and twice (so its own words weigh most in BM25 and lead the embedded text), then the salient words
of the previous query and of the answer's best sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.records import Answer
from assistant.terms import WORD  # a word in any script's letters: "Erdoğan" is one word

__all__ = [
    "STOP_WORDS",
    "Conversation",
    "Turn",
    "content_words",
    "is_follow_up",
    "names_something",
    "question_names",
    "reading_query",
    "resolve",
]


@dataclass(frozen=True)
class Turn:
    question: str
    query: str
    answer: Answer | None


@dataclass
class Conversation:
    """The turns of one chat, oldest first. ``Assistant.ask`` appends to it."""

    turns: list[Turn] = field(default_factory=list)

    def add(self, turn: Turn) -> None:
        self.turns.append(turn)

    def clear(self) -> None:
        self.turns.clear()

    @property
    def last(self) -> Turn | None:
        return self.turns[-1] if self.turns else None


_REFERRING = {
    "he", "she", "it", "they", "him", "her", "them", "his", "hers", "its", "their", "theirs",
    "this", "that", "these", "those", "there", "then", "the same", "such",
}
_OPENERS = ("and ", "but ", "also ", "what about", "how about", "and?", "so ", "then ")
_PRONOUN_SUBJECT = re.compile(  # "Did he …", "When did she …", "How old is he?": he is someone said before
    r"^\W*(?:(?:who|whom|what|when|where|why|which|how(?:\s+(?:many|much|long|old|far|often))?)\s+)?"
    r"(?:did|does|do|is|was|are|were|has|have|had|will|would|can|could|should)\s+(?:he|she|they|him|them)\b",
    re.I,
)
_QUESTION_WORDS = {
    "who", "whom", "whose", "what", "when", "where", "why", "how", "which", "did", "does", "do", "is", "are",
    "was", "were", "will", "would", "can", "could", "has", "have", "had", "many", "much", "long", "about",
}
STOP_WORDS = _QUESTION_WORDS | _REFERRING | {
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "by", "with", "from", "and", "or", "but", "as",
    "be", "been", "being", "it's", "that's", "into", "after", "before", "over", "also", "so", "than", "not",
    "no", "yes", "you", "i", "we", "me", "my", "our", "your", "say", "said", "tell", "happen", "happened",
}


def content_words(text: str) -> list[str]:
    """Words of ``text`` that carry its subject, in order, without repeats (case kept)."""
    seen: set[str] = set()
    out = []
    for w in WORD.findall(text):
        low = w.lower()
        if low in STOP_WORDS or low in seen or len(low) < 2:
            continue
        seen.add(low)
        out.append(w)
    return out


def question_names(question: str) -> list[str]:
    """The names ``question`` gives: its capitalised words other than the first (and "I"), in order."""
    words = WORD.findall(question)
    return [w for w in words[1:] if w[0].isupper() and w != "I"]


def names_something(question: str) -> bool:
    """Whether ``question`` names something of its own: a name (see :func:`question_names`) or a number."""
    return bool(question_names(question)) or any(ch.isdigit() for ch in question)


def is_follow_up(question: str) -> bool:
    """Whether ``question`` leans on earlier turns to be understood."""
    if question.strip().lower().startswith(_OPENERS) or _PRONOUN_SUBJECT.match(question):
        return True
    return not names_something(question) or len(content_words(question)) <= 1


def resolve(question: str, conversation: Conversation | None) -> str:
    """The query to search for ``question`` in ``conversation`` (the question itself when it stands
    alone or when there is nothing earlier to lean on)."""
    last = conversation.last if conversation else None
    if last is None or not is_follow_up(question):
        return question
    own = {w.lower() for w in content_words(question)}
    carried = [w for w in content_words(last.query) if w.lower() not in own]
    if last.answer is not None and last.answer.sentences:
        best = last.answer.sentences[0].text
        capitalised = [w for w in content_words(best) if w[0].isupper() and w.lower() not in own]
        carried += [w for w in capitalised[:6] if w not in carried]
    if not carried:
        return question
    return f"{question} {question} {' '.join(carried)}"


def reading_query(question: str, query: str) -> str:
    """What the reader reads for ``question`` searched as ``query`` (see :func:`resolve`): a follow-up's
    own words once, then those carried from earlier turns; the searched query repeats the question
    only to weigh it in BM25."""
    doubled = f"{question} {question} "
    return f"{question} {query[len(doubled):]}" if query.startswith(doubled) else query
