"""What every reader of ``corpus`` shares: how a skip is reported, how an article is assembled, and
how input that is not UTF-8 text is recognised.

``corpus.load`` dispatches each file to one reader (``corpus.tabular``, ``corpus.documents``,
``corpus.feeds``); they all import from here and none imports another, so there is no import circle.
``Skipped`` and ``content_id`` are public through ``corpus.load``.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from corpus.article import Article
from corpus.clean import clean_text, normalize_date, normalize_title

__all__ = [
    "HTML_BLOCKS",
    "HTML_DROP",
    "SNIFF_BYTES",
    "Skipped",
    "article_from_parts",
    "content_id",
    "decoded_lines",
    "not_text_reason",
    "optional_str",
    "skipped",
    "sniff_not_text",
]

logger = logging.getLogger(__name__)

# How much of a file is looked at to tell text from binary.
SNIFF_BYTES = 8192

# Elements whose text is never article text, and the blocks each of which is a paragraph (HTML pages
# and feed items).
HTML_DROP = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template")
HTML_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td")

_BINARY_REASON = "looks like a binary file, not text (it contains NUL bytes)"
_WIDE_TEXT_REASON = "not UTF-8 text: it looks like {0}; re-encode the file as UTF-8 (e.g. iconv -f {0} -t UTF-8)"
# In UTF-16 text of mostly Latin script every other byte is NUL, and the bytes between are not: in
# a binary file NULs fall on both. A few bytes say nothing either way.
_MIN_NUL_SHARE = 0.5
_MAX_OTHER_NUL_SHARE = 0.01
_MIN_WIDE_NULS = 8


@dataclass(frozen=True)
class Skipped:
    """A record or file that was not read, and why.

    ``place`` is ``"path:line"`` for one row of a JSONL/JSON/CSV file (1-based; for CSV the line
    where the record starts) or ``"path"`` for a whole file. ``reason`` says what is wrong in
    words a user can act on, e.g. ``"missing field 'text'"``.
    """

    place: str
    reason: str


def skipped(place: str, reason: str) -> Skipped:
    """A ``Skipped``, logged at DEBUG only: the caller reports it (``newsqa ingest`` lists every skip
    in its report), and a warning as well would show each skip twice."""
    logger.debug("skipped %s: %s", place, reason)
    return Skipped(place=place, reason=reason)


def content_id(title: str | None, text: str) -> str:
    """Stable id from content: ``"sha1-"`` + 16 hex digits of SHA-1 over title and text.

    Both are NFC-normalised, whitespace-collapsed and case-folded first, so the same article
    re-read, re-wrapped or re-cased gets the same id in every run and process.
    """

    def norm(s: str) -> str:
        return " ".join(unicodedata.normalize("NFC", s).split()).casefold()

    payload = f"{norm(title or '')}\n{norm(text)}".encode("utf-8", "surrogatepass")
    return "sha1-" + hashlib.sha1(payload).hexdigest()[:16]


_NULL_STRINGS = frozenset({"", "none", "null", "nan"})


def optional_str(value: object) -> str | None:
    """``value`` as a stripped string, or None for None and the strings that mean nothing ("null")."""
    if value is None:
        return None
    text = (value if isinstance(value, str) else str(value)).strip()
    return None if text.casefold() in _NULL_STRINGS else text


def article_from_parts(
    place: str,
    title: str | None,
    body: str,
    *,
    date: object = None,
    source: object = None,
    url: object = None,
    given_id: object = None,
    extra: tuple[tuple[str, str], ...] = (),
) -> Article | Skipped:
    """An Article from a whole-file format or a feed's item (read at ``place``), or a ``Skipped``
    when its body is empty after cleaning; a body starting with the title loses it."""
    clean_title = normalize_title(title)
    text = clean_text(body)
    if clean_title and text:
        first, _, rest = text.partition("\n\n")
        if first.casefold() == clean_title.casefold():
            text = rest
    if not text:
        return skipped(place, "empty text after cleaning")
    return Article(
        id=optional_str(given_id) or content_id(clean_title, text),
        title=clean_title,
        text=text,
        date=normalize_date(date),
        source=optional_str(source),
        url=optional_str(url),
        extra=extra,
    )


def not_text_reason(head: bytes) -> str:
    """Why a file whose first bytes are ``head`` and which holds NUL bytes is not read: it is UTF-16
    or UTF-32 text (a byte order mark, or NULs on every other byte only), or else a binary file."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE starts both
        return _WIDE_TEXT_REASON.format("UTF-32")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _WIDE_TEXT_REASON.format("UTF-16")
    half = len(head) // 2
    fewer, more = sorted((head[0::2].count(0), head[1::2].count(0)))
    if more >= max(_MIN_WIDE_NULS, _MIN_NUL_SHARE * half) and fewer <= _MAX_OTHER_NUL_SHARE * half:
        return _WIDE_TEXT_REASON.format("UTF-16")
    return _BINARY_REASON


def sniff_not_text(stream: IO[bytes]) -> str | None:
    """Why ``stream`` cannot be read as text (see :func:`not_text_reason`) when its first
    ``SNIFF_BYTES`` hold a NUL byte, else None. Nothing is consumed: the stream must be peekable."""
    peek = getattr(stream, "peek", None)
    head = peek(SNIFF_BYTES)[:SNIFF_BYTES] if peek else b""
    return not_text_reason(head) if b"\x00" in head else None


def decoded_lines(stream: IO[bytes]) -> Iterator[str]:
    """Lines decoded as UTF-8, undecodable bytes kept as lone surrogates (U+DC80-U+DCFF) so each
    line can be judged on its own; the BOM of the first line is dropped."""
    for number, raw in enumerate(stream):
        line = raw.decode("utf-8", "surrogateescape")
        yield line.lstrip("\ufeff") if number == 0 else line
