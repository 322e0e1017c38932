"""Tabular records read as articles: JSON lines, JSON (an array, one object, or lines) and CSV/TSV.

Each record is a mapping whose fields a :class:`ColumnMap` names; a bad record is a ``Skipped`` at
its line and the rest of the file is still read. JSON syntax errors keep their line (in the place)
and column (in the reason): ``"invalid JSON at column 17: Invalid control character"``.
``corpus.load`` chooses these readers by suffix; ``ColumnMap`` is public through ``corpus.load``.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from corpus.article import Article
from corpus.clean import clean_text, normalize_date, normalize_title
from corpus.reading import Skipped, content_id, decoded_lines, optional_str, skipped, sniff_not_text

__all__ = ["ColumnMap", "read_csv", "read_json", "read_jsonl", "read_tsv"]

_CSV_FIELD_LIMIT = 2**31 - 1
# Bytes that are not UTF-8, kept by ``decoded_lines`` as lone surrogates.
_BAD_BYTES = re.compile("[\udc80-\udcff]")
# A JSON ``\ud800``-style escape with no partner decodes to a lone surrogate, which no UTF-8
# consumer downstream (hashing, SQLite) can encode.
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_UTF8 = "not valid UTF-8 text; re-encode the file as UTF-8"
_WHITESPACE = re.compile(r"\s*")


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


def _extra_value(value: object) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _from_mapping(record: Mapping[str, Any], columns: ColumnMap, place: str) -> Article | Skipped:
    if columns.text not in record:
        return skipped(place, f"missing field {columns.text!r}")
    raw_text = record[columns.text]
    if not isinstance(raw_text, str):
        return skipped(place, f"field {columns.text!r} is not a string (got {_json_type(raw_text)})")
    if not raw_text.strip():
        return skipped(place, f"empty field {columns.text!r}")
    if any(isinstance(v, str) and _BAD_BYTES.search(v) for v in record.values()):
        return skipped(place, _NOT_UTF8)
    if any(_SURROGATE.search(k) or (isinstance(v, str) and _SURROGATE.search(v)) for k, v in record.items()):
        return skipped(place, "contains an unpaired surrogate escape (\\ud800-\\udfff); fix or remove that character")
    text = clean_text(raw_text)
    if not text:
        return skipped(place, "empty text after cleaning")
    title = normalize_title(record.get(columns.title))
    mapped = {columns.id, columns.title, columns.text, columns.date, columns.source, columns.url}
    extra = tuple(
        sorted((key, _extra_value(value)) for key, value in record.items() if key not in mapped and value is not None)
    )
    return Article(
        id=optional_str(record.get(columns.id)) or content_id(title, text),
        title=title,
        text=text,
        date=normalize_date(record.get(columns.date)),
        source=optional_str(record.get(columns.source)),
        url=optional_str(record.get(columns.url)),
        extra=extra,
    )


# --- JSON ----------------------------------------------------------------------------------------


def _json_error(exc: json.JSONDecodeError) -> str:
    """The reason for a JSON syntax error, with its column (the line is in the place).

    ``exc.msg`` is the message without its position, and some end in a dangling "at" that
    ``str(exc)`` completes ("Invalid control character at: line 1 column 17 (char 16)")."""
    return f"invalid JSON at column {exc.colno}: {exc.msg.removesuffix(' at')}"


def _column(text: str, pos: int) -> int:
    """The 1-based column of ``text[pos]`` within its line, as ``json`` counts it."""
    return pos - text.rfind("\n", 0, pos)


def _json_record(line: str, place: str, columns: ColumnMap) -> Article | Skipped:
    if _BAD_BYTES.search(line):
        return skipped(place, _NOT_UTF8)
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        return skipped(place, _json_error(exc))
    except RecursionError:
        return skipped(place, "invalid JSON: nested too deeply")
    if not isinstance(value, dict):
        return skipped(place, f"not a JSON object (got {_json_type(value)})")
    return _from_mapping(value, columns, place)


def read_jsonl(path: Path, stream: IO[bytes], columns: ColumnMap) -> Iterator[Article | Skipped]:
    """One JSON object a line; blank lines are passed over."""
    if reason := sniff_not_text(stream):
        yield skipped(str(path), reason)
        return
    yield from _jsonl_lines(path, decoded_lines(stream), columns)


def _jsonl_lines(path: Path, lines: Iterable[str], columns: ColumnMap) -> Iterator[Article | Skipped]:
    for number, line in enumerate(lines, start=1):
        if line.strip():
            # Without its line break, an error at the end of the line is at a column of the line,
            # not at column 1 of a line after it.
            yield _json_record(line.rstrip("\r\n"), f"{path}:{number}", columns)


def read_json(path: Path, stream: IO[bytes], columns: ColumnMap) -> Iterator[Article | Skipped]:
    """A JSON array of objects, a single object, or (if neither parses) JSON lines."""
    if reason := sniff_not_text(stream):
        yield skipped(str(path), reason)
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
                yield skipped(f"{path}:{exc.lineno}", _json_error(exc))
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

    def syntax_error(pos: int, what: str) -> Skipped:
        return skipped(f"{path}:{line_at(pos)}", f"invalid JSON at column {_column(text, pos)}: {what}")

    pos = ws(text.index("[") + 1)
    count = 0
    while True:
        if pos >= len(text):
            yield syntax_error(pos, "the array is not closed with ']'")
            return
        if text[pos] == "]":
            break
        if count:
            if text[pos] != ",":
                yield syntax_error(pos, "expected ',' or ']' after an array element")
                return
            pos = ws(pos + 1)
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield skipped(f"{path}:{exc.lineno}", _json_error(exc))
            return
        except RecursionError:
            yield skipped(f"{path}:{line_at(pos)}", "invalid JSON: nested too deeply")
            return
        place = f"{path}:{line_at(pos)}"
        if _BAD_BYTES.search(text, pos, end):
            yield skipped(place, _NOT_UTF8)
        elif isinstance(value, dict):
            yield _from_mapping(value, columns, place)
        else:
            yield skipped(place, f"not a JSON object (got {_json_type(value)})")
        count += 1
        pos = ws(end)
    if (extra := ws(pos + 1)) < len(text):
        yield syntax_error(extra, "extra data after the array")
    elif count == 0:
        yield skipped(str(path), "empty JSON array")


# --- CSV -----------------------------------------------------------------------------------------


def read_csv(path: Path, stream: IO[bytes], columns: ColumnMap) -> Iterator[Article | Skipped]:
    """Comma-separated rows under a header row."""
    yield from _csv_records(path, stream, columns, delimiter=",")


def read_tsv(path: Path, stream: IO[bytes], columns: ColumnMap) -> Iterator[Article | Skipped]:
    """Tab-separated rows under a header row."""
    yield from _csv_records(path, stream, columns, delimiter="\t")


def _csv_records(path: Path, stream: IO[bytes], columns: ColumnMap, *, delimiter: str) -> Iterator[Article | Skipped]:
    """Rows as records keyed by the header; only the mapped columns become Article fields and
    every other column goes to ``extra``."""
    if reason := sniff_not_text(stream):
        yield skipped(str(path), reason)
        return
    # Article bodies easily exceed the csv module's 128 KiB default field limit. The limit is
    # process-wide; raising it only ever accepts more.
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
    reader = csv.reader(decoded_lines(stream), delimiter=delimiter)
    header: list[str] | None = None
    while True:
        start = reader.line_num + 1
        place = f"{path}:{start}"
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield skipped(place, f"malformed CSV row: {exc}")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip() for cell in row]
            if columns.text not in header:
                yield skipped(
                    str(path),
                    f"no column {columns.text!r} in the header (columns: {', '.join(header)}); "
                    f"map the text column, e.g. ColumnMap.parse('text=body')",
                )
                return
            continue
        if len(row) > len(header):
            yield skipped(place, f"row has {len(row)} fields but the header has {len(header)}")
            continue
        yield _from_mapping(dict(zip(header, row, strict=False)), columns, place)
