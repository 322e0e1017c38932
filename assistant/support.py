"""How well one retrieved article covers a question: the check behind "the articles don't say".

An answerable news question is about something one article reports: that article mentions the
question's names and numbers together, with what the question asks for when it asks for a count
or an attribute ("bedrooms" in "How many bedrooms does Bobi's owner's house have?": see
:func:`asked_words`), and most of its other words (weighted by how rare they are). A question about
a detail no article gives ("Joey Chestnut's resting heart rate"), or an event the corpus predates
("the 2025 Stanley Cup"), finds articles about its subject that lack what it asks about. A demonym
is met by its place ("his Mexican counterpart" by an article on Mexico), and "US", "UK", "EU" and
"UN" need not be mentioned (nearly every article has them, or writes "U.S.", which has no token).
:func:`question_support` finds, among the articles of the retrieved passages, the one that covers
the question best, and what of the question it does not mention.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from assistant.terms import question_names
from assistant.words import WORD
from index.backend import TermStatistics
from index.lexical import tokenize

if TYPE_CHECKING:
    from assistant.question import Question

__all__ = [
    "Support", "asked_words", "kind_words", "date_words", "event_years", "latest_year", "names_year", "published_year",
    "question_support", "unstated_years", "year_of",
]

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t|tember)?|oct(?:ober)?"
    r"|nov(?:ember)?|dec(?:ember)?)"
)
_YEAR = re.compile(r"(1[89]\d\d|20\d\d)s?")  # "2024", "1990s"
_DATE = re.compile(
    rf"\b{_MONTH}\.?(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?\b"
    r"|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
    rf"|\b{_YEAR.pattern}\b",
    re.I,
)


def date_words(question: str) -> set[str]:
    """The words of ``question`` that give a date ("June", "30", "2022", "Monday"): they place the
    question in time rather than name its subject, and an article seldom spells out its own year."""
    return {w.strip(".") for m in _DATE.finditer(question) for w in m.group(0).split()}


def year_of(word: str) -> int | None:
    """The year a word gives ("2024", "1990s"), or None."""
    match = _YEAR.fullmatch(word)
    return int(match.group(1)) if match else None


# What a question asks for, when it asks for a count or an attribute of its subject (see
# asked_words): the words after "how many", after "the name of", and after "What is/was" (past a
# determiner or a possessive), up to the first word that is no part of such a phrase.
_PHRASE_STOP = frozenset(
    """
    of in for at on to during from that which who whom whose when where after before between with about among by
    under over as than this these those last so and or but not now ever still already currently approximately
    did does do is was were are has have had will would can could should might must may be been being the a an
    across through throughout around into onto per each against without within near since until via
    left won lost made took gave got saw held set put ran went came became began kept sold bought paid told said
    found met led fell rose spent sent brought eaten given taken seen known shown done gone born written chosen
    driven broken stolen sworn thrown grown drawn beaten hidden risen fallen
    fought caught taught sought thought struck stood flew drew grew knew threw wrote rode drove chose broke
    spoke stole froze wore swore tore shook ate hurt fled bled sped meant built dealt slept swept wept dug
    swung sang rang sank drank swam overcame forgave laid
    """.split()
)
# Past tenses that are also nouns or adjectives ("hit singles", "cut diamonds", "the Fed funds rate"): they
# end the phrase only after a word of it ("How many people hit …" but "How many hit singles …").
_AMBIGUOUS_PAST = frozenset("hit cut shot quit lent lit sat felt stuck hung bound wound fed".split())
_DETERMINERS = frozenset("the a an his her its their this that".split())
_NAMING_VERBS = frozenset("called known named titled dubbed nicknamed".split())
# Words that name a kind of answer, a unit or a quality rather than what is asked about: "How many
# people…", "What is the name of the company…", "What is his age?" (an article says "80-year-old").
_KINDS = frozenset(
    """
    people person persons individuals country countries nation nations city cities town towns state states place
    places team teams company companies firm firms group groups organization organisation year years day days
    date dates time times month months week weeks hour hours minute minutes decade decades name names number
    numbers total amount percent percentage share thing things one ones kind kinds type types sort way ways man
    men woman women child children player players member members event events word words other others new old
    long much many far big first last latest main current final top best most age score result results status
    he she it they we you i
    """.split()
)


# Names nearly every article of an English-language news corpus holds, or writes another way ("U.S."
# has no token): no sign of which article a question is about.
_EVERYWHERE = frozenset({"us", "usa", "uk", "eu", "un"})
_DEMONYM_END = re.compile(r"(?:an|ese|ish|i)$")


def _is_demonym(word: str, tokens: Sequence[str]) -> bool:
    """Whether a question's name looks like a demonym ("Mexican", "Asian", "Chinese", "Israeli"):
    one alphabetic word of at least five letters with a demonym's ending."""
    return len(tokens) == 1 and word.isalpha() and len(word) >= 5 and bool(_DEMONYM_END.search(word.lower()))


