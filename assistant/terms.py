"""Which words of a question the known-terms check looks up in the index's vocabulary.

A question about something no indexed article mentions cannot be answered from the articles. Its
names and numbers are always looked up; its other words only when they are rare in English, since a
small corpus may well lack a common word ("cost", "score") that says nothing about its subject,
while lacking "khachapuri" or "quicksort" does. A word is common when it is a whole word of the
English WordPiece vocabulary that ships with the packaged all-MiniLM-L6-v2 (about 22,000 words).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.words import STOP_WORDS, WORD, is_name
from index.fold import fold_accents

if TYPE_CHECKING:
    from assistant.question import Question

__all__ = ["checked_words", "is_common_word", "is_name", "question_names", "question_words"]

@functools.cache
def _function_words() -> frozenset[str]:
    from assistant.lexicon import STOPWORDS

    return frozenset(STOP_WORDS | STOPWORDS)


def question_words(question: str) -> list[str]:
    """The words of ``question`` after the first, in order, without repeats: names, numbers and
    other words alike, but no function words ("did", "many", "this"; capitalised, a word is a name
    and stays). The first word is a question or command word: "Who", "Explain"."""
    words = (w for w in WORD.findall(question)[1:] if is_name(w) or w.lower() not in _function_words())
    return list(dict.fromkeys(words))


@functools.cache
def _common_words() -> frozenset[str]:
    from index.embed import default_model_path

    vocab = json.loads((Path(default_model_path()) / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    return frozenset(w for w in vocab if w.isalpha() and not w.startswith("##"))


def is_common_word(word: str) -> bool:
    """Whether ``word`` (a possessive ``'s`` aside, accents folded: "café") is a common English word."""
    base = re.sub(r"['’]s$", "", fold_accents(word).lower())
    return base in _common_words()


# A word opening a sentence of the question, after any opening quote or bracket.
_OPENER = re.compile(r"(?:^|[.!?:;]\s+)[\"“‘'(\[]*([^\W_][\w'’\-]*)")


def question_names(question: str) -> set[str]:
    """The words of :func:`question_words` that name something (:func:`is_name`). A capitalised
    common word met only where a sentence opens is not one: quiz questions run to several sentences
    ("... this week. True or false?", "... at 84. Finish the title of one of his songs")."""
    starts = {m.start(1) for m in _OPENER.finditer(question)}
    mid_sentence = {m.group(0) for m in WORD.finditer(question) if m.start() not in starts}
    return {
        w
        for w in question_words(question)
        if is_name(w) and (w in mid_sentence or any(ch.isdigit() for ch in w) or not is_common_word(w))
    }


def checked_words(question: Question, names: bool = True, words: bool = True) -> list[str]:
    """The words of ``question`` to look up: its names and numbers when ``names``, its other words
    that are not common English words when ``words``."""
    out = []
    for w in question.words:
        if w in question.names:
            if names:
                out.append(w)
        elif words and not is_common_word(w):
            out.append(w)
    return out
