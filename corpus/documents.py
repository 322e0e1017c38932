"""Whole-file documents read as one article each: plain text, Markdown and HTML pages.

- ``.txt``: first non-empty line is the title, the rest is the body.
- ``.md``/``.markdown``: optional ``---`` front matter, a leading ``# Heading`` as the title,
  markdown syntax reduced to its text.
- ``.html``/``.htm``: main text and metadata extracted with trafilatura (plain lxml where it finds
  no main text).

A file with a few bytes that are not UTF-8 is read with them replaced (U+FFFD); a file with more, or
with NUL bytes, is a ``Skipped``. ``corpus.load`` chooses these readers by suffix.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from corpus.article import Article
from corpus.clean import normalize_title
from corpus.reading import HTML_BLOCKS, HTML_DROP, SNIFF_BYTES, Skipped, article_from_parts, not_text_reason, skipped

__all__ = ["read_html", "read_md", "read_txt"]

logger = logging.getLogger(__name__)

# .txt/.md may contain a few stray bytes (replaced with U+FFFD); more than this share means the
# file is not text in UTF-8 at all.
_MAX_BAD_BYTE_SHARE = 0.01
# A first line this long is a paragraph, not a title.
_MAX_TITLE_WORDS = 40


def _decode_text_file(path: Path, data: bytes) -> str | Skipped:
    """UTF-8 text with a few bad bytes replaced; a Skipped for binary or non-UTF-8 files."""
    if b"\x00" in data:
        return skipped(str(path), not_text_reason(data[:SNIFF_BYTES]))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8-sig", "replace")
    bad = text.count("\ufffd") - data.decode("utf-8-sig", "ignore").count("\ufffd")
    if bad > _MAX_BAD_BYTE_SHARE * max(len(text), 1):
        return skipped(str(path), f"not UTF-8 text (binary file?): {bad} bytes cannot be decoded as UTF-8")
    logger.warning("%s: replaced %d bytes that are not UTF-8 with U+FFFD", path, bad)
    return text


# --- plain text ----------------------------------------------------------------------------------


def read_txt(path: Path, stream: IO[bytes]) -> Iterator[Article | Skipped]:
    """The first line is the title when a body follows it and it is not a paragraph itself."""
    decoded = _decode_text_file(path, stream.read())
    if isinstance(decoded, Skipped):
        yield decoded
        return
    if not decoded.strip():
        return
    first, _, rest = decoded.lstrip().partition("\n")
    if len(first.split()) > _MAX_TITLE_WORDS or not rest.strip():
        yield article_from_parts(str(path), None, decoded)
    else:
        yield article_from_parts(str(path), first, rest)


# --- Markdown ------------------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_MATTER_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_MD_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_MD_QUOTE = re.compile(r"^\s{0,3}(?:>\s?)+")
_MD_RULE = re.compile(r"^\s{0,3}(?:[-*_]\s*){3,}$")
_MD_FENCE = re.compile(r"^\s{0,3}(?:```|~~~)")
_MD_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+")
_MD_INLINE = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), ""),  # images: alt text is rarely prose
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # [text](url)
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # [text][ref]
    (re.compile(r"<(https?://[^>\s]+)>"), r"\1"),  # <https://...>
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # **strong**, __strong__
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"\1"),  # ~~strike~~
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),  # *em*
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),  # _em_, not snake_case
    (re.compile(r"`([^`]+)`"), r"\1"),  # `code`
)
_MD_TITLE = re.compile(r"\s{0,3}#\s+(.*?)\s*#*\s*(?:\n|\Z)")


def _markdown_inline(text: str) -> str:
    for pattern, replacement in _MD_INLINE:
        text = pattern.sub(replacement, text)
    return text


def _markdown_to_text(markdown: str) -> str:
    """Reduce markdown to paragraphs of readable text.

    Lines of one markdown paragraph are soft-wrapped and are joined with spaces; headings and
    list items start their own paragraphs. Emphasis, links and code marks go and their words
    stay; images, rules, fences and link definitions go entirely.
    """
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            paragraphs.append(_markdown_inline(" ".join(current)))
            current.clear()

    for raw_line in markdown.split("\n"):
        line = _MD_QUOTE.sub("", raw_line)
        if not line.strip() or _MD_RULE.match(line) or _MD_FENCE.match(line) or _MD_REF_DEF.match(line):
            flush()
            continue
        heading = _MD_HEADING.match(line)
        if heading:
            flush()
            paragraphs.append(_markdown_inline(heading[1]))
            continue
        item = _MD_ITEM.match(line)
        if item:
            flush()
            line = line[item.end() :]
        current.append(line.strip())
    flush()
    return "\n\n".join(paragraphs)


def read_md(path: Path, stream: IO[bytes]) -> Iterator[Article | Skipped]:
    """Front matter (``title``, ``date``, ``source``, ``url``, ``id``), then a leading ``# Heading`` as
    the title unless the front matter names another."""
    decoded = _decode_text_file(path, stream.read())
    if isinstance(decoded, Skipped):
        yield decoded
        return
    text = decoded.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return
    meta: dict[str, str] = {}
    front = _FRONT_MATTER.match(text)
    if front:
        for line in front[1].split("\n"):
            match = _FRONT_MATTER_LINE.match(line)
            if match:
                meta[match[1].lower()] = match[2].strip("'\"")
        text = text[front.end() :]
    title: str | None = meta.get("title")
    body = text.lstrip("\n")
    heading = _MD_TITLE.match(body)
    if heading:
        heading_text = _markdown_inline(heading[1]).strip()
        if title is None or normalize_title(title) == normalize_title(heading_text):
            title = heading_text
            body = body[heading.end() :]
    yield article_from_parts(
        str(path),
        title,
        _markdown_to_text(body),
        date=meta.get("date"),
        source=meta.get("source"),
        url=meta.get("url"),
        given_id=meta.get("id"),
    )


# --- HTML ----------------------------------------------------------------------------------------


def _html_fallback(data: bytes) -> tuple[str | None, str]:
    """Title and block texts with plain lxml, for pages trafilatura finds no main text in."""
    import lxml.etree
    import lxml.html

    try:
        tree = lxml.html.fromstring(data)
    except (lxml.etree.ParserError, ValueError):
        return None, ""
    title_el = tree.find(".//title")
    title = title_el.text_content() if title_el is not None else None
    for element in list(tree.iter(*HTML_DROP)):
        element.drop_tree()
    blocks = [el.text_content() for el in tree.iter(*HTML_BLOCKS)]
    if not any(b.strip() for b in blocks):
        body = tree.find(".//body")
        blocks = [(body if body is not None else tree).text_content()]
    return title, "\n\n".join(b.strip() for b in blocks)


def read_html(path: Path, stream: IO[bytes]) -> Iterator[Article | Skipped]:
    """The page's main text, title, date and site name, as trafilatura extracts them."""
    import trafilatura  # imported here: it is slow to import and only HTML needs it

    data = stream.read()
    if not data.strip():
        return
    head = data[:SNIFF_BYTES]
    if b"\x00" in head:
        yield skipped(str(path), not_text_reason(head))
        return
    try:
        doc = trafilatura.bare_extraction(data, with_metadata=True, include_comments=False, include_tables=True)
    except Exception as exc:  # noqa: BLE001 - a third-party parser on untrusted input
        yield skipped(str(path), f"HTML extraction failed: {type(exc).__name__}: {exc}")
        return
    text = getattr(doc, "text", None) or ""
    title = getattr(doc, "title", None)
    if not text.strip():
        fallback_title, text = _html_fallback(data)
        title = title or fallback_title
    else:
        # trafilatura puts one block per line; make each a paragraph.
        text = text.replace("\n", "\n\n")
    yield article_from_parts(
        str(path),
        title,
        text,
        date=getattr(doc, "date", None),
        source=getattr(doc, "sitename", None),
        url=getattr(doc, "url", None),
    )