_WH_HEAD = re.compile(r"\b(?:which|what)\s+(?:kind|type|sort)?\s*(?:of\s+)?([a-z][\w'’-]*)", re.I)


def kind_words(question: str) -> frozenset[str]:
    """The question's words that say what kind of thing answers it, not what it is about: the word
    after "which" or "what" ("Which company …", "On what date …") and the words of
    :data:`_KINDS` ("people", "time"). An article names the company without the word "company", so
    the coverage checks leave them out."""
    heads = {m.group(1).lower() for m in _WH_HEAD.finditer(question)}
    heads -= set(_PHRASE_STOP)  # "What was …", "Which of …"
    return frozenset(heads | {w.lower() for w in WORD.findall(question) if w.lower() in _KINDS})


def asked_words(question: str) -> tuple[str, ...]:
    """The words of ``question`` that say what it asks for, when it asks for a count or an
    attribute of its subject: "bedrooms" in "How many bedrooms does the house have?", "shoe" and
    "size" in "What is Sue Bird's shoe size?", "driver" in "What was the name of the driver who …?".
    An article that never mentions them cannot give the answer, however much it says about the
    subject. Not among them: words that name a kind of answer, a unit or a quality ("people",
    "country", "year", "age", :data:`_KINDS`), the question's names (they are checked anyway), and
    what a question asks the name of ("What is the policy called?": an article names the policy
    without calling it one)."""
    names = {w.lower() for w in question_names(question)}
    words = [w.lower().replace("’", "'") for w in WORD.findall(question)]
    out: list[str] = []
    for i, word in enumerate(words):
        after = words[i + 1 : i + 2]
        if word == "how" and after == ["many"]:
            phrase = _phrase(words, i + 2)
        elif word == "name" and after == ["of"]:
            phrase = _phrase(words, _past_determiner(words, i + 2), 1)
        elif word == "what" and after and after[0] in ("is", "was", "are", "were"):
            j = _past_determiner(words, i + 2)
            owner = next((k for k in range(j, min(j + 3, len(words))) if words[k].endswith(("'s", "s'"))), None)
            begin = j if owner is None else owner + 1
            phrase = _phrase(words, begin)
            if set(words[begin + len(phrase) : begin + len(phrase) + 1]) & _NAMING_VERBS or (
                owner is None and phrase and phrase[0] in names  # "What was Krispy Kreme offering?"
            ):
                phrase = []
        else:
            continue
        out += [w for w in phrase if w not in _KINDS and w not in names and not any(ch.isdigit() for ch in w)]
    return tuple(dict.fromkeys(out))


def _past_determiner(words: Sequence[str], at: int) -> int:
    """``at``, or the place after it when a determiner stands there ("the", "its")."""
    return at + 1 if at < len(words) and words[at] in _DETERMINERS else at


def _phrase(words: Sequence[str], start: int, limit: int = 3) -> list[str]:
    """The words from ``start`` up to the first that ends such a phrase, at most ``limit``."""
    out: list[str] = []
    for word in words[start : start + limit]:
        if word in _PHRASE_STOP or word in _NAMING_VERBS or word.endswith("ed") or "'" in word:
            break
        if out and word in _AMBIGUOUS_PAST:
            break
        out.append(word)
        if word in _KINDS:  # "How many people live there?": the kind is the phrase's head
            break
    return out


