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
import html
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.chat import Conversation
from assistant.records import Answer, Citation, Filters, Hit

if TYPE_CHECKING:
    from assistant.api import Assistant
    from index.embed import Embedder
    from index.store import Stats

__all__ = ["build_app", "main", "paragraph_around", "render_answer", "safe_link", "serve"]

logger = logging.getLogger(__name__)

NO_ANSWER = "I found no answer to that in the articles."
UPLOAD_TYPES = [".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".gz", ".txt", ".md", ".html", ".htm"]
CONCURRENCY = 2  # answering holds the assistant's lock anyway; more workers would only queue on it
QUEUE_SIZE = 64
CONTEXT_CHARS = 420  # at most this much paragraph text shown on each side of a quoted sentence
CLOSEST_SHOWN = 5

# Hand-written for the bundled Wikinews corpus; other corpora get questions made from titles.
DEMO_QUESTIONS = (
    "How many people died in the Magnitogorsk apartment building collapse?",
    "Who was elected Speaker of the 116th U.S. Congress?",
    "What caused the escape room fire in Koszalin?",
    "Where did the SpaceX Crew Dragon capsule dock?",
)

CSS = """
.nqa-quote { margin: 0 0 .6em 0; line-height: 1.55; }
.nqa-mark { font-weight: 600; color: var(--color-accent); white-space: nowrap; }
.nqa-sources { border-top: 1px solid var(--border-color-primary); padding-top: .4em; }
.nqa-sources-title, .nqa-closest-title { font-weight: 600; margin: .2em 0; }
.nqa-source { margin: .25em 0; }
.nqa-source > summary { cursor: pointer; }
.nqa-context { margin: .4em 0 .4em .4em; padding-left: .7em; border-left: 3px solid var(--border-color-accent); }
mark.nqa-hl { background: #fde68a; color: #111; padding: 0 .1em; }
.nqa-meta, .nqa-offsets, .nqa-confidence { color: var(--body-text-color-subdued); font-size: .9em; }
.nqa-abstain { font-weight: 600; }
.nqa-stats ul { margin: .2em 0 0 1.1em; }
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


def paragraph_around(text: str, start: int, end: int, max_side: int = CONTEXT_CHARS) -> tuple[str, str, str]:
    """(before, sentence, after): the paragraph holding ``text[start:end]``, split around it.

    Paragraphs are separated by blank lines; a long paragraph is cut to ``max_side`` characters on
    each side, at a word boundary, with an ellipsis.
    """
    para_start = 0
    for m in _PARAGRAPH_BREAK.finditer(text, 0, start):
        para_start = m.end()
    m = _PARAGRAPH_BREAK.search(text, end)
    para_end = m.start() if m else len(text)
    before, after = text[para_start:start], text[end:para_end]
    if len(before) > max_side:
        cut = before[-max_side:]
        before = "…" + cut[cut.find(" ") + 1 :] if " " in cut else "…" + cut
    if len(after) > max_side:
        cut = after[:max_side]
        after = (cut[: cut.rfind(" ")] if " " in cut else cut) + "…"
    return before, text[start:end], after


def _outlet_line(c: Citation | Hit) -> str:
    return (
        f'<b>{esc(c.source or "unknown outlet")}</b> — {esc(c.title or "(untitled)")}'
        f' <span class="nqa-meta">· {esc(c.date or "undated")}</span>'
    )


def _context_html(citation: Citation, article_text: Callable[[str], str]) -> str:
    try:
        text = article_text(citation.article_id)
    except KeyError:  # deleted since it was cited: the sentence itself is still exact
        text = ""
    if text[citation.start : citation.end] == citation.sentence:
        before, sentence, after = paragraph_around(text, citation.start, citation.end)
    else:
        before, sentence, after = "", citation.sentence, ""
    return (
        f'<blockquote class="nqa-context">{_esc_lines(before)}'
        f'<mark class="nqa-hl">{_esc_lines(sentence)}</mark>{_esc_lines(after)}</blockquote>'
    )


def _source_html(n: int, sentence_n_sources: int, citation: Citation, also: Sequence[Citation],
                 article_text: Callable[[str], str], open_: bool) -> str:
    reported = ""
    if sentence_n_sources > 1:
        others = "".join(
            f"<li>{_outlet_line(c)} · {safe_link(c.url)}</li>" for c in also
        )
        reported = (
            f'<div class="nqa-reported">Reported by {sentence_n_sources} sources; also:'
            f"<ul>{others}</ul></div>"
        )
    summary_extra = f' <span class="nqa-meta">· reported by {sentence_n_sources} sources</span>' if reported else ""
    return (
        f'<details class="nqa-source" data-n="{n}"{" open" if open_ else ""}>'
        f'<summary><span class="nqa-mark">[{n}]</span> {_outlet_line(citation)}{summary_extra}</summary>'
        f"{_context_html(citation, article_text)}"
        f'<div class="nqa-link">{safe_link(citation.url)}</div>'
        f"{reported}"
        f'<div class="nqa-offsets">article {esc(citation.article_id)}, characters '
        f"{citation.start}–{citation.end}</div>"
        "</details>"
    )


def _closest_html(searched: Sequence[Hit]) -> str:
    seen: set[str] = set()
    items = []
    for h in searched:
        if h.article_id in seen:
            continue
        seen.add(h.article_id)
        items.append(f"<li>{_outlet_line(h)} · {safe_link(h.url)}</li>")
        if len(items) == CLOSEST_SHOWN:
            break
    if not items:
        return '<p class="nqa-meta">No article matched the search.</p>'
    return (
        '<div class="nqa-closest"><p class="nqa-closest-title">Closest articles searched:</p>'
        f'<ul>{"".join(items)}</ul></div>'
    )


def describe_filters(filters: Filters) -> str:
    """The active filters in words, or "" when nothing is filtered."""
    parts = []
    if filters.sources:
        parts.append("from " + ", ".join(filters.sources))
    if filters.date_from or filters.date_to:
        parts.append(f"dated {filters.date_from or 'any time'} to {filters.date_to or 'now'}")
    if filters.prefer_recent:
        parts.append("recent first")
    return "; ".join(parts)


def render_answer(answer: Answer, article_text: Callable[[str], str], filters: Filters | None = None) -> str:
    """The assistant's chat message: quoted sentences with [n] marks, then one expandable source
    per mark (outlet, title, date, link, the sentence highlighted in its paragraph); or a plain
    abstention with the closest articles searched."""
    note = describe_filters(filters or Filters())
    note_html = f'<p class="nqa-meta">Searched only articles {esc(note)}.</p>' if note else ""
    if not answer.is_answer or not answer.sentences:
        return (
            f'<div class="nqa-answer"><p class="nqa-abstain">{esc(NO_ANSWER)}</p>'
            f"{note_html}{_closest_html(answer.searched)}</div>"
        )
    quotes = " ".join(
        f'“{_esc_lines(s.text)}” <span class="nqa-mark">[{i}]</span>' for i, s in enumerate(answer.sentences, 1)
    )
    sources = "".join(
        _source_html(i, s.n_sources, s.citation, s.also_reported_by, article_text, open_=False)
        for i, s in enumerate(answer.sentences, 1)
    )
    return (
        f'<div class="nqa-answer"><p class="nqa-quote">{quotes}</p>'
        f'<div class="nqa-sources"><p class="nqa-sources-title">Sources</p>{sources}</div>'
        f'{note_html}<p class="nqa-confidence">confidence {answer.confidence:.2f}</p></div>'
    )


def render_question(question: str) -> str:
    return _esc_lines(question)


def render_stats(stats: Stats) -> str:
    """Corpus size, outlets and date span, escaped."""
    named = [(s, n) for s, n in stats.sources if s]
    top = "".join(f"<li>{esc(s)} ({n})</li>" for s, n in named[:8])
    more = f"<li>… and {len(named) - 8} more</li>" if len(named) > 8 else ""
    span = f"{esc(stats.date_min)} to {esc(stats.date_max)}" if stats.date_min else "undated"
    dup = f" (+{stats.duplicates} duplicates merged)" if stats.duplicates else ""
    return (
        f'<div class="nqa-stats"><b>{stats.articles}</b> articles{dup} · <b>{len(named)}</b> sources · {span}'
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
            out.append(f"What do the articles say about {title}?")
    return out


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_filters(date_from: str | None, date_to: str | None, sources: Sequence[str] | None,
                  prefer_recent: bool) -> Filters:
    """Filters from the form; a malformed date is the user's to fix, so it raises ``ValueError``."""
    dates = []
    for label, value in (("From", date_from), ("To", date_to)):
        value = (value or "").strip()
        if value and not _DATE.fullmatch(value):
            raise ValueError(f"{label} date must look like 2021-03-02 (YYYY-MM-DD), not {value!r}.")
        dates.append(value or None)
    return Filters(dates[0], dates[1], tuple(sources or ()), bool(prefer_recent))


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
    from index.ingest import ingest

    index_dir = Path(index_dir)
    settings = Settings(model=assistant.store.model)
    ingest_model = _IngestModel(settings.load_embedder)
    stats = assistant.stats()
    if index_dir.resolve() == DEMO_INDEX.resolve():
        examples = list(DEMO_QUESTIONS)
    else:
        examples = example_questions(_sample_titles(assistant, 3), 3)

    def ask(question: str, history: list[Any], conversation: Conversation, date_from: str, date_to: str,
            sources: list[str], prefer_recent: bool) -> Iterator[tuple[list[Any], str, Conversation]]:
        question = (question or "").strip()
        if not question:
            yield history, "", conversation
            return
        try:
            filters = parse_filters(date_from, date_to, sources, prefer_recent)
        except ValueError as exc:
            raise gr.Error(str(exc)) from exc
        history = [*history, {"role": "user", "content": render_question(question)}]
        yield history, "", conversation
        answer = assistant.ask(question, conversation, filters)
        reply = render_answer(answer, assistant.article_text, filters)
        yield [*history, {"role": "assistant", "content": reply}], "", conversation

    def new_conversation() -> tuple[list[Any], str, Conversation]:
        return [], "", Conversation()

    def add_files(
        files: list[str] | None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 -- Gradio finds its progress tracker by this default
    ) -> tuple[str, str, Any, None]:
        if not files:
            raise gr.Error("Choose one or more article files first.")
        done = 0

        def step(n: int) -> None:
            nonlocal done
            done += n
            progress((done, None), desc="Reading and embedding articles", unit="articles")

        progress(0, desc="Reading and embedding articles")
        report = ingest([str(f) for f in files], index_dir, ingest_model, settings.model, settings.chunker(),
                        faiss_kind=settings.faiss_kind, progress=step)
        progress(1.0, desc="Updating the search index")
        assistant.refresh()
        fresh = assistant.stats()
        return report.summary(), render_stats(fresh), gr.Dropdown(choices=source_choices(fresh)), None

    with gr.Blocks(title="newsqa — ask the news archive", analytics_enabled=False) as demo:
        gr.Markdown(
            "## Ask the news archive\n"
            "Answers are sentences quoted word for word from the articles, each with its source. "
            "Follow-up questions use the conversation."
        )
        conversation = gr.State(Conversation())
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="Conversation", elem_id="chat", height=560,
                    render_markdown=False, sanitize_html=True, latex_delimiters=[], allow_tags=False,
                    feedback_options=None, buttons=[],
                )
                with gr.Row():
                    question = gr.Textbox(
                        label="Question", placeholder="Ask about the articles…", elem_id="question",
                        scale=5, max_lines=4, submit_btn=False,
                    )
                    ask_btn = gr.Button("Ask", variant="primary", elem_id="ask", scale=1)
                new_btn = gr.Button("New conversation", elem_id="new-conversation", size="sm")
                if examples:
                    gr.Examples(examples=[[q] for q in examples], inputs=[question], label="Example questions")
            with gr.Column(scale=2):
                gr.Markdown("### The articles")
                stats_html = gr.HTML(render_stats(stats), elem_id="stats", js_on_load=None)
                with gr.Accordion("Filters (apply to the next question)", open=False, elem_id="filters"):
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
                with gr.Accordion("Add articles", open=False, elem_id="add-articles"):
                    files = gr.File(
                        label="JSONL, CSV, TXT or HTML files", file_count="multiple", file_types=UPLOAD_TYPES,
                        elem_id="upload",
                    )
                    add_btn = gr.Button("Add to the archive", elem_id="add", variant="secondary")
                    report = gr.Textbox(label="Ingest report", lines=6, interactive=False, elem_id="ingest-report")

        asked = [question, chatbot, conversation, date_from, date_to, sources, prefer_recent]
        answered = [chatbot, question, conversation]
        question.submit(ask, asked, answered)
        ask_btn.click(ask, asked, answered)
        new_btn.click(new_conversation, None, answered, queue=False)
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
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    assistant = Assistant.load(index_dir)
    try:
        demo = build_app(assistant, Path(index_dir))
        demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
        demo.launch(server_name=host, server_port=port, auth=credentials, css=CSS, footer_links=[], quiet=True)
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
    serve(args.index, host=args.host, port=args.port, auth=args.auth)


if __name__ == "__main__":
    main()
