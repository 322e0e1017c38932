"""Filters checked at the edge: dates and sources as a user types them, in every interface.

A date bound may be a day (``2020-01-31``), a month (``2020-01``) or a year (``2020``): a ``from``
bound opens on the first day of it, a ``to`` bound closes on the last. Anything else ("yesterday",
"2020-31-01") is refused with a :class:`FilterError` that names the value, rather than read as a
filter that matches nothing. Sources are matched to the index's outlets regardless of case, or by
the start of one outlet's name ("Wikinews" for "Wikinews (en)", where no other outlet starts so);
an outlet the index does not hold is refused with the names it does hold.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from index.errors import NewsQAError

if TYPE_CHECKING:
    from assistant.records import Filters

__all__ = [
    "FilterError", "date_bound", "day", "describe_filters", "describe_preferences", "filter_notes", "match_sources",
]

_BOUND = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_SHOWN_SOURCES = 12


class FilterError(NewsQAError, ValueError):
    """A filter's value is not one the assistant can apply; the message names the value and what to give."""


def date_bound(value: str, what: str = "date", end: bool = False) -> str:
    """``value`` (a day, a month or a year) as the day it opens on (``end`` False) or closes on, as
    ``YYYY-MM-DD``; ``what`` names the field in the error ("From date")."""
    text = value.strip()
    m = _BOUND.fullmatch(text)
    try:
        if m is None:
            raise ValueError
        year, month, day_ = int(m[1]), m[2], m[3]
        if month is None:
            return date(year, 12, 31).isoformat() if end else date(year, 1, 1).isoformat()
        if day_ is None:
            last = calendar.monthrange(year, int(month))[1]
            return date(year, int(month), last if end else 1).isoformat()
        return date(year, int(month), int(day_)).isoformat()
    except (ValueError, calendar.IllegalMonthError):
        raise FilterError(
            f"{what} {value!r} is not a date: give a day as YYYY-MM-DD (2020-01-31), a month (2020-01) "
            "or a year (2020).".lstrip()
        ) from None


def day(value: str, what: str = "date") -> str:
    """``value`` as a day ``YYYY-MM-DD``, or a :class:`FilterError` naming it."""
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    raise FilterError(f"{what} {value!r} is not a day: give it as YYYY-MM-DD (2020-01-31).".lstrip())


def match_sources(asked: Sequence[str], known: Sequence[str]) -> tuple[str, ...]:
    """The index's names for the outlets ``asked`` (matched regardless of case and surrounding
    spaces, or by the start of exactly one name), in the order asked, without repeats; a
    :class:`FilterError` naming any the index does not hold, and those it does."""
    by_key = {k.strip().casefold(): k for k in known if k}
    out, unknown = [], []
    for name in asked:
        key = name.strip().casefold()
        found = by_key.get(key)
        if found is None and key:
            starting = [k for k in by_key.values() if k.strip().casefold().startswith(key)]
            found = starting[0] if len(starting) == 1 else None
        if found is None:
            unknown.append(name)
        elif found not in out:
            out.append(found)
    if unknown:
        names = sorted(by_key.values(), key=str.casefold)
        listed = ", ".join(repr(n) for n in names[:_SHOWN_SOURCES])
        if len(names) > _SHOWN_SOURCES:
            listed += f" and {len(names) - _SHOWN_SOURCES} more (newsqa stats lists them)"
        held = f"it holds {listed}" if names else "it names no source"
        missing = ", ".join(repr(n) for n in unknown)
        raise FilterError(f"The index holds no source {missing}: {held}.")
    return tuple(out)


def describe_filters(filters: Filters) -> str:
    """The active restrictions in words ("from Wikinews (en); dated 2020-01-01 to now"), or ""."""
    parts = []
    if filters.sources:
        parts.append("from " + ", ".join(filters.sources))
    if filters.date_from or filters.date_to:
        parts.append(f"dated {filters.date_from or 'any time'} to {filters.date_to or 'now'}")
    return "; ".join(parts)


def describe_preferences(filters: Filters) -> str:
    """The active date preferences in words (they reorder, never restrict), or ""."""
    parts = []
    if filters.near_date:
        parts.append(f"published shortly before {filters.near_date}")
    if filters.prefer_recent:
        parts.append("the newest")
    return " and ".join(parts)


def filter_notes(filters: Filters | None) -> list[str]:
    """What every interface says under an answer about the filters it was asked with."""
    if filters is None:
        return []
    notes = []
    if described := describe_filters(filters):
        notes.append(f"Searched only articles {described}.")
    if preferred := describe_preferences(filters):
        notes.append(f"Ranked the articles {preferred} first.")
    return notes
