"""Check the question sets in this folder against the corpora they were written for.

```
python eval/data/check_data.py [--realtimeqa DIR] [--demo FILE]
```

- ``conversations_YEAR.jsonl``: every turn has answers and article ids; every listed article is in
  that year's RealTime QA corpus and contains an answer (case-insensitive, as whole words, and also
  after the punctuation-collapsing normalisation the answer@k metric uses); and the list is
  complete: it is exactly the articles that contain an answer and every ``topic`` term of the
  conversation. Follow-up turns (2 and later) exist: every conversation has at least two turns.
- ``questions_demo.jsonl`` and ``conversations_demo.jsonl`` (the bundled Wikinews demo corpus):
  every question (turn) has answers and article ids; every listed article is in the corpus and
  contains an answer (matched as above), and every answer is in some listed article; the list is
  complete: it holds every article of the corpus that contains an answer (the demo corpus is small
  enough for that, so no ``topic`` is needed to narrow it); and no question shares a run of
  ``COPIED_RUN`` (6) or more consecutive words (after answer normalisation) with its listed articles,
  so the questions are worded as users would ask, not copied. In ``conversations_demo.jsonl`` every
  conversation has at least two turns and each turn's answer is in an article holding all of the
  conversation's ``topic`` terms (its story).
- ``unanswerable.jsonl`` (both RealTime QA corpora) and ``unanswerable_demo.jsonl`` (the bundled
  Wikinews demo corpus): ids carry a category prefix; every ``absent`` term occurs in no article;
  for ``not_stated``, no article containing all of its ``with`` terms contains any of its ``terms``.
- ``unanswerable_heldout_YEAR.jsonl`` (that year's RealTime QA corpus): the same, and the story is
  covered: some article contains all of a row's ``with`` terms.

Comparisons fold curly quotes to straight ones and ignore case. Standard library only; prints a
summary and exits 1 if anything fails.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEFAULT_REALTIMEQA = Path("/work/shared/data/realtimeqa")
DEFAULT_DEMO = REPO / "data" / "demo" / "wikinews.jsonl"
YEARS = (2022, 2023)
COPIED_RUN = 6  # a question sharing this many consecutive words with its articles copies them
CATEGORIES = ("absent", "detail", "offtopic", "nearmiss")

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def fold(text: str) -> str:
    """Lower-case ``text`` and turn curly quotes into straight ones."""
    return text.translate(_QUOTES).casefold()


def normalize(text: str) -> str:
    """The answer normalisation of ``eval.metrics.normalize_answer``: punctuation runs become one space."""
    chars = [" " if unicodedata.category(c).startswith("P") else c for c in text.casefold()]
    return " ".join("".join(chars).split())


def _word(term: str, *, whole: bool = True) -> re.Pattern[str]:
    """A pattern for ``term`` starting at a word boundary (and ending at one when ``whole``)."""
    return re.compile(r"(?<!\w)" + re.escape(fold(term)) + (r"(?!\w)" if whole else ""))


class Corpus:
    """Article texts (title and body) of one corpus, folded once for repeated searching."""

    def __init__(self, name: str, articles: Iterable[dict[str, Any]]) -> None:
        self.name = name
        self.raw: dict[str, str] = {}
        self.folded: dict[str, str] = {}
        self._normalized: dict[str, str] = {}
        for article in articles:
            text = f"{article.get('title') or ''}\n{article['text']}"
            self.raw[article["id"]] = text
            self.folded[article["id"]] = fold(text)

    def normalized(self, article_id: str) -> str:
        if article_id not in self._normalized:
            self._normalized[article_id] = f" {normalize(self.raw[article_id])} "
        return self._normalized[article_id]

    def with_all(self, terms: list[str]) -> list[str]:
        """Ids of the articles containing every term, each starting at a word boundary."""
        patterns = [(fold(t), _word(t, whole=False)) for t in terms]
        return [i for i, text in self.folded.items() if all(p in text and rx.search(text) for p, rx in patterns)]

    def has_answer(self, article_id: str, answers: list[str]) -> bool:
        """An answer occurs as whole words, both verbatim (folded) and after answer normalisation."""
        text = self.folded[article_id]
        return any(
            fold(a) in text and _word(a).search(text) and f" {normalize(a)} " in self.normalized(article_id)
            for a in answers
        )

    def with_answer(self, answers: list[str]) -> list[str]:
        """Ids of the articles containing an answer (as for :meth:`has_answer`), in corpus order."""
        return [i for i in self.folded if self.has_answer(i, answers)]

    def copied_run(self, question: str, article_ids: Iterable[str], words: int = COPIED_RUN) -> str | None:
        """The first run of ``words`` consecutive words of ``question`` that one of the articles also
        has, both normalised as answers are (so case and punctuation do not hide a copy); else None."""
        tokens = normalize(question).split()
        runs = [" ".join(tokens[k : k + words]) for k in range(len(tokens) - words + 1)]
        texts = [self.normalized(i) for i in article_ids if i in self.folded]
        return next((run for run in runs if any(f" {run} " in text for text in texts)), None)

    def count(self, term: str) -> int:
        """How many articles contain ``term`` as whole words."""
        needle, rx = fold(term), _word(term)
        return sum(1 for text in self.folded.values() if needle in text and rx.search(text))


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, json.loads(line)


def load_corpus(name: str, path: Path) -> Corpus:
    return Corpus(name, (row for _, row in read_jsonl(path)))


def _turns(
    path: Path, corpus: Corpus, problems: list[str], stats: Counter[str], no_topic: str
) -> Iterator[tuple[str, list[str], set[str], dict[str, Any]]]:
    """Each turn of a conversations file as ``(where, topic, on-topic article ids, turn)``, after the
    conversation-level checks (two turns at least, ``topic`` terms; ``no_topic`` says why they matter)."""
    for line, row in read_jsonl(path):
        where = f"{path.name}:{line} ({row.get('id')})"
        turns, topic = row.get("turns") or [], row.get("topic") or []
        stats["conversations"] += 1
        stats[f"{len(turns)}-turn"] += 1
        if len(turns) < 2:
            problems.append(f"{where}: a conversation needs at least two turns")
        if not topic:
            problems.append(f"{where}: no 'topic' terms {no_topic}")
        on_topic = set(corpus.with_all(topic)) if topic else set()
        for position, turn in enumerate(turns, start=1):
            stats["turns"] += 1
            yield f"{where} turn {position}", topic, on_topic, turn


def check_conversations(path: Path, corpus: Corpus) -> tuple[list[str], Counter[str]]:
    problems: list[str] = []
    stats: Counter[str] = Counter()
    for where, topic, on_topic, turn in _turns(path, corpus, problems, stats, "to check the article lists against"):
        answers, listed = turn.get("answers") or [], turn.get("article_ids") or []
        if not (turn.get("question") or "").strip() or not answers or not listed:
            problems.append(f"{where}: question, answers and article_ids must be non-empty")
            continue
        stats["article ids"] += len(listed)
        for article_id in listed:
            if article_id not in corpus.folded:
                problems.append(f"{where}: {article_id} is not in {corpus.name}")
            elif not corpus.has_answer(article_id, answers):
                problems.append(f"{where}: {article_id} does not contain {answers}")
        expected = {i for i in on_topic if corpus.has_answer(i, answers)}
        if missing := sorted(expected - set(listed)):
            problems.append(f"{where}: on-topic articles with the answer not listed: {missing}")
        if off := sorted(set(listed) - on_topic):
            problems.append(f"{where}: listed articles lacking a topic term {topic}: {off}")
    return problems, stats


def _check_answered(where: str, question: str, answers: list[str], listed: list[str], corpus: Corpus) -> list[str]:
    """A question the corpus answers: its listed articles exist and hold an answer, each answer is in
    one of them, no article with an answer is left out, and the question copies no run of their words."""
    if not question.strip() or not answers or not listed:
        return [f"{where}: question, answers and article ids must be non-empty"]
    problems: list[str] = []
    known = [i for i in listed if i in corpus.folded]
    problems += [f"{where}: {i} is not in {corpus.name}" for i in listed if i not in corpus.folded]
    problems += [f"{where}: {i} does not contain {answers}" for i in known if not corpus.has_answer(i, answers)]
    problems += [
        f"{where}: answer {a!r} is in none of the listed articles"
        for a in answers
        if not any(corpus.has_answer(i, [a]) for i in known)
    ]
    if missing := sorted(set(corpus.with_answer(answers)) - set(listed)):
        problems.append(f"{where}: articles with the answer not listed: {missing}")
    if run := corpus.copied_run(question, known):
        problems.append(f"{where}: the question copies {COPIED_RUN}+ words of its articles: {run!r}")
    return problems


def check_questions(path: Path, corpus: Corpus) -> tuple[list[str], Counter[str]]:
    """A ``questions`` set whose article lists hold every article of ``corpus`` with an answer."""
    problems: list[str] = []
    stats: Counter[str] = Counter()
    articles: set[str] = set()
    for line, row in read_jsonl(path):
        where = f"{path.name}:{line} ({row.get('id')})"
        listed = row.get("article_ids_containing_answer") or []
        stats["questions"] += 1
        stats["article ids"] += len(listed)
        articles.update(listed)
        problems += _check_answered(where, row.get("question") or "", row.get("answers") or [], listed, corpus)
    stats["distinct articles"] = len(articles)
    return problems, stats


def check_corpus_conversations(path: Path, corpus: Corpus) -> tuple[list[str], Counter[str]]:
    """Conversations whose turns' article lists hold every article of ``corpus`` with an answer (a
    small corpus: the demo's), each answer found in some article of the conversation's story."""
    problems: list[str] = []
    stats: Counter[str] = Counter()
    for where, topic, on_topic, turn in _turns(path, corpus, problems, stats, "naming its story"):
        answers, listed = turn.get("answers") or [], turn.get("article_ids") or []
        stats["article ids"] += len(listed)
        problems += _check_answered(where, turn.get("question") or "", answers, listed, corpus)
        if topic and answers and not any(corpus.has_answer(i, answers) for i in on_topic & set(listed)):
            problems.append(f"{where}: no listed article holding the topic terms {topic} has the answer")
    return problems, stats


def check_unanswerable(path: Path, corpora: list[Corpus], covered: bool = False) -> tuple[list[str], Counter[str]]:
    """``covered``: every ``not_stated`` row's story must be in some corpus (an article holds all
    of its ``with`` terms), so that the row asks a detail of a story the corpus reports."""
    problems: list[str] = []
    stats: Counter[str] = Counter()
    for line, row in read_jsonl(path):
        ident = str(row.get("id"))
        where = f"{path.name}:{line} ({ident})"
        category = ident.split("-", 1)[0]
        stats[category] += 1
        if category not in CATEGORIES:
            problems.append(f"{where}: id must start with one of {', '.join(c + '-' for c in CATEGORIES)}")
        if not (row.get("question") or "").strip():
            problems.append(f"{where}: empty question")
        for term in row.get("absent", []):
            stats["absent terms"] += 1
            for corpus in corpora:
                if hits := corpus.count(term):
                    problems.append(f"{where}: {term!r} occurs in {hits} article(s) of {corpus.name}")
        if not_stated := row.get("not_stated"):
            stats["not_stated checks"] += 1
            if covered and not any(corpus.with_all(not_stated["with"]) for corpus in corpora):
                problems.append(f"{where}: no article holds all of {not_stated['with']}")
            for corpus in corpora:
                for article_id in corpus.with_all(not_stated["with"]):
                    said = [t for t in not_stated["terms"] if fold(t) in corpus.folded[article_id]]
                    if said:
                        problems.append(f"{where}: {article_id} ({corpus.name}) mentions {said}")
    return problems, stats


def _summary(stats: Counter[str]) -> str:
    return ", ".join(f"{key} {value}" for key, value in stats.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--realtimeqa", type=Path, default=DEFAULT_REALTIMEQA, help="folder of articles_YEAR.jsonl.gz")
    parser.add_argument("--demo", type=Path, default=DEFAULT_DEMO, help="the demo corpus JSONL")
    args = parser.parse_args(argv)

    corpora = {year: load_corpus(f"articles_{year}", args.realtimeqa / f"articles_{year}.jsonl.gz") for year in YEARS}
    demo = load_corpus("demo wikinews", args.demo)
    checks: list[tuple[str, Callable[[Path], tuple[list[str], Counter[str]]]]] = [
        (f"conversations_{y}.jsonl", partial(check_conversations, corpus=corpora[y])) for y in YEARS
    ]
    checks += [
        ("unanswerable.jsonl", partial(check_unanswerable, corpora=list(corpora.values()))),
        ("unanswerable_demo.jsonl", partial(check_unanswerable, corpora=[demo])),
        ("questions_demo.jsonl", partial(check_questions, corpus=demo)),
        ("conversations_demo.jsonl", partial(check_corpus_conversations, corpus=demo)),
    ]
    checks += [
        (f"unanswerable_heldout_{y}.jsonl", partial(check_unanswerable, corpora=[corpora[y]], covered=True))
        for y in YEARS
    ]
    failed = 0
    for name, check in checks:
        problems, stats = check(HERE / name)
        print(f"{name}: {_summary(stats)} — {'ok' if not problems else f'{len(problems)} problem(s)'}")
        for problem in problems:
            print(f"  {problem}")
        failed += len(problems)
    print("all checks passed" if not failed else f"{failed} problem(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
