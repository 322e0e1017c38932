"""Train the sentence scorer's weights from /work/shared/data and report held-out numbers.

    python scripts/train_scorer.py [--data /work/shared/data] [--cache /tmp/scorer_cache]
                                   [--out assistant/weights/sentence_scorer.json]

Training data: TrecQA train and RealtimeQA 2022 (candidates: the sentences of the BM25 top-5 articles
of each question, labelled 1 when they contain a gold answer string). Held out, never trained on:
TrecQA dev (MAP/MRR) and RealtimeQA 2023 (answer in the top 1/3 sentences). The BM25 baselines are
measured in the same run on the same candidates. Deterministic: no sampling anywhere, and the
logistic regression is solved by lbfgs to a fixed tolerance.

The embeddings of candidate sentences are cached under ``--cache`` (outside the repository) because
embedding ~250k sentences takes a while on 2 cores; delete the folder to recompute.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import logging
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant import score as S  # noqa: E402

logger = logging.getLogger("train_scorer")

DEFAULT_DATA = Path("/work/shared/data")
DEFAULT_CACHE = Path("/tmp/scorer_cache")
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "assistant" / "weights" / "sentence_scorer.json"
TOP_ARTICLES = 5


# ---------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class Group:
    """One question with its candidate sentences. ``labels[i]`` is 1 when sentence i answers it.

    ``passage_scores`` is the retrieval score of the article each sentence came from (RealtimeQA) or
    None (TrecQA has no retrieval). ``positions`` is each sentence's index in its article.
    """

    qid: str
    question: str
    sentences: tuple[str, ...]
    labels: np.ndarray
    answers: tuple[str, ...]
    passage_scores: np.ndarray | None = None
    positions: np.ndarray | None = None
    article_ranks: np.ndarray | None = None


# ---------------------------------------------------------------------------------------------
# Answer matching and metrics (pure)

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise_for_match(text: str) -> str:
    """Lower-case, collapse every run of punctuation/space into one space, pad with spaces."""
    return " " + _NON_ALNUM.sub(" ", text.lower()).strip() + " "


def contains_answer(sentence: str, answers: Sequence[str]) -> bool:
    """True when one of ``answers`` occurs in ``sentence`` as whole words after normalisation."""
    norm = normalise_for_match(sentence)
    return any(a.strip() != "" and normalise_for_match(a) in norm for a in answers if a.strip())


def average_precision(labels_in_rank_order: np.ndarray) -> float:
    """AP of one ranked list of 0/1 labels (0 when it holds no positive)."""
    hits = np.cumsum(labels_in_rank_order)
    positives = int(labels_in_rank_order.sum())
    if positives == 0:
        return 0.0
    precision = hits / np.arange(1, len(labels_in_rank_order) + 1)
    return float((precision * labels_in_rank_order).sum() / positives)


def reciprocal_rank(labels_in_rank_order: np.ndarray) -> float:
    idx = np.flatnonzero(labels_in_rank_order)
    return 0.0 if len(idx) == 0 else 1.0 / (idx[0] + 1)


def rank_order(scores: np.ndarray) -> np.ndarray:
    """Indices by decreasing score, ties broken by original order (stable, deterministic)."""
    return np.argsort(-scores, kind="stable")


def trec_metrics(groups: Sequence[Group], scores: Sequence[np.ndarray]) -> tuple[float, float]:
    """MAP and MRR over the groups with at least one positive."""
    aps, rrs = [], []
    for g, s in zip(groups, scores, strict=True):
        if g.labels.sum() == 0:
            continue
        ranked = g.labels[rank_order(s)]
        aps.append(average_precision(ranked))
        rrs.append(reciprocal_rank(ranked))
    return float(np.mean(aps)), float(np.mean(rrs))


def answer_at_k(groups: Sequence[Group], scores: Sequence[np.ndarray], ks: Iterable[int] = (1, 3)) -> list[float]:
    """Share of ALL groups (answerable or not) whose top-k sentences hold an answer."""
    out = []
    for k in ks:
        hits = [bool(g.labels[rank_order(s)[:k]].any()) for g, s in zip(groups, scores, strict=True)]
        out.append(float(np.mean(hits)))
    return out


# ---------------------------------------------------------------------------------------------
# Data


def load_trecqa(path: Path) -> list[Group]:
    groups = []
    with path.open() as fh:
        for line in fh:
            rec = json.loads(line)
            cands = rec["candidates"]
            groups.append(
                Group(
                    qid=rec["id"],
                    question=rec["question"],
                    sentences=tuple(c["sentence"] for c in cands),
                    labels=np.array([int(c["label"]) for c in cands], dtype=np.int8),
                    answers=tuple(rec.get("answers") or ()),
                )
            )
    return groups


def split_article(text: str, segment: Callable[[str], list[str]]) -> list[str]:
    """Sentences of an article: paragraphs (blank-line separated) cut by ``segment``, stripped."""
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        para = para.strip()
        if not para:
            continue
        for sent in segment(para):
            sent = " ".join(sent.split())
            if sent:
                out.append(sent)
    return out


def _bm25_tokenize(texts: list[str]) -> object:
    import bm25s
    import Stemmer

    return bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=False)


def build_realtimeqa(data: Path, year: int, cache: Path) -> list[Group]:
    """Questions of ``year`` with the sentences of their BM25 top-5 articles (title+text) as candidates."""
    cache.mkdir(parents=True, exist_ok=True)
    cached = cache / f"realtimeqa_{year}_groups.json"
    if cached.exists():
        return [_group_from_json(r) for r in json.loads(cached.read_text())]

    import bm25s
    import pysbd

    questions = [json.loads(line) for line in (data / "realtimeqa" / f"questions_{year}.jsonl").open()]
    with gzip.open(data / "realtimeqa" / f"articles_{year}.jsonl.gz", "rt") as fh:
        articles = [json.loads(line) for line in fh]
    corpus = [((a.get("title") or "") + "\n" + a["text"]).strip() for a in articles]
    retriever = bm25s.BM25()
    retriever.index(_bm25_tokenize(corpus), show_progress=False)
    docs, art_scores = retriever.retrieve(
        _bm25_tokenize([q["question"] for q in questions]), k=TOP_ARTICLES, show_progress=False
    )
    segmenter = pysbd.Segmenter(language="en", clean=False)
    split_cache: dict[int, list[str]] = {}
    groups = []
    for qi, q in enumerate(questions):
        sents: list[str] = []
        pscores: list[float] = []
        positions: list[int] = []
        ranks: list[int] = []
        for rank, (doc, sc) in enumerate(zip(docs[qi], art_scores[qi], strict=True)):
            doc = int(doc)
            if doc not in split_cache:
                split_cache[doc] = split_article(articles[doc]["text"], segmenter.segment)
            for pos, sent in enumerate(split_cache[doc]):
                sents.append(sent)
                pscores.append(float(sc))
                positions.append(pos)
                ranks.append(rank)
        answers = tuple(q["answers"])
        groups.append(
            Group(
                qid=q["id"],
                question=q["question"],
                sentences=tuple(sents),
                labels=np.array([int(contains_answer(s, answers)) for s in sents], dtype=np.int8),
                answers=answers,
                passage_scores=np.array(pscores, dtype=np.float32),
                positions=np.array(positions, dtype=np.int32),
                article_ranks=np.array(ranks, dtype=np.int32),
            )
        )
    cached.write_text(json.dumps([_group_to_json(g) for g in groups]))
    return groups


def _group_to_json(g: Group) -> dict[str, object]:
    return {
        "qid": g.qid,
        "question": g.question,
        "sentences": list(g.sentences),
        "labels": g.labels.tolist(),
        "answers": list(g.answers),
        "passage_scores": None if g.passage_scores is None else g.passage_scores.tolist(),
        "positions": None if g.positions is None else g.positions.tolist(),
        "article_ranks": None if g.article_ranks is None else g.article_ranks.tolist(),
    }


def _group_from_json(r: dict) -> Group:  # type: ignore[type-arg]
    def arr(key: str, dtype: type) -> np.ndarray | None:
        return None if r.get(key) is None else np.array(r[key], dtype=dtype)

    return Group(
        qid=r["qid"],
        question=r["question"],
        sentences=tuple(r["sentences"]),
        labels=np.array(r["labels"], dtype=np.int8),
        answers=tuple(r["answers"]),
        passage_scores=arr("passage_scores", np.float32),
        positions=arr("positions", np.int32),
        article_ranks=arr("article_ranks", np.int32),
    )


class CachedEmbeddings:
    """Embeddings of every text the runs need, computed once and kept under the cache folder."""

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self._vectors = vectors

    @classmethod
    def build(cls, name: str, texts: Iterable[str], cache: Path, embedder: S.Embedder | None = None) -> CachedEmbeddings:
        unique = sorted(set(texts))
        key = hashlib.sha1("\n".join(unique).encode()).hexdigest()[:12]
        npy, lst = cache / f"emb_{name}_{key}.npy", cache / f"emb_{name}_{key}.json"
        if npy.exists() and lst.exists():
            mat = np.load(npy)
            texts_cached = json.loads(lst.read_text())
        else:
            emb = embedder or S.load_default_embedder()
            t0 = time.time()
            mat = np.zeros((0, 384), dtype=np.float32)
            parts = []
            step = 4096
            for i in range(0, len(unique), step):
                parts.append(emb.embed(unique[i : i + step]).astype(np.float32))
                logger.info("embedded %d/%d texts (%s) in %.0fs", i + step, len(unique), name, time.time() - t0)
            mat = np.concatenate(parts) if parts else mat
            np.save(npy, mat)
            lst.write_text(json.dumps(unique))
            texts_cached = unique
        return cls(dict(zip(texts_cached, mat, strict=True)))

    def get(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._vectors[t] for t in texts]).astype(np.float32)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--prepare-only", action="store_true", help="build candidates and embeddings, then stop")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    data = prepare(args.data, args.cache)
    if args.prepare_only:
        return 0
    raise SystemExit("training not written yet")


@dataclass(frozen=True)
class Prepared:
    trec_train: list[Group]
    trec_dev: list[Group]
    rtqa_2022: list[Group]
    rtqa_2023: list[Group]
    embeddings: CachedEmbeddings


def prepare(data: Path, cache: Path) -> Prepared:
    trec_train = load_trecqa(data / "trecqa" / "train.jsonl")
    trec_dev = load_trecqa(data / "trecqa" / "dev.jsonl")
    t0 = time.time()
    r22 = build_realtimeqa(data, 2022, cache)
    r23 = build_realtimeqa(data, 2023, cache)
    logger.info("candidates ready in %.0fs", time.time() - t0)
    texts: list[str] = []
    for groups in (trec_train, trec_dev, r22, r23):
        for g in groups:
            texts.append(g.question)
            texts.extend(g.sentences)
    emb = CachedEmbeddings.build("minilm", texts, cache)
    return Prepared(trec_train, trec_dev, r22, r23, emb)


if __name__ == "__main__":
    raise SystemExit(main())
