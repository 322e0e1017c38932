"""Read news articles from files into cleaned ``Article`` records.

``read_articles`` is the one entry point. It walks files and directories lazily and yields, in a
deterministic order, a cleaned :class:`~corpus.article.Article` for every usable record and a
:class:`Skipped` for every record or file that could not be used, saying where and why. Bad input
never raises and never stops the rest of a file; each skip is also logged at WARNING.

Formats, chosen by file suffix (case-insensitive):

- ``.jsonl``/``.ndjson`` (``.gz`` too): one JSON object per line.
- ``.json`` (``.gz`` too): a JSON array of objects, a single object, or else JSON lines.
- ``.csv``/``.tsv`` (``.gz`` too): a header row, then one record per row.
- ``.txt``: first non-empty line is the title, the rest is the body.
- ``.md``/``.markdown``: optional ``---`` front matter, a leading ``# Heading`` as the title,
  markdown syntax reduced to its text.
- ``.html``/``.htm``: main text and metadata extracted with trafilatura.
- ``.rss``/``.atom``/``.xml`` (``.gz`` too): a news or wire feed (RSS 2.0, RSS 1.0, Atom or
  IPTC NewsML-G2), one article per item, entry or newsItem: its full content where the feed
  carries it, else its summary; or an NITF document, one article (see :mod:`corpus.feeds`).

Record places are ``"path:line"`` (1-based; for CSV the line where the record starts, for a feed
the line of its item) or ``"path"`` for a whole file.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import hashlib
import json
import logging
import os
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from corpus.article import Article
from corpus.clean import clean_text, normalize_date, normalize_title

__all__ = ["ColumnMap", "Skipped", "content_id", "read_articles"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Skipped:
    """A record or file that was not read, and why.

    ``place`` is ``"path:line"`` for one row of a JSONL/JSON/CSV file (1-based; for CSV the line
    where the record starts) or ``"path"`` for a whole file. ``reason`` says what is wrong in
    words a user can act on, e.g. ``"missing field 'text'"``.
    """

    place: str
    reason: str


@dataclass(frozen=True)
class ColumnMap:
    """Which input field holds each Article field (for JSONL, JSON and CSV)."""

    id: str = "id"
    title: str = "title"
    text: str = "text"
    date: str = "date"
    source: str = "source"
    url: str = "url"

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"ColumnMap.{f.name} must be a non-empty field name, got {value!r}.")

    @classmethod
    def parse(cls, spec: str) -> ColumnMap:
        """Parse ``"text=body,title=headline"``; fields not named keep their default names.

        Raises ValueError naming the bad part for an unknown field, a part without ``=``, an
        empty name or a field given twice. An empty spec gives the defaults.
        """
        known = [f.name for f in dataclasses.fields(cls)]
        chosen: dict[str, str] = {}
        for part in spec.split(","):
            if not part.strip():
                continue
            field_name, sep, column = (s.strip() for s in part.partition("="))
            if not sep:
                raise ValueError(f"column map part {part.strip()!r} has no '='; write FIELD=COLUMN, e.g. 'text=body'.")
            if field_name not in known:
                raise ValueError(
                    f"unknown field {field_name!r} in column map part {part.strip()!r}; fields are {', '.join(known)}."
                )
            if not column:
                raise ValueError(f"column map part {part.strip()!r} names no column; write FIELD=COLUMN.")
            if field_name in chosen:
                raise ValueError(
                    f"field {field_name!r} is mapped twice in the column map (part "
                    f"{part.strip()!r}); give each field once."
                )
            chosen[field_name] = column
        return cls(**chosen)


def content_id(title: str | None, text: str) -> str:
    """Stable id from content: ``"sha1-"`` + 16 hex digits of SHA-1 over title and text.

    Both are NFC-normalised, whitespace-collapsed and case-folded first, so the same article
    re-read, re-wrapped or re-cased gets the same id in every run and process.
    """

    def norm(s: str) -> str:
        return " ".join(unicodedata.normalize("NFC", s).split()).casefold()

    payload = f"{norm(title or '')}\n{norm(text)}".encode("utf-8", "surrogatepass")
    return "sha1-" + hashlib.sha1(payload).hexdigest()[:16]


def read_articles(
    paths: Iterable[str | os.PathLike[str]], columns: ColumnMap | None = None
) -> Iterator[Article | Skipped]:
    """Yield an ``Article`` or a ``Skipped`` for every record in ``paths``, lazily.

    ``paths`` are files or directories; directories are walked recursively in sorted order,
    skipping hidden files and directories (names starting with "."). A single path given as a
    string is accepted too. ``columns`` says which input fields hold the article fields
    (JSON and CSV only). Titles, texts and dates are normalised with ``corpus.clean``; records
    whose text is missing, not a string, or empty after cleaning are skipped. An unparseable
    date becomes None rather than a skip. Articles get the input id (stripped) or else
    ``content_id(title, text)``.
    """
    columns = columns or ColumnMap()
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    for given in paths:
        path = Path(given)
        if path.is_dir():
            yield from _read_directory(path, columns)
        elif path.exists():
            yield from _read_file(path, columns)
        else:
            yield _skipped(str(path), "no such file or directory")


# --- files and directories ---------------------------------------------------------------------

_Reader = Callable[[Path, IO[bytes], ColumnMap], Iterator[Article | Skipped]]

_SNIFF_BYTES = 8192
# .txt/.md may contain a few stray bytes (replaced with U+FFFD); more than this share means the
# file is not text in UTF-8 at all.
_MAX_BAD_BYTE_SHARE = 0.01
# A first line this long is a paragraph, not a title.
_MAX_TITLE_WORDS = 40
_CSV_FIELD_LIMIT = 2**31 - 1
_BAD_BYTES = re.compile("[\udc80-\udcff]")
# A JSON ``\ud800``-style escape with no partner decodes to a lone surrogate, which no UTF-8
# consumer downstream (hashing, SQLite) can encode.
_SURROGATE = re.compile("[\ud800-\udfff]")
_BINARY_REASON = "not UTF-8 text (binary file?): it contains NUL bytes; UTF-16 text must be re-encoded as UTF-8"


def _skipped(place: str, reason: str) -> Skipped:
    logger.warning("skipped %s: %s", place, reason)
    return Skipped(place=place, reason=reason)


def _read_directory(root: Path, columns: ColumnMap) -> Iterator[Article | Skipped]:
    errors: list[OSError] = []
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=errors.append):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        files.extend(Path(dirpath, f) for f in filenames if not f.startswith("."))
    for error in errors:
        yield _skipped(str(error.filename or root), f"cannot read directory: {error.strerror}")
    for path in sorted(files, key=lambda p: p.relative_to(root).parts):
        yield from _read_file(path, columns)


def _file_kind(name: str) -> tuple[str, bool] | None:
    """("jsonl"|"json"|"csv"|"tsv"|"txt"|"md"|"html"|"feed", gzipped) for a supported name, else None."""
    lower = name.lower()
    gzipped = lower.endswith(".gz")
    if gzipped:
        lower = lower[: -len(".gz")]
    suffix = lower.rsplit(".", 1)[-1] if "." in lower else ""
    kinds = {"jsonl": "jsonl", "ndjson": "jsonl", "json": "json", "csv": "csv", "tsv": "tsv"}
    kinds |= {"rss": "feed", "atom": "feed", "xml": "feed"}
    if not gzipped:
        kinds |= {"txt": "txt", "md": "md", "markdown": "md", "html": "html", "htm": "html"}
    kind = kinds.get(suffix)
    return (kind, gzipped) if kind else None


def _suffix_for_message(path: Path) -> str:
    suffixes = path.suffixes
    if len(suffixes) >= 2 and suffixes[-1].lower() == ".gz":
        return "".join(suffixes[-2:])
    return path.suffix


def _read_file(path: Path, columns: ColumnMap) -> Iterator[Article | Skipped]:
    place = str(path)
    kind = _file_kind(path.name)
    if kind is None:
        suffix = _suffix_for_message(path)
        yield _skipped(place, f"unsupported file type {suffix!r}" if suffix else "unsupported file type (no suffix)")
        return
    name, gzipped = kind
    reader = _READERS[name]
    count = 0
    try:
        if path.stat().st_size == 0:
            yield _skipped(place, "empty file")
            return
        with _open(path, gzipped) as stream:
            for item in reader(path, stream, columns):
                count += 1
                yield item
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        # Records decoded before the damage have been yielded already.
        yield _skipped(place, f"corrupt gzip file: {exc}")
        return
    except OSError as exc:
        yield _skipped(place, f"cannot read file: {exc.strerror or exc}")
        return
    if count == 0:
        yield _skipped(place, "empty file")


def _open(path: Path, gzipped: bool) -> IO[bytes]:
    if gzipped:
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _looks_binary(stream: IO[bytes]) -> bool:
    peek = getattr(stream, "peek", None)
    head = peek(_SNIFF_BYTES)[:_SNIFF_BYTES] if peek else b""
    return b"\x00" in head


def _decoded_lines(stream: IO[bytes]) -> Iterator[str]:
    """Lines decoded as UTF-8, undecodable bytes kept as lone surrogates so each line can be
    judged on its own (see ``_BAD_BYTES``); the BOM of the first line is dropped."""
    for number, raw in enumerate(stream):
        line = raw.decode("utf-8", "surrogateescape")
        yield line.lstrip("\ufeff") if number == 0 else line


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


# --- records from mappings (JSON objects, CSV rows) --------------------------------------------

_NULL_STRINGS = frozenset({"", "none", "null", "nan"})


def _optional_str(value: object) -> str | None:
    if value is None:
        return None
    text = (value if isinstance(value, str) else str(value)).strip()
    return None if text.casefold() in _NULL_STRINGS else text


def _extra_value(value: object) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _from_mapping(record: Mapping[str, Any], columns: ColumnMap, place: str) -> Article | Skipped:
    if columns.text not in record:
        return _skipped(place, f"missing field {columns.text!r}")
    raw_text = record[columns.text]
    if not isinstance(raw_text, str):
        return _skipped(place, f"field {columns.text!r} is not a string (got {_json_type(raw_text)})")
    if not raw_text.strip():
        return _skipped(place, f"empty field {columns.text!r}")
    if any(isinstance(v, str) and _BAD_BYTES.search(v) for v in record.values()):
        return _skipped(place, "not valid UTF-8 text; re-encode the file as UTF-8")
    if any(_SURROGATE.search(k) or (isinstance(v, str) and _SURROGATE.search(v)) for k, v in record.items()):
        return _skipped(place, "contains an unpaired surrogate escape (\\ud800-\\udfff); fix or remove that character")
    text = clean_text(raw_text)
    if not text:
        return _skipped(place, "empty text after cleaning")
    title = normalize_title(record.get(columns.title))
    mapped = {columns.id, columns.title, columns.text, columns.date, columns.source, columns.url}
    extra = tuple(
        sorted((key, _extra_value(value)) for key, value in record.items() if key not in mapped and value is not None)
    )
    return Article(
        id=_optional_str(record.get(columns.id)) or content_id(title, text),
        title=title,
        text=text,
        date=normalize_date(record.get(columns.date)),
        source=_optional_str(record.get(columns.source)),
        url=_optional_str(record.get(columns.url)),
        extra=extra,
    )


# --- JSON ----------------------------------------------------------------------------------------


def _json_record(line: str, place: str, columns: ColumnMap) -> Article | Skipped:
    if _BAD_BYTES.search(line):
        return _skipped(place, "not valid UTF-8 text; re-encode the file as UTF-8")
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        return _skipped(place, f"invalid JSON: {exc.msg}")
    except RecursionError:
        return _skipped(place, "invalid JSON: nested too deeply")
    if not isinstance(value, dict):
        return _skipped(place, f"not a JSON object (got {_json_type(value)})")
    return _from_mapping(value, columns, place)


def _read_jsonl(path: Path, stream: IO[bytes], columns: ColumnMap) -> Iterator[Article | Skipped]:
    if _looks_binary(stream):
        yield _skipped(str(path), _BINARY_REASON)
        return
    yield from _jsonl_lines(path, _decoded_lines(stream), columns)


def _jsonl_lines(path: Path, lines: Iterable[str], columns: ColumnMap) -> Iterator[Article | Skipped]:
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield _json_record(line, f"{path}:{number}", columns)


def _read_json(path: Path, stream: IO[bytes], columns: ColumnMap) -> Iterator[Article | Skipped]:
    """A JSON array of objects, a single object, or (if neither parses) JSON lines."""
    if _looks_binary(stream):
        yield _skipped(str(path), _BINARY_REASON)
        return
    text = stream.read().decode("utf-8", "surrogateescape").lstrip("\ufeff")
    body = text.lstrip()
    if body.startswith("["):
        yield from _json_array(path, text, columns)
        return
    if body.startswith("{"):
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            first_line = body.split("\n", 1)[0]
            if not exc.msg.startswith("Extra data") and not _parses(first_line):
                # One (pretty-printed) object that is broken: report it once, not per line.
                yield _skipped(f"{path}:{exc.lineno}", f"invalid JSON: {exc.msg}")
                return
        else:
            start_line = text.count("\n", 0, len(text) - len(body)) + 1
            yield _json_record(text, f"{path}:{start_line}", columns)
            return
    yield from _jsonl_lines(path, text.split("\n"), columns)


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return False
    return True


_WHITESPACE = re.compile(r"\s*")


def _json_array(path: Path, text: str, columns: ColumnMap) -> Iterator[Article | Skipped]:
    """Decode array elements one at a time so each record knows its line.

    After a syntax error the rest of the array cannot be located reliably, so reading stops with
    a Skipped at the error.
    """
    decoder = json.JSONDecoder()
    line, line_pos = 1, 0

    def line_at(pos: int) -> int:
        nonlocal line, line_pos
        line += text.count("\n", line_pos, pos)
        line_pos = pos
        return line

    def ws(pos: int) -> int:
        match = _WHITESPACE.match(text, pos)
        return match.end() if match else pos

    pos = ws(text.index("[") + 1)
    count = 0
    while True:
        if pos >= len(text):
            yield _skipped(f"{path}:{line_at(pos)}", "invalid JSON: the array is not closed with ']'")
            return
        if text[pos] == "]":
            break
        if count:
            if text[pos] != ",":
                yield _skipped(f"{path}:{line_at(pos)}", "invalid JSON: expected ',' or ']' after an array element")
                return
            pos = ws(pos + 1)
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield _skipped(f"{path}:{exc.lineno}", f"invalid JSON: {exc.msg}")
            return
        except RecursionError:
            yield _skipped(f"{path}:{line_at(pos)}", "invalid JSON: nested too deeply")
            return
        place = f"{path}:{line_at(pos)}"
        if _BAD_BYTES.search(text, pos, end):
            yield _skipped(place, "not valid UTF-8 text; re-encode the file as UTF-8")
        elif isinstance(value, dict):
            yield _from_mapping(value, columns, place)
        else:
            yield _skipped(place, f"not a JSON object (got {_json_type(value)})")
        count += 1
        pos = ws(end)
    if text[pos + 1 :].strip():
        yield _skipped(f"{path}:{line_at(pos)}", "invalid JSON: extra data after the array")
    elif count == 0:
        yield _skipped(str(path), "empty JSON array")


# --- CSV -----------------------------------------------------------------------------------------


def _read_csv(path: Path, stream: IO[bytes], columns: ColumnMap) -> Iterator[Article | Skipped]:
    yield from _csv_records(path, stream, columns, delimiter=",")


def _read_tsv(path: Path, stream: IO[bytes], columns: ColumnMap) -> Iterator[Article | Skipped]:
    yield from _csv_records(path, stream, columns, delimiter="\t")


def _csv_records(path: Path, stream: IO[bytes], columns: ColumnMap, *, delimiter: str) -> Iterator[Article | Skipped]:
    """Rows as records keyed by the header; only the mapped columns become Article fields and
    every other column goes to ``extra``."""
    if _looks_binary(stream):
        yield _skipped(str(path), _BINARY_REASON)
        return
    # Article bodies easily exceed the csv module's 128 KiB default field limit. The limit is
    # process-wide; raising it only ever accepts more.
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
    reader = csv.reader(_decoded_lines(stream), delimiter=delimiter)
    header: list[str] | None = None
    while True:
        start = reader.line_num + 1
        place = f"{path}:{start}"
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield _skipped(place, f"malformed CSV row: {exc}")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip() for cell in row]
            if columns.text not in header:
                yield _skipped(
                    str(path),
                    f"no column {columns.text!r} in the header (columns: {', '.join(header)}); "
                    f"map the text column, e.g. ColumnMap.parse('text=body')",
                )
                return
            continue
        if len(row) > len(header):
            yield _skipped(place, f"row has {len(row)} fields but the header has {len(header)}")
            continue
        yield _from_mapping(dict(zip(header, row, strict=False)), columns, place)


# --- plain text, markdown, HTML ------------------------------------------------------------------


def _decode_text_file(path: Path, data: bytes) -> str | Skipped:
    """UTF-8 text with a few bad bytes replaced; a Skipped for binary or non-UTF-8 files."""
    if b"\x00" in data:
        return _skipped(str(path), _BINARY_REASON)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8-sig", "replace")
    bad = text.count("\ufffd") - data.decode("utf-8-sig", "ignore").count("\ufffd")
    if bad > _MAX_BAD_BYTE_SHARE * max(len(text), 1):
        return _skipped(str(path), f"not UTF-8 text (binary file?): {bad} bytes cannot be decoded as UTF-8")
    logger.warning("%s: replaced %d bytes that are not UTF-8 with U+FFFD", path, bad)
    return text


def _article_from_parts(
    path: Path,
    title: str | None,
    body: str,
    *,
    date: object = None,
    source: object = None,
    url: object = None,
    given_id: object = None,
    place: str | None = None,
    extra: tuple[tuple[str, str], ...] = (),
) -> Article | Skipped:
    """Build an Article from a whole-file format (or a feed's item, at ``place``); a body starting
    with the title loses it."""
    clean_title = normalize_title(title)
    text = clean_text(body)
    if clean_title and text:
        first, _, rest = text.partition("\n\n")
        if first.casefold() == clean_title.casefold():
            text = rest
    if not text:
        return _skipped(place or str(path), "empty text after cleaning")
    return Article(
        id=_optional_str(given_id) or content_id(clean_title, text),
        title=clean_title,
        text=text,
        date=normalize_date(date),
        source=_optional_str(source),
        url=_optional_str(url),
        extra=extra,
    )


def _read_txt(path: Path, stream: IO[bytes], columns: ColumnMap) -> Iterator[Article | Skipped]:
    decoded = _decode_text_file(path, stream.read())
    if isinstance(decoded, Skipped):
        yield decoded
        return
    if not decoded.strip():
        return
    first, _, rest = decoded.lstrip().partition("\n")
    if len(first.split()) > _MAX_TITLE_WORDS or not rest.strip():
        yield _article_from_parts(path, None, decoded)
    else:
        yield _article_from_parts(path, first, rest)


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_MATTER_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_MD_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_MD_QUOTE = re.compile(r"^\s{0,3}(?:>\s?)+")
_MD_RULE = re.compile(r"^\s{0,3}(?:[-*_]\s*){3,}$")
_MD_FENCE = re.compile(r"^\s{0,3}(?:```|~~~)")
_MD_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+")
_MD_INLINE = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), ""),  # images: alt text is rarely prose
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # [text](url)
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # [text][ref]
    (re.compile(r"<(https?://[^>\s]+)>"), r"\1"),  # <https://...>
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # **strong**, __strong__
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"\1"),  # ~~strike~~
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),  # *em*
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),  # _em_, not snake_case
    (re.compile(r"`([^`]+)`"), r"\1"),  # `code`
)


def _markdown_inline(text: str) -> str:
    for pattern, replacement in _MD_INLINE:
        text = pattern.sub(replacement, text)
    return text


def _markdown_to_text(markdown: str) -> str:
    """Reduce markdown to paragraphs of readable text.

    Lines of one markdown paragraph are soft-wrapped and are joined with spaces; headings and
    list items start their own paragraphs. Emphasis, links and code marks go and their words
    stay; images, rules, fences and link definitions go entirely.
    """
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            paragraphs.append(_markdown_inline(" ".join(current)))
            current.clear()

    for raw_line in markdown.split("\n"):
        line = _MD_QUOTE.sub("", raw_line)
        if not line.strip() or _MD_RULE.match(line) or _MD_FENCE.match(line) or _MD_REF_DEF.match(line):
            flush()
            continue
        heading = _MD_HEADING.match(line)
        if heading:
            flush()
            paragraphs.append(_markdown_inline(heading[1]))
            continue
        item = _MD_ITEM.match(line)
        if item:
            flush()
            line = line[item.end() :]
        current.append(line.strip())
    flush()
    return "\n\n".join(paragraphs)


_MD_TITLE = re.compile(r"\s{0,3}#\s+(.*?)\s*#*\s*(?:\n|\Z)")


def _read_md(path: Path, stream: IO[bytes], columns: ColumnMap) -> Iterator[Article | Skipped]:
    decoded = _decode_text_file(path, stream.read())
    if isinstance(decoded, Skipped):
        yield decoded
        return
    text = decoded.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return
    meta: dict[str, str] = {}
    front = _FRONT_MATTER.match(text)
    if front:
        for line in front[1].split("\n"):
            match = _FRONT_MATTER_LINE.match(line)
            if match:
                meta[match[1].lower()] = match[2].strip("'\"")
        text = text[front.end() :]
    title: str | None = meta.get("title")
    body = text.lstrip("\n")
    heading = _MD_TITLE.match(body)
    if heading:
        heading_text = _markdown_inline(heading[1]).strip()
        if title is None or normalize_title(title) == normalize_title(heading_text):
            title = heading_text
            body = body[heading.end() :]
    yield _article_from_parts(
        path,
        title,
        _markdown_to_text(body),
        date=meta.get("date"),
        source=meta.get("source"),
        url=meta.get("url"),
        given_id=meta.get("id"),
    )


_HTML_DROP = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template")
_HTML_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td")


def _html_fallback(data: bytes) -> tuple[str | None, str]:
    """Title and block texts with plain lxml, for pages trafilatura finds no main text in."""
    import lxml.etree
    import lxml.html

    try:
        tree = lxml.html.fromstring(data)
    except (lxml.etree.ParserError, ValueError):
        return None, ""
    title_el = tree.find(".//title")
    title = title_el.text_content() if title_el is not None else None
    for element in list(tree.iter(*_HTML_DROP)):
        element.drop_tree()
    blocks = [el.text_content() for el in tree.iter(*_HTML_BLOCKS)]
    if not any(b.strip() for b in blocks):
        body = tree.find(".//body")
        blocks = [(body if body is not None else tree).text_content()]
    return title, "\n\n".join(b.strip() for b in blocks)


def _read_html(path: Path, stream: IO[bytes], columns: ColumnMap) -> Iterator[Article | Skipped]:
    import trafilatura  # imported here: it is slow to import and only HTML needs it

    data = stream.read()
    if not data.strip():
        return
    if b"\x00" in data[:_SNIFF_BYTES]:
        yield _skipped(str(path), _BINARY_REASON)
        return
    try:
        doc = trafilatura.bare_extraction(data, with_metadata=True, include_comments=False, include_tables=True)
    except Exception as exc:  # noqa: BLE001 - a third-party parser on untrusted input
        yield _skipped(str(path), f"HTML extraction failed: {type(exc).__name__}: {exc}")
        return
    text = getattr(doc, "text", None) or ""
    title = getattr(doc, "title", None)
    if not text.strip():
        fallback_title, text = _html_fallback(data)
        title = title or fallback_title
    else:
        # trafilatura puts one block per line; make each a paragraph.
        text = text.replace("\n", "\n\n")
    yield _article_from_parts(
        path,
        title,
        text,
        date=getattr(doc, "date", None),
        source=getattr(doc, "sitename", None),
        url=getattr(doc, "url", None),
    )


def _read_feed(path: Path, stream: IO[bytes], columns: ColumnMap) -> Iterator[Article | Skipped]:
    from corpus.feeds import read_feed  # imported here: corpus.feeds imports this module

    yield from read_feed(path, stream)


_READERS: dict[str, _Reader] = {
    "jsonl": _read_jsonl,
    "json": _read_json,
    "csv": _read_csv,
    "tsv": _read_tsv,
    "txt": _read_txt,
    "md": _read_md,
    "html": _read_html,
    "feed": _read_feed,
}
