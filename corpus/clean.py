"""Pure text clean-up for scraped news: body text, dates and titles.

Nothing here touches disk or keeps state; every function maps a value to a value and never raises
for odd input, so the loader can call them on whatever a scraper produced.

``clean_text`` works on *paragraphs* (every non-empty line of the input, after re-joining lines
that were hard-wrapped mid-sentence) and removes whole paragraphs that look like scraper debris:
comment forms, share bars, cookie notices, "Advertisement", "Read more:" links, copyright
footers, pictures' captions with their credits and navigation lines that repeat within the
document. Debris rules match whole short paragraphs only, so a sentence that merely mentions
sharing or subscribing is kept.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
import warnings
from collections import Counter
from datetime import UTC, date, datetime

from dateutil import parser as date_parser

__all__ = ["clean_text", "normalize_date", "normalize_title"]

logger = logging.getLogger(__name__)

# --- character level ---------------------------------------------------------------------------

# Zero-width and invisible formatting characters that scrapers leak from HTML (&shy;, &zwj;,
# BOMs, bidi marks). They break word matching and sentence offsets without carrying meaning.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# C0/C1 control characters except tab and newline (tab becomes a space below).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NEWLINES = re.compile("\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028]")
_HSPACE = re.compile(r"[^\S\n]+")

# Typical UTF-8-read-as-cp1252/latin-1 sequences ("â€™", "Ã©", "Â "); only text showing them is
# re-decoded, so correct non-ASCII text is never touched.
_MOJIBAKE = re.compile(
    "[\u00c2\u00c3\u00c5\u00ce\u00cf]"
    "[\u0080-\u00bf\u2018-\u203a\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc]"
    "|\u00e2\u20ac"
)


def _fix_mojibake(text: str) -> str:
    """Undo UTF-8 bytes that were decoded as cp1252/latin-1, one span at a time.

    Works line by line so that one line with real "Ã" (e.g. Portuguese) does not block fixing the
    others, and repeats until nothing changes so the result is a fixpoint (keeps clean_text
    idempotent even for doubly-mangled text).
    """
    if not _MOJIBAKE.search(text):
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        for _ in range(3):
            if not _MOJIBAKE.search(line):
                break
            fixed = _redecode(line)
            if fixed is None or fixed == line:
                break
            line = fixed
        lines[i] = line
    return "\n".join(lines)


def _redecode(line: str) -> str | None:
    for codec in ("cp1252", "latin-1"):
        try:
            return line.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return None


def _normalize_chars(text: str) -> str:
    text = _fix_mojibake(text)
    text = _NEWLINES.sub("\n", text)
    text = text.replace("\u2029", "\n\n")
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = text.replace("\t", " ")
    stripped = _CONTROL.sub("", text)
    if stripped != text and _MOJIBAKE.search(stripped):
        # a control character inside a mangled span ("\x80Â¡") kept it from being repaired above
        return _normalize_chars(stripped)
    return stripped


# --- paragraphs --------------------------------------------------------------------------------

# A line ending like this finishes a sentence or a heading-like unit; anything else followed by a
# line starting in lower case is a hard wrap inside a sentence.
_ENDS_UNIT = re.compile(r"""[.!?:;…"'”’»)\]|—–-]$""")


def _paragraphs(text: str) -> list[str]:
    """Split into paragraphs: one per non-empty line, re-joining hard-wrapped sentence lines."""
    paragraphs: list[str] = []
    previous_blank = True
    for raw_line in text.split("\n"):
        line = _HSPACE.sub(" ", raw_line).strip()
        if not line:
            previous_blank = True
            continue
        if not previous_blank and paragraphs and not _ENDS_UNIT.search(paragraphs[-1]) and line[0].islower():
            paragraphs[-1] = f"{paragraphs[-1]} {line}"
        else:
            paragraphs.append(line)
        previous_blank = False
    return paragraphs


# --- debris ------------------------------------------------------------------------------------

