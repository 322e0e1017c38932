"""The browser chat: cited answers a reader can check, built with Gradio Blocks.

``serve`` loads the index and the embedding model once, then ``build_app`` wires the assistant into
the page. The HTML comes from :mod:`newsqa.render`, which escapes everything from the corpus or the
user (article text, titles, outlets, links, questions, file names, error messages) and makes only
``http(s)`` links anchors. The chatbot shows that HTML as it is (``render_markdown`` off, so nothing
is re-read as Markdown) with Gradio's sanitiser left on as a second line of defence.

    python app.py --index DIR [--host 127.0.0.1] [--port 7860] [--auth user:password]
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.chat import Conversation
from assistant.filters import FilterError
from assistant.records import Filters
from newsqa.render import (
    CSS,
    DEMO_QUESTIONS,
    date_hints,
    example_questions,
    parse_filters,
    render_answer,
    render_error,
    render_filter_error,
    render_question,
    render_stats,
    source_choices,
    upload_report,
)

if TYPE_CHECKING:
    from assistant.api import Assistant
    from index.embed import Embedder

__all__ = ["build_app", "main", "serve"]

logger = logging.getLogger(__name__)

UPLOAD_TYPES = [
    ".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".gz", ".txt", ".md", ".html", ".htm", ".rss", ".atom", ".xml",
]
MAX_UPLOAD = "50mb"
CONCURRENCY = 2  # answering holds the assistant's lock anyway; more workers would only queue on it
QUEUE_SIZE = 64


# -- wiring ------------------------------------------------------------------------------------


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


def build_app(assistant: Assistant, index_dir: str | Path) -> gr.Blocks:
    """The page, wired to ``assistant``; uploads are ingested into ``index_dir`` (a directory or a
    Milvus location, see :mod:`index.location`)."""
    from assistant.settings import DEMO_INDEX, Settings
    from index.errors import NewsQAError
    from index.ingest import ingest
    from index.location import is_milvus

    # a Milvus URI is no path: Path("http://host:19530") would lose a slash
    index_dir = os.fspath(index_dir) if is_milvus(index_dir) else Path(index_dir)
    # how saved conversations name the index: as served, relative to where the server runs ("data/demo/index")
    index_label = _index_label(index_dir)
    settings = Settings(model=assistant.model)
    ingest_model = _IngestModel(settings.load_embedder)
    chunker = settings.chunker()
    stats = assistant.stats()
    if isinstance(index_dir, Path) and index_dir.resolve() == DEMO_INDEX.resolve():
        examples = list(DEMO_QUESTIONS)
    else:
        examples = example_questions(assistant.sample_titles(3), 3)

    def reply_to(question: str, conversation: Conversation, filters: Filters,
                 follow_up: bool | None = None) -> tuple[str, bool]:
        """The chat message answering ``question`` (the turn added to ``conversation``), and whether
        it was read as a follow-up. A filter the index refuses (a source it no longer holds) raises
        :class:`FilterError` for the caller to show beside the filters; any other failure is shown
        in the chat and logged in full, and the session keeps working."""
        try:
            answer = assistant.ask(question, conversation, filters, follow_up)
            return render_answer(answer, assistant.article_text), answer.follow_up_to is not None
        except FilterError:
            raise
        except Exception as exc:
            logger.exception("answering %r failed", question)
            return render_error(str(exc) or type(exc).__name__), False

    def refused(exc: FilterError) -> tuple[Any, Any]:
        """The message beside the filters, and their accordion opened so that it shows. The user's
        mistake, not the server's: one line in the log, no traceback."""
        logger.warning("filter refused: %s", exc)
        return gr.HTML(render_filter_error(str(exc)), visible=True), gr.Accordion(open=True)

    def ask(question: str, history: list[Any], conversation: Conversation, date_from: str, date_to: str,
            sources: list[str], prefer_recent: bool, near_date: str = "") -> Iterator[tuple[Any, ...]]:
        # Outputs: the chat, the question box, the conversation, the ask-alone button, the filter
        # message, the filters' accordion. A refused filter leaves the chat and the question as they
        # are, so the user can fix the filter and send the question again.
        text = (question or "").strip()
        if not text:
            yield history, "", conversation, gr.skip(), gr.skip(), gr.skip()
            return
        try:
            filters = parse_filters(date_from, date_to, sources, prefer_recent, near_date)
        except FilterError as exc:
            yield history, question, conversation, gr.skip(), *refused(exc)
            return
        asked = [*history, {"role": "user", "content": render_question(text)}]
        yield asked, "", conversation, gr.Button(visible=False), gr.HTML("", visible=False), gr.skip()
        try:
            reply, follow_up = reply_to(text, conversation, filters)
        except FilterError as exc:  # checked against the index when asked: the question is taken back
            yield history, question, conversation, gr.skip(), *refused(exc)
            return
        answered = [*asked, {"role": "assistant", "content": reply}]
        yield answered, "", conversation, gr.Button(visible=follow_up), gr.skip(), gr.skip()

    def ask_alone(history: list[Any], conversation: Conversation) -> tuple[Any, ...]:
        """The last question asked again on its own, with the filters it was asked with: its turn is
        taken back and the follow-up's answer replaced by the new one, so the chat shows what the
        conversation holds (and what "Save conversation" writes)."""
        # Outputs: the chat, the conversation, the ask-alone button, the filter message, the accordion.
        last = conversation.last
        shown = bool(history) and history[-1].get("role") == "assistant"
        if last is None or last.answer is None or last.answer.follow_up_to is None or not shown:
            return history, conversation, gr.Button(visible=False), gr.skip(), gr.skip()
        conversation.pop()
        try:
            reply, _ = reply_to(last.question, conversation, last.filters, follow_up=False)
        except FilterError as exc:  # a source gone from the index since: the follow-up stands
            conversation.add(last)
            return history, conversation, gr.skip(), *refused(exc)
        return ([*history[:-1], {"role": "assistant", "content": reply}], conversation, gr.Button(visible=False),
                gr.skip(), gr.skip())

    def new_conversation() -> tuple[list[Any], str, Conversation, Any, Any]:
        return [], "", Conversation(), gr.Button(visible=False), gr.File(value=None, visible=False)

    # Saved conversations are written here and served from Gradio's cache; removed when the app exits.
    saved_dir = Path(tempfile.mkdtemp(prefix="newsqa-saved-"))
    atexit.register(shutil.rmtree, saved_dir, ignore_errors=True)

    def save_conversation(conversation: Conversation) -> Any:
        from assistant.export import conversation_json, conversation_markdown

        if not conversation.turns:
            raise gr.Error("Nothing to save yet: ask a question first.")
        folder = Path(tempfile.mkdtemp(dir=saved_dir))  # one per save: sessions never share a file
        markdown, record = folder / "conversation.md", folder / "conversation.json"
        markdown.write_text(conversation_markdown(conversation, index_label), encoding="utf-8")
        record.write_text(conversation_json(conversation, index_label), encoding="utf-8")
        return gr.File(value=[str(markdown), str(record)], visible=True)

    def add_files(
        files: list[str] | None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 -- Gradio finds its progress tracker by this default
    ) -> tuple[Any, ...]:
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
        first, last = date_hints(fresh)
        return (upload_report(report.summary(), paths), render_stats(fresh),
                gr.Dropdown(choices=source_choices(fresh)), gr.Textbox(placeholder=first),
                gr.Textbox(placeholder=last), None)

    first_date, last_date = date_hints(stats)
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
                    alone_btn = gr.Button("Ask the last question on its own", elem_id="ask-alone", size="sm",
                                          visible=False)
                    new_btn = gr.Button("New conversation", elem_id="new-conversation", size="sm")
                    save_btn = gr.Button("Save conversation", elem_id="save-conversation", size="sm")
                saved = gr.File(label="Saved conversation: Markdown to read, JSON to process", elem_id="saved",
                                file_count="multiple", interactive=False, visible=False)
                if examples:
                    gr.Examples(examples=[[q] for q in examples], inputs=[question], label="Example questions")
            with gr.Column(scale=2):
                gr.Markdown("### The articles")
                stats_html = gr.HTML(render_stats(stats), elem_id="stats")
                with gr.Accordion("Filters (apply to the next question)", open=True, elem_id="filters") as filter_panel:
                    sources = gr.Dropdown(
                        choices=source_choices(stats), value=[], multiselect=True, label="Sources",
                        elem_id="source-filter",
                    )
                    with gr.Row():
                        date_from = gr.Textbox(label="From", placeholder=first_date, elem_id="date-from", max_lines=1)
                        date_to = gr.Textbox(label="To", placeholder=last_date, elem_id="date-to", max_lines=1)
                    filter_error = gr.HTML("", elem_id="filter-error", visible=False)
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
        answered = [chatbot, question, conversation, alone_btn, filter_error, filter_panel]
        question.submit(ask, asked, answered)
        ask_btn.click(ask, asked, answered)
        asked_alone = [chatbot, conversation, alone_btn, filter_error, filter_panel]
        alone_btn.click(ask_alone, [chatbot, conversation], asked_alone)
        cleared = [chatbot, question, conversation, alone_btn, saved]
        new_btn.click(new_conversation, None, cleared, queue=False)
        chatbot.clear(new_conversation, None, cleared, queue=False)  # the chat's own bin icon
        save_btn.click(save_conversation, [conversation], [saved], queue=False)
        add_btn.click(add_files, [files], [report, stats_html, sources, date_from, date_to, files], concurrency_limit=1)
    return demo


def _index_label(index_dir: str | Path) -> str:
    """``index_dir`` relative to the working directory when it lies inside it, else as given (a
    Milvus location always as given)."""
    if isinstance(index_dir, str):
        return index_dir
    try:
        return str(index_dir.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(index_dir)


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
        demo = build_app(assistant, index_dir)
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
    parser.add_argument(
        "--index", required=True, metavar="INDEX",
        help="the index: a directory, or a Milvus location (x.db, http://host:19530)",
    )
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
