"""The browser chat: cited answers a reader can check, built with Gradio Blocks.

``serve`` loads the index and the embedding model once, then ``build_app`` wires the assistant into
the page. Everything from the corpus or the user (article text, titles, outlets, links, questions,
file names) is untrusted: the renderers below build HTML only from ``html.escape``-d strings, and
only ``http(s)`` links become anchors. The chatbot renders that HTML as is (``render_markdown`` off,
so nothing is re-read as Markdown) with Gradio's sanitiser left on as a second line of defence.

    python app.py --index DIR [--host 127.0.0.1] [--port 7860] [--auth user:password]
"""

from __future__ import annotations

import argparse
import atexit
import html
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.answer import abstention_notes
from assistant.chat import Conversation
from assistant.dates import BY_ARTICLE_DATE, dates_note
from assistant.records import Answer, AnswerSentence, Citation, Filters, Hit

if TYPE_CHECKING:
    from assistant.api import Assistant
    from index.embed import Embedder
    from index.store import Stats

__all__ = [
    "NumberedSource",
    "build_app",
    "highlighted_paragraphs",
    "main",
    "number_sources",
    "render_answer",
    "safe_link",
    "serve",
]

logger = logging.getLogger(__name__)

NO_ANSWER = "I found no answer to that in the articles."
UPLOAD_TYPES = [
    ".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".gz", ".txt", ".md", ".html", ".htm", ".rss", ".atom", ".xml",
]
MAX_UPLOAD = "50mb"
CONCURRENCY = 2  # answering holds the assistant's lock anyway; more workers would only queue on it
QUEUE_SIZE = 64
CONTEXT_CHARS = 420  # at most this much paragraph text shown on each side of a quoted sentence

# Hand-written for the bundled Wikinews corpus; other corpora get questions made from titles.
DEMO_QUESTIONS = (
    "How many people died in the Magnitogorsk apartment building collapse?",
    "Who was elected Speaker of the 116th U.S. Congress?",
    "What caused the escape room fire in Koszalin?",
    "Where did the SpaceX Crew Dragon capsule dock?",
)

CSS = """
.nqa-answer { line-height: 1.5; }
.nqa-quote { margin: 0 0 .55em 0; font-size: 1.02em; }
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
"""

# -- rendering: pure functions from records to escaped HTML ------------------------------------

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


def describe_filters(filters: Filters) -> str:
    """The active restrictions in words, or "" when nothing is filtered."""
    parts = []
    if filters.sources:
        parts.append("from " + ", ".join(filters.sources))
    if filters.date_from or filters.date_to:
        parts.append(f"dated {filters.date_from or 'any time'} to {filters.date_to or 'now'}")
    return "; ".join(parts)


def describe_preferences(filters: Filters) -> str:
    """The active date preferences in words (they reorder, never restrict), or ""."""
    parts = []
    if filters.near_date:
        parts.append(f"published shortly before {filters.near_date}")
    if filters.prefer_recent:
        parts.append("the newest")
    return " and ".join(parts)


def _notes_html(answer: Answer, filters: Filters | None) -> str:
    notes = abstention_notes(answer)
    if answer.query != answer.question:
        notes.append("Read as a follow-up to the conversation.")
    described = describe_filters(filters or Filters())
    if described:
        notes.append(f"Searched only articles {described}.")
    preferred = describe_preferences(filters or Filters())
    if preferred:
        notes.append(f"Ranked the articles {preferred} first.")
    return "".join(f'<p class="nqa-note">{esc(n)}</p>' for n in notes)


def _dates_html(sentence: AnswerSentence) -> str:
    """The sentence's relative dates resolved ("‘yesterday’ = Monday 15 April 2019"), under the quote."""
    if not sentence.dates:
        return ""
    return f'<p class="nqa-dates">{esc(dates_note(sentence.dates) + BY_ARTICLE_DATE)}</p>'


