"""News and wire feeds read as articles: RSS 2.0, RSS 1.0 (RDF), Atom, IPTC NewsML-G2 and NITF.

:func:`read_feed` streams a feed with lxml and yields an ``Article`` for each item (entry, newsItem)
with text, and a :class:`~corpus.reading.Skipped` at its line for each without; a syntax error ends
the file with a ``Skipped`` at its line, the items before it kept. Nothing is resolved or fetched:
no entities, no DTDs, no network, since the feed is untrusted. ``corpus.load`` reads ``.rss``,
``.atom`` and ``.xml`` files (``.gz`` too) through it.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import lxml.etree
import lxml.html

from corpus.article import Article
from corpus.clean import normalize_title
from corpus.reading import HTML_BLOCKS, HTML_DROP, Skipped, article_from_parts, skipped, sniff_not_text

__all__ = ["read_feed"]

_CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
# root element -> the element that is one article: RSS 2.0, RSS 1.0, Atom, the IPTC's NewsML-G2 (a
# wire service's newsMessage of newsItems, or one newsItem) and NITF (one article a file, as news
# archives such as The New York Times Annotated Corpus keep them)
_FEED_ITEMS = {
    "rss": "item", "RDF": "item", "feed": "entry", "newsMessage": "newsItem", "newsItem": "newsItem", "nitf": "nitf",
}


def _local(tag: object) -> str:
    """An element's name without its namespace ("{http://www.w3.org/2005/Atom}entry" -> "entry")."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _text_of(element: Any) -> str:
    """All the text inside ``element``. Entity references are left out: they are not resolved,
    so that a feed can neither read local files nor expand into gigabytes."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):  # an element, not an entity reference
            parts.append(_text_of(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _child_text(item: Any, *names: str) -> str | None:
    """The text of ``item``'s first child named one of ``names`` (local names, in that order of
    preference), or None (also when ``item`` is None)."""
    if item is None:
        return None
    for name in names:
        for child in item:
            if _local(child.tag) == name and (text := _text_of(child).strip()):
                return text
    return None


def _atom_link(item: Any) -> str | None:
    """An Atom entry's link to the article: ``rel="alternate"`` (the default) with an ``href``."""
    for child in item:
        if _local(child.tag) == "link" and child.get("href") and child.get("rel", "alternate") == "alternate":
            return str(child.get("href")).strip()
    return None


def _item_source(item: Any) -> str | None:
    """The outlet an item names as its own (RSS ``<source>``, Atom ``<source><title>``): a wire or
    aggregator feed runs other outlets' stories."""
    for child in item:
        if _local(child.tag) == "source":
            return _child_text(child, "title") if len(child) else _text_of(child).strip() or None
    return None


def _item_author(item: Any) -> str | None:
    """An item's author: ``dc:creator``, RSS ``author`` (an address), or an Atom author's ``name``."""
    author = _child(item, "author")
    if author is not None and len(author):
        return _child_text(author, "name")
    return _child_text(item, "creator", "author")


def _item_body(item: Any) -> str:
    """An item's text: its full content (``content:encoded``, Atom ``content``) where the feed
    carries it, else its summary (``description``, ``summary``); HTML reduced to its text."""
    def body_of(child: Any) -> str:
        # RSS carries (escaped) HTML; Atom says which: "text" (its default), "html" or "xhtml".
        kind = child.get("type", "text") if _local(child.tag) in ("content", "summary") else "html"
        if kind == "xhtml":
            return _html_fragment_text(_inner_xml(child))
        if "html" in kind:
            return _html_fragment_text(_text_of(child))
        return _text_of(child)

    found: dict[str, Any] = {}
    for child in item:
        name = _local(child.tag)
        if name == "encoded" and child.tag != _CONTENT_ENCODED:
            continue
        found.setdefault(name, child)
    for name in ("encoded", "content", "description", "summary"):
        if name in found and (body := body_of(found[name])).strip():
            return body
    return ""


