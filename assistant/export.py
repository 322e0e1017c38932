"""A conversation saved for later: JSON to process, Markdown to read or paste into notes.

Both keep every quoted sentence with its full citation (outlet, title, date, link, article id and
character offsets), so a reader can check each quote against its article long after the chat.
Article text is untrusted: in the Markdown every character that could start markup is escaped, and
only ``http(s)`` links become links, so opening the file in a Markdown viewer runs and loads nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from assistant.answer import abstention_notes, corrections_note
from assistant.chat import Conversation, Turn
from assistant.dates import BY_ARTICLE_DATE, dates_note
from assistant.filters import filter_notes
from assistant.records import Answer, Citation, Filters, Hit

__all__ = ["answer_record", "conversation_json", "conversation_markdown", "conversation_record", "markdown_text"]


def answer_record(answer: Answer) -> dict[str, Any]:
    """An answer as plain data (what ``newsqa ask --json`` prints): the searched passages without
    their text, the filters it was asked with, the earlier question a follow-up was read with and
    the misspelt words searched as indexed ones."""
    return {
        "question": answer.question, "query": answer.query, "is_answer": answer.is_answer,
        "confidence": answer.confidence, "unknown_terms": list(answer.unknown_terms),
        "uncovered_terms": list(answer.uncovered_terms), "unreported_years": list(answer.unreported_years),
        "follow_up_to": answer.follow_up_to, "corrections": [asdict(c) for c in answer.corrections],
        "filters": filters_record(answer.filters),
        "sentences": [
            {"text": s.text, "score": s.score, "citation": asdict(s.citation),
             "also_reported_by": [asdict(c) for c in s.also_reported_by],
             "dates": [asdict(d) for d in s.dates],
             "phrase": asdict(s.phrase) if s.phrase is not None else None}
            for s in answer.sentences
        ],
        "searched": [{k: v for k, v in asdict(h).items() if k != "text"} for h in answer.searched],
    }


def filters_record(filters: Filters) -> dict[str, Any]:
    """The filters and date preferences a question was asked with, as plain data."""
    return {"date_from": filters.date_from, "date_to": filters.date_to, "sources": list(filters.sources),
            "prefer_recent": filters.prefer_recent, "near_date": filters.near_date}


def conversation_record(conversation: Conversation, index: str | None = None) -> dict[str, Any]:
    """The turns of ``conversation``, oldest first, each with its question, the filters it was
    asked with, the query searched and its answer (``None`` for a turn that failed)."""
    return {
        "saved": _now(),
        "index": index,
        "turns": [
            {"question": t.question, "query": t.query, "filters": filters_record(t.filters),
             "answer": None if t.answer is None else answer_record(t.answer)}
            for t in conversation.turns
        ],
    }


def conversation_json(conversation: Conversation, index: str | None = None) -> str:
    """:func:`conversation_record` as the text of a JSON file (UTF-8 kept as is, indented)."""
    return json.dumps(conversation_record(conversation, index), indent=2, ensure_ascii=False) + "\n"


# Only what can begin markup is escaped, so the quotes read as the articles printed them ("(WHO)",
# "AT&T", "5 > 4"): code, emphasis, links, images (an escaped "[" leaves "!" harmless), raw HTML
# and autolinks, (GFM) strikethrough, and an ampersand only where it would begin an entity. One
# line cannot make a table (no delimiter row), nor can "(", ")", "!", "|", "{" or "}" begin markup.
_MARKUP = re.compile(r"([\\`*_\[\]<~])|&(?=#?\w+;)")
_SPACE = re.compile(r"\s+")
_LIST_NUMBER = re.compile(r"^(\d+)([.)])")  # "1." or "1)" opening a line starts a list
_LINE_MARK = re.compile(r"^([-+=#>])")  # a bullet, a heading, a quote, or a heading's underline


def markdown_text(text: object) -> str:
    """``text`` on one line, shown as itself by any Markdown renderer (NUL, which CommonMark
    replaces, becomes U+FFFD here already)."""
    line = _SPACE.sub(" ", str(text)).strip().replace("\x00", "\ufffd")
    line = _MARKUP.sub(lambda m: "\\" + (m.group(1) or "&"), line)
    return _LINE_MARK.sub(r"\\\1", _LIST_NUMBER.sub(r"\1\\\2", line))


def _markdown_link(url: str | None) -> str:
    """An autolink for an ``http(s)`` URL without spaces or angle brackets; anything else as text."""
    if not url:
        return "(no link)"
    if re.fullmatch(r"https?://[^\s<>\\]+", url, flags=re.IGNORECASE):
        return f"<{url}>"
    return markdown_text(url)


def _byline(c: Citation | Hit) -> str:
    title = markdown_text(c.title) if c.title else "(untitled)"
    source = markdown_text(c.source) if c.source else "?"
    return f"{title} — {source}, {markdown_text(c.date) if c.date else 'undated'}"


def _answer_markdown(answer: Answer) -> list[str]:
    if not answer.is_answer:
        lines = ["No answer found in the articles. " + " ".join(markdown_text(n) for n in abstention_notes(answer))]
        closest = answer.closest_articles()
        if closest:
            lines += ["", "Closest articles searched:", ""]
            lines += [f"- {_byline(h)} {_markdown_link(h.url)}" for h in closest]
        return [line.rstrip() for line in lines]
    lines = []
    for i, s in enumerate(answer.sentences, 1):
        lines += [f"> “{markdown_text(s.text)}” \\[{i}\\]", ">"]
        if s.phrase is not None:
            lines[-1:] = [f"> (answer: {markdown_text(s.phrase.text)})", ">"]
        if s.dates:
            lines[-1:] = [f"> ({markdown_text(dates_note(s.dates) + BY_ARTICLE_DATE)})", ">"]
    lines[-1:] = [""]
    for i, s in enumerate(answer.sentences, 1):
        c = s.citation
        lines.append(f"- \\[{i}\\] {_byline(c)}. {_markdown_link(c.url)} "
                     f"(article {markdown_text(c.article_id)}, characters {c.start}–{c.end})")
        for other in s.also_reported_by:
            lines.append(f"  - also reported by {_byline(other)}. {_markdown_link(other.url)}")
    lines += ["", f"Confidence {answer.confidence:.2f}."]
    return lines


def conversation_markdown(conversation: Conversation, index: str | None = None) -> str:
    """The conversation as Markdown: each question, its quoted sentences and their sources."""
    lines = ["# newsqa conversation", ""]
    lines.append(f"Saved {_now()}." + (f" Index: {markdown_text(index)}." if index else ""))
    for n, turn in enumerate(conversation.turns, 1):
        lines += ["", f"## {n}. {markdown_text(turn.question)}", ""]
        notes = _asked_notes(turn)
        if notes:
            lines += [" ".join(markdown_text(note) for note in notes), ""]
        lines += ["The answer failed (see the app's log)."] if turn.answer is None else _answer_markdown(turn.answer)
    return "\n".join(lines) + "\n"


def _asked_notes(turn: Turn) -> list[str]:
    """How a turn's question was asked: its filters and preferences, the words corrected and, for a
    follow-up, the earlier question and the query searched."""
    notes = filter_notes(turn.filters) or ["Searched all articles."]
    if turn.answer is not None and (corrected := corrections_note(turn.answer)):
        notes.append(corrected)
    if turn.query != turn.question:
        earlier = turn.answer.follow_up_to if turn.answer is not None else None
        to = f" to “{earlier}”" if earlier else ""
        notes.append(f"Read as a follow-up{to}: searched for “{turn.query}”.")
    return notes


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
