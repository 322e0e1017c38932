"""The words of a question: what a word is, which words say nothing of a subject, and which name one.

Shared by the follow-up rules (:mod:`assistant.chat`) and the known-terms check
(:mod:`assistant.terms`), so both read a question the same way.
"""

from __future__ import annotations

import re

__all__ = ["REFERRING", "STOP_WORDS", "WORD", "capitalised_words", "content_words", "is_name", "names_something"]

WORD = re.compile(r"[^\W_][\w'’\-]*")  # a word in any script's letters: "Beyoncé", "Zelenskyy", "Erdoğan"

REFERRING = frozenset({
    "he", "she", "it", "they", "him", "her", "them", "his", "hers", "its", "their", "theirs",
    "this", "that", "these", "those", "there", "then", "the same", "such",
})
QUESTION_WORDS = frozenset({
    "who", "whom", "whose", "what", "when", "where", "why", "how", "which", "did", "does", "do", "is", "are",
    "was", "were", "will", "would", "can", "could", "has", "have", "had", "many", "much", "long", "about",
})
STOP_WORDS = QUESTION_WORDS | REFERRING | {
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


def is_name(word: str) -> bool:
    """Whether ``word`` names something: it is capitalised or holds a digit ("Kyiv", "2025", "X9")."""
    return word[:1].isupper() or any(ch.isdigit() for ch in word)


def capitalised_words(question: str) -> list[str]:
    """The capitalised words of ``question`` other than the first (and "I"), in order: the names it
    gives, as the follow-up rules read them (:func:`assistant.terms.question_names` also weighs how
    common a word is, for the known-terms check)."""
    words = WORD.findall(question)
    return [w for w in words[1:] if w[0].isupper() and w != "I"]


def names_something(question: str) -> bool:
    """Whether ``question`` names something of its own: a name (see :func:`capitalised_words`) or a number."""
    return bool(capitalised_words(question)) or any(ch.isdigit() for ch in question)
