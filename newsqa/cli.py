"""The newsqa command: ingest, delete, stats, ask, search, chat, serve, demo, copy-index and eval.

Exit status: 0 success; 1 an error (message on stderr); 2 bad usage, a date that is not one or a
source the index does not hold; 3 ingest finished but skipped some records, or ask --questions some
lines (each listed with file:line and reason).
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
from pathlib import Path

from newsqa.args import date_from, date_to, iso_day, positive_int
from newsqa.text import format_answer, format_hits

__all__ = ["main"]

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


def run_ingest(  # type: ignore[no-untyped-def]
    paths: Sequence[str], index: str, settings, columns=None, quiet: bool = False, ray: str | None = None
):
    """Ingest with a progress bar on stderr; returns the report. ``ray``: None for this process
    alone, "" for a Ray instance started on this machine, else the address of a Ray cluster to join
    (Ray is imported only then)."""
    from tqdm import tqdm

    # shown after a second: an input refused at once leaves no empty bar above its error
    bar = tqdm(total=_count_hint(paths), unit="article", desc="ingesting", disable=quiet, file=sys.stderr, delay=1)
    try:
        if ray is None:
            from index.ingest import ingest

            return ingest(
                paths, index, settings.load_embedder, settings.model, settings.chunker(), columns=columns,
                faiss_kind=settings.faiss_kind, progress=bar.update,
            )
        from index.ray_ingest import ingest_with_ray

        logging.getLogger("ray.data").setLevel(logging.WARNING)
        return ingest_with_ray(
            paths, index, settings.load_embedder, settings.model, settings.chunker(), columns=columns,
            faiss_kind=settings.faiss_kind, progress=bar.update, address=ray or None,
        )
    finally:
        bar.close()


def cmd_ingest(args: argparse.Namespace) -> int:
    from corpus.load import ColumnMap

    columns = ColumnMap.parse(args.columns) if args.columns else None
    report = run_ingest(args.paths, args.index, _settings(args), columns, quiet=args.quiet, ray=args.ray)
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
    from index.location import open_index

    store = open_index(args.index)
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


def _checked_filters(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The filters the flags give, their sources as the index spells them: checked before any
    model loads, so a source the index lacks fails at once (exit 2, naming the sources it holds)."""
    from assistant.filters import match_sources
    from index.location import open_index

    filters = _filters(args)
    if not filters.sources:
        return filters
    store = open_index(args.index)
    try:
        known = [source for source, _ in store.stats().sources if source]
    finally:
        store.close()
    return replace(filters, sources=match_sources(filters.sources, known))


