"""Tests for corpus.load: every format, column maps, ids, and malformed input."""

from __future__ import annotations

import gzip
import json
import logging
import random
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from corpus.article import Article
from corpus.load import ColumnMap, Skipped, content_id, read_articles

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"

RECORDS = [
    {
        "id": "a1",
        "title": "Flooding closes bridge in Riverton",
        "text": "Heavy rain flooded the Riverton valley on Monday.\n\nThe Old Mill bridge was closed.",
        "date": "2021-03-02",
        "source": "Riverton Post",
        "url": "https://example.org/a1",
    },
    {
        "id": "a2",
        "title": "Local team wins championship",
        "text": "The Riverton Rockets won the regional basketball championship on Saturday.",
        "date": "May 10, 2021",
        "source": "Sports Daily",
        "url": "https://example.org/a2",
        "author": "Sam Ortiz",
    },
]
EXPECTED = [
    Article(
        id="a1",
        title="Flooding closes bridge in Riverton",
        text="Heavy rain flooded the Riverton valley on Monday.\n\nThe Old Mill bridge was closed.",
        date="2021-03-02",
        source="Riverton Post",
        url="https://example.org/a1",
    ),
    Article(
        id="a2",
        title="Local team wins championship",
        text="The Riverton Rockets won the regional basketball championship on Saturday.",
        date="2021-05-10",
        source="Sports Daily",
        url="https://example.org/a2",
        extra=(("author", "Sam Ortiz"),),
    ),
]


def read(*paths: Path, columns: ColumnMap | None = None) -> list[Article | Skipped]:
    return list(read_articles(paths, columns))