def render_answer(answer: Answer, article_text: Callable[[str], str], filters: Filters | None = None) -> str:
    """The assistant's chat message: the quoted sentences with [n] marks, then one expandable
    source per cited article (title, outlet, date, link, the sentences highlighted in their
    paragraphs, the other outlets that ran them); or a plain abstention with the closest
    articles searched."""
    notes = _notes_html(answer, filters)
    if not answer.is_answer or not answer.sentences:
        return (
            f'<div class="nqa-answer nqa-abstention"><p class="nqa-abstain">{esc(NO_ANSWER)}</p>'
            f"{notes}{_closest_html(answer)}</div>"
        )
    marks, sources = number_sources(answer.sentences)
    quotes = "".join(
        f'<p class="nqa-quote">“{_esc_lines(s.text)}” <span class="nqa-mark">[{n}]</span></p>{_dates_html(s)}'
        for s, n in zip(answer.sentences, marks, strict=True)
    )
    listed = "".join(_source_html(source, article_text) for source in sources)
    return (
        f'<div class="nqa-answer">{quotes}{notes}'
        f'<div class="nqa-sources"><p class="nqa-sources-title">Sources</p>{listed}</div>'
        f'<p class="nqa-confidence">confidence {answer.confidence:.2f}</p></div>'
    )


def render_question(question: str) -> str:
    return _esc_lines(question)


def render_error(message: str) -> str:
    return f'<div class="nqa-answer"><p class="nqa-abstain">Could not answer: {esc(message)}</p></div>'


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
    return sorted((s for s, _ in stats.sources if s), key=str.casefold)


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


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_filters(date_from: str | None, date_to: str | None, sources: Sequence[str] | None,
                  prefer_recent: bool, near_date: str | None = None) -> Filters:
    """Filters from the form; a malformed date is the user's to fix, so it raises ``ValueError``."""
    dates = []
    for label, value in (("From", date_from), ("To", date_to), ("Near", near_date)):
        value = (value or "").strip()
        if value and not _DATE.fullmatch(value):
            raise ValueError(f"{label} date must look like 2021-03-02 (YYYY-MM-DD), not {value!r}.")
        dates.append(value or None)
    return Filters(dates[0], dates[1], tuple(sources or ()), bool(prefer_recent), dates[2])


# -- wiring ------------------------------------------------------------------------------------


