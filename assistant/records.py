"""Records the assistant hands out: search hits, citations and answers.

Every offset is a character offset into ``Article.text`` of the cited article, so that
``article.text[citation.start:citation.end] == citation.sentence`` holds for every citation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Answer", "AnswerPhrase", "AnswerSentence", "AskSettings", "Citation", "Correction", "DateMention", "Filters",
    "Hit",
]


@dataclass(frozen=True)
class Filters:
    """Restrictions on what may be retrieved. Empty fields restrict nothing.

    Dates are days as ``YYYY-MM-DD``, both ends inclusive; a month or a year is taken as its first
    day for ``date_from`` and its last for ``date_to`` (see :mod:`assistant.filters`). Anything else,
    or ``date_from`` after ``date_to``, is a :class:`assistant.filters.FilterError` naming the value.
    Sources are checked against the index by ``Assistant.ask`` and ``search``. A filter that matches
    no article makes every search return nothing.

    ``prefer_recent`` and ``near_date`` restrict nothing: they reorder the passages and the
    answer's sentences (never whether it abstains). ``prefer_recent`` favours
    the newest articles of the index; ``near_date`` (``YYYY-MM-DD``) favours articles published
    shortly before that day, such as the day a question was asked about "this week's" news (see
    :class:`assistant.retrieve.FusionWeights`).
    """

    date_from: str | None = None
    date_to: str | None = None
    sources: tuple[str, ...] = ()
    prefer_recent: bool = False
    near_date: str | None = None

    @property
    def prefers_dates(self) -> bool:
        """Whether a date preference reorders what is found."""
        return self.prefer_recent or self.near_date is not None

    def __post_init__(self) -> None:
        from assistant.filters import FilterError, date_bound, day

        # Normalised in place: a frozen record, but "2020" must compare as the day it stands for.
        if self.date_from is not None:
            bound = date_bound(self.date_from, "From date") if self.date_from.strip() else None
            object.__setattr__(self, "date_from", bound)
        if self.date_to is not None:
            bound = date_bound(self.date_to, "To date", end=True) if self.date_to.strip() else None
            object.__setattr__(self, "date_to", bound)
        if self.near_date is not None:
            object.__setattr__(self, "near_date", day(self.near_date, "near_date") if self.near_date.strip() else None)
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise FilterError(f"From date {self.date_from} is after To date {self.date_to}: no article can match.")
        object.__setattr__(self, "sources", tuple(self.sources))


@dataclass(frozen=True)
class Hit:
    """One retrieved passage (a chunk of an article), best first in a result list."""

    article_id: str
    chunk_id: int
    title: str | None
    source: str | None
    date: str | None
    url: str | None
    text: str
    start: int  # offsets of the chunk in its article's text
    end: int
    score: float


@dataclass(frozen=True)
class Citation:
    """Where a quoted sentence stands: ``article_text[start:end] == sentence``."""

    article_id: str
    title: str | None
    source: str | None
    date: str | None
    url: str | None
    sentence: str
    start: int
    end: int


@dataclass(frozen=True)
class DateMention:
    """A relative date in a quoted sentence ("yesterday", "on Sunday", "March 11") and what it stands
    for, reckoned from the article's publication date: ``value`` is a day (``2019-04-15``), an ISO
    week (``2019-W15``), a month (``2019-04``) or a year (``2019``). ``start``/``end`` are offsets
    into the article's text, as a citation's are: ``article_text[start:end] == text``."""

    text: str
    start: int
    end: int
    value: str


@dataclass(frozen=True)
class AnswerPhrase:
    """The words of a quoted sentence that answer the question ("39" in "A total of 39 are
    confirmed dead"), with the kind of answer the question asked for ("number", "time", "person",
    "place", "organisation", "who"); offsets are into the article's text, as a citation's are:
    ``article_text[start:end] == text``. See :mod:`assistant.phrase`."""

    text: str
    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class AnswerSentence:
    """A sentence quoted verbatim, its citation, and the other outlets that ran the same sentence.
    ``dates`` are the sentence's relative dates resolved against its article's date (see
    :mod:`assistant.dates`)."""

    text: str
    citation: Citation
    score: float
    also_reported_by: tuple[Citation, ...] = ()
    dates: tuple[DateMention, ...] = ()
    phrase: AnswerPhrase | None = None

    @property
    def n_sources(self) -> int:
        return 1 + len(self.also_reported_by)


@dataclass(frozen=True)
class Correction:
    """A question word no indexed article holds (``typed``), searched as the frequent indexed word
    closest to it in spelling (``searched``): "Hampsire" as "Hampshire"."""

    typed: str
    searched: str


@dataclass(frozen=True)
class Answer:
    """What ``Assistant.ask`` returns.

    ``sentences`` is best first and empty when the assistant abstains (``is_answer`` False);
    ``searched`` lists the closest passages it looked at, so an abstention can show them.
    ``query`` is the query actually searched, after resolving a follow-up against earlier turns.
    ``unknown_terms`` are words of the question (names, numbers, other words) that no indexed
    article contains: the reason for an abstention the user can act on (a misspelling, or a subject
    the corpus does not cover). ``uncovered_terms``, on an abstention when no retrieved article
    covers the question (see ``AskSettings.min_coverage``), are the question's words the closest
    article does not mention. ``unreported_years``, on an abstention, are the years the question
    asks about that no confident sentence names, its articles having been published before them
    (see ``AskSettings.later_years_stated``). ``follow_up_to`` is the earlier question this one was
    read as a follow-up to (None when it was read on its own); ``corrections`` are the misspelt
    words searched as indexed ones; ``filters`` are those it was asked with, as applied.
    """

    question: str
    query: str
    sentences: tuple[AnswerSentence, ...]
    confidence: float
    is_answer: bool
    searched: tuple[Hit, ...] = field(default=())
    unknown_terms: tuple[str, ...] = field(default=())
    uncovered_terms: tuple[str, ...] = field(default=())
    unreported_years: tuple[str, ...] = field(default=())
    follow_up_to: str | None = None
    corrections: tuple[Correction, ...] = field(default=())
    filters: Filters = field(default_factory=Filters)

    @property
    def citations(self) -> tuple[Citation, ...]:
        return tuple(s.citation for s in self.sentences)

    def closest_articles(self, n: int = 5) -> tuple[Hit, ...]:
        """The articles of ``searched``, each once at its best passage, best first, at most ``n``:
        what an abstention shows."""
        first: dict[str, Hit] = {}
        for h in self.searched:
            first.setdefault(h.article_id, h)
        return tuple(first.values())[:n]


@dataclass(frozen=True)
class AskSettings:
    """How the assistant retrieves and answers; the ablations of ``newsqa eval --compare``."""

    retrieval: Literal["hybrid", "bm25", "dense"] = "hybrid"
    # Reorder the retrieved passages by their best sentence's score (blended with the fused rank).
    # Off by default: on RealtimeQA it lowers article Recall@5 on 2023 (0.845 -> 0.836; 2022 0.885
    # either way) for a few tenths of a point of Recall@1; answers are the same either way.
    rerank: bool = False
    max_sentences: int = 3
    passages: int = 20
    # Below this confidence the assistant abstains. Calibrated on RealtimeQA 2022 and eval/data/unanswerable.jsonl
    # with scripts/calibrate_abstention.py: the highest threshold that abstains on at most 10% of answerable questions.
    min_confidence: float = 0.2
    # Abstain when the question names something (a capitalised word after the first, or a number)
    # that no indexed passage contains: the corpus cannot be about it. Off, such a question is
    # answered on what is left.
    require_known_names: bool = True
    # The same for the question's other words that are rare in English ("khachapuri", "quicksort");
    # its first word (a question or command word) and common words are never checked. Off by
    # default since the reader: users' own words ("carmaker", "youngsters") are often not the
    # articles', and on the demo's user-worded questions it declined answerable ones while adding
    # nothing on the unanswerable (scripts/measure_rules.py; see scripts/scorer_experiments/README.md).
    require_known_words: bool = False
    # Abstain when no retrieved article mentions the question's names and numbers together (with
    # what it asks for when it asks for a count or an attribute: "How many bedrooms …"); and
    # when none mentions at least min_coverage of its words (IDF-weighted; see assistant/support.py),
    # answer only with at least uncovered_min_confidence. min_coverage 0 turns both checks off.
    # Calibrated on RealtimeQA 2022 and eval/data/unanswerable.jsonl with
    # scripts/calibrate_coverage.py: the pair that abstains on the most unanswerable questions
    # beyond answerable ones, within 10% of answerable ones. 0.75 / 0.3 abstains on 7.1% of
    # answerable and 85.8% of unanswerable ones there; the script's latest pick, 0.75 / 0.4 (8.6%,
    # 87.4%), separates them by 0.1 point more, which is not worth 1.5 points more abstention on
    # answerable questions when 2023 is already above 10%. Since the scorer reads each sentence with
    # its article's title, the script's pick is 0.8 / 0.3 (7.7%, 92.1%; 0.75 / 0.25: 6.9%, 89.8%),
    # and 0.25 is chosen for users' wording (scripts/measure_rules.py, "uncovered 0.25, no known-words"):
    # on the demo's user-worded questions abstention 0.302 -> 0.113 and answer@3 0.566 -> 0.717, 2 of
    # 32 unanswerable ones more answered; on RealtimeQA 2022 1 of 127 unanswerable questions more
    # answered, answerable abstained 0.063 -> 0.061. 0.2 answers 5 of 127 more and half the
    # held-out details declined there.
    min_coverage: float = 0.75
    uncovered_min_confidence: float = 0.25
    # The sentences after an answer's best one are ordered by their scores, times this for sentences
    # from articles that do not mention the question's names and numbers together (when some
    # retrieved article does); 1 turns it off. The best sentence and the confidence are unchanged.
    # Measured on RealtimeQA 2022 with scripts/tune_off_subject.py: answer@3 0.634 at 1 and at 0.5,
    # 0.636 at 0.2; the sentences shown beside the best one stay on its subject.
    off_subject_weight: float = 0.2
    # The same weight orders the best sentence too (its confidence is still its own score): a
    # sentence from an article that names the question's subject goes before a closer-worded one
    # from another story.
    off_subject_best: bool = False
    # A sentence of an article published before a year the question asks about is quoted only if it
    # names that year: "In 2023 Djokovic won the French Open" is no answer to "Who won the 2024
    # French Open?". A question that speaks of the future ("will", "next", "if", "by 2030") asks
    # about no such year, and an article of December counts as of the next year too. On RealtimeQA
    # it declines 3 more of the 127 unanswerable questions on 2022 (89.0% -> 91.3%) and 7 more on
    # 2023 (72.4% -> 78.0%), abstaining on 3 more answerable ones on each year (see
    # scripts/scorer_experiments/README.md).
    later_years_stated: bool = True
    # How many candidate sentences the scorer embeds and scores with its final stage (None: as many
    # as its weights were trained with, 16). Read when the assistant is loaded. Measured on
    # RealtimeQA 2022: 12 gives answer@1 0.441 (the same) and answer@3 0.621 (0.623), in a quarter
    # less embedding.
    scored_sentences: int | None = 12
    # The reader (assistant/reader.py) rereads the scorer's best sentences with the question and
    # gives each its probability of answering, the confidence the thresholds above are then held
    # to. Read when the assistant is loaded with the packaged scorer. Off by default: the shipped
    # reader gains little (RealtimeQA 2023 answer step @1 0.331 -> 0.347, @3 0.487 -> 0.500; the
    # demo's user-worded questions @1 0.358 -> 0.377, follow-ups @3 0.222 -> 0.444), costs about
    # 200 ms a question, and puts a sentence without the death toll first for the demo's
    # Magnitogorsk question (scripts/scorer_experiments/README.md).
    reader: bool = False
    # With the reader on: True, its probability is each sentence's score and the answer's
    # confidence; False, it only orders the sentences, and whether to answer stays the scorer's
    # (the confidence is the best score the scorer gives any candidate; each sentence keeps its own).
    # False keeps abstention as without the reader; with the shipped reader it gains on the demo's
    # user-worded sets (answer@1 0.396 -> 0.415, conversations' follow-ups @3 0.361 -> 0.500) and
    # loses on RealtimeQA 2022's conversations (follow-ups @3 0.798 -> 0.584; see
    # scripts/scorer_experiments/README.md).
    reader_confidence: bool = True
    # How many of the scorer's best sentences the reader reads (None: as many as it was fitted on).
    read_sentences: int | None = None
    # The sentences after the best one are quoted only with at least this probability: an answer
    # may be one sentence, rather than one padded with weaker ones from other stories.
    min_later_confidence: float = 0.0
    # Mark the words of each quoted sentence that answer the question ("39"), where exactly one
    # named thing of the kind asked for stands there (assistant/phrase.py); about 10 ms a sentence.
    answer_phrases: bool = True
    # ... and only in a sentence whose own probability reaches this: a bold phrase in a sentence
    # that does not answer reads as an answer more than the quote does. Chosen on RealtimeQA 2022
    # (the whole year's index; the scorer is in sample there): the top sentence's phrase is an
    # answer string for 41 of 74 marked at 0, 34 of 50 at 0.35, 24 of 35 at 0.4.
    phrase_min_confidence: float = 0.35
    # Order the best typed_top sentences so that those holding something of the kind the question
    # asks for (a number for "how many", a date for "when", a place for "where") come first: the
    # others' scores are scaled by 1 - typed_weight for the order only (the confidence stays the
    # chosen sentence's own). 0 turns it off. See assistant/phrase.py. 0.5 was chosen on the
    # held-out fifth of RealtimeQA 2022's answer step (scripts/check_reader.py --year 2022 --typed
    # 0.3 0.5 0.7); there answer@1 / @3 go 0.349 / 0.593 -> 0.360 / 0.605, and on 2023's (never
    # tuned on; check_reader.py --typed 0.5) 0.331 / 0.487 -> 0.340 / 0.495.
    typed_weight: float = 0.5
    typed_top: int = 8
    # For the coverage checks, an article mentions a question's word when it holds a word whose
    # vector in the packaged model's word-piece table has at least this cosine with it ("aircraft"
    # for "plane", "dead" for "died"; assistant/synonyms.py). 0 turns synonyms off. Measured with
    # scripts/measure_rules.py (variants "no synonyms" and "default"): on the demo's user-worded
    # questions abstained 0.358 -> 0.321 and answer@3 0.453 -> 0.491, unanswerable declined 0.906
    # either way; on RealtimeQA 2022 abstained 0.067 -> 0.057, answer@3 0.651 -> 0.659, and 3 more
    # of the 127 unanswerable questions answered (declined 0.921 -> 0.898).
    synonym_threshold: float = 0.45
    # A follow-up's sentences are ordered by the mean of their scores read with the conversation's
    # context and with the follow-up's own words; with this on, a sentence's confidence is the
    # larger of that mean and its score read with the context, since "How old is he?" alone
    # matches nothing well. Measured on the conversations (scripts/measure_rules.py, variant
    # "follow-ups: the mean's confidence"): RealtimeQA 2022 follow-ups answer@1 / @3 0.416 / 0.685
    # -> 0.461 / 0.787, abstained 0.135 -> 0.022; the demo's 0.167 / 0.250 -> 0.167 / 0.333,
    # abstained 0.611 -> 0.139.
    followup_context_confidence: bool = True
    # A follow-up's sentences are ordered by two readings: with the conversation's context (which
    # found its passages) and with its own words ("How old was he?"); this is the weight of its own.
    followup_own_weight: float = 0.5
    # False: the words that say what kind of thing answers ("company" in "Which company …", "date",
    # "people") are left out of the coverage checks (assistant.support.kind_words).
    kind_words_count: bool = True

    def __post_init__(self) -> None:
        if self.retrieval not in ("hybrid", "bm25", "dense"):
            raise ValueError(f"retrieval must be 'hybrid', 'bm25' or 'dense', not {self.retrieval!r}.")
        if self.max_sentences < 1:
            raise ValueError("max_sentences must be at least 1.")
        if self.passages < 1:
            raise ValueError("passages must be at least 1.")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError("min_confidence must be between 0 and 1.")
        if not 0.0 <= self.min_coverage <= 1.0:
            raise ValueError("min_coverage must be between 0 and 1.")
        if not 0.0 <= self.uncovered_min_confidence <= 1.0:
            raise ValueError("uncovered_min_confidence must be between 0 and 1.")
        if not 0.0 <= self.off_subject_weight <= 1.0:
            raise ValueError("off_subject_weight must be between 0 and 1.")
        if not 0.0 <= self.phrase_min_confidence <= 1.0:
            raise ValueError("phrase_min_confidence must be between 0 and 1.")
        if not 0.0 <= self.followup_own_weight <= 1.0:
            raise ValueError("followup_own_weight must be between 0 and 1.")
        if self.scored_sentences is not None and self.scored_sentences < 1:
            raise ValueError("scored_sentences must be at least 1.")
        if self.read_sentences is not None and self.read_sentences < 1:
            raise ValueError("read_sentences must be at least 1.")
        if not 0.0 <= self.min_later_confidence <= 1.0:
            raise ValueError("min_later_confidence must be between 0 and 1.")