_SOCIAL_WORDS = frozenset(
    "share shares sharing tweet email e-mail mail print facebook twitter x linkedin whatsapp "
    "pinterest reddit telegram messenger tumblr flipboard pocket copy link url pin it this "
    "article story on via comments comment save bookmark".split()
)
# Words that must appear at least once for a run of _SOCIAL_WORDS to count as a share bar
# (so that a stray "This story" paragraph is not taken for one).
_SOCIAL_ANCHORS = frozenset(
    "share tweet email e-mail print facebook twitter linkedin whatsapp pinterest reddit "
    "telegram messenger tumblr flipboard pocket".split()
)
_SOCIAL_NETWORK = (
    r"(?:facebook|twitter|x|instagram|linkedin|whatsapp|pinterest|reddit|telegram|tiktok"
    r"|youtube|threads|bluesky|mastodon|flipboard|email|e-mail)"
)

# Each pattern must match the whole (lower-cased, edge-trimmed) paragraph. Word limits are
# enforced separately in _is_debris.
_DEBRIS_PATTERNS = [
    # comment forms
    r"please enter your (?:comment|name|email|e-mail)(?: address)?(?: here)?",
    r"you have entered an incorrect (?:email|e-mail) address",
    r"leave a (?:reply|comment|response)(?: cancel reply)?",
    r"(?:cancel|post|submit) (?:reply|comment)",
    r"save my name,? (?:email|e-mail),? and website in this browser.*",
    r"your (?:email|e-mail) address will not be published.*",
    r"required fields are marked.*",
    r"notify me of (?:follow-up comments|new posts|new comments).*",
    r"this site uses akismet to reduce spam.*",
    r"(?:\d+ )?comments?(?: \(\d+\))?",
    r"(?:view|show|hide|load|read) (?:all |more )?comments?(?: \(\d+\))?",
    r"log ?in to (?:comment|reply)",
    # share / follow / subscribe bars
    r"share (?:this|the) (?:article|story|post|page|video)(?: on \w+| via \w+)?",
    rf"share (?:on|via|to|with) {_SOCIAL_NETWORK}",
    r"click to (?:share on|email|print) .*",
    rf"follow (?:us|@?[\w.]+(?: [\w.]+){{0,2}}) on {_SOCIAL_NETWORK}.*",
    r"(?:sign up|register|subscribe)(?: now| today| here| for free)?",
    r"(?:sign up|register|subscribe) (?:for|to) "
    r".*\b(?:newsletters?|updates|alerts|digest|briefing|emails?)\b.*",
    r"(?:get|receive) (?:our|the) .*newsletters?.*",
    r"would you like to (?:receive|get|subscribe to) .*newsletters?.*",
    r"already (?:a subscriber|have an account|registered).*",
    r"(?:subscribe|become a subscriber|support our journalism) (?:to|and|for) (?:read|get|continue|unlock|unlimited).*",
    # cookie notices
    r"(?:this|our) (?:web)?site uses cookies.*",
    r"we(?: and our partners)? use cookies.*",
    r"by (?:continuing to (?:use|browse)|using) (?:this|our) (?:web)?site,? you (?:agree|accept|consent).*",
    r"(?:accept|allow|reject|decline|manage) (?:all )?cookies.*",
    r"cookie (?:policy|settings|preferences|notice|consent)",
    # advertising
    r"(?:advertisement|advertising|ad|sponsored(?: content)?|paid content)",
    r"(?:story|article|content) continues (?:below|after) (?:the )?(?:advertisement|ad)",
    r"continue reading(?: the main story| below)?",
    r"scroll (?:down )?to continue(?: with content| reading)?",
    r"skip (?:to (?:main )?content|advertisement|ad)",
    r"(?:back|return|go) to (?:the )?top(?: of (?:the )?page)?",
    # link lines
    r"(?:read more|related|see also|also read|read also|more|recommended|more on this story"
    r"|related (?:articles?|stories|coverage|content|links|news)|you may also like"
    r"|more from [\w .]+|trending|most popular|watch)\s*(?::|[»›>|\-–—](?=\s)).*",
    r"(?:read more|related (?:articles?|stories|coverage|content)|more stories|you may also like)",
    r"read (?:the )?(?:full|whole|original) (?:story|article)(?: here| at .*)?",
    # copyright footers
    r"©.*",
    r"copyright\s*(?:©|\(c\))?\s*(?:19|20)\d\d\b.*",
    r"\(c\)\s*(?:19|20)\d\d\b.*",
    r".*\ball rights reserved",
    r"this material may not be published, broadcast, rewritten,? or redistributed.*",
]
_DEBRIS = re.compile("|".join(f"(?:{p})" for p in _DEBRIS_PATTERNS))
# A picture's caption or a link to a gallery or video, which ends in its credit or starts with its
# label: "Fire in the frame of Notre Dame. Image: LeLaisserPasserA38.", "… Credit: EUROFusion.",
# "Jo JorgensenImage: Jo Jorgensen for President." (a caption run into its credit),
# "Photos: Amazing pictures of Earth", "Video: The last cat". Case-sensitive, so that "the image: a
# flag" in a sentence is kept; "Pictures:" is left out ("Paramount Pictures:", "Best Picture:").
_CREDIT = re.compile(
    r"(?:^|\s|(?<=[a-z]))(?:Image|Images|Photo|Photos|Photograph|Video|Credit|Image credit|Photo credit|Photo Credit)"
    r":\s+(?:\S+\s+){0,14}\S+$"
)
_DEBRIS_MAX_WORDS = 40  # cookie notices and copyright lines run long; articles rarely match whole