def _sample_titles(assistant: Assistant, n: int) -> list[str]:
    """A few titles spread across the corpus (by id, so the choice is stable between starts)."""
    store = assistant.store
    ids = sorted(article_id for article_id, _ in store.kept_signatures())
    step = max(1, len(ids) // max(1, n))
    titles = []
    for article_id in ids[::step]:
        article = store.article(article_id)
        if article is not None and article.title:
            titles.append(article.title)
        if len(titles) == n:
            break
    return titles


class _IngestModel:
    """The embedding model for uploads: loaded on the first upload, then kept.

    A second instance, not the one answering questions, so an ingest never shares a tokenizer with
    a query running in another thread.
    """

    def __init__(self, load: Callable[[], Embedder]) -> None:
        self._load = load
        self._embedder: Embedder | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = self._load()
            return self._embedder


def build_app(assistant: Assistant, index_dir: Path) -> gr.Blocks:
    """The page, wired to ``assistant``; uploads are ingested into ``index_dir``."""
    from assistant.settings import DEMO_INDEX, Settings
    from index.errors import NewsQAError
    from index.ingest import ingest

    index_dir = Path(index_dir)
    settings = Settings(model=assistant.store.model)
    ingest_model = _IngestModel(settings.load_embedder)
    chunker = settings.chunker()
    stats = assistant.stats()
    if index_dir.resolve() == DEMO_INDEX.resolve():
        examples = list(DEMO_QUESTIONS)
    else:
        examples = example_questions(_sample_titles(assistant, 3), 3)

    def ask(question: str, history: list[Any], conversation: Conversation, date_from: str, date_to: str,
            sources: list[str], prefer_recent: bool,
            near_date: str = "") -> Iterator[tuple[list[Any], str, Conversation]]:
        question = (question or "").strip()
        if not question:
            yield history, "", conversation
            return
        try:
            filters = parse_filters(date_from, date_to, sources, prefer_recent, near_date)
        except ValueError as exc:
            raise gr.Error(str(exc)) from exc
        history = [*history, {"role": "user", "content": render_question(question)}]
        yield history, "", conversation
        try:
            answer = assistant.ask(question, conversation, filters)
            reply = render_answer(answer, assistant.article_text, filters)
        except Exception as exc:  # shown in the chat and logged in full; the session keeps working
            logger.exception("answering %r failed", question)
            reply = render_error(str(exc) or type(exc).__name__)
        yield [*history, {"role": "assistant", "content": reply}], "", conversation

    def new_conversation() -> tuple[list[Any], str, Conversation, Any]:
        return [], "", Conversation(), gr.File(value=None, visible=False)

    # Saved conversations are written here and served from Gradio's cache; removed when the app exits.
    saved_dir = Path(tempfile.mkdtemp(prefix="newsqa-saved-"))
    atexit.register(shutil.rmtree, saved_dir, ignore_errors=True)

    def save_conversation(conversation: Conversation) -> Any:
        from assistant.export import conversation_json, conversation_markdown

        if not conversation.turns:
            raise gr.Error("Nothing to save yet: ask a question first.")
        folder = Path(tempfile.mkdtemp(dir=saved_dir))  # one per save: sessions never share a file
        markdown, record = folder / "conversation.md", folder / "conversation.json"
        markdown.write_text(conversation_markdown(conversation, index_dir.name), encoding="utf-8")
        record.write_text(conversation_json(conversation, index_dir.name), encoding="utf-8")
        return gr.File(value=[str(markdown), str(record)], visible=True)

    def add_files(
        files: list[str] | None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 -- Gradio finds its progress tracker by this default
    ) -> tuple[str, str, Any, None]:
        if not files:
            raise gr.Error("Choose one or more article files first.")
        paths = [str(f) for f in files]
        done = 0

        def step(n: int) -> None:
            nonlocal done
            done += n
            progress((done, None), desc="Reading and embedding articles", unit="articles")

        progress(0, desc="Reading and embedding articles")
        try:
            report = ingest(paths, index_dir, ingest_model, settings.model, chunker,
                            faiss_kind=settings.faiss_kind, progress=step)
        except (NewsQAError, OSError, ValueError) as exc:
            logger.exception("ingesting uploads failed")
            raise gr.Error(f"The files were not added: {exc}") from exc
        progress(1.0, desc="Updating the search index")
        assistant.refresh()
        fresh = assistant.stats()
        return (upload_report(report.summary(), paths), render_stats(fresh),
                gr.Dropdown(choices=source_choices(fresh)), None)

    with gr.Blocks(title="newsqa — ask the news archive", analytics_enabled=False) as demo:
        gr.Markdown(
            "## Ask the news archive\n"
            "Answers are sentences quoted word for word from the articles, each with its source. "
            "Open a source to see the sentence in its paragraph. Follow-up questions use the conversation."
        )
        conversation = gr.State(Conversation())
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="Conversation", show_label=False, elem_id="chat", height=600,
                    render_markdown=False, sanitize_html=True, latex_delimiters=[], allow_tags=False,
                    feedback_options=None, buttons=[],
                )
                with gr.Row(equal_height=True):
                    question = gr.Textbox(
                        label="Question", show_label=False, container=False, placeholder="Ask about the articles…",
                        elem_id="question", scale=5, max_lines=4, submit_btn=False, autofocus=True,
                    )
                    ask_btn = gr.Button("Ask", variant="primary", elem_id="ask", scale=1)
                with gr.Row():
                    new_btn = gr.Button("New conversation", elem_id="new-conversation", size="sm")
                    save_btn = gr.Button("Save conversation", elem_id="save-conversation", size="sm")
                saved = gr.File(label="Saved conversation: Markdown to read, JSON to process", elem_id="saved",
                                file_count="multiple", interactive=False, visible=False)
                if examples:
                    gr.Examples(examples=[[q] for q in examples], inputs=[question], label="Example questions")
            with gr.Column(scale=2):
                gr.Markdown("### The articles")
                stats_html = gr.HTML(render_stats(stats), elem_id="stats")
                with gr.Accordion("Filters (apply to the next question)", open=True, elem_id="filters"):
                    sources = gr.Dropdown(
                        choices=source_choices(stats), value=[], multiselect=True, label="Sources",
                        elem_id="source-filter",
                    )
                    with gr.Row():
                        date_from = gr.Textbox(label="From", placeholder=stats.date_min or "YYYY-MM-DD",
                                               elem_id="date-from", max_lines=1)
                        date_to = gr.Textbox(label="To", placeholder=stats.date_max or "YYYY-MM-DD",
                                             elem_id="date-to", max_lines=1)
                    prefer_recent = gr.Checkbox(label="Prefer recent articles", value=False)
                    # An explicit value makes it optional in the API: clients that pass the six
                    # inputs before it keep working.
                    near_date = gr.Textbox(
                        label="Prefer articles published shortly before", placeholder="YYYY-MM-DD", value="",
                        elem_id="near-date", max_lines=1,
                    )
                with gr.Accordion("Add articles", open=False, elem_id="add-articles"):
                    files = gr.File(
                        label="JSONL, CSV, TXT, HTML files or news feeds", file_count="multiple",
                        file_types=UPLOAD_TYPES,
                        elem_id="upload",
                    )
                    add_btn = gr.Button("Add to the archive", elem_id="add", variant="secondary")
                    report = gr.Textbox(label="Ingest report", lines=6, interactive=False, elem_id="ingest-report")

        asked = [question, chatbot, conversation, date_from, date_to, sources, prefer_recent, near_date]
        answered = [chatbot, question, conversation]
        question.submit(ask, asked, answered)
        ask_btn.click(ask, asked, answered)
        new_btn.click(new_conversation, None, [*answered, saved], queue=False)
        chatbot.clear(new_conversation, None, [*answered, saved], queue=False)  # the chat's own bin icon
        save_btn.click(save_conversation, [conversation], [saved], queue=False)
        add_btn.click(add_files, [files], [report, stats_html, sources, files], concurrency_limit=1)
    return demo