def _inner_xml(element: Any) -> str:
    """What ``element`` holds, as markup: inline XHTML to read as HTML."""
    return html.escape(element.text or "") + "".join(lxml.etree.tostring(c, encoding="unicode") for c in element)


def _child(element: Any, name: str) -> Any:
    """``element``'s first child of local name ``name``, or None (also when ``element`` is None)."""
    return None if element is None else next((c for c in element if _local(c.tag) == name), None)


def _g2_item(path: Path, item: Any) -> Article | Skipped:
    """A NewsML-G2 ``newsItem``: its text from ``contentSet`` (inline XHTML or text, else the
    summary in ``contentMeta``), headline, creation date, credit line or provider, and guid."""
    place = f"{path}:{item.sourceline}"
    meta, content = _child(item, "itemMeta"), _child(item, "contentMeta")
    body = ""
    parts = _child(item, "contentSet")
    for part in parts if parts is not None else ():
        if _local(part.tag) == "inlineXML":
            html_body = _descendant(part, "body")
            body = _html_fragment_text(_inner_xml(part if html_body is None else html_body))
        elif _local(part.tag) == "inlineData":
            body = _text_of(part)
        if body.strip():
            break
    body = body if body.strip() else _child_text(content, "description") or ""
    if not body.strip():
        return skipped(place, "news item has no text (a picture or video item?)")
    provider = _child(meta, "provider")
    provider_name = None if provider is None else provider.get("literal") or provider.get("qcode", "").partition(":")[2]
    author = _child_text(content, "by")
    return article_from_parts(
        place,
        _child_text(content, "headline") or _child_text(meta, "title"),
        body,
        date=_child_text(content, "contentCreated") or _child_text(meta, "firstCreated", "versionCreated"),
        source=_child_text(content, "creditline") or provider_name,
        given_id=item.get("guid"),
        extra=(("author", author),) if author else (),
    )


def _descendant(element: Any, name: str) -> Any:
    """``element``'s first descendant of local name ``name``, or None."""
    return next((el for el in element.iter() if _local(el.tag) == name), None)


def _nitf_item(path: Path, item: Any) -> Article | Skipped:
    """An NITF document: its ``body.content`` (the ``full_text`` block where there is one: the
    ``lead_paragraph`` block repeats its opening), headline, publication date and name, and
    ``doc-id``."""
    content = _descendant(item, "body.content")
    if content is not None:
        full = next((b for b in content if _local(b.tag) == "block" and b.get("class") == "full_text"), content)
        body = _html_fragment_text(_inner_xml(full))
    else:
        body = ""
    if not body.strip():
        return skipped(f"{path}:{item.sourceline}", "NITF document has no body.content text")
    pubdata, copyright_, doc_id = (_descendant(item, n) for n in ("pubdata", "doc.copyright", "doc-id"))
    source = (pubdata is not None and pubdata.get("name")) or (copyright_ is not None and copyright_.get("holder"))
    given_id = doc_id.get("id-string") if doc_id is not None else None
    if given_id and ":" not in given_id and source:
        given_id = f"{source}:{given_id}"  # archive numbers are unique within their archive only
    url = pubdata.get("ex-ref") if pubdata is not None else None
    hedline = _descendant(item, "hedline")
    byline = _descendant(item, "byline")
    author = _text_of(byline).strip() if byline is not None else ""
    return article_from_parts(
        f"{path}:{item.sourceline}",
        _child_text(hedline, "hl1") or _child_text(_child(item, "head"), "title"),
        body,
        date=pubdata.get("date.publication") if pubdata is not None else None,
        source=source or None,
        url=url if url and url.startswith(("http://", "https://")) else None,
        given_id=given_id,
        extra=(("author", author),) if author else (),
    )