# Words that put a question's event ahead of the news it is asked from: plans for a later year are
# reported without restating it in each sentence ("Merlin announced a Peppa Pig park that will open
# in Texas", "the leading cause of cancer by 2030").
_FUTURE = re.compile(
    r"\b(?:will|would|won['’]t|shall|going to|next|upcoming|if|plans?|planned|planning|expected|set to"
    r"|by (?:1[89]|20)\d\d)\b",
    re.I,
)


def event_years(question: str) -> frozenset[int]:
    """The years ``question`` names as the time of what it asks about ("Who won the 2024 French
    Open?": 2024), none when it speaks of the future ("Who will host the 2024 Academy Awards?"):
    see :func:`unstated_years`."""
    if _FUTURE.search(question):
        return frozenset()
    return frozenset(y for w in date_words(question) if (y := year_of(w)) is not None)


def unstated_years(sentence: str, years: frozenset[int], published: str | None) -> frozenset[int]:
    """The ``years`` later than the article's that ``sentence``, of an article published on
    ``published`` (ISO), does not name: it may answer a question about ``years``
    (:func:`event_years`) only when there are none. A 2023 article may tell who won the 2023 French
    Open without saying "2023", but its "In 2023 Djokovic won the French Open" is no report of the
    2024 one. An article of
    December counts as of the next year too, as it reports the plans of its January ("the launch
    from Cornwall next month"); an article without a date is given the benefit of the doubt."""
    own = latest_year(published)
    if own is None:
        return frozenset()
    return frozenset(y for y in years if y > own and not names_year(sentence, y))


def latest_year(published: str | None) -> int | None:
    """The latest year an article published on ``published`` (ISO) may report on without naming
    it: its own, or the next for an article of December. None for an undated article."""
    own = published_year(published)
    return None if own is None else own + ((published or "")[5:7] == "12")


def names_year(sentence: str, year: int) -> bool:
    """Whether ``sentence`` says ``year`` ("in 2024", "2024's"; not "120245")."""
    return re.search(rf"(?<!\d){year}(?!\d)", sentence) is not None


def published_year(iso: str | None) -> int | None:
    """The year of an ISO date ("2022-06-20T10:00:00" -> 2022), or None."""
    match = _YEAR.match(iso or "")
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class Support:
    """The article that covers a question best, and how well.

    ``coverage`` is the IDF-weighted share of the question's words (after the first; stop-words
    aside) the article mentions; ``names_together`` whether it mentions all of the question's names
    and numbers (dates aside: see :func:`date_words`, but a year after the article's own is no
    date it could leave unsaid, and must be mentioned too) and its :func:`asked_words`;
    ``missing`` the question's words it does not mention, in question order; ``naming`` the
    articles that mention those names, numbers and asked words together (all of them when the
    question has none; empty when nothing could be judged: no article, no word to look up, or
    passages the lexical index does not hold).
    """

    article_id: str | None
    coverage: float
    names_together: bool
    missing: tuple[str, ...]
    naming: frozenset[str] = frozenset()