# Leading bullets/arrows and trailing punctuation that decorate debris lines ("► Read more:",
# "Subscribe!") but do not change what they are.
_EDGE_TRIM_LEAD = re.compile(r"^[^\w©(]+")
_EDGE_TRIM_TAIL = re.compile(r"[\s.!?…*:|»›>-]+$")
_TOKENS = re.compile(r"[^\s|•·/,]+")
_NAV_SEPARATOR = re.compile(r"\s[|•·»›>]\s")
_HAS_WORD = re.compile(r"[^\W_]")
_SENTENCE_END = re.compile(r"[.!?:;\"”’)]$")

# A stand-alone dateline paragraph at the top, e.g. "New York CNN —", "WASHINGTON (AP) --" or
# "Reuters —": the words before the dash end in an all-caps outlet or city, a parenthesised
# outlet, or a wire agency name.
_DATELINE = re.compile(
    r"^(?:[\w.,'’/&-]+ ){0,5}?"
    r"(?:[A-Z]{2,}(?: Business| Politics| Sport)?|\([^()]{1,30}\)|Reuters|Bloomberg)\s?(?:—|–|--)$"
)
_DATELINE_MAX_WORDS = 6
_NAV_MIN_REPEATS = 3
_NAV_MAX_WORDS = 4
_NAV_WORD = re.compile(r"[^\W\d_][\w'-]*")
_NAV_FILLERS = frozenset("the and of to in on a our my your us all more".split())
_NAV_WORDS = _NAV_FILLERS | frozenset(
    "home homepage menu main navigation nav skip content search close open toggle back top next previous "
    "prev less show hide latest news trending popular most read viewed shared watched stories story "
    "video videos photos photo gallery galleries podcast podcasts live newsletter newsletters login log "
    "sign out up register account profile contact about help faq terms privacy policy cookie cookies "
    "settings sitemap section sections world local national politics business money tech technology "
    "science health sport sports weather opinion entertainment culture arts lifestyle travel food "
    "education jobs careers obituaries classifieds games puzzles crosswords shop deals subscribe "
    "subscriptions e-edition epaper advertise go click here view load comments print edition "
    "headlines breaking featured editor's picks recommended related".split()
)