def jsonl(records: Sequence[object]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def write(path: Path, content: str | bytes) -> Path:
    data = content.encode("utf-8") if isinstance(content, str) else content
    if path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def skips(items: list[Article | Skipped]) -> list[Skipped]:
    return [i for i in items if isinstance(i, Skipped)]


def articles(items: list[Article | Skipped]) -> list[Article]:
    return [i for i in items if isinstance(i, Article)]


# --- JSON lines and JSON -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["c.jsonl", "c.ndjson", "c.jsonl.gz", "c.ndjson.gz", "c.JSONL", "c.json"])
def test_jsonl_formats(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name, jsonl(RECORDS))
    assert read(path) == EXPECTED


@pytest.mark.parametrize("name", ["c.json", "c.json.gz"])
def test_json_array(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name, json.dumps(RECORDS, indent=2))
    assert read(path) == EXPECTED


def test_json_single_object(tmp_path: Path) -> None:
    path = write(tmp_path / "one.json", json.dumps(RECORDS[0], indent=2))
    assert read(path) == EXPECTED[:1]


def test_json_array_reports_element_lines(tmp_path: Path) -> None:
    content = '[\n  {"id": "x", "text": "Fine."},\n  [1, 2],\n  {"id": "y", "title": "no text"}\n]\n'
    path = write(tmp_path / "arr.json", content)
    assert read(path) == [
        Article(id="x", title=None, text="Fine."),
        Skipped(f"{path}:3", "not a JSON object (got array)"),
        Skipped(f"{path}:4", "missing field 'text'"),
    ]


def test_json_array_with_syntax_error_keeps_earlier_records(tmp_path: Path) -> None:
    content = '[\n{"id": "x", "text": "Fine."},\n{"id": "y", "text": oops},\n{"id": "z", "text": "Lost."}\n]'
    path = write(tmp_path / "arr.json", content)
    items = read(path)
    assert items[0] == Article(id="x", title=None, text="Fine.")
    assert len(items) == 2
    assert isinstance(items[1], Skipped)
    assert items[1].place == f"{path}:3"
    assert items[1].reason.startswith("invalid JSON")


def test_broken_pretty_printed_json_object_is_one_skip(tmp_path: Path) -> None:
    path = write(tmp_path / "obj.json", '{\n  "id": "x",\n  "text": "Fine."\n  "title": "T"\n}\n')
    assert read(path) == [Skipped(f"{path}:4", "invalid JSON at column 3: Expecting ',' delimiter")]


def test_json_record_fields(tmp_path: Path) -> None:
    record = {
        "id": 42,
        "title": "None",
        "text": "New York CNN \u2014\n\n\u201cSquid Game\u201d is officially coming back.",
        "date": "2022/06/12",
        "source": " cnn.com ",
        "url": "",
        "question_ids": ["q1", "q2"],
        "year_bucket": 2022,
        "nothing": None,
        "meta": {"b": 1, "a": "x"},
    }
    path = write(tmp_path / "rtqa.jsonl", jsonl([record]))
    assert read(path) == [
        Article(
            id="42",
            title=None,
            text="\u201cSquid Game\u201d is officially coming back.",
            date="2022-06-12",
            source="cnn.com",
            url=None,
            extra=(("meta", '{"a": "x", "b": 1}'), ("question_ids", '["q1", "q2"]'), ("year_bucket", "2022")),
        )
    ]


def test_unparseable_date_is_none_not_a_skip(tmp_path: Path) -> None:
    path = write(tmp_path / "d.jsonl", jsonl([{"id": "d", "text": "Body.", "date": "someday"}]))
    assert read(path) == [Article(id="d", title=None, text="Body.", date=None)]


def test_column_map_for_json(tmp_path: Path) -> None:
    path = write(tmp_path / "m.jsonl", jsonl([{"headline": "H", "body": "Body text.", "text": "other"}]))
    (item,) = read(path, columns=ColumnMap.parse("title=headline,text=body"))
    assert isinstance(item, Article)
    assert (item.title, item.text, item.extra) == ("H", "Body text.", (("text", "other"),))


# --- ids -----------------------------------------------------------------------------------------


def test_given_id_is_kept_and_stripped(tmp_path: Path) -> None:
    path = write(tmp_path / "i.jsonl", jsonl([{"id": "  wikinews-1 ", "text": "A."}, {"id": 7, "text": "B."}]))
    assert [a.id for a in articles(read(path))] == ["wikinews-1", "7"]


def test_missing_or_empty_id_uses_content_id(tmp_path: Path) -> None:
    path = write(
        tmp_path / "i.jsonl", jsonl([{"title": "T", "text": "Body."}, {"id": " ", "title": "T", "text": "Body."}])
    )
    first, second = articles(read(path))
    assert first.id == second.id == content_id("T", "Body.")


def test_content_id_is_stable_and_content_derived(tmp_path: Path) -> None:
    cid = content_id("Flooding closes bridge", "Heavy rain flooded the valley.")
    assert re.fullmatch(r"sha1-[0-9a-f]{16}", cid)
    assert cid == content_id("Flooding closes bridge", "Heavy rain flooded the valley.")
    assert cid == content_id(" flooding  CLOSES bridge", "Heavy rain\nflooded the valley. ")
    assert cid != content_id("Flooding closes bridge", "Heavy rain flooded the hills.")
    assert cid != content_id("Another title", "Heavy rain flooded the valley.")
    assert content_id(None, "x") == content_id("", "x")
    # Pinned: ids are stored, so the derivation must not drift between versions.
    assert content_id(None, "Hello world.") == "sha1-" + __import__("hashlib").sha1(b"\nhello world.").hexdigest()[:16]


def test_ids_are_the_same_across_reads(tmp_path: Path) -> None:
    path = write(tmp_path / "s.txt", "A title\n\nA body paragraph.\n")
    assert read(path) == read(path)
    (item,) = read(path)
    assert isinstance(item, Article)
    assert item.id == content_id("A title", "A body paragraph.")


# --- CSV and TSV ---------------------------------------------------------------------------------

CSV = (
    "headline,body,when,link,section\n"
    '"Flooding closes bridge","Heavy rain flooded the valley.\n\nThe bridge was closed.",2021-03-02,'
    "https://example.org/a1,Local\n"
    'Team wins,The Rockets won on Saturday.,"May 10, 2021",,Sport\n'
)


@pytest.mark.parametrize("name", ["c.csv", "c.csv.gz"])
def test_csv_with_column_map(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name, CSV)
    columns = ColumnMap.parse("title=headline, text=body, date=when, url=link")
    assert read(path, columns=columns) == [
        Article(
            id=content_id("Flooding closes bridge", "Heavy rain flooded the valley.\n\nThe bridge was closed."),
            title="Flooding closes bridge",
            text="Heavy rain flooded the valley.\n\nThe bridge was closed.",
            date="2021-03-02",
            url="https://example.org/a1",
            extra=(("section", "Local"),),
        ),
        Article(
            id=content_id("Team wins", "The Rockets won on Saturday."),
            title="Team wins",
            text="The Rockets won on Saturday.",
            date="2021-05-10",
            extra=(("section", "Sport"),),
        ),
    ]


def test_tsv(tmp_path: Path) -> None:
    path = write(tmp_path / "c.tsv", "\ufeffid\ttitle\ttext\nt1\tT\tTab separated body.\n")
    assert read(path) == [Article(id="t1", title="T", text="Tab separated body.")]


def test_csv_places_point_at_record_start_lines(tmp_path: Path) -> None:
    content = 'id,text\na,"line one\nline two\nline three"\nb,\nc,"ok"\n\nd\n'
    path = write(tmp_path / "p.csv", content)
    items = read(path)
    assert [getattr(i, "id", None) for i in items] == ["a", None, "c", None]
    assert items[1] == Skipped(f"{path}:5", "empty field 'text'")
    assert items[3] == Skipped(f"{path}:8", "missing field 'text'")


def test_csv_allows_large_fields(tmp_path: Path) -> None:
    body = ("A long sentence about the flood. " * 8000).strip()  # ~260 KB, over csv's 128 KiB default
    path = write(tmp_path / "big.csv", f'id,text\nbig,"{body}"\n')
    (item,) = read(path)
    assert isinstance(item, Article)
    assert item.text == body


def test_csv_without_text_column_says_how_to_map_it(tmp_path: Path) -> None:
    path = write(tmp_path / "n.csv", "headline,body\nH,B\n")
    (item,) = read(path)
    assert isinstance(item, Skipped)
    assert item.place == str(path)
    assert "no column 'text'" in item.reason and "headline, body" in item.reason


def test_csv_row_with_too_many_fields(tmp_path: Path) -> None:
    path = write(tmp_path / "w.csv", "id,text\na,A.\nb,B.,extra\nc,C.\n")
    items = read(path)
    assert [getattr(i, "id", None) for i in items] == ["a", None, "c"]
    assert items[1] == Skipped(f"{path}:3", "row has 3 fields but the header has 2")


# --- plain text, markdown, HTML ------------------------------------------------------------------


def test_txt_title_line_and_body(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "\n\n  Bridge   reopens \n\n\nFirst paragraph.\n\nSecond paragraph.\n")
    assert read(path) == [
        Article(
            id=content_id("Bridge reopens", "First paragraph.\n\nSecond paragraph."),
            title="Bridge reopens",
            text="First paragraph.\n\nSecond paragraph.",
        )
    ]


def test_txt_whose_first_line_is_a_paragraph_has_no_title(tmp_path: Path) -> None:
    first = "The council met on Tuesday and " + "talked about the bridge and the river " * 6 + "for hours."
    (item,) = read(write(tmp_path / "untitled.txt", f"{first}\nSecond paragraph.\n"))
    assert isinstance(item, Article)
    assert (item.title, item.text) == (None, f"{first}\n\nSecond paragraph.")


def test_own_scraped_fixture_through_loader() -> None:
    (item,) = read(FIXTURES / "scraped_like.txt")
    assert isinstance(item, Article)
    assert item.title == "Riverton council votes to rebuild Old Mill bridge after spring floods"
    paragraphs = item.text.split("\n\n")
    assert len(paragraphs) == 4
    assert paragraphs[0].startswith("The Riverton town council voted on Tuesday")
    assert paragraphs[-1].endswith("said chief engineer Priya Nair.")
    for debris in (
        "Advertisement",
        "ADVERTISEMENT",
        "Share",
        "cookies",
        "Please enter",
        "Copyright",
        "Back to top",
        "Read more",
        "Subscribe",
        "Leave a Reply",
        "Home |",
    ):
        assert debris not in item.text
    assert (item.source, item.date, item.url) == (None, None, None)


@pytest.mark.skipif(not Path("/work/shared/data/samples/scraped_article.txt").exists(), reason="no shared sample")
def test_shared_scraped_sample_through_loader() -> None:
    (item,) = read(Path("/work/shared/data/samples/scraped_article.txt"))
    assert isinstance(item, Article)
    assert item.title == "Intensive talks underway to negotiate one-month Gaza truce, sources report"
    assert item.text.startswith("An agreement between Israel and Hamas")
    assert item.text.endswith("fighting in recent weeks.")
    assert "Please enter" not in item.text
    assert item.text.count("\n\n") == 4


def test_markdown(tmp_path: Path) -> None:
    content = (
        "---\ndate: 2021-03-02\nsource: Riverton Post\n---\n"
        "# Bridge *reopens* after floods\n\n"
        "The **Old Mill** bridge reopened, [the council](https://example.org/c) said.\n"
        "It had been closed since _March_; see `notice_2021`.\n\n"
        "![a photo](img.png)\n\n"
        "## Reaction\n\n"
        "- Residents cheered.\n"
        "- Traders were relieved.\n\n"
        "> Quoted words from the mayor.\n"
    )
    path = write(tmp_path / "a.md", content)
    (item,) = read(path)
    assert isinstance(item, Article)
    assert item.title == "Bridge reopens after floods"
    assert item.text == (
        "The Old Mill bridge reopened, the council said. It had been closed since March; see notice_2021.\n\n"
        "Reaction\n\nResidents cheered.\n\nTraders were relieved.\n\nQuoted words from the mayor."
    )
    assert (item.date, item.source) == ("2021-03-02", "Riverton Post")


def test_markdown_without_heading_has_no_title(tmp_path: Path) -> None:
    (item,) = read(write(tmp_path / "b.md", "Just a paragraph.\n"))
    assert isinstance(item, Article)
    assert (item.title, item.text) == (None, "Just a paragraph.")


HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Rescuers search rubble after Magnitogorsk blast | Daily Bugle</title>
<meta property="og:title" content="Rescuers search rubble after Magnitogorsk blast">
<meta property="og:site_name" content="Daily Bugle">
<meta property="og:url" content="https://bugle.example/news/magnitogorsk">
<meta property="article:published_time" content="2019-01-02T08:15:00+05:00">
</head><body>
<nav><a href="/">Home</a> | <a href="/world">World</a> | <a href="/sport">Sport</a></nav>
<article>
<h1>Rescuers search rubble after Magnitogorsk blast</h1>
<p>An apartment building collapsed on Monday in Magnitogorsk, a city in the Ural region of Russia. A suspected
gas leak led to an explosion, followed by the ten-storey building coming down.</p>
<p>The 1973 building was home to over 1,000 people; 48 apartments were damaged. Rescuers, working in temperatures
well below freezing, recovered at least ten survivors from the debris on Monday.</p>
<div class="ad">Advertisement</div>
<p>The Investigative Committee said it believed gas, which leaks relatively frequently in Russia, was the trigger
for the disaster which occurred at 6am as many occupants slept.</p>
</article>
<div class="share">Share this article</div>
<footer>Copyright 2019 Daily Bugle. All rights reserved.</footer>
</body></html>
"""


@pytest.mark.parametrize("name", ["a.html", "a.htm"])
def test_html_with_metadata(tmp_path: Path, name: str) -> None:
    (item,) = read(write(tmp_path / name, HTML))
    assert isinstance(item, Article)
    assert item.title == "Rescuers search rubble after Magnitogorsk blast"
    assert (item.date, item.source, item.url) == (
        "2019-01-02",
        "Daily Bugle",
        "https://bugle.example/news/magnitogorsk",
    )
    paragraphs = item.text.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("An apartment building collapsed on Monday")
    assert paragraphs[2].endswith("as many occupants slept.")
    assert "Advertisement" not in item.text and "Home" not in item.text


def test_html_without_metadata(tmp_path: Path) -> None:
    (item,) = read(write(tmp_path / "bare.html", "<html><body><p>Only one short paragraph here.</p></body></html>"))
    assert isinstance(item, Article)
    assert item.text == "Only one short paragraph here."
    assert (item.source, item.date) == (None, None)


def test_html_fragment_falls_back_to_plain_parsing(tmp_path: Path) -> None:
    # trafilatura finds no document in a bare fragment; the lxml fallback still reads its blocks
    (item,) = read(write(tmp_path / "frag.html", "<p>Fragment paragraph.</p>"))
    assert isinstance(item, Article)
    assert (item.title, item.text) == (None, "Fragment paragraph.")


def test_html_with_no_text(tmp_path: Path) -> None:
    (item,) = read(write(tmp_path / "blank.html", "<html><head></head><body><script>x()</script></body></html>"))
    assert item == Skipped(str(tmp_path / "blank.html"), "empty text after cleaning")


# --- malformed input -----------------------------------------------------------------------------


def test_bad_json_line_among_good_ones(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    lines = [json.dumps(RECORDS[0]), '{"id": "broken", "text": "x" "y"}', "", json.dumps(RECORDS[1])]
    path = write(tmp_path / "bad.jsonl", "\n".join(lines) + "\n")
    with caplog.at_level(logging.DEBUG):
        items = read(path)
    skip = Skipped(f"{path}:2", "invalid JSON at column 30: Expecting ',' delimiter")
    assert items == [EXPECTED[0], skip, EXPECTED[1]]
    # The Skipped is the report (newsqa ingest lists it); a warning as well showed each skip twice.
    assert any(f"{path}:2" in r.getMessage() and r.levelno == logging.DEBUG for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"id": "m", "title": "No text"}', "missing field 'text'"),
        ('{"id": "m", "text": null}', "field 'text' is not a string (got null)"),
        ('{"id": "m", "text": ["a", "b"]}', "field 'text' is not a string (got array)"),
        ('{"id": "m", "text": 12}', "field 'text' is not a string (got number)"),
        ('{"id": "m", "text": "   "}', "empty field 'text'"),
        ('{"id": "m", "text": "Advertisement\\n\\nShare this article"}', "empty text after cleaning"),
        ('["not", "an", "object"]', "not a JSON object (got array)"),
        ('"just a string"', "not a JSON object (got string)"),
        ("42", "not a JSON object (got number)"),
        ("null", "not a JSON object (got null)"),
        ("{", "invalid JSON at column 2: Expecting property name enclosed in double quotes"),
    ],
)
def test_bad_records_are_skipped_with_their_line(tmp_path: Path, line: str, reason: str) -> None:
    path = write(tmp_path / "m.jsonl", f'{{"id": "ok1", "text": "Fine."}}\n{line}\n{{"id": "ok2", "text": "Fine."}}\n')
    items = read(path)
    assert items[1] == Skipped(f"{path}:2", reason)
    assert [getattr(i, "id", None) for i in items] == ["ok1", None, "ok2"]


def test_json_errors_keep_their_line_and_column(tmp_path: Path) -> None:
    """Regression: the reason was json's message without its position, "invalid JSON: Invalid
    control character at", cut off where the position had been."""
    path = write(tmp_path / "ctl.jsonl", '{"id": "ok", "text": "Fine."}\n{"text": "abcdef\x01"}\n')
    assert read(path)[1] == Skipped(f"{path}:2", "invalid JSON at column 17: Invalid control character")
    path = write(tmp_path / "open.jsonl", '{"id": "c", "text": "unterminated}\n')
    assert read(path) == [Skipped(f"{path}:1", "invalid JSON at column 21: Unterminated string starting")]


@pytest.mark.parametrize(
    ("content", "place", "reason"),
    [
        ('[\n{"text": "Fine."},\n  {"text": oops}\n]', 3, "invalid JSON at column 12: Expecting value"),
        (
            '[\n{"text": "Fine."}\n  {"text": "Lost."}]',
            3,
            "invalid JSON at column 3: expected ',' or ']' after an array element",
        ),
        ('[\n{"text": "Fine."}\n', 3, "invalid JSON at column 1: the array is not closed with ']'"),
        ('[\n{"text": "Fine."}\n]\n\n  oops', 5, "invalid JSON at column 3: extra data after the array"),
    ],
)
def test_json_array_errors_keep_their_line_and_column(tmp_path: Path, content: str, place: int, reason: str) -> None:
    path = write(tmp_path / "arr.json", content)
    fine = Article(id=content_id(None, "Fine."), title=None, text="Fine.")
    assert read(path) == [fine, Skipped(f"{path}:{place}", reason)]


def test_undecodable_bytes_in_jsonl_skip_only_that_line(tmp_path: Path) -> None:
    data = b'{"id": "a", "text": "Fine."}\n{"id": "b", "text": "Caf\xe9 in latin-1"}\n{"id": "c", "text": "Fine."}\n'
    path = write(tmp_path / "enc.jsonl", data)
    items = read(path)
    assert [getattr(i, "id", None) for i in items] == ["a", None, "c"]
    assert isinstance(items[1], Skipped) and items[1].place == f"{path}:2" and "UTF-8" in items[1].reason


def test_undecodable_bytes_in_csv_skip_only_that_record(tmp_path: Path) -> None:
    data = b"id,text\na,Fine.\nb,Caf\xe9 in latin-1\nc,Fine.\n"
    path = write(tmp_path / "enc.csv", data)
    items = read(path)
    assert [getattr(i, "id", None) for i in items] == ["a", None, "c"]
    assert isinstance(items[1], Skipped) and items[1].place == f"{path}:3" and "UTF-8" in items[1].reason


def test_txt_with_a_few_bad_bytes_is_read(tmp_path: Path) -> None:
    data = ("Title\n\n" + "A long enough body of text about the river. " * 10).encode() + b"\xff\n"
    (item,) = read(write(tmp_path / "few.txt", data))
    assert isinstance(item, Article)
    assert item.text.endswith("\ufffd")


BINARY = "looks like a binary file, not text (it contains NUL bytes)"
UTF16 = "not UTF-8 text: it looks like UTF-16; re-encode the file as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa"
NOISE = bytes(random.Random(3).randrange(256) for _ in range(3000)) + b"\x00"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("nul.txt", b"Title\n\nBody\x00\x00\x01 more"),
        ("nul.csv", b"id,text\x00\na,b\n"),
        ("nul.md", b"# T\n\x00\x00"),
        ("nul.html", b"<html>\x00\x00</html>"),
        ("nul.json", b'[{"text": "a"}]\x00'),
        ("picture.txt", PNG),
        ("picture.jsonl", PNG),
        ("picture.rss", PNG),
        ("picture.jsonl.gz", PNG),
        ("noise.txt", NOISE),
        ("noise.jsonl", NOISE),
        ("noise.html", NOISE),
        ("noise.tsv", NOISE),
    ],
)
def test_binary_files_are_called_binary(tmp_path: Path, name: str, data: bytes) -> None:
    """Regression: a picture or random bytes were told that UTF-16 text must be re-encoded."""
    path = write(tmp_path / name, data)
    assert read(path) == [Skipped(str(path), BINARY)]


