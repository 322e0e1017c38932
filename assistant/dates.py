"""What a quoted sentence's relative dates stand for, reckoned from its article's publication date.

News writes "yesterday", "on Sunday", "last month" and "March 11" without a year: the reader of the
day knows when that was; a reader of the archive years later does not. :func:`date_mentions` finds
such expressions in a sentence and gives each the day, week, month or year it means, so that an
answer can say "‘yesterday’ = Monday 15 April 2019" beside the verbatim quote.

Precision comes first: a wrong date in a fact-checker's notes is worse than none. Only expressions
whose meaning in news style is settled are resolved:

- ``today``, ``tonight``, ``this morning`` (the day of publication), ``yesterday``, ``last night``
  (the day before), ``tomorrow`` (the day after), ``three days ago``;
- a weekday ("on Sunday", "Tuesday night") is the last such day on or before the publication day,
  "last Sunday" the last one before it; a sentence that speaks of the future ("will", "is
  scheduled", "would") leaves plain weekdays alone, as do "this Friday" and "next Friday", whose
  reading varies, named days ("Super Tuesday", "Good Friday"), and the day after the article's
  date (an article dated in one time zone reports "Friday morning" where Friday has begun);
- a month and day without a year ("March 11", "11 March", "Sept. 5"), and a month after "in",
  "since", "by", "early" and the like ("in early September"), take the year that puts them nearest
  the publication date (within six months; a tie goes to the past);
- ``this week``, ``last week``, ``next week``, the same for months and years.

Nothing within quotation marks is resolved: a speaker's "today" is the day they spoke, which the
article may report days later.

General date parsers were tried first and read too much into news text: ``dateparser``'s search
gives "On Sunday morning, a" as a date a year off, "the 42nd" as 1942, and the verb "may" as May.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from datetime import date, timedelta

from assistant.records import DateMention

__all__ = ["BY_ARTICLE_DATE", "date_mentions", "dates_note", "describe_date"]

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = {name: i for i, name in enumerate(calendar.month_name) if name}
_MONTH_ABBREVIATIONS = {"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "Jun": 6, "Jul": 7, "Aug": 8, "Sep": 9, "Sept": 9,
                        "Oct": 10, "Nov": 11, "Dec": 12}
_MONTH = (
    r"(?P<month>" + "|".join(_MONTHS) + r"|(?:" + "|".join(_MONTH_ABBREVIATIONS) + r")\.)"
)
_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_PART_OF_DAY = r"(?:\s+(?:morning|afternoon|evening|night))?"
_NO_YEAR = r"(?!,?\s*(?:\d{4}|'\d\d)\b)"  # "March 11, 2020" and "March 2020" say their year already

# Words before a weekday that make it a named day, not a date ("Super Tuesday", "Good Friday").
_NAMED_DAYS = frozenset(
    "Super Black Good Ash Cyber Easter Holy Bloody Palm Shrove Giving Boxing Maundy Whit Low Fat Blue".split()
)
# A sentence with one of these may speak of a coming day: its plain weekdays are left alone.
_FUTURE = re.compile(
    r"\b(?:will|won't|shall|would|is to|are to|was to|were to|is due|are due|scheduled|expected to|set to|plans? to"
    r"|planned|planning|going to|upcoming|slated)\b|'ll\b|’ll\b",
    re.IGNORECASE,
)

_DAY_WORDS = re.compile(
    r"\b(?P<word>[Tt]oday|[Tt]onight|[Yy]esterday|[Tt]omorrow)" + _PART_OF_DAY + r"\b"
    r"|\b(?P<phrase>[Ll]ast night|[Tt]his (?:morning|afternoon|evening))\b"
    r"|\b(?P<ago>" + "|".join(_NUMBERS) + r"|\d{1,2}) days ago\b"
)
_WEEKDAY = re.compile(
    r"(?:\b(?P<before>\w+)\s+)?\b(?P<day>" + "|".join(_WEEKDAYS) + r")(?![\w'’-])" + _PART_OF_DAY
    + r"(?!,?\s+(?:the\s+)?\d{1,2}(?:st|nd|rd|th)?\b|,?\s+" + r"|,?\s+".join(_MONTHS) + r")"
)
_MONTH_DAY = re.compile(
    r"\b" + _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b" + _NO_YEAR
    + r"|\b(?P<day2>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month2>" + "|".join(_MONTHS) + r")\b" + _NO_YEAR
)
_MONTH_ALONE = re.compile(
    r"\b(?P<lead>[Ii]n|[Ss]ince|[Uu]ntil|[Bb]y|[Ff]rom|[Dd]uring|[Ee]arly|[Ll]ate|[Mm]id-|[Ll]ast|[Nn]ext)"
    r"(?:\s+|(?<=-))(?:(?:early|late|mid-)\s*)?(?P<month>" + "|".join(_MONTHS) + r")\b(?!\s+\d)" + _NO_YEAR
)
_PERIOD = re.compile(
    r"\b(?:(?P<rel>[Tt]his|[Ll]ast|[Nn]ext|[Pp]revious)|(?P<within>[Ee]arlier|[Ll]ater) this)"
    r"\s+(?P<unit>week|month|year)\b(?!['’]s)"
)


def date_mentions(sentence: str, published: str | None, offset: int = 0) -> tuple[DateMention, ...]:
    """The relative dates of ``sentence`` and what each stands for, in the order they occur.

    ``published`` is the article's date (``YYYY-MM-DD``; anything else gives no mentions), and
    ``offset`` the sentence's place in the article, so that each mention's ``start``/``end`` slice
    the article's text as its citation does. Expressions that overlap a longer one found first are
    skipped ("Monday" inside "last Monday")."""
    day = _day(published)
    if day is None:
        return ()
    found: list[tuple[int, int, str]] = []
    future = _FUTURE.search(sentence) is not None
    quoted = _quoted(sentence)

    def add(start: int, end: int, value: str | None) -> None:
        if value is None or any(s <= start < e for s, e in quoted):
            return  # a quotation's "today" is the speaker's day, which need not be the article's
        if not any(s < end and start < e for s, e, _ in found):
            found.append((start, end, value))

    for m in _MONTH_DAY.finditer(sentence):
        month = _month_number(m.group("month") or m.group("month2"))
        add(m.start(), m.end(), _nearest_day(day, month, int(m.group("day") or m.group("day2"))))
    for m in _PERIOD.finditer(sentence):
        add(m.start(), m.end(), _period(day, m.group("rel") or m.group("within"), m.group("unit")))
    for m in _DAY_WORDS.finditer(sentence):
        add(m.start(), m.end(), _day_word(day, m))
    for m in _WEEKDAY.finditer(sentence):
        before = m.group("before") or ""
        if before in _NAMED_DAYS:
            continue
        start = m.start("day")
        lead = before.lower()
        if lead == "last":
            start = m.start("before")
            value = _weekday_before(day, m.group("day"), strictly=True)
        elif lead in ("this", "next", "past", "every", "each") or future:
            continue
        else:
            value = _weekday_before(day, m.group("day"), strictly=False)
        add(start, m.end(), value)
    for m in _MONTH_ALONE.finditer(sentence):
        lead = m.group("lead").lower()
        if m.group("month") == "May" and lead in ("by", "from", "during"):
            continue  # "backed by May", "a letter from May": the name, as often as the month
        if lead in ("last", "next"):
            value = _month_step(day, _MONTHS[m.group("month")], lead)
            add(m.start("lead"), m.end(), value)
        else:
            add(m.start("month"), m.end(), _nearest_month(day, _MONTHS[m.group("month")], future))
    found.sort()
    return tuple(DateMention(sentence[s:e], offset + s, offset + e, v) for s, e, v in found)


def describe_date(value: str) -> str:
    """A mention's value in words: "Monday 15 April 2019", "the week of Monday 8 April 2019",
    "April 2019", "2019"."""
    if re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        d = date.fromisoformat(value)
        return f"{_WEEKDAYS[d.weekday()]} {d.day} {calendar.month_name[d.month]} {d.year}"
    if m := re.fullmatch(r"(\d{4})-W(\d\d)", value):
        monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        return "the week of " + describe_date(monday.isoformat())
    if m := re.fullmatch(r"(\d{4})-(\d\d)", value):
        return f"{calendar.month_name[int(m.group(2))]} {m.group(1)}"
    return value


# What every rendering of a dates note adds after it, so the reader knows what the day is reckoned from.
BY_ARTICLE_DATE = ", by the article's date"


def dates_note(mentions: Sequence[DateMention]) -> str:
    """The mentions in words, for beside a quote: "‘yesterday’ = Monday 15 April 2019; ‘last year’ = 2018"
    ("" for none). Single quotation marks, so that nothing reading the quoted sentences by their
    double ones takes these for one. Plain text: the caller escapes it for where it is shown."""
    return "; ".join(f"‘{m.text}’ = {describe_date(m.value)}" for m in mentions)


def _day(published: str | None) -> date | None:
    if not published:
        return None
    try:
        return date.fromisoformat(published[:10])
    except ValueError:
        return None


def _month_number(name: str) -> int:
    return _MONTHS.get(name) or _MONTH_ABBREVIATIONS[name.rstrip(".")]


def _day_word(day: date, m: re.Match[str]) -> str | None:
    if m.group("ago"):
        n = _NUMBERS.get(m.group("ago")) or int(m.group("ago"))
        return (day - timedelta(days=n)).isoformat()
    word = (m.group("word") or m.group("phrase")).lower()
    if word.startswith(("yesterday", "last night")):
        return (day - timedelta(days=1)).isoformat()
    if word.startswith("tomorrow"):
        return (day + timedelta(days=1)).isoformat()
    return day.isoformat()


def _weekday_before(day: date, name: str, strictly: bool) -> str | None:
    back = (day.weekday() - _WEEKDAYS.index(name)) % 7
    if strictly and back == 0:
        back = 7
    if back == 6 and not strictly:
        # The day after the article's date: an article dated in one time zone often reports "Friday
        # morning" of a place where Friday has begun. Six days back or one ahead: left alone.
        return None
    return (day - timedelta(days=back)).isoformat()


_QUOTE = re.compile(r"“[^”]*(?:”|$)|\"[^\"]*(?:\"|$)")


def _quoted(sentence: str) -> list[tuple[int, int]]:
    """The spans of ``sentence`` within quotation marks (to its end when a quote is left open)."""
    return [m.span() for m in _QUOTE.finditer(sentence)]


def _nearest_day(day: date, month: int, dom: int) -> str | None:
    """The date of ``month``/``dom`` in the year that puts it nearest ``day`` (a tie: the past)."""
    options = []
    for year in (day.year - 1, day.year, day.year + 1):
        try:
            options.append(date(year, month, dom))
        except ValueError:
            continue
    if not options:
        return None
    best = min(options, key=lambda d: (abs((d - day).days), d > day))
    return best.isoformat() if abs((best - day).days) <= 183 else None


def _nearest_month(day: date, month: int, future: bool) -> str:
    """``month`` in the year that puts it nearest ``day``'s month; a tie goes to the past, or to the
    future in a sentence that speaks of it."""
    here = day.year * 12 + day.month - 1
    options = [(year * 12 + month - 1, year) for year in (day.year - 1, day.year, day.year + 1)]
    _, year = min(options, key=lambda o: (abs(o[0] - here), (o[0] < here) if future else (o[0] > here)))
    return f"{year}-{month:02d}"


def _month_step(day: date, month: int, lead: str) -> str:
    """"last March": the latest March before ``day``'s month; "next March": the first after it."""
    year = day.year
    if lead == "last":
        year -= 1 if month >= day.month else 0
    else:
        year += 1 if month <= day.month else 0
    return f"{year}-{month:02d}"


def _period(day: date, rel: str, unit: str) -> str:
    rel = rel.lower()
    step = {"this": 0, "earlier": 0, "later": 0, "last": -1, "previous": -1, "next": 1}[rel]
    if unit == "week":
        monday = day - timedelta(days=day.weekday()) + timedelta(weeks=step)
        year, week, _ = monday.isocalendar()
        return f"{year}-W{week:02d}"
    if unit == "month":
        n = day.year * 12 + day.month - 1 + step
        return f"{n // 12}-{n % 12 + 1:02d}"
    return str(day.year + step)
