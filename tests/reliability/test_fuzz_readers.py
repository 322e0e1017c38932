"""Fuzzed ingestion: random and malformed records thrown at every reader that ``corpus.load`` dispatches to.

The properties, for JSONL/NDJSON/JSON/CSV/TSV (plain and gzipped), TXT, Markdown, HTML and feeds:

- reading never raises, whatever the bytes;
- every record yields exactly one item, in order: an ``Article`` for a good record, a ``Skipped``
  for a bad one, whose place is ``path:line`` with the line the record starts on;
- every good record is read with its id and its words;
- every article is safe for what comes after: non-empty text, every string encodable as UTF-8,
  an ISO date or None.

Example counts are bounded (see ``FUZZ``) so the file runs in well under a minute.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from html import escape as html_escape
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from corpus.article import Article
from corpus.load import Skipped, read_articles
from index.chunk import Chunker
from index.embed import HashingEmbedder
from index.ingest import ingest
from index.store import IndexStore

# Derandomized: every run draws the same examples, so CI is never red by chance; to hunt for new
# failures, set derandomize=False and raise max_examples locally.
FUZZ = settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(FUZZ, max_examples=12)

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([T ][\d:.+\-Z]*)?")

# --- what a good record is made of ---------------------------------------------------------------

# Plain words: a sentence of seven or more of them is never mistaken for scraper debris.
WORDS = (
    "harbour council budget river bridge engineers mayor library station farmers election "
    "parliament hospital workers storm village museum market school festival court minister "
    "airport company court ferry teachers coast valley"
).split()

# Text that must survive inside a sentence: other scripts, emoji, combining marks, markup, quotes,
# controls and escapes that JSON and CSV must carry through.
NOISE = st.one_of(
    st.sampled_from(
        [
            "😀🔥",
            "東京都",
            "مرحبا بالعالم",
            "Ἀθῆναι",
            "e\u0301",
            "<b>bold</b>",
            "<script>alert(1)</script>",
            '"quoted, with comma"',
            "tab\there",
            "bell\x07",
            "nul\x00byte",
            "\u200bzero-width",
            "$HOME",
            "{{ template }}",
            "back\\slash",
            "C:\\path",
            "'single'",
            "&amp;",
            "🇺🇦",
            "\ufeffbom",
        ]
    ),
    st.text(
        st.characters(exclude_categories=("Cs",), exclude_characters="\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
        max_size=12,
    ),
)


@st.composite
def sentences(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=7, max_size=14))
    if draw(st.booleans()):
        words.insert(draw(st.integers(1, len(words) - 1)), draw(NOISE).strip() or "noise")
    return " ".join(words).capitalize() + "."


@st.composite
def good_texts(draw: st.DrawFn) -> str:
    paragraphs = draw(st.lists(st.lists(sentences(), min_size=1, max_size=3).map(" ".join), min_size=1, max_size=3))
    text = "\n\n".join(paragraphs)
    # Now and then a huge body: one paragraph repeated to about 100,000 characters.
    if draw(st.integers(0, 30)) == 0:
        text = "\n\n".join([paragraphs[0]] * (100_000 // len(paragraphs[0]) + 1))
    return text


ODD_SCALARS = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "",
            "   ",
            "null",
            "None",
            "NaN",
            "0000-00-00",
            "2021-02-30",
            "9999-99-99",
            "2021-13-01T25:61:61Z",
            "-1",
            "1e400",
            "yesterday",
            "١٢/٠٣/٢٠٢١",
            "Tue, 02 Mar 2021 10:00:00 +0100",
            "20210302",
            "3/2/21",
            "2021-03-02T10:00:00.123456789Z",
            "x" * 5000,
        ]
    ),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=30).filter(lambda s: not re.search("[\ud800-\udfff]", s)),
)
ODD_VALUES = st.one_of(
    ODD_SCALARS, st.lists(ODD_SCALARS, max_size=3), st.dictionaries(st.text(max_size=5), ODD_SCALARS, max_size=3)
)


@dataclass(frozen=True)
class Good:
    record: dict  # type: ignore[type-arg]
    id: str | None  # the id the article must get, or None for a content-derived one


@st.composite
def good_records(draw: st.DrawFn, n: int) -> Good:
    record: dict = {"text": draw(good_texts())}  # type: ignore[type-arg]
    given_id = draw(
        st.one_of(
            st.none(),
            st.just("  "),
            st.just("null"),
            st.just(f"id-{n}"),
            st.just(f"  ünïcødé-{n}\t"),
            st.just(n),
            st.just(f"{n}-" + "x" * 2000),
        )
    )
    record["id"] = given_id
    for key in ("title", "date", "source", "url"):
        if draw(st.booleans()):
            record[key] = draw(ODD_VALUES)
    if draw(st.booleans()):
        record[draw(st.sampled_from(["tags", "author", "ünïcødé", "", "text "]))] = draw(ODD_VALUES)
    if isinstance(given_id, int):
        expected: str | None = str(given_id)
    elif isinstance(given_id, str) and given_id.strip() and given_id.strip().casefold() != "null":
        expected = given_id.strip()
    else:
        expected = None
    return Good(record, expected)


# Bad JSON lines: each must become exactly one Skipped at its own line.
BAD_JSON_LINES = st.sampled_from(
    [
        "{not json",
        "[1, 2, 3]",
        "42",
        "null",
        '"just a string"',
        "true",
        '{"title": "no text here"}',
        '{"text": 5}',
        '{"text": null}',
        '{"text": ["a", "list"]}',
        '{"text": "   "}',
        '{"text": ""}',
        '{"text": "Advertisement"}',
        '{"text": "bad \\udc80 escape in a long enough sentence about the harbour council budget."}',
        '{"text": "lone \\ud800 surrogate in a long enough sentence about the harbour council budget."}',
        '{"id": "trunc", "text": "cut off in the midd',
        "[" * 100_000 + "]" * 100_000,
        '{"a": ' * 5000,
        '{"text": "x", "text": }',
        "\x1b[31m{}",
        "{'text': 'single quotes are not JSON'}",
        "NaN",
    ]
).map(lambda s: s.encode("utf-8")) | st.just(
    b'{"text": "caf\xe9 au lait served to the harbour council budget workers today."}'
)


def utf8_clean(article: Article) -> None:
    """The invariants every article must hold, whatever its input."""
    assert article.text.strip(), "an article has text"
    assert isinstance(article.id, str) and article.id
    for f in fields(article):
        value = getattr(article, f.name)
        for s in (
            [value] if isinstance(value, str) else [x for pair in value for x in pair] if f.name == "extra" else []
        ):
            s.encode("utf-8")  # raises on lone surrogates, which SQLite and hashing reject
    assert article.date is None or ISO_DATE.fullmatch(article.date), article.date
    assert "\x00" not in article.text


@contextmanager
def scratch() -> Iterator[Path]:
    # Hypothesis runs many examples per test, so each gets its own directory, not pytest's tmp_path.
    with tempfile.TemporaryDirectory(prefix="fuzz-") as d:
        yield Path(d)


def read(path: Path) -> list[Article | Skipped]:
    items = list(read_articles([path]))
    for item in items:
        assert isinstance(item, Article | Skipped)
        if isinstance(item, Article):
            utf8_clean(item)
        else:
            assert item.place == str(path) or item.place.startswith(f"{path}:"), item
            assert item.reason
    return items


def vocabulary(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if w in WORDS}


def place_line(item: Skipped) -> int | None:
    head, _, tail = item.place.rpartition(":")
    return int(tail) if head and tail.isdigit() else None


def check_good(item: Article | Skipped, good: Good) -> None:
    assert isinstance(item, Article), f"a good record was skipped: {item}"
    if good.id is not None:
        assert item.id == good.id
    # Cleaning may drop noise (control characters, invisible marks), never the sentences' words.
    assert vocabulary(good.record["text"]) <= vocabulary(item.text)


# --- JSON lines ------------------------------------------------------------------------------------


@st.composite
def jsonl_files(draw: st.DrawFn) -> tuple[bytes, list[Good | bytes], list[int]]:
    """(file bytes, the records in order — Good or a bad line —, the line each record is on)."""
    n = draw(st.integers(1, 12))
    records: list[Good | bytes] = []
    for i in range(n):
        records.append(draw(good_records(i)) if draw(st.booleans()) else draw(BAD_JSON_LINES))
    newline = draw(st.sampled_from([b"\n", b"\r\n"]))
    out, lines, line = [], [], 1
    if draw(st.booleans()):
        out.append(b"\xef\xbb\xbf")  # a BOM
    for r in records:
        for _ in range(draw(st.integers(0, 2) if draw(st.integers(0, 3)) == 0 else st.just(0))):
            out.append(draw(st.sampled_from([b"", b"   ", b"\t"])) + newline)  # blank lines are not records
            line += 1
        raw = json.dumps(r.record, ensure_ascii=draw(st.booleans())).encode("utf-8") if isinstance(r, Good) else r
        out.append(raw + newline)
        lines.append(line)
        line += 1
    if draw(st.booleans()):  # no newline after the last record
        out[-1] = out[-1][: -len(newline)]
    return b"".join(out), records, lines


def check_records(items: list[Article | Skipped], path: Path, records: list[Good | bytes], lines: list[int]) -> None:
    per_record = [i for i in items if not (isinstance(i, Skipped) and place_line(i) is None)]
    assert len(per_record) == len(records), [getattr(i, "place", i) for i in items]
    for item, record, line in zip(per_record, records, lines, strict=True):
        if isinstance(record, Good):
            check_good(item, record)
        else:
            assert isinstance(item, Skipped), f"bad line {record[:80]!r} was read as {item}"
            assert item.place == f"{path}:{line}"


@FUZZ
@given(jsonl_files(), st.sampled_from(["x.jsonl", "x.ndjson", "x.jsonl.gz", "X.NDJSON.GZ"]))
def test_jsonl_every_record_read_or_reported_at_its_line(
    file: tuple[bytes, list[Good | bytes], list[int]], name: str
) -> None:
    data, records, lines = file
    with scratch() as d:
        path = d / name
        path.write_bytes(gzip.compress(data) if name.lower().endswith(".gz") else data)
        items = read(path)
        if not any(isinstance(r, Good) for r in records) and all(isinstance(i, Skipped) for i in items):
            if len(items) == 1 and items[0].place == str(path):
                return  # e.g. a whole file of bad lines that starts like binary: one skip for the file
        check_records(items, path, records, lines)


# --- JSON arrays -----------------------------------------------------------------------------------

BAD_ELEMENTS = st.sampled_from(
    [
        1,
        "string",
        None,
        True,
        [1, 2],
        {"title": "no text"},
        {"text": 7},
        {"text": ""},
        {"text": "lone \ud800 surrogate in a long enough sentence about the harbour budget."},
    ]
)


@FUZZ
@given(
    st.lists(st.one_of(st.integers(0, 10**6).flatmap(good_records), BAD_ELEMENTS), min_size=1, max_size=8),
    st.sampled_from([None, 1, 2]),
    st.sampled_from(["x.json", "x.json.gz"]),
)
def test_json_array_every_element_read_or_reported_at_its_line(
    elements: list[Good | object], indent: int | None, name: str
) -> None:
    dumps = [json.dumps(e.record if isinstance(e, Good) else e, indent=indent) for e in elements]
    text = "[\n" + ",\n".join(dumps) + "\n]\n"
    lines, line = [], 2
    for d in dumps:
        lines.append(line)
        line += d.count("\n") + 1
    with scratch() as d:
        path = d / name
        data = text.encode("utf-8", "surrogatepass")
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        items = read(path)
        assert len(items) == len(elements)
        for item, element, line in zip(items, elements, lines, strict=True):
            if isinstance(element, Good):
                check_good(item, element)
            else:
                assert isinstance(item, Skipped) and item.place == f"{path}:{line}", (item, element)


# --- CSV and TSV -----------------------------------------------------------------------------------

# No bare carriage return: csv.writer with a "\n" line terminator leaves it unquoted, which is not
# valid CSV (RFC 4180 quotes any field holding CR or LF); such a row is reported, not read.
CELL = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00\r"), max_size=40)
HEADER = ["id", "title", "text", "date", "source", "url", "notes"]


@st.composite
def csv_files(draw: st.DrawFn, delimiter: str) -> tuple[str, list[Good | str], list[int]]:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(HEADER)
    records: list[Good | str] = []
    lines = []
    for i in range(draw(st.integers(1, 10))):
        start = buf.getvalue().count("\n") + 1
        kind = draw(st.sampled_from(["good", "good", "empty", "blank", "debris", "long"]))
        cells = [draw(CELL) for _ in HEADER]
        cells[0] = f"row-{i}"
        if kind == "good":
            cells[2] = draw(good_texts()).replace("\x00", "")  # a NUL makes the whole file binary
            records.append(Good({"text": cells[2]}, f"row-{i}"))
        else:
            cells[2] = {"empty": "", "blank": "  \t ", "debris": "Advertisement", "long": "x"}[kind]
            if kind == "long":
                cells += ["one field too many"]
            records.append(kind)
        writer.writerow(cells)
        lines.append(start)
    return buf.getvalue(), records, lines


@FUZZ
@given(
    st.sampled_from([(",", "x.csv"), (",", "x.csv.gz"), ("\t", "x.tsv"), ("\t", "x.tsv.gz")]).flatmap(
        lambda kind: st.tuples(st.just(kind[1]), csv_files(kind[0]))
    )
)
def test_csv_every_row_read_or_reported_at_its_first_line(
    case: tuple[str, tuple[str, list[Good | str], list[int]]],
) -> None:
    name, (text, records, lines) = case
    with scratch() as d:
        path = d / name
        data = text.encode("utf-8")
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        items = read(path)
        assert len(items) == len(records), [getattr(i, "place", "article") for i in items]
        for item, record, line in zip(items, records, lines, strict=True):
            if isinstance(record, Good):
                check_good(item, record)
            else:
                assert isinstance(item, Skipped) and item.place == f"{path}:{line}", (item, record)


# --- whole-file formats: TXT, Markdown, HTML ------------------------------------------------------


@FUZZ
@given(
    st.one_of(st.none(), st.text(max_size=60).filter(lambda s: "\n" not in s and "\r" not in s)),
    good_texts(),
    st.sampled_from(["a.txt", "a.md", "A.MARKDOWN"]),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_text_and_markdown_files_read_their_body(
    title: str | None, body: str, name: str, newline: str, bom: bool
) -> None:
    body = body.replace("\x00", "")  # a NUL byte makes a text file binary: skipped by design
    heading = "" if title is None else ("# " + title if "md" in name.lower() else title) + newline + newline
    with scratch() as d:
        path = d / name
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + (heading + body.replace("\n", newline)).encode("utf-8"))
        items = read(path)
        assert len(items) == 1
        assert isinstance(items[0], Article), items[0]
        article = items[0]
        assert vocabulary(body) <= vocabulary(f"{article.title}\n{article.text}")


def html_fragments() -> st.SearchStrategy[str]:
    leaf = st.one_of(
        sentences(),
        NOISE,
        st.sampled_from(
            ["&nbsp;", "&#0;", "&#xD800;", "&bogus;", "<!-- c -->", "<![CDATA[x]]>", "</p>", "<", ">", "<?xml?>"]
        ),
    )
    tags = st.sampled_from(["p", "div", "article", "script", "style", "nav", "h1", "span", "table", "td", "li", "a"])
    return st.recursive(
        leaf,
        lambda inner: st.tuples(tags, st.lists(inner, max_size=4)).map(
            lambda t: f"<{t[0]} class='x' onclick=\"alert(1)\">{''.join(t[1])}</{t[0]}>"
        ),
        max_leaves=12,
    )


@FEW
@given(st.one_of(st.none(), NOISE), html_fragments(), st.sampled_from(["p.html", "p.HTM"]), st.booleans())
def test_html_files_never_crash_the_reader(title: str | None, body: str, name: str, wrap: bool) -> None:
    page = f"<html><head><title>{title}</title></head><body>{body}</body></html>" if wrap else body
    with scratch() as d:
        path = d / name
        path.write_text(page, encoding="utf-8", errors="surrogatepass")
        items = read(path)
        assert len(items) == 1


# --- feeds ------------------------------------------------------------------------------------------

XML_SAFE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")  # characters XML 1.0 allows


Feed = tuple[str, list[Good | None], list[int]]


@st.composite
def feed_files(draw: st.DrawFn) -> Feed:
    """(an RSS feed, its items in order — Good, or None for an item with no text —, each item's line)."""
    n = draw(st.integers(1, 8))
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">']
    out.append(f"<channel><title>{html_escape(XML_SAFE.sub('', draw(NOISE)))}</title>")
    items: list[Good | None] = []
    lines = []
    for i in range(n):
        lines.append(len(out) + 1)
        if draw(st.integers(0, 4)) == 0:
            items.append(None)
            out.append(f"<item><title>Gallery {i}</title><link>https://x.example/{i}</link></item>")
            continue
        text = XML_SAFE.sub("", draw(good_texts())).replace("]]>", "")
        paragraphs = "".join(f"<p>{html_escape(p)}</p>" for p in text.split("\n\n"))
        body = draw(
            st.sampled_from(
                [
                    f"<description>{html_escape(paragraphs)}</description>",
                    f"<content:encoded><![CDATA[{paragraphs}]]></content:encoded>",
                    f"<description>{html_escape(text)}</description>",
                ]
            )
        )
        title = html_escape(XML_SAFE.sub("", draw(NOISE)))
        out.append(f"<item><title>{title}</title><guid>https://x.example/{i}</guid>{body}</item>")
        items.append(Good({"text": text}, f"https://x.example/{i}"))
    out.append("</channel></rss>")
    return "\n".join(out), items, lines


@FUZZ
@given(feed_files(), st.sampled_from(["f.rss", "f.xml", "f.rss.gz"]))
def test_feed_every_item_read_or_reported_at_its_line(feed: Feed, name: str) -> None:
    text, items, lines = feed
    with scratch() as d:
        path = d / name
        data = text.encode("utf-8")
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        got = read(path)
        assert len(got) == len(items), [getattr(i, "place", i) for i in got]
        for item, expected, line in zip(got, items, lines, strict=True):
            if expected is None:
                assert isinstance(item, Skipped) and item.place == f"{path}:{line}", item
            else:
                check_good(item, expected)
                assert "<p>" not in item.text and "&lt;" not in item.text


# --- any bytes at all ------------------------------------------------------------------------------

NAMES = [
    "f.jsonl",
    "f.ndjson",
    "f.json",
    "f.csv",
    "f.tsv",
    "f.txt",
    "f.md",
    "f.html",
    "f.jsonl.gz",
    "f.json.gz",
    "f.csv.gz",
    "f.tsv.gz",
    "f.rss",
    "f.atom",
    "f.xml",
    "f.xml.gz",
]


@FUZZ
@given(
    st.binary(max_size=3000) | st.text(max_size=2000).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.sampled_from(NAMES),
    st.sampled_from(["plain", "gzip", "truncated gzip"]),
)
@example(b'\xff\xfe{\x00"\x00', "f.jsonl", "plain")  # UTF-16
@example(b"\x1f\x8b\x08\x00garbage", "f.jsonl.gz", "plain")  # a gzip header and nothing else
@example(b'{"text": "a \\ud83d b and enough words about the harbour council budget."}', "f.json", "plain")
def test_any_bytes_under_any_name_never_crash(data: bytes, name: str, packing: str) -> None:
    if name.endswith(".gz") and packing != "plain":
        data = gzip.compress(data)
        if packing == "truncated gzip":
            data = data[: max(1, len(data) * 2 // 3)]
    with scratch() as d:
        path = d / name
        path.write_bytes(data)
        items = read(path)
        assert items, "at least one item: an article or a skip saying why not"
        n_lines = data.count(b"\n") + 1
        for item in items:
            if isinstance(item, Skipped) and place_line(item) is not None:
                assert 1 <= place_line(item) <= max(n_lines, 1) + 1 or name.endswith(".gz")  # type: ignore[operator]


# --- through ingest into the index -----------------------------------------------------------------


@FEW
@given(jsonl_files())
def test_ingest_stores_every_good_record_and_reports_every_bad_one(
    file: tuple[bytes, list[Good | bytes], list[int]],
) -> None:
    data, records, lines = file
    with scratch() as d:
        path = d / "in.jsonl"
        path.write_bytes(data)
        expected = list(read_articles([path]))
        report = ingest([str(path)], d / "ix", lambda: HashingEmbedder(dim=16), "hashing-test", Chunker(40, 5))
        good_ids = {a.id for a in expected if isinstance(a, Article)}
        assert report.read == sum(isinstance(a, Article) for a in expected)
        assert [s.place for s in report.skipped] == [s.place for s in expected if isinstance(s, Skipped)]
        store = IndexStore.open(d / "ix")
        try:
            stored = {r[0] for r in store.db.execute("SELECT id FROM articles")}
            assert stored == good_ids
            vectors, lexical = store.load_derived()
            n_chunks = store.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
            assert vectors.ntotal == len(lexical) == n_chunks == store.manifest.chunks  # type: ignore[attr-defined]
        finally:
            store.close()


def test_lone_surrogate_escape_is_reported_not_a_crash(tmp_path: Path) -> None:
    """Regression: ``"\\ud800"`` in a JSON string decoded to a lone surrogate and crashed ingest
    with UnicodeEncodeError when the chunk was hashed."""
    path = tmp_path / "s.jsonl"
    path.write_text(
        '{"id": "s1", "title": "T \\ud800", "text": "The harbour council met on Monday \\ud83d again."}\n'
        '{"id": "s2", "text": "The harbour council approved the new budget on Monday."}\n',
        encoding="utf-8",
    )
    report = ingest([str(path)], tmp_path / "ix", lambda: HashingEmbedder(dim=16), "hashing-test", Chunker(40, 5))
    assert report.read == 1 and [s.place for s in report.skipped] == [f"{path}:1"]
    assert "surrogate" in report.skipped[0].reason


def test_one_line_text_file_is_a_body_not_a_title(tmp_path: Path) -> None:
    """Regression: a ``.txt`` file of one line took it as the title and was skipped as "empty text
    after cleaning" although it held a whole sentence."""
    path = tmp_path / "note.txt"
    path.write_text("The harbour council approved the new budget on Monday.\n", encoding="utf-8")
    (item,) = read(path)
    assert isinstance(item, Article)
    assert (item.title, item.text) == (None, "The harbour council approved the new budget on Monday.")