UTF16_TEXT = '{"id": "a", "text": "Fine words about the harbour."}\n'


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("utf16.jsonl", UTF16_TEXT.encode("utf-16")),  # with a byte order mark
        ("utf16be.jsonl", UTF16_TEXT.encode("utf-16-be")),  # without one
        ("utf16.json", UTF16_TEXT.encode("utf-16-le")),
        ("utf16.csv", "id,text\na,Fine words about the harbour.\n".encode("utf-16")),
        ("utf16.txt", "Title\n\nFine words about the harbour.\n".encode("utf-16")),
        ("utf16.md", "# Title\n\nFine words about the harbour.\n".encode("utf-16-le")),
        ("utf16.rss", '<?xml version="1.0"?><rss><channel><title>T</title></channel></rss>'.encode("utf-16")),
        ("utf16.jsonl.gz", UTF16_TEXT.encode("utf-16")),
    ],
)
def test_utf16_files_are_told_to_be_re_encoded(tmp_path: Path, name: str, data: bytes) -> None:
    path = write(tmp_path / name, data)
    assert read(path) == [Skipped(str(path), UTF16)]


def test_utf32_is_named(tmp_path: Path) -> None:
    path = write(tmp_path / "wide.jsonl", UTF16_TEXT.encode("utf-32"))
    assert read(path) == [Skipped(str(path), UTF16.replace("UTF-16", "UTF-32"))]


