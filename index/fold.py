"""Accent folding for matching words: "Kīlauea", "Kilauea" and "KĪLAUEA" are one word to search.

Readers type names without their accents ("Erdogan", "Sao Paulo", "Pokemon") as often as articles
print them with ("Erdoğan", "São Paulo", "Pokémon"), and the other way round. Both sides of every
lexical match (the BM25 index and its queries, the sentence scorer's word overlap, the check for
words no article mentions) fold the same way. Only matching sees folded text: quoted sentences and
their offsets are the article's own.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold_accents"]

# Combining marks left by canonical decomposition: diacritics of the Latin, Greek and Cyrillic
# letters (and their supplements). Marks that are part of other scripts' letters are kept.
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")

# Letters that do not decompose but are read as plain ones: "Łódź" is searched as "Lodz".
_LETTERS = str.maketrans(
    {
        "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ħ": "h", "Ħ": "H",
        "ı": "i", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th",
    }
)


def fold_accents(text: str) -> str:
    """``text`` with diacritics removed and compatibility forms made plain (NFKD: "ﬁ" -> "fi",
    full-width letters -> ASCII); the result is for matching only, its length may differ."""
    if text.isascii():
        return text
    plain = _MARKS.sub("", unicodedata.normalize("NFKD", text))
    return unicodedata.normalize("NFC", plain).translate(_LETTERS)
