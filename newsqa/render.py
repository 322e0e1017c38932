"""The chat's HTML: pure functions from the assistant's records to escaped HTML, and the filter form
read into :class:`~assistant.records.Filters`. No Gradio here: ``app.py`` wires these into the page.

Everything from the corpus or the user (article text, titles, outlets, links, questions, file
names, error messages) is untrusted: every string goes through :func:`esc` before it meets markup,
and only ``http(s)`` links become anchors (:func:`safe_link`). The chatbot shows this HTML as it
is (never re-read as Markdown), with Gradio's sanitiser left on as a second line of defence.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.answer import answer_notes
from assistant.dates import BY_ARTICLE_DATE, dates_note
from assistant.filters import day
from assistant.records import Answer, AnswerSentence, Citation, Filters, Hit

if TYPE_CHECKING:
    from index.store import Stats

__all__ = [
    "CSS",
    "DEMO_QUESTIONS",
    "NO_ANSWER",
    "NumberedSource",
    "date_hints",
    "esc",
    "example_questions",
    "highlighted_paragraphs",
    "number_sources",
    "parse_filters",
    "render_answer",
    "render_error",
    "render_filter_error",
    "render_question",
    "render_stats",
    "safe_link",
    "source_choices",
    "upload_report",
]

NO_ANSWER = "I found no answer to that in the articles."
CONTEXT_CHARS = 420  # at most this much paragraph text shown on each side of a quoted sentence
NEAR_DATE = "“Shortly before” date"  # the near-date field, as its errors name it
_NO_DATES = "YYYY-MM-DD"

# Hand-written for the bundled Wikinews corpus; other corpora get questions made from titles.
DEMO_QUESTIONS = (
    "How many people died in the Magnitogorsk apartment building collapse?",
    "Who was elected Speaker of the 116th U.S. Congress?",
    "Which security firm found Facebook users' data left open on Amazon's cloud?",
    "Where did the SpaceX Crew Dragon capsule dock?",
)

CSS = """
.nqa-answer { line-height: 1.5; }
.nqa-quote { margin: 0 0 .55em 0; font-size: 1.02em; }
.nqa-phrase { font-weight: 650; background: rgba(250, 204, 21, .28); border-radius: 2px; padding: 0 .1em; }
.nqa-mark { font-weight: 600; color: var(--color-accent); white-space: nowrap; font-size: .9em; }
.nqa-note { color: var(--body-text-color-subdued); font-size: .88em; margin: .1em 0 .5em 0; }
.nqa-sources { border-top: 1px solid var(--border-color-primary); margin-top: .6em; padding-top: .5em; }
.nqa-sources-title, .nqa-closest-title { font-weight: 600; font-size: .9em; margin: 0 0 .3em 0;
  text-transform: uppercase; letter-spacing: .04em; color: var(--body-text-color-subdued); }
.nqa-source { margin: .3em 0; padding: .25em .5em; border-radius: 6px; background: var(--background-fill-secondary); }
.nqa-source > summary { cursor: pointer; font-size: 1rem; font-weight: 400; }
.nqa-title { font-weight: 600; }
.nqa-reported .nqa-title, .nqa-closest .nqa-title { font-weight: 500; }
.nqa-meta, .nqa-offsets, .nqa-confidence { color: var(--body-text-color-subdued); font-size: .88em; }
.nqa-badge { font-size: .8em; padding: .05em .45em; border-radius: 999px; white-space: nowrap;
  background: var(--color-accent-soft); color: var(--body-text-color); border: 1px solid var(--border-color-accent); }