def _load_assistant(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from assistant.api import Assistant

    return Assistant.load(args.index)


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.export import answer_record

    if args.questions is not None:
        return ask_questions(args)
    if args.near == "question":
        print("newsqa ask: error: --near question needs --questions FILE (a date for each line)", file=sys.stderr)
        return 2
    filters = _checked_filters(args)
    assistant = _load_assistant(args)
    answer = assistant.ask(args.question, filters=filters)
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
    assistant, filters, asked, skipped = None, _checked_filters(args), 0, 0
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


def cmd_search(args: argparse.Namespace) -> int:
    from assistant.records import Hit

    filters = _checked_filters(args)
    assistant = _load_assistant(args)
    if args.articles:
        # each article once, at its best passage: the best of ten times as many passages
        best: dict[str, Hit] = {}
        for h in assistant.search(args.query, k=10 * args.k, filters=filters):
            best.setdefault(h.article_id, h)
        hits = list(best.values())[: args.k]
    else:
        hits = assistant.search(args.query, k=args.k, filters=filters)
    print(json.dumps([asdict(h) for h in hits], indent=2, ensure_ascii=False) if args.json else format_hits(hits))
    return 0


CHAT_HELP = """Ask about the articles; a follow-up question uses the conversation.
  /alone          ask the last question again on its own, not as a follow-up
  /alone QUESTION ask QUESTION on its own
  /new            start a new conversation
  /save FILE      save the conversation (FILE.md to read, FILE.json to process)
  /help           this list
  /quit           leave (so do Ctrl+D and Ctrl+C)"""


def cmd_chat(args: argparse.Namespace) -> int:
    from assistant.chat import Conversation

    filters = _checked_filters(args)
    assistant = _load_assistant(args)
    conversation = Conversation()
    print(CHAT_HELP)
    while True:
        try:
            line = input("\n> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if line:
            reply = chat_reply(line, assistant, conversation, filters, args.index)
            if reply is None:
                return 0
            print(reply)


def chat_reply(line: str, assistant, conversation, filters, index: str | None = None) -> str | None:  # type: ignore[no-untyped-def]
    """What the terminal chat prints for ``line`` (a question or a command); None to leave."""
    command, _, rest = line.partition(" ")
    rest = rest.strip()
    if not line.startswith("/"):
        return format_answer(assistant.ask(line, conversation, filters))
    if command in ("/quit", "/exit"):
        return None
    if command in ("/help", "/?"):
        return CHAT_HELP
    if command == "/new":
        conversation.clear()
        return "(new conversation)"
    if command == "/save":
        return save_conversation(conversation, rest, index)
    if command == "/alone":
        if not rest:
            last = conversation.last
            if last is None:
                return "Nothing to ask again yet: ask a question first."
            conversation.pop()
            rest, filters = last.question, last.filters
        return format_answer(assistant.ask(rest, conversation, filters, follow_up=False))
    return f"Unknown command {command}: /help lists them."


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
    from index.location import open_index

    doing = f"Building the demo index from {DEMO_CORPUS} (first run only)..."
    if (DEMO_INDEX / "manifest.json").exists():
        store = open_index(DEMO_INDEX)
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


def cmd_copy_index(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from index.copy import copy_index

    bar = tqdm(unit="article", desc="copying", disable=args.quiet, file=sys.stderr, delay=1)

    def total(n: int) -> None:
        bar.total = n
        bar.refresh()

    try:
        report = copy_index(args.source, args.dest, batch_articles=args.batch, progress=bar.update, total=total)
    finally:
        bar.close()
    print(report.summary())
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from app import serve

    serve(args.index, host=args.host, port=args.port, auth=args.auth)
    return 0


def _add_filter_args(p: argparse.ArgumentParser, near_each: bool = False) -> None:
    p.add_argument(
        "--from", dest="date_from", metavar="DATE", type=date_from,
        help="only articles dated on or after DATE (YYYY-MM-DD, or a month YYYY-MM, or a year)",
    )
    p.add_argument(
        "--to", dest="date_to", metavar="DATE", type=date_to,
        help="only articles dated on or before DATE (YYYY-MM-DD, or a month YYYY-MM, or a year)",
    )
    p.add_argument(
        "--source", action="append", metavar="NAME",
        help="only this source, as newsqa stats lists it (any case; repeatable)",
    )
    p.add_argument("--recent", action="store_true", help="prefer recent articles")
    p.add_argument(
        "--near",
        metavar="DATE",
        type=_iso_day_or_question if near_each else iso_day,
        help="prefer articles published shortly before DATE (YYYY-MM-DD), e.g. the day the question is about"
        + ("; with --questions, 'question' takes each line's \"date\"" if near_each else ""),
    )


def _iso_day_or_question(text: str) -> str:
    return text if text == "question" else iso_day(text)


def build_parser() -> argparse.ArgumentParser:
    from index.embed import DEFAULT_MODEL

    parser = argparse.ArgumentParser(
        prog="newsqa", description=__doc__.splitlines()[0],
        epilog="newsqa COMMAND --help describes each command. Set-up, formats and figures: README.md.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_index(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--index", required=True, metavar="INDEX",
            help="the index: a directory, or a Milvus location (a path ending in .db for Milvus Lite, "
            "http://host:19530 for a server; needs the scale extra)",
        )

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
        "--ray", nargs="?", const="", default=None, metavar="ADDRESS",
        help="read, chunk and embed on Ray (pip install -e '.[scale]'; docs/SCALE.md): alone, a Ray instance on "
             "this machine's cores; --ray=ADDRESS joins the cluster at ADDRESS (the host:port `ray start --head` "
             "prints). Put it after the paths, or write --ray=ADDRESS",
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

    p = sub.add_parser(
        "copy-index", help="copy a local index into Milvus, reusing its vectors (resumable: run again to finish)"
    )
    p.add_argument("source", metavar="SRC", help="a local index directory")
    p.add_argument("dest", metavar="DEST", help="a Milvus location: a path ending in .db, or http://host:19530")
    p.add_argument("--batch", type=positive_int, default=256, metavar="N", help="articles a write (default 256)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_copy_index)

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
    from assistant.filters import FilterError
    from index.errors import NewsQAError

    try:
        return int(args.func(args) or 0)
    except FilterError as exc:
        print(f"newsqa {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except (NewsQAError, FileExistsError, ValueError, OSError) as exc:
        print(f"newsqa: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