def _match_key(paragraph: str) -> str:
    key = _EDGE_TRIM_LEAD.sub("", paragraph.casefold())
    return _EDGE_TRIM_TAIL.sub("", key)


def _is_share_bar(key: str) -> bool:
    tokens = [t.strip("()[]:.!") for t in _TOKENS.findall(key)]
    tokens = [t for t in tokens if t]
    return (
        0 < len(tokens) <= 12 and all(t in _SOCIAL_WORDS for t in tokens) and any(t in _SOCIAL_ANCHORS for t in tokens)
    )


def _is_nav_bar(paragraph: str) -> bool:
    """A menu like "Home | World | Business | Sport": several short items between separators."""
    items = _NAV_SEPARATOR.split(paragraph)
    if len(items) < 3:
        return False
    return all(0 < len(item.split()) <= 3 and not _SENTENCE_END.search(item) for item in items)


def _is_debris(paragraph: str) -> bool:
    if not _HAS_WORD.search(paragraph):
        # separators such as "***", "___" or "♦": nothing to read or cite
        return True
    if len(paragraph.split()) > _DEBRIS_MAX_WORDS:
        return False
    key = _match_key(paragraph)
    return (
        bool(_DEBRIS.fullmatch(key))
        or _is_share_bar(key)
        or _is_nav_bar(paragraph)
        or bool(_CREDIT.search(paragraph.strip()))
    )


def _is_dateline(paragraph: str) -> bool:
    return bool(_DATELINE.match(paragraph)) and len(paragraph.split()) <= _DATELINE_MAX_WORDS


def _drop_repeated_nav_lines(paragraphs: list[str]) -> list[str]:
    """Drop short lines made only of site-navigation words that occur three or more times.

    Repetition alone is not enough: in news text the lines that repeat are mostly content
    (nominee lists, gift-guide price headings, transcript speaker labels, live-blog bylines), so
    a line must also read like a menu or widget label ("Most read", "Sign in", "Latest news").
    """
    counts = Counter(paragraphs)
    drop = {p for p, n in counts.items() if n >= _NAV_MIN_REPEATS and _is_nav_label(p)}
    return [p for p in paragraphs if p not in drop] if drop else paragraphs


def _is_nav_label(paragraph: str) -> bool:
    words = _NAV_WORD.findall(paragraph.casefold())
    if len(words) == 1 and paragraph.isupper():
        return False  # a transcript speaker label ("PAGE", "CLOSE"), not a menu item
    return (
        0 < len(words) <= _NAV_MAX_WORDS
        and all(w in _NAV_WORDS for w in words)
        and any(w not in _NAV_FILLERS for w in words)
    )


def _drop_leading_datelines(paragraphs: list[str]) -> list[str]:
    while len(paragraphs) > 1 and _is_dateline(paragraphs[0]):
        paragraphs = paragraphs[1:]
    return paragraphs


def clean_text(raw: str) -> str:
    """Return ``raw`` as clean paragraphs separated by exactly one blank line (``"\\n\\n"``).

    Steps: unify line breaks, repair common mojibake, NFC-normalise, drop zero-width and control
    characters, collapse spaces inside lines, re-join hard-wrapped lines, then drop paragraphs that
    are scraper debris (see the module docstring), a stand-alone dateline at the top, and
    navigation labels repeated three or more times. Returns ``""`` when nothing is left. Idempotent:
    ``clean_text(clean_text(x)) == clean_text(x)``.
    """
    paragraphs = [p for p in _paragraphs(_normalize_chars(raw)) if not _is_debris(p)]
    # Dropping a dateline or a repeated label can expose another at the top, so repeat the
    # document-level rules until nothing changes; that fixpoint is what makes this idempotent.
    previous: list[str] = []
    while paragraphs != previous:
        previous = paragraphs
        paragraphs = _drop_leading_datelines(_drop_repeated_nav_lines(paragraphs))
    return "\n\n".join(paragraphs)