.nqa-context { margin: .5em 0 .4em .2em; padding: .1em 0 .1em .8em; border-left: 3px solid var(--border-color-accent); }
.nqa-context p { margin: .3em 0; }
mark.nqa-hl { background: #fde68a; color: #111; padding: 0 .1em; border-radius: 2px; }
.nqa-reported ul, .nqa-closest ul, .nqa-stats ul { margin: .2em 0 .2em 1.1em; }
.nqa-abstain { font-weight: 600; margin: 0 0 .4em 0; }
.nqa-dates { color: var(--body-text-color-subdued); font-size: .85em; margin: -.45em 0 .55em 1em; }
.nqa-nolink { font-family: var(--font-mono); font-size: .88em; }
.nqa-filter-error { color: var(--error-text-color); font-size: .9em; margin: .2em 0; }
"""

# Besides HTML's own characters, neutralise template syntax (``${}``, ``{{}}``) so that no
# component's template language can read corpus text as code.
_TEMPLATE_CHARS = str.maketrans({"$": "&#36;", "{": "&#123;", "}": "&#125;", "`": "&#96;"})
_SAFE_URL = re.compile(r"https?://[^\s<>\"'`\\]+", re.IGNORECASE)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def esc(text: object) -> str:
    """``text`` as HTML text or attribute value that shows every character and means nothing."""
    return html.escape("" if text is None else str(text), quote=True).translate(_TEMPLATE_CHARS)


def _esc_lines(text: str) -> str:
    return esc(text).replace("\n", "<br>")


def safe_link(url: str | None, label: str | None = None) -> str:
    """An anchor for an ``http(s)`` URL; any other URL (``javascript:``, ``data:``…) as plain text."""
    if not url:
        return '<span class="nqa-meta">(no link)</span>'
    if _SAFE_URL.fullmatch(url):
        return f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">{esc(label or url)}</a>'
    return f'<span class="nqa-nolink">{esc(url)}</span>'


# -- a quoted sentence in its paragraph --------------------------------------------------------


def _paragraph_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets of the blank-line-separated paragraph holding ``text[start:end]``."""
    para_start = 0
    for m in _PARAGRAPH_BREAK.finditer(text, 0, start):
        para_start = m.end()
    after = _PARAGRAPH_BREAK.search(text, end)
    return para_start, (after.start() if after else len(text))


def _cut_left(piece: str, max_chars: int) -> str:
    if len(piece) <= max_chars:
        return piece
    cut = piece[-max_chars:]
    return "…" + (cut[cut.find(" ") + 1 :] if " " in cut else cut)


def _cut_right(piece: str, max_chars: int) -> str:
    if len(piece) <= max_chars:
        return piece
    cut = piece[:max_chars]
    return (cut[: cut.rfind(" ")] if " " in cut else cut) + "…"


def highlighted_paragraphs(
    text: str, spans: Sequence[tuple[int, int]], max_side: int = CONTEXT_CHARS
) -> list[list[tuple[str, bool]]]:
    """The paragraphs of ``text`` that hold the ``(start, end)`` spans, in text order, each as
    ``(piece, quoted)`` pieces in order; the ``quoted`` pieces are exactly the spans. Text before
    the first and after the last span of a paragraph is cut to ``max_side`` characters at a word
    boundary, with an ellipsis where it was cut; so is unquoted text between two spans longer than
    twice that. Spans out of range or overlapping an earlier one are dropped."""
    by_paragraph: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for start, end in sorted(set(spans)):
        if 0 <= start < end <= len(text):
            by_paragraph.setdefault(_paragraph_bounds(text, start, end), []).append((start, end))
    out = []
    for (para_start, para_end), inside in by_paragraph.items():
        pieces: list[tuple[str, bool]] = []
        cursor = para_start
        for start, end in inside:
            if start < cursor:
                continue
            gap = text[cursor:start]
            if not pieces:
                gap = _cut_left(gap, max_side)
            elif len(gap) > 2 * max_side:
                gap = _cut_right(gap, max_side) + " " + _cut_left(gap, max_side)
            pieces += [(gap, False), (text[start:end], True)]
            cursor = end
        pieces.append((_cut_right(text[cursor:para_end], max_side), False))
        out.append([(piece, quoted) for piece, quoted in pieces if piece])
    return out


# -- answers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NumberedSource:
    """One entry of an answer's source list: an article, the sentences quoted from it (in answer
    order), and the other outlets that ran those sentences."""

    n: int
    citations: tuple[Citation, ...]
    also_reported_by: tuple[Citation, ...] = ()

    @property
    def citation(self) -> Citation:
        return self.citations[0]

    @property
    def n_sources(self) -> int:
        return 1 + len(self.also_reported_by)


def number_sources(sentences: Sequence[AnswerSentence]) -> tuple[list[int], list[NumberedSource]]:
    """Citation numbers: one per cited article, in order of first citation, so two sentences from the
    same article share a mark. Returns each sentence's number and the numbered sources; a source's
    other outlets are counted once each, however many of its sentences they ran."""
    numbers: dict[str, int] = {}
    quoted: dict[str, list[Citation]] = {}
    others: dict[str, dict[str, Citation]] = {}
    marks = []
    for s in sentences:
        article_id = s.citation.article_id
        marks.append(numbers.setdefault(article_id, len(numbers) + 1))
        quoted.setdefault(article_id, []).append(s.citation)
        seen = others.setdefault(article_id, {})
        for c in s.also_reported_by:
            if c.article_id != article_id:
                seen.setdefault(c.article_id, c)
    sources = [NumberedSource(n, tuple(quoted[a]), tuple(others[a].values())) for a, n in numbers.items()]
    return marks, sources


def _byline(c: Citation | Hit) -> str:
    """Outlet · date, escaped."""
    return f'{esc(c.source or "unknown outlet")} · {esc(c.date or "undated")}'


def _outlet_line(c: Citation | Hit) -> str:
    return f'<span class="nqa-title">{esc(c.title or "(untitled)")}</span> <span class="nqa-meta">{_byline(c)}</span>'


def _context_html(citations: Sequence[Citation], article_text: Callable[[str], str]) -> str:
    """The quoted sentences highlighted in their paragraphs of the article."""
    try:
        text = article_text(citations[0].article_id)
    except KeyError:  # deleted since it was cited: the sentences themselves are still exact
        text = ""
    exact = [c for c in citations if text[c.start : c.end] == c.sentence]
    paragraphs = highlighted_paragraphs(text, [(c.start, c.end) for c in exact])
    paragraphs += [[(c.sentence, True)] for c in citations if c not in exact]
    rendered = "".join(
        "<p>"
        + "".join(f'<mark class="nqa-hl">{_esc_lines(p)}</mark>' if quoted else _esc_lines(p) for p, quoted in pieces)
        + "</p>"
        for pieces in paragraphs
    )
    return f'<blockquote class="nqa-context">{rendered}</blockquote>'


def _source_html(source: NumberedSource, article_text: Callable[[str], str]) -> str:
    c = source.citation
    badge = reported = ""
    if source.n_sources > 1:
        badge = f' <span class="nqa-badge">Reported by {source.n_sources} sources</span>'
        others = "".join(f"<li>{_outlet_line(o)} · {safe_link(o.url)}</li>" for o in source.also_reported_by)
        reported = f'<div class="nqa-reported">Also reported by:<ul>{others}</ul></div>'
    offsets = ", ".join(f"{start}–{end}" for start, end in sorted({(q.start, q.end) for q in source.citations}))
    return (
        '<details class="nqa-source">'
        f'<summary><span class="nqa-mark">[{source.n}]</span> {_outlet_line(c)}{badge}</summary>'
        f"{_context_html(source.citations, article_text)}"
        f'<div class="nqa-link">{safe_link(c.url)}</div>'
        f"{reported}"
        f'<div class="nqa-offsets">article {esc(c.article_id)}, characters {offsets}</div>'
        "</details>"
    )


def _closest_html(answer: Answer) -> str:
    items = [f"<li>{_outlet_line(h)} · {safe_link(h.url)}</li>" for h in answer.closest_articles()]
    if not items:
        return '<p class="nqa-note">No article matched the search.</p>'
    return (
        '<div class="nqa-closest"><p class="nqa-closest-title">Closest articles searched</p>'
        f'<ul>{"".join(items)}</ul></div>'
    )


def _notes_html(answer: Answer) -> str:
    """What every interface says under an answer (:func:`assistant.answer.answer_notes`), escaped."""
    return "".join(f'<p class="nqa-note">{esc(n)}</p>' for n in answer_notes(answer))


def _quote_html(sentence: AnswerSentence) -> str:
    """The quoted sentence, escaped, with the words that answer the question in bold."""
    phrase = sentence.phrase
    if phrase is None:
        return _esc_lines(sentence.text)
    start, end = phrase.start - sentence.citation.start, phrase.end - sentence.citation.start
    text = sentence.text
    return (
        f'{_esc_lines(text[:start])}<strong class="nqa-phrase" title="the answer">{_esc_lines(text[start:end])}'
        f"</strong>{_esc_lines(text[end:])}"
    )


def _dates_html(sentence: AnswerSentence) -> str:
    """The sentence's relative dates resolved ("‘yesterday’ = Monday 15 April 2019"), under the quote."""
    if not sentence.dates:
        return ""
    return f'<p class="nqa-dates">{esc(dates_note(sentence.dates) + BY_ARTICLE_DATE)}</p>'


def render_answer(answer: Answer, article_text: Callable[[str], str]) -> str:
    """The assistant's chat message: the quoted sentences with [n] marks and the notes (words
    corrected, the follow-up read, the filters asked with), then one expandable source per cited
    article (title, outlet, date, link, the sentences highlighted in their paragraphs, the other
    outlets that ran them); or a plain abstention, its reasons and the closest articles searched.
    ``article_text`` gives an article's text by id (KeyError when it is gone)."""
    notes = _notes_html(answer)
    if not answer.is_answer or not answer.sentences:
        return (
            f'<div class="nqa-answer nqa-abstention"><p class="nqa-abstain">{esc(NO_ANSWER)}</p>'
            f"{notes}{_closest_html(answer)}</div>"
        )
    marks, sources = number_sources(answer.sentences)
    quotes = "".join(
        f'<p class="nqa-quote">“{_quote_html(s)}” <span class="nqa-mark">[{n}]</span></p>{_dates_html(s)}'
        for s, n in zip(answer.sentences, marks, strict=True)
    )
    listed = "".join(_source_html(source, article_text) for source in sources)
    return (
        f'<div class="nqa-answer">{quotes}{notes}'
        f'<div class="nqa-sources"><p class="nqa-sources-title">Sources</p>{listed}</div>'
        f'<p class="nqa-confidence">confidence {answer.confidence:.2f}</p></div>'
    )


def render_question(question: str) -> str:
    """The user's chat message: the question as text, its line breaks kept."""
    return _esc_lines(question)


def render_error(message: str) -> str:
    """The chat message for a question that could not be answered (an unexpected failure)."""
    return f'<div class="nqa-answer"><p class="nqa-abstain">Could not answer: {esc(message)}</p></div>'


def render_filter_error(message: str) -> str:
    """A filter the assistant refused (:class:`assistant.filters.FilterError`), shown beside the
    filter fields: the message names the value and what to give instead."""
    return f'<p class="nqa-filter-error" role="alert">{esc(message)}</p>'


# -- the rest of the page ----------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def render_stats(stats: Stats) -> str:
    """Corpus size, outlets and date span, escaped."""
    named = [(s, n) for s, n in stats.sources if s]
    top = "".join(f"<li>{esc(s)} ({n})</li>" for s, n in named[:8])
    more = f"<li>… and {len(named) - 8} more</li>" if len(named) > 8 else ""
    span = f"{esc(stats.date_min)} to {esc(stats.date_max)}" if stats.date_min else "undated"
    dup = f" (+{_plural(stats.duplicates, 'duplicate')} merged)" if stats.duplicates else ""
    return (
        f'<div class="nqa-stats"><b>{stats.articles}</b> {"article" if stats.articles == 1 else "articles"}{dup}'
        f' · <b>{len(named)}</b> {"source" if len(named) == 1 else "sources"} · {span}'
        f"<ul>{top}{more}</ul></div>"
    )


def source_choices(stats: Stats) -> list[str]:
    """The index's outlets for the source filter, alphabetically regardless of case."""
    return sorted((s for s, _ in stats.sources if s), key=str.casefold)


def date_hints(stats: Stats) -> tuple[str, str]:
    """The From and To fields' hints: the index's first and last publication dates (the format
    where nothing is dated). Plain text: Gradio sets a placeholder as an attribute, never as HTML."""
    return stats.date_min or _NO_DATES, stats.date_max or _NO_DATES


def example_questions(titles: Sequence[str], n: int = 4) -> list[str]:
    """Questions made from article titles, for corpora without hand-written ones."""
    out = []
    for title in titles[:n]:
        title = title.strip().rstrip(".!?:;,")
        if title:
            out.append(f"What do the articles say about “{title}”?")
    return out


def upload_report(summary: str, paths: Sequence[str]) -> str:
    """The ingest report for uploaded files, naming them by their file names rather than the
    server's temporary paths."""
    for path in sorted(paths, key=len, reverse=True):
        summary = summary.replace(path, Path(path).name)
    return "files: " + ", ".join(Path(p).name for p in paths) + "\n" + summary


def parse_filters(date_from: str | None, date_to: str | None, sources: Sequence[str] | None,
                  prefer_recent: bool, near_date: str | None = None) -> Filters:
    """Filters from the form, blank fields unset. From and To take a day, a month or a year
    (:mod:`assistant.filters`); a value it cannot apply is the user's to fix, so it raises
    :class:`assistant.filters.FilterError` (a ``ValueError``) naming the field and the value."""
    near = (near_date or "").strip()
    return Filters(date_from or None, date_to or None, tuple(sources or ()), bool(prefer_recent),
                   day(near, NEAR_DATE) if near else None)
