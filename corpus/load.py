"""Read news articles from files into cleaned ``Article`` records.

``read_articles`` is the one entry point. It walks files and directories lazily and yields, in a
deterministic order, a cleaned :class:`~corpus.article.Article` for every usable record and a
:class:`Skipped` for every record or file that could not be used, saying where and why. Bad input
never raises and never stops the rest of a file; each skip is also logged, at DEBUG (the caller
reports the ``Skipped`` records).

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

This module walks the paths, chooses a reader by suffix and reports whole files that cannot be read
(missing, unsupported, empty, unreadable, corrupt gzip). The readers live in a module per kind of
input: :mod:`corpus.tabular` (JSON and CSV records), :mod:`corpus.documents` (text, Markdown, HTML)
and :mod:`corpus.feeds`; what they share (``Skipped``, ``content_id``) in :mod:`corpus.reading`.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, cast

from corpus.article import Article
from corpus.documents import read_html, read_md, read_txt
from corpus.feeds import read_feed
from corpus.reading import Skipped, content_id, skipped
from corpus.tabular import ColumnMap, read_csv, read_json, read_jsonl, read_tsv

__all__ = ["ColumnMap", "Skipped", "content_id", "read_articles"]


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
            yield skipped(str(path), "no such file or directory")


# --- files and directories ---------------------------------------------------------------------

_Reader = Callable[[Path, IO[bytes], ColumnMap], Iterator[Article | Skipped]]


def _read_directory(root: Path, columns: ColumnMap) -> Iterator[Article | Skipped]:
    errors: list[OSError] = []
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=errors.append):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        files.extend(Path(dirpath, f) for f in filenames if not f.startswith("."))
    for error in errors:
        yield skipped(str(error.filename or root), f"cannot read directory: {error.strerror}")
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
        yield skipped(place, f"unsupported file type {suffix!r}" if suffix else "unsupported file type (no suffix)")
        return
    name, gzipped = kind
    reader = _READERS[name]
    count = 0
    try:
        if path.stat().st_size == 0:
            yield skipped(place, "empty file")
            return
        with _open(path, gzipped) as stream:
            for item in reader(path, stream, columns):
                count += 1
                yield item
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        # Records decoded before the damage have been yielded already.
        yield skipped(place, f"corrupt gzip file: {exc}")
        return
    except OSError as exc:
        yield skipped(place, f"cannot read file: {exc.strerror or exc}")
        return
    if count == 0:
        yield skipped(place, "empty file")


def _open(path: Path, gzipped: bool) -> IO[bytes]:
    if gzipped:
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _without_columns(read: Callable[[Path, IO[bytes]], Iterator[Article | Skipped]]) -> _Reader:
    """A reader of a format whose fields are not named by the input (text, Markdown, HTML, feeds)."""

    def reader(path: Path, stream: IO[bytes], columns: ColumnMap) -> Iterator[Article | Skipped]:
        return read(path, stream)

    return reader


_READERS: dict[str, _Reader] = {
    "jsonl": read_jsonl,
    "json": read_json,
    "csv": read_csv,
    "tsv": read_tsv,
    "txt": _without_columns(read_txt),
    "md": _without_columns(read_md),
    "html": _without_columns(read_html),
    "feed": _without_columns(read_feed),
}