# --- dates -------------------------------------------------------------------------------------

_MIN_YEAR = 1800
_MAX_YEAR = 2100
_DIGITS = re.compile(r"[+-]?\d+(?:\.\d+)?")
_YYYYMMDD = re.compile(r"(\d{4})(\d{2})(\d{2})")
_MAX_DATE_CHARS = 100
# Two defaults that differ in every field: if the parsed result differs between them, the input
# lacked that field ("June 2022", "2022") and is not a full date.
_DEFAULT_A = datetime(2001, 1, 1)
_DEFAULT_B = datetime(2002, 2, 2)
# Timestamps this large are milliseconds (seconds would be past the year 5000).
_MILLISECONDS_ABOVE = 1e11


def _checked(d: date) -> str | None:
    if _MIN_YEAR <= d.year <= _MAX_YEAR:
        return d.isoformat()[:10]
    return None


def _from_timestamp(value: float) -> str | None:
    if not math.isfinite(value):
        return None
    if abs(value) > _MILLISECONDS_ABOVE:
        value /= 1000.0
    try:
        moment = datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return _checked(moment)


def _parse_string(text: str) -> str | None:
    text = " ".join(text.split())
    if not text or len(text) > _MAX_DATE_CHARS:
        return None
    if _DIGITS.fullmatch(text):
        ymd = _YYYYMMDD.fullmatch(text)
        if ymd:
            try:
                return _checked(date(int(ymd[1]), int(ymd[2]), int(ymd[3])))
            except ValueError:
                pass
        if len(text.lstrip("+-").split(".")[0]) < 9:
            # "2022" or "12": a year or a day alone is not a date, and too short for a timestamp
            return None
        return _from_timestamp(float(text))
    for fuzzy in (False, True):
        parsed = _parse_with_defaults(text, fuzzy=fuzzy)
        if parsed is not None:
            return parsed
    return None


def _parse_with_defaults(text: str, *, fuzzy: bool) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = date_parser.parse(text, default=_DEFAULT_A, fuzzy=fuzzy, ignoretz=True)
            b = date_parser.parse(text, default=_DEFAULT_B, fuzzy=fuzzy, ignoretz=True)
    except (ValueError, OverflowError, TypeError, ArithmeticError):
        return None
    if a.date() != b.date():
        return None
    return _checked(a)


def normalize_date(value: object) -> str | None:
    """Return the calendar date of ``value`` as ISO ``YYYY-MM-DD``, or None.

    Accepts ``date``/``datetime`` objects, unix timestamps (int/float or digit strings, seconds or
    milliseconds, read as UTC), ``YYYYMMDD`` digit strings, and text dateutil understands
    ("2022/06/12", "12 June 2022", "June 12, 2022", RFC 2822, ISO 8601 with time and zone, or a
    date inside a short phrase such as "Updated 10:32 AM EDT, Sun June 12, 2022"). A written time
    zone is ignored rather than converted, so the date is the one the publisher printed.
    Ambiguous numeric forms follow dateutil's month-first reading ("06/12/2022" is 12 June).
    Returns None, never raising, for empty, partial ("June 2022"), unparseable input and years
    outside 1800-2100.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime | date):
        return _checked(value)
    if isinstance(value, int | float):
        return _from_timestamp(float(value))
    if isinstance(value, str):
        return _parse_string(value)
    return None


# --- titles ------------------------------------------------------------------------------------

_NULL_STRINGS = frozenset({"", "none", "null", "nan"})


def normalize_title(value: object) -> str | None:
    """Return the title with whitespace collapsed, or None when there is none.

    None, NaN and the strings ``""``, ``"None"``, ``"null"``, ``"nan"`` (any case) mean "no
    title": exports from pandas and some scrapers write missing values that way.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    text = value if isinstance(value, str) else str(value)
    text = " ".join(_normalize_chars(text).split())
    if text.casefold() in _NULL_STRINGS:
        return None
    return text
