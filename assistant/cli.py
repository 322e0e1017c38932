"""The ``newsqa`` command: ingest, delete, stats, ask, search, chat, serve, demo and eval.

Exit status: 0 success; 1 an error (message on stderr); 2 bad usage; 3 ingest finished but skipped
some records, or ``ask --questions`` some lines (each listed with file:line and reason).
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path

__all__ = ["main", "positive_int"]

logger = logging.getLogger("newsqa")

EXIT_SKIPPED = 3


def _offline_defaults() -> None:
    # Models come from installed packages: never reach for a hub at run time.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _settings(args: argparse.Namespace, progress: bool = False):  # type: ignore[no-untyped-def]
    from assistant.settings import Settings

    defaults = Settings()
    return Settings(
        model=args.model,
        chunk_tokens=getattr(args, "chunk_tokens", defaults.chunk_tokens),
        chunk_overlap=getattr(args, "chunk_overlap", defaults.chunk_overlap),
        faiss_kind=getattr(args, "faiss", defaults.faiss_kind),
        progress=progress,
    )


def _count_hint(paths: Sequence[str]) -> int | None:
    """Lines of the JSONL inputs, for the progress bar's total; None when other formats are in."""
    total = 0
    for p in paths:
        path = Path(p)
        if path.is_file() and path.name.endswith((".jsonl", ".ndjson")):
            with open(path, "rb") as f:
                total += sum(1 for line in f if line.strip())
        elif path.is_file() and path.name.endswith((".jsonl.gz", ".ndjson.gz")):
            try:
                with gzip.open(path, "rb") as f:
                    total += sum(1 for line in f if line.strip())
            except (OSError, EOFError):
                return None
        else:
            return None
    return total


def run_ingest(paths: Sequence[str], index: str, settings, columns=None, quiet: bool = False):  # type: ignore[no-untyped-def]
    """Ingest with a progress bar on stderr; returns the report."""
    from tqdm import tqdm

    from index.ingest import ingest

    bar = tqdm(total=_count_hint(paths), unit="article", desc="ingesting", disable=quiet, file=sys.stderr)
    try:
        return ingest(
            paths, index, settings.load_embedder, settings.model, settings.chunker(), columns=columns,
            faiss_kind=settings.faiss_kind, progress=bar.update,
        )
    finally:
        bar.close()


def cmd_ingest(args: argparse.Namespace) -> int:
    from corpus.load import ColumnMap

    columns = ColumnMap.parse(args.columns) if args.columns else None
    report = run_ingest(args.paths, args.index, _settings(args), columns, quiet=args.quiet)
    if args.json:
        data = asdict(report)
        data["skipped"] = [{"place": s.place, "reason": s.reason} for s in report.skipped]
        print(json.dumps(data, indent=2))
    else:
        print(report.summary())
    return EXIT_SKIPPED if report.skipped else 0


def cmd_delete(args: argparse.Namespace) -> int:
    from index.ingest import delete

    settings = _settings(args)
    report = delete(args.ids, args.index, settings.load_embedder, settings.chunker())
    print(f"deleted: {len(report.deleted)}  not found: {len(report.missing)}")
    for article_id in report.missing:
        print(f"  not in the index: {article_id}")
    for article_id in report.promoted:
        print(f"  duplicate now kept in place of a deleted article: {article_id}")
    return 1 if report.missing and not report.deleted else 0


def cmd_stats(args: argparse.Namespace) -> int:
    from index.store import IndexStore

    store = IndexStore.open(args.index)
    try:
        stats = store.stats()
        data = {
            "articles": stats.articles, "duplicates": stats.duplicates, "chunks": stats.chunks,
            "sources": dict(stats.sources), "date_min": stats.date_min, "date_max": stats.date_max,
            "model": store.model, "dim": store.dim, "faiss": store.faiss_kind,
            "up_to_date": store.is_up_to_date(),
        }
    finally:
        store.close()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(f"articles: {data['articles']} (+{data['duplicates']} duplicates merged)")
    print(f"chunks: {data['chunks']}")
    print(f"dates: {data['date_min'] or '-'} to {data['date_max'] or '-'}")
    print(f"model: {data['model']} ({data['dim']}-d, {data['faiss']})")
    print(f"sources ({len(stats.sources)}):")
    for source, n in stats.sources[:20]:
        print(f"  {n:6d}  {source or '(none)'}")
    if len(stats.sources) > 20:
        print(f"  ... and {len(stats.sources) - 20} more")
    return 0