def question_support(
    question: Question,
    chunks_of: Mapping[str, Sequence[int]],
    lexical: TermStatistics,
    published: Mapping[str, str | None] | None = None,
    synonyms: Callable[[str], Sequence[str]] | None = None,
    kinds_count: bool = True,
) -> Support:
    """The best-covering article among ``chunks_of`` (article id -> its chunk ids): the one with
    all the question's names and numbers if any has them, then the highest coverage. A question
    with no word to look up is fully covered.

    ``published`` gives articles' dates (ISO): a year in the question later than an article's
    :func:`latest_year` is then one of the names that article must mention ("the 2024 Stanley Cup"
    is not in a 2022 article's news unless it says "2024"; a December 2022 article may tell of
    January 2023 without saying "2023"). An article without a date is given the benefit of the
    doubt, as is every article when ``published`` is None.

    ``synonyms`` gives words that stand for a word ("aircraft" for "plane"): an article that holds
    one of them mentions the word, for the coverage (names, numbers and dates have none).
    ``kinds_count`` False leaves out the words that say what kind of thing answers ("company" in
    "Which company …": :func:`kind_words`), which an article seldom uses beside the answer.
    """
    words = [w for w in question.words if kinds_count or w.lower() not in question.kind_words]
    word_tokens = tokenize(words) if words else []
    tokens = list(dict.fromkeys(t for ts in word_tokens for t in ts))
    if not tokens:
        return Support(None, 1.0, True, ())
    if not chunks_of:
        return Support(None, 0.0, False, tuple(w for w, ts in zip(words, word_tokens, strict=True) if ts))
    # Only passages the lexical index holds can be judged. When it holds none of these (it is
    # being rebuilt, or is damaged), the question cannot be judged either, and passes.
    chunks_of = {a: cs for a, cs in chunks_of.items() if lexical.knows(cs).any()}
    if not chunks_of:
        return Support(None, 1.0, True, ())
    dates, names = question.dates, question.names
    named = [(w, ts) for w, ts in zip(words, word_tokens, strict=True) if w in names and w not in dates and ts]
    named = [(w, ts) for w, ts in named if not set(ts) <= _EVERYWHERE]
    # A demonym stands for its place: "his Mexican counterpart" is news from an article on Mexico.
    loose = {w: lexical.tokens_starting(ts[0][: max(4, len(ts[0]) - 3)]) for w, ts in named if _is_demonym(w, ts)}
    aliases = [t for ts in loose.values() for t in ts if t not in tokens]
    # Each token of a plain word (not a name, a number or a date) with the tokens of its synonyms.
    alternates: dict[str, list[str]] = {}
    if synonyms is not None:
        for w, ts in zip(words, word_tokens, strict=True):
            if w in names or w in dates or len(ts) != 1:
                continue
            similar = list(synonyms(w.lower()))
            found = [t for syn_tokens in (tokenize(similar) if similar else []) for t in syn_tokens if t != ts[0]]
            if found:
                alternates.setdefault(ts[0], []).extend(found)
    extra = [*aliases, *(t for ts in alternates.values() for t in ts)]
    column = {t: j for j, t in enumerate([*tokens, *dict.fromkeys(t for t in extra if t not in tokens)])}
    name_columns = sorted({column[t] for w, ts in named if w not in loose for t in ts})
    loose_columns = [sorted({column[t] for t in [*ts, *loose[w]]}) for w, ts in named if w in loose]
    asked = set(question.asked_words)
    name_columns += sorted(
        {column[t] for w, ts in zip(words, word_tokens, strict=True) if w.lower() in asked for t in ts}
        - set(name_columns)
    )
    year_columns = [
        (year, [column[t] for t in ts])
        for w, ts in zip(words, word_tokens, strict=True)
        if w in dates and (year := year_of(w)) is not None
    ]
    weights = lexical.idf(tokens)
    total = float(weights.sum()) or 1.0
    article_ids = list(chunks_of)
    all_chunks = [c for a in article_ids for c in chunks_of[a]]
    held = lexical.presence(all_chunks, list(column))
    n_tokens = len(tokens)
    best: tuple[bool, float, int] | None = None
    present_of: list[np.ndarray] = []
    naming: set[str] = set()
    at = 0
    for i, article in enumerate(article_ids):
        n = len(chunks_of[article])
        present = np.asarray(held[at : at + n].any(axis=0)) if n else np.zeros(len(column), dtype=bool)
        at += n
        for t, alts in alternates.items():
            present[column[t]] |= bool(present[[column[a] for a in alts]].any())
        present_of.append(present)
        own = latest_year((published or {}).get(article))
        needed = name_columns + [c for year, cs in year_columns if own is not None and year > own for c in cs]
        joint = bool(present[needed].all()) and all(present[cs].any() for cs in loose_columns)
        key = (joint, float(weights[present[:n_tokens]].sum()) / total, -i)
        if key[0]:
            naming.add(article)
        if best is None or key > best:
            best = key
    assert best is not None
    together, coverage, index = best[0], best[1], -best[2]
    present = present_of[index]
    missing = tuple(
        w for w, ts in zip(words, word_tokens, strict=True) if ts and not all(present[column[t]] for t in ts)
    )
    return Support(article_ids[index], coverage, together, missing, frozenset(naming))