def test_latin1_text_is_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path / "latin.txt", "Caf\u00e9 \u00e0 la cr\u00e8me, d\u00e9j\u00e0 vu".encode("latin-1") * 3)
    (item,) = read(path)
    assert isinstance(item, Skipped) and item.place == str(path)
    assert item.reason.startswith("not UTF-8 text (binary file?)")


@pytest.mark.parametrize("name", ["e.jsonl", "e.json", "e.csv", "e.tsv", "e.txt", "e.md", "e.html", "e.jsonl.gz"])
def test_empty_files(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    assert read(path) == [Skipped(str(path), "empty file")]


@pytest.mark.parametrize("name", ["w.jsonl", "w.txt", "w.csv", "w.jsonl.gz"])
def test_whitespace_only_files_are_empty(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name, "\n  \n\t\n")
    assert read(path) == [Skipped(str(path), "empty file")]


def test_corrupt_gzip_keeps_records_before_the_damage(tmp_path: Path) -> None:
    records = [
        {"id": f"r{i}", "text": f"Record number {i} about the flood, padded {'x' * (i % 97)}."} for i in range(3000)
    ]
    data = gzip.compress(jsonl(records).encode("utf-8"), mtime=0)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    items = read(path)
    good, last = items[:-1], items[-1]
    assert 0 < len(good) < len(records)
    assert [a.id for a in articles(good)] == [f"r{i}" for i in range(len(good))]
    assert isinstance(last, Skipped) and last.place == str(path)
    assert last.reason.startswith("corrupt gzip file")


def test_gzip_that_is_not_gzip(tmp_path: Path) -> None:
    path = tmp_path / "plain.jsonl.gz"
    path.write_text(jsonl(RECORDS), encoding="utf-8")
    (item,) = read(path)
    assert isinstance(item, Skipped) and item.place == str(path) and item.reason.startswith("corrupt gzip file")


def test_unsupported_suffix_and_missing_path(tmp_path: Path) -> None:
    pdf = write(tmp_path / "report.pdf", b"%PDF-1.4")
    assert read(pdf) == [Skipped(str(pdf), "unsupported file type '.pdf'")]
    assert read(tmp_path / "notes") == [Skipped(str(tmp_path / "notes"), "no such file or directory")]
    tarball = write(tmp_path / "x.tar.gz", b"")
    assert read(tarball) == [Skipped(str(tarball), "unsupported file type '.tar.gz'")]


# --- directories, order, laziness ----------------------------------------------------------------


def test_directory_walk_is_recursive_sorted_and_skips_hidden(tmp_path: Path) -> None:
    write(tmp_path / "b.txt", "B title\nB body.")
    write(tmp_path / "a" / "z.txt", "AZ title\nAZ body.")
    write(tmp_path / "a" / "c.jsonl", jsonl([{"id": "ac", "text": "AC body."}]))
    write(tmp_path / ".git" / "hidden.txt", "Hidden\nbody.")
    write(tmp_path / ".hidden.jsonl", jsonl([{"id": "h", "text": "Hidden."}]))
    write(tmp_path / "notes.pdf", b"%PDF")
    items = read(tmp_path)
    assert [getattr(i, "title", None) or getattr(i, "id", None) or getattr(i, "reason", None) for i in items] == [
        "ac",
        "AZ title",
        "B title",
        "unsupported file type '.pdf'",
    ]
    assert read(tmp_path) == items


def test_paths_are_read_in_the_order_given(tmp_path: Path) -> None:
    b = write(tmp_path / "b.jsonl", jsonl([RECORDS[1]]))
    a = write(tmp_path / "a.jsonl", jsonl([RECORDS[0]]))
    assert read(b, a) == [EXPECTED[1], EXPECTED[0]]
    assert list(read_articles(str(a))) == [EXPECTED[0]]  # one path as a plain string


def test_reading_is_lazy(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", jsonl(RECORDS))
    consumed: list[Path] = []

    def paths() -> Iterator[Path]:
        for p in (path, tmp_path / "never.jsonl"):
            consumed.append(p)
            yield p

    items = read_articles(paths())
    assert consumed == []
    assert next(items) == EXPECTED[0]
    assert consumed == [path]


# --- ColumnMap -----------------------------------------------------------------------------------


def test_column_map_parse() -> None:
    assert ColumnMap.parse("text=body,title=headline") == ColumnMap(text="body", title="headline")
    assert ColumnMap.parse(" text = body , ") == ColumnMap(text="body")
    assert ColumnMap.parse("") == ColumnMap()


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ("text=body,headline", "'headline'"),
        ("txt=body", "'txt=body'"),
        ("text=", "'text='"),
        ("text=a,text=b", "'text=b'"),
    ],
)
def test_column_map_parse_errors_name_the_bad_part(spec: str, named: str) -> None:
    with pytest.raises(ValueError, match=re.escape(named)):
        ColumnMap.parse(spec)


def test_column_map_rejects_empty_names() -> None:
    with pytest.raises(ValueError, match="ColumnMap.text"):
        ColumnMap(text="")
