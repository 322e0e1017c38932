"""Load test: the browser app under concurrent questions while articles are being added.

    python scripts/load_test.py [--clients 20] [--seconds 120] [--articles 40] [--uploads 2] [--json OUT]

Builds an index of the first ``--articles`` demo articles with the real model (``newsqa ingest``),
starts ``app.py`` on 127.0.0.1 in a subprocess, and for ``--seconds`` runs ``--clients`` clients
(``gradio_client``, one thread each) asking questions — ordinary ones and, one in ten, hostile ones
(100,000 characters, control characters, NUL bytes, markup, stop-words only, other languages, emoji,
empty) —
while ``--uploads`` batches of new articles are added through the app's upload button. Afterwards
every citation shown is checked against the index (the article text sliced by the offsets the page
shows). Prints the number of requests, failures, invalid citations and p50/p95 latency; exits 1 if
any request failed or any citation was wrong. Loopback only.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from app_process import app_env, free_port, start_app, stop_app, wait_until_serving

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo" / "wikinews.jsonl"
HOST = "127.0.0.1"

HOSTILE = {
    "100,000 characters": "Why did the building collapse? " * 3226,
    "control characters": "Who\x07 was\x1b[31m elected\x08 speaker\x0c?",
    "NUL bytes": "What\x00 happened\x00 in\x00 Magnitogorsk?\x00",
    "markup": "<script>alert(1)</script><img src=x onerror=alert(2)> **bold** [link](javascript:alert(3)) {{7*7}} ${x}",
    "stop-words only": "the of and to in is it that was for on",
    "another language": "¿Cuántas personas murieron en el derrumbe del edificio de Magnitogorsk?",
    "another script": "Сколько человек погибло при обрушении дома в Магнитогорске?",
    "emoji": "🏢💥❓ 😱😱😱",
    "empty": "",
    "whitespace": "   \n\t  ",
    "right-to-left and zero-width": "\u202eWho\u200b won\u2066 the\u2069 election?",
}

_QUOTE = re.compile(r"“(.*?)” <span class=\"nqa-mark\">\[(\d+)\]</span>", re.DOTALL)
_SOURCE = re.compile(
    r'<details class="nqa-source"><summary><span class="nqa-mark">\[(\d+)\]</span>.*?'
    r'<div class="nqa-offsets">article (.+?), characters ([0-9–, -]+)</div>',
    re.DOTALL,
)
_PAIR = re.compile(r"(\d+)[–-](\d+)")
_PHRASE = re.compile(r'<strong class="nqa-phrase"[^>]*>(.*?)</strong>', re.DOTALL)  # the answer phrase's mark


@dataclass
class Request:
    client: int
    kind: str  # "question" or the hostile case's name
    seconds: float
    ok: bool
    error: str = ""
    citations: list[tuple[str, int, int, str]] = field(default_factory=list)  # (article id, start, end, sentence)
    answered: bool = False


def demo_rows(start: int, n: int) -> list[dict]:  # type: ignore[type-arg]
    with open(DEMO, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return rows[start : start + n]


def write_jsonl(path: Path, rows: list[dict]) -> Path:  # type: ignore[type-arg]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def questions_for(rows: list[dict]) -> list[str]:  # type: ignore[type-arg]
    out = []
    for r in rows:
        title = (r.get("title") or "").strip().rstrip(".?!")
        if title:
            out += [f"What happened: {title}?", f"Who was involved in {title}?", f"When did {title} happen?"]
    return out


def unescape(fragment: str) -> str:
    return html.unescape(re.sub(r"<br\s*/?>", "\n", fragment))


def citations_in(reply: str) -> list[tuple[str, int, int, str]]:
    """(article id, start, end, sentence) for each quoted sentence of the assistant's rendered reply.

    A source lists the offsets of every sentence quoted from its article; each quote is paired with
    the offsets of its own length (the slice check then says whether they really hold it)."""
    quotes: dict[int, list[str]] = {}
    for text, n in _QUOTE.findall(reply):
        quotes.setdefault(int(n), []).append(unescape(_PHRASE.sub(r"\1", text)))
    out = []
    for n, article_id, offsets in _SOURCE.findall(reply):
        pairs = [(int(a), int(b)) for a, b in _PAIR.findall(offsets)]
        for sentence in quotes.get(int(n), []):
            start, end = next(((a, b) for a, b in pairs if b - a == len(sentence)), pairs[0] if pairs else (0, 0))
            out.append((unescape(article_id), start, end, sentence))
    return out


def last_reply(history: object) -> str | None:
    if isinstance(history, list) and history:
        last = history[-1]
        if isinstance(last, dict) and last.get("role") == "assistant":
            content = last.get("content")
            if isinstance(content, list):  # newer Gradio: a list of parts
                content = "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
            return str(content)
    return None


def find_endpoint(api: dict, wanted: str) -> str:  # type: ignore[type-arg]
    names = list(api.get("named_endpoints", {}))
    for name in names:
        if name.strip("/") == wanted:
            return name
    matches = [n for n in names if wanted in n]
    if not matches:
        raise SystemExit(f"the app exposes no {wanted!r} endpoint; it has {names}")
    return matches[0]


def connect(url: str) -> object:
    """A gradio_client Client with a generous timeout: on a busy machine the page itself is slow."""
    from gradio_client import Client

    return Client(url, verbose=False, download_files=False, httpx_kwargs={"timeout": 600})


def ask_loop(
    client_no: int,
    url: str,
    questions: list[str],
    hostile: bool,
    deadline: float,
    results: list[Request],
    lock: threading.Lock,
) -> None:
    try:
        client = connect(url)
        ask = find_endpoint(client.view_api(print_info=False, return_format="dict"), "ask")
    except Exception as exc:  # noqa: BLE001 - a client that cannot connect is a failed request
        with lock:
            results.append(Request(client_no, "connect", 0.0, False, error=f"{type(exc).__name__}: {exc}"[:300]))
        return
    rng = random.Random(client_no)
    # Client i starts with hostile case i (mod their number), so all of them are asked early on;
    # after that, ordinary questions and now and then a hostile one.
    cases = list(HOSTILE.items())
    queue = [cases[client_no % len(cases)]] if hostile else []
    while time.monotonic() < deadline:
        if queue:
            kind, question = queue.pop()
        elif hostile and rng.random() < 0.1:
            kind, question = rng.choice(cases)
        else:
            kind, question = "question", rng.choice(questions)
        started = time.monotonic()
        try:
            out = client.predict(question, [], "", "", [], False, api_name=ask)
            history = out[0] if isinstance(out, list | tuple) else out
            reply = last_reply(history)
            req = Request(
                client_no,
                kind,
                time.monotonic() - started,
                True,
                citations=citations_in(reply) if reply else [],
                answered=bool(reply and "nqa-quote" in reply),
            )
            if reply is None and question.strip():
                req.ok, req.error = False, f"no reply in {str(history)[:200]}"
        except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
            req = Request(
                client_no, kind, time.monotonic() - started, False, error=f"{type(exc).__name__}: {exc}"[:300]
            )
        with lock:
            results.append(req)


def upload_loop(url: str, files: list[Path], start_at: float, gap: float, out: list[dict]) -> None:  # type: ignore[type-arg]
    from gradio_client import handle_file

    client = connect(url)
    endpoint = find_endpoint(client.view_api(print_info=False, return_format="dict"), "add_files")
    time.sleep(max(0.0, start_at - time.monotonic()))
    for path in files:
        started = time.monotonic()
        try:
            result = client.predict([handle_file(str(path))], api_name=endpoint)
            report = result[0] if isinstance(result, list | tuple) else result
            out.append(
                {
                    "file": path.name,
                    "ok": True,
                    "seconds": round(time.monotonic() - started, 1),
                    "report": str(report)[:400],
                }
            )
        except Exception as exc:  # noqa: BLE001
            out.append(
                {
                    "file": path.name,
                    "ok": False,
                    "seconds": round(time.monotonic() - started, 1),
                    "error": f"{type(exc).__name__}: {exc}"[:400],
                }
            )
        time.sleep(gap)


def check_citations(index_dir: Path, requests: list[Request]) -> tuple[int, list[str]]:
    sys.path.insert(0, str(ROOT))
    from index.location import open_index

    store = open_index(index_dir)
    checked, wrong = 0, []
    try:
        for r in requests:
            for article_id, start, end, sentence in r.citations:
                article = store.article(article_id)
                checked += 1
                if article is None or article.text[start:end] != sentence:
                    wrong.append(f"{article_id}[{start}:{end}] != {sentence[:80]!r}")
    finally:
        store.close()
    return checked, wrong


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--articles", type=int, default=40, help="demo articles in the starting index")
    parser.add_argument("--uploads", type=int, default=2, help="batches of new articles uploaded during the run")
    parser.add_argument("--upload-articles", type=int, default=5, help="articles per upload")
    parser.add_argument("--no-hostile", action="store_true", help="ordinary questions only")
    parser.add_argument("--work", type=Path, help="working directory (default: a temporary one)")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    args = parser.parse_args(argv)

    work = args.work or Path(tempfile.mkdtemp(prefix="newsqa-load-"))
    work.mkdir(parents=True, exist_ok=True)
    index_dir = work / "index"
    rows = demo_rows(0, args.articles)
    corpus = write_jsonl(work / "corpus.jsonl", rows)
    print(f"building the index of {len(rows)} articles in {index_dir} ...", flush=True)
    subprocess.run(
        [sys.executable, "-m", "newsqa", "ingest", str(corpus), "--index", str(index_dir), "-q"],
        check=True,
        cwd=ROOT,
        env=app_env(),
        stdout=subprocess.DEVNULL,
    )
    uploads = [
        write_jsonl(
            work / f"upload-{i}.jsonl", demo_rows(args.articles + i * args.upload_articles, args.upload_articles)
        )
        for i in range(args.uploads)
    ]
    questions = questions_for(rows + demo_rows(args.articles, args.uploads * args.upload_articles))

    port = free_port(HOST)
    log = work / "app.log"
    print(f"starting the app on http://{HOST}:{port} ...", flush=True)
    app = start_app(index_dir, port, log, extra_args=["--host", HOST])
    url = f"http://{HOST}:{port}/"
    results: list[Request] = []
    upload_results: list[dict] = []  # type: ignore[type-arg]
    lock = threading.Lock()
    try:
        try:
            wait_until_serving(url, app, log, timeout=600.0)
        except RuntimeError as exc:
            raise SystemExit(str(exc)) from exc
        started = time.monotonic()
        deadline = started + args.seconds
        threads = [
            threading.Thread(target=ask_loop, args=(i, url, questions, not args.no_hostile, deadline, results, lock))
            for i in range(args.clients)
        ]
        if uploads:
            gap = args.seconds / (len(uploads) + 1)
            threads.append(
                threading.Thread(target=upload_loop, args=(url, uploads, started + gap / 2, gap, upload_results))
            )
        print(f"{args.clients} clients asking for {args.seconds:.0f} s, {len(uploads)} uploads ...", flush=True)
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
    finally:
        stop_app(app, timeout=30)

    checked, wrong = check_citations(index_dir, results)
    latencies = [r.seconds for r in results if r.ok]
    failures = [r for r in results if not r.ok]
    hostile = {}
    for name in HOSTILE:
        mine = [r for r in results if r.kind == name]
        hostile[name] = {
            "asked": len(mine),
            "failed": sum(not r.ok for r in mine),
            "max_seconds": round(max((r.seconds for r in mine), default=0.0), 2),
            "answered": sum(r.answered for r in mine),
        }
    summary = {
        "clients": args.clients,
        "seconds": round(elapsed, 1),
        "requests": len(results),
        "failed": len(failures),
        "answered": sum(r.answered for r in results),
        "citations_checked": checked,
        "citations_wrong": len(wrong),
        "p50_seconds": round(percentile(latencies, 0.5), 2),
        "p95_seconds": round(percentile(latencies, 0.95), 2),
        "max_seconds": round(max(latencies, default=float("nan")), 2),
        "mean_seconds": round(statistics.fmean(latencies), 2) if latencies else None,
        "uploads": upload_results,
        "hostile": hostile,
        "errors": sorted({r.error for r in failures})[:10],
        "wrong_citations": wrong[:10],
    }
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    bad_uploads = [u for u in upload_results if not u["ok"]]
    ok = not failures and not wrong and not bad_uploads and len(upload_results) == len(uploads) and checked > 0
    print("PASS" if ok else f"FAIL (app log: {log})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