def _filters(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from assistant.records import Filters

    return Filters(
        date_from=args.date_from,
        date_to=args.date_to,
        sources=tuple(args.source or ()),
        prefer_recent=args.recent,
        near_date=None if args.near == "question" else args.near,
    )


def _load_assistant(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from assistant.api import Assistant

    return Assistant.load(args.index)


def _byline(c) -> str:  # type: ignore[no-untyped-def]
    """A citation's or passage's title, outlet and date, in the terminal's words."""
    return f"{c.title or '(untitled)'} — {c.source or '?'}, {c.date or 'undated'}"


def _place(c) -> str:  # type: ignore[no-untyped-def]
    """Where a citation or passage is: its link, article id and character offsets."""
    return f"{c.url or '(no link)'}  (article {c.article_id}, characters {c.start}–{c.end})"


def format_answer(answer) -> str:  # type: ignore[no-untyped-def]
    """Plain-text rendering of an answer, with numbered citations."""
    lines = []
    if not answer.is_answer:
        lines.append("I found no answer to that in the articles.")
        from assistant.answer import abstention_notes

        lines.extend(abstention_notes(answer))
        if answer.searched:
            lines.append("Closest articles searched:")
            lines += [f"  - {_byline(h)} {h.url or ''}".rstrip() for h in answer.closest_articles()]
        return "\n".join(lines)
    from assistant.dates import BY_ARTICLE_DATE, dates_note

    for i, s in enumerate(answer.sentences, 1):
        lines.append(f"“{s.text}” [{i}]")
        if s.dates:
            lines.append(f"    {dates_note(s.dates)}{BY_ARTICLE_DATE}")
    lines.append("")
    for i, s in enumerate(answer.sentences, 1):
        more = f" — reported by {s.n_sources} sources" if s.n_sources > 1 else ""
        lines.append(f"[{i}] {_byline(s.citation)}{more}")
        lines.append(f"    {_place(s.citation)}")
    lines.append(f"confidence: {answer.confidence:.2f}")
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.export import answer_record

    if args.questions is not None:
        return ask_questions(args)
    if args.near == "question":
        print("newsqa ask: error: --near question needs --questions FILE (a date for each line)", file=sys.stderr)
        return 2
    assistant = _load_assistant(args)
    answer = assistant.ask(args.question, filters=_filters(args))
    print(json.dumps(answer_record(answer), indent=2, ensure_ascii=False) if args.json else format_answer(answer))
    return 0


def ask_questions(args: argparse.Namespace) -> int:
    """Each question of ``args.questions`` asked on its own: with ``--json`` one JSON object a line
    (the line's place and id, then what ``ask --json`` gives), else each answer under its question.
    Lines that give no question are listed on stderr, and the exit status is then 3. With ``--near
    question`` each question prefers the articles published shortly before its line's ``"date"``
    (none for a line without one). When the answers go to a file or a pipe, a progress bar shows on
    stderr (not with ``--quiet``)."""
    from tqdm import tqdm

    from assistant.batch import LineProblem, count_lines, read_questions
    from assistant.export import answer_record

    shown = not args.quiet and not sys.stdout.isatty()
    bar = tqdm(
        total=count_lines(args.questions) if shown else None, unit="question", desc="asking",
        disable=not shown, file=sys.stderr,
    )
    assistant, filters, asked, skipped = None, _filters(args), 0, 0
    for item in read_questions(args.questions):
        if isinstance(item, LineProblem):
            skipped += 1
            bar.write(f"{item.place}: skipped: {item.reason}", file=sys.stderr)
            bar.update(1)
            continue
        if assistant is None:  # the file opened and holds a question: now the model is worth loading
            assistant = _load_assistant(args)
        asked_with = replace(filters, near_date=item.date) if args.near == "question" else filters
        answer = assistant.ask(item.question, filters=asked_with)
        asked += 1
        if args.json:
            print(json.dumps({"place": item.place, "id": item.id, **answer_record(answer)}, ensure_ascii=False))
        else:
            print(("\n" if asked > 1 else "") + f"[{item.place}] {item.question}\n{format_answer(answer)}")
        sys.stdout.flush()
        bar.update(1)
    bar.close()
    print(f"{asked} question(s) asked, {skipped} line(s) skipped", file=sys.stderr)
    return EXIT_SKIPPED if skipped else 0


_SNIPPET_CHARS = 300


def format_hits(hits) -> str:  # type: ignore[no-untyped-def]
    """Plain-text rendering of search results: each passage's article, place and opening words."""
    if not hits:
        return "No passage matches that."
    lines = []
    for i, h in enumerate(hits, 1):
        text = " ".join(h.text.split())
        snippet = text if len(text) <= _SNIPPET_CHARS else text[:_SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
        lines.append(f"[{i}] {_byline(h)}")
        lines.append(f"    {_place(h)}")
        lines.append(f"    {snippet}")
    return "\n".join(lines)


def cmd_search(args: argparse.Namespace) -> int:
    from assistant.records import Hit

    assistant = _load_assistant(args)
    if args.articles:
        # each article once, at its best passage: the best of ten times as many passages
        best: dict[str, Hit] = {}
        for h in assistant.search(args.query, k=10 * args.k, filters=_filters(args)):
            best.setdefault(h.article_id, h)
        hits = list(best.values())[: args.k]
    else:
        hits = assistant.search(args.query, k=args.k, filters=_filters(args))
    print(json.dumps([asdict(h) for h in hits], indent=2, ensure_ascii=False) if args.json else format_hits(hits))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from assistant.chat import Conversation

    assistant = _load_assistant(args)
    conversation = Conversation()
    filters = _filters(args)
    print("Ask about the articles. Follow-up questions use the conversation. "
          "Commands: /new (new conversation), /save FILE (.md, or .json), /quit.")
    while True:
        try:
            question = input("\n> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not question:
            continue
        if question in ("/quit", "/exit"):
            return 0
        if question == "/new":
            conversation = Conversation()
            print("(new conversation)")
            continue
        if question == "/save" or question.startswith("/save "):
            print(save_conversation(conversation, question[len("/save"):].strip(), args.index))
            continue
        print(format_answer(assistant.ask(question, conversation, filters)))


def save_conversation(conversation, path: str, index: str | None = None) -> str:  # type: ignore[no-untyped-def]
    """Write ``conversation`` to ``path`` (JSON for ``.json``, else Markdown); the line to print."""
    from assistant.export import conversation_json, conversation_markdown

    if not path:
        return "Give a file name: /save notes.md (or notes.json)."
    if not conversation.turns:
        return "Nothing to save yet: ask a question first."
    target = Path(path).expanduser()
    json_file = target.suffix.lower() == ".json"
    text = conversation_json(conversation, index) if json_file else conversation_markdown(conversation, index)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        return f"Could not save to {target}: {exc.strerror or exc}"
    return f"(saved {len(conversation.turns)} question(s) to {target})"


def ensure_demo_index(quiet: bool = False) -> Path:
    """Build the demo index from the bundled Wikinews corpus on first use."""
    from assistant.settings import DEMO_CORPUS, DEMO_INDEX, Settings
    from index.store import IndexStore

    doing = f"Building the demo index from {DEMO_CORPUS} (first run only)..."
    if (DEMO_INDEX / "manifest.json").exists():
        store = IndexStore.open(DEMO_INDEX)
        current = store.is_up_to_date() and store.stats().articles > 0
        store.close()
        if current:
            return DEMO_INDEX
        doing = f"Bringing the demo index up to date with {DEMO_CORPUS}..."
    print(doing, file=sys.stderr)
    report = run_ingest([str(DEMO_CORPUS)], str(DEMO_INDEX), Settings(), quiet=quiet)
    print(report.summary(), file=sys.stderr)
    return DEMO_INDEX


def cmd_demo(args: argparse.Namespace) -> int:
    index = ensure_demo_index()
    if args.ask:
        from assistant.api import Assistant

        print(format_answer(Assistant.load(index).ask(args.ask)))
        return 0
    args.index = str(index)
    return cmd_serve(args)


def cmd_serve(args: argparse.Namespace) -> int:
    from app import serve

    serve(args.index, host=args.host, port=args.port, auth=args.auth)
    return 0


def _add_filter_args(p: argparse.ArgumentParser, near_each: bool = False) -> None:
    p.add_argument("--from", dest="date_from", metavar="DATE", help="only articles dated on or after (YYYY-MM-DD)")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="only articles dated on or before (YYYY-MM-DD)")
    p.add_argument("--source", action="append", metavar="NAME", help="only this source (repeatable)")
    p.add_argument("--recent", action="store_true", help="prefer recent articles")
    p.add_argument(
        "--near",
        metavar="DATE",
        type=_iso_date_or_question if near_each else _iso_date,
        help="prefer articles published shortly before DATE (YYYY-MM-DD), e.g. the day the question is about"
        + ("; with --questions, 'question' takes each line's \"date\"" if near_each else ""),
    )


def _iso_date_or_question(text: str) -> str:
    return text if text == "question" else _iso_date(text)


def _iso_date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, not {text!r}") from None


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from index.embed import DEFAULT_MODEL

    parser = argparse.ArgumentParser(prog="newsqa", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_index(p: argparse.ArgumentParser) -> None:
        p.add_argument("--index", required=True, metavar="DIR", help="the index directory")

    p = sub.add_parser("ingest", help="add, update or re-read articles into an index")
    p.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="files or folders: .jsonl/.csv (.gz), .txt, .md, .html, .rss/.atom/.xml (RSS, Atom, NewsML-G2, NITF)",
    )
    with_index(p)
    p.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help="sentence-transformers model name or path (default: %(default)s, packaged offline)",
    )
    p.add_argument(
        "--columns", metavar="MAP", help="column names for JSONL/CSV, e.g. text=body,title=headline,date=published"
    )
    p.add_argument(
        "--faiss", choices=["flat", "hnsw", "ivfpq"], default="flat", help="vector index kind for a new index"
    )
    p.add_argument("--chunk-tokens", type=int, default=200, help="chunk size in model tokens (default 200)")
    p.add_argument("--chunk-overlap", type=int, default=30, help="tokens shared by neighbouring chunks (default 30)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("delete", help="delete articles by id")
    p.add_argument("ids", nargs="+", metavar="ID")
    with_index(p)
    p.add_argument("--model", default=DEFAULT_MODEL, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_delete)

    p = sub.add_parser("stats", help="what an index holds")
    with_index(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("ask", help="answer a question (or a file of them) with cited sentences")
    asked = p.add_mutually_exclusive_group(required=True)
    asked.add_argument("question", nargs="?")
    asked.add_argument(
        "--questions",
        metavar="FILE",
        help="ask each question of FILE: one a line, or JSON Lines with a \"question\" field (.jsonl); - for stdin",
    )
    with_index(p)
    p.add_argument("--json", action="store_true", help="JSON (with --questions: one object a line)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar (with --questions)")
    _add_filter_args(p, near_each=True)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("search", help="the passages that match a query best, with their articles (no answer)")
    p.add_argument("query")
    with_index(p)
    p.add_argument("-k", type=positive_int, default=10, metavar="N", help="how many passages (default 10)")
    p.add_argument("--articles", action="store_true", help="each article once, at its best passage; -k counts articles")
    p.add_argument("--json", action="store_true")
    _add_filter_args(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("chat", help="an interactive conversation in the terminal")
    with_index(p)
    _add_filter_args(p)
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("serve", help="the chat in a browser (Gradio)")
    with_index(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s, this machine only)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--auth", metavar="USER:PASSWORD", help="require this login")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="build the bundled Wikinews demo index if needed, then serve it")
    p.add_argument("--ask", metavar="QUESTION", help="answer this in the terminal instead of serving")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--auth", metavar="USER:PASSWORD")
    p.set_defaults(func=cmd_demo)

    try:
        from eval.cli import add_eval_parser
    except ImportError:  # the evaluation tools are optional at run time
        pass
    else:
        add_eval_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _offline_defaults()
    for stream in (sys.stdout, sys.stderr):  # file names and article text may not be encodable here
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # bm25s sets its own logger to DEBUG when imported
        handler.setLevel(level)
    from index.errors import NewsQAError

    try:
        return int(args.func(args) or 0)
    except (NewsQAError, FileExistsError, ValueError, OSError) as exc:
        print(f"newsqa: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