def _feed_item(path: Path, item: Any, feed_title: str | None) -> Article | Skipped:
    if _local(item.tag) == "newsItem":
        return _g2_item(path, item)
    if _local(item.tag) == "nitf":
        return _nitf_item(path, item)
    place = f"{path}:{item.sourceline}"
    body = _item_body(item)
    if not body.strip():
        return skipped(place, "feed item has no description or content")
    guid = _child_text(item, "guid", "id")
    if guid and ":" not in guid and feed_title:
        guid = f"{feed_title}:{guid}"  # "12345" is unique within its feed only; URLs, URNs and tags everywhere
    extra = tuple((key, value) for key, value in (("author", _item_author(item)), ("feed", feed_title)) if value)
    return article_from_parts(
        place,
        _child_text(item, "title"),
        body,
        date=_child_text(item, "pubDate", "published", "date", "updated"),
        source=_item_source(item) or feed_title,
        url=_child_text(item, "link") or _atom_link(item),
        given_id=guid,
        extra=extra,
    )


def read_feed(path: Path, stream: IO[bytes]) -> Iterator[Article | Skipped]:
    """Each item of an RSS, Atom or NewsML-G2 feed (or the one article of an NITF document),
    streamed: the items before a syntax error are kept, and the error is reported at its line.
    Entities are not resolved and nothing is fetched (the feed is untrusted)."""
    if reason := sniff_not_text(stream):
        yield skipped(str(path), reason)
        return
    events = _pull_events(stream)
    feed_title: str | None = None
    root, item_name = True, ""
    in_item = 0  # items nest in no feed format, but a malformed one may
    try:
        for event, element in events:
            name = _local(element.tag)
            if event == "start":
                if root:
                    if name not in _FEED_ITEMS:
                        reason = f"XML that is not an RSS, Atom, NewsML-G2 or NITF document (its root is <{name}>)"
                        yield skipped(str(path), reason)
                        return
                    item_name = _FEED_ITEMS[name]
                    root = False
                in_item += name == item_name
                continue
            if name == item_name:
                in_item -= 1
                yield _feed_item(path, element, feed_title)
                element.clear(keep_tail=True)
            elif name == "title" and not in_item and feed_title is None and _local(element.getparent().tag) in (
                "channel", "feed"
            ):
                feed_title = normalize_title(_text_of(element))
    except lxml.etree.XMLSyntaxError as exc:
        yield skipped(f"{path}:{exc.lineno}" if exc.lineno else str(path), f"invalid XML: {exc.msg}")


def _pull_events(stream: IO[bytes], chunk_size: int = 1 << 16) -> Iterator[tuple[str, Any]]:
    """(event, element) pairs of the XML in ``stream``, parsed a chunk at a time. A syntax error is
    raised after every event before it has been given: the items before it are kept. (lxml's
    ``iterparse`` gives none of the events of the chunk that holds an error, since lxml 6.)"""
    parser = lxml.etree.XMLPullParser(
        events=("start", "end"), resolve_entities=False, no_network=True, load_dtd=False,
        remove_comments=True, remove_pis=True, huge_tree=False,
    )
    while True:
        chunk = stream.read(chunk_size)
        try:
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
        except lxml.etree.XMLSyntaxError:
            yield from parser.read_events()
            raise
        yield from parser.read_events()
        if not chunk:
            return


def _html_fragment_text(fragment: str) -> str:
    """The text of an HTML fragment (a feed item's description or content), every block
    (paragraph, heading, item...) its own paragraph; scripts, styles, navigation and forms dropped."""
    if "<" not in fragment:
        return html.unescape(fragment)  # text, perhaps with entities ("Tom &amp; Jerry"): no tags to parse
    try:
        tree = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return fragment
    for element in list(tree.iter(*HTML_DROP)):
        element.drop_tree()
    for element in tree.iter(*HTML_BLOCKS, "div", "br"):
        # text outside any block ("Summary. <p>More</p>") is kept, in its place
        breaks = "\n" if element.tag == "br" else "\n\n"
        element.tail = breaks + (element.tail or "")
        if element.tag != "br":
            element.text = breaks + (element.text or "")
    return str(tree.text_content())
