"""Did you mean: a question word no indexed article holds, searched as the indexed word closest to it.

"Who won the New Hampsire primary?" is a typo, not a subject the corpus lacks. A word of the
question that no passage holds is compared (with rapidfuzz; a swap of two neighbouring letters is
one edit) with the index's vocabulary, tokens as the index holds them (stemmed, accents folded). A
name (a capitalised word) may be one edit from a token of five to seven letters and two from one of
eight or more; it is only ever replaced by a name ("Sunak" is not "sunk"). Another word is looked
at only when it is not a common English word and its token has seven letters or more, and it may be
one edit away: users' own words are seldom the articles' ("youngsters" is not "younger", "alight"
not "light"), and a misspelt common word still finds its passages by meaning. Of the tokens that
near, the nearest held by at least :data:`MIN_PASSAGES` passages wins (the most passages between
equals), provided some passage holding it also holds another word of the question that is not
common in the index; and the question is searched with the word as the articles print it. No
correction is made while another name of the question stays unknown: such a question is declined
for it. On RealtimeQA 2023's index (6,873 articles) these two conditions keep every one of the 127
unanswerable questions of ``eval/data/unanswerable.jsonl`` declined, as without corrections (one,
"the Gullmoor meteorite", was answered as "Gillmor" before them). Words close to nothing stay
unknown, and the known-terms check declines as before.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

from assistant.records import Correction
from assistant.terms import is_common_word, is_name
from assistant.words import WORD
from index.backend import TermStatistics
from index.fold import fold_accents
from index.lexical import tokenize

__all__ = ["MIN_PASSAGES", "corrected", "max_edits", "spelling_corrections", "without_possessive"]

MIN_PASSAGES = 2
MIN_CONTEXT_IDF = 3.0  # log(20): a word in about 1 passage of 20 or fewer
FEW_PASSAGES = 10
MAX_PASSAGES_LOOKED_AT = 200
_POSSESSIVE = re.compile(r"['’]s$")


def max_edits(token: str, name: bool = True) -> int:
    """How many edits a token of the index may be from ``token`` (of a name, or of another word) to
    be taken for it."""
    if not name:
        return 1 if len(token) >= 7 else 0
    return 0 if len(token) < 5 else 1 if len(token) < 8 else 2


def spelling_corrections(
    words: Sequence[str],
    lexical: TermStatistics,
    passage_texts: Callable[[Sequence[int]], list[str]],
    context: Sequence[str] = (),
) -> list[Correction]:
    """A :class:`Correction` for each of ``words`` (words no indexed passage holds) that is close to
    an indexed word standing in a passage beside one of the ``context`` words (the question's other
    words); ``passage_texts`` gives the texts of chunk ids, where the printed form of the indexed
    word is looked up."""
    out = []
    for word in dict.fromkeys(without_possessive(w) for w in words):
        if not is_name(word) and is_common_word(word):
            continue
        tokens = tokenize([word])[0]
        edits = max_edits(tokens[0], is_name(word)) if len(tokens) == 1 else 0
        beside = _uncommon_context(word, context, lexical) if edits else []
        if not beside:
            continue
        close = [
            (token, distance, lexical.document_frequency(token))
            for token, distance in lexical.close_tokens(tokens[0], edits)
        ]
        close = [c for c in close if c[2] >= MIN_PASSAGES and _beside(c[0], beside, lexical)]
        if not close:
            continue
        token = min(close, key=lambda c: (c[1], -c[2]))[0]
        printed = _printed_form(token, passage_texts(lexical.passages_with(token)))
        if printed is not None and is_name(printed) == is_name(word):
            out.append(Correction(word, printed))
    return out


def _uncommon_context(word: str, context: Sequence[str], lexical: TermStatistics) -> list[str]:
    """The tokens of the words of ``context`` other than ``word`` that the index holds but not
    commonly (BM25 IDF at least :data:`MIN_CONTEXT_IDF`, held by about 1 passage in 20 or fewer, or
    by :data:`FEW_PASSAGES` at most): what a correction of ``word`` must stand beside."""
    others = list(dict.fromkeys(t for w in context if without_possessive(w) != word for t in tokenize([w])[0]))
    if not others:
        return []
    held_by = [lexical.document_frequency(t) for t in others]
    return [t for t, idf, n in zip(others, lexical.idf(others).tolist(), held_by, strict=True)
            if 0 < n and (idf >= MIN_CONTEXT_IDF or n <= FEW_PASSAGES)]


def _beside(token: str, context: Sequence[str], lexical: TermStatistics) -> bool:
    """Whether some passage holding ``token`` also holds one of the ``context`` tokens
    (:func:`_uncommon_context`): "New Hampsire primary" is "New Hampshire" where a passage on the
    primaries says so, while "Tobiah" in a question on a striker is not the "Tobias" of another
    story."""
    return bool(lexical.presence(lexical.passages_with(token, limit=MAX_PASSAGES_LOOKED_AT), list(context)).any())


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
