"""What a question asks for and what a sentence adds to it: the answer type a question's wording
asks for (by regex), and the names, numbers and dates a sentence holds that the question lacks."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.lexicon import STOPWORDS, content_terms, stem_word

__all__ = ["ANSWER_TYPES", "SentenceSignals", "answer_type", "sentence_signals"]

ANSWER_TYPES = ("person", "place", "time", "number", "entity", "other")

_TYPE_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), t)
    for p, t in (
        (
            r"\bhow (many|much|long|old|far|big|tall|large|high|often)\b"
            r"|\bwhat (percent|percentage|number|amount|age)\b",
            "number",
        ),
        (r"\bwhen\b|\bwhat (year|date|day|month|time|decade|century)\b|\bwhich (year|date|day|month)\b", "time"),
        (
            r"\bwho(m|se)?\b|\bwhat (person|man|woman|actor|actress|singer|player|president|leader|company|author)\b",
            "person",
        ),
        (
            r"\bwhere\b"
            r"|\b(what|which) (country|city|state|nation|place|town|island|continent|region|county|province|capital)\b",
            "place",
        ),
        (r"\b(what|which) [a-z]+\b|\bname\b|:\s*$|\b(called|named|known as)\b", "entity"),
    )
)


def answer_type(question: str) -> str:
    """The coarse type of answer a question asks for, one of :data:`ANSWER_TYPES`, by regex."""
    for pattern, kind in _TYPE_RULES:
        if pattern.search(question):
            return kind
    return "other"


_MONTHS = (
    r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t|tember)?|oct(ober)?|nov(ember)?"
    r"|dec(ember)?"
)
_DATE = re.compile(
    rf"\b(1[5-9]\d\d|20\d\d)s?\b|\b({_MONTHS})\.? \d{{1,2}}\b"
    r"|\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.I,
)
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundred|thousand|million|billion|trillion|dozen|half)\b",
    re.I,
)
_NUMBER_TOKEN = re.compile(r"\d[\d,.]*|" + _NUMBER.pattern.split("|", 1)[1], re.I)
_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z'’.-]*[A-Za-z]")


@dataclass(frozen=True)
class SentenceSignals:
    """What a sentence adds beyond the question's words."""

    new_capitalised: int  # capitalised words (not sentence-initial) whose stems the question lacks
    new_number: bool  # a number (digits or a number word) the question does not contain
    has_date: bool  # a year, "Month day" or weekday
    new_terms: int  # content terms not in the question
    names: frozenset[str] = frozenset()  # stems of those new capitalised words: candidate answers
    numbers: frozenset[str] = frozenset()  # those new numbers, as written (lower-cased)


def sentence_signals(
    sentence: str, question_terms: frozenset[str], terms: Sequence[str] | None = None
) -> SentenceSignals:
    """``terms``: the sentence's :func:`content_terms`, when already computed."""
    stem = stem_word()
    names: set[str] = set()
    new_caps = 0
    for m in _CAPITALISED.finditer(sentence):
        if m.start() == 0:
            continue
        word = m.group(0).lower().replace("’", "'").partition("'")[0].strip(".-")
        if word and word not in STOPWORDS:
            stemmed = stem(word)
            if stemmed not in question_terms:
                new_caps += 1
                names.add(stemmed)
    numbers: set[str] = set()
    for m in _NUMBER_TOKEN.finditer(sentence):
        token = m.group(0).lower().rstrip(",.")
        if token and token not in question_terms and stem(token) not in question_terms:
            numbers.add(token)
    if terms is None:
        terms = content_terms(sentence)
    return SentenceSignals(
        new_capitalised=new_caps,
        new_number=bool(numbers),
        has_date=bool(_DATE.search(sentence)),
        new_terms=sum(1 for t in terms if t not in question_terms),
        names=frozenset(names),
        numbers=frozenset(numbers),
    )
