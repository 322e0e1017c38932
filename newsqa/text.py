"""The terminal's words for answers and search results: plain text, one idea a line.

An answer quotes its sentences, each with the number of the article it comes from (two sentences
of one article share a number, as in the web chat), then the notes (words corrected, the follow-up
read, why it abstained, the filters), then one entry per article: title, outlet, date, link, the
other outlets that ran the sentences, and the character offsets of each quoted sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answer import answer_notes
from assistant.dates import BY_ARTICLE_DATE, dates_note
from assistant.records import Answer, Citation, Hit
from newsqa.render import NO_ANSWER, number_sources

__all__ = ["NO_ANSWER", "format_answer", "format_hits"]


_SNIPPET_CHARS = 300


def byline(c: Citation | Hit) -> str:
    """A citation's or passage's title, outlet and date."""
    return f"{c.title or '(untitled)'} — {c.source or '?'}, {c.date or 'undated'}"


def _place(c: Citation | Hit) -> str:
    """Where a passage is: its link, article id and character offsets."""
    return f"{c.url or '(no link)'}  (article {c.article_id}, characters {c.start}–{c.end})"


def format_answer(answer: Answer) -> str:
    """Plain-text rendering of an answer (see the module's docstring)."""
    notes = answer_notes(answer)
    if not answer.is_answer or not answer.sentences:
        lines = [NO_ANSWER, *notes]
        if answer.searched:
            lines.append("Closest articles searched:")
            lines += [f"  - {byline(h)} {h.url or ''}".rstrip() for h in answer.closest_articles()]
        return "\n".join(lines)
    marks, sources = number_sources(answer.sentences)
    lines = []
    for s, n in zip(answer.sentences, marks, strict=True):
        lines.append(f"“{s.text}” [{n}]")
        if s.phrase is not None:
            lines.append(f"    answer: {s.phrase.text}")
        if s.dates:
            lines.append(f"    {dates_note(s.dates)}{BY_ARTICLE_DATE}")
    lines += [*notes, ""]
    for source in sources:
        c = source.citation
        more = f" — reported by {source.n_sources} sources" if source.n_sources > 1 else ""
        offsets = ", ".join(f"{q.start}–{q.end}" for q in sorted(source.citations, key=lambda q: q.start))
        lines.append(f"[{source.n}] {byline(c)}{more}")
        lines.append(f"    {c.url or '(no link)'}  (article {c.article_id}, characters {offsets})")
        lines += [f"    also: {byline(o)} {o.url or ''}".rstrip() for o in source.also_reported_by]
    lines.append(f"confidence: {answer.confidence:.2f}")
    return "\n".join(lines)


def format_hits(hits: Sequence[Hit]) -> str:
    """Plain-text rendering of search results: each passage's article, place and opening words."""
    if not hits:
        return "No passage matches that."
    lines = []
    for i, h in enumerate(hits, 1):
        text = " ".join(h.text.split())
        snippet = text if len(text) <= _SNIPPET_CHARS else text[:_SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
        lines.append(f"[{i}] {byline(h)}")
        lines.append(f"    {_place(h)}")
        lines.append(f"    {snippet}")
    return "\n".join(lines)
