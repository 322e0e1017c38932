"""Did you mean: a question word no indexed article holds, searched as the indexed word closest to it.

"Who won the New Hampsire primary?" is a typo, not a subject the corpus lacks. A word of the
question that no passage holds, and that is not a common English word, is compared (Levenshtein,
with rapidfuzz) with the index's vocabulary, tokens as the index holds them (stemmed, accents
folded): within one edit for a token of five to seven letters, two from eight, none below five. Of
those, the nearest held by at least :data:`MIN_PASSAGES` passages wins (the most passages between
equals), and the question is searched with the word as the articles print it. A capitalised word
(a name) is only ever replaced by a name: "Sunak" is not "sunk". Words close to nothing stay
unknown, and the known-terms check declines as before.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

from assistant.records import Correction
from assistant.terms import is_common_word, is_name
from assistant.words import WORD
from index.fold import fold_accents
from index.lexical import LexicalIndex, tokenize

__all__ = ["MIN_PASSAGES", "corrected", "max_edits", "spelling_corrections", "without_possessive"]

MIN_PASSAGES = 2
_POSSESSIVE = re.compile(r"['’]s$")


def max_edits(token: str) -> int:
    """How many edits a token of the index may be from ``token`` to be taken for it."""
    return 0 if len(token) < 5 else 1 if len(token) < 8 else 2


def spelling_corrections(
    words: Sequence[str], lexical: LexicalIndex, passage_texts: Callable[[Sequence[int]], list[str]]
) -> list[Correction]:
    """A :class:`Correction` for each of ``words`` (words no indexed passage holds) that is close to
    an indexed word; ``passage_texts`` gives the texts of chunk ids, where the printed form of the
    indexed word is looked up."""
    out = []
    for word in dict.fromkeys(without_possessive(w) for w in words):
        if not is_name(word) and is_common_word(word):
            continue
        tokens = tokenize([word])[0]
        if len(tokens) != 1 or max_edits(tokens[0]) == 0:
            continue
        close = [
            (token, distance, lexical.document_frequency(token))
            for token, distance in lexical.close_tokens(tokens[0], max_edits(tokens[0]))
        ]
        close = [c for c in close if c[2] >= MIN_PASSAGES]
        if not close:
            continue
        token = min(close, key=lambda c: (c[1], -c[2]))[0]
        printed = _printed_form(token, passage_texts(lexical.passages_with(token)))
        if printed is not None and (is_name(printed) or not is_name(word)):
            out.append(Correction(word, printed))
    return out


def _printed_form(token: str, texts: Sequence[str]) -> str | None:
    """The commonest word of ``texts`` that the index reads as ``token``."""
    prefix = token[:3]
    words = [w for t in texts for w in WORD.findall(t) if fold_accents(w).lower().startswith(prefix)]
    if not words:
        return None
    distinct = sorted(set(words))
    matching = {w for w, toks in zip(distinct, tokenize(distinct), strict=True) if toks == [token]}
    counts = Counter(w for w in words if w in matching)
    return counts.most_common(1)[0][0] if counts else None


def without_possessive(word: str) -> str:
    """``word`` without a possessive "'s": "Hampsire's" is "Hampsire"."""
    return _POSSESSIVE.sub("", word)


def corrected(text: str, corrections: Sequence[Correction]) -> str:
    """``text`` with each corrected word (as a whole word, or before a possessive "'s") replaced by
    what it was searched as."""
    for c in corrections:
        text = re.sub(rf"(?<![\w'’\-]){re.escape(c.typed)}(?![\w\-])(?!['’](?!s\b)\w)", c.searched, text)
    return text
