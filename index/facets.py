"""What a chunk may be filtered on (its article's date and source), held as arrays for searching.

A filter is data (:class:`ChunkFilter`). The local index turns it into a boolean mask over its
rows with a few vectorised comparisons (:meth:`ChunkFacets.rows`), from arrays read once when the
search files load, instead of asking SQLite for every allowed chunk id at each question.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["ChunkFacets", "ChunkFilter"]


@dataclass(frozen=True)
class ChunkFilter:
    """Which chunks a search may return: those of articles dated ``date_from`` to ``date_to``
    (``YYYY-MM-DD``, both inclusive, compared with the first ten characters of the article's date;
    an undated article matches no date bound) from one of ``sources`` (exact names). Empty fields
    restrict nothing."""

    date_from: str | None = None
    date_to: str | None = None
    sources: tuple[str, ...] = ()

    @property
    def restricts(self) -> bool:
        return bool(self.date_from or self.date_to or self.sources)


@dataclass(frozen=True)
class ChunkFacets:
    """Each chunk's date and source, row ``i`` being chunk ``chunk_ids[i]`` (the rows of the
    lexical index, ascending chunk ids, which are also the FAISS ids).

    Dates are codes into ``dates``, the distinct first ten characters of the articles' dates in
    string order, so that a bound compares codes as SQLite compared the strings (also for a date
    that is not ``YYYY-MM-DD``); sources are codes into ``sources``. ``-1`` is no date, no source
    (or a chunk the database no longer holds): it matches no bound and no source.
    """

    chunk_ids: np.ndarray  # (n,) int64, ascending
    date_codes: np.ndarray  # (n,) int32 into dates
    dates: tuple[str, ...]
    source_codes: np.ndarray  # (n,) int32 into sources
    sources: tuple[str, ...]

    @classmethod
    def from_columns(
        cls, chunk_ids: np.ndarray, dates: Sequence[str | None], sources: Sequence[str | None]
    ) -> ChunkFacets:
        """Facets of chunks ``chunk_ids`` whose articles have ``dates`` and ``sources`` (None for none)."""
        if not len(chunk_ids) == len(dates) == len(sources):
            raise ValueError(f"{len(chunk_ids)} chunk ids, {len(dates)} dates and {len(sources)} sources")
        date_names, date_codes = _codes([d[:10] if d is not None else None for d in dates])
        source_names, source_codes = _codes(sources)
        return cls(np.asarray(chunk_ids, dtype=np.int64), date_codes, date_names, source_codes, source_names)

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def rows(self, where: ChunkFilter | None) -> np.ndarray | None:
        """The rows ``where`` lets through, as a bool array, or None when it restricts nothing."""
        if where is None or not where.restricts:
            return None
        keep = np.ones(len(self.chunk_ids), dtype=bool)
        if where.date_from or where.date_to:
            low = bisect.bisect_left(self.dates, where.date_from[:10]) if where.date_from else 0
            high = bisect.bisect_right(self.dates, where.date_to[:10]) if where.date_to else len(self.dates)
            keep &= (self.date_codes >= low) & (self.date_codes < high)
        if where.sources:
            wanted = [i for i, s in enumerate(self.sources) if s in set(where.sources)]
            keep &= np.isin(self.source_codes, np.asarray(wanted, dtype=np.int32))
        return keep

    def ids(self, where: ChunkFilter | None) -> np.ndarray | None:
        """The chunk ids ``where`` lets through, ascending, or None when it restricts nothing."""
        rows = self.rows(where)
        return None if rows is None else self.chunk_ids[rows]


def _codes(values: Sequence[str | None]) -> tuple[tuple[str, ...], np.ndarray]:
    """The distinct values in order, and each value's index among them (``-1`` for None)."""
    names = tuple(sorted({v for v in values if v is not None}))
    index = {v: i for i, v in enumerate(names)}
    codes = np.fromiter((index[v] if v is not None else -1 for v in values), dtype=np.int32, count=len(values))
    return names, codes