def _parse_auth(auth: str | None) -> tuple[str, str] | None:
    if auth is None:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise ValueError("auth must look like user:password.")
    return user, password


def serve(index_dir: str | Path, host: str = "127.0.0.1", port: int = 7860, auth: str | None = None) -> None:
    """Load the index and model once, then serve the chat at http://host:port until interrupted."""
    from assistant.api import Assistant

    credentials = _parse_auth(auth)
    assistant = Assistant.load(index_dir)
    try:
        demo = build_app(assistant, Path(index_dir))
        demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
        demo.launch(server_name=host, server_port=port, auth=credentials, css=CSS, footer_links=[], quiet=True,
                    max_file_size=MAX_UPLOAD, prevent_thread_lock=True)
        print(f"newsqa: serving {index_dir} on http://{host}:{port} (Ctrl+C stops)", flush=True)
        demo.block_thread()
    finally:
        assistant.close()


def main(argv: Sequence[str] | None = None) -> None:
    for key, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                       ("GRADIO_ANALYTICS_ENABLED", "False"), ("TOKENIZERS_PARALLELISM", "false")):
        os.environ.setdefault(key, value)
    parser = argparse.ArgumentParser(description="Serve the newsqa chat in a browser.")
    parser.add_argument("--index", required=True, metavar="DIR", help="the index directory")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--auth", metavar="USER:PASSWORD", help="require this login")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # bm25s sets its own logger to DEBUG when imported
        handler.setLevel(logging.INFO)
    serve(args.index, host=args.host, port=args.port, auth=args.auth)


if __name__ == "__main__":
    main()
